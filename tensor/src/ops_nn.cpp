// Network ops, all composites of the primitives: softmax, log_softmax, cross_entropy, one_hot.
#include "internal.hpp"

namespace kindling {

// exp(x - max) / sum(exp(x - max)); the max is a constant shift, so it is detached.
Tensor softmax(const Tensor& x, std::int64_t axis) {
  KINDLING_CHECK(is_floating(x.dtype()), "softmax: needs a floating-point tensor, got ",
                 dtype_name(x.dtype()));
  axis = detail::normalize_axis(axis, std::max<std::int64_t>(x.dim(), 1), "softmax");
  if (x.dim() == 0) return exp(x - x.detach());
  const Tensor e = exp(x - max(x.detach(), {axis}, true));
  return e / sum(e, {axis}, true);
}

// x - logsumexp(x): never takes the log of a rounded-to-zero probability.
Tensor log_softmax(const Tensor& x, std::int64_t axis) {
  KINDLING_CHECK(is_floating(x.dtype()), "log_softmax: needs a floating-point tensor, got ",
                 dtype_name(x.dtype()));
  if (x.dim() == 0) return x - x;
  axis = detail::normalize_axis(axis, x.dim(), "log_softmax");
  return x - logsumexp(x, {axis}, true);
}

// -log_softmax(logits)[target] per sample, then reduced.
Tensor cross_entropy(const Tensor& logits, const Tensor& target, Reduction reduction) {
  KINDLING_CHECK(target.dtype() == DType::int64,
                 "cross_entropy: targets must be int64 class "
                 "indices, got ",
                 dtype_name(target.dtype()));
  const bool single = logits.dim() == 1;
  const Tensor z = single ? unsqueeze(logits, 0) : logits;
  const Tensor t = single ? reshape(target, {1}) : target;
  KINDLING_CHECK(z.dim() == 2 && t.dim() == 1 && t.shape()[0] == z.shape()[0],
                 "cross_entropy: logits ", shape_string(logits.shape()), " and targets ",
                 shape_string(target.shape()), ": expected (N, C) and (N,)");
  const Tensor picked = gather(log_softmax(z, 1), 1, unsqueeze(t, 1));  // (N, 1)
  const Tensor loss = neg(reshape(picked, {z.shape()[0]}));
  switch (reduction) {
    case Reduction::none:
      return single ? reshape(loss, {}) : loss;
    case Reduction::sum:
      return sum(loss);
    case Reduction::mean:
      break;
  }
  return mean(loss);
}

Tensor one_hot(const Tensor& index, std::int64_t num_classes) {
  KINDLING_CHECK(index.dtype() == DType::int64, "one_hot: the index must be int64, got ",
                 dtype_name(index.dtype()));
  KINDLING_CHECK(num_classes > 0, "one_hot: num_classes is ", num_classes);
  const no_grad guard;
  if (index.numel() > 0) {
    const double low = min(index).item(), high = max(index).item();
    KINDLING_CHECK(low >= 0 && high < static_cast<double>(num_classes), "one_hot: indices in [",
                   low, ", ", high, "] do not fit ", num_classes, " classes");
  }
  // The class range is made on the CPU and moved to the index's device (a no-op on the CPU).
  const Tensor classes = arange(num_classes, DType::int64).to(index.device());
  return eq(unsqueeze(index, -1), classes);
}

}  // namespace kindling
