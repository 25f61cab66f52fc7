// Losses: elementwise terms, then the reduction.
#include "kindling/nn/loss.hpp"

#include "kindling/engine/error.hpp"
#include "kindling/tensor/creation.hpp"

namespace kindling::nn {

namespace {

void check_classes(const char* op, const Tensor& input, const Tensor& target) {
  KINDLING_CHECK(target.dtype() == DType::int64, op, ": targets must be int64 class indices, got ",
                 dtype_name(target.dtype()));
  KINDLING_CHECK(input.dim() == 2 && target.dim() == 1 && target.size(0) == input.size(0), op,
                 ": input ", shape_string(input.shape()), " and target ",
                 shape_string(target.shape()), ": expected (N, C) and (N,)");
}

void check_same(const char* op, const Tensor& a, const Tensor& b) {
  KINDLING_CHECK(a.shape() == b.shape(), op, ": input ", shape_string(a.shape()), " and target ",
                 shape_string(b.shape()), " differ in shape");
}

}  // namespace

Tensor mse_loss(const Tensor& prediction, const Tensor& target, Reduction reduction) {
  check_same("mse_loss", prediction, target);
  const Tensor d = prediction - target;
  return apply_reduction(d * d, reduction);
}

Tensor l1_loss(const Tensor& prediction, const Tensor& target, Reduction reduction) {
  check_same("l1_loss", prediction, target);
  return apply_reduction(abs(prediction - target), reduction);
}

Tensor nll_loss(const Tensor& log_probs, const Tensor& target, Reduction reduction) {
  check_classes("nll_loss", log_probs, target);
  const Tensor picked = gather(log_probs, 1, unsqueeze(target, 1));  // (N, 1)
  return apply_reduction(neg(reshape(picked, {log_probs.size(0)})), reduction);
}

// l = (1 - y) x + softplus(-x), softplus(-x) = max(-x, 0) + log(1 + exp(-|x|)), PyTorch's
// stable form. Written with max and abs, its gradient at x = 0 would take their subgradient 0
// there and give -y instead of sigmoid(0) - y = 0.5 - y (a zero-initialised head would train
// wrong). So the branch is a where on the sign of x, evaluated at x = 0 on the side x >= 0:
//   u = x < 0 ? x : -x         (-|x|, with slope -1 at 0)
//   l = (1 - y) x + (x < 0 ? -x : 0) + log(1 + exp(u))
// whose gradient is (1 - y) - sigmoid(-x) = sigmoid(x) - y everywhere, and exp(u) <= 1 never
// overflows, in either branch (where's backward multiplies the unchosen one by 0).
Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target,
                                        Reduction reduction) {
  check_same("binary_cross_entropy_with_logits", logits, target);
  const Tensor negative = logits < 0.0;
  const Tensor minus_logits = neg(logits);
  const Tensor u = where(negative, logits, minus_logits);
  const Tensor max_term = where(negative, minus_logits, zeros_like(logits));
  const Tensor terms = (1.0 - target) * logits + max_term + log(exp(u) + 1.0);
  return apply_reduction(terms, reduction);
}

Tensor hinge_loss(const Tensor& scores, const Tensor& labels, double margin, Reduction reduction) {
  check_same("hinge_loss", scores, labels);
  return apply_reduction(relu(margin - scores * labels), reduction);
}

}  // namespace kindling::nn
