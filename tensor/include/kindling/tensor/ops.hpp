// The differentiable tensor ops (and the comparisons, which are not). Each is listed in the op
// table (op_list.hpp) and written in tensor/src/ops_*.cpp with its backward beside it.
//
// Broadcasting follows NumPy: shapes are aligned from the right and dimensions of size 1 stretch.
// A binary op expands both operands explicitly first (an `expand` node whose backward sums), so
// no op un-broadcasts by hand. Axes may be negative (counted from the end). An empty axis list
// reduces over every axis. As in torch, a 0-d tensor takes axis -1 or 0 wherever torch's op does
// (the reductions, cumsum, softmax, sort, transpose, flip, gather, ...), as the one-element 1-D
// tensor it holds; concat, split, chunk, unbind and slice refuse it whatever the axis.
// At NaN, signed zeros, infinities and subnormals every op gives PyTorch 1.13's values and
// gradients (Note [special values] in kindling/tensor/special_values.hpp).
//
// Errors common to all of them, so not repeated below: an undefined operand, an axis outside
// [-dim, dim), operands on different devices, and shapes that do not broadcast throw
// kindling::error naming the op.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kindling/tensor/tensor.hpp"

namespace kindling {

/// A list of axes (dimensions) to reduce or act on; negative ones count from the end, and an
/// empty list means every axis where an op reduces.
using Axes = std::vector<std::int64_t>;

/// @name Elementwise unary ops
/// One function per row of KINDLING_TENSOR_UNARY (op_list.hpp, where each row's edge behaviour
/// is noted): `Tensor name(const Tensor& x)`, the torch function of the same name, e.g.
/// `exp(x)`, `relu(x)`, `log1p(x)`. The result has x's shape and dtype; `floating` rows need
/// float32 or float64, `numeric` rows (neg, abs, relu, sign, floor, round) take int64 too; bool
/// is always rejected (kindling::error naming the op).
//@{
#define KINDLING_X(name, ...) Tensor name(const Tensor& x);
/// The row's function of x, elementwise (this group's text says which rows and dtypes).
KINDLING_TENSOR_UNARY(KINDLING_X)
#undef KINDLING_X
//@}
/// @name Elementwise unary ops with parameters
/// One function per row of KINDLING_TENSOR_UNARY_PARAM, with the row's parameters and PyTorch's
/// defaults (op_list.hpp): `leaky_relu(x, negative_slope = 0.01)`, `elu(x, alpha = 1.0)`,
/// `softplus(x, beta = 1.0, threshold = 20.0)`, as torch.nn.functional's. Floating tensors only.
//@{
#define KINDLING_X(name, label, formula, ps) Tensor name(const Tensor& x KINDLING_PARAMS_DECL(ps));
/// The row's function of x with its parameters, elementwise (this group's text says which).
KINDLING_TENSOR_UNARY_PARAM(KINDLING_X)
#undef KINDLING_X
//@}
/// x limited to [low, high], as torch.clamp. NaN stays NaN; the gradient is 1 on [low, high]
/// (bounds included), 0 outside and at NaN.
/// @throws kindling::error when low > high.
Tensor clamp(const Tensor& x, double low, double high);

// ---- elementwise, binary, broadcasting ----
// The result dtype is result_type of the operands (Note [type promotion] in dtype.hpp): a number
// (a Scalar: `x * 0.5`, `pow(x, 2)`) or a 0-d tensor changes it only when its category (bool <
// integer < floating) is higher, so float32 x * 0.5 is float32 and int64 x * 0.5 is float32 too.
// int64 add, sub and mul wrap around. bool add is `or` and mul `and`; sub and neg reject bool
// operands (use logical_xor, logical_not), as PyTorch does.

/// @name Result types
/// The dtype a binary op gives its operands (Note [type promotion] in dtype.hpp), as
/// torch.result_type: a 0-d tensor counts as zero_dim, a Scalar as a wrapped number.
//@{
/// For two tensors.
DType result_type(const Tensor& a, const Tensor& b);
/// For a tensor and a number.
DType result_type(const Tensor& a, const Scalar& b);
/// For a number and a tensor.
DType result_type(const Scalar& a, const Tensor& b);
/// For two numbers.
DType result_type(const Scalar& a, const Scalar& b);
//@}

/// a + b, broadcasting, in result_type(a, b) (torch.add); int64 wraps around, bool is `or`.
Tensor add(const Tensor& a, const Tensor& b);
/// a - b, broadcasting, in result_type(a, b) (torch.sub); int64 wraps around.
/// @throws kindling::error for a bool operand (use logical_xor or logical_not).
Tensor sub(const Tensor& a, const Tensor& b);
/// a * b elementwise, broadcasting, in result_type(a, b) (torch.mul); bool is `and`.
Tensor mul(const Tensor& a, const Tensor& b);
/// a / b, broadcasting (torch.div). True division: integer and bool operands divide in float32
/// (int64 / int64 is float32, as in PyTorch), so no integer is ever divided by zero.
Tensor div(const Tensor& a, const Tensor& b);
/// a to the power b, broadcasting: C99's pow (0^0 = NaN^0 = 1^NaN = 1), as
/// torch.pow(tensor, tensor). A number exponent is the same op: torch's `t ** 0.5` differs at
/// -0 and -inf only, where it takes sqrt's values (-0, NaN). An int64 result wraps around. A
/// tensor of negative integer exponents gives PyTorch's values (1 for a base 1, +-1 for -1,
/// else 0).
/// @throws kindling::error when the result would be bool (bool ^ bool).
Tensor pow(const Tensor& a, const Tensor& b);
/// x to a number power (`pow(x, 2)`); the dtype is result_type(a, exponent).
/// @throws kindling::error for an integer tensor to a negative integer power ("integers to
///         negative integer powers are not allowed", as in PyTorch), or a bool result.
Tensor pow(const Tensor& a, const Scalar& exponent);
/// A number to tensor powers (`pow(2, x)`), as torch.pow(self: Number, exponent: Tensor).
/// @throws kindling::error for a bool result.
Tensor pow(const Scalar& base, const Tensor& exponent);
/// The larger of a and b elementwise, broadcasting (torch.maximum): NaN if either is NaN; ties
/// split the gradient, as in PyTorch.
Tensor maximum(const Tensor& a, const Tensor& b);
/// The smaller of a and b elementwise (torch.minimum); NaN and ties as maximum.
Tensor minimum(const Tensor& a, const Tensor& b);
/// cond ? a : b, broadcasting all three, as torch.where. The result dtype is result_type(a, b).
/// No gradient flows to cond.
/// @throws kindling::error when cond is not bool (compare with != 0 or cast(x, DType::bool_)
///         first, as PyTorch requires) or is on another device.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
/// where() with a number for b.
Tensor where(const Tensor& cond, const Tensor& a, const Scalar& b);
/// where() with a number for a.
Tensor where(const Tensor& cond, const Scalar& a, const Tensor& b);
/// where() with two numbers: the result is on cond's device, in result_type(a, b).
Tensor where(const Tensor& cond, const Scalar& a, const Scalar& b);
/// x with `value` where mask is true (torch.masked_fill): where(mask, value, x) in x's dtype (a
/// fractional value into int64 truncates). mask must be bool and broadcast with x.
/// @throws kindling::error when mask is not bool, does not broadcast, or value does not fit x's
///         dtype (NaN or an out-of-range value into int64).
Tensor masked_fill(const Tensor& x, const Tensor& mask, const Scalar& value);
/// masked_fill with a 0-d tensor value (cast to x's dtype), which receives the gradient of the
/// filled places.
/// @throws kindling::error when mask is not bool, does not broadcast, or value is not 0-d.
Tensor masked_fill(const Tensor& x, const Tensor& mask, const Tensor& value);

/// @name Comparisons
/// Elementwise a == b, a != b, a < b, a <= b, a > b, a >= b, broadcasting (torch.eq, ne, lt,
/// le, gt, ge): bool masks, computed in result_type of the operands; they never require grad.
/// NaN compares unequal to everything, itself included.
//@{
Tensor eq(const Tensor& a, const Tensor& b);  ///< a == b.
Tensor ne(const Tensor& a, const Tensor& b);  ///< a != b.
Tensor lt(const Tensor& a, const Tensor& b);  ///< a < b.
Tensor le(const Tensor& a, const Tensor& b);  ///< a <= b.
Tensor gt(const Tensor& a, const Tensor& b);  ///< a > b.
Tensor ge(const Tensor& a, const Tensor& b);  ///< a >= b.
Tensor eq(const Tensor& a, const Scalar& b);  ///< a == b for a number b.
Tensor ne(const Tensor& a, const Scalar& b);  ///< a != b for a number b.
Tensor lt(const Tensor& a, const Scalar& b);  ///< a < b for a number b.
Tensor le(const Tensor& a, const Scalar& b);  ///< a <= b for a number b.
Tensor gt(const Tensor& a, const Scalar& b);  ///< a > b for a number b.
Tensor ge(const Tensor& a, const Scalar& b);  ///< a >= b for a number b.
//@}

/// @name Logical ops
/// torch.logical_not, logical_and, logical_or, logical_xor: bool results over operands of any
/// dtype (nonzero is true, NaN included), broadcasting; they never require grad.
//@{
Tensor logical_not(const Tensor& x);                   ///< Not x.
Tensor logical_and(const Tensor& a, const Tensor& b);  ///< a and b.
Tensor logical_or(const Tensor& a, const Tensor& b);   ///< a or b.
Tensor logical_xor(const Tensor& a, const Tensor& b);  ///< a xor b.
//@}

/// @name Arithmetic and comparison operators
/// `a + b` is add(a, b), `-a` is neg(a), `a < b` is lt(a, b), and so on. A number operand is a
/// wrapped number (Note [wrapped numbers]), never a 0-d float64 tensor: `x * 0.5` stays float32.
/// No operator== on Tensor: same_node() is identity, eq() the elementwise comparison.
//@{
Tensor operator+(const Tensor& a, const Tensor& b);   ///< add(a, b).
Tensor operator-(const Tensor& a, const Tensor& b);   ///< sub(a, b).
Tensor operator*(const Tensor& a, const Tensor& b);   ///< mul(a, b).
Tensor operator/(const Tensor& a, const Tensor& b);   ///< div(a, b).
Tensor operator-(const Tensor& a);                    ///< neg(a).
Tensor operator+(const Tensor& a, const Scalar& b);   ///< add(a, b) for a number b.
Tensor operator-(const Tensor& a, const Scalar& b);   ///< sub(a, b) for a number b.
Tensor operator*(const Tensor& a, const Scalar& b);   ///< mul(a, b) for a number b.
Tensor operator/(const Tensor& a, const Scalar& b);   ///< div(a, b) for a number b.
Tensor operator+(const Scalar& a, const Tensor& b);   ///< add(a, b) for a number a.
Tensor operator-(const Scalar& a, const Tensor& b);   ///< sub(a, b) for a number a.
Tensor operator*(const Scalar& a, const Tensor& b);   ///< mul(a, b) for a number a.
Tensor operator/(const Scalar& a, const Tensor& b);   ///< div(a, b) for a number a.
Tensor operator<(const Tensor& a, const Tensor& b);   ///< lt(a, b).
Tensor operator<=(const Tensor& a, const Tensor& b);  ///< le(a, b).
Tensor operator>(const Tensor& a, const Tensor& b);   ///< gt(a, b).
Tensor operator>=(const Tensor& a, const Tensor& b);  ///< ge(a, b).
Tensor operator<(const Tensor& a, const Scalar& b);   ///< lt(a, b).
Tensor operator<=(const Tensor& a, const Scalar& b);  ///< le(a, b).
Tensor operator>(const Tensor& a, const Scalar& b);   ///< gt(a, b).
Tensor operator>=(const Tensor& a, const Scalar& b);  ///< ge(a, b).
Tensor operator<(const Scalar& a, const Tensor& b);   ///< gt(b, a).
Tensor operator<=(const Scalar& a, const Tensor& b);  ///< ge(b, a).
Tensor operator>(const Scalar& a, const Tensor& b);   ///< lt(b, a).
Tensor operator>=(const Scalar& a, const Tensor& b);  ///< le(b, a).
//@}
/// @name Mask operators
/// On bool tensors only (masks): `~a` not, `a & b` and, `a | b` or, `a ^ b` xor, broadcasting.
/// They throw kindling::error for any other dtype (bitwise ops on integers are not supported;
/// logical_and, logical_or and logical_xor take any dtype).
//@{
Tensor operator~(const Tensor& a);                   ///< Not a (bool a only).
Tensor operator&(const Tensor& a, const Tensor& b);  ///< a and b (bool only).
Tensor operator|(const Tensor& a, const Tensor& b);  ///< a or b (bool only).
Tensor operator^(const Tensor& a, const Tensor& b);  ///< a xor b (bool only).
//@}

// ---- reductions ----
// Each reduces over `axes` (every axis when empty); the reduced dimensions are dropped, or kept
// with size 1 when keepdim. Giving an axis twice is an error.

/// The sum over `axes` (torch.sum). The sum of bool or int64 elements is int64 (wrapping
/// around), as in PyTorch; floating tensors keep their dtype.
Tensor sum(const Tensor& x, const Axes& axes = {}, bool keepdim = false);
/// The mean over `axes` (torch.mean); NaN over an empty slice.
/// @throws kindling::error for a tensor that is not floating-point.
Tensor mean(const Tensor& x, const Axes& axes = {}, bool keepdim = false);
/// The max over `axes` (NaN if the slice has a NaN), in x's dtype. The gradient goes to the
/// elements equal to the result, split evenly among ties. With no axes this is torch.max(x),
/// whose gradient at a NaN result is split among the NaNs; with axes it is torch.amax(x, axes),
/// whose NaN slices get NaN gradients (Note [max of NaN] in ops_reduce.cpp). Unlike
/// torch.max(x, dim) it returns no indices (argmax does).
/// @throws kindling::error when a reduced dimension is empty.
Tensor max(const Tensor& x, const Axes& axes = {}, bool keepdim = false);
/// The min over `axes`; as max.
/// @throws kindling::error when a reduced dimension is empty.
Tensor min(const Tensor& x, const Axes& axes = {}, bool keepdim = false);
/// Whether any element is nonzero over the axes, as bool (torch.any): any of nothing is false.
/// Never requires grad.
Tensor any(const Tensor& x, const Axes& axes = {}, bool keepdim = false);
/// Whether all elements are nonzero over the axes, as bool (torch.all): all of nothing is true.
/// Never requires grad.
Tensor all(const Tensor& x, const Axes& axes = {}, bool keepdim = false);
/// The index (int64) of the first max along `axis` (of the first NaN, if any), as torch.argmax.
/// Never requires grad.
/// @throws kindling::error when that dimension is empty.
Tensor argmax(const Tensor& x, std::int64_t axis, bool keepdim = false);
/// The index (int64) of the first min along `axis` (of the first NaN, if any), as torch.argmin.
/// @throws kindling::error when that dimension is empty.
Tensor argmin(const Tensor& x, std::int64_t axis, bool keepdim = false);
/// The index (int64, 0-d) of the first max of the flattened tensor.
/// @throws kindling::error for an empty tensor.
Tensor argmax(const Tensor& x);
/// The index (int64, 0-d) of the first min of the flattened tensor.
/// @throws kindling::error for an empty tensor.
Tensor argmin(const Tensor& x);
/// The variance over `axes`, dividing by n - correction (Bessel's correction by default), as
/// torch.var(x, dim, correction=...); inf or NaN where n <= correction.
/// @throws kindling::error for a tensor that is not floating-point.
Tensor var(const Tensor& x, const Axes& axes = {}, std::int64_t correction = 1,
           bool keepdim = false);
/// sqrt(var(x, axes, correction, keepdim)): torch.std (`std` would clash with the namespace).
/// @throws kindling::error for a tensor that is not floating-point.
Tensor stddev(const Tensor& x, const Axes& axes = {}, std::int64_t correction = 1,
              bool keepdim = false);
/// log(sum(exp(x))) over `axes`, computed without overflow (torch.logsumexp); -inf over an empty
/// slice.
/// @throws kindling::error for a tensor that is not floating-point.
Tensor logsumexp(const Tensor& x, const Axes& axes = {}, bool keepdim = false);

// ---- linear algebra ----

/// The matrix product, as torch.matmul: 2-D x 2-D, batched (..., m, k) x (..., k, n) with
/// broadcast batch dims, matrix-vector, vector-matrix and vector-vector (a 0-d result).
/// Floating operands only (of one dtype after promotion).
/// @throws kindling::error naming both shapes for a 0-d operand, inner dimensions that differ,
///         batch dimensions that do not broadcast, operands on different devices, or an integer
///         or bool result type.
/// @code
/// const kindling::Tensor c = kindling::matmul(kindling::ones({2, 3}), kindling::ones({3, 4}));
/// // c has shape (2, 4), every element 3
/// @endcode
Tensor matmul(const Tensor& a, const Tensor& b);

// ---- movement (views share storage) ----

/// The same elements in another shape, sharing storage (torch.Tensor.view); one size may be -1,
/// inferred from the others.
/// @throws kindling::error when the element counts differ, -1 appears twice or cannot be
///         inferred, a size is negative, or the strides do not allow a view (use reshape).
Tensor view(const Tensor& x, const Shape& shape);
/// view() when the strides allow it, else a contiguous copy in the new shape (torch.reshape).
/// @throws kindling::error as view() does for the shape.
Tensor reshape(const Tensor& x, const Shape& shape);
/// Dimensions start..end (inclusive) merged into one, as torch.flatten; a 0-d tensor becomes
/// shape (1).
/// @throws kindling::error when start comes after end.
Tensor flatten(const Tensor& x, std::int64_t start = 0, std::int64_t end = -1);
/// The dimensions reordered: output dimension i is input dimension order[i] (torch.permute). A
/// view.
/// @throws kindling::error when order is not a permutation of x's dimensions.
Tensor permute(const Tensor& x, const Shape& order);
/// Dimensions a and b swapped, as torch.transpose. A view.
Tensor transpose(const Tensor& x, std::int64_t a, std::int64_t b);
/// Size-1 dimensions stretched to `shape` without copying (stride 0), new ones added in front,
/// as torch.Tensor.expand; -1 keeps a dimension. The gradient sums over the stretched ones.
/// @throws kindling::error when shape has fewer dimensions, a size is negative (or -1 for a new
///         dimension), or a dimension of size other than 1 would change.
Tensor expand(const Tensor& x, const Shape& shape);
/// x without dimension `axis` when its size is 1, else x itself (torch.squeeze(x, dim)). A view.
/// A 0-d tensor comes back as it is for axis -1 or 0, as torch's.
/// @throws kindling::error for an axis out of range.
Tensor squeeze(const Tensor& x, std::int64_t axis);
/// x with a new size-1 dimension at `axis`, in [-dim - 1, dim] (torch.unsqueeze). A view.
Tensor unsqueeze(const Tensor& x, std::int64_t axis);
/// Python's x[start:stop:step] along one axis (negative bounds count from the end, and bounds
/// are clamped to the size). A view.
/// @throws kindling::error when step is not positive.
Tensor slice(const Tensor& x, std::int64_t axis, std::int64_t start, std::int64_t stop,
             std::int64_t step = 1);
/// x itself when it is contiguous, else a row-major copy that stays in the graph
/// (torch.Tensor.contiguous).
Tensor contiguous(const Tensor& x);
/// x converted to `dtype` (torch.Tensor.to(dtype)); x itself when it already has it. The
/// conversion is element::convert's (element.hpp): NaN and out-of-range values become INT64_MIN
/// in int64, nonzero becomes true in bool. Only floating results carry a gradient.
Tensor cast(const Tensor& x, DType dtype);
/// The slices of x at the positions `index` (1-D int64) along `axis`, as torch.index_select; the
/// result has index's length there. The gradient adds back at the selected positions.
/// @throws kindling::error when index is not 1-D int64 on x's device; an index out of range
///         throws from the kernel.
Tensor index_select(const Tensor& x, std::int64_t axis, const Tensor& index);
/// out[i][j][k] = x[index[i][j][k]][j][k] for axis 0, and so on (torch.gather): the result has
/// index's shape; index (int64, on x's device) has x's number of dimensions and is no larger
/// than x outside `axis`.
/// @throws kindling::error when index breaks those rules; an index out of range throws from the
///         kernel.
Tensor gather(const Tensor& x, std::int64_t axis, const Tensor& index);
/// The tensors joined along `axis` (torch.cat), in the promoted dtype of all of them. Each
/// gets its slice of the gradient.
/// @throws kindling::error for an empty list, or shapes that differ outside `axis` or in their
///         number of dimensions.
Tensor concat(const std::vector<Tensor>& tensors, std::int64_t axis = 0);
/// The tensors joined along a new dimension `axis` (torch.stack).
/// @throws kindling::error for an empty list, or shapes that differ.
Tensor stack(const std::vector<Tensor>& tensors, std::int64_t axis = 0);

// ---- network ops ----

/// exp(x) / sum(exp(x)) along `axis`, shifted by the max so nothing overflows
/// (torch.softmax). A line holding +inf or NaN, or only -inf, is NaN throughout.
/// @throws kindling::error for a tensor that is not floating-point.
Tensor softmax(const Tensor& x, std::int64_t axis = -1);
/// x - logsumexp(x) along `axis`, in one kernel (torch.log_softmax).
/// @throws kindling::error for a tensor that is not floating-point.
Tensor log_softmax(const Tensor& x, std::int64_t axis = -1);
/// How a loss combines its per-element terms, as torch's `reduction=`.
enum class Reduction {
  none,  ///< The terms as they are.
  mean,  ///< Their mean: a 0-d tensor.
  sum    ///< Their sum: a 0-d tensor.
};
/// A loss's elementwise terms reduced as torch's `reduction=` does: as they are, summed or
/// averaged.
Tensor apply_reduction(const Tensor& terms, Reduction reduction);
/// The cross-entropy of logits against int64 class targets, as
/// torch.nn.functional.cross_entropy: logits (N, C), (C,) or (N, C, d1, ...), target (N,), ()
/// or (N, d1, ...). With label smoothing e in [0, 1] the target distribution is
/// (1 - e) one_hot + e / C. The result is 0-d unless reduction is none (then target's shape).
/// kindling::nn re-exports this one function (nn/loss.hpp).
/// @throws kindling::error when logits are not floating-point, targets not int64, the shapes or
///         devices do not match, logits have no classes, label_smoothing is outside [0, 1], or a
///         target is outside [0, C).
/// @code
/// const kindling::Tensor logits = kindling::zeros({2, 3});
/// const kindling::Tensor target = kindling::tensor({0, 2}, kindling::DType::int64);
/// const kindling::Tensor loss = kindling::cross_entropy(logits, target);  // log(3)
/// @endcode
Tensor cross_entropy(const Tensor& logits, const Tensor& target,
                     Reduction reduction = Reduction::mean, double label_smoothing = 0.0);
/// (..., ) int64 -> (..., num_classes) int64 rows of 0 with a 1 at each index
/// (torch.nn.functional.one_hot, with num_classes required). Never requires grad.
/// @throws kindling::error when index is not int64, num_classes is not positive, or an index is
///         outside [0, num_classes).
Tensor one_hot(const Tensor& index, std::int64_t num_classes);

/// Values and their int64 positions along an axis: what sort, topk and max_pool2d_with_indices
/// return (torch's (values, indices) tuples).
struct ValuesIndices {
  Tensor values;   ///< The values, with the gradient.
  Tensor indices;  ///< Where each value came from (int64); never requires grad.
};

// ---- convolutional networks (ops_conv.cpp, Note [convolution]) ----
// They take floating (N, C, H, W) images (the pools also (C, H, W)); sizes that are not
// positive, negative paddings and windows larger than the padded image are errors.

/// A pair (height, width) of window sizes, strides, paddings or dilations; one number is both,
/// as torch's int-or-tuple arguments.
struct Size2 {
  /// The height (along H).
  std::int64_t h = 0, w = 0;
  /// @var w
  /// The width (along W).

