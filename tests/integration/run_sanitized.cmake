# Builds the engine tests with AddressSanitizer + LeakSanitizer + UBSan in a separate build tree
# and runs them (cmake -P), so leaks and memory errors in the core fail the suite. Variables:
#   SOURCE_DIR, WORK_DIR, TARGETS (test executables to build and run, ';'-separated)
file(MAKE_DIRECTORY ${WORK_DIR})
execute_process(
  COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR} -DCMAKE_BUILD_TYPE=RelWithDebInfo
          -DKINDLING_SANITIZE=address,undefined -DKINDLING_BUILD_EXAMPLES=OFF
          -DKINDLING_BUILD_BENCH=OFF -DKINDLING_BUILD_PYTHON=OFF -DKINDLING_ENABLE_CUDA=OFF -DPython_EXECUTABLE=/usr/bin/python3
  RESULT_VARIABLE status OUTPUT_QUIET ERROR_VARIABLE err)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "sanitized configure failed\n${err}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR} -j2 --target ${TARGETS}
                RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "sanitized build failed\n${out}\n${err}")
endif()
set(ENV{ASAN_OPTIONS} "detect_leaks=1:abort_on_error=0:halt_on_error=1")
set(ENV{UBSAN_OPTIONS} "halt_on_error=1:print_stacktrace=1")
foreach(target ${TARGETS})
  file(GLOB_RECURSE binary ${WORK_DIR}/tests/${target})
  execute_process(COMMAND ${binary} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${target} under sanitizers failed (${status})\n${out}\n${err}")
  endif()
  message(STATUS "${target} clean under AddressSanitizer/LeakSanitizer/UBSan:\n${out}")
endforeach()
