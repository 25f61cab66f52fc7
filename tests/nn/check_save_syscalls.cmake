# Runs `io_probe save` under strace and checks the order of the system calls of an atomic save
# (Note [atomic saves] in nn/src/file_io.hpp): the temporary file is fsynced before it is renamed
# over the target, and the target's folder is fsynced after the rename.
#   cmake -DSTRACE=... -DPROBE=... -DWORK_DIR=... -P check_save_syscalls.cmake
set(target "${WORK_DIR}/syscalls.safetensors")
set(log "${WORK_DIR}/syscalls.strace")
file(REMOVE "${target}" "${log}")
# Some sandboxes forbid ptrace: then there is nothing to check here.
execute_process(COMMAND "${STRACE}" -o /dev/null true RESULT_VARIABLE can_trace
  OUTPUT_QUIET ERROR_QUIET)
if(NOT can_trace EQUAL 0)
  message(STATUS "SKIPPED: strace cannot trace processes here")
  return()
endif()
execute_process(
  COMMAND "${STRACE}" -f -e trace=openat,fsync,rename,close -o "${log}" "${PROBE}" save "${target}"
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "io_probe save failed under strace (${result})")
endif()
file(STRINGS "${log}" lines)
set(temp_fd "")
set(state "open")
foreach(line IN LISTS lines)
  if(state STREQUAL "open" AND line MATCHES "openat\\(.*syscalls\\.safetensors\\.tmp[^\"]*\", O_WRONLY[^)]*\\) += ([0-9]+)")
    set(temp_fd "${CMAKE_MATCH_1}")
    set(state "written")
  elseif(state STREQUAL "written" AND line MATCHES "fsync\\(${temp_fd}\\) += 0")
    set(state "synced")
  elseif(state STREQUAL "synced" AND line MATCHES "rename\\(.*syscalls\\.safetensors\\.tmp.*syscalls\\.safetensors\"\\) += 0")
    set(state "renamed")
  elseif(state STREQUAL "renamed" AND line MATCHES "openat\\(.*O_DIRECTORY[^)]*\\) += ([0-9]+)")
    set(dir_fd "${CMAKE_MATCH_1}")
    set(state "folder")
  elseif(state STREQUAL "folder" AND line MATCHES "fsync\\(${dir_fd}\\) += 0")
    set(state "done")
  endif()
endforeach()
if(NOT state STREQUAL "done")
  message(FATAL_ERROR "the save's system calls are not open, fsync, rename, fsync(folder): "
                      "stopped at '${state}'. strace log:\n${lines}")
endif()
message(STATUS "the save fsyncs the file, renames it and fsyncs the folder")
