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
#include <string>
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

// Values and their int64 positions along an axis.
struct ValuesIndices {
  Tensor values;
  Tensor indices;
};

// ---- convolutional networks (ops_conv.cpp, Note [convolution]) ----
// A pair (height, width) of window sizes, strides, paddings or dilations; one number is both,
// as torch's int-or-tuple arguments.
struct Size2 {
  std::int64_t h = 0, w = 0;
  Size2() = default;
  Size2(std::int64_t both) : h(both), w(both) {}  // NOLINT(google-explicit-constructor)
  Size2(std::int64_t height, std::int64_t width) : h(height), w(width) {}
};
// torch.nn.functional.unfold: x (N, C, H, W) -> (N, C kh kw, L), each of the L windows a
// column, row (c kh + i) kw + j its tap (i, j) of channel c (0 in the padding).
Tensor unfold(const Tensor& x, Size2 kernel_size, Size2 dilation = 1, Size2 padding = 0,
              Size2 stride = 1);
// torch.nn.functional.fold, unfold's adjoint: cols (N, C kh kw, L) -> (N, C, H, W) for
// output_size (H, W), each column added back at its window.
Tensor fold(const Tensor& cols, Size2 output_size, Size2 kernel_size, Size2 dilation = 1,
            Size2 padding = 0, Size2 stride = 1);
// torch.nn.functional.conv2d: x (N, C, H, W), weight (O, C / groups, kh, kw), bias (O,) or
// undefined -> (N, O, Ho, Wo), Ho = floor((H + 2 pad - dilation (kh - 1) - 1) / stride) + 1.
// Zero padding. Errors name the input and weight shapes.
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias = {}, Size2 stride = 1,
              Size2 padding = 0, Size2 dilation = 1, std::int64_t groups = 1);
// torch.nn.functional.max_pool2d on (N, C, H, W) or (C, H, W); stride 0 means the kernel size
// (torch's stride=None); padding at most half the kernel, never chosen. The indices (int64) are
// flat positions h W + w in each plane, as torch's return_indices=True. NaN wins a window
// (its last NaN, as torch's), else its first maximum.
ValuesIndices max_pool2d_with_indices(const Tensor& x, Size2 kernel_size, Size2 stride = 0,
                                      Size2 padding = 0, Size2 dilation = 1,
                                      bool ceil_mode = false);
Tensor max_pool2d(const Tensor& x, Size2 kernel_size, Size2 stride = 0, Size2 padding = 0,
                  Size2 dilation = 1, bool ceil_mode = false);
// torch.nn.functional.avg_pool2d (ceil_mode=true is rejected); divisor_override 0 is none.
Tensor avg_pool2d(const Tensor& x, Size2 kernel_size, Size2 stride = 0, Size2 padding = 0,
                  bool ceil_mode = false, bool count_include_pad = true,
                  std::int64_t divisor_override = 0);
// torch.nn.functional.adaptive_avg_pool2d: torch's bins, [floor(i H / oh), ceil((i + 1) H / oh)).
Tensor adaptive_avg_pool2d(const Tensor& x, Size2 output_size);
// torch.nn.functional.batch_norm over dim 1 of x (N, C, ...). In training the batch statistics
// normalise (biased variance) and, when running_mean and running_var are given, update them in
// place (r = (1 - momentum) r + momentum s, the unbiased variance for running_var); otherwise the
// running statistics normalise. weight and bias are optional (C,).
Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight = {}, const Tensor& bias = {}, bool training = false,
                  double momentum = 0.1, double eps = 1e-5);
// torch.nn.functional.pad: `amounts` holds (left, right) pairs, the last dim's first ({1, 2}
// pads the last dim by 1 before and 2 after; {1, 1, 2, 2} also the one before it by 2 on each
// side). constant fills with `value`, and negative amounts crop; reflect mirrors about the edge
// (amounts below the size), replicate repeats the edge, circular wraps around (amounts at most
// the size).
enum class PadMode { constant, reflect, replicate, circular };
Tensor pad(const Tensor& x, const std::vector<std::int64_t>& amounts, PadMode mode,
           double value = 0.0);
Tensor pad(const Tensor& x, const std::vector<std::int64_t>& amounts, double value = 0.0);

