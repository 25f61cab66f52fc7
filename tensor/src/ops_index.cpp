// Indexing and joining: index_select and gather (their backward scatters with the adjoint
// kernels index_add and scatter_add), concat (backward slices), and stack (a composite).
#include "internal.hpp"

namespace kindling {

using detail::give;

namespace {
void check_index_tensor(const Tensor& x, const Tensor& index, const char* op) {
  KINDLING_CHECK(index.dtype() == DType::int64, op, ": the index must be int64, got ",
                 dtype_name(index.dtype()), " of shape ", shape_string(index.shape()));
  KINDLING_CHECK(index.device() == x.device(), op, ": the index is on ", to_string(index.device()),
                 " and the input on ", to_string(x.device()), "; move the index with .to()");
}
}  // namespace

// ---- index_select: out = x with `axis` indexed by a 1-D index;  dx = index_add of g ----
Tensor index_select(const Tensor& x, std::int64_t axis, const Tensor& index) {
  axis = detail::normalize_wrapped_axis(axis, x.dim(), "index_select");
  check_index_tensor(x, index, "index_select");
  if (x.dim() == 0) {
    // The 1-element 1-D tensor x holds, indexed by one position (0-d or 1-D, as torch's), and
    // shaped 0-d again (Note [0-d axes]); an index other than 0 throws from the kernel.
    KINDLING_CHECK(index.dim() <= 1 && index.numel() == 1,
                   "index_select: a 0-d input takes an index of one element, got shape ",
                   shape_string(index.shape()));
    return reshape(index_select(reshape(x, {1}), 0, reshape(index, {1})), {});
  }
  KINDLING_CHECK(index.dim() == 1, "index_select: the index must be 1-D, got shape ",
                 shape_string(index.shape()));
  Shape shape = x.shape();
  shape[axis] = index.shape()[0];
  Tensor out = detail::empty(shape, x.dtype(), x.device(), "index_select");
  detail::kernels_of(x).index_select(x.strided_view(), static_cast<int>(axis), index.strided_view(),
                                     out.strided_view());
  return detail::record<TensorOp::index_select>(out, {&x}, AxisParams{axis}, {index});
}
void detail::index_select_backward(TensorNode& node, const Tensor& g) {
  if (creating_graph) [[unlikely]]  // Note [create_graph]: differentiable in g
    return give(
        node, 0,
        scatter_positions(g, input_shape(node, 0), params<AxisParams>(node).axis, saved(node, 0)));
  const Tensor dx = zeros(input_shape(node, 0), g.dtype(), g.device());
  kernels_of(dx).index_add(dx.strided_view(), static_cast<int>(params<AxisParams>(node).axis),
                           saved(node, 0).strided_view(), g.strided_view());
  give(node, 0, dx);
}

// ---- gather: out[..i..] = x[..index[..i..]..] along axis;  dx = scatter_add of g ----
Tensor gather(const Tensor& x, std::int64_t axis, const Tensor& index) {
  axis = detail::normalize_wrapped_axis(axis, x.dim(), "gather");
  check_index_tensor(x, index, "gather");
  // A 0-d input is the 1-element 1-D tensor it holds, so (as torch's) the index may be 0-d or
  // 1-D, and the result has its shape (Note [0-d axes]).
  if (x.dim() == 0 && index.dim() <= 1)
    return reshape(gather(reshape(x, {1}), 0, reshape(index, {-1})), index.shape());
  KINDLING_CHECK(index.dim() == x.dim(), "gather: index ", shape_string(index.shape()),
                 " and input ", shape_string(x.shape()), " differ in dimensions");
  for (std::int64_t d = 0; d < x.dim(); ++d)
    KINDLING_CHECK(d == axis || index.shape()[d] <= x.shape()[d], "gather: index ",
                   shape_string(index.shape()), " is larger than input ", shape_string(x.shape()),
                   " in dimension ", d);
  Tensor out = detail::empty(index.shape(), x.dtype(), x.device(), "gather");
  detail::kernels_of(x).gather(x.strided_view(), static_cast<int>(axis), index.strided_view(),
                               out.strided_view());
  return detail::record<TensorOp::gather>(out, {&x}, AxisParams{axis}, {index});
}
void detail::gather_backward(TensorNode& node, const Tensor& g) {
  if (creating_graph) [[unlikely]]  // Note [create_graph]: differentiable in g
    return give(node, 0,
                scatter_add(zeros(input_shape(node, 0), g.dtype(), g.device()),
                            params<AxisParams>(node).axis, saved(node, 0), g));
  const Tensor dx = zeros(input_shape(node, 0), g.dtype(), g.device());
  kernels_of(dx).scatter_add(dx.strided_view(), static_cast<int>(params<AxisParams>(node).axis),
                             saved(node, 0).strided_view(), g.strided_view());
  give(node, 0, dx);
}

// ---- concat: inputs joined along an axis;  each input gets its slice of g ----
Tensor concat(const std::vector<Tensor>& tensors, std::int64_t axis) {
  KINDLING_CHECK(!tensors.empty(), "concat: no tensors");
  const Tensor& first = tensors[0];
  // As torch.cat, whatever the axis (stack or unsqueeze joins 0-d tensors).
  for (std::size_t i = 0; i < tensors.size(); ++i)
    KINDLING_CHECK(tensors[i].dim() > 0, "concat: axis ", axis, ": the tensor at position ", i,
                   " is 0-d and cannot be concatenated (stack, or unsqueeze it first)");
  axis = detail::normalize_axis(axis, first.dim(), "concat");
  DType dtype = first.dtype();
  Shape shape = first.shape();
  shape[axis] = 0;
  for (const Tensor& t : tensors) {
    // Each input is copied with its own device's kernels into the output, on the first's device.
    KINDLING_CHECK(t.device() == first.device(), "concat: tensors on ", to_string(first.device()),
                   " and ", to_string(t.device()), "; move them to one device first");
    KINDLING_CHECK(t.dim() == first.dim(), "concat: shapes ", shape_string(first.shape()), " and ",
                   shape_string(t.shape()), " differ in dimensions");
    for (std::int64_t d = 0; d < t.dim(); ++d)
      KINDLING_CHECK(d == axis || t.shape()[d] == first.shape()[d], "concat: shapes ",
                     shape_string(first.shape()), " and ", shape_string(t.shape()),
                     " differ outside axis ", axis);
    KINDLING_CHECK(!__builtin_add_overflow(shape[axis], t.shape()[axis], &shape[axis]),
                   "concat: the sizes along axis ", axis, " add up to more than 2^63");
    dtype = promote(dtype, t.dtype());
  }
  Tensor out = detail::empty(shape, dtype, first.device(), "concat");
  std::vector<Tensor> inputs;
  std::int64_t start = 0;
  for (const Tensor& t : tensors) {
    const Tensor x = t.dtype() == dtype ? t : cast(t, dtype);
    const std::int64_t n = x.shape()[axis];
    // A bare view, not the slice op: out is not filled yet, and anomaly mode would check it.
    Shape window_shape = shape;
    window_shape[axis] = n;
    const Tensor window = detail::make_view(out, window_shape, out.strides(),
                                            out.offset() + start * out.strides()[axis]);
    detail::kernels_of(x).copy(x.strided_view(), window.strided_view());
    inputs.push_back(x);
    start += n;
  }
  return detail::record<TensorOp::concat>(out, inputs, AxisParams{axis});
}
void detail::concat_backward(TensorNode& node, const Tensor& g) {
  const std::int64_t axis = params<AxisParams>(node).axis;
  std::int64_t start = 0;
  for (std::size_t i = 0; i < input_count(node); ++i) {
    const std::int64_t n = input_shape(node, i)[axis];
    give(node, i, slice(g, axis, start, start + n));
    start += n;
  }
}

Tensor stack(const std::vector<Tensor>& tensors, std::int64_t axis) {
  KINDLING_CHECK(!tensors.empty(), "stack: no tensors");
  axis = detail::normalize_axis(axis, tensors[0].dim() + 1, "stack");
  std::vector<Tensor> parts;
  for (const Tensor& t : tensors) {
    KINDLING_CHECK(t.shape() == tensors[0].shape(), "stack: shapes ",
                   shape_string(tensors[0].shape()), " and ", shape_string(t.shape()), " differ");
    parts.push_back(unsqueeze(t, axis));
  }
  return concat(parts, axis);
}

}  // namespace kindling
