// Network ops: softmax, log_softmax and cross_entropy (primitives with their own kernels) and
// one_hot (a composite).
#include <limits>

#include "internal.hpp"

namespace kindling {

using detail::give;
using detail::input;

namespace {
template <TensorOp op>
Tensor softmax_op(const Tensor& x, std::int64_t axis, bool log) {
  const char* name = log ? "log_softmax" : "softmax";
  KINDLING_CHECK(is_floating(x.dtype()), name, ": needs a floating-point tensor, got ",
                 dtype_name(x.dtype()), " of shape ", shape_string(x.shape()));
  axis = detail::normalize_wrapped_axis(axis, x.dim(), name);  // Note [0-d axes]
  // A 0-d tensor is one line of one element.
  if (x.dim() == 0) return reshape(softmax_op<op>(reshape(x, {1}), 0, log), {});
  Tensor y = detail::empty(x.shape(), x.dtype(), x.device());
  detail::kernels_of(x).softmax(x.strided_view(), static_cast<int>(axis), log, y.strided_view());
  return detail::record<op>(y, {&x}, AxisParams{axis});
}
Tensor softmax_grad(const TensorNode& node, const Tensor& g, bool log) {
  const Tensor y = detail::output_value(node);
  if (detail::creating_graph) [[unlikely]] {  // the kernel's formula in tensor ops
    const std::int64_t axis = detail::params<AxisParams>(node).axis;
    return log ? g - exp(y) * sum(g, {axis}, true) : y * (g - sum(g * y, {axis}, true));
  }
  Tensor dx = detail::empty(y.shape(), y.dtype(), y.device());
  detail::kernels_of(y).softmax_backward(y.strided_view(), g.strided_view(),
                                         static_cast<int>(detail::params<AxisParams>(node).axis),
                                         log, dx.strided_view());
  return dx;
}
}  // namespace

// ---- softmax: y = exp(x - logsumexp(x)) along an axis;  dx = y (g - sum(g y)) ----
// One kernel each way (KernelTable::softmax); the line's max shift keeps exp finite.
Tensor softmax(const Tensor& x, std::int64_t axis) {
  return softmax_op<TensorOp::softmax>(x, axis, false);
}
void detail::softmax_backward(TensorNode& node, const Tensor& g) {
  give(node, 0, softmax_grad(node, g, false));
}

// ---- log_softmax: y = x - logsumexp(x);  dx = g - exp(y) sum(g) ----
// Never takes the log of a probability that rounded to zero.
Tensor log_softmax(const Tensor& x, std::int64_t axis) {
  return softmax_op<TensorOp::log_softmax>(x, axis, true);
}
void detail::log_softmax_backward(TensorNode& node, const Tensor& g) {
  give(node, 0, softmax_grad(node, g, true));
}

namespace {
// With label smoothing e: l_i = (1 - e) (-logp_i[t_i]) + e (-mean_c logp_i[c]), a composite of
// primitives (its gradient comes with them). z (N, C), t (N,).
Tensor smoothed_cross_entropy(const Tensor& z, const Tensor& t, Reduction reduction, double e) {
  const Tensor logp = log_softmax(z, 1);
  const Tensor picked = neg(reshape(gather(logp, 1, unsqueeze(t, 1)), {z.shape()[0]}));
  const Tensor uniform = neg(mean(logp, {1}));  // (N,): -sum_c logp / C
  return apply_reduction(picked * (1.0 - e) + uniform * e, reduction);
}
}  // namespace

Tensor apply_reduction(const Tensor& terms, Reduction reduction) {
  switch (reduction) {
    case Reduction::none:
      return terms;
    case Reduction::sum:
      return sum(terms);
    case Reduction::mean:
      break;
  }
  return mean(terms);
}

// ---- cross_entropy: l_i = logsumexp(z_i) - z_i[t_i], reduced to scale * sum_i l_i (mean, sum)
//      or kept per sample (none);  dz_i = (softmax(z_i) - one_hot(t_i)) g_i scale ----
// One kernel each way, the reduction included (a mean as its own op would add a sum, a constant
// and a product to the forward and a product to the backward: launches, on a GPU). Backward
// recomputes softmax from the logits instead of saving an (N, C) tensor.
Tensor cross_entropy(const Tensor& logits, const Tensor& target, Reduction reduction,
                     double label_smoothing) {
  KINDLING_CHECK(is_floating(logits.dtype()), "cross_entropy: logits must be floating-point, got ",
                 dtype_name(logits.dtype()));
  KINDLING_CHECK(target.dtype() == DType::int64,
                 "cross_entropy: targets must be int64 class indices, got ",
                 dtype_name(target.dtype()));
  // (N, C, d1, ...) with targets (N, d1, ...), as torch: the class axis moved last, one row per
  // target, the per-target losses given back in the targets' shape.
  if (logits.dim() >= 3) {
    Shape expected = logits.shape();
    expected.erase(expected.begin() + 1);
    KINDLING_CHECK(target.shape() == expected, "cross_entropy: logits ",
                   shape_string(logits.shape()), " and targets ", shape_string(target.shape()),
                   ": expected (N, C, d1, ...) and (N, d1, ...)");
    Shape order{0};
    for (std::int64_t d = 2; d < logits.dim(); ++d)
      order.push_back(d);
    order.push_back(1);
    const Tensor rows = reshape(permute(logits, order), {-1, logits.shape()[1]});
    const Tensor loss = cross_entropy(rows, reshape(target, {-1}), reduction, label_smoothing);
    return reduction == Reduction::none ? reshape(loss, target.shape()) : loss;
  }
  const bool single = logits.dim() == 1;
  const Tensor z = single ? unsqueeze(logits, 0) : logits;
  const Tensor t = single ? reshape(target, {1}) : target;
  KINDLING_CHECK(
      z.dim() == 2 && t.dim() == 1 && t.shape()[0] == z.shape()[0] && t.device() == z.device(),
      "cross_entropy: logits ", shape_string(logits.shape()), " and targets ",
      shape_string(target.shape()), ": expected (N, C) and (N,) on one device");
  const std::int64_t n = z.shape()[0];
  KINDLING_CHECK(z.shape()[1] > 0 || n == 0, "cross_entropy: logits ", shape_string(logits.shape()),
                 " have no classes");
  KINDLING_CHECK(label_smoothing >= 0.0 && label_smoothing <= 1.0,
                 "cross_entropy: label_smoothing must be in [0, 1], got ", label_smoothing);
  if (label_smoothing != 0.0) {
    const Tensor smoothed = smoothed_cross_entropy(z, t, reduction, label_smoothing);
    return single && reduction == Reduction::none ? reshape(smoothed, {}) : smoothed;
  }
  const bool reduced = reduction != Reduction::none;
  const double scale = reduction == Reduction::mean ? 1.0 / static_cast<double>(n) : 1.0;
  Tensor loss = detail::empty(reduced ? Shape{} : Shape{n}, z.dtype(), z.device());
  detail::kernels_of(z).cross_entropy(z.strided_view(), t.strided_view(), scale,
                                      loss.strided_view());
  loss = detail::record<TensorOp::cross_entropy>(loss, {&z}, ScaleParams{scale}, {t});
  return single && !reduced ? reshape(loss, {}) : loss;
}
void detail::cross_entropy_backward(TensorNode& node, const Tensor& g) {
  const Tensor logits = input(node, 0);
  const std::int64_t n = logits.shape()[0];
  // A reduced loss's one grad value serves every sample: a stride-0 view, no copy.
  const Tensor per_sample = g.dim() == 0 ? expand(g, {n}) : g;
  if (creating_graph && logits.numel() > 0) [[unlikely]] {  // the kernel's formula in tensor ops
    const Tensor target = cast(one_hot(saved(node, 0), logits.shape()[1]), logits.dtype());
    const double scale = params<ScaleParams>(node).scale;
    return give(node, 0, (softmax(logits, 1) - target) * (unsqueeze(per_sample, 1) * scale));
  }
  Tensor dz = empty(logits.shape(), logits.dtype(), logits.device());
  kernels_of(logits).cross_entropy_backward(logits.strided_view(), saved(node, 0).strided_view(),
                                            per_sample.strided_view(),
                                            params<ScaleParams>(node).scale, dz.strided_view());
  give(node, 0, dz);
}

Tensor one_hot(const Tensor& index, std::int64_t num_classes) {
  KINDLING_CHECK(index.dtype() == DType::int64, "one_hot: the index must be int64, got ",
                 dtype_name(index.dtype()));
  KINDLING_CHECK(num_classes > 0, "one_hot: num_classes is ", num_classes);
  Shape shape = index.shape();
  shape.push_back(num_classes);
  // The result's size first, so that a huge num_classes is reported as one_hot's argument
  // rather than by the class range below.
  const std::int64_t count = checked_numel(shape, "one_hot");
  KINDLING_CHECK(count <= std::numeric_limits<std::int64_t>::max() / 8, "one_hot: num_classes ",
                 num_classes, " for an index of shape ", shape_string(index.shape()),
                 " makes a result of shape ", shape_string(shape),
                 ", more than 2^63 bytes of int64");
  if (count == 0) return zeros(shape, DType::int64, index.device());
  const no_grad guard;
  const double low = min(index).item(), high = max(index).item();
  KINDLING_CHECK(low >= 0 && high < static_cast<double>(num_classes), "one_hot: indices in [", low,
                 ", ", high, "] do not fit ", num_classes, " classes");
  // The class range is made on the CPU and moved to the index's device (a no-op on the CPU). It
  // is no larger than the result; when even it cannot be allocated, the error names one_hot.
  Tensor classes;
  try {
    classes = arange(num_classes, DType::int64).to(index.device());
  } catch (const error& e) {
    detail::throw_error("one_hot: num_classes ", num_classes, ": ", e.what());
  }
  // eq writing 1 or 0 straight into int64: the one-hot rows without a bool mask and a cast.
  auto [x, y] = detail::broadcast_pair(unsqueeze(index, -1), classes, "one_hot");
  return detail::binary_kernel(kernels::BinaryKernel::eq, x, y, DType::int64);
}

}  // namespace kindling
