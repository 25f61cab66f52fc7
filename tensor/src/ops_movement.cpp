// Movement ops. view, permute, expand and slice are views (new layout, same storage); contiguous
// copies when it must. reshape, flatten, transpose, squeeze, unsqueeze are composites of them.
#include <algorithm>
#include <numeric>

#include "internal.hpp"

namespace kindling {

using detail::give;
using detail::make_view;

namespace {

// Strides that give `x`'s elements in row-major order in `shape`, if they exist.
bool view_strides(const Tensor& x, const Shape& shape, Shape& strides) {
  strides.assign(shape.size(), 0);
  if (x.numel() == 0 || x.dim() == 0) {
    strides = detail::contiguous_strides(shape);
    return true;
  }
  const Shape& old_shape = x.shape();
  const Shape& old_strides = x.strides();
  // Walk the old dims from the back in chunks that are contiguous among themselves; each chunk
  // must be made of whole new dims.
  std::int64_t view_d = static_cast<std::int64_t>(shape.size()) - 1;
  std::int64_t chunk_stride = old_strides.back();
  std::int64_t tensor_numel = 1, view_numel = 1;
  for (std::int64_t d = x.dim() - 1; d >= 0; --d) {
    tensor_numel *= old_shape[d];
    const bool chunk_ends =
        d == 0 || (old_shape[d - 1] != 1 && old_strides[d - 1] != tensor_numel * chunk_stride);
    if (!chunk_ends) continue;
    while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
      strides[view_d] = view_numel * chunk_stride;
      view_numel *= shape[view_d];
      --view_d;
    }
    if (view_numel != tensor_numel) return false;
    if (d > 0) {
      chunk_stride = old_strides[d - 1];
      tensor_numel = 1;
      view_numel = 1;
    }
  }
  return view_d == -1;
}

// Replaces one -1 in `shape` by what makes the element count match, and checks the count
// (Note [checked shape arithmetic]: the requested sizes are the user's, so their product may not
// fit in int64).
Shape infer_shape(const Tensor& x, Shape shape, const char* op) {
  std::int64_t unknown = -1;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      KINDLING_CHECK(unknown < 0, op, ": more than one -1 in ", shape_string(shape));
      unknown = static_cast<std::int64_t>(i);
    } else {
      KINDLING_CHECK(shape[i] >= 0, op, ": negative size ", shape[i], " in ", shape_string(shape));
    }
  }
  if (unknown >= 0) {
    // The product of the other sizes; past int64 it cannot divide the element count either.
    std::int64_t known = 1;
    bool fits = true;
    for (std::size_t i = 0; i < shape.size() && fits; ++i)
      if (static_cast<std::int64_t>(i) != unknown)
        fits = !__builtin_mul_overflow(known, shape[i], &known);
    KINDLING_CHECK(fits && known != 0 && x.numel() % known == 0, op, ": cannot infer -1 in ",
                   shape_string(shape), " for ", x.numel(), " elements of shape ",
                   shape_string(x.shape()));
    shape[unknown] = x.numel() / known;
  }
  const std::int64_t count = checked_numel(shape, op);
  KINDLING_CHECK(count == x.numel(), op, ": ", shape_string(x.shape()), " -> ", shape_string(shape),
                 ": element counts ", x.numel(), " and ", count, " differ");
  return shape;
}

// The view node of x with a shape and strides already worked out (view and reshape infer and
// check them once).
Tensor view_with_strides(const Tensor& x, const Shape& shape, const Shape& strides) {
  return detail::record(TensorOp::view, make_view(x, shape, strides, x.offset()), {&x});
}

}  // namespace

// ---- view: same elements, new shape, same storage;  dx = g reshaped back ----
Tensor view(const Tensor& x, const Shape& requested) {
  const Shape shape = infer_shape(x, requested, "view");
  Shape strides;
  KINDLING_CHECK(view_strides(x, shape, strides), "view: ", shape_string(x.shape()), " -> ",
                 shape_string(shape), ": the strides ", shape_string(x.strides()),
                 " do not allow a view (use reshape, which copies)");
  return view_with_strides(x, shape, strides);
}
void detail::view_backward(TensorNode& node, const Tensor& g) {
  give(node, 0, reshape(g, input_shape(node, 0)));
}

