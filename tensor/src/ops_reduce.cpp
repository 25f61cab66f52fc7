// Reductions over any set of axes, with keepdim: sum, max and min are primitives; mean, var,
// stddev and logsumexp are composites of them; argmax, argmin, any and all carry no gradient.
#include <algorithm>
#include <cmath>
#include <limits>

#include "internal.hpp"

namespace kindling {

using detail::give;
using detail::input;
using kernels::ReduceKernel;

namespace {

// The input shape with each reduced axis set to 1 (what the kernels write), and the result
// shape (the same, or without those axes). An empty axis list reduces every axis.
struct ReducedShapes {
  Shape keep;
  Shape result;
  Axes axes;  // normalised, sorted, unique
};

ReducedShapes reduced_shapes(const Tensor& x, const Axes& axes, bool keepdim, const char* op) {
  ReducedShapes r;
  const std::int64_t nd = x.dim();
  // A 0-d tensor takes axis -1 or 0 (Note [0-d axes]): it is marked in a slot of its own, which
  // no dimension reads, so it reduces nothing and a repeat is still caught.
  std::vector<bool> reduced(static_cast<std::size_t>(std::max<std::int64_t>(nd, 1)), axes.empty());
  for (auto a : axes) {
    const std::int64_t axis = detail::normalize_wrapped_axis(a, nd, op);
    KINDLING_CHECK(!reduced[axis], op, ": axis ", a, " given twice for shape ",
                   shape_string(x.shape()));
    reduced[axis] = true;
  }
  for (std::int64_t d = 0; d < nd; ++d) {
    r.keep.push_back(reduced[d] ? 1 : x.shape()[d]);
    if (reduced[d]) r.axes.push_back(d);
    if (!reduced[d] || keepdim) r.result.push_back(r.keep.back());
  }
  return r;
}

// A kernel reduction written straight into a result of the final shape (the keepdim layout is
// the same memory with size-1 dimensions inserted).
Tensor reduce_into(ReduceKernel kernel, const Tensor& x, const ReducedShapes& r, DType dtype) {
  Tensor out = detail::empty(r.result, dtype, x.device());
  kernels::StridedView view = out.strided_view();
  view.ndim = static_cast<int>(r.keep.size());
  const Shape strides = detail::contiguous_strides(r.keep);
  for (int d = 0; d < view.ndim; ++d) {
    view.shape[d] = r.keep[d];
    view.strides[d] = strides[d];
  }
  detail::kernels_of(x).reduce(kernel, x.strided_view(), view);
  return out;
}

// g of the result shape, viewed in the keepdim shape and expanded back to the input's.
Tensor spread(const Tensor& g, const TensorNode& node) {
  const Shape& keep = detail::params<ReduceParams>(node).keep;
  return expand(reshape(g, keep), detail::input_shape(node, 0));
}

template <TensorOp op>
Tensor extremum(ReduceKernel kernel, const Tensor& x, const Axes& axes, bool keepdim) {
  const char* name = op == TensorOp::max ? "max" : "min";
  const ReducedShapes r = reduced_shapes(x, axes, keepdim, name);
  for (auto a : r.axes)
    KINDLING_CHECK(x.shape()[a] > 0, name, ": reducing an empty dimension of shape ",
                   shape_string(x.shape()));
  if (x.numel() == 0 && r.axes.empty()) return x;
  // axes.empty(): the whole tensor (Note [max of NaN]).
  return detail::record<op>(reduce_into(kernel, x, r, x.dtype()), {&x},
                            ReduceParams{r.keep, axes.empty()});
}

// Note [max of NaN]
// The gradient of max/min goes to the elements equal to the result, split evenly among ties, as
// PyTorch's. Where the result is NaN, PyTorch has two answers and kindling gives the one of the
// matching call: max(x) of the whole tensor is torch.max(x), whose gradient is split among the
// NaNs; max(x, axes) is torch.amax(x, axes), whose NaN slices get NaN gradients (no element equals
// a NaN, so 0 * g / 0).
void extremum_backward(TensorNode& node, const Tensor& g) {
  const Tensor x = input(node, 0);
  const Tensor y = spread(detail::output_value(node), node);
  const ReduceParams& p = detail::params<ReduceParams>(node);
  const bool whole = p.whole;
  const Tensor hit = whole ? where(ne(y, y), ne(x, x), eq(x, y)) : eq(x, y);  // bool
  const Tensor mask = cast(hit, x.dtype());                                   // 1 or 0
  Axes axes;
  for (std::size_t d = 0; d < p.keep.size(); ++d)
    if (p.keep[d] == 1 && x.shape()[d] != 1) axes.push_back(static_cast<std::int64_t>(d));
  const Tensor count = axes.empty() ? mask : sum(mask, axes, true);
  const Tensor share = spread(reshape(g, p.keep) / count, node);
  // torch.max(x) selects (where), so a NaN upstream gradient stays on the maxima; torch.amax
  // multiplies by the mask, so it reaches the whole slice.
  give(node, 0, whole ? where(hit, share, detail::scalar_like(share, 0.0)) : mask * share);
}

Tensor arg_extremum(ReduceKernel kernel, const Tensor& x, std::int64_t axis, bool keepdim,
                    const char* name) {
  const ReducedShapes r = reduced_shapes(x, {axis}, keepdim, name);
  // As torch: only an empty reduced dimension has no answer; other empty dimensions give an
  // empty result.
  for (auto a : r.axes)
    KINDLING_CHECK(x.shape()[a] > 0, name, ": reducing an empty dimension of shape ",
                   shape_string(x.shape()));
  return reduce_into(kernel, x.detach(), r, DType::int64);
}

}  // namespace

// ---- sum: y = sum over axes;  dx = g expanded back over the axes ----
Tensor sum(const Tensor& x, const Axes& axes, bool keepdim) {
  if (x.dtype() == DType::bool_) return sum(cast(x, DType::int64), axes, keepdim);  // a count
  const ReducedShapes r = reduced_shapes(x, axes, keepdim, "sum");
  return detail::record<TensorOp::sum>(reduce_into(ReduceKernel::sum, x, r, x.dtype()), {&x},
                                       ReduceParams{r.keep, axes.empty()});
}
void detail::sum_backward(TensorNode& node, const Tensor& g) {
  give(node, 0, spread(g, node));
}

// ---- max / min: gradient to the arg (ties share it) ----
Tensor max(const Tensor& x, const Axes& axes, bool keepdim) {
  return extremum<TensorOp::max>(ReduceKernel::max, x, axes, keepdim);
}
void detail::max_backward(TensorNode& node, const Tensor& g) {
  extremum_backward(node, g);
}
Tensor min(const Tensor& x, const Axes& axes, bool keepdim) {
  return extremum<TensorOp::min>(ReduceKernel::min, x, axes, keepdim);
}
void detail::min_backward(TensorNode& node, const Tensor& g) {
  extremum_backward(node, g);
}

// ---- any / all (no gradient): max and min of the elements as bool ----
namespace {
Tensor any_all(ReduceKernel kernel, const Tensor& x, const Axes& axes, bool keepdim,
               const char* name) {
  const ReducedShapes r = reduced_shapes(x, axes, keepdim, name);
  const bool empty_value = kernel == ReduceKernel::min;  // all() of nothing is true
  std::int64_t count = 1;
  for (auto a : r.axes)
    count *= x.shape()[a];
  if (count == 0 || x.numel() == 0) return full(r.result, empty_value, DType::bool_, x.device());
  const Tensor mask = x.dtype() == DType::bool_ ? x.detach() : ne(x, 0);
  return reduce_into(kernel, mask, r, DType::bool_);
}
}  // namespace
Tensor any(const Tensor& x, const Axes& axes, bool keepdim) {
  return any_all(ReduceKernel::max, x, axes, keepdim, "any");
}
Tensor all(const Tensor& x, const Axes& axes, bool keepdim) {
  return any_all(ReduceKernel::min, x, axes, keepdim, "all");
}

// ---- argmax / argmin (no gradient): first index of the extremum ----
Tensor argmax(const Tensor& x, std::int64_t axis, bool keepdim) {
  return arg_extremum(ReduceKernel::argmax, x, axis, keepdim, "argmax");
}
Tensor argmin(const Tensor& x, std::int64_t axis, bool keepdim) {
  return arg_extremum(ReduceKernel::argmin, x, axis, keepdim, "argmin");
}
Tensor argmax(const Tensor& x) {
  return argmax(reshape(x.detach(), {-1}), 0, false);
}
Tensor argmin(const Tensor& x) {
  return argmin(reshape(x.detach(), {-1}), 0, false);
}

// ---- composites ----
namespace {
std::int64_t reduced_count(const Tensor& x, const ReducedShapes& r) {
  std::int64_t n = 1;
  for (auto a : r.axes) {
    // Only an empty tensor's sizes can multiply past int64, and then the result it divides is
    // empty too: any count will do, so it saturates.
    if (__builtin_mul_overflow(n, x.shape()[a], &n)) n = std::numeric_limits<std::int64_t>::max();
  }
  return n;
}
}  // namespace

Tensor mean(const Tensor& x, const Axes& axes, bool keepdim) {
  KINDLING_CHECK(is_floating(x.dtype()), "mean: needs a floating-point tensor, got ",
                 dtype_name(x.dtype()));
  const ReducedShapes r = reduced_shapes(x, axes, keepdim, "mean");
  return sum(x, axes, keepdim) / static_cast<double>(reduced_count(x, r));
}

Tensor var(const Tensor& x, const Axes& axes, std::int64_t correction, bool keepdim) {
  KINDLING_CHECK(is_floating(x.dtype()), "var: needs a floating-point tensor, got ",
                 dtype_name(x.dtype()));
  const ReducedShapes r = reduced_shapes(x, axes, keepdim, "var");
  const std::int64_t n = reduced_count(x, r);
  const Tensor d = x - mean(x, axes, true);
  return sum(d * d, axes, keepdim) / static_cast<double>(std::max<std::int64_t>(n - correction, 0));
}

Tensor stddev(const Tensor& x, const Axes& axes, std::int64_t correction, bool keepdim) {
  return sqrt(var(x, axes, correction, keepdim));
}

// log sum exp(x) = m + log sum exp(x - m) with m the (constant) max, so nothing overflows.
Tensor logsumexp(const Tensor& x, const Axes& axes, bool keepdim) {
  KINDLING_CHECK(is_floating(x.dtype()), "logsumexp: needs a floating-point tensor, got ",
                 dtype_name(x.dtype()));
  const ReducedShapes r = reduced_shapes(x, axes, keepdim, "logsumexp");
  // Over nothing: log 0 = -inf, as PyTorch (an empty slice has no max to shift by).
  if (reduced_count(x, r) == 0) return log(sum(exp(x), axes, keepdim));
  Tensor m = max(x.detach(), axes, true);
  // An all -inf slice would give inf - inf; shift it by 0 instead.
  m = where(eq(abs(m), detail::scalar_like(m, INFINITY)), zeros_like(m), m);
  const Tensor out = log(sum(exp(x - m), axes, true)) + m;
  return keepdim ? out : reshape(out, r.result);
}

}  // namespace kindling
