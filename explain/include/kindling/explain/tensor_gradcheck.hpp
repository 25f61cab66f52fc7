// gradcheck: compares the gradients backward() computes with central finite differences, as
// PyTorch's torch.autograd.gradcheck does (which exists only in Python there); gradgradcheck does
// the same for the second derivatives a create_graph backward gives (torch's gradgradcheck).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "kindling/tensor/tensor.hpp"

namespace kindling {

/// The tolerances of gradcheck() and gradgradcheck(), with torch.autograd.gradcheck's defaults.
struct GradcheckOptions {
  double eps = 1e-6;   ///< The finite-difference step.
  double atol = 1e-5;  ///< Absolute tolerance: `|analytic - numeric| <= atol + rtol * |numeric|`.
  double rtol = 1e-3;  ///< Relative tolerance, elementwise as above.
};

/// What gradcheck() or gradgradcheck() found. Unlike torch's, the check returns its verdict
/// instead of raising on a mismatch.
struct GradcheckResult {
  bool ok = true;          ///< True when every element was within the tolerances.
  double max_error = 0.0;  ///< The largest `|analytic - numeric|` seen.
  /// The first mismatch, `input 0 element 3: analytic ..., numeric ...`; empty when ok.
  std::string message;
};

/// Checks d(fn)/d(input) for every input that requires grad. The inputs should be float64 CPU
/// tensors that do not overlap in memory (no expanded views). fn may return any shape: the check
/// runs on sum(fn(inputs) * w) for fixed pseudo-random weights w, which any wrong Jacobian entry
/// shows up in. The inputs' grads are overwritten with the analytic gradients; each element is
/// nudged in place by +-eps and restored, a write its version counter counts. A mismatch's
/// message numbers the input by its place in `inputs`.
/// @param fn the function checked; called once, then twice per element of every input that
///   requires grad.
/// @param inputs its arguments; only those that require grad are checked.
/// @param options the step and the tolerances.
/// @throws kindling::error when an input that requires grad is not a float64 CPU tensor or has a
///   stride-0 (expanded) dimension, or when fn's output does not require grad.
/// @code
/// kindling::Generator gen(0);
/// kindling::Tensor x = kindling::randn({2, 3}, gen, kindling::DType::float64).set_requires_grad();
/// const kindling::GradcheckResult r = kindling::gradcheck(
///     [](const std::vector<kindling::Tensor>& in) { return kindling::tanh(in[0]); }, {x});
/// // r.ok; otherwise r.message names the first element that disagrees
/// @endcode
GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                          const std::vector<Tensor>& inputs, const GradcheckOptions& options = {});

/// Checks the derivatives of the gradient (Note [create_graph] in tensor/src/autograd.cpp). With
/// `y = fn(inputs)`, a grad_output w for y that itself requires grad, and fixed pseudo-random
/// `v_j`, the scalar `s = sum_j <v_j, d<w, y>/dx_j>` (the first-order gradients, from
/// kindling::grad) is differentiated with respect to every input that requires grad and to w:
/// once by a second grad() through the graph the first one recorded with create_graph, once by
/// central differences of s itself (each difference a first-order grad() without create_graph).
/// Checking w too shows that each backward is differentiable in its upstream gradient g, not only
/// in its inputs. The same input rules as gradcheck; the inputs' grads are not touched. A
/// mismatch's message numbers the inputs that require grad in order, w last.
/// @throws kindling::error as gradcheck() does, and when no input requires grad.
/// @code
/// // x: a float64 CPU tensor that requires grad, as for gradcheck()
/// const kindling::GradcheckResult r = kindling::gradgradcheck(
///     [](const std::vector<kindling::Tensor>& in) { return kindling::tanh(in[0]); }, {x});
/// @endcode
GradcheckResult gradgradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                              const std::vector<Tensor>& inputs,
                              const GradcheckOptions& options = {});

}  // namespace kindling
