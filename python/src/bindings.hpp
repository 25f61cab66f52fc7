// The pieces of the `_kindling` extension module: each source file binds one area of the library
// and module.cpp calls them in dependency order (engine before nn).
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "kindling/engine/random.hpp"
#include "kindling/engine/value.hpp"

namespace kindling::python {

namespace py = pybind11;

// kindling.Value, grad mode, anomaly mode, topological order and the DOT text.
void bind_value(py::module_& m);
// kindling.ValueStepper, parse_expression and the HTML player page (explain/value_stepper.hpp);
// compiled only when kindling::explain has them (KINDLING_PYTHON_STEPPER).
void bind_stepper(py::module_& m);
// kindling.Tensor, its creation functions and ops (tensor/); compiled when the tensor library
// is part of the build (KINDLING_PYTHON_TENSOR).
void bind_tensor(py::module_& m);
// kindling.nn's tensor modules, losses (nn.functional), data, metrics; kindling.optim,
// kindling.save/load and kindling.cuda (tensor_nn.cpp; compiled with KINDLING_PYTHON_TENSOR).
void bind_tensor_nn(py::module_& m, py::module_& nn_module);
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
