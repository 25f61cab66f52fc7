// The reductions, tests and orderings of PyTorch's surface (issue 13): square, isnan, isinf, amax,
// amin, prod, cumsum, norm, sort and topk are composites of the primitives, so their gradients
// come from those; scatter_add is a primitive (its backward beside it).
#include <algorithm>
#include <cmath>
#include <numeric>

#include "internal.hpp"
#include "kindling/tensor/creation.hpp"

namespace kindling {

using detail::give;

namespace {

// Every axis of x, for the ops whose empty axis list means "all" but which must not take max's
// whole-tensor path (Note [max of NaN] in ops_reduce.cpp).
Axes every_axis(const Tensor& x) {
  Axes axes(static_cast<std::size_t>(x.dim()));
  std::iota(axes.begin(), axes.end(), 0);
  return axes;
}

// x with `axes` (normalised, unique; all when empty) moved to the end and merged into one, and
// the shape the result takes once that last axis is reduced (with keepdim's 1s or without).
struct Merged {
  Tensor x;  // (..kept, n)
  Shape result;
};
// Which dimensions of x `axes` reduce (all when empty), each axis checked in range and given once,
// the errors naming `op`. A 0-d tensor's axis -1 or 0 takes a slot no dimension reads, as in
// reduced_shapes (ops_reduce.cpp, Note [0-d axes]): its one element is a slice of n = 1.
std::vector<bool> reduced_mask(const Tensor& x, const Axes& axes, const char* op) {
  const std::int64_t nd = x.dim();
  std::vector<bool> reduced(static_cast<std::size_t>(std::max<std::int64_t>(nd, 1)), axes.empty());
  for (std::int64_t a : axes) {
    const std::int64_t axis = detail::normalize_wrapped_axis(a, nd, op);
    KINDLING_CHECK(!reduced[axis], op, ": axis ", a, " given twice for shape ",
                   shape_string(x.shape()));
    reduced[axis] = true;
  }
  return reduced;
}

Merged merge_reduced_axes(const Tensor& x, const Axes& axes_in, bool keepdim, const char* op) {
  const std::int64_t nd = x.dim();
  const std::vector<bool> reduced = reduced_mask(x, axes_in, op);
  Shape order, kept_shape, result;
  std::int64_t n = 1;
  for (std::int64_t d = 0; d < nd; ++d) {
    if (reduced[d]) continue;
    order.push_back(d);
    kept_shape.push_back(x.shape()[d]);
  }
  for (std::int64_t d = 0; d < nd; ++d) {
    if (!reduced[d]) {
      result.push_back(x.shape()[d]);
      continue;
    }
    order.push_back(d);
    n = checked_mul(n, x.shape()[d], op);
    if (keepdim) result.push_back(1);
  }
  kept_shape.push_back(n);
  return {reshape(permute(x, order), kept_shape), result};
}

}  // namespace

Tensor square(const Tensor& x) {
  return mul(x, x);
}

// ---- isnan / isinf (no gradient) ----
Tensor isnan(const Tensor& x) {
  if (!is_floating(x.dtype())) return zeros(x.shape(), DType::bool_, x.device());
  return ne(x, x);
}
Tensor isinf(const Tensor& x) {
  if (!is_floating(x.dtype())) return zeros(x.shape(), DType::bool_, x.device());
  return eq(abs(x.detach()), INFINITY);
}

// ---- amax / amin: max and min over explicit axes (torch.amax's gradient) ----
Tensor amax(const Tensor& x, const Axes& axes, bool keepdim) {
  if (x.dim() == 0) return max(x, axes, keepdim);  // nothing to split: one element
  return max(x, axes.empty() ? every_axis(x) : axes, keepdim);
}
Tensor amin(const Tensor& x, const Axes& axes, bool keepdim) {
  if (x.dim() == 0) return min(x, axes, keepdim);
  return min(x, axes.empty() ? every_axis(x) : axes, keepdim);
}

// ---- prod: a tree of multiplications of the halves of the merged reduced axis ----
Tensor prod(const Tensor& x_in, const Axes& axes, bool keepdim) {
  const Tensor x = x_in.dtype() == DType::bool_ ? cast(x_in, DType::int64) : x_in;
  Merged m = merge_reduced_axes(x, axes, keepdim, "prod");
  Tensor y = m.x;
  std::int64_t n = y.shape().back();
  if (n == 0) return ones(m.result, x.dtype(), x.device());  // the empty product
  while (n > 1) {
    if (n % 2 == 1) {  // one odd element waits for the next level: pad with a 1
      Shape pad_shape = y.shape();
      pad_shape.back() = 1;
      y = concat({y, ones(pad_shape, y.dtype(), y.device())}, -1);
      ++n;
    }
    y = slice(y, -1, 0, n / 2) * slice(y, -1, n / 2, n);
    n /= 2;
  }
  return reshape(y, m.result);
}

// ---- cumsum: Hillis-Steele scan, y += y shifted by 1, 2, 4, ... along the axis ----
Tensor cumsum(const Tensor& x_in, std::int64_t axis) {
  const Tensor x = x_in.dtype() == DType::bool_ ? cast(x_in, DType::int64) : x_in;
  axis = detail::normalize_wrapped_axis(axis, x.dim(), "cumsum");  // Note [0-d axes]
  if (x.dim() == 0) return x.clone();
  const std::int64_t n = x.shape()[axis];
  Tensor y = x;
  for (std::int64_t shift = 1; shift < n; shift *= 2) {
    Shape pad_shape = y.shape();
    pad_shape[axis] = shift;
    const Tensor shifted =
        concat({zeros(pad_shape, y.dtype(), y.device()), slice(y, axis, 0, n - shift)}, axis);
    y = y + shifted;
  }
  return y.same_node(x) ? x.clone() : y;
}

// ---- norm: the p-norm; an all-zero slice passes gradient 0, as torch's norm_backward ----
namespace {

// The largest (p = inf) or smallest (p = -inf) |x|, with amax's or amin's gradient: split evenly
// among ties, as torch's norm_backward. A slice holding a NaN is NaN, and torch sends it gradient
// 0 (its mask picks the NaN, whose sign() is 0); amax alone would send NaN (Note [max of NaN]),
// so the NaNs are kept out of the extremum taken and the NaN is put back as a constant.
Tensor extreme_norm(const Tensor& a, bool largest, const Axes& axes, bool keepdim) {
  const Tensor nan_at = ne(a.detach(), a.detach());
  const Tensor clean = where(nan_at, detail::scalar_like(a, largest ? 0.0 : INFINITY), a);
  const Tensor m = largest ? amax(clean, axes, keepdim) : amin(clean, axes, keepdim);
  const Tensor has_nan = gt(sum(cast(nan_at, a.dtype()), axes, keepdim), 0.0);
  return where(has_nan, detail::scalar_like(m, NAN), m);
}

}  // namespace

Tensor norm(const Tensor& x, double p, const Axes& axes_in, bool keepdim) {
  KINDLING_CHECK(is_floating(x.dtype()), "norm: needs a floating-point tensor, got ",
                 dtype_name(x.dtype()));
  KINDLING_CHECK(!std::isnan(p), "norm: p must be a number (or +-inf), got NaN");
  const Axes axes = axes_in.empty() && x.dim() > 0 ? every_axis(x) : axes_in;
  // Checked here, so that a bad axis is named as norm's, not as the sum's or max's it is made of.
  const std::vector<bool> reduced = reduced_mask(x, axes, "norm");
  if (p < 0.0) {
    // As torch: min(|x|) and sum(|x|^p)^(1/p), p < 0, have no value for an empty slice.
    std::int64_t n = 1;
    for (std::int64_t d = 0; d < x.dim(); ++d)
      if (reduced[d]) n = checked_mul(n, x.shape()[d], "norm");
    KINDLING_CHECK(n > 0, "norm: p = ", p, " over the axes ", shape_string(axes), " of ",
                   shape_string(x.shape()), ": an empty slice has no ", p, "-norm");
  }
  const Tensor a = abs(x);
  if (std::isinf(p)) return extreme_norm(a, p > 0.0, axes, keepdim);
  if (p == 0.0) {
    // The number of non-zero elements (NaN counts), as torch, whose gradient is 0: each element
    // is |x| where x is 0 (abs's gradient there is 0) and a constant 1 elsewhere.
    return sum(where(eq(a.detach(), 0.0), a, detail::scalar_like(a, 1.0)), axes, keepdim);
  }
  if (p == 1.0) return sum(a, axes, keepdim);
  if (p < 0.0) {
    // |0|^p is infinite, so a slice holding a 0 has norm 0, and gradient 0 as torch's. Its zeros
    // are replaced by 1 in the power, whose value is then not taken, so that no 0 * inf of the
    // power's derivative at 0 reaches the gradient.
    const Tensor zero_at = eq(a.detach(), 0.0);
    const Tensor s =
        sum(pow(where(zero_at, detail::scalar_like(a, 1.0), a), p), axes, keepdim);  // > 0
    const Tensor has_zero = gt(sum(cast(zero_at, x.dtype()), axes, keepdim), 0.0);
    return where(has_zero, detail::scalar_like(s, 0.0), pow(s, 1.0 / p));
  }
  // s = sum |x|^p; the result s^(1/p), except where s is 0: there the root's derivative is
  // infinite, so s is replaced by 1 in the root (whose value is then not taken) and the branch
  // taken is a constant 0, which sends no gradient into x.
  const Tensor s = p == 2.0 ? sum(x * x, axes, keepdim) : sum(pow(a, p), axes, keepdim);
  const Tensor zero = eq(s.detach(), 0.0);
  const Tensor safe = where(zero, detail::scalar_like(s, 1.0), s);
  const Tensor root = p == 2.0 ? sqrt(safe) : pow(safe, 1.0 / p);
  return where(zero, detail::scalar_like(s, 0.0), root);
}

// ---- scatter_add: out = x, then out[..index[i]..] += src[i];  dx = g, dsrc = gather(g) ----
Tensor scatter_add(const Tensor& x, std::int64_t axis, const Tensor& index, const Tensor& src) {
  axis = detail::normalize_wrapped_axis(axis, x.dim(), "scatter_add");
  KINDLING_CHECK(index.dtype() == DType::int64, "scatter_add: the index must be int64, got ",
                 dtype_name(index.dtype()), " of shape ", shape_string(index.shape()));
  KINDLING_CHECK(index.device() == x.device() && src.device() == x.device(),
                 "scatter_add: the input is on ", to_string(x.device()), ", the index on ",
                 to_string(index.device()), " and src on ", to_string(src.device()));
  KINDLING_CHECK(src.dtype() == x.dtype(), "scatter_add: src is ", dtype_name(src.dtype()),
                 " and the input ", dtype_name(x.dtype()), "; they must have one dtype");
  // A 0-d input is the 1-element 1-D tensor it holds, and so (as torch's) index and src may be
  // 0-d or 1-D (Note [0-d axes]); reshape carries the gradients back.
  if (x.dim() == 0 && index.dim() <= 1 && src.dim() <= 1)
    return reshape(scatter_add(reshape(x, {1}), 0, reshape(index, {-1}), reshape(src, {-1})), {});
  KINDLING_CHECK(index.dim() == x.dim() && src.dim() == x.dim(), "scatter_add: input ",
                 shape_string(x.shape()), ", index ", shape_string(index.shape()), " and src ",
                 shape_string(src.shape()), " must have the same number of dimensions");
  // As torch: index may be smaller than src (the rest of src is not used) and, outside axis,
  // than the input.
  Tensor used = src;
  for (std::int64_t d = 0; d < x.dim(); ++d) {
    KINDLING_CHECK(
        index.shape()[d] <= src.shape()[d] && (d == axis || index.shape()[d] <= x.shape()[d]),
        "scatter_add: index ", shape_string(index.shape()), " is larger than src ",
        shape_string(src.shape()), " or input ", shape_string(x.shape()), " in dimension ", d);
    if (index.shape()[d] < src.shape()[d]) used = slice(used, d, 0, index.shape()[d]);
  }
  Tensor out = x.detach().clone();  // a contiguous copy outside the graph
  detail::kernels_of(out).scatter_add(out.strided_view(), static_cast<int>(axis),
                                      index.strided_view(), used.strided_view());
  return detail::record<TensorOp::scatter_add>(out, {&x, &used}, AxisParams{axis}, {index});
}
void detail::scatter_add_backward(TensorNode& node, const Tensor& g) {
  if (wants_grad(node, 0)) give(node, 0, g);
  if (wants_grad(node, 1)) give(node, 1, gather(g, params<AxisParams>(node).axis, saved(node, 0)));
}

// ---- sort / topk: indices from a stable sort on the CPU, values gathered with gradient ----
namespace {

// The positions that order each slice along `axis` of x (descending: largest first), the first
// `k` of them; NaN counts as larger than every number, ties keep their order.
Tensor order_indices(const Tensor& x, std::int64_t axis, bool descending, std::int64_t k) {
  const Tensor moved = contiguous(transpose(x.detach(), axis, -1).to(kCPU).to(DType::float64));
  const std::int64_t n = moved.dim() == 0 ? 1 : moved.shape().back();
  const std::int64_t rows = n == 0 ? 0 : moved.numel() / n;
  Shape out_shape = moved.shape();
  if (!out_shape.empty()) out_shape.back() = k;
  Tensor out = empty(out_shape, DType::int64, kCPU, "sort");
  const double* values = moved.numel() > 0 ? moved.data<double>() : nullptr;
  std::int64_t* result = out.numel() > 0 ? out.data<std::int64_t>() : nullptr;
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  for (std::int64_t r = 0; r < rows; ++r) {
    const double* row = values + r * n;
    std::iota(order.begin(), order.end(), 0);
    // a before b: a smaller (larger when descending), NaN the largest of all.
    auto before = [row, descending](std::int64_t a, std::int64_t b) {
      const double va = row[a], vb = row[b];
      const bool a_nan = std::isnan(va), b_nan = std::isnan(vb);
      if (a_nan || b_nan) return descending ? a_nan && !b_nan : b_nan && !a_nan;
      return descending ? va > vb : va < vb;
    };
    std::stable_sort(order.begin(), order.end(), before);
    std::copy(order.begin(), order.begin() + k, result + r * k);
  }
  return transpose(out, axis, -1).to(x.device());
}

}  // namespace

ValuesIndices sort(const Tensor& x, std::int64_t axis, bool descending) {
  axis = detail::normalize_wrapped_axis(axis, x.dim(), "sort");  // Note [0-d axes]
  if (x.dim() == 0) return {x.clone(), zeros({}, DType::int64, x.device())};
  const Tensor indices = contiguous(order_indices(x, axis, descending, x.shape()[axis]));
  return {gather(x, axis, indices), indices};
}

ValuesIndices topk(const Tensor& x, std::int64_t k, std::int64_t axis, bool largest) {
  axis = detail::normalize_wrapped_axis(axis, x.dim(), "topk");  // Note [0-d axes]
  const std::int64_t size = x.dim() == 0 ? 1 : x.shape()[axis];
  KINDLING_CHECK(k >= 0 && k <= size, "topk: k ", k, " is outside 0..", size, " (the size of axis ",
                 axis, " of shape ", shape_string(x.shape()), ")");
  // torch 1.13 gives a 0-d tensor's element for k = 0 as well: a 0-d result cannot be empty.
  if (x.dim() == 0) return {x.clone(), zeros({}, DType::int64, x.device())};
  const Tensor indices = contiguous(order_indices(x, axis, largest, k));
  return {gather(x, axis, indices), indices};
}

}  // namespace kindling
