# What the installed kindling::tensor target needs from the consumer's system.
include(CMakeFindDependencyMacro)
# xsimd and OpenMP: link dependencies of the static library. xtensor only for
# kindling::xtensor_interop, so it is optional here: a consumer without it can use everything else.
find_dependency(xsimd)
find_dependency(OpenMP COMPONENTS CXX)
find_package(xtensor QUIET)
