# The fashion_mnist example's smoke run under the sanitizers (cmake -P): writes a small subset of
# Fashion-MNIST with fashion_mnist_subset.py, then trains one epoch of the MLP on it and one of the
# CNN on its first images, and checks that each run ends with a test accuracy and the saved model.
# Variables:
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
# One epoch of `model` with the extra options; it must report its accuracy and save the model.
function(train_one_epoch model)
  execute_process(
    COMMAND ${EXAMPLE} --data ${WORK_DIR}/data --model ${model} --epochs 1 ${ARGN}
            --out-dir ${WORK_DIR}
    RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE out)
  message("${out}")
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "fashion_mnist --model ${model} exited with ${status}")
  endif()
  if(NOT out MATCHES "epoch 1: train loss [0-9.]+, test accuracy" OR
     NOT EXISTS ${WORK_DIR}/fashion_mnist_${model}.safetensors)
    message(FATAL_ERROR "fashion_mnist --model ${model} did not finish its epoch and save the model")
  endif()
endfunction()

train_one_epoch(mlp --batch-size 64)
# The CNN (conv2d, max_pool2d and their backwards under the sanitizers) on the first images.
train_one_epoch(cnn --limit 256 --batch-size 32)