// ---- the PyTorch surface of issue 13 (composites of the primitives above, so their gradients
// come from them; each is a row of KINDLING_TENSOR_COMPOSITES or _NOGRAD unless it is only another
// spelling of an op: mm, bmm, dot, outer, t, cat) ----
// x * x (tan, log2 and log10 are rows of KINDLING_TENSOR_UNARY).
Tensor square(const Tensor& x);
// Bool masks (never require grad): NaN; +-inf. Integer and bool tensors are never either.
Tensor isnan(const Tensor& x);
Tensor isinf(const Tensor& x);
// torch.amax / amin: the max/min over `axes` (all when empty), the gradient split evenly among
// ties and NaN for a NaN slice (torch.amax's, unlike max(x) of the whole tensor: Note [max of
// NaN] in ops_reduce.cpp).
Tensor amax(const Tensor& x, const Axes& axes = {}, bool keepdim = false);
Tensor amin(const Tensor& x, const Axes& axes = {}, bool keepdim = false);
// The product over `axes` (all when empty), as a tree of elementwise multiplications, so the
// gradient is exact at zeros. bool and int64 give int64 (wrapping), as torch.prod.
Tensor prod(const Tensor& x, const Axes& axes = {}, bool keepdim = false);
// Running sums along `axis` (a log-step scan of adds: exact for int64, which it keeps; bool gives
// int64), as torch.cumsum.
Tensor cumsum(const Tensor& x, std::int64_t axis);
// The p-norm over `axes` (all when empty): p = 2 (default), 1, +-inf (max/min of |x|) or any
// p > 0; the gradient at an all-zero slice is 0, as torch's. Floating tensors only.
Tensor norm(const Tensor& x, double p = 2.0, const Axes& axes = {}, bool keepdim = false);
// x with src added at index along axis (torch.scatter_add): out[..index[i]..] += src[i] for every
// position i of index, which is at most src's shape, and x's outside axis. Gradients: g to x,
// gather(g) to the used part of src.
Tensor scatter_add(const Tensor& x, std::int64_t axis, const Tensor& index, const Tensor& src);
// Sorted along `axis` (stable; NaN counts as the largest, as torch.sort). The values are
// gather(x, axis, indices), so the gradient goes back to where each value came from. The indices
// are computed on the CPU (a tensor on another device is copied there and back).
ValuesIndices sort(const Tensor& x, std::int64_t axis = -1, bool descending = false);
// The k largest (smallest) along `axis`, in sorted order; 0 <= k <= size(axis).
ValuesIndices topk(const Tensor& x, std::int64_t k, std::int64_t axis = -1, bool largest = true);
// torch.Tensor.repeat: x tiled reps[d] times along each dimension (reps may be longer than
// x.dim(): x gets leading size-1 dimensions). tile: the same, with reps shorter than x.dim()
// padded with leading 1s (torch.tile).
Tensor repeat(const Tensor& x, const Shape& reps);
Tensor tile(const Tensor& x, const Shape& reps);
// The elements in reverse order along each of `axes` (a copy, as torch.flip).
Tensor flip(const Tensor& x, const Axes& axes);
// Views along `axis`: `chunks` pieces of ceil(size / chunks) (the last smaller, maybe fewer
// pieces, as torch.chunk); pieces of `size` (the last smaller); pieces of the given sizes (which
// must add up to size(axis)); every index (the axis removed).
std::vector<Tensor> chunk(const Tensor& x, std::int64_t chunks, std::int64_t axis = 0);
std::vector<Tensor> split(const Tensor& x, std::int64_t size, std::int64_t axis = 0);
std::vector<Tensor> split(const Tensor& x, const Shape& sizes, std::int64_t axis = 0);
std::vector<Tensor> unbind(const Tensor& x, std::int64_t axis = 0);
// The lower (upper) triangle of the last two dimensions, with the diagonal shifted by
// `diagonal`; the rest is 0.
Tensor tril(const Tensor& x, std::int64_t diagonal = 0);
Tensor triu(const Tensor& x, std::int64_t diagonal = 0);
// A 1-D x on the `diagonal` of a square matrix (0 elsewhere), or the `diagonal` of a 2-D x.
Tensor diag(const Tensor& x, std::int64_t diagonal = 0);
// Einstein summation over letters a-z and A-Z: "ij,jk->ik", "bij,bjk->bik", "ii->i" is not
// supported (a letter at most once per operand), "i,i->", implicit output ("ij,jk" is "ik":
// the letters seen once, in alphabetical order). Built from sum, permute, reshape and matmul.
Tensor einsum(const std::string& equation, const std::vector<Tensor>& operands);
// The matrix forms of matmul, with torch's shape rules: mm (n, k) x (k, m); bmm (b, n, k) x
// (b, k, m) (no broadcasting); dot: two 1-D of one length; outer (n) x (m) -> (n, m).
Tensor mm(const Tensor& a, const Tensor& b);
Tensor bmm(const Tensor& a, const Tensor& b);
Tensor dot(const Tensor& a, const Tensor& b);
Tensor outer(const Tensor& a, const Tensor& b);
// transpose(x, 0, 1) of a matrix; a vector or a 0-d tensor as it is (torch.t). At most 2-D.
Tensor t(const Tensor& x);
// concat under torch's name.
inline Tensor cat(const std::vector<Tensor>& tensors, std::int64_t axis = 0) {
  return concat(tensors, axis);
}

// Broadcast shape of two shapes; throws naming `op` and both shapes when they do not broadcast.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op = "broadcast");

}  // namespace kindling
