// Fused optimizer steps per device: the plug-in point for device kernels.
//
// Note [fused optimizer steps]
// An optimizer step is one pass over each parameter that reads the gradient and the state and
// writes the parameter and the state in place. Written with tensor ops it would make several
// temporaries per parameter per step; as one loop it is memory-bound and a fraction of the time.
// Each device may register an OptimizerKernels table (the CPU one is built into nn/; the gpu
// module can register CUDA ones). An entry that is null, or a tensor that is not contiguous,
// falls back to the same update written with tensor ops (each optimizer's update() in
// nn/src/optim.cpp), which runs on any device that registered the tensor kernels and is the
// reference the fused loops are tested against. All views are contiguous, of one dtype (float32 or
// float64) and of one shape.
#pragma once

#include <cstdint>

#include "kindling/tensor/kernels.hpp"

namespace kindling::nn {

struct SgdHyper {
  double lr, momentum, dampening, weight_decay;
  bool nesterov;
  bool first_step;  // the momentum buffer starts as the gradient, as in PyTorch
};

struct AdamHyper {
  double lr, beta1, beta2, eps, weight_decay;
  std::int64_t step;  // 1 on the first update (for the bias corrections)
  bool decoupled;     // AdamW: p *= 1 - lr * wd instead of adding wd * p to the gradient
};

struct RmspropHyper {
  double lr, alpha, eps, weight_decay, momentum;
  bool centered;
};

using kernels::StridedView;

// The four tensors of one parameter's Adam step.
struct AdamTensors {
  StridedView param, grad, exp_avg, exp_avg_sq;
};

struct OptimizerKernels {
  // buf is unused (may be empty) when momentum == 0.
  void (*sgd)(const StridedView& param, const StridedView& grad, const StridedView& buf,
              const SgdHyper& h) = nullptr;
  void (*adam)(const StridedView& param, const StridedView& grad, const StridedView& exp_avg,
               const StridedView& exp_avg_sq, const AdamHyper& h) = nullptr;
  // buf is unused when momentum == 0, grad_avg unless centered.
  void (*rmsprop)(const StridedView& param, const StridedView& grad, const StridedView& square_avg,
                  const StridedView& buf, const StridedView& grad_avg,
                  const RmspropHyper& h) = nullptr;
  // Optional: the Adam step of several parameters of one dtype at once, which a GPU does in one
  // launch instead of one per parameter (a small-batch step is launch-bound). Null: Adam calls
  // `adam` per parameter.
  void (*adam_multi)(const AdamTensors* tensors, std::size_t count, const AdamHyper& h) = nullptr;
};

// Registers (or replaces; null removes) the table for a device type; it must outlive its use.
void register_optimizer_kernels(DeviceType type, const OptimizerKernels* table) noexcept;
// The table for a device type, or null.
const OptimizerKernels* optimizer_kernels(DeviceType type) noexcept;
// The built-in CPU table.
const OptimizerKernels& cpu_optimizer_kernels() noexcept;

}  // namespace kindling::nn
