# Runs one notebook headlessly: copies NOTEBOOK into OUTPUT_DIR and executes the copy in place with
# `PYTHON -m jupyter nbconvert --execute`, which exits non-zero when a cell raises.
# Usage: cmake -DPYTHON=... -DNOTEBOOK=... -DOUTPUT_DIR=... -P run_notebook.cmake
get_filename_component(name ${NOTEBOOK} NAME)
file(MAKE_DIRECTORY ${OUTPUT_DIR})
file(COPY_FILE ${NOTEBOOK} ${OUTPUT_DIR}/${name})
execute_process(
  COMMAND ${PYTHON} -m jupyter nbconvert --to notebook --execute --inplace
          --ExecutePreprocessor.timeout=540 ${OUTPUT_DIR}/${name}
  WORKING_DIRECTORY ${OUTPUT_DIR}
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "notebook ${name} failed (exit ${result}); see the output above")
endif()
