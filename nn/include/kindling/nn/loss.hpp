// Losses, as in torch.nn.functional, built from tensor ops (their gradients come with them).
// `reduction` is kindling::Reduction (none, mean, sum); mean is the default everywhere.
#pragma once

#include "kindling/tensor/ops.hpp"
#include "kindling/tensor/tensor.hpp"

namespace kindling::nn {

// mean((prediction - target)^2); shapes broadcast.
Tensor mse_loss(const Tensor& prediction, const Tensor& target,
                Reduction reduction = Reduction::mean);
// mean(|prediction - target|).
Tensor l1_loss(const Tensor& prediction, const Tensor& target,
               Reduction reduction = Reduction::mean);
// cross_entropy(logits, target, reduction = mean, label_smoothing = 0): the tensor library's one
// function (kindling/tensor/ops.hpp), so that it is the same under `using namespace kindling` and
// `using namespace kindling::nn` together.
using kindling::cross_entropy;
// log_probs (N, C) (e.g. from log_softmax), target (N,) int64: -log_probs[i, target_i].
Tensor nll_loss(const Tensor& log_probs, const Tensor& target,
                Reduction reduction = Reduction::mean);
// Binary cross-entropy on logits, targets in [0, 1] of the logits' shape, computed stably as
// max(x, 0) - x y + log(1 + exp(-|x|)).
Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target,
                                        Reduction reduction = Reduction::mean);
// The SVM hinge loss max(0, margin - y s) for scores s and labels y in {-1, +1}.
Tensor hinge_loss(const Tensor& scores, const Tensor& labels, double margin = 1.0,
                  Reduction reduction = Reduction::mean);

}  // namespace kindling::nn
