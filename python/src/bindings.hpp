// The pieces of the `_kindling` extension module: each source file binds one area of the library
// and module.cpp calls them in dependency order (engine before nn).
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kindling/engine/random.hpp"
#include "kindling/engine/value.hpp"

namespace kindling::python {

namespace py = pybind11;

// Note [properties and methods]
// One rule for what a Python name is, in every binding. What an object holds (a stored attribute
// or a flag set by construction or by the object's own updates: Value.data, Tensor.shape,
// Module.training, Optimizer.step_count, Scheduler.last_epoch, ConfusionMatrix.total,
// ValueStepper.position) is a property. What it works out when asked (RunningMean.mean(),
// ConfusionMatrix.accuracy(), ValueStepper.done(), Module.num_parameters()) and anything that
// takes arguments is a method. Where torch has the same name, torch's form wins (Tensor.T and
// Tensor.is_leaf are properties there). C++ has no properties: both kinds are const accessor
// methods with the same name (done(), mean(), total(), position()).

// Raises kindling.IndexError (a kindling.Error and an IndexError) with `message`: for an index out
// of range or of the wrong kind (module.cpp).
[[noreturn]] void raise_index_error(const std::string& message);
py::object& index_error_type();

// kindling.Value, grad mode, anomaly mode, topological order and the DOT text.
void bind_value(py::module_& m);
// kindling.ValueStepper, parse_expression and the HTML player page (explain/value_stepper.hpp).
void bind_stepper(py::module_& m);
// kindling.Tensor, its creation functions and ops (tensor/).
void bind_tensor(py::module_& m);
// The DOT text of tensor graphs, plain or in tensor_graph_style, for kindling.to_dot (dot.cpp).
void bind_dot(py::module_& m);
// kindling.nn's tensor modules, losses (nn.functional), data, metrics; kindling.optim,
// kindling.save/load and kindling.cuda (tensor_nn.cpp), one file per area:
void bind_tensor_nn(py::module_& m, py::module_& nn_module);
void bind_modules(py::module_& nn_module);  // Module and the layers (nn_modules.cpp)
void bind_functional(py::module_& f);       // losses, gradient clipping (nn_functional.cpp)
void bind_optim(py::module_& o);            // optimizers, LR schedulers (optim.cpp)
void bind_data(py::module_& nn_module);     // data sets, DataLoader (data.cpp)
void bind_metrics(py::module_& nn_module);  // accuracy, ConfusionMatrix, RunningMean
void bind_safetensors(py::module_& m);      // kindling.save / load (io.cpp)
void bind_cuda(py::module_& c);             // kindling.cuda (cuda.cpp)
// kindling.autograd.forward_ad and .functional's compiled half, _kindling._autograd
// (functional.cpp).
void bind_autograd(py::module_& m);
// kindling.distributed's compiled half, _kindling._distributed, where MPI is found
// (distributed.cpp).
void bind_distributed(py::module_& m);
// kindling.nn's scalar Neuron, Layer, MLP, losses, SGD step and make_moons.
void bind_scalar_nn(py::module_& m);

// The generator behind everything random made without an explicit seed (kindling.manual_seed).
Generator& default_generator();

// Calls make(generator) for one constructor call: with a fresh generator from `seed`, or with the
// shared default when no seed is given.
template <class Make>
auto with_generator(const std::optional<std::uint64_t>& seed, Make make) {
  if (seed) {
    Generator generator(*seed);
    return make(generator);
  }
  return make(default_generator());
}

// A Python number or a kindling.Value as a Value: numbers become new leaves, Values are shared.
Value to_value(py::handle object);
// Each element of an iterable of numbers and Values, as above (a list, a tuple, a NumPy row...).
std::vector<Value> to_values(py::handle iterable);
// A list of Values as a Python list (each element a new handle on the same node).
py::list to_list(const std::vector<Value>& values);

}  // namespace kindling::python
