// Losses, as in torch.nn.functional, built from tensor ops (their gradients come with them).
// `reduction` is kindling::Reduction (none, mean, sum); mean is the default everywhere.
#pragma once

#include "kindling/tensor/ops.hpp"
#include "kindling/tensor/tensor.hpp"

namespace kindling::nn {

// mean((prediction - target)^2). The shapes broadcast, as torch's (which also warns when they
// differ: kindling.nn.functional.mse_loss does, C++ has no warning channel).
Tensor mse_loss(const Tensor& prediction, const Tensor& target,
                Reduction reduction = Reduction::mean);
// mean(|prediction - target|); the shapes broadcast, as mse_loss's.
Tensor l1_loss(const Tensor& prediction, const Tensor& target,
               Reduction reduction = Reduction::mean);
// Huber-like: 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (d = prediction - target;
// beta 0 is l1_loss), as torch.nn.functional.smooth_l1_loss. The shapes broadcast.
Tensor smooth_l1_loss(const Tensor& prediction, const Tensor& target,
                      Reduction reduction = Reduction::mean, double beta = 1.0);
// cross_entropy(logits, target, reduction = mean, label_smoothing = 0): the tensor library's one
// function (kindling/tensor/ops.hpp), so that it is the same under `using namespace kindling` and
// `using namespace kindling::nn` together. Logits (N, C) with targets (N,), (C,) with a 0-d
// target, or (N, C, d1, ...) with targets (N, d1, ...), as torch's.
using kindling::cross_entropy;
// -log_probs[target], e.g. on log_softmax's output, in torch's shapes: (N, C) with targets (N,),
// (C,) with a 0-d target, (N, C, d1, ...) with targets (N, d1, ...). int64 targets in [0, C).
// The mean is over every target.
Tensor nll_loss(const Tensor& log_probs, const Tensor& target,
                Reduction reduction = Reduction::mean);
// Binary cross-entropy on probabilities in [0, 1] (e.g. sigmoid's output) and targets of the same
// shape: -(y log x + (1 - y) log(1 - x)), each log clamped to >= -100 as torch does, so x = 0
// or 1 gives a finite loss. An input outside [0, 1] (or NaN) is an error.
Tensor binary_cross_entropy(const Tensor& probabilities, const Tensor& target,
                            Reduction reduction = Reduction::mean);
// KL divergence as torch.nn.functional.kl_div: `input` holds log-probabilities, `target`
// probabilities (or log-probabilities with log_target): terms target (log target - input), 0
// where target is 0. Reduction::mean averages over every element, as torch's "mean";
// kl_div_batchmean is torch's reduction="batchmean" (the sum over the batch size, the true KL).
Tensor kl_div(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean,
              bool log_target = false);
Tensor kl_div_batchmean(const Tensor& input, const Tensor& target, bool log_target = false);
// Binary cross-entropy on logits, targets in [0, 1] of the logits' shape, computed stably as
// max(x, 0) - x y + log(1 + exp(-|x|)).
Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target,
                                        Reduction reduction = Reduction::mean);
// The SVM hinge loss max(0, margin - y s) for scores s and labels y in {-1, +1}.
Tensor hinge_loss(const Tensor& scores, const Tensor& labels, double margin = 1.0,
                  Reduction reduction = Reduction::mean);

// The losses as objects, as torch.nn's loss modules: options at construction, then
// loss(input, target).
struct CrossEntropyLoss {
  Reduction reduction = Reduction::mean;
  double label_smoothing = 0.0;
  Tensor operator()(const Tensor& logits, const Tensor& target) const {
    return cross_entropy(logits, target, reduction, label_smoothing);
  }
};
struct NLLLoss {
  Reduction reduction = Reduction::mean;
  Tensor operator()(const Tensor& log_probs, const Tensor& target) const {
    return nll_loss(log_probs, target, reduction);
  }
};
struct MSELoss {
  Reduction reduction = Reduction::mean;
  Tensor operator()(const Tensor& prediction, const Tensor& target) const {
    return mse_loss(prediction, target, reduction);
  }
};
struct L1Loss {
  Reduction reduction = Reduction::mean;
  Tensor operator()(const Tensor& prediction, const Tensor& target) const {
    return l1_loss(prediction, target, reduction);
  }
};
struct BCELoss {
  Reduction reduction = Reduction::mean;
  Tensor operator()(const Tensor& probabilities, const Tensor& target) const {
    return binary_cross_entropy(probabilities, target, reduction);
  }
};
struct BCEWithLogitsLoss {
  Reduction reduction = Reduction::mean;
  Tensor operator()(const Tensor& logits, const Tensor& target) const {
    return binary_cross_entropy_with_logits(logits, target, reduction);
  }
};

}  // namespace kindling::nn
