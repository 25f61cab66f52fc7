// Binary elementwise ops with broadcasting, where, cast and the comparisons. Operands are first
// expanded to one shape (broadcast_pair), so each backward sees equal shapes and the expand
// nodes sum the gradient back down (Note [tensor op table]).
#include "internal.hpp"

namespace kindling {

using detail::give;
using detail::input;
using detail::output_value;
using detail::wants_grad;
using kernels::BinaryKernel;

namespace {
Tensor binary_op(TensorOp op, BinaryKernel kernel, const Tensor& a, const Tensor& b) {
  auto [x, y] = detail::broadcast_pair(a, b, std::string(op_name(op)).c_str());
  if (kernel == BinaryKernel::div && x.dtype() == DType::int64) {
    const no_grad guard;
    KINDLING_CHECK(sum(eq(y, detail::scalar_like(y, 0))).item() == 0,
                   "div: integer division by zero");
  }
  return detail::record(op, detail::binary_kernel(kernel, x, y), {&x, &y});
}
Tensor compare(BinaryKernel kernel, const Tensor& a, const Tensor& b, const char* name) {
  auto [x, y] = detail::broadcast_pair(a.detach(), b.detach(), name);
  return detail::binary_kernel(kernel, x, y);
}
}  // namespace

// ---- add: z = a + b;  da = g, db = g ----
Tensor add(const Tensor& a, const Tensor& b) {
  return binary_op(TensorOp::add, BinaryKernel::add, a, b);
}
void detail::add_backward(TensorNode& node, const Tensor& g) {
  give(node, 0, g);
  give(node, 1, g);
}

// ---- sub: z = a - b;  da = g, db = -g ----
Tensor sub(const Tensor& a, const Tensor& b) {
  return binary_op(TensorOp::sub, BinaryKernel::sub, a, b);
}
void detail::sub_backward(TensorNode& node, const Tensor& g) {
  give(node, 0, g);
  if (wants_grad(node, 1)) give(node, 1, neg(g));
}

// ---- mul: z = a * b;  da = g * b, db = g * a ----
Tensor mul(const Tensor& a, const Tensor& b) {
  return binary_op(TensorOp::mul, BinaryKernel::mul, a, b);
}
void detail::mul_backward(TensorNode& node, const Tensor& g) {
  if (wants_grad(node, 0)) give(node, 0, g * input(node, 1));
  if (wants_grad(node, 1)) give(node, 1, g * input(node, 0));
}

// ---- div: z = a / b;  da = g / b, db = -g * z / b ----
Tensor div(const Tensor& a, const Tensor& b) {
  return binary_op(TensorOp::div, BinaryKernel::div, a, b);
}
void detail::div_backward(TensorNode& node, const Tensor& g) {
  const Tensor b = input(node, 1);
  if (wants_grad(node, 0)) give(node, 0, g / b);
  if (wants_grad(node, 1)) give(node, 1, neg(g * output_value(node) / b));
}

// ---- pow: z = a^b, C99's pow (Note [special values]);
//      da = g * (b a^(b-1)), 0 where b == 0;  db = g * (z ln a), 0 where a == 0 and b >= 0 ----
// The masks are PyTorch's pow_backward: a^0 is the constant 1, so its slope is 0 even at a = 0
// (where 0 * 0^-1 would be NaN); 0^b is constant for b >= 0, where ln 0 = -inf must not leak.
Tensor pow(const Tensor& a, const Tensor& b) {
  return binary_op(TensorOp::pow, BinaryKernel::pow, a, b);
}
Tensor pow(const Tensor& a, double exponent) {
  return pow(a, detail::scalar_like(a, exponent));
}
void detail::pow_backward(TensorNode& node, const Tensor& g) {
  const Tensor a = input(node, 0), b = input(node, 1), zero = scalar_like(g, 0.0);
  if (wants_grad(node, 0)) give(node, 0, where(eq(b, zero), zero, g * (b * pow(a, b - 1.0))));
  if (wants_grad(node, 1)) {
    const Tensor slope = output_value(node) * log(a);
    give(node, 1, g * where(eq(a, zero), where(ge(b, zero), zero, slope), slope));
  }
}

// ---- maximum / minimum: NaN if either operand is NaN, else the larger (smaller);
//      g to each operand that does not lose, halved on a tie ----
// PyTorch's form, where(a == b, g / 2, g) masked to 0 where the operand loses: at a NaN pair
// nothing loses, so both operands get g (Note [special values]).
Tensor maximum(const Tensor& a, const Tensor& b) {
  return binary_op(TensorOp::maximum, BinaryKernel::maximum, a, b);
}
Tensor minimum(const Tensor& a, const Tensor& b) {
  return binary_op(TensorOp::minimum, BinaryKernel::minimum, a, b);
}
namespace {
// loses(p, q): whether the operand p loses to q (p < q for maximum).
void extremum_backward(TensorNode& node, const Tensor& g,
                       Tensor (*loses)(const Tensor&, const Tensor&)) {
  const Tensor a = input(node, 0), b = input(node, 1), zero = detail::scalar_like(g, 0.0);
  const Tensor shared = where(eq(a, b), g * 0.5, g);
  if (wants_grad(node, 0)) give(node, 0, where(loses(a, b), zero, shared));
  if (wants_grad(node, 1)) give(node, 1, where(loses(b, a), zero, shared));
}
}  // namespace
void detail::maximum_backward(TensorNode& node, const Tensor& g) {
  extremum_backward(node, g, &lt);
}
void detail::minimum_backward(TensorNode& node, const Tensor& g) {
  extremum_backward(node, g, &gt);
}

// ---- where: z = cond ? a : b;  da = cond ? g : 0, db = cond ? 0 : g (cond is saved) ----
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  auto [x, y] = detail::broadcast_pair(a, b, "where");
  const Shape shape = broadcast_shapes(cond.shape(), x.shape(), "where");
  if (x.shape() != shape) {
    x = expand(x, shape);
    y = expand(y, shape);
  }
  const Tensor c = cond.shape() == shape ? cond.detach() : expand(cond.detach(), shape);
  Tensor out = detail::empty(shape, x.dtype(), x.device());
  detail::kernels_of(x).where(c.strided_view(), x.strided_view(), y.strided_view(),
                              out.strided_view());
  return detail::record(TensorOp::where, out, {&x, &y}, {}, {c});
}
void detail::where_backward(TensorNode& node, const Tensor& g) {
  const Tensor cond = saved(node, 0), zero = scalar_like(g, 0.0);
  if (wants_grad(node, 0)) give(node, 0, where(cond, g, zero));
  if (wants_grad(node, 1)) give(node, 1, where(cond, zero, g));
}

