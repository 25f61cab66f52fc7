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
#include "tensor_docs.hpp"
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
      py::arg("padding") = 0, py::arg("dilation") = 1, py::arg("groups") = 1,
      R"(2-d convolution (cross-correlation), as torch.nn.functional.conv2d: ``(N, C, H, W) -> (N, O, H_out, W_out)``.

``H_out = floor((H + 2 padding - dilation (kh - 1) - 1) / stride) + 1``; zero padding. Built on
unfold and a matrix product; the gradients reach input, weight and bias. torch's string
paddings (``'same'``, ``'valid'``) are not supported.

Args:
    input (Tensor): ``(N, C, H, W)``, floating.
    weight (Tensor): ``(O, C / groups, kh, kw)``, input's dtype and device.
    bias (Tensor, optional): ``(O,)``.
    stride (int or (int, int)): default 1.
    padding (int or (int, int)): default 0.
    dilation (int or (int, int)): default 1.
    groups (int): default 1.

Raises:
    kindling.Error: for an input that is not 4-d or not floating, a weight that is not 4-d or
        of another dtype or device, channels that do not match weight and groups, a bias of the
        wrong shape, or a window larger than the padded input.

Example:
    >>> x = kindling.arange(16.0).reshape(1, 1, 4, 4)
    >>> kindling.nn.functional.conv2d(x, kindling.ones(1, 1, 2, 2)).shape
    (1, 1, 3, 3)
)");
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
      py::arg("return_indices") = false,
      R"(The maximum of each window, as torch.nn.functional.max_pool2d, on ``(N, C, H, W)`` or ``(C, H, W)``.

A NaN wins its window (its last NaN, as torch's), else the first maximum.

Args:
    input (Tensor): floating.
    kernel_size (int or (int, int)): the window.
    stride (int or (int, int), optional): default the kernel size.
    padding (int or (int, int)): at most half the kernel; the padding is never chosen.
    dilation (int or (int, int)): default 1.
    ceil_mode (bool): round the output size up (default False).
    return_indices (bool): also return the int64 positions ``h * W + w`` of each maximum in its
        plane.

Returns:
    Tensor, or (values, indices) with return_indices.

Raises:
    kindling.Error: for an input that is not 3-d or 4-d or not floating, a padding above half the
        kernel, or a window that does not fit.

Example:
    >>> x = kindling.arange(16.0).reshape(1, 1, 4, 4)
    >>> values, indices = kindling.nn.functional.max_pool2d(x, 2, return_indices=True)
    >>> indices
    tensor([[[[ 5,  7],
              [13, 15]]]], dtype=int64)
)");
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
      py::arg("divisor_override") = py::none(),
      R"(The mean of each window, as torch.nn.functional.avg_pool2d, on ``(N, C, H, W)`` or ``(C, H, W)``.

Args:
    input (Tensor): floating.
    kernel_size (int or (int, int)): the window.
    stride (int or (int, int), optional): default the kernel size.
    padding (int or (int, int)): zero padding, at most half the kernel (default 0).
    ceil_mode (bool): must be False (True is not supported).
    count_include_pad (bool): count the padding in each divisor (default True).
    divisor_override (int, optional): divide by this instead of the window's size.

Raises:
    kindling.Error: for ``ceil_mode=True``, a negative divisor_override, an input that is not 3-d
        or 4-d, or a padding above half the kernel.

