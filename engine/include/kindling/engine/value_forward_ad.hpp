// Forward mode for Values, as torch.autograd.forward_ad and the tensor engine's
// kindling/tensor/forward_ad.hpp: a Value carries a tangent beside its data, and every op computes
// its result's tangent from its inputs' tangents as it runs.
//
//   {
//     const kindling::autograd::forward_ad::value_dual_level level;
//     const Value x = forward_ad::make_dual(Value(0.5), 1.0);   // dx = 1
//     const Value y = x * x.exp();
//     const double dy = *forward_ad::unpack_dual(y).tangent;     // (1 + x) e^x = 2.47...
//   }
//
// Note [scalar forward mode]
// True forward mode: one pass computes the derivative along one direction, the tangents riding
// with the values; nothing is recorded for it and no backward runs (it works under no_grad too).
//   The rules: each row of KINDLING_VALUE_OPS has a jvp(c, i, t) beside its forward and backward
// in engine/src/value.cpp: the tangent input i's tangent t gives the result c. A scalar op's local
// derivative is a number, so the jvp is the row's own derivative formula applied to t, where the
// backward applies it to the upstream gradient: the same masks (relu at a <= 0, a^0), the same
// divisions (div, log), so tangents meet special values as reverse mode's gradients do. A result's
// tangent is the sum of the terms of the inputs that carry one (an input without a tangent adds
// nothing, not 0 times its derivative, which could be NaN), as PyTorch's forward AD.
//   Where: while a level is alive, make_result (every op's result) takes its slow path, the one
// anomaly mode takes: one thread-local byte tests both, so the ops' fast path is what it was.
//   Storage: a tangent lives in the node's ValueExtras with the id of its level, so it is freed
// with its node, and a level's end drops every tangent made under it (their ids no longer match).
// Tangents are numbers, not Values: reverse-over-forward is not supported for Values.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "kindling/engine/value.hpp"

namespace kindling::autograd::forward_ad {

/// An RAII guard for forward mode on Values, torch.autograd.forward_ad.dual_level: while one is
/// alive on this thread, Value ops propagate tangents; when it ends, every tangent made under it
/// is dropped. One level at a time, as PyTorch 1.13 allows. Independent of the tensor engine's
/// dual_level.
/// @code
/// namespace fwad = kindling::autograd::forward_ad;
/// {
///   const fwad::value_dual_level level;
///   const kindling::Value x = fwad::make_dual(kindling::Value(0.5), 1.0);  // dx = 1
///   const kindling::Value y = x * x.exp();
///   const double dy = *fwad::unpack_dual(y).tangent;  // (1 + x) e^x = 2.47...
/// }
/// @endcode
class value_dual_level {
 public:
  /// Opens the level.
  /// @throws kindling::error when a level is already alive on this thread.
  value_dual_level();
  /// Closes the level, dropping its tangents.
  ~value_dual_level();
  value_dual_level(const value_dual_level&) = delete;
  value_dual_level& operator=(const value_dual_level&) = delete;
};

/// Whether a value_dual_level is alive on this thread.
bool is_value_forward_ad_enabled() noexcept;

/// A new leaf with primal's data and label carrying `tangent`: as make_dual(primal.detach(), ...)
/// in PyTorch (a Value graph is never a view), so backward() through the dual stops at it.
/// @throws kindling::error outside a value_dual_level, or for an empty (moved-from) primal.
Value make_dual(const Value& primal, double tangent);

/// What unpack_dual returns: torch's UnpackedDualTensor for a Value.
struct UnpackedValueDual {
  Value primal;                   ///< The Value itself.
  std::optional<double> tangent;  ///< nullopt when it carries none (it depends on no dual).
};
/// The Value and its tangent at the current level (none outside a level), as
/// torch.autograd.forward_ad.unpack_dual.
/// @throws kindling::error for an empty (moved-from) Value.
UnpackedValueDual unpack_dual(const Value& value);

}  // namespace kindling::autograd::forward_ad

namespace kindling::autograd::functional {

/// What jvp returns: func(inputs) and J v, one tangent per output.
struct ValueOutputsAndTangents {
  std::vector<Value> outputs;    ///< func(inputs), computed on the duals.
  std::vector<double> tangents;  ///< d(outputs[k]) along v; 0 where an output uses no input.
};
/// A function of Values that jvp differentiates.
using ValueFunction = std::function<std::vector<Value>(const std::vector<Value>&)>;
/// (func(inputs), J v) for Values, as the tensor engine's functional::jvp and
/// torch.autograd.functional.jvp: one forward pass under its own value_dual_level, each input's
/// dual carrying v[i] (v empty: 1 for a single input). A tangent is 0 for an output that depends
/// on no input.
/// @code
/// auto f = [](const std::vector<kindling::Value>& in) -> std::vector<kindling::Value> {
///   return {in[0] * in[1]};
/// };
/// auto [outputs, tangents] =
///     kindling::autograd::functional::jvp(f, {kindling::Value(2.0), kindling::Value(3.0)},
///                                         {1.0, 0.0});  // tangents[0] == 3: d(xy)/dx
/// @endcode
/// @throws kindling::error when func is empty, when v is empty for more than one input, when
///   v and inputs differ in size, when func returns an empty Value, or when a value_dual_level
///   is already alive on this thread.
ValueOutputsAndTangents jvp(const ValueFunction& func, const std::vector<Value>& inputs,
                            const std::vector<double>& v = {});

}  // namespace kindling::autograd::functional

namespace kindling::testing {
/// How many times op's jvp rule has run in this process (all threads): the op table's test checks
/// that it ran every row's rule.
std::uint64_t value_jvp_rule_calls(ValueOp op) noexcept;
}  // namespace kindling::testing
