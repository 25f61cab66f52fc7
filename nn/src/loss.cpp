// Losses: elementwise terms, then the reduction.
#include "kindling/nn/loss.hpp"

#include <algorithm>
#include <limits>
#include <vector>

#include "kindling/engine/error.hpp"
#include "kindling/engine/grad_mode.hpp"
#include "kindling/tensor/creation.hpp"

namespace kindling::nn {

namespace {

void check_same(const char* op, const Tensor& a, const Tensor& b) {
  KINDLING_CHECK(a.shape() == b.shape(), op, ": input ", shape_string(a.shape()), " and target ",
                 shape_string(b.shape()), " differ in shape");
}

// Class scores in torch's three layouts as rows (M, C), one per target, and the targets (M,):
// (N, C) with (N,); (C,) with (); (N, C, d1, ...) with (N, d1, ...), the class axis moved last.
// `shape` is the shape of the per-target terms (the targets' shape).
struct ClassRows {
  Tensor rows, targets;
  Shape shape;
};
ClassRows class_rows(const char* op, const Tensor& input, const Tensor& target) {
  KINDLING_CHECK(target.dtype() == DType::int64, op, ": targets must be int64 class indices, got ",
                 dtype_name(target.dtype()));
  Shape expected;  // the target shape that goes with this input
  if (input.dim() >= 2) {
    expected = input.shape();
    expected.erase(expected.begin() + 1);
  }
  KINDLING_CHECK(input.dim() >= 1 && target.shape() == expected, op, ": input ",
                 shape_string(input.shape()), " and target ", shape_string(target.shape()),
                 ": expected (N, C) and (N,), (C,) and (), or (N, C, d1, ...) and (N, d1, ...)");
  if (input.dim() == 1) return {unsqueeze(input, 0), reshape(target, {1}), {}};
  if (input.dim() == 2) return {input, target, target.shape()};
  Shape order{0};
  for (std::int64_t d = 2; d < input.dim(); ++d)
    order.push_back(d);
  order.push_back(1);
  return {reshape(permute(input, order), {-1, input.size(1)}), reshape(target, {-1}),
          target.shape()};
}

}  // namespace

Tensor mse_loss(const Tensor& prediction, const Tensor& target, Reduction reduction) {
  broadcast_shapes(prediction.shape(), target.shape(), "mse_loss");  // the error names the loss
  const Tensor d = prediction - target;
  return apply_reduction(d * d, reduction);
}

Tensor l1_loss(const Tensor& prediction, const Tensor& target, Reduction reduction) {
  broadcast_shapes(prediction.shape(), target.shape(), "l1_loss");
  return apply_reduction(abs(prediction - target), reduction);
}

// |d| < beta: 0.5 d^2 / beta (gradient d / beta), else |d| - 0.5 beta (gradient sign(d)): the two
// pieces meet with equal value and slope at |d| = beta.
Tensor smooth_l1_loss(const Tensor& prediction, const Tensor& target, Reduction reduction,
                      double beta) {
  KINDLING_CHECK(beta >= 0.0, "smooth_l1_loss: beta must be >= 0, got ", beta);
  broadcast_shapes(prediction.shape(), target.shape(), "smooth_l1_loss");
  if (beta == 0.0) return l1_loss(prediction, target, reduction);
  const Tensor d = prediction - target;
  const Tensor a = abs(d);
  const Tensor terms = where(a < beta, d * d * (0.5 / beta), a - 0.5 * beta);
  return apply_reduction(terms, reduction);
}

Tensor nll_loss(const Tensor& log_probs, const Tensor& target, Reduction reduction) {
  const ClassRows c = class_rows("nll_loss", log_probs, target);
  const std::int64_t classes = c.rows.size(1);
  // Checked on the host (a copy of the targets, whatever their device), so a bad class is an
  // error naming it rather than an out-of-range read.
  if (c.targets.numel() > 0) {
    const std::vector<std::int64_t> classes_given = c.targets.to_vector<std::int64_t>();
    const auto [low, high] = std::minmax_element(classes_given.begin(), classes_given.end());
    KINDLING_CHECK(*low >= 0 && *high < classes, "nll_loss: target ", *low < 0 ? *low : *high,
                   " is outside 0..", classes - 1, " (", classes, " classes)");
  }
  const Tensor picked = gather(c.rows, 1, unsqueeze(c.targets, 1));  // (M, 1)
  return apply_reduction(neg(reshape(picked, c.shape)), reduction);
}

Tensor binary_cross_entropy(const Tensor& probabilities, const Tensor& target,
                            Reduction reduction) {
  check_same("binary_cross_entropy", probabilities, target);
  KINDLING_CHECK(is_floating(probabilities.dtype()),
                 "binary_cross_entropy: the input must be floating-point, got ",
                 dtype_name(probabilities.dtype()));
  if (probabilities.numel() > 0) {
    const no_grad guard;
    const bool inside =  // NaN is outside
        all(logical_and(probabilities >= 0.0, probabilities <= 1.0)).item() != 0.0;
    KINDLING_CHECK(inside,
                   "binary_cross_entropy: every input must be a probability in [0, 1] "
                   "(apply sigmoid first, or use binary_cross_entropy_with_logits)");
  }
  // torch clamps each log at -100, so a probability of exactly 0 or 1 costs at most 100.
  const Tensor log_p = clamp(log(probabilities), -100.0, std::numeric_limits<double>::infinity());
  const Tensor log_q =
      clamp(log(1.0 - probabilities), -100.0, std::numeric_limits<double>::infinity());
  return apply_reduction(neg(target * log_p + (1.0 - target) * log_q), reduction);
}

namespace {
// KL terms: target (log target - input), 0 where target is 0 (the limit t log t -> 0), written
// so that no branch computes log 0 (where's backward would multiply its infinity by 0).
Tensor kl_terms(const Tensor& input, const Tensor& target, bool log_target) {
  if (log_target) return exp(target) * (target - input);
  const Tensor positive = target > 0.0;
  const Tensor safe = where(positive, target, 1.0);
  return where(positive, target * (log(safe) - input), 0.0);
}
}  // namespace

Tensor kl_div(const Tensor& input, const Tensor& target, Reduction reduction, bool log_target) {
  return apply_reduction(kl_terms(input, target, log_target), reduction);
}

Tensor kl_div_batchmean(const Tensor& input, const Tensor& target, bool log_target) {
  const Tensor total = sum(kl_terms(input, target, log_target));
  return input.dim() == 0 ? total : total / static_cast<double>(input.size(0));
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
