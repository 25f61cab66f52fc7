// Unary elementwise ops (Note [tensor op table]): the forwards of every KINDLING_TENSOR_UNARY
// row and the backward of the `pointwise` rows are generated from the rows; the `custom`
// backwards follow, each under its formula. y = f(x); the backward multiplies the upstream grad g
// by f'(x), written with tensor ops. Under create_graph the fused backward kernels give way to
// the same formulas in tensor ops (tensor_formula.hpp, Note [create_graph] in autograd.cpp).
#include "internal.hpp"
#include "tensor_formula.hpp"

namespace kindling {

using detail::give;
using detail::input;
using detail::output_value;
using kernels::UnaryKernel;

namespace {
void check_floating(TensorOp op, const Tensor& x, bool integers_ok = false) {
  KINDLING_CHECK(x.dtype() != DType::bool_, op_name(op), ": not supported for bool tensors (shape ",
                 shape_string(x.shape()), "); use logical_not (~) to invert a mask, or cast it");
  KINDLING_CHECK(integers_ok || is_floating(x.dtype()), op_name(op),
                 ": needs a floating-point "
                 "tensor, got ",
                 dtype_name(x.dtype()), " of shape ", shape_string(x.shape()));
}
// torch computes the floating rows (sin, exp, sqrt, sigmoid, ...) of an int64 or bool tensor in
// its default dtype, float32: torch.sin(torch.arange(3)) is float32. Only gelu and silu refuse
// them. An integer tensor never requires grad, so the cast adds no node.
bool computes_integers_in_float32(TensorOp op) {
  return op != TensorOp::gelu && op != TensorOp::silu;
}
Tensor unary_op(TensorOp op, UnaryKernel kernel, const Tensor& x, bool integers_ok = false) {
  const bool promote = !integers_ok && !is_floating(x.dtype()) && computes_integers_in_float32(op);
  const Tensor in = promote ? cast(x, DType::float32) : x;
  check_floating(op, in, integers_ok);
  return detail::record(op, detail::unary_kernel(kernel, in), {&in});
}
}  // namespace

// ---- the forwards, and the backward of the pointwise rows: one fused kernel, dx =
// formula::name::backward(g, x) (Note [fused backward kernels] in formulas.hpp), or that formula
// in tensor ops under create_graph ----
#define KINDLING_X(name, dtypes, bwd, ...)                                                      \
  Tensor name(const Tensor& x) {                                                                \
    return unary_op(TensorOp::name, UnaryKernel::name, x,                                       \
                    DTypeRule::dtypes == DTypeRule::numeric);                                   \
  }                                                                                             \
  KINDLING_IF_POINTWISE_##bwd(void detail::name##_backward(TensorNode& node, const Tensor& g) { \
    if (creating_graph) [[unlikely]]                                                            \
      return give(node, 0, composite_backward<formula::name>(g, input(node, 0)));               \
    give(node, 0, binary_kernel(kernels::BinaryKernel::name##_backward, g, input(node, 0)));    \
  })
KINDLING_TENSOR_UNARY(KINDLING_X)
#undef KINDLING_X

// ---- the UNARY_PARAM rows: the node records the UnaryArgs; dx = g * name_grad(x; args) ----
#define KINDLING_X(name, label, text, ps)                                                         \
  Tensor name(const Tensor& x KINDLING_PARAMS_DEF(ps)) {                                          \
    check_floating(TensorOp::name, x);                                                            \
    const UnaryArgs args = KINDLING_PARAMS_ARGS(ps);                                              \
    return detail::record<TensorOp::name>(detail::unary_kernel(UnaryKernel::name, x, args), {&x}, \
                                          args);                                                  \
  }                                                                                               \
  void detail::name##_backward(TensorNode& node, const Tensor& g) {                               \
    const UnaryArgs& args = params<UnaryArgs>(node);                                              \
    const Tensor local = creating_graph                                                           \
                             ? composite_derivative<formula::name>(input(node, 0), args)          \
                             : unary_kernel(UnaryKernel::name##_grad, input(node, 0), args);      \
    give(node, 0, mul(g, local));                                                                 \
  }
KINDLING_TENSOR_UNARY_PARAM(KINDLING_X)
#undef KINDLING_X

// ---- neg: y = -x;  dx = -g ----
void detail::neg_backward(TensorNode& node, const Tensor& g) {
  give(node, 0, neg(g));
}

// ---- exp: y = e^x;  dx = g * y ----
void detail::exp_backward(TensorNode& node, const Tensor& g) {
  give(node, 0, g * output_value(node));
}

// ---- log: y = ln x;  dx = g / x ----
void detail::log_backward(TensorNode& node, const Tensor& g) {
  give(node, 0, g / input(node, 0));
}

// ---- sqrt: y = sqrt x;  dx = g / (2 y) ----
void detail::sqrt_backward(TensorNode& node, const Tensor& g) {
  give(node, 0, g / (2.0 * output_value(node)));
}

// ---- abs: y = |x|;  dx = g * sign(x), 0 at 0 ----
void detail::abs_backward(TensorNode& node, const Tensor& g) {
  give(node, 0, g * unary_kernel(UnaryKernel::sign, input(node, 0)));
}

// ---- tanh: y = tanh x;  dx = g * (1 - y^2) ----
void detail::tanh_backward(TensorNode& node, const Tensor& g) {
  const Tensor y = output_value(node);
  give(node, 0, g * (1.0 - y * y));
}

// ---- sigmoid: y = 1 / (1 + e^-x);  dx = g * y * (1 - y) ----
void detail::sigmoid_backward(TensorNode& node, const Tensor& g) {
  const Tensor y = output_value(node);
  give(node, 0, g * y * (1.0 - y));
}

// ---- relu: y = x < 0 ? 0 : x;  dx = g where x > 0 or x is NaN, else 0 (0 at 0) ----
// PyTorch's edges: relu(NaN) = NaN, relu(-0) = -0 (Note [special values]). One relu_grad kernel
// rather than a constant, a comparison and a product.
void detail::relu_backward(TensorNode& node, const Tensor& g) {
  if (creating_graph) [[unlikely]] {  // the kernel's select, differentiable in g
    const Tensor x = input(node, 0);
    return give(node, 0, where(le(x, scalar_like(x, 0.0)), scalar_like(g, 0.0), g));
  }
  give(node, 0, binary_kernel(kernels::BinaryKernel::relu_grad, g, input(node, 0)));
}

// ---- gelu: y = x Phi(x) (exact, erf form);  dx = g * (Phi(x) + x phi(x)) ----
void detail::gelu_backward(TensorNode& node, const Tensor& g) {
  const Tensor x = input(node, 0);
  give(node, 0,
       g * (creating_graph ? composite_forward<formula::gelu_grad>(x)
                           : unary_kernel(UnaryKernel::gelu_grad, x)));
}

// ---- clamp (composite): low below low, high above high, x between; NaN stays NaN;
//      dx = g on [low, high], both bounds included, 0 outside and at NaN ----
// PyTorch's clamp_backward. min(max(x, low), high) would give a bound half the gradient (a tie of
// maximum) and NaN none of the value; here x passes where low <= x <= high, and elsewhere a
// constant: the clamped value, which is NaN for NaN.
Tensor clamp(const Tensor& x, double low, double high) {
  KINDLING_CHECK(low <= high, "clamp: low ", low, " is above high ", high);
  const Tensor lo = detail::scalar_like(x, low), hi = detail::scalar_like(x, high);
  const Tensor limit = minimum(maximum(x.detach(), lo), hi);
  return where(ge(x, lo), where(le(x, hi), x, limit), limit);
}

}  // namespace kindling
