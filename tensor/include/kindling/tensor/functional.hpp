// Functional transforms, as torch.autograd.functional: derivatives of a function of tensors,
// rather than of a graph already built. Each runs the function on fresh inputs of its own, so the
// caller's tensors and their .grad are left as they were.
//
//   using namespace kindling::autograd::functional;
//   const Tensor J = jacobian([](const Tensor& x) { return tanh(x) * 2.0; }, x);  // (3, 3)
//   const Tensor H = hessian([](const Tensor& x) { return sum(x * x * x); }, x);   // diag(6 x)
//
// vjp (one pass) and the reverse-mode jacobian (one pass per output element) differentiate
// backwards; jvp (one pass) and the forward-mode jacobian (one pass per input element) carry
// tangents forwards (forward_ad.hpp). hessian, hvp and vhp differentiate a gradient: they need
// create_graph's double backward.
#pragma once

#include <functional>
#include <vector>

#include "kindling/tensor/tensor.hpp"

namespace kindling::autograd::functional {

/// A function's inputs or outputs, in order (torch's tuple of tensors).
using TensorList = std::vector<Tensor>;
/// A function of several tensors to several tensors, as the transforms take it. It must be
/// written with kindling ops (they are what the transforms differentiate) and must return at
/// least one tensor, none undefined.
using Function = std::function<TensorList(const TensorList&)>;
/// A function of one tensor to one tensor, for the one-tensor jacobian and hessian.
using TensorFunction = std::function<Tensor(const Tensor&)>;

/// A transform's two results, as torch's tuple (func_output, derivative): the function's outputs
/// (detached unless create_graph), and one derivative per output (jvp) or per input (vjp, hvp,
/// vhp), detached unless create_graph.
struct OutputsAndDerivatives {
  TensorList outputs;      ///< What the function returned.
  TensorList derivatives;  ///< The products, each of its output's (jvp) or input's shape.
};

/// How jacobian builds the matrix, as torch's `strategy` argument.
enum class Strategy {
  reverse_mode,  ///< One backward pass per output element (the default).
  forward_mode   ///< One forward pass, carrying a tangent, per input element.
};

/// The vector-Jacobian product v^T J for each input, as torch.autograd.functional.vjp, by one
/// backward pass. The function runs on fresh leaves, even under no_grad.
/// @param func The function to differentiate.
/// @param inputs Its arguments: at least one, each defined and floating-point.
/// @param v One tensor per output, of its shape (converted to its dtype); may be empty when every
///        output has one element (v = 1, torch's v = None).
/// @param create_graph Make the outputs and results graph nodes, differentiable again (with
///        respect to the inputs that require grad).
/// @param strict An input the outputs do not depend on is an error rather than a zero result.
/// @return The outputs, and one derivative per input, of its shape.
/// @throws kindling::error naming `vjp` for an input that is undefined or not floating-point, no
///         inputs, a function that returns no outputs or an undefined one, v of the wrong
///         length, an undefined v[i] or one of another shape, v omitted for an output of more
///         than one element, or (strict) an input the outputs do not depend on.
OutputsAndDerivatives vjp(const Function& func, const TensorList& inputs, const TensorList& v = {},
                          bool create_graph = false, bool strict = false);

/// The Jacobian-vector product J v for each output, as torch.autograd.functional.jvp, by one
/// forward pass with dual tensors (forward_ad.hpp; torch computes it by a double backward).
/// @param func The function to differentiate.
/// @param inputs Its arguments: at least one, each defined and floating-point.
/// @param v One tensor per input, of its shape (converted to its dtype); may be empty when every
///        input has one element (v = 1).
/// @param create_graph Make the outputs and results graph nodes, differentiable again (with
///        respect to the inputs that require grad).
/// @param strict An output that does not depend on the inputs is an error rather than zeros.
/// @return The outputs, and one derivative per output, of its shape.
/// @throws kindling::error naming `jvp` as vjp does, with v checked against the inputs, and
///         (strict) for an output that does not depend on the inputs.
OutputsAndDerivatives jvp(const Function& func, const TensorList& inputs, const TensorList& v = {},
                          bool create_graph = false, bool strict = false);

/// The Jacobian, as torch.autograd.functional.jacobian: jacobian[i][j] = d outputs[i] /
/// d inputs[j], of shape outputs[i].shape + inputs[j].shape.
/// @param func The function to differentiate.
/// @param inputs Its arguments: at least one, each defined and floating-point.
/// @param create_graph Make the blocks graph nodes, differentiable again (with respect to the
///        inputs that require grad).
/// @param strict A block whose output does not depend on its input is an error rather than
///        zeros.
/// @param strategy reverse_mode runs the function once and a backward pass per output element;
///        forward_mode runs it once without grad (for the shapes) and once per input element
///        (torch's forward_mode needs vectorize=True; kindling has no vectorize).
/// @throws kindling::error naming `jacobian` for inputs as vjp checks them, a function that
///         returns no outputs or an undefined one, or (strict) a block of no dependence.
/// @code
/// namespace fn = kindling::autograd::functional;
/// const kindling::Tensor x = kindling::tensor({0.5, 1.0, 2.0}, kindling::DType::float64);
/// const fn::Function f = [](const fn::TensorList& in) {
///   return fn::TensorList{in[0] * in[1], kindling::sum(kindling::exp(in[0]))};
/// };
/// const std::vector<fn::TensorList> J = fn::jacobian(f, {x, x * 2.0});
/// // J[0][0] is (3, 3): diag(2 x); J[1][1] is (3): zeros, sum(exp(x)) does not use the second
/// @endcode
std::vector<TensorList> jacobian(const Function& func, const TensorList& inputs,
                                 bool create_graph = false, bool strict = false,
                                 Strategy strategy = Strategy::reverse_mode);
/// The Jacobian of a function of one tensor to one tensor, of shape output.shape + input.shape;
/// the arguments are as for the list form.
/// @code
/// namespace fn = kindling::autograd::functional;
/// const kindling::Tensor x = kindling::tensor({0.5, 1.0, 2.0});
/// const kindling::Tensor J =
///     fn::jacobian([](const kindling::Tensor& t) { return kindling::tanh(t) * 2.0; }, x);
/// // (3, 3): diag(2 (1 - tanh(x)^2))
/// @endcode
Tensor jacobian(const TensorFunction& func, const Tensor& input, bool create_graph = false,
                bool strict = false, Strategy strategy = Strategy::reverse_mode);

/// The Hessian of a function with one one-element output, as torch.autograd.functional.hessian:
/// hessian[i][j] = d^2 f / d inputs[i] d inputs[j], of shape inputs[i].shape + inputs[j].shape.
/// The outer jacobian (of the gradient) is taken by `outer_jacobian_strategy`; the inner gradient
/// is always reverse mode, with create_graph's double backward.
/// @param func The function to differentiate: it returns one tensor of one element.
/// @param inputs Its arguments: at least one, each defined and floating-point.
/// @param create_graph Make the blocks graph nodes, differentiable again.
/// @param strict An input the output does not depend on, or a block of the gradient's jacobian
///        with no dependence, is an error rather than zeros.
/// @param outer_jacobian_strategy How the jacobian of the gradient is built (Strategy).
/// @throws kindling::error naming `hessian` as jacobian does, and for a function that does not
///         return exactly one tensor of one element.
std::vector<TensorList> hessian(const Function& func, const TensorList& inputs,
                                bool create_graph = false, bool strict = false,
                                Strategy outer_jacobian_strategy = Strategy::reverse_mode);
/// The Hessian of a function of one tensor to one one-element tensor, of shape input.shape +
/// input.shape; the arguments are as for the list form.
/// @code
/// namespace fn = kindling::autograd::functional;
/// const kindling::Tensor x = kindling::tensor({0.5, 1.0, 2.0}, kindling::DType::float64);
/// const kindling::Tensor H =
///     fn::hessian([](const kindling::Tensor& t) { return kindling::sum(t * t * t); }, x);
/// // (3, 3): diag(6 x)
/// @endcode
Tensor hessian(const TensorFunction& func, const Tensor& input, bool create_graph = false,
               bool strict = false, Strategy outer_jacobian_strategy = Strategy::reverse_mode);

/// The Hessian-vector product H v for a function with one one-element output, as
/// torch.autograd.functional.hvp: the tangent of the gradient along v (forward over reverse,
/// two passes).
/// @param func The function to differentiate: it returns one tensor of one element.
/// @param inputs Its arguments: at least one, each defined and floating-point.
/// @param v One tensor per input, of its shape (converted to its dtype); may be empty when every
///        input has one element (v = 1).
/// @param create_graph Make the outputs and results graph nodes, differentiable again.
/// @param strict An input the output does not depend on, or a gradient that does not depend on
///        the inputs, is an error rather than zeros.
/// @return The output, and one product per input, of its shape.
/// @throws kindling::error naming `hvp` for inputs and v as vjp checks them (v against the
///         inputs), a function that does not return exactly one tensor of one element, or
///         (strict) no dependence.
/// @code
/// namespace fn = kindling::autograd::functional;
/// const kindling::Tensor x = kindling::tensor({0.5, 1.0, 2.0}, kindling::DType::float64);
/// const kindling::Tensor v = kindling::ones({3}, kindling::DType::float64);
/// const fn::Function f = [](const fn::TensorList& in) {
///   return fn::TensorList{kindling::sum(in[0] * in[0] * in[0])};
/// };
/// const kindling::Tensor hv = fn::hvp(f, {x}, {v}).derivatives[0];  // 6 x v: (3, 6, 12)
/// @endcode
OutputsAndDerivatives hvp(const Function& func, const TensorList& inputs, const TensorList& v = {},
                          bool create_graph = false, bool strict = false);
/// The vector-Hessian product v^T H, as torch.autograd.functional.vhp: the gradient's product
/// with v, differentiated once more (reverse over reverse, three passes). Equal to hvp's H v for
/// a symmetric Hessian; the arguments, results and errors are hvp's, naming `vhp`.
OutputsAndDerivatives vhp(const Function& func, const TensorList& inputs, const TensorList& v = {},
                          bool create_graph = false, bool strict = false);

}  // namespace kindling::autograd::functional