Example:
    >>> kindling.nn.functional.avg_pool2d(kindling.arange(16.0).reshape(1, 1, 4, 4), 2)
    tensor([[[[ 2.5000,  4.5000],
              [10.5000, 12.5000]]]])
)");
  f.def(
      "adaptive_avg_pool2d",
      [](const py::object& x, const py::object& size) {
        return adaptive_avg_pool2d(as_tensor(x),
                                   to_size2(size, "adaptive_avg_pool2d", "output_size"));
      },
      py::arg("input"), py::arg("output_size"),
      R"(Averages over torch's bins so that the output's last two sizes are ``output_size``, as torch.nn.functional.adaptive_avg_pool2d.

Bin i of an axis of size H covers ``[floor(i H / oh), ceil((i + 1) H / oh))``.

Args:
    input (Tensor): ``(N, C, H, W)`` or ``(C, H, W)``.
    output_size (int or (int, int)): (oh, ow), each >= 1.

Raises:
    kindling.Error: for an output size below 1, or an input that is not 3-d or 4-d or has an
        empty plane.

Example:
    >>> kindling.nn.functional.adaptive_avg_pool2d(kindling.arange(16.0).reshape(1, 1, 4, 4), (1, 2))
    tensor([[[[6.5000, 8.5000]]]])
)");
  f.def(
      "batch_norm",
      [](const py::object& x, const py::object& rm, const py::object& rv, const py::object& w,
         const py::object& b, bool training, double momentum, double eps) {
        return batch_norm(as_tensor(x), tensor_or_none(rm), tensor_or_none(rv), tensor_or_none(w),
                          tensor_or_none(b), training, momentum, eps);
      },
      py::arg("input"), py::arg("running_mean"), py::arg("running_var"),
      py::arg("weight") = py::none(), py::arg("bias") = py::none(), py::arg("training") = false,
      py::arg("momentum") = 0.1, py::arg("eps") = 1e-5,
      R"(Batch normalisation over dim 1 of ``(N, C, ...)``, as torch.nn.functional.batch_norm.

In training the batch's statistics normalise (biased variance) and, when running_mean and
running_var are given, update them in place (``r = (1 - momentum) r + momentum s``, the unbiased
variance for running_var); otherwise the running statistics normalise.

Args:
    input (Tensor): ``(N, C, ...)``, floating.
    running_mean (Tensor or None): ``(C,)``.
    running_var (Tensor or None): ``(C,)``.
    weight (Tensor, optional): ``(C,)`` scale.
    bias (Tensor, optional): ``(C,)`` shift.
    training (bool): use the batch's statistics (default False).
    momentum (float): the running statistics' update weight (default 0.1).
    eps (float): added to the variance (default 1e-5).

Raises:
    kindling.Error: for an input of fewer than 2 dimensions or not floating, a (C,) tensor of the
        wrong shape, dtype or device, one running statistic without the other, evaluation
        without running statistics, or a training batch with one value per channel.

Example:
    >>> x = kindling.tensor([[1.0, 2.0], [3.0, 6.0]])
    >>> kindling.nn.functional.batch_norm(x, None, None, training=True)
    tensor([[-1.0000, -1.0000],
            [ 1.0000,  1.0000]])
)");
  f.def(
      "unfold",
      [](const py::object& x, const py::object& k, const py::object& dilation,
         const py::object& padding, const py::object& stride) {
        return unfold(as_tensor(x), to_size2(k, "unfold", "kernel_size"),
                      to_size2(dilation, "unfold", "dilation"),
                      to_size2(padding, "unfold", "padding"), to_size2(stride, "unfold", "stride"));
      },
      py::arg("input"), py::arg("kernel_size"), py::arg("dilation") = 1, py::arg("padding") = 0,
      py::arg("stride") = 1,
      R"(im2col: each sliding window of ``(N, C, H, W)`` as a column of ``(N, C kh kw, L)``, as torch.nn.functional.unfold.

Row ``(c kh + i) kw + j`` of a column is tap (i, j) of channel c (0 in the padding); L is the
number of windows. Its gradient is :func:`fold`.

Args:
    input (Tensor): ``(N, C, H, W)``, floating.
    kernel_size (int or (int, int)): the window.
    dilation (int or (int, int)): default 1.
    padding (int or (int, int)): default 0.
    stride (int or (int, int)): default 1.

Raises:
    kindling.Error: for an input that is not 4-d or not floating, or a window that does not fit.

Example:
    >>> kindling.nn.functional.unfold(kindling.zeros(1, 1, 4, 4), 2).shape
    (1, 4, 9)
)");
  f.def(
      "fold",
      [](const py::object& x, const py::object& size, const py::object& k,
         const py::object& dilation, const py::object& padding, const py::object& stride) {
        return fold(as_tensor(x), to_size2(size, "fold", "output_size"),
                    to_size2(k, "fold", "kernel_size"), to_size2(dilation, "fold", "dilation"),
                    to_size2(padding, "fold", "padding"), to_size2(stride, "fold", "stride"));
      },
      py::arg("input"), py::arg("output_size"), py::arg("kernel_size"), py::arg("dilation") = 1,
      py::arg("padding") = 0, py::arg("stride") = 1,
      R"(col2im, unfold's adjoint: columns ``(N, C kh kw, L)`` added back into ``(N, C, H, W)``, as torch.nn.functional.fold.

Overlapping windows add up.

Args:
    input (Tensor): ``(N, C kh kw, L)``.
    output_size (int or (int, int)): (H, W).
    kernel_size (int or (int, int)): the window.
    dilation (int or (int, int)): default 1.
    padding (int or (int, int)): default 0.
    stride (int or (int, int)): default 1.

Raises:
    kindling.Error: when the input's shape does not match the windows of output_size.

Example:
    >>> F = kindling.nn.functional
    >>> F.fold(F.unfold(kindling.ones(1, 1, 3, 3), 2), (3, 3), 2)
    tensor([[[[1.0000, 2.0000, 1.0000],
              [2.0000, 4.0000, 2.0000],
              [1.0000, 2.0000, 1.0000]]]])
)");
  f.def(
      "dropout2d",
      [](const py::object& x, double p, bool training) {
        return nn::dropout2d(as_tensor(x), p, training, default_generator());
      },
      py::arg("input"), py::arg("p") = 0.5, py::arg("training") = true,
      R"(In training, zeroes whole channels of ``(N, C, H, W)`` or ``(C, H, W)`` with probability p and scales the rest by ``1 / (1 - p)``, as torch.nn.functional.dropout2d.

The masks come from the generator :func:`kindling.manual_seed` reseeds. Unlike nn.Dropout2d, the
function's ``training`` defaults to True, as torch's.

Args:
    input (Tensor): the input.
    p (float): in [0, 1] (default 0.5).
    training (bool): False returns the input itself (default True).

Raises:
    kindling.Error: for p outside [0, 1].

Example:
    >>> kindling.nn.functional.dropout2d(kindling.ones(1, 2, 2, 2), 0.5, training=False).sum()
    tensor(8.0000)
)");
}

