// The differentiable tensor ops (and the comparisons, which are not). Each is listed in the op
// table (op_list.hpp) and written in tensor/src/ops_*.cpp with its backward beside it.
//
// Broadcasting follows NumPy: shapes are aligned from the right and dimensions of size 1 stretch.
// A binary op expands both operands explicitly first (an `expand` node whose backward sums), so
// no op un-broadcasts by hand. Axes may be negative (counted from the end). An empty axis list
// reduces over every axis. At NaN, signed zeros, infinities and subnormals every op gives PyTorch
// 1.13's values and gradients (Note [special values] in kindling/tensor/special_values.hpp).
#pragma once

#include <cstdint>
#include <vector>

#include "kindling/tensor/tensor.hpp"

namespace kindling {

using Axes = std::vector<std::int64_t>;

// ---- elementwise, unary: one per row of KINDLING_TENSOR_UNARY (op_list.hpp, where each row's
// edge behaviour is noted) ----
#define KINDLING_X(name, ...) Tensor name(const Tensor& x);
KINDLING_TENSOR_UNARY(KINDLING_X)
#undef KINDLING_X
// ---- elementwise, unary with parameters: one per row of KINDLING_TENSOR_UNARY_PARAM, with
// the row's parameters and PyTorch's defaults (op_list.hpp) ----
#define KINDLING_X(name, label, formula, ps) Tensor name(const Tensor& x KINDLING_PARAMS_DECL(ps));
KINDLING_TENSOR_UNARY_PARAM(KINDLING_X)
#undef KINDLING_X
// NaN stays NaN; the gradient is 1 on [low, high] (bounds included), 0 outside and at NaN.
Tensor clamp(const Tensor& x, double low, double high);

// ---- elementwise, binary, broadcasting ----
// The result dtype is result_type of the operands (Note [type promotion] in dtype.hpp): a number
// (a Scalar: `x * 0.5`, `pow(x, 2)`) or a 0-d tensor changes it only when its category (bool <
// integer < floating) is higher, so float32 x * 0.5 is float32 and int64 x * 0.5 is float32 too.
// int64 add, sub and mul wrap around. bool add is `or` and mul `and`; sub and neg reject bool
// operands (use logical_xor, logical_not), as PyTorch does.
DType result_type(const Tensor& a, const Tensor& b);
DType result_type(const Tensor& a, const Scalar& b);
DType result_type(const Scalar& a, const Tensor& b);
DType result_type(const Scalar& a, const Scalar& b);

Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
// True division: integer and bool operands divide in float32 (int64 / int64 is float32, as in
// PyTorch), so no integer is ever divided by zero.
Tensor div(const Tensor& a, const Tensor& b);
// C99's pow (0^0 = NaN^0 = 1^NaN = 1), as torch.pow(tensor, tensor); a number exponent is the
// same op: torch's `t ** 0.5` differs at -0 and -inf only, where it takes sqrt's values (-0, NaN).
// An int64 result wraps around. An integer tensor to a negative integer Scalar power is an error
// ("integers to negative integer powers are not allowed"), as in PyTorch; a tensor of negative
// exponents gives PyTorch's values (1 for a base 1, +-1 for -1, else 0). bool^bool is an error.
Tensor pow(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, const Scalar& exponent);
Tensor pow(const Scalar& base, const Tensor& exponent);
// NaN if either is NaN; ties split the gradient, as in PyTorch.
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);
// cond ? a : b, broadcasting all three; cond must be bool (as in PyTorch: compare with != 0 or
// cast(x, DType::bool_) first). The result dtype is result_type(a, b). No gradient flows to cond.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
Tensor where(const Tensor& cond, const Tensor& a, const Scalar& b);
Tensor where(const Tensor& cond, const Scalar& a, const Tensor& b);
Tensor where(const Tensor& cond, const Scalar& a, const Scalar& b);
// x with `value` where mask is true: where(mask, value, x) in x's dtype (a fractional value into
// int64 truncates; NaN or an out-of-range value into int64 is an error). mask must be bool and
// broadcast with x. A 0-d tensor value receives the gradient of the filled places.
Tensor masked_fill(const Tensor& x, const Tensor& mask, const Scalar& value);
Tensor masked_fill(const Tensor& x, const Tensor& mask, const Tensor& value);

// Comparisons: bool masks, computed in result_type of the operands; never require grad.
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor eq(const Tensor& a, const Scalar& b);
Tensor ne(const Tensor& a, const Scalar& b);
Tensor lt(const Tensor& a, const Scalar& b);
Tensor le(const Tensor& a, const Scalar& b);
Tensor gt(const Tensor& a, const Scalar& b);
Tensor ge(const Tensor& a, const Scalar& b);

// Logical ops: bool results over operands of any dtype (nonzero is true, NaN included); never
// require grad.
Tensor logical_not(const Tensor& x);
Tensor logical_and(const Tensor& a, const Tensor& b);
Tensor logical_or(const Tensor& a, const Tensor& b);
Tensor logical_xor(const Tensor& a, const Tensor& b);

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a);
// A number operand is a wrapped number (Note [wrapped numbers]), never a 0-d float64 tensor.
Tensor operator+(const Tensor& a, const Scalar& b);
Tensor operator-(const Tensor& a, const Scalar& b);
Tensor operator*(const Tensor& a, const Scalar& b);
Tensor operator/(const Tensor& a, const Scalar& b);
Tensor operator+(const Scalar& a, const Tensor& b);
Tensor operator-(const Scalar& a, const Tensor& b);
Tensor operator*(const Scalar& a, const Tensor& b);
Tensor operator/(const Scalar& a, const Tensor& b);
Tensor operator<(const Tensor& a, const Tensor& b);
Tensor operator<=(const Tensor& a, const Tensor& b);
Tensor operator>(const Tensor& a, const Tensor& b);
Tensor operator>=(const Tensor& a, const Tensor& b);
Tensor operator<(const Tensor& a, const Scalar& b);
Tensor operator<=(const Tensor& a, const Scalar& b);
Tensor operator>(const Tensor& a, const Scalar& b);
Tensor operator>=(const Tensor& a, const Scalar& b);
Tensor operator<(const Scalar& a, const Tensor& b);
Tensor operator<=(const Scalar& a, const Tensor& b);
Tensor operator>(const Scalar& a, const Tensor& b);
Tensor operator>=(const Scalar& a, const Tensor& b);
// On bool tensors only (masks): not, and, or, xor. (No operator== on Tensor: same_node() is
// identity, eq() the elementwise comparison.)
Tensor operator~(const Tensor& a);
Tensor operator&(const Tensor& a, const Tensor& b);
Tensor operator|(const Tensor& a, const Tensor& b);
Tensor operator^(const Tensor& a, const Tensor& b);

