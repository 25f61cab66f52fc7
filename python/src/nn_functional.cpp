// kindling.nn.functional: activations, layers and losses as functions, and gradient clipping.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "kindling/engine/error.hpp"
#include "kindling/nn/functional.hpp"
#include "kindling/nn/loss.hpp"
#include "kindling/nn/optim.hpp"
#include "nn_support.hpp"
#include "tensor_support.hpp"

namespace kindling::python {

namespace {

Tensor tensor_or_none(const py::object& v) {
  return v.is_none() ? Tensor{} : as_tensor(v);
}

// conv2d, the pools, batch_norm, unfold and fold, dropout2d: torch.nn.functional's names,
// argument names and defaults.
void bind_conv_functional(py::module_& f) {
  f.def(
      "conv2d",
      [](const py::object& x, const py::object& w, const py::object& b, const py::object& stride,
         const py::object& padding, const py::object& dilation, std::int64_t groups) {
        return conv2d(as_tensor(x), as_tensor(w), tensor_or_none(b),
                      to_size2(stride, "conv2d", "stride"), to_size2(padding, "conv2d", "padding"),
                      to_size2(dilation, "conv2d", "dilation"), groups);
      },
      py::arg("input"), py::arg("weight"), py::arg("bias") = py::none(), py::arg("stride") = 1,
      py::arg("padding") = 0, py::arg("dilation") = 1, py::arg("groups") = 1);
  f.def(
      "max_pool2d",
      [](const py::object& x, const py::object& k, const py::object& stride,
         const py::object& padding, const py::object& dilation, bool ceil_mode,
         bool return_indices) -> py::object {
        const ValuesIndices r = max_pool2d_with_indices(
            as_tensor(x), to_size2(k, "max_pool2d", "kernel_size"),
            to_size2(stride, "max_pool2d", "stride"), to_size2(padding, "max_pool2d", "padding"),
            to_size2(dilation, "max_pool2d", "dilation"), ceil_mode);
        if (return_indices) return py::make_tuple(r.values, r.indices);
        return py::cast(r.values);
      },
      py::arg("input"), py::arg("kernel_size"), py::arg("stride") = py::none(),
      py::arg("padding") = 0, py::arg("dilation") = 1, py::arg("ceil_mode") = false,
      py::arg("return_indices") = false);
  f.def(
      "avg_pool2d",
      [](const py::object& x, const py::object& k, const py::object& stride,
         const py::object& padding, bool ceil_mode, bool count_include_pad,
         const py::object& divisor_override) {
        return avg_pool2d(as_tensor(x), to_size2(k, "avg_pool2d", "kernel_size"),
                          to_size2(stride, "avg_pool2d", "stride"),
                          to_size2(padding, "avg_pool2d", "padding"), ceil_mode, count_include_pad,
                          divisor_override.is_none() ? 0 : divisor_override.cast<std::int64_t>());
      },
      py::arg("input"), py::arg("kernel_size"), py::arg("stride") = py::none(),
      py::arg("padding") = 0, py::arg("ceil_mode") = false, py::arg("count_include_pad") = true,
      py::arg("divisor_override") = py::none());
  f.def(
      "adaptive_avg_pool2d",
      [](const py::object& x, const py::object& size) {
        return adaptive_avg_pool2d(as_tensor(x),
                                   to_size2(size, "adaptive_avg_pool2d", "output_size"));
      },
      py::arg("input"), py::arg("output_size"));
  f.def(
      "batch_norm",
      [](const py::object& x, const py::object& rm, const py::object& rv, const py::object& w,
         const py::object& b, bool training, double momentum, double eps) {
        return batch_norm(as_tensor(x), tensor_or_none(rm), tensor_or_none(rv), tensor_or_none(w),
                          tensor_or_none(b), training, momentum, eps);
      },
      py::arg("input"), py::arg("running_mean"), py::arg("running_var"),
      py::arg("weight") = py::none(), py::arg("bias") = py::none(), py::arg("training") = false,
      py::arg("momentum") = 0.1, py::arg("eps") = 1e-5);
  f.def(
      "unfold",
      [](const py::object& x, const py::object& k, const py::object& dilation,
         const py::object& padding, const py::object& stride) {
        return unfold(as_tensor(x), to_size2(k, "unfold", "kernel_size"),
                      to_size2(dilation, "unfold", "dilation"),
                      to_size2(padding, "unfold", "padding"), to_size2(stride, "unfold", "stride"));
      },
      py::arg("input"), py::arg("kernel_size"), py::arg("dilation") = 1, py::arg("padding") = 0,
      py::arg("stride") = 1);
  f.def(
      "fold",
      [](const py::object& x, const py::object& size, const py::object& k,
         const py::object& dilation, const py::object& padding, const py::object& stride) {
        return fold(as_tensor(x), to_size2(size, "fold", "output_size"),
                    to_size2(k, "fold", "kernel_size"), to_size2(dilation, "fold", "dilation"),
                    to_size2(padding, "fold", "padding"), to_size2(stride, "fold", "stride"));
      },
      py::arg("input"), py::arg("output_size"), py::arg("kernel_size"), py::arg("dilation") = 1,
      py::arg("padding") = 0, py::arg("stride") = 1);
  f.def(
      "dropout2d",
      [](const py::object& x, double p, bool training) {
        return nn::dropout2d(as_tensor(x), p, training, default_generator());
      },
      py::arg("input"), py::arg("p") = 0.5, py::arg("training") = true,
      "Draws from kindling.manual_seed's generator");
}

}  // namespace

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
      "_mse_loss",
      [](const py::object& p, const py::object& t, const std::string& r) {
        return nn::mse_loss(as_tensor(p), as_tensor(t), parse_reduction(r));
      },
      py::arg("input"), py::arg("target"), py::arg("reduction") = "mean");
  f.def(
      "_l1_loss",
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
  // The activations and layers as functions, as torch.nn.functional's (python/kindling/nn/
  // functional.py adds softmax's implicit dim and the losses' broadcast warnings).
  f.def(
      "relu", [](const py::object& x) { return relu(as_tensor(x)); }, py::arg("input"));
  f.def(
      "silu", [](const py::object& x) { return silu(as_tensor(x)); }, py::arg("input"));
  f.def(
      "sigmoid", [](const py::object& x) { return sigmoid(as_tensor(x)); }, py::arg("input"));
  f.def(
      "tanh", [](const py::object& x) { return tanh(as_tensor(x)); }, py::arg("input"));
  f.def(
      "gelu",
      [](const py::object& x, const std::string& approximate) {
        KINDLING_CHECK(approximate == "none" || approximate == "tanh",
                       "gelu: approximate must be 'none' or 'tanh', got '", approximate, "'");
        return approximate == "none" ? gelu(as_tensor(x)) : nn::gelu_tanh(as_tensor(x));
      },
      py::arg("input"), py::arg("approximate") = "none");
  f.def(
      "_softmax", [](const py::object& x, std::int64_t dim) { return softmax(as_tensor(x), dim); },
      py::arg("input"), py::arg("dim"));
  f.def(
      "_log_softmax",
      [](const py::object& x, std::int64_t dim) { return log_softmax(as_tensor(x), dim); },
      py::arg("input"), py::arg("dim"));
  f.def(
      "linear",
      [](const py::object& x, const py::object& weight, const py::object& bias) {
        return nn::linear(as_tensor(x), as_tensor(weight),
                          bias.is_none() ? Tensor{} : as_tensor(bias));
      },
      py::arg("input"), py::arg("weight"), py::arg("bias") = py::none());
  f.def(
      "dropout",
      [](const py::object& x, double p, bool training) {
        return nn::dropout(as_tensor(x), p, training, default_generator());
      },
      py::arg("input"), py::arg("p") = 0.5, py::arg("training") = true,
      "Draws from kindling.manual_seed's generator");
  f.def(
      "layer_norm",
      [](const py::object& x, const py::object& shape, const py::object& weight,
         const py::object& bias, double eps) {
        return nn::layer_norm(as_tensor(x), to_shape(shape, "layer_norm"),
                              weight.is_none() ? Tensor{} : as_tensor(weight),
                              bias.is_none() ? Tensor{} : as_tensor(bias), eps);
      },
      py::arg("input"), py::arg("normalized_shape"), py::arg("weight") = py::none(),
      py::arg("bias") = py::none(), py::arg("eps") = 1e-5);
  f.def(
      "embedding",
      [](const py::object& indices, const py::object& weight) {
        return nn::embedding(as_tensor(indices), as_tensor(weight));
      },
      py::arg("input"), py::arg("weight"));
  f.def(
      "pad",
      [](const py::object& x, const std::vector<std::int64_t>& amounts, const std::string& mode,
         double value) {
        PadMode m = PadMode::constant;
        if (mode == "reflect")
          m = PadMode::reflect;
        else if (mode == "replicate")
          m = PadMode::replicate;
        else if (mode == "circular")
          m = PadMode::circular;
        else
          KINDLING_CHECK(mode == "constant", "pad: mode must be 'constant', 'reflect', ",
                         "'replicate' or 'circular', got '", mode, "'");
        return nn::pad(as_tensor(x), amounts, m, value);
      },
      py::arg("input"), py::arg("pad"), py::arg("mode") = "constant", py::arg("value") = 0.0);
  bind_conv_functional(f);
  f.def(
      "normalize",
      [](const py::object& x, double p, std::int64_t dim, double eps) {
        return nn::normalize(as_tensor(x), p, dim, eps);
      },
      py::arg("input"), py::arg("p") = 2.0, py::arg("dim") = 1, py::arg("eps") = 1e-12);
  f.def(
      "binary_cross_entropy",
      [](const py::object& p, const py::object& t, const std::string& r) {
        return nn::binary_cross_entropy(as_tensor(p), as_tensor(t), parse_reduction(r));
      },
      py::arg("input"), py::arg("target"), py::arg("reduction") = "mean");
  f.def(
      "_smooth_l1_loss",
      [](const py::object& p, const py::object& t, const std::string& r, double beta) {
        return nn::smooth_l1_loss(as_tensor(p), as_tensor(t), parse_reduction(r), beta);
      },
      py::arg("input"), py::arg("target"), py::arg("reduction") = "mean", py::arg("beta") = 1.0);
  f.def(
      "_kl_div",
      [](const py::object& x, const py::object& t, const std::string& r, bool log_target) {
        if (r == "batchmean") return nn::kl_div_batchmean(as_tensor(x), as_tensor(t), log_target);
        return nn::kl_div(as_tensor(x), as_tensor(t), parse_reduction(r), log_target);
      },
      py::arg("input"), py::arg("target"), py::arg("reduction") = "mean",
      py::arg("log_target") = false);
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