// nn.functional's spellings of the activations with parameters (input first, then the row's
// parameters): the same functions as kindling.<name>, with examples in this form.
namespace functional_docs {
inline constexpr const char* leaky_relu =
    R"(``input`` where positive, else ``negative_slope * input``, as torch.nn.functional.leaky_relu (kindling.leaky_relu).

Args:
    input (Tensor): floating.
    negative_slope (float): default 0.01.

Raises:
    kindling.Error: for an int64 or bool input.

Example:
    >>> kindling.nn.functional.leaky_relu(kindling.tensor([-1.0, 2.0]), 0.1)
    tensor([-0.1000,  2.0000])
)";
inline constexpr const char* elu =
    R"(``input`` where positive, else ``alpha * (e^input - 1)``, as torch.nn.functional.elu (kindling.elu).

Args:
    input (Tensor): floating.
    alpha (float): default 1.0.

Raises:
    kindling.Error: for an int64 or bool input.

Example:
    >>> kindling.nn.functional.elu(kindling.tensor([-1.0, 2.0]))
    tensor([-0.6321,  2.0000])
)";
inline constexpr const char* softplus =
    R"(``log(1 + e^(beta input)) / beta``, linear above the threshold, as torch.nn.functional.softplus (kindling.softplus).

Args:
    input (Tensor): floating.
    beta (float): default 1.0.
    threshold (float): where ``beta * input > threshold`` the result is the input (default 20).