// ---- cast: z = x converted to another dtype;  dx = g converted back ----
Tensor cast(const Tensor& x, DType dtype) {
  if (x.dtype() == dtype) return x;
  Tensor out = detail::empty(x.shape(), dtype, x.device());
  detail::kernels_of(x).copy(x.strided_view(), out.strided_view());
  if (!is_floating(dtype)) return out;  // integers carry no gradient
  return detail::record(TensorOp::cast, out, {&x});
}
void detail::cast_backward(TensorNode& node, const Tensor& g) {
  give(node, 0, cast(g, node.inputs[0]->dtype));
}

// ---- comparisons: no gradient ----
Tensor eq(const Tensor& a, const Tensor& b) {
  return compare(BinaryKernel::eq, a, b, "eq");
}
Tensor ne(const Tensor& a, const Tensor& b) {
  return compare(BinaryKernel::ne, a, b, "ne");
}
Tensor lt(const Tensor& a, const Tensor& b) {
  return compare(BinaryKernel::lt, a, b, "lt");
}
Tensor le(const Tensor& a, const Tensor& b) {
  return compare(BinaryKernel::le, a, b, "le");
}
Tensor gt(const Tensor& a, const Tensor& b) {
  return compare(BinaryKernel::gt, a, b, "gt");
}
Tensor ge(const Tensor& a, const Tensor& b) {
  return compare(BinaryKernel::ge, a, b, "ge");
}

// ---- operators; a double operand becomes a 0-d tensor of the other operand's dtype ----
using detail::scalar_like;
Tensor operator+(const Tensor& a, const Tensor& b) {
  return add(a, b);
}
Tensor operator-(const Tensor& a, const Tensor& b) {
  return sub(a, b);
}
Tensor operator*(const Tensor& a, const Tensor& b) {
  return mul(a, b);
}
Tensor operator/(const Tensor& a, const Tensor& b) {
  return div(a, b);
}
Tensor operator-(const Tensor& a) {
  return neg(a);
}
Tensor operator+(const Tensor& a, double b) {
  return add(a, scalar_like(a, b));
}
Tensor operator-(const Tensor& a, double b) {
  return sub(a, scalar_like(a, b));
}
Tensor operator*(const Tensor& a, double b) {
  return mul(a, scalar_like(a, b));
}
Tensor operator/(const Tensor& a, double b) {
  return div(a, scalar_like(a, b));
}
Tensor operator+(double a, const Tensor& b) {
  return add(scalar_like(b, a), b);
}
Tensor operator-(double a, const Tensor& b) {
  return sub(scalar_like(b, a), b);
}
Tensor operator*(double a, const Tensor& b) {
  return mul(scalar_like(b, a), b);
}
Tensor operator/(double a, const Tensor& b) {
  return div(scalar_like(b, a), b);
}
Tensor operator<(const Tensor& a, const Tensor& b) {
  return lt(a, b);
}
Tensor operator<=(const Tensor& a, const Tensor& b) {
  return le(a, b);
}
Tensor operator>(const Tensor& a, const Tensor& b) {
  return gt(a, b);
}
Tensor operator>=(const Tensor& a, const Tensor& b) {
  return ge(a, b);
}
Tensor operator<(const Tensor& a, double b) {
  return lt(a, scalar_like(a, b));
}
Tensor operator>(const Tensor& a, double b) {
  return gt(a, scalar_like(a, b));
}

}  // namespace kindling
