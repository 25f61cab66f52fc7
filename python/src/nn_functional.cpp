// kindling.nn.functional: the losses and gradient clipping on tensors.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>

#include "bindings.hpp"
#include "kindling/nn/loss.hpp"
#include "kindling/nn/optim.hpp"
#include "nn_support.hpp"
#include "tensor_support.hpp"

namespace kindling::python {

void bind_functional(py::module_& f) {
  // The activations with parameters, as torch.nn.functional's (input, then the parameters)
  // (one per row of KINDLING_TENSOR_UNARY_PARAM, op_list.hpp).
#define KINDLING_X(name, label, formula, ps)                    \
  f.def(                                                        \
      #name,                                                    \
      [](const Tensor& input KINDLING_PARAMS_DEF(ps)) {         \
        return kindling::name(input KINDLING_PARAMS_NAMES(ps)); \
      },                                                        \
      py::arg("input") KINDLING_PARAMS_PYARGS(ps));
  KINDLING_TENSOR_UNARY_PARAM(KINDLING_X)
#undef KINDLING_X
  f.def(
      "mse_loss",
      [](const py::object& p, const py::object& t, const std::string& r) {
        return nn::mse_loss(as_tensor(p), as_tensor(t), parse_reduction(r));
      },
      py::arg("input"), py::arg("target"), py::arg("reduction") = "mean");
  f.def(
      "l1_loss",
      [](const py::object& p, const py::object& t, const std::string& r) {
        return nn::l1_loss(as_tensor(p), as_tensor(t), parse_reduction(r));
      },
      py::arg("input"), py::arg("target"), py::arg("reduction") = "mean");
  f.def(
      "cross_entropy",
      [](const py::object& logits, const py::object& t, const std::string& r, double smoothing) {
        return cross_entropy(as_tensor(logits), as_tensor(t), parse_reduction(r), smoothing);
      },
      py::arg("input"), py::arg("target"), py::arg("reduction") = "mean",
      py::arg("label_smoothing") = 0.0);
  f.def(
      "nll_loss",
      [](const py::object& p, const py::object& t, const std::string& r) {
        return nn::nll_loss(as_tensor(p), as_tensor(t), parse_reduction(r));
      },
      py::arg("input"), py::arg("target"), py::arg("reduction") = "mean");
  f.def(
      "binary_cross_entropy_with_logits",
      [](const py::object& p, const py::object& t, const std::string& r) {
        return nn::binary_cross_entropy_with_logits(as_tensor(p), as_tensor(t), parse_reduction(r));
      },
      py::arg("input"), py::arg("target"), py::arg("reduction") = "mean");
  f.def(
      "hinge_loss",
      [](const py::object& s, const py::object& y, double margin, const std::string& r) {
        return nn::hinge_loss(as_tensor(s), as_tensor(y), margin, parse_reduction(r));
      },
      py::arg("scores"), py::arg("labels"), py::arg("margin") = 1.0, py::arg("reduction") = "mean");
  f.def(
      "clip_grad_norm",
      [](const py::iterable& params, double max_norm, double norm_type) {
        return nn::clip_grad_norm(to_params(params), max_norm, norm_type);
      },
      py::arg("parameters"), py::arg("max_norm"), py::arg("norm_type") = 2.0,
      "Scales the gradients so that their total norm is at most max_norm; returns the norm before");
  f.def(
      "clip_grad_value",
      [](const py::iterable& params, double clip_value) {
        nn::clip_grad_value(to_params(params), clip_value);
      },
      py::arg("parameters"), py::arg("clip_value"));
}

}  // namespace kindling::python