Raises:
    kindling.Error: for an int64 or bool input.

Example:
    >>> kindling.nn.functional.softplus(kindling.tensor([0.0]))
    tensor([0.6931])
)";
}  // namespace functional_docs

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
      py::arg("input") KINDLING_PARAMS_PYARGS(ps), functional_docs::name);
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
      py::arg("label_smoothing") = 0.0, docs::cross_entropy);
  f.def(
      "nll_loss",
      [](const py::object& p, const py::object& t, const std::string& r) {
        return nn::nll_loss(as_tensor(p), as_tensor(t), parse_reduction(r));
      },
      py::arg("input"), py::arg("target"), py::arg("reduction") = "mean",
      R"(The negative log-likelihood ``-input[target]``, e.g. of log_softmax's output, as torch.nn.functional.nll_loss.

torch's shapes: ``(N, C)`` with targets ``(N,)``, ``(C,)`` with a 0-d target, ``(N, C, d1, ...)``
with ``(N, d1, ...)``. The mean is over every target. torch's weight and ignore_index are not
supported.

Args:
    input (Tensor): log-probabilities, floating.
    target (Tensor): int64 classes in ``[0, C)``.
    reduction (str): ``'mean'`` (default), ``'sum'`` or ``'none'``.

Raises:
    kindling.Error: for a target that is not int64, of the wrong shape or out of range, or an
        unknown reduction.

Example:
    >>> logp = kindling.log_softmax(kindling.tensor([[2.0, 0.0]]), 1)
    >>> kindling.nn.functional.nll_loss(logp, kindling.tensor([0]))
    tensor(0.1269)
)");
  f.def(
      "binary_cross_entropy_with_logits",
      [](const py::object& p, const py::object& t, const std::string& r) {
        return nn::binary_cross_entropy_with_logits(as_tensor(p), as_tensor(t), parse_reduction(r));
      },
      py::arg("input"), py::arg("target"), py::arg("reduction") = "mean",
      R"(Binary cross-entropy on logits, computed stably as ``max(x, 0) - x y + log(1 + e^-|x|)``, as torch.nn.functional.binary_cross_entropy_with_logits.

torch's weight and pos_weight are not supported.

Args:
    input (Tensor): logits, floating.
    target (Tensor): in [0, 1], of input's shape.
    reduction (str): ``'mean'`` (default), ``'sum'`` or ``'none'``.

Raises:
    kindling.Error: for shapes that differ, or an unknown reduction.

Example:
    >>> F = kindling.nn.functional
    >>> F.binary_cross_entropy_with_logits(kindling.tensor([0.0, 2.0]), kindling.tensor([0.0, 1.0]))
    tensor(0.4100)
)");
  f.def(
      "hinge_loss",
      [](const py::object& s, const py::object& y, double margin, const std::string& r) {
        return nn::hinge_loss(as_tensor(s), as_tensor(y), margin, parse_reduction(r));
      },
      py::arg("scores"), py::arg("labels"), py::arg("margin") = 1.0, py::arg("reduction") = "mean",
      R"(The SVM hinge loss ``max(0, margin - y s)`` for scores s and labels y in {-1, +1} (kindling's; torch has no such function).

Args:
    scores (Tensor): the scores.
    labels (Tensor): -1 or +1, of the scores' shape.
    margin (float): default 1.0.
    reduction (str): ``'mean'`` (default), ``'sum'`` or ``'none'``.

Raises:
    kindling.Error: for shapes that differ, or an unknown reduction.

Example:
    >>> kindling.nn.functional.hinge_loss(kindling.tensor([0.5, -2.0]), kindling.tensor([1.0, -1.0]))
    tensor(0.2500)
)");
  // The activations and layers as functions, as torch.nn.functional's (python/kindling/nn/
  // functional.py adds softmax's implicit dim and the losses' broadcast warnings).
  f.def(
      "relu", [](const py::object& x) { return relu(as_tensor(x)); }, py::arg("input"),
      R"(``max(input, 0)`` elementwise, as torch.nn.functional.relu (kindling.relu).

Example:
    >>> kindling.nn.functional.relu(kindling.tensor([-1.0, 1.0]))
    tensor([0.0000, 1.0000])
)");
  f.def(
      "silu", [](const py::object& x) { return silu(as_tensor(x)); }, py::arg("input"),
      R"(``input * sigmoid(input)`` elementwise, as torch.nn.functional.silu (kindling.silu).

Example:
    >>> kindling.nn.functional.silu(kindling.tensor([0.0]))
    tensor([0.0000])
)");
  f.def(
      "sigmoid", [](const py::object& x) { return sigmoid(as_tensor(x)); }, py::arg("input"),
      R"(``1 / (1 + e^-input)`` elementwise, as torch.sigmoid (kindling.sigmoid).

Example:
    >>> kindling.nn.functional.sigmoid(kindling.tensor([0.0]))
    tensor([0.5000])
)");
  f.def(
      "tanh", [](const py::object& x) { return tanh(as_tensor(x)); }, py::arg("input"),
      R"(``tanh(input)`` elementwise, as torch.tanh (kindling.tanh).

Example:
    >>> kindling.nn.functional.tanh(kindling.tensor([0.0]))
    tensor([0.0000])
)");
  f.def(
      "gelu",
      [](const py::object& x, const std::string& approximate) {
        KINDLING_CHECK(approximate == "none" || approximate == "tanh",
                       "gelu: approximate must be 'none' or 'tanh', got '", approximate, "'");
        return approximate == "none" ? gelu(as_tensor(x)) : nn::gelu_tanh(as_tensor(x));
      },
      py::arg("input"), py::arg("approximate") = "none",
      R"(GELU, as torch.nn.functional.gelu: exact (``x * Phi(x)``) or its tanh approximation.

Args:
    input (Tensor): floating.
    approximate (str): ``'none'`` (default, kindling.gelu) or ``'tanh'``:
        ``0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))``.

