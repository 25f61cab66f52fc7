// kindling.nn's tensor half, kindling.optim, kindling.save/load and kindling.cuda: bind_tensor_nn
// calls the binding of each area (declared in bindings.hpp), in the order the modules need.
#include <pybind11/pybind11.h>

#include "bindings.hpp"

namespace kindling::python {

void bind_tensor_nn(py::module_& m, py::module_& nn_module) {
  bind_modules(nn_module);
  py::module_ functional =
      nn_module.def_submodule("functional", "Losses and gradient clipping on tensors");
  bind_functional(functional);
  bind_data(nn_module);
  bind_metrics(nn_module);
  py::module_ optim = m.def_submodule("optim", "Optimizers and learning-rate schedulers");
  bind_optim(optim);
  bind_safetensors(m);
  py::module_ cuda = m.def_submodule("cuda", "The CUDA device, when kindling has one");
  bind_cuda(cuda);
}

}  // namespace kindling::python
