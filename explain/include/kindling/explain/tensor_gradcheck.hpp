// gradcheck: compares the gradients backward() computes with central finite differences, as
// PyTorch's torch.autograd.gradcheck does (which exists only in Python there); gradgradcheck does
// the same for the second derivatives a create_graph backward gives (torch's gradgradcheck).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "kindling/tensor/tensor.hpp"

namespace kindling {

struct GradcheckOptions {
  double eps = 1e-6;   // the finite-difference step
  double atol = 1e-5;  // |analytic - numeric| <= atol + rtol * |numeric|, elementwise
  double rtol = 1e-3;
};

struct GradcheckResult {
  bool ok = true;
  double max_error = 0.0;  // the largest |analytic - numeric| seen
  std::string message;     // the first mismatch: input, element, both values
};

// Checks d(fn)/d(input) for every input that requires grad. The inputs should be float64 CPU
// tensors that do not overlap in memory (no expanded views). fn may return any shape: the check
// runs on sum(fn(inputs) * w) for fixed pseudo-random weights w, which any wrong Jacobian entry
// shows up in. The inputs' grads are overwritten with the analytic gradients.
GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                          const std::vector<Tensor>& inputs, const GradcheckOptions& options = {});

// Checks the derivatives of the gradient (Note [create_graph] in tensor/src/autograd.cpp). With
// y = fn(inputs), a grad_output w for y that itself requires grad, and fixed pseudo-random v_j,
// the scalar s = sum_j <v_j, d<w, y>/dx_j> (the first-order gradients, from kindling::grad) is
// differentiated with respect to every input that requires grad and to w: once by a second
// grad() through the graph the first one recorded with create_graph, once by central differences
// of s itself (each difference a first-order grad() without create_graph). Checking w too shows
// that each backward is differentiable in its upstream gradient g, not only in its inputs. The
// same input rules as gradcheck; the inputs' grads are not touched. A mismatch's message numbers
// the inputs that require grad in order, w last.
GradcheckResult gradgradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                              const std::vector<Tensor>& inputs,
                              const GradcheckOptions& options = {});

}  // namespace kindling
