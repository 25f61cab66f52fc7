// What the nn binding files share: state dicts, tensor lists and parameter lists between Python
// and C++.
#pragma once

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <utility>
#include <vector>

#include "kindling/nn/state_dict.hpp"
#include "kindling/tensor/tensor.hpp"
#include "tensor_support.hpp"

namespace kindling::python {

inline py::dict to_dict(const nn::StateDict& state) {
  py::dict dict;
  for (const auto& [name, tensor] : state)
    dict[py::str(name)] = tensor;
  return dict;
}

// A mapping of names to tensors (or anything kindling.tensor takes) as a StateDict, in the
// mapping's order.
inline nn::StateDict to_state_dict(const py::handle& mapping) {
  nn::StateDict state;
  for (auto item : py::reinterpret_borrow<py::dict>(mapping))
    state.insert(item.first.cast<std::string>(), as_tensor(item.second));
  return state;
}

inline py::list tensor_list(const std::vector<Tensor>& tensors) {
  py::list list;
  for (const Tensor& t : tensors)
    list.append(py::cast(t));
  return list;
}

inline py::list named_list(const std::vector<std::pair<std::string, Tensor>>& named) {
  py::list list;
  for (const auto& [name, tensor] : named)
    list.append(py::make_tuple(name, tensor));
  return list;
}

// Parameters for an optimizer: any iterable of tensors (a list, model.parameters()).
inline std::vector<Tensor> to_params(const py::iterable& params) {
  std::vector<Tensor> result;
  for (py::handle p : params)
    result.push_back(p.cast<Tensor>());
  return result;
}

inline py::object optional_tensor(const Tensor& t) {
  return t.defined() ? py::cast(t) : py::none();
}

// torch's int-or-pair arguments: 3 or (3, 2); None (a pooling stride) is `none_value`.
inline Size2 to_size2(const py::object& v, const char* op, const char* arg, Size2 none_value = 0) {
  if (v.is_none()) return none_value;
  if (py::isinstance<py::int_>(v)) return v.cast<std::int64_t>();
  KINDLING_CHECK(py::isinstance<py::sequence>(v) && py::len(v) == 2, op, ": ", arg,
                 " must be an int or a pair of ints, got ", std::string(py::str(v)));
  const auto seq = v.cast<py::sequence>();
  KINDLING_CHECK(py::isinstance<py::int_>(seq[0]) && py::isinstance<py::int_>(seq[1]), op, ": ",
                 arg, " must be an int or a pair of ints, got ", std::string(py::str(v)));
  return {seq[0].cast<std::int64_t>(), seq[1].cast<std::int64_t>()};
}

}  // namespace kindling::python
