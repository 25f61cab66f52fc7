# What the installed kindling::tensor target needs from the consumer's system.
include(CMakeFindDependencyMacro)
find_dependency(xtl)
find_dependency(xsimd)
find_dependency(xtensor)
find_dependency(OpenMP COMPONENTS CXX)
