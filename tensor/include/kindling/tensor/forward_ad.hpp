// Forward-mode automatic differentiation, as torch.autograd.forward_ad: a tensor carries a tangent
// beside its value, and every op computes its result's tangent from its inputs' tangents as it
// runs (each primitive's jvp rule, Note [forward mode]).
//
//   namespace fwd = kindling::autograd::forward_ad;
//   {
//     const fwd::dual_level level;
//     const Tensor x = fwd::make_dual(primal, direction);
//     const Tensor y = f(x);
//     const Tensor dy = fwd::unpack_dual(y).tangent;  // J_f(primal) @ direction
//   }
//
// One forward pass gives the derivative along one direction, whatever the number of outputs:
// the cheap mode for functions with few inputs and many outputs (reverse mode is the cheap one
// for many inputs and one output, a loss).
#pragma once

#include "kindling/tensor/tensor.hpp"

namespace kindling::autograd::forward_ad {

/// A forward-mode level, as torch.autograd.forward_ad.dual_level: while one is alive on this
/// thread, ops propagate tangents; when it ends, every tangent made under it is dropped. One
/// level at a time (a second one on the same thread throws), as PyTorch 1.13 allows.
/// @code
/// namespace fwd = kindling::autograd::forward_ad;
/// const kindling::Tensor x = kindling::tensor({0.5, 1.0, 2.0});
/// const kindling::Tensor v = kindling::tensor({1.0, 0.0, 0.0});  // the direction
/// {
///   const fwd::dual_level level;
///   const kindling::Tensor y = kindling::exp(fwd::make_dual(x, v)) * 2.0;
///   const kindling::Tensor dy = fwd::unpack_dual(y).tangent;  // 2 exp(x) v: (3.2974, 0, 0)
/// }
/// @endcode
class dual_level {
 public:
  /// Opens the level on this thread.
  /// @throws kindling::error when a dual_level is already alive on this thread.
  dual_level();
  /// Closes the level, dropping every tangent made under it.
  ~dual_level();
  dual_level(const dual_level&) = delete;
  dual_level& operator=(const dual_level&) = delete;
};

/// Whether a dual_level is alive on this thread.
bool is_forward_ad_enabled() noexcept;

/// A dual tensor, as torch.autograd.forward_ad.make_dual: primal's values carrying `tangent`,
/// the direction that ops run under the level carry forward. The result is a view of primal
/// (same storage, recorded as a view when primal requires grad, so reverse mode still reaches
/// primal); primal itself carries no tangent.
/// @param primal A floating-point tensor.
/// @param tangent Of primal's shape, dtype and device.
/// @throws kindling::error outside a dual_level, for an undefined primal or tangent, a primal
///         that is not floating-point, or a tangent of another shape, dtype or device.
Tensor make_dual(const Tensor& primal, const Tensor& tangent);

/// What unpack_dual returns, as torch's UnpackedDualTensor (primal, tangent).
struct UnpackedDual {
  Tensor primal;   ///< The tensor itself.
  Tensor tangent;  ///< Its tangent; undefined when it carries none.
};
/// A tensor and its tangent, as torch.autograd.forward_ad.unpack_dual. The tangent is undefined
/// when the tensor does not depend on a dual tensor, has an integer or bool dtype, or was not
/// made under the dual_level alive now (a level's tangents are dropped when it ends); outside a
/// level it is always undefined.
/// @throws kindling::error for an undefined tensor.
UnpackedDual unpack_dual(const Tensor& tensor);

}  // namespace kindling::autograd::forward_ad

namespace kindling::testing {
/// How many times op's jvp rule has run in this process (all threads): the op table's test checks
/// that it ran every primitive's rule.
std::uint64_t jvp_rule_calls(TensorOp op) noexcept;
}  // namespace kindling::testing