// ---- reductions ----
// The sum of bool or int64 elements is int64 (wrapping around), as in PyTorch.
Tensor sum(const Tensor& x, const Axes& axes = {}, bool keepdim = false);
Tensor mean(const Tensor& x, const Axes& axes = {}, bool keepdim = false);
// Values of the max/min (NaN if the slice has a NaN); the gradient goes to the arg (split evenly
// among ties, and among the NaNs of a NaN slice).
Tensor max(const Tensor& x, const Axes& axes = {}, bool keepdim = false);
Tensor min(const Tensor& x, const Axes& axes = {}, bool keepdim = false);
// Whether any (all) elements are nonzero over the axes, as bool: any of nothing is false, all of
// nothing true. Never require grad.
Tensor any(const Tensor& x, const Axes& axes = {}, bool keepdim = false);
Tensor all(const Tensor& x, const Axes& axes = {}, bool keepdim = false);
// Index (int64) of the first max/min along `axis` (of the first NaN, if any), over the flattened
// tensor when axis is absent.
Tensor argmax(const Tensor& x, std::int64_t axis, bool keepdim = false);
Tensor argmin(const Tensor& x, std::int64_t axis, bool keepdim = false);
Tensor argmax(const Tensor& x);
Tensor argmin(const Tensor& x);
// Variance with Bessel's correction by default (divides by n - correction), and its sqrt.
Tensor var(const Tensor& x, const Axes& axes = {}, std::int64_t correction = 1,
           bool keepdim = false);
Tensor stddev(const Tensor& x, const Axes& axes = {}, std::int64_t correction = 1,
              bool keepdim = false);
// log(sum(exp(x))) computed without overflow.
Tensor logsumexp(const Tensor& x, const Axes& axes = {}, bool keepdim = false);

// ---- linear algebra ----
// 2-D x 2-D, batched (..., m, k) x (..., k, n) with broadcast batch dims, matrix-vector,
// vector-matrix and vector-vector, as torch.matmul. Errors name both shapes.
Tensor matmul(const Tensor& a, const Tensor& b);

// ---- movement (views share storage) ----
Tensor view(const Tensor& x, const Shape& shape);     // needs compatible strides; -1 is inferred
Tensor reshape(const Tensor& x, const Shape& shape);  // a view when possible, else a copy
Tensor flatten(const Tensor& x, std::int64_t start = 0, std::int64_t end = -1);
Tensor permute(const Tensor& x, const Shape& order);
Tensor transpose(const Tensor& x, std::int64_t a, std::int64_t b);
Tensor expand(const Tensor& x, const Shape& shape);  // -1 keeps a dimension
Tensor squeeze(const Tensor& x, std::int64_t axis);
Tensor unsqueeze(const Tensor& x, std::int64_t axis);
// Python's x[start:stop:step] along one axis (negative bounds count from the end; step > 0).
Tensor slice(const Tensor& x, std::int64_t axis, std::int64_t start, std::int64_t stop,
             std::int64_t step = 1);
Tensor contiguous(const Tensor& x);
// x converted to `dtype` (element::convert in element.hpp: NaN and out-of-range values become
// INT64_MIN in int64, nonzero becomes true in bool). Only floating results carry a gradient.
Tensor cast(const Tensor& x, DType dtype);
Tensor index_select(const Tensor& x, std::int64_t axis, const Tensor& index);
Tensor gather(const Tensor& x, std::int64_t axis, const Tensor& index);
Tensor concat(const std::vector<Tensor>& tensors, std::int64_t axis = 0);
Tensor stack(const std::vector<Tensor>& tensors, std::int64_t axis = 0);

// ---- network ops ----
Tensor softmax(const Tensor& x, std::int64_t axis = -1);
Tensor log_softmax(const Tensor& x, std::int64_t axis = -1);
enum class Reduction { none, mean, sum };
// A loss's elementwise terms reduced as torch's `reduction=` does: as they are, summed or averaged.
Tensor apply_reduction(const Tensor& terms, Reduction reduction);
// logits (N, C), (C,) or (N, C, d1, ...), target (N,), () or (N, d1, ...) int64 classes, as
// torch.nn.functional.cross_entropy. With label smoothing e in [0, 1] the target distribution is
// (1 - e) one_hot + e / C. kindling::nn re-exports this one function (nn/loss.hpp).
Tensor cross_entropy(const Tensor& logits, const Tensor& target,
                     Reduction reduction = Reduction::mean, double label_smoothing = 0.0);
// (..., ) int64 -> (..., num_classes) int64.
Tensor one_hot(const Tensor& index, std::int64_t num_classes);

// Broadcast shape of two shapes; throws naming `op` and both shapes when they do not broadcast.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op = "broadcast");

}  // namespace kindling
