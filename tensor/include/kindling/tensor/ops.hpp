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

// ---- elementwise, unary ----
Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor abs(const Tensor& x);  // gradient sign(x), 0 at 0 and at NaN
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor relu(const Tensor& x);  // relu(NaN) = NaN, relu(-0) = -0; gradient 0 at 0, as in PyTorch
Tensor gelu(const Tensor& x);  // exact: x * Phi(x), as torch's default
// NaN stays NaN; the gradient is 1 on [low, high] (bounds included), 0 outside and at NaN.
Tensor clamp(const Tensor& x, double low, double high);

// ---- elementwise, binary, broadcasting; scalars take the tensor's dtype ----
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
// C99's pow (0^0 = NaN^0 = 1^NaN = 1), as torch.pow(tensor, tensor). A number exponent is the
// same op: torch's `t ** 0.5` differs at -0 and -inf only, where it takes sqrt's values (-0, NaN).
Tensor pow(const Tensor& a, const Tensor& b);
Tensor pow(const Tensor& a, double exponent);
// NaN if either is NaN; ties split the gradient, as in PyTorch.
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);
// cond != 0 ? a : b, broadcasting all three; no gradient flows to cond.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);

// Comparisons: 1 or 0 in the promoted dtype of the operands; never require grad.
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a);
Tensor operator+(const Tensor& a, double b);
Tensor operator-(const Tensor& a, double b);
Tensor operator*(const Tensor& a, double b);
Tensor operator/(const Tensor& a, double b);
Tensor operator+(double a, const Tensor& b);
Tensor operator-(double a, const Tensor& b);
Tensor operator*(double a, const Tensor& b);
Tensor operator/(double a, const Tensor& b);
Tensor operator<(const Tensor& a, const Tensor& b);
Tensor operator<=(const Tensor& a, const Tensor& b);
Tensor operator>(const Tensor& a, const Tensor& b);
Tensor operator>=(const Tensor& a, const Tensor& b);
Tensor operator<(const Tensor& a, double b);
Tensor operator>(const Tensor& a, double b);

// ---- reductions ----
Tensor sum(const Tensor& x, const Axes& axes = {}, bool keepdim = false);
Tensor mean(const Tensor& x, const Axes& axes = {}, bool keepdim = false);
// Values of the max/min (NaN if the slice has a NaN); the gradient goes to the arg (split evenly
// among ties, and among the NaNs of a NaN slice).
Tensor max(const Tensor& x, const Axes& axes = {}, bool keepdim = false);
Tensor min(const Tensor& x, const Axes& axes = {}, bool keepdim = false);
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
Tensor cast(const Tensor& x, DType dtype);
Tensor index_select(const Tensor& x, std::int64_t axis, const Tensor& index);
Tensor gather(const Tensor& x, std::int64_t axis, const Tensor& index);
Tensor concat(const std::vector<Tensor>& tensors, std::int64_t axis = 0);
Tensor stack(const std::vector<Tensor>& tensors, std::int64_t axis = 0);

// ---- network ops ----
Tensor softmax(const Tensor& x, std::int64_t axis = -1);
Tensor log_softmax(const Tensor& x, std::int64_t axis = -1);
enum class Reduction { none, mean, sum };
// logits (N, C) (or (C,)), target (N,) int64 class indices.
Tensor cross_entropy(const Tensor& logits, const Tensor& target,
                     Reduction reduction = Reduction::mean);
// (..., ) int64 -> (..., num_classes) int64.
Tensor one_hot(const Tensor& index, std::int64_t num_classes);

// Broadcast shape of two shapes; throws naming `op` and both shapes when they do not broadcast.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op = "broadcast");

}  // namespace kindling
