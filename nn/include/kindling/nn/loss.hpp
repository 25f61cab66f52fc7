// Losses, as in torch.nn.functional, built from tensor ops (their gradients come with them).
// `reduction` is kindling::Reduction (none, mean, sum); mean is the default everywhere.
#pragma once

#include "kindling/tensor/ops.hpp"
#include "kindling/tensor/tensor.hpp"

namespace kindling::nn {

/// mean((prediction - target)^2), as torch.nn.functional.mse_loss. The shapes broadcast, as
/// torch's (which also warns when they differ: kindling.nn.functional.mse_loss does, C++ has no
/// warning channel). With Reduction::none, the terms in the broadcast shape.
/// @throws kindling::error (naming mse_loss) when the shapes do not broadcast.
Tensor mse_loss(const Tensor& prediction, const Tensor& target,
                Reduction reduction = Reduction::mean);
/// mean(|prediction - target|), as torch.nn.functional.l1_loss; the shapes broadcast, as
/// mse_loss's.
/// @throws kindling::error when the shapes do not broadcast.
Tensor l1_loss(const Tensor& prediction, const Tensor& target,
               Reduction reduction = Reduction::mean);
/// Huber-like: 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (d = prediction - target;
/// beta 0 is l1_loss), as torch.nn.functional.smooth_l1_loss. The shapes broadcast.
/// @throws kindling::error when beta < 0 or the shapes do not broadcast.
Tensor smooth_l1_loss(const Tensor& prediction, const Tensor& target,
                      Reduction reduction = Reduction::mean, double beta = 1.0);
/// cross_entropy(logits, target, reduction = mean, label_smoothing = 0): the tensor library's one
/// function (kindling/tensor/ops.hpp), so that it is the same under `using namespace kindling` and
/// `using namespace kindling::nn` together. Logits (N, C) with targets (N,), (C,) with a 0-d
/// target, or (N, C, d1, ...) with targets (N, d1, ...), as torch's; no class weights or
/// ignore_index.
using kindling::cross_entropy;
/// -log_probs[target], e.g. on log_softmax's output, as torch.nn.functional.nll_loss, in torch's
/// shapes: (N, C) with targets (N,), (C,) with a 0-d target, (N, C, d1, ...) with targets
/// (N, d1, ...). int64 targets in [0, C). The mean is over every target; no class weights or
/// ignore_index. With Reduction::none, the terms in the targets' shape.
/// @throws kindling::error for targets that are not int64, shapes that do not pair up as above,
///   or a target outside [0, C) (checked on a host copy, naming it).
Tensor nll_loss(const Tensor& log_probs, const Tensor& target,
                Reduction reduction = Reduction::mean);
/// Binary cross-entropy on probabilities in [0, 1] (e.g. sigmoid's output) and targets of the same
/// shape: -(y log x + (1 - y) log(1 - x)), each log clamped to >= -100 as torch does, so x = 0
/// or 1 gives a finite loss. torch.nn.functional.binary_cross_entropy, without weights.
/// @throws kindling::error when the shapes differ, the input is not floating-point, or an input
///   is outside [0, 1] (or NaN).
Tensor binary_cross_entropy(const Tensor& probabilities, const Tensor& target,
                            Reduction reduction = Reduction::mean);
/// KL divergence as torch.nn.functional.kl_div: `input` holds log-probabilities, `target`
/// probabilities (or log-probabilities with log_target): terms target (log target - input), 0
/// where target is 0. Reduction::mean averages over every element, as torch's "mean";
/// kl_div_batchmean is torch's reduction="batchmean" (the sum over the batch size, the true KL).
/// The shapes broadcast.
Tensor kl_div(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean,
              bool log_target = false);
/// kl_div summed and divided by input.size(0), torch's reduction="batchmean" (the sum itself for
/// a 0-d input).
Tensor kl_div_batchmean(const Tensor& input, const Tensor& target, bool log_target = false);
/// Binary cross-entropy on logits, targets in [0, 1] of the logits' shape, computed stably as
/// max(x, 0) - x y + log(1 + exp(-|x|)), as torch.nn.functional.binary_cross_entropy_with_logits
/// (without weight or pos_weight). Its gradient is sigmoid(x) - y everywhere, at x = 0 too.
/// @throws kindling::error when the shapes differ.
Tensor binary_cross_entropy_with_logits(const Tensor& logits, const Tensor& target,
                                        Reduction reduction = Reduction::mean);
/// The SVM hinge loss max(0, margin - y s) for scores s and labels y in {-1, +1} of the same
/// shape. No torch.nn.functional twin (torch's hinge_embedding_loss is another loss).
/// @throws kindling::error when the shapes differ.
Tensor hinge_loss(const Tensor& scores, const Tensor& labels, double margin = 1.0,
                  Reduction reduction = Reduction::mean);

// The losses as objects, as torch.nn's loss modules: options at construction, then
// loss(input, target). They are plain structs, not Modules.

/// torch.nn.CrossEntropyLoss: cross_entropy with the options given at construction.
/// @code
/// kindling::nn::CrossEntropyLoss criterion{.label_smoothing = 0.1};
/// kindling::Tensor loss = criterion(logits, targets);  // logits (N, C), targets (N,) int64
/// loss.backward();
/// @endcode
struct CrossEntropyLoss {
  Reduction reduction = Reduction::mean;  ///< none, mean (the default) or sum.
  double label_smoothing = 0.0;           ///< In [0, 1]: the target is (1 - e) one_hot + e / C.
  /// cross_entropy(logits, target, reduction, label_smoothing).
  Tensor operator()(const Tensor& logits, const Tensor& target) const {
    return cross_entropy(logits, target, reduction, label_smoothing);
  }
};
/// torch.nn.NLLLoss: nll_loss with the reduction given at construction.
struct NLLLoss {
  Reduction reduction = Reduction::mean;  ///< none, mean (the default) or sum.
  /// nll_loss(log_probs, target, reduction).
  Tensor operator()(const Tensor& log_probs, const Tensor& target) const {
    return nll_loss(log_probs, target, reduction);
  }
};
/// torch.nn.MSELoss: mse_loss with the reduction given at construction.
struct MSELoss {
  Reduction reduction = Reduction::mean;  ///< none, mean (the default) or sum.
  /// mse_loss(prediction, target, reduction).
  Tensor operator()(const Tensor& prediction, const Tensor& target) const {
    return mse_loss(prediction, target, reduction);
  }
};
/// torch.nn.L1Loss: l1_loss with the reduction given at construction.
struct L1Loss {
  Reduction reduction = Reduction::mean;  ///< none, mean (the default) or sum.
  /// l1_loss(prediction, target, reduction).
  Tensor operator()(const Tensor& prediction, const Tensor& target) const {
    return l1_loss(prediction, target, reduction);
  }
};
/// torch.nn.BCELoss: binary_cross_entropy with the reduction given at construction.
struct BCELoss {
  Reduction reduction = Reduction::mean;  ///< none, mean (the default) or sum.
  /// binary_cross_entropy(probabilities, target, reduction).
  Tensor operator()(const Tensor& probabilities, const Tensor& target) const {
    return binary_cross_entropy(probabilities, target, reduction);
  }
};
/// torch.nn.BCEWithLogitsLoss: binary_cross_entropy_with_logits with the reduction given at
/// construction (no weight or pos_weight).
struct BCEWithLogitsLoss {
  Reduction reduction = Reduction::mean;  ///< none, mean (the default) or sum.
  /// binary_cross_entropy_with_logits(logits, target, reduction).
  Tensor operator()(const Tensor& logits, const Tensor& target) const {
    return binary_cross_entropy_with_logits(logits, target, reduction);
  }
};

}  // namespace kindling::nn
