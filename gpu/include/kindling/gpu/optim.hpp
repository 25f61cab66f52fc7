// Fused optimizer steps for CUDA tensors: one kernel per parameter updates the parameter and its
// state in place, instead of the handful of elementwise launches the same update takes as tensor
// ops. nn/'s optimizers call these for parameters on a CUDA device.
//
// The formulas are PyTorch's (torch.optim.AdamW and torch.optim.SGD, default flags), so a CPU
// optimizer written the same way is the CPU twin (the tests compare against a host loop).
#pragma once

#include <cstdint>

#include "kindling/tensor/tensor.hpp"

namespace kindling::gpu {

struct AdamWOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 1e-2;
};

// One AdamW step at step number `step` (1 for the first step; it sets the bias corrections):
//   param *= 1 - lr * weight_decay
//   exp_avg    = beta1 * exp_avg    + (1 - beta1) * grad
//   exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * grad^2
//   param -= lr * (exp_avg / (1 - beta1^step)) / (sqrt(exp_avg_sq / (1 - beta2^step)) + eps)
// param, exp_avg and exp_avg_sq are updated in place; all four are contiguous, of one shape and
// one floating dtype, on one CUDA device (checked: kindling::error otherwise).
void adamw_step(const Tensor& param, const Tensor& grad, const Tensor& exp_avg,
                const Tensor& exp_avg_sq, const AdamWOptions& options, std::int64_t step);

struct SgdOptions {
  double lr = 1e-2;
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;
};

// One SGD step: d = grad + weight_decay * param; with momentum, buf = d on the first step
// (first_step) and momentum * buf + (1 - dampening) * d after, and d = nesterov ?
// d + momentum * buf : buf; then param -= lr * d. momentum_buffer is only read and written when
// momentum != 0 (pass an undefined Tensor otherwise).
void sgd_step(const Tensor& param, const Tensor& grad, const Tensor& momentum_buffer,
              const SgdOptions& options, bool first_step);

}  // namespace kindling::gpu
