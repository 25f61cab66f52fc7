// Binary elementwise ops with broadcasting, where, masked_fill, cast, the comparisons and the
// logical ops, and result_type (Note [type promotion] in dtype.hpp). Operands are first converted
// to the result dtype and expanded to one shape (broadcast_pair), so each backward sees equal
// shapes and the expand nodes sum the gradient back down (Note [tensor op table]).
#include "internal.hpp"

namespace kindling {

using detail::give;
using detail::input;
using detail::output_value;
using detail::wants_grad;
using kernels::BinaryKernel;

// ---- result types (Note [type promotion] in dtype.hpp) ----
namespace {
TypedOperand operand(const Tensor& t) {
  return {t.dtype(), t.dim() == 0 ? OperandKind::zero_dim : OperandKind::dimensioned};
}
}  // namespace
DType result_type(const Tensor& a, const Tensor& b) {
  return kindling::result_type({operand(a), operand(b)});
}
DType result_type(const Tensor& a, const Scalar& b) {
  return kindling::result_type({operand(a), b.operand()});
}
DType result_type(const Scalar& a, const Tensor& b) {
  return kindling::result_type({a.operand(), operand(b)});
}
DType result_type(const Scalar& a, const Scalar& b) {
  return kindling::result_type({a.operand(), b.operand()});
}

namespace {
Tensor binary_op(TensorOp op, BinaryKernel kernel, const Tensor& a, const Tensor& b, DType dtype) {
  auto [x, y] = detail::broadcast_pair(a, b, dtype, std::string(op_name(op)).c_str());
  return detail::record(op, detail::binary_kernel(kernel, x, y), {&x, &y});
}
Tensor binary_op(TensorOp op, BinaryKernel kernel, const Tensor& a, const Tensor& b) {
  detail::check_defined(a, b, op_name(op));
  return binary_op(op, kernel, a, b, result_type(a, b));
}
Tensor compare(BinaryKernel kernel, const Tensor& a, const Tensor& b, const char* name) {
  detail::check_defined(a, b, name);
  auto [x, y] = detail::broadcast_pair(a.detach(), b.detach(), name);
  return detail::binary_kernel(kernel, x, y);
}
// A wrapped number as the 0-d tensor the op takes, in the dtype the op's result will have.
Tensor number_for(const Scalar& s, const Tensor& other, DType dtype) {
  return detail::number_tensor(s, dtype, other.device());
}
Tensor number_for(const Scalar& s, const Tensor& other) {
  return number_for(s, other, result_type(other, s));
}
void check_not_bool(const char* op, DType a, DType b, const char* instead) {
  KINDLING_CHECK(a != DType::bool_ && b != DType::bool_, op, ": not supported for bool operands (",
                 dtype_name(a), " and ", dtype_name(b), "); ", instead);
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
  check_not_bool("sub", a.dtype(), b.dtype(), "use logical_xor (^) or logical_not (~)");
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
// True division: integral operands divide in float32 (the default dtype), as in PyTorch.
namespace {
DType division_type(DType dtype) {
  return is_floating(dtype) ? dtype : DType::float32;
}
}  // namespace
Tensor div(const Tensor& a, const Tensor& b) {
  return binary_op(TensorOp::div, BinaryKernel::div, a, b, division_type(result_type(a, b)));
}
void detail::div_backward(TensorNode& node, const Tensor& g) {
  const Tensor b = input(node, 1);
  if (wants_grad(node, 0)) give(node, 0, g / b);
  // -g * ((a / b) / b), PyTorch's order: the same overflow to inf (and 0 * inf = NaN) as its own.
  if (wants_grad(node, 1)) give(node, 1, neg(g * (output_value(node) / b)));
}

// ---- pow: z = a^b, C99's pow (Note [special values]);
//      da = g * (b a^(b-1)), 0 where b == 0;  db = g * (z ln a), 0 where a == 0 and b >= 0 ----
// The masks are PyTorch's pow_backward: a^0 is the constant 1, so its slope is 0 even at a = 0
// (where 0 * 0^-1 would be NaN); 0^b is constant for b >= 0, where ln 0 = -inf must not leak.
namespace {
DType pow_type(DType dtype) {
  KINDLING_CHECK(dtype != DType::bool_,
                 "pow: not supported for a bool result (bool ^ bool); cast "
                 "an operand to int64 or a floating dtype");
  return dtype;
}
}  // namespace
Tensor pow(const Tensor& a, const Tensor& b) {
  return binary_op(TensorOp::pow, BinaryKernel::pow, a, b, pow_type(result_type(a, b)));
}
Tensor pow(const Tensor& a, const Scalar& exponent) {
  const DType dtype = pow_type(result_type(a, exponent));
  KINDLING_CHECK(is_floating(dtype) || exponent.to_int64() >= 0,
                 "pow: integers to negative integer powers are not allowed (",
                 dtype_name(a.dtype()), " tensor of shape ", shape_string(a.shape()),
                 " to the power ", to_string(exponent), ")");
  return pow(a, number_for(exponent, a, dtype));
}
Tensor pow(const Scalar& base, const Tensor& exponent) {
  const DType dtype = pow_type(result_type(base, exponent));
  return pow(number_for(base, exponent, dtype), exponent);
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
  KINDLING_CHECK(cond.dtype() == DType::bool_, "where: the condition must be bool, got ",
                 dtype_name(cond.dtype()), " of shape ", shape_string(cond.shape()),
                 " (compare it, e.g. ne(c, 0), or cast it with cast(c, DType::bool_))");
  KINDLING_CHECK(cond.device() == a.device(), "where: the condition is on ",
                 to_string(cond.device()), " and the operands on ", to_string(a.device()));
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
Tensor where(const Tensor& cond, const Tensor& a, const Scalar& b) {
  return where(cond, a, number_for(b, a));
}
Tensor where(const Tensor& cond, const Scalar& a, const Tensor& b) {
  return where(cond, number_for(a, b), b);
}
Tensor where(const Tensor& cond, const Scalar& a, const Scalar& b) {
  const DType dtype = result_type(a, b);
  return where(cond, detail::number_tensor(a, dtype, cond.device()),
               detail::number_tensor(b, dtype, cond.device()));
}

// ---- masked_fill (composite): where(mask, value, x) in x's dtype ----
namespace {
void check_mask(const Tensor& x, const Tensor& mask) {
  KINDLING_CHECK(mask.dtype() == DType::bool_, "masked_fill: the mask must be bool, got ",
                 dtype_name(mask.dtype()), " of shape ", shape_string(mask.shape()));
  broadcast_shapes(x.shape(), mask.shape(), "masked_fill");
}
}  // namespace
Tensor masked_fill(const Tensor& x, const Tensor& mask, const Scalar& value) {
  check_mask(x, mask);
  KINDLING_CHECK(fits_dtype(value, x.dtype()), "masked_fill: value ", to_string(value),
                 " cannot be converted to ", dtype_name(x.dtype()), " without overflow");
  return where(mask, detail::number_tensor(value, x.dtype(), x.device()), x);
}
Tensor masked_fill(const Tensor& x, const Tensor& mask, const Tensor& value) {
  check_mask(x, mask);
  KINDLING_CHECK(value.dim() == 0, "masked_fill: the value must be a 0-d tensor, got shape ",
                 shape_string(value.shape()));
  return where(mask, cast(value, x.dtype()), x);
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
  give(node, 0, cast(g, input_dtype(node, 0)));
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
#define KINDLING_COMPARE_SCALAR(name)                               \
  Tensor name(const Tensor& a, const Scalar& b) {                   \
    return compare(BinaryKernel::name, a, number_for(b, a), #name); \
  }
KINDLING_COMPARE_SCALAR(eq)
KINDLING_COMPARE_SCALAR(ne)
KINDLING_COMPARE_SCALAR(lt)
KINDLING_COMPARE_SCALAR(le)
KINDLING_COMPARE_SCALAR(gt)
KINDLING_COMPARE_SCALAR(ge)
#undef KINDLING_COMPARE_SCALAR

// ---- logical ops: bool results, nonzero is true; no gradient ----
namespace {
Tensor as_mask(const Tensor& x) {
  return x.dtype() == DType::bool_ ? x.detach() : ne(x, 0);
}
// On bool operands the add kernel is `or`, mul `and` and ne `xor` (kernels.hpp).
Tensor logical(BinaryKernel kernel, const Tensor& a, const Tensor& b, const char* name) {
  auto [x, y] = detail::broadcast_pair(as_mask(a), as_mask(b), DType::bool_, name);
  return detail::binary_kernel(kernel, x, y);
}
void check_bool_operands(const char* op, const Tensor& a, const Tensor& b) {
  KINDLING_CHECK(a.dtype() == DType::bool_ && b.dtype() == DType::bool_, "operator", op,
                 ": needs bool tensors, got ", dtype_name(a.dtype()), " and ",
                 dtype_name(b.dtype()),
                 " (bitwise ops on integers are not supported; use "
                 "logical_and/or/xor for a mask of nonzero elements)");
}
}  // namespace
Tensor logical_not(const Tensor& x) {
  return eq(x.detach(), false);
}
Tensor logical_and(const Tensor& a, const Tensor& b) {
  return logical(BinaryKernel::mul, a, b, "logical_and");
}
Tensor logical_or(const Tensor& a, const Tensor& b) {
  return logical(BinaryKernel::add, a, b, "logical_or");
}
Tensor logical_xor(const Tensor& a, const Tensor& b) {
  return logical(BinaryKernel::ne, a, b, "logical_xor");
}
Tensor operator~(const Tensor& a) {
  check_bool_operands("~", a, a);
  return logical_not(a);
}
Tensor operator&(const Tensor& a, const Tensor& b) {
  check_bool_operands("&", a, b);
  return logical_and(a, b);
}
Tensor operator|(const Tensor& a, const Tensor& b) {
  check_bool_operands("|", a, b);
  return logical_or(a, b);
}
Tensor operator^(const Tensor& a, const Tensor& b) {
  check_bool_operands("^", a, b);
  return logical_xor(a, b);
}

// ---- operators; a number operand is a wrapped number (Note [wrapped numbers]) ----
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
Tensor operator+(const Tensor& a, const Scalar& b) {
  return add(a, number_for(b, a));
}
Tensor operator-(const Tensor& a, const Scalar& b) {
  check_not_bool("sub", a.dtype(), b.dtype(), "use logical_xor (^) or logical_not (~)");
  return sub(a, number_for(b, a));
}
Tensor operator*(const Tensor& a, const Scalar& b) {
  return mul(a, number_for(b, a));
}
Tensor operator/(const Tensor& a, const Scalar& b) {
  return div(a, number_for(b, a));
}
Tensor operator+(const Scalar& a, const Tensor& b) {
  return add(number_for(a, b), b);
}
Tensor operator-(const Scalar& a, const Tensor& b) {
  check_not_bool("sub", a.dtype(), b.dtype(), "use logical_xor (^) or logical_not (~)");
  return sub(number_for(a, b), b);
}
Tensor operator*(const Scalar& a, const Tensor& b) {
  return mul(number_for(a, b), b);
}
Tensor operator/(const Scalar& a, const Tensor& b) {
  return div(number_for(a, b), b);
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
Tensor operator<(const Tensor& a, const Scalar& b) {
  return lt(a, b);
}
Tensor operator<=(const Tensor& a, const Scalar& b) {
  return le(a, b);
}
Tensor operator>(const Tensor& a, const Scalar& b) {
  return gt(a, b);
}
Tensor operator>=(const Tensor& a, const Scalar& b) {
  return ge(a, b);
}
// a < b is b > a, and so on.
Tensor operator<(const Scalar& a, const Tensor& b) {
  return gt(b, a);
}
Tensor operator<=(const Scalar& a, const Tensor& b) {
  return ge(b, a);
}
Tensor operator>(const Scalar& a, const Tensor& b) {
  return lt(b, a);
}
Tensor operator>=(const Scalar& a, const Tensor& b) {
  return le(b, a);
}

}  // namespace kindling
