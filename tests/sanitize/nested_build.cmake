# Configures and builds kindling in a nested build tree with clang and sanitizers (cmake -P); the
# fixture-setup tests of tests/sanitize/CMakeLists.txt run it. Variables:
#   SOURCE_DIR   kindling's source tree          BUILD_DIR   the nested build tree
#   CXX          the clang++ to build with       SANITIZE    KINDLING_SANITIZE (address,undefined)
#   CXX_FLAGS    extra compile and link flags (one string, spaces between flags)
#   TARGETS      targets to build, spaces between them (empty: all)
#   OPTIONS      extra -D settings for the nested configure, '|' between them
#   LAUNCHER     compiler launcher (ccache), optional        JOBS   parallel build jobs
# The tree is configured again on every run (cheap) and built incrementally, so a second run after
# a source change recompiles only what changed.
foreach(required SOURCE_DIR BUILD_DIR CXX SANITIZE)
  if(NOT ${required})
    message(FATAL_ERROR "nested_build.cmake: ${required} is not set")
  endif()
endforeach()
if(NOT JOBS)
  set(JOBS 2)
endif()
string(REPLACE "|" ";" options "${OPTIONS}")
set(launcher_args)
if(LAUNCHER)
  set(launcher_args -DCMAKE_CXX_COMPILER_LAUNCHER=${LAUNCHER})
endif()

string(TIMESTAMP started "%s")
file(MAKE_DIRECTORY ${BUILD_DIR})
# -O1 with line tables: stack traces with file:line at a fraction of -O2 -g's compile time; no
# NDEBUG, so the library's internal asserts are checked too. The Python module, the benchmarks and
# CUDA are left out: the module is tested by the outer build, nvcc cannot build for sanitizers.
# So is the web playground's site (emscripten's build, tested by the outer build); the playground's
# logic, kindling_web, is built and its tests run.
execute_process(
  COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${BUILD_DIR}
          -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_BUILD_TYPE=Sanitize
          "-DCMAKE_CXX_FLAGS_SANITIZE=-O1 -gline-tables-only"
          "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}"
          -DKINDLING_SANITIZE=${SANITIZE}
          -DKINDLING_BUILD_PYTHON=OFF -DKINDLING_BUILD_BENCH=OFF -DKINDLING_ENABLE_CUDA=OFF
          -DKINDLING_BUILD_WEB_SITE=OFF
          ${launcher_args} ${options}
  RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "nested configure of ${BUILD_DIR} failed (${status})\n${out}\n${err}")
endif()

set(target_args)
if(TARGETS)
  separate_arguments(targets UNIX_COMMAND "${TARGETS}")
  set(target_args --target ${targets})
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BUILD_DIR} -j${JOBS} ${target_args}
                RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "nested build of ${BUILD_DIR} failed (${status})\n${out}\n${err}")
endif()
string(TIMESTAMP finished "%s")
math(EXPR seconds "${finished} - ${started}")
message(STATUS "built ${BUILD_DIR} (${SANITIZE}) in ${seconds} s")
