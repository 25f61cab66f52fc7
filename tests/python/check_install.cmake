# Checks `cmake --install <build> --component python --prefix <stage>`: installs under a staging
# prefix in the build folder and imports kindling from there, making sure the installed copy, not
# the build tree's, is the one that loads and differentiates, and that every file it wrote is under
# the prefix (the install manifest says which files it wrote).
# Usage: cmake -DBUILD_DIR=... -DSTAGE=... -DINSTALL_DIR=... -DPYTHON=... -P check_install.cmake
file(REMOVE_RECURSE ${STAGE})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --component python --prefix ${STAGE}
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "cmake --install --component python failed")
endif()
file(STRINGS ${BUILD_DIR}/install_manifest_python.txt written)
list(LENGTH written count)
if(count LESS 5)
  message(FATAL_ERROR "the install manifest lists ${count} files, expected the package's")
endif()
foreach(path ${written})
  string(FIND "${path}" "${STAGE}/" at)
  if(NOT at EQUAL 0)
    message(FATAL_ERROR "cmake --install --prefix ${STAGE} wrote ${path}, outside the prefix")
  endif()
endforeach()
if(IS_ABSOLUTE "${INSTALL_DIR}")
  message(FATAL_ERROR "KINDLING_PYTHON_INSTALL_DIR is absolute (${INSTALL_DIR}): it would not follow --prefix")
endif()
set(site ${STAGE}/${INSTALL_DIR})
set(ENV{PYTHONPATH} ${site})
execute_process(
  COMMAND ${PYTHON} -c "
import os, sys, kindling
assert kindling.__file__.startswith(sys.argv[1]), kindling.__file__
a = kindling.Value(3.0)
(a * a + 2 * a).backward()
assert a.grad == 8.0, a.grad
assert len(kindling.nn.MLP(2, [3, 1], seed=0).parameters()) == 13
# The tensor side's pure-Python modules (nn.functional, optim, cuda) are installed too.
model = kindling.nn.mlp([3, 4, 2], seed=0)
opt = kindling.optim.SGD(model.parameters(), lr=0.1)
kindling.nn.functional.mse_loss(model(kindling.ones([2, 3])), kindling.zeros([2, 2])).backward()
opt.step()
assert kindling.cuda.device_count() >= 0
print('installed kindling imports from', os.path.dirname(kindling.__file__))
" ${site}
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "the installed kindling package does not import and work")
endif()