Tensor reshape(const Tensor& x, const Shape& requested) {
  const Shape shape = infer_shape(x, requested, "reshape");
  Shape strides;
  if (view_strides(x, shape, strides)) return view_with_strides(x, shape, strides);
  return view_with_strides(contiguous(x), shape, detail::contiguous_strides(shape));
}

Tensor flatten(const Tensor& x, std::int64_t start, std::int64_t end) {
  start = detail::normalize_wrapped_axis(start, x.dim(), "flatten");  // Note [0-d axes]
  end = detail::normalize_wrapped_axis(end, x.dim(), "flatten");
  if (x.dim() == 0) return reshape(x, {1});
  KINDLING_CHECK(start <= end, "flatten: start axis ", start, " is after end axis ", end);
  Shape shape(x.shape().begin(), x.shape().begin() + start);
  // An empty tensor's other sizes may multiply past int64: checked.
  shape.push_back(
      checked_numel(Shape(x.shape().begin() + start, x.shape().begin() + end + 1), "flatten"));
  shape.insert(shape.end(), x.shape().begin() + end + 1, x.shape().end());
  return reshape(x, shape);
}

Tensor squeeze(const Tensor& x, std::int64_t axis) {
  // A 0-d tensor takes axis -1 or 0 and has nothing to drop (Note [0-d axes]).
  axis = detail::normalize_wrapped_axis(axis, x.dim(), "squeeze");
  if (x.dim() == 0) return x;
  if (x.shape()[axis] != 1) return x;  // as torch.squeeze: only size-1 axes go
  Shape shape = x.shape();
  shape.erase(shape.begin() + axis);
  return view(x, shape);
}

Tensor unsqueeze(const Tensor& x, std::int64_t axis) {
  axis = detail::normalize_axis(axis, x.dim() + 1, "unsqueeze");
  Shape shape = x.shape();
  shape.insert(shape.begin() + axis, 1);
  return view(x, shape);
}

// ---- permute: dims reordered;  dx = g permuted by the inverse ----
Tensor permute(const Tensor& x, const Shape& order) {
  KINDLING_CHECK(static_cast<std::int64_t>(order.size()) == x.dim(), "permute: order ",
                 shape_string(order), " for a tensor of shape ", shape_string(x.shape()));
  Shape shape(order.size()), strides(order.size());
  std::vector<bool> seen(order.size(), false);
  PermuteParams params;
  for (std::size_t i = 0; i < order.size(); ++i) {
    const std::int64_t d = detail::normalize_axis(order[i], x.dim(), "permute");
    KINDLING_CHECK(!seen[d], "permute: axis ", d, " repeated in ", shape_string(order));
    seen[d] = true;
    shape[i] = x.shape()[d];
    strides[i] = x.strides()[d];
    params.order.push_back(d);
  }
  return detail::record<TensorOp::permute>(make_view(x, shape, strides, x.offset()), {&x},
                                           std::move(params));
}
void detail::permute_backward(TensorNode& node, const Tensor& g) {
  const Shape& order = params<PermuteParams>(node).order;
  Shape inverse(order.size());
  for (std::size_t i = 0; i < inverse.size(); ++i)
    inverse[order[i]] = static_cast<std::int64_t>(i);
  give(node, 0, permute(g, inverse));
}

Tensor transpose(const Tensor& x, std::int64_t a, std::int64_t b) {
  a = detail::normalize_wrapped_axis(a, x.dim(), "transpose");  // Note [0-d axes]
  b = detail::normalize_wrapped_axis(b, x.dim(), "transpose");
  if (x.dim() == 0) return x;  // its one axis swapped with itself
  Shape order(static_cast<std::size_t>(x.dim()));
  std::iota(order.begin(), order.end(), 0);
  std::swap(order[a], order[b]);
  return permute(x, order);
}