  /// (0, 0).
  Size2() = default;
  /// (both, both): implicit, so `conv2d(x, w, {}, 2)` means stride (2, 2).
  Size2(std::int64_t both) : h(both), w(both) {}  // NOLINT(google-explicit-constructor)
  /// (height, width).
  Size2(std::int64_t height, std::int64_t width) : h(height), w(width) {}
};
/// torch.nn.functional.unfold (im2col): x (N, C, H, W) -> (N, C kh kw, L), each of the L
/// windows a column, row (c kh + i) kw + j its tap (i, j) of channel c (0 in the padding).
Tensor unfold(const Tensor& x, Size2 kernel_size, Size2 dilation = 1, Size2 padding = 0,
              Size2 stride = 1);
/// torch.nn.functional.fold, unfold's adjoint: cols (N, C kh kw, L) -> (N, C, H, W) for
/// output_size (H, W), each column added back at its window.
/// @throws kindling::error when cols' shape does not match the windows of output_size.
Tensor fold(const Tensor& cols, Size2 output_size, Size2 kernel_size, Size2 dilation = 1,
            Size2 padding = 0, Size2 stride = 1);
/// torch.nn.functional.conv2d: x (N, C, H, W), weight (O, C / groups, kh, kw), bias (O,) or
/// undefined -> (N, O, Ho, Wo), Ho = floor((H + 2 pad - dilation (kh - 1) - 1) / stride) + 1.
/// Zero padding.
/// @throws kindling::error naming the input and weight shapes when they do not fit (channels,
///         groups), or weight or bias differ from x in dtype or device.
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias = {}, Size2 stride = 1,
              Size2 padding = 0, Size2 dilation = 1, std::int64_t groups = 1);
