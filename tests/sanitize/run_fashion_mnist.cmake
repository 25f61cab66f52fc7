# The fashion_mnist example's smoke run under the sanitizers (cmake -P): writes a small subset of
# Fashion-MNIST with fashion_mnist_subset.py, then trains one epoch on it and checks that the run
# ends with a test accuracy and the saved model. Variables:
#   PYTHON, SUBSET_SCRIPT, EXAMPLE (the fashion_mnist executable), WORK_DIR (scratch folder)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR}/data)
execute_process(COMMAND ${PYTHON} ${SUBSET_SCRIPT} ${WORK_DIR}/data RESULT_VARIABLE status
                OUTPUT_VARIABLE out ERROR_VARIABLE out)
message("${out}")
if(NOT status EQUAL 0)
  message(FATAL_ERROR "fashion_mnist_subset.py failed (${status})")
endif()
if(out MATCHES "KINDLING_SKIP")
  return()
endif()
if(NOT EXISTS "${EXAMPLE}")
  message(FATAL_ERROR "${EXAMPLE} does not exist (did its build fail?)")
endif()
execute_process(
  COMMAND ${EXAMPLE} --data ${WORK_DIR}/data --epochs 1 --batch-size 64 --out-dir ${WORK_DIR}
  RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE out)
message("${out}")
if(NOT status EQUAL 0)
  message(FATAL_ERROR "fashion_mnist exited with ${status}")
endif()
if(NOT out MATCHES "epoch 1: train loss [0-9.]+, test accuracy" OR
   NOT EXISTS ${WORK_DIR}/fashion_mnist_mlp.safetensors)
  message(FATAL_ERROR "fashion_mnist did not finish its epoch and save the model")
endif()