Raises:
    kindling.Error: for another approximate, or an int64 or bool input.

Example:
    >>> F = kindling.nn.functional
    >>> F.gelu(kindling.tensor([1.0])), F.gelu(kindling.tensor([1.0]), approximate="tanh")
    (tensor([0.8413]), tensor([0.8412]))
)");
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
      py::arg("input"), py::arg("weight"), py::arg("bias") = py::none(),
      R"(``input W^T + b``, as torch.nn.functional.linear: ``(..., in) -> (..., out)``.

Args:
    input (Tensor): ``(..., in)``.
    weight (Tensor): ``(out, in)``, input's dtype.
    bias (Tensor, optional): ``(out,)``.

Raises:
    kindling.Error: for shapes that do not fit, or dtypes that differ (no silent conversion of an
        int64 or float64 input, as torch).

Example:
    >>> kindling.nn.functional.linear(kindling.ones(2, 3), kindling.ones(4, 3)).shape
    (2, 4)
)");
  f.def(
      "dropout",
      [](const py::object& x, double p, bool training) {
        return nn::dropout(as_tensor(x), p, training, default_generator());
      },
      py::arg("input"), py::arg("p") = 0.5, py::arg("training") = true,
      R"(In training, zeroes each element with probability p and scales the rest by ``1 / (1 - p)``, as torch.nn.functional.dropout.

The mask comes from the generator :func:`kindling.manual_seed` reseeds. ``training`` defaults to
True, as torch's; the input itself comes back when it is False or p is 0.

Args:
    input (Tensor): the input.
    p (float): in [0, 1] (default 0.5).
    training (bool): default True.

Raises:
    kindling.Error: for p outside [0, 1].

Example:
    >>> kindling.nn.functional.dropout(kindling.ones(3), 0.5, training=False)
    tensor([1.0000, 1.0000, 1.0000])
)");
  f.def(
      "layer_norm",
      [](const py::object& x, const py::object& shape, const py::object& weight,
         const py::object& bias, double eps) {
        return nn::layer_norm(as_tensor(x), to_shape(shape, "layer_norm"),
                              weight.is_none() ? Tensor{} : as_tensor(weight),
                              bias.is_none() ? Tensor{} : as_tensor(bias), eps);
      },
      py::arg("input"), py::arg("normalized_shape"), py::arg("weight") = py::none(),
      py::arg("bias") = py::none(), py::arg("eps") = 1e-5,
      R"(Normalises over the trailing ``normalized_shape`` dimensions with the biased variance, then ``* weight + bias`` when given, as torch.nn.functional.layer_norm.

Args:
    input (Tensor): floating, ending in normalized_shape.
    normalized_shape (int or sequence of ints): the trailing shape.
    weight (Tensor, optional): of normalized_shape.
    bias (Tensor, optional): of normalized_shape.
    eps (float): added to the variance (default 1e-5).

Raises:
    kindling.Error: for an input that does not end in normalized_shape, or weight or bias of
        another shape.

Example:
    >>> kindling.nn.functional.layer_norm(kindling.tensor([[1.0, 3.0]]), (2,))
    tensor([[-1.0000,  1.0000]])
)");
  f.def(
      "embedding",
      [](const py::object& indices, const py::object& weight) {
        return nn::embedding(as_tensor(indices), as_tensor(weight));
      },
      py::arg("input"), py::arg("weight"),
      R"(The rows of ``weight`` at int64 indices of any shape: ``(...) -> (..., dim)``, as torch.nn.functional.embedding.

Args:
    input (Tensor): int64 indices into weight's rows.
    weight (Tensor): ``(num, dim)``.

Raises:
    kindling.Error: for indices that are not int64 or out of range, or a weight that is not 2-d.

Example:
    >>> table = kindling.tensor([[0.0, 1.0], [2.0, 3.0]])
    >>> kindling.nn.functional.embedding(kindling.tensor([1, 0]), table)
    tensor([[2.0000, 3.0000],
            [0.0000, 1.0000]])
)");
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
      py::arg("input"), py::arg("pad"), py::arg("mode") = "constant", py::arg("value") = 0.0,
      R"(Pads the last dimensions, as torch.nn.functional.pad.