// ---- expand: size-1 dims stretched (stride 0);  dx = g summed over the stretched dims ----
// As in PyTorch, -1 keeps a dimension of x; a new leading dimension has nothing to keep, and any
// other negative size is an error.
Tensor expand(const Tensor& x, const Shape& requested) {
  const std::int64_t nd = static_cast<std::int64_t>(requested.size()), lead = nd - x.dim();
  KINDLING_CHECK(lead >= 0, "expand: ", shape_string(x.shape()), " -> ", shape_string(requested),
                 ": fewer dimensions");
  Shape shape(requested.size()), strides(requested.size());
  for (std::int64_t d = 0; d < nd; ++d) {
    const std::int64_t own = d < lead ? 1 : x.shape()[d - lead];
    KINDLING_CHECK(requested[d] >= 0 || (requested[d] == -1 && d >= lead),
                   "expand: ", shape_string(x.shape()), " -> ", shape_string(requested), ": size ",
                   requested[d], " in dimension ", d,
                   d < lead && requested[d] == -1
                       ? " (-1 keeps a dimension, and this new leading one has none to keep)"
                       : " is negative");
    const std::int64_t want = requested[d] == -1 ? own : requested[d];
    KINDLING_CHECK(want == own || own == 1, "expand: ", shape_string(x.shape()), " -> ",
                   shape_string(requested), ": dimension ", d, " of size ", own, " cannot become ",
                   want);
    shape[d] = want;
    strides[d] = (d < lead || (own == 1 && want != 1)) ? 0 : x.strides()[d - lead];
  }
  checked_numel(shape, "expand");  // stretching size-1 dims can pass 2^63 elements
  if (shape == x.shape()) return x;
  return detail::record(TensorOp::expand, make_view(x, shape, strides, x.offset()), {&x});
}
void detail::expand_backward(TensorNode& node, const Tensor& g) {
  give(node, 0, sum_to(g, input_shape(node, 0)));
}

// ---- slice: x[start:stop:step] along an axis;  dx = zeros with g written into that slice ----
Tensor slice(const Tensor& x, std::int64_t axis, std::int64_t start, std::int64_t stop,
             std::int64_t step) {
  axis = detail::normalize_axis(axis, x.dim(), "slice");
  KINDLING_CHECK(step > 0, "slice: step ", step, " must be positive");
  const std::int64_t n = x.shape()[axis];
  auto clamp_bound = [n](std::int64_t i) {
    if (i < 0) i += n;
    return std::clamp<std::int64_t>(i, 0, n);
  };
  start = clamp_bound(start);
  stop = std::max(clamp_bound(stop), start);
  Shape shape = x.shape(), strides = x.strides();
  // ceil((stop - start) / step) without forming stop - start + step - 1, which overflows for a
  // step near 2^63.
  const std::int64_t length = stop == start ? 0 : (stop - start - 1) / step + 1;
  shape[axis] = length;
  // With two or more elements step < n, so the product stays inside the storage's span; with
  // fewer the stride is never used, and a huge step must not overflow it.
  if (length > 1) strides[axis] *= step;
  return detail::record<TensorOp::slice>(
      make_view(x, shape, strides, x.offset() + start * x.strides()[axis]), {&x},
      SliceParams{axis, start, step});
}
void detail::slice_backward(TensorNode& node, const Tensor& g) {
  const auto [axis, start, step] = params<SliceParams>(node);
  if (creating_graph) [[unlikely]] {  // Note [create_graph]: differentiable in g
    const Tensor positions = arange(g.shape()[axis]) * step + start;
    return give(node, 0, scatter_positions(g, input_shape(node, 0), axis, positions));
  }
  const Tensor dx = zeros(input_shape(node, 0), g.dtype(), g.device());
  // One past the last element the forward took (start + length * step could overflow).
  const std::int64_t length = g.shape()[axis];
  const Tensor window =
      slice(dx, axis, start, length == 0 ? start : start + (length - 1) * step + 1, step);
  kernels_of(dx).copy(g.strided_view(), window.strided_view());
  give(node, 0, dx);
}

// ---- contiguous: a row-major copy unless already so;  dx = g ----
Tensor contiguous(const Tensor& x) {
  if (x.is_contiguous()) return x;
  return x.clone();
}
void detail::contiguous_backward(TensorNode& node, const Tensor& g) {
  give(node, 0, g);
}

}  // namespace kindling