/// torch.nn.functional.max_pool2d on (N, C, H, W) or (C, H, W); stride 0 means the kernel size
/// (torch's stride=None); padding at most half the kernel, never chosen. The indices (int64) are
/// flat positions h W + w in each plane, as torch's return_indices=True. NaN wins a window
/// (its last NaN, as torch's), else its first maximum.
/// @throws kindling::error for another rank, or padding above half the kernel.
ValuesIndices max_pool2d_with_indices(const Tensor& x, Size2 kernel_size, Size2 stride = 0,
                                      Size2 padding = 0, Size2 dilation = 1,
                                      bool ceil_mode = false);
/// max_pool2d_with_indices(...).values: torch.nn.functional.max_pool2d.
Tensor max_pool2d(const Tensor& x, Size2 kernel_size, Size2 stride = 0, Size2 padding = 0,
                  Size2 dilation = 1, bool ceil_mode = false);
/// torch.nn.functional.avg_pool2d on (N, C, H, W) or (C, H, W); stride 0 means the kernel
/// size; divisor_override 0 is none.
/// @throws kindling::error for ceil_mode = true (not supported), a negative divisor_override,
///         or padding above half the kernel.
Tensor avg_pool2d(const Tensor& x, Size2 kernel_size, Size2 stride = 0, Size2 padding = 0,
                  bool ceil_mode = false, bool count_include_pad = true,
                  std::int64_t divisor_override = 0);
