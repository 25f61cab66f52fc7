# Runs one program and checks it (cmake -P), for tests that need more than ctest's exit-status
# check: ctest's PASS_REGULAR_EXPRESSION ignores the exit status, so a run whose output looks right
# but that ends in a sanitizer report (a leak found at exit, say) would pass. Variables:
#   PROGRAM   the executable          ARGS      its arguments, '|' between them (optional)
#   REQUIRE   a regular expression the output (stdout and stderr) must match (optional)
#   REQUIRE_IF  only require REQUIRE when the output matches this expression (optional)
#   EXPECT_FAILURE  ON: the program must exit non-zero instead (a sanitizer canary)
# The test fails when the program cannot start, exits non-zero (zero with EXPECT_FAILURE), or its
# output misses REQUIRE; the output is printed either way.
if(NOT EXISTS "${PROGRAM}")
  message(FATAL_ERROR "run_program.cmake: ${PROGRAM} does not exist (did its build fail?)")
endif()
string(REPLACE "|" ";" arguments "${ARGS}")
# One variable for both pipes keeps their lines in the order they were written.
execute_process(COMMAND ${PROGRAM} ${arguments} RESULT_VARIABLE status
                OUTPUT_VARIABLE out ERROR_VARIABLE out)
message("${out}")
if(EXPECT_FAILURE)
  if(status EQUAL 0)
    message(FATAL_ERROR "${PROGRAM} succeeded, but it should have failed")
  endif()
elseif(NOT status EQUAL 0)
  message(FATAL_ERROR "${PROGRAM} exited with ${status}")
endif()
if(REQUIRE_IF AND NOT "${out}" MATCHES "${REQUIRE_IF}")
  return()
endif()
if(REQUIRE AND NOT "${out}" MATCHES "${REQUIRE}")
  message(FATAL_ERROR "${PROGRAM}: the output does not match '${REQUIRE}'")
endif()
