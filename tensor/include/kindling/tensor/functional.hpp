// Functional transforms, as torch.autograd.functional: derivatives of a function of tensors,
// rather than of a graph already built. Each runs the function on fresh inputs of its own, so the
// caller's tensors and their .grad are left as they were.
//
//   using namespace kindling::autograd::functional;
//   const Tensor J = jacobian([](const Tensor& x) { return tanh(x) * 2.0; }, x);  // (3, 3)
//   const Tensor H = hessian([](const Tensor& x) { return sum(x * x * x); }, x);   // diag(6 x)
//
// vjp and the reverse-mode jacobian differentiate backwards (one pass per output element); jvp
// and the forward-mode jacobian carry tangents forwards (forward_ad.hpp: one pass per input
// element). hessian and hvp differentiate a gradient: they need create_graph's double backward.
#pragma once

#include <functional>
#include <vector>

#include "kindling/tensor/tensor.hpp"

namespace kindling::autograd::functional {

using TensorList = std::vector<Tensor>;
using Function = std::function<TensorList(const TensorList&)>;
using TensorFunction = std::function<Tensor(const Tensor&)>;

// A transform's two results, as torch's tuple (func_output, derivative): the function's outputs
// (detached unless create_graph), and one derivative per output (jvp) or per input (vjp, hvp).
struct OutputsAndDerivatives {
  TensorList outputs;
  TensorList derivatives;
};

// How jacobian builds the matrix: a backward pass per output element, or a forward pass (a
// tangent) per input element.
enum class Strategy { reverse_mode, forward_mode };

// v^T J for each input: v has one tensor per output (of its shape), or is empty when every
// output has one element (v = 1). With create_graph the results are graph nodes (differentiable
// again); with strict, an input the outputs do not depend on is an error rather than zeros.
OutputsAndDerivatives vjp(const Function& func, const TensorList& inputs, const TensorList& v = {},
                          bool create_graph = false, bool strict = false);

// J v for each output, by forward mode: v has one tensor per input, or is empty when every input
// has one element.
OutputsAndDerivatives jvp(const Function& func, const TensorList& inputs, const TensorList& v = {},
                          bool create_graph = false, bool strict = false);

// jacobian[i][j] = d outputs[i] / d inputs[j], of shape outputs[i].shape + inputs[j].shape.
std::vector<TensorList> jacobian(const Function& func, const TensorList& inputs,
                                 bool create_graph = false, bool strict = false,
                                 Strategy strategy = Strategy::reverse_mode);
Tensor jacobian(const TensorFunction& func, const Tensor& input, bool create_graph = false,
                bool strict = false, Strategy strategy = Strategy::reverse_mode);

// The Hessian of a function with one one-element output: hessian[i][j] = d^2 f / d inputs[i]
// d inputs[j], of shape inputs[i].shape + inputs[j].shape. The outer jacobian (of the gradient)
// is taken by `outer_jacobian_strategy`; the inner gradient is always reverse mode.
std::vector<TensorList> hessian(const Function& func, const TensorList& inputs,
                                bool create_graph = false, bool strict = false,
                                Strategy outer_jacobian_strategy = Strategy::reverse_mode);
Tensor hessian(const TensorFunction& func, const Tensor& input, bool create_graph = false,
               bool strict = false, Strategy outer_jacobian_strategy = Strategy::reverse_mode);

// H v and v^T H for a function with one one-element output; v has one tensor per input. hvp
// takes the gradient's tangent along v (forward over reverse: two passes); vhp differentiates the
// gradient's product with v once more (reverse over reverse: three passes), as torch's vhp does.
OutputsAndDerivatives hvp(const Function& func, const TensorList& inputs, const TensorList& v = {},
                          bool create_graph = false, bool strict = false);
OutputsAndDerivatives vhp(const Function& func, const TensorList& inputs, const TensorList& v = {},
                          bool create_graph = false, bool strict = false);

}  // namespace kindling::autograd::functional
