# What the installed kindling::nn target needs from the consumer's system (its static library
# links zlib, nlohmann_json and OpenMP privately, which CMake still exports as link-only).
include(CMakeFindDependencyMacro)
find_dependency(ZLIB)
find_dependency(nlohmann_json)
find_dependency(OpenMP COMPONENTS CXX)
