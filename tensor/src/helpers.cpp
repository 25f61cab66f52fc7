// The helpers of internal.hpp: kernel calls producing fresh tensors, axis checks, broadcasting.
#include <algorithm>
#include <limits>

#include "internal.hpp"
#include "kindling/tensor/element.hpp"

namespace kindling {

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  const std::size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const std::int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    KINDLING_CHECK(da == db || da == 1 || db == 1, op, ": ", shape_string(a), " and ",
                   shape_string(b), ": shapes do not broadcast (dimension ", i, ": ", da, " vs ",
                   db, ")");
    out[i] = da == 1 ? db : da;
  }
  // Two valid shapes can broadcast to one with too many elements: (2^32, 1) and (2^32,).
  checked_numel(out, op);
  return out;
}

namespace detail {

std::int64_t normalize_axis(std::int64_t axis, std::int64_t ndim, const char* op) {
  KINDLING_CHECK(ndim > 0, op, ": axis ", axis, " given for a 0-d tensor, which has no axes");
  KINDLING_CHECK(axis >= -ndim && axis < ndim, op, ": axis ", axis,
                 " is out of range for a tensor of ", ndim, " dimensions");
  return axis < 0 ? axis + ndim : axis;
}

// Note [0-d axes]
// torch wraps a dim with max(ndim, 1), so most ops that take one accept -1 and 0 on a 0-d tensor
// as if it were the 1-element 1-D tensor it holds: sum(0), max(0) (value and index 0),
// softmax(0), cumsum(0), transpose(0, -1), flip(0), gather(0, i), ... each give what that view
// would, shaped 0-d. normalize_wrapped_axis checks that range and gives 0; a caller must not
// index the shape with it when x is 0-d, so each such op handles the 0-d case itself (mostly by
// running on reshape(x, {1}), which carries the gradient back). The ops whose torch counterpart
// refuses a 0-d tensor whatever the dim (cat, split, chunk, unbind, narrow/slice, size(d),
// permute of a non-empty order) keep normalize_axis, which refuses every axis there.
std::int64_t normalize_wrapped_axis(std::int64_t axis, std::int64_t ndim, const char* op) {
  if (ndim > 0) return normalize_axis(axis, ndim, op);
  KINDLING_CHECK(axis == 0 || axis == -1, op, ": axis ", axis,
                 " is out of range for a 0-d tensor (expected -1 or 0)");
  return 0;
}

Shape contiguous_strides(const Shape& shape) {
  Shape strides(shape.size());
  std::int64_t s = 1;
  for (std::size_t i = shape.size(); i-- > 0;) {
    strides[i] = s;
    // The product fits for every shape with elements (it is a suffix of numel); an empty shape's
    // other sizes may overflow it, and no element is ever addressed through such a stride, so it
    // saturates instead (a zero dimension anywhere stops every kernel before it reads one).
    if (__builtin_mul_overflow(s, std::max<std::int64_t>(shape[i], 1), &s))
      s = std::numeric_limits<std::int64_t>::max();
  }
  return strides;
}

Tensor unary_kernel(kernels::UnaryKernel op, const Tensor& x, const UnaryArgs& args) {
  Tensor out = empty(x.shape(), x.dtype(), x.device());
  kernels_of(x).unary(op, x.strided_view(), out.strided_view(), args);
  return out;
}

Tensor binary_kernel(kernels::BinaryKernel op, const Tensor& a, const Tensor& b) {
  return binary_kernel(op, a, b, kernels::is_comparison(op) ? DType::bool_ : a.dtype());
}

Tensor binary_kernel(kernels::BinaryKernel op, const Tensor& a, const Tensor& b, DType out_dtype) {
  assert(a.shape() == b.shape() && a.dtype() == b.dtype());
  assert(out_dtype == a.dtype() || (kernels::is_comparison(op) && out_dtype == DType::bool_));
  Tensor out = empty(a.shape(), out_dtype, a.device());
  kernels_of(a).binary(op, a.strided_view(), b.strided_view(), out.strided_view());
  return out;
}

Tensor reduce_kernel(kernels::ReduceKernel op, const Tensor& x, const Shape& keep_shape,
                     DType out_dtype) {
  Tensor out = empty(keep_shape, out_dtype, x.device());
  kernels_of(x).reduce(op, x.strided_view(), out.strided_view());
  return out;
}

Tensor scalar_like(const Tensor& like, const Scalar& value) {
  return number_tensor(value, like.dtype(), like.device());
}

Tensor number_tensor(const Scalar& value, DType dtype, Device device) {
  // Exact for integers: a value a double cannot hold goes through host memory as int64.
  if (!value.is_floating() && dtype == DType::int64 &&
      element::float_to_int64(static_cast<double>(value.to_int64())) != value.to_int64()) {
    Tensor host = empty({}, DType::int64, kCPU);
    *host.data<std::int64_t>() = value.to_int64();
    return host.to(device);
  }
  Tensor t = empty({}, dtype, device);
  kernels_of(t).fill(t.strided_view(), value.to_double());
  return t;
}

void check_defined(const Tensor& a, const Tensor& b, std::string_view op) {
  // Note [undefined tensors]: named by the op, not by the first accessor that would notice.
  KINDLING_CHECK(a.defined() && b.defined(), op, ": the ", a.defined() ? "second" : "first",
                 " operand is undefined (a default-constructed Tensor, or grad() before any "
                 "backward)");
}

std::pair<Tensor, Tensor> broadcast_pair(const Tensor& a, const Tensor& b, const char* op) {
  check_defined(a, b, op);
  return broadcast_pair(a, b, result_type(a, b), op);
}

std::pair<Tensor, Tensor> broadcast_pair(const Tensor& a, const Tensor& b, DType dtype,
                                         const char* op) {
  check_defined(a, b, op);
  KINDLING_CHECK(a.device() == b.device(), op, ": operands on ", to_string(a.device()), " and ",
                 to_string(b.device()));
  const Shape shape = broadcast_shapes(a.shape(), b.shape(), op);
  Tensor x = a.dtype() == dtype ? a : cast(a, dtype);
  Tensor y = b.dtype() == dtype ? b : cast(b, dtype);
  if (x.shape() != shape) x = expand(x, shape);
  if (y.shape() != shape) y = expand(y, shape);
  return {x, y};
}

Tensor sum_to(const Tensor& grad, const Shape& shape) {
  if (grad.shape() == shape) return grad;
  const std::size_t lead = grad.shape().size() - shape.size();
  Axes axes;
  for (std::size_t i = 0; i < grad.shape().size(); ++i) {
    if (i < lead || (shape[i - lead] == 1 && grad.shape()[i] != 1))
      axes.push_back(static_cast<std::int64_t>(i));
  }
  Tensor s = sum(grad, axes, true);
  return s.shape() == shape ? s : reshape(s, shape);
}

Tensor scatter_positions(const Tensor& g, const Shape& shape, std::int64_t axis,
                         const Tensor& positions) {
  Shape along(g.shape().size(), 1);
  along[static_cast<std::size_t>(axis)] = positions.numel();
  const Tensor index = contiguous(expand(reshape(positions, along), g.shape()));
  return scatter_add(zeros(shape, g.dtype(), g.device()), axis, index, g);
}

}  // namespace detail
}  // namespace kindling
