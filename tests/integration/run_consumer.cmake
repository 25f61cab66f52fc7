# Builds and runs one consumer project (cmake -P). Variables:
#   MODE         find_package or add_subdirectory
#   SOURCE_DIR   kindling's source tree     BUILD_DIR   kindling's build tree (find_package)
#   WORK_DIR     scratch folder for this test
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
set(consumer_args)
if(MODE STREQUAL "find_package")
  execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${WORK_DIR}/prefix
                  RESULT_VARIABLE status OUTPUT_QUIET)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "cmake --install failed (${status})")
  endif()
  list(APPEND consumer_args -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
else()
  # CUDA off: the test is about consuming the tree; nvcc would only add minutes.
  list(APPEND consumer_args -DKINDLING_SOURCE_DIR=${SOURCE_DIR} -DKINDLING_ENABLE_CUDA=OFF)
endif()
foreach(step configure build run)
  if(step STREQUAL "configure")
    set(command ${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/consumer/${MODE} -B ${WORK_DIR}/build
        -DCMAKE_BUILD_TYPE=Release ${consumer_args})
  elseif(step STREQUAL "build")
    set(command ${CMAKE_COMMAND} --build ${WORK_DIR}/build -j2)
  else()
    set(command ${WORK_DIR}/build/consumer)
  endif()
  execute_process(COMMAND ${command} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "consumer ${MODE}: ${step} failed (${status})\n${out}\n${err}")
  endif()
endforeach()
message(STATUS "${out}")
