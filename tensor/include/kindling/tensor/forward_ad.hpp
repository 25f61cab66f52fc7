// Forward-mode automatic differentiation, as torch.autograd.forward_ad: a tensor carries a tangent
// beside its value, and every op computes its result's tangent from its inputs' tangents as it
// runs (each primitive's jvp rule, Note [forward mode]).
//
//   {
//     const kindling::autograd::forward_ad::dual_level level;
//     const Tensor x = forward_ad::make_dual(primal, direction);
//     const Tensor y = f(x);
//     const Tensor dy = forward_ad::unpack_dual(y).tangent;  // J_f(primal) @ direction
//   }
//
// One forward pass gives the derivative along one direction, whatever the number of outputs:
// the cheap mode for functions with few inputs and many outputs (reverse mode is the cheap one
// for many inputs and one output, a loss).
#pragma once

#include "kindling/tensor/tensor.hpp"

namespace kindling::autograd::forward_ad {

// While one is alive on this thread, ops propagate tangents; when it ends, every tangent made
// under it is dropped. One level at a time (a second one on the same thread throws), as PyTorch
// 1.13 allows.
class dual_level {
 public:
  dual_level();
  ~dual_level();
  dual_level(const dual_level&) = delete;
  dual_level& operator=(const dual_level&) = delete;
};

// Whether a dual_level is alive on this thread.
bool is_forward_ad_enabled() noexcept;

// A tensor with primal's values (a view: same storage, recorded as a view when primal requires
// grad) carrying `tangent`, which must have primal's shape, dtype and device, both floating.
// Throws kindling::error outside a dual_level.
Tensor make_dual(const Tensor& primal, const Tensor& tangent);

struct UnpackedDual {
  Tensor primal;   // the tensor itself
  Tensor tangent;  // undefined when the tensor carries none (it does not depend on a dual)
};
UnpackedDual unpack_dual(const Tensor& tensor);

}  // namespace kindling::autograd::forward_ad

namespace kindling::testing {
// How many times op's jvp rule has run in this process (all threads): the op table's test checks
// that it ran every primitive's rule.
std::uint64_t jvp_rule_calls(TensorOp op) noexcept;
}  // namespace kindling::testing
