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
  # Every file the install wrote (its manifest) is under the prefix: the Python package included.
  file(STRINGS ${BUILD_DIR}/install_manifest.txt written)
  list(LENGTH written count)
  set(cmake_package_seen FALSE)
  foreach(path ${written})
    string(FIND "${path}" "${WORK_DIR}/prefix/" at)
    if(NOT at EQUAL 0)
      message(FATAL_ERROR "cmake --install --prefix ${WORK_DIR}/prefix wrote ${path}, outside it")
    endif()
    if(path MATCHES "kindlingConfig.cmake$")
      set(cmake_package_seen TRUE)
    endif()
  endforeach()
  if(count LESS 20 OR NOT cmake_package_seen)
    message(FATAL_ERROR "the install manifest lists ${count} files, without kindlingConfig.cmake")
  endif()
  # The consumer never touches the GPU: it must configure with CUDA hidden, even when kindling
  # was built with CUDA (kindling::gpu is the optional component `gpu`).
  list(APPEND consumer_args -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix
       -DCMAKE_DISABLE_FIND_PACKAGE_CUDAToolkit=TRUE)
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

# The optional component: find_package(kindling COMPONENTS gpu) gives kindling::gpu (configure
# only; with a CUDA build this also finds the CUDA toolkit, which this machine has then).
if(MODE STREQUAL "find_package")
  set(component_dir ${WORK_DIR}/gpu_component)
  file(MAKE_DIRECTORY ${component_dir})
  file(WRITE ${component_dir}/CMakeLists.txt "cmake_minimum_required(VERSION 3.25)
project(kindling_gpu_component LANGUAGES CXX)
find_package(kindling CONFIG REQUIRED COMPONENTS gpu)
if(NOT TARGET kindling::gpu OR NOT TARGET kindling::nn)
  message(FATAL_ERROR \"find_package(kindling COMPONENTS gpu) gave no kindling::gpu\")
endif()
")
  execute_process(COMMAND ${CMAKE_COMMAND} -S ${component_dir} -B ${component_dir}/build
                  -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix
                  RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "find_package(kindling COMPONENTS gpu) failed (${status})\n${out}\n${err}")
  endif()
endif()