/// torch.nn.functional.adaptive_avg_pool2d on (N, C, H, W) or (C, H, W) -> output_size planes,
/// with torch's bins, [floor(i H / oh), ceil((i + 1) H / oh)).
/// @throws kindling::error for a non-positive output size or an empty plane.
Tensor adaptive_avg_pool2d(const Tensor& x, Size2 output_size);
/// torch.nn.functional.batch_norm over dim 1 of x (N, C, ...). In training the batch statistics
/// normalise (biased variance) and, when running_mean and running_var are given, update them in
/// place (r = (1 - momentum) r + momentum s, the unbiased variance for running_var); otherwise the
/// running statistics normalise. weight and bias are optional (C,).
/// @throws kindling::error when x has fewer than 2 dimensions or is not floating-point, a
///         statistic or weight is not (C,) of x's dtype and device, only one running statistic
///         is given, evaluation has none, or training sees one value per channel.
Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight = {}, const Tensor& bias = {}, bool training = false,
                  double momentum = 0.1, double eps = 1e-5);
/// How pad fills the new elements.
enum class PadMode {
  constant,   ///< With `value`; negative amounts crop.
  reflect,    ///< Mirrored about the edge, which is not repeated (amounts below the size).
  replicate,  ///< The edge repeated.
  circular    ///< Wrapped around (amounts at most the size).
};
/// torch.nn.functional.pad: `amounts` holds (left, right) pairs, the last dim's first ({1, 2}
/// pads the last dim by 1 before and 2 after; {1, 1, 2, 2} also the one before it by 2 on each
/// side). constant fills with `value`, and negative amounts crop; reflect mirrors about the edge
/// (amounts below the size), replicate repeats the edge, circular wraps around (amounts at most
/// the size).
/// @throws kindling::error for an odd count or more pairs than dimensions, a crop past the size,
///         or amounts the mode does not take (negative, too large, or an empty dimension).
Tensor pad(const Tensor& x, const std::vector<std::int64_t>& amounts, PadMode mode,
           double value = 0.0);