``pad`` holds (before, after) pairs, the last dimension's first: ``(1, 2)`` pads the last
dimension by 1 before and 2 after; ``(1, 1, 2, 2)`` also the one before it by 2 on each side.

Args:
    input (Tensor): the input.
    pad (sequence of ints): an even number of amounts, at most two per dimension.
    mode (str): ``'constant'`` (fill with value; negative amounts crop), ``'reflect'`` (mirror
        about the edge; amounts below the size), ``'replicate'`` (repeat the edge) or
        ``'circular'`` (wrap around; amounts at most the size).
    value (float): the constant fill (default 0).

Raises:
    kindling.Error: for an odd count or more pairs than dimensions, an unknown mode, amounts
        that the mode does not allow, or a crop below size 0.

Example:
    >>> F = kindling.nn.functional
    >>> F.pad(kindling.ones(1, 2), (1, 2))
    tensor([[0.0000, 1.0000, 1.0000, 0.0000, 0.0000]])
    >>> F.pad(kindling.tensor([[1.0, 2.0, 3.0]]), (1, 1), mode="reflect")
    tensor([[2.0000, 1.0000, 2.0000, 3.0000, 2.0000]])
)");
  bind_conv_functional(f);
  f.def(
      "normalize",
      [](const py::object& x, double p, std::int64_t dim, double eps) {
        return nn::normalize(as_tensor(x), p, dim, eps);
      },
      py::arg("input"), py::arg("p") = 2.0, py::arg("dim") = 1, py::arg("eps") = 1e-12,
      R"(``input / max(||input||_p, eps)`` along ``dim``, as torch.nn.functional.normalize.

A zero vector stays zero; its gradient is torch's, 1 / eps (never NaN).

Args:
    input (Tensor): floating.
    p (float): the norm's order, >= 1 (default 2).
    dim (int): the dimension normalised (default 1).
    eps (float): the smallest divisor (default 1e-12).

Raises:
    kindling.Error: for p < 1, a dim out of range, or an int64 or bool input.

Example:
    >>> kindling.nn.functional.normalize(kindling.tensor([[3.0, 4.0]]))
    tensor([[0.6000, 0.8000]])
)");
  f.def(
      "binary_cross_entropy",
      [](const py::object& p, const py::object& t, const std::string& r) {
        return nn::binary_cross_entropy(as_tensor(p), as_tensor(t), parse_reduction(r));
      },
      py::arg("input"), py::arg("target"), py::arg("reduction") = "mean",
      R"(Binary cross-entropy of probabilities, ``-(y log x + (1 - y) log(1 - x))``, as torch.nn.functional.binary_cross_entropy.

Each log is clamped to >= -100 as torch does, so x = 0 or 1 gives a finite loss. torch's weight
is not supported.

Args:
    input (Tensor): probabilities in [0, 1] (e.g. sigmoid's output).
    target (Tensor): in [0, 1], of input's shape.
    reduction (str): ``'mean'`` (default), ``'sum'`` or ``'none'``.

Raises:
    kindling.Error: for an input outside [0, 1] or NaN ("apply sigmoid first, or use
        binary_cross_entropy_with_logits"), shapes that differ, or an unknown reduction.

Example:
    >>> F = kindling.nn.functional
    >>> F.binary_cross_entropy(kindling.tensor([0.5, 0.9]), kindling.tensor([1.0, 1.0]))
    tensor(0.3993)
)");
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
      R"(Scales the gradients in place so that their total norm is at most ``max_norm``, as ``torch.nn.utils.clip_grad_norm_``.

When the total p-norm over every gradient exceeds max_norm, each is multiplied by
``max_norm / (total + 1e-6)``. Parameters without a gradient are skipped. Also
``clip_grad_norm_``.

Args:
    parameters (iterable of Tensor): e.g. ``model.parameters()``.
    max_norm (float): >= 0.
    norm_type (float): p > 0 (default 2).

Returns:
    float: the total norm before clipping (torch returns a tensor).

Raises:
    kindling.Error: for a negative max_norm or a norm_type <= 0.

Example:
    >>> w = kindling.tensor([3.0, 4.0], requires_grad=True)
    >>> (w * w).sum().backward()              # grad (6, 8), norm 10
    >>> kindling.nn.functional.clip_grad_norm([w], 1.0)
    10.0
    >>> w.grad
    tensor([0.6000, 0.8000])
)");
  f.def(
      "clip_grad_value",
      [](const py::iterable& params, double clip_value) {
        nn::clip_grad_value(to_params(params), clip_value);
      },
      py::arg("parameters"), py::arg("clip_value"),
      R"(Clamps every gradient element to ``[-clip_value, clip_value]`` in place, as ``torch.nn.utils.clip_grad_value_`` (also ``clip_grad_value_``).

Args:
    parameters (iterable of Tensor): e.g. ``model.parameters()``.
    clip_value (float): >= 0.

Raises:
    kindling.Error: for a negative clip_value.

Example:
    >>> w = kindling.tensor([3.0, -4.0], requires_grad=True)
    >>> (w * w).sum().backward()
    >>> kindling.nn.functional.clip_grad_value([w], 1.0)
    >>> w.grad
    tensor([ 1.0000, -1.0000])
)");
}

}  // namespace kindling::python
