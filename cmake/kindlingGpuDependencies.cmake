# What the installed kindling::gpu target needs from the consumer's system when kindling was built
# with CUDA (installed only then): the CUDA runtime's imported targets.
include(CMakeFindDependencyMacro)
find_dependency(CUDAToolkit)