/// pad(x, amounts, PadMode::constant, value).
Tensor pad(const Tensor& x, const std::vector<std::int64_t>& amounts, double value = 0.0);

// ---- the PyTorch surface of issue 13 (composites of the primitives above, so their gradients
// come from them; each is a row of KINDLING_TENSOR_COMPOSITES or _NOGRAD unless it is only another
// spelling of an op: mm, bmm, dot, outer, t, cat) ----

/// x * x (torch.square; tan, log2 and log10 are rows of KINDLING_TENSOR_UNARY).
Tensor square(const Tensor& x);
/// A bool mask of the NaN elements (torch.isnan); never requires grad. Integer and bool tensors
/// have none.
Tensor isnan(const Tensor& x);
/// A bool mask of the +-inf elements (torch.isinf); never requires grad. Integer and bool
/// tensors have none.
Tensor isinf(const Tensor& x);
/// torch.amax: the max over `axes` (all when empty), the gradient split evenly among ties and
/// NaN for a NaN slice (torch.amax's, unlike max(x) of the whole tensor: Note [max of NaN] in
/// ops_reduce.cpp).
/// @throws kindling::error when a reduced dimension is empty.
Tensor amax(const Tensor& x, const Axes& axes = {}, bool keepdim = false);
/// torch.amin: the min over `axes`; as amax.
/// @throws kindling::error when a reduced dimension is empty.
Tensor amin(const Tensor& x, const Axes& axes = {}, bool keepdim = false);
/// The product over `axes` (all when empty), as a tree of elementwise multiplications, so the
/// gradient is exact at zeros. bool and int64 give int64 (wrapping), as torch.prod; the empty
/// product is 1.
Tensor prod(const Tensor& x, const Axes& axes = {}, bool keepdim = false);
/// Running sums along `axis` (a log-step scan of adds: exact for int64, which it keeps; bool gives
/// int64), as torch.cumsum.
Tensor cumsum(const Tensor& x, std::int64_t axis);
/// The p-norm over `axes` (all when empty), as torch.linalg.vector_norm: p = 2 (default), 1,
/// +-inf (max/min of |x|, the gradient split evenly among ties), 0 (the number of non-zero
/// elements, gradient 0) or any other p, negative too (a slice holding a 0 then has norm 0); the
/// gradient at an all-zero slice is 0, and a slice holding a NaN sends gradient 0 for p = +-inf,
/// as torch's.
/// @throws kindling::error for a tensor that is not floating-point, p NaN, or p < 0 (-inf
///         included) over an empty slice.
Tensor norm(const Tensor& x, double p = 2.0, const Axes& axes = {}, bool keepdim = false);
/// x with src added at index along axis (torch.scatter_add, out of place): out[..index[i]..] +=
/// src[i] for every position i of index, which is at most src's shape, and x's outside axis.
/// Gradients: g to x, gather(g) to the used part of src.
/// @throws kindling::error when index is not int64, the three are on different devices, src's
///         dtype differs from x's, their numbers of dimensions differ, or index is too large.
Tensor scatter_add(const Tensor& x, std::int64_t axis, const Tensor& index, const Tensor& src);
/// Sorted along `axis` (stable; NaN counts as the largest, as torch.sort). The values are
/// gather(x, axis, indices), so the gradient goes back to where each value came from. The indices
/// are computed on the CPU (a tensor on another device is copied there and back).
ValuesIndices sort(const Tensor& x, std::int64_t axis = -1, bool descending = false);
/// The k largest (smallest) along `axis`, in sorted order, as torch.topk.
/// @throws kindling::error unless 0 <= k <= size(axis).
ValuesIndices topk(const Tensor& x, std::int64_t k, std::int64_t axis = -1, bool largest = true);
/// torch.Tensor.repeat: x tiled reps[d] times along each dimension (reps may be longer than
/// x.dim(): x gets leading size-1 dimensions).
/// @throws kindling::error for fewer reps than dimensions, or a negative count.
Tensor repeat(const Tensor& x, const Shape& reps);
/// torch.tile: repeat, with reps shorter than x.dim() padded with leading 1s.
/// @throws kindling::error for a negative count.
Tensor tile(const Tensor& x, const Shape& reps);
/// The elements in reverse order along each of `axes` (a copy, as torch.flip).
/// @throws kindling::error when an axis is given twice.
Tensor flip(const Tensor& x, const Axes& axes);
/// Views along `axis`: `chunks` pieces of ceil(size / chunks) (the last smaller, maybe fewer
/// pieces, as torch.chunk).
/// @throws kindling::error when chunks is not positive.
std::vector<Tensor> chunk(const Tensor& x, std::int64_t chunks, std::int64_t axis = 0);
/// Views along `axis` of `size` each, the last smaller (torch.split with an int).
/// @throws kindling::error when size is not positive (0 is allowed for an empty axis).
std::vector<Tensor> split(const Tensor& x, std::int64_t size, std::int64_t axis = 0);
/// Views along `axis` of the given sizes, which must add up to size(axis) (torch.split with a
/// list).
/// @throws kindling::error for a negative size or a wrong total.
std::vector<Tensor> split(const Tensor& x, const Shape& sizes, std::int64_t axis = 0);
/// Every index along `axis`, that axis removed (torch.unbind): views.
std::vector<Tensor> unbind(const Tensor& x, std::int64_t axis = 0);
/// The lower triangle of the last two dimensions, with the diagonal shifted by `diagonal`; the
/// rest is 0 (torch.tril).
/// @throws kindling::error for fewer than 2 dimensions.
Tensor tril(const Tensor& x, std::int64_t diagonal = 0);
/// The upper triangle of the last two dimensions (torch.triu); as tril.
/// @throws kindling::error for fewer than 2 dimensions.
Tensor triu(const Tensor& x, std::int64_t diagonal = 0);
/// A 1-D x on the `diagonal` of a square matrix (0 elsewhere), or the `diagonal` of a 2-D x
/// (torch.diag).
/// @throws kindling::error for other ranks.
Tensor diag(const Tensor& x, std::int64_t diagonal = 0);
/// Einstein summation over letters a-z and A-Z (torch.einsum): "ij,jk->ik", "bij,bjk->bik",
/// "i,i->", implicit output ("ij,jk" is "ik": the letters seen once, in alphabetical order).
/// Not supported: "..." and a letter twice in one operand ("ii->i"). Built from sum, permute,
/// reshape and matmul.
/// @throws kindling::error naming the equation for what it does not support, a wrong operand
///         count or rank, sizes of one letter that differ, or an output letter not in the inputs
///         or repeated.
Tensor einsum(const std::string& equation, const std::vector<Tensor>& operands);
/// torch.mm: (n, k) x (k, m), no broadcasting.
/// @throws kindling::error unless both are matrices with matching inner dimensions.
Tensor mm(const Tensor& a, const Tensor& b);
/// torch.bmm: (b, n, k) x (b, k, m), no broadcasting.
/// @throws kindling::error unless both are 3-D with one batch size and matching inner
///         dimensions.
Tensor bmm(const Tensor& a, const Tensor& b);
/// torch.dot: two 1-D tensors of one length -> 0-d.
/// @throws kindling::error otherwise.
Tensor dot(const Tensor& a, const Tensor& b);
/// torch.outer: (n) x (m) -> (n, m).
/// @throws kindling::error unless both are 1-D.
Tensor outer(const Tensor& a, const Tensor& b);
/// transpose(x, 0, 1) of a matrix; a vector or a 0-d tensor as it is (torch.t).
/// @throws kindling::error for more than 2 dimensions.
Tensor t(const Tensor& x);
/// concat under torch's name.
inline Tensor cat(const std::vector<Tensor>& tensors, std::int64_t axis = 0) {
  return concat(tensors, axis);
}

/// The broadcast shape of two shapes (torch.broadcast_shapes).
/// @throws kindling::error naming `op` and both shapes when they do not broadcast, or the result
///         has more than 2^63 - 1 elements.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op = "broadcast");

}  // namespace kindling
