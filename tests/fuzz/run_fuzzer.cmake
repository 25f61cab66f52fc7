# Runs one libFuzzer target for a fixed time (cmake -P), for the ctest tests fuzz.<name>.
# Variables:
#   FUZZER      the fuzz target executable
#   SEEDS       seed corpus folders in the source tree, '|' between them (may be empty)
#   DICTIONARY  libFuzzer dictionary file (optional)
#   WORK_DIR    scratch folder: WORK_DIR/corpus is the working corpus (the seeds are copied in, and
#               what the run finds stays there for the next run), WORK_DIR/artifacts/ receives
#               this run's crash-*, timeout-*, oom-* and leak-* inputs
#   SECONDS, RSS_MB, TIMEOUT   libFuzzer's -max_total_time, -rss_limit_mb and -timeout
# Any crash, sanitizer report, timeout, out-of-memory or leak fails the test, which prints the
# report, the input that caused it and the command that replays it.
if(NOT EXISTS "${FUZZER}")
  message(FATAL_ERROR "run_fuzzer.cmake: ${FUZZER} does not exist (did the sanitized build fail?)")
endif()
set(corpus ${WORK_DIR}/corpus)
set(artifacts ${WORK_DIR}/artifacts)
file(REMOVE_RECURSE ${artifacts})  # a previous run's findings would be listed as this run's
file(MAKE_DIRECTORY ${corpus} ${artifacts})
string(REPLACE "|" ";" seeds "${SEEDS}")
foreach(seed_dir ${seeds})
  file(GLOB seed_files LIST_DIRECTORIES false ${seed_dir}/*)
  if(seed_files)
    file(COPY ${seed_files} DESTINATION ${corpus})
  endif()
endforeach()
set(options -max_total_time=${SECONDS} -rss_limit_mb=${RSS_MB} -timeout=${TIMEOUT}
            -print_final_stats=1 -artifact_prefix=${artifacts}/)
if(DICTIONARY)
  list(APPEND options -dict=${DICTIONARY})
endif()

execute_process(COMMAND ${FUZZER} ${options} ${corpus} RESULT_VARIABLE status
                OUTPUT_VARIABLE out ERROR_VARIABLE out)
get_filename_component(name ${FUZZER} NAME)
if(NOT status EQUAL 0)
  file(GLOB found LIST_DIRECTORIES false ${artifacts}/*)
  string(REPLACE ";" "\n  " found "${found}")
  message(FATAL_ERROR "${name} failed (exit ${status}):\n${out}\n"
                      "inputs it saved:\n  ${found}\n"
                      "replay one with: ${FUZZER} <input>")
endif()
# On success only the summary: the corpus as loaded (INITED), at the end (DONE), and the stats.
string(REGEX MATCHALL "[^\n]*(INITED|DONE|stat::)[^\n]*" summary "${out}")
string(REPLACE ";" "\n" summary "${summary}")
message("${name}: no crash, timeout, leak or OOM in ${SECONDS} s\n${summary}")
