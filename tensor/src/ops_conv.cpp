// The windowed ops of a convolutional network: unfold and fold (im2col and its adjoint), conv2d
// and max_pool2d (primitives with their own kernels), and the composites avg_pool2d,
// adaptive_avg_pool2d, batch_norm and pad.
#include <algorithm>
#include <cstdlib>
#include <limits>
#include <ostream>
#include <vector>

#include "internal.hpp"

namespace kindling {

using detail::give;
using detail::input;

// Note [convolution]
// A 2-d convolution is a matrix product over windows (im2col): unfold copies each window of the
// input into a column, cols (N, C kh kw, L) for L = Ho Wo windows, and the layer's weight
// (O, C kh kw) multiplies them; with groups, group j's weight rows multiply only its block of
// cols rows. Its backward is two more products and the adjoint of unfold (fold, col2im, which
// adds each column back at its window):
//   dW = sum_n g_n cols_n^T        dcols = W^T g        dx = fold(dcols)
// conv2d is its own primitive, not unfold followed by matmul, for the layout: it keeps cols as
// (G, C/G kh kw, N, L), so that dW is one product over N L columns per group instead of N
// products summed afterwards, and it keeps cols (when the weight needs a gradient) instead of
// unfolding again. Its backward written with unfold, fold and matmul is the create_graph form;
// both compute the same sums (the fast one in one product). max_pool2d keeps the index of each
// window's max, and its backward scatters g back there (scatter_add), so it is twice
// differentiable through scatter_add's own backward.

namespace {

using kernels::ConvGeometry;

// Prints "(h, w)" in an error message.
struct PairText {
  Size2 s;
};
std::ostream& operator<<(std::ostream& os, PairText p) {
  return os << '(' << p.s.h << ", " << p.s.w << ')';
}
PairText pair_string(Size2 s) {
  return {s};
}

std::int32_t narrow(std::int64_t v, const char* op, const char* what) {
  KINDLING_CHECK(v >= 0 && v <= std::numeric_limits<std::int32_t>::max(), op, ": ", what, " ", v,
                 " is out of range");
  return static_cast<std::int32_t>(v);
}

// The window parameters, checked: kernel, stride and dilation at least 1, padding at least 0.
ConvParams make_params(const char* op, Size2 kernel, Size2 stride, Size2 padding, Size2 dilation,
                       std::int64_t groups, Size2 image, bool ceil_mode = false) {
  KINDLING_CHECK(kernel.h >= 1 && kernel.w >= 1, op, ": kernel size ", pair_string(kernel),
                 " must be positive");
  KINDLING_CHECK(stride.h >= 1 && stride.w >= 1, op, ": stride ", pair_string(stride),
                 " must be positive");
  KINDLING_CHECK(dilation.h >= 1 && dilation.w >= 1, op, ": dilation ", pair_string(dilation),
                 " must be positive");
  KINDLING_CHECK(padding.h >= 0 && padding.w >= 0, op, ": padding ", pair_string(padding),
                 " must not be negative");
  ConvParams p;
  p.kernel[0] = narrow(kernel.h, op, "kernel size");
  p.kernel[1] = narrow(kernel.w, op, "kernel size");
  p.stride[0] = narrow(stride.h, op, "stride");
  p.stride[1] = narrow(stride.w, op, "stride");
  p.padding[0] = narrow(padding.h, op, "padding");
  p.padding[1] = narrow(padding.w, op, "padding");
  p.dilation[0] = narrow(dilation.h, op, "dilation");
  p.dilation[1] = narrow(dilation.w, op, "dilation");
  p.groups = narrow(groups, op, "groups");
  p.image[0] = narrow(image.h, op, "image height");
  p.image[1] = narrow(image.w, op, "image width");
  p.ceil_mode = ceil_mode;
  return p;
}

// Windows along one axis: floor((in + 2 pad - dilation (kernel - 1) - 1) / stride) + 1, or with
// ceil_mode the ceiling, less one when the last window would start in the right padding (torch's
// rule). 0 or less: the kernel does not fit the padded input.
std::int64_t window_count(std::int64_t in, std::int64_t kernel, std::int64_t stride,
                          std::int64_t pad, std::int64_t dilation, bool ceil_mode) {
  const std::int64_t span = in + 2 * pad - dilation * (kernel - 1) - 1;
  if (span < 0) return 0;
  std::int64_t count = (span + (ceil_mode ? stride - 1 : 0)) / stride + 1;
  if (ceil_mode && (count - 1) * stride >= in + pad) --count;
  return count;
}

ConvGeometry geometry(const ConvParams& p, const char* op, const Shape& input_shape,
                      const Shape& kernel_shape) {
  ConvGeometry g;
  g.in_h = p.image[0];
  g.in_w = p.image[1];
  g.kernel_h = p.kernel[0];
  g.kernel_w = p.kernel[1];
  g.stride_h = p.stride[0];
  g.stride_w = p.stride[1];
  g.pad_h = p.padding[0];
  g.pad_w = p.padding[1];
  g.dilation_h = p.dilation[0];
  g.dilation_w = p.dilation[1];
  g.out_h = window_count(g.in_h, g.kernel_h, g.stride_h, g.pad_h, g.dilation_h, p.ceil_mode);
  g.out_w = window_count(g.in_w, g.kernel_w, g.stride_w, g.pad_w, g.dilation_w, p.ceil_mode);
  KINDLING_CHECK(g.out_h > 0 && g.out_w > 0, op, ": input ", shape_string(input_shape),
                 " with padding (", g.pad_h, ", ", g.pad_w, ") is smaller than the kernel ",
                 shape_string(kernel_shape), " (dilation (", g.dilation_h, ", ", g.dilation_w,
                 ")): no window fits");
  return g;
}

// A kernel's view of t's data with another shape and strides (in elements).
kernels::StridedView laid_out(const Tensor& t, std::initializer_list<std::int64_t> shape,
                              std::initializer_list<std::int64_t> strides) {
  kernels::StridedView v = t.strided_view();
  v.ndim = static_cast<int>(shape.size());
  std::copy(shape.begin(), shape.end(), v.shape.begin());
  std::copy(strides.begin(), strides.end(), v.strides.begin());
  return v;
}

void check_image(const Tensor& x, const char* op, std::int64_t dims, const char* layout) {
  KINDLING_CHECK(x.dim() == dims, op, ": expected a ", dims, "-d input ", layout, ", got ",
                 shape_string(x.shape()));
  KINDLING_CHECK(is_floating(x.dtype()), op, ": needs a floating-point input, got ",
                 dtype_name(x.dtype()), " of shape ", shape_string(x.shape()));
}

// ---- unfold / fold without the checks of the public functions ----
Tensor unfold_with(const Tensor& x, const ConvParams& p) {
  const ConvGeometry g = geometry(p, "unfold", x.shape(), Shape{p.kernel[0], p.kernel[1]});
  const std::int64_t n = x.size(0), rows = x.size(1) * g.kernel_h * g.kernel_w;
  Tensor cols = detail::empty({n, rows, g.out_h * g.out_w}, x.dtype(), x.device(), "unfold");
  detail::kernels_of(x).im2col(x.strided_view(), g, cols.strided_view());
  return detail::record<TensorOp::unfold>(cols, {&x}, p);
}

Tensor fold_with(const Tensor& cols, const ConvParams& p) {
  const ConvGeometry g =
      geometry(p, "fold", Shape{p.image[0], p.image[1]}, Shape{p.kernel[0], p.kernel[1]});
  const std::int64_t taps = g.kernel_h * g.kernel_w;
  KINDLING_CHECK(cols.size(1) % taps == 0 && cols.size(2) == g.out_h * g.out_w, "fold: input ",
                 shape_string(cols.shape()), " for output size (", g.in_h, ", ", g.in_w,
                 ") and kernel (", g.kernel_h, ", ", g.kernel_w, "): expected (N, C * ", taps, ", ",
                 g.out_h * g.out_w, ")");
  const Tensor c = contiguous(cols);
  Tensor x =
      detail::empty({c.size(0), c.size(1) / taps, g.in_h, g.in_w}, c.dtype(), c.device(), "fold");
  detail::kernels_of(c).col2im(c.strided_view(), g, x.strided_view());
  return detail::record<TensorOp::fold>(x, {&c}, p);
}

// conv2d of a checked input, weight and bias (undefined: none): the primitive.
Tensor conv2d_with(const Tensor& x, const Tensor& w, const Tensor& bias, const ConvParams& p) {
  const ConvGeometry g = geometry(p, "conv2d", x.shape(), w.shape());
  const std::int64_t n = x.size(0), groups = p.groups;
  const std::int64_t out_channels = w.size(0), per_group = out_channels / groups;
  const std::int64_t depth = w.size(1) * g.kernel_h * g.kernel_w;  // cols rows per group
  const std::int64_t windows = g.out_h * g.out_w;
  const kernels::KernelTable& k = detail::kernels_of(x);
  // cols (G, depth, N, L), read per sample as (N, G, depth, L): Note [convolution].
  Tensor cols = detail::empty({groups, depth, n, windows}, x.dtype(), x.device(), "conv2d");
  k.im2col(x.strided_view(), g,
           laid_out(cols, {n, groups * depth, windows}, {windows, n * windows, 1}));
  // One product per group over all N L columns, W_j (per_group, depth) x cols_j (depth, N L) ->
  // (G, per_group, N, L), then one copy into (N, O, Ho, Wo): a product per sample would repack
  // the weight N times and run the kernel on narrow (L-column) tiles.
  const std::int64_t columns = n * windows;
  Tensor by_group = detail::empty({groups, per_group, n, windows}, x.dtype(), x.device(), "conv2d");
  k.matmul(laid_out(w, {groups, per_group, depth}, {per_group * depth, depth, 1}),
           laid_out(cols, {groups, depth, columns}, {depth * columns, columns, 1}),
           laid_out(by_group, {groups, per_group, columns}, {per_group * columns, columns, 1}));
  Tensor out = detail::empty({n, out_channels, g.out_h, g.out_w}, x.dtype(), x.device(), "conv2d");
  // The copy adds the bias on the way (one pass, not a second one over the result).
  const kernels::StridedView grouped =
      laid_out(by_group, {n, out_channels, windows}, {windows, columns, 1});
  const kernels::StridedView result =
      laid_out(out, {n, out_channels, windows}, {out_channels * windows, windows, 1});
  if (bias.defined())
    k.binary(kernels::BinaryKernel::add, grouped,
             laid_out(bias, {n, out_channels, windows}, {0, bias.strides()[0], 0}), result);
  else
    k.copy(grouped, result);
  std::vector<Tensor> saved;
  if (is_grad_enabled() && w.requires_grad()) saved.push_back(cols);
  if (bias.defined()) return detail::record<TensorOp::conv2d>(out, {&x, &w, &bias}, p, saved);
  return detail::record<TensorOp::conv2d>(out, {&x, &w}, p, saved);
}

}  // namespace

// ---- unfold: cols[n][(c kh + i) kw + j][window] = x[n][c] at the window's tap (i, j);
//      dx = fold(g) ----
Tensor unfold(const Tensor& x, Size2 kernel_size, Size2 dilation, Size2 padding, Size2 stride) {
  check_image(x, "unfold", 4, "(N, C, H, W)");
  return unfold_with(
      x, make_params("unfold", kernel_size, stride, padding, dilation, 1, {x.size(2), x.size(3)}));
}
void detail::unfold_backward(TensorNode& node, const Tensor& g) {
  give(node, 0, fold_with(g, params<ConvParams>(node)));
}

// ---- fold: x = 0, then each column added at its window;  dcols = unfold(g) ----
Tensor fold(const Tensor& cols, Size2 output_size, Size2 kernel_size, Size2 dilation, Size2 padding,
            Size2 stride) {
  check_image(cols, "fold", 3, "(N, C * kh * kw, L)");
  return fold_with(cols,
                   make_params("fold", kernel_size, stride, padding, dilation, 1, output_size));
}
void detail::fold_backward(TensorNode& node, const Tensor& g) {
  give(node, 0, unfold_with(g, params<ConvParams>(node)));
}

// ---- conv2d: out[n][o] = sum over the group's c, i, j of w[o][c][i][j] x[n][c] at (i, j)
//      (+ bias[o]);  dx = fold(W^T g), dW = sum_n g_n cols_n^T ----
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, Size2 stride,
              Size2 padding, Size2 dilation, std::int64_t groups) {
  check_image(x, "conv2d", 4, "(N, C, H, W)");
  KINDLING_CHECK(weight.dim() == 4, "conv2d: expected a 4-d weight (out_channels, in_channels / ",
                 "groups, kh, kw), got ", shape_string(weight.shape()), " for input ",
                 shape_string(x.shape()));
  KINDLING_CHECK(weight.dtype() == x.dtype() && weight.device() == x.device(), "conv2d: input ",
                 dtype_name(x.dtype()), " on ", to_string(x.device()), " and weight ",
                 dtype_name(weight.dtype()), " on ", to_string(weight.device()), " differ");
  KINDLING_CHECK(groups >= 1, "conv2d: groups must be positive, got ", groups);
  const std::int64_t channels = x.size(1), out_channels = weight.size(0);
  KINDLING_CHECK(channels % groups == 0 && out_channels % groups == 0, "conv2d: input ",
                 shape_string(x.shape()), " and weight ", shape_string(weight.shape()), ": ",
                 channels, " input channels and ", out_channels,
                 " output channels must both be divisible by groups = ", groups);
  KINDLING_CHECK(weight.size(1) * groups == channels, "conv2d: input ", shape_string(x.shape()),
                 " has ", channels, " channels, but weight ", shape_string(weight.shape()),
                 " with groups = ", groups, " expects ", weight.size(1) * groups);
  const ConvParams p = make_params("conv2d", {weight.size(2), weight.size(3)}, stride, padding,
                                   dilation, groups, {x.size(2), x.size(3)});
  KINDLING_CHECK(!bias.defined() || (bias.dim() == 1 && bias.size(0) == out_channels &&
                                     bias.dtype() == x.dtype() && bias.device() == x.device()),
                 "conv2d: bias ", shape_string(bias.shape()), " (", dtype_name(bias.dtype()),
                 ") for weight ", shape_string(weight.shape()), ": expected (", out_channels,
                 ") of ", dtype_name(x.dtype()));
  return conv2d_with(x, contiguous(weight), bias, p);
}
void detail::conv2d_backward(TensorNode& node, const Tensor& grad) {
  const ConvParams& p = params<ConvParams>(node);
  const Tensor x = input(node, 0), w = input(node, 1);
  const std::int64_t n = x.size(0), groups = p.groups;
  const std::int64_t out_channels = w.size(0), per_group = out_channels / groups;
  const std::int64_t depth = w.size(1) * p.kernel[0] * p.kernel[1];
  const std::int64_t windows = grad.size(2) * grad.size(3);
  if (input_count(node) == 3 && wants_grad(node, 2)) give(node, 2, sum(grad, {0, 2, 3}));
  if (creating_graph) [[unlikely]] {  // Note [convolution], in differentiable ops
    const Tensor g = reshape(grad, {n, groups, per_group, windows});
    const Tensor wg = reshape(w, {groups, per_group, depth});
    if (wants_grad(node, 0)) {
      const Tensor dcols = matmul(transpose(wg, -2, -1), g);  // (N, G, depth, L)
      give(node, 0, fold_with(reshape(dcols, {n, groups * depth, windows}), p));
    }
    if (wants_grad(node, 1)) {
      const Tensor cols = reshape(unfold_with(x, p), {n, groups, depth, windows});
      give(node, 1, reshape(sum(matmul(g, transpose(cols, -2, -1)), {0}), w.shape()));
    }
    return;
  }
  const kernels::KernelTable& k = kernels_of(x);
  // g as (G, per_group, N, L): one product over the N L columns per group.
  const Tensor g =
      contiguous(permute(reshape(grad, {n, groups, per_group, windows}), {1, 2, 0, 3}));
  const std::int64_t columns = n * windows;
  if (wants_grad(node, 0)) {
    // dcols (G, depth, N L) = W_j^T (depth, per_group) x g_j (per_group, N L), then col2im.
    Tensor dcols = empty({groups, depth, n, windows}, x.dtype(), x.device(), "conv2d backward");
    k.matmul(laid_out(w, {groups, depth, per_group}, {per_group * depth, 1, depth}),
             laid_out(g, {groups, per_group, columns}, {per_group * columns, columns, 1}),
             laid_out(dcols, {groups, depth, columns}, {depth * columns, columns, 1}));
    Tensor dx = empty(x.shape(), x.dtype(), x.device(), "conv2d backward");
    k.col2im(laid_out(dcols, {n, groups * depth, windows}, {windows, columns, 1}),
             geometry(p, "conv2d", x.shape(), w.shape()), dx.strided_view());
    give(node, 0, dx);
  }
  if (wants_grad(node, 1)) {
    // dW_j (per_group, depth) = g_j (per_group, N L) x cols_j^T (N L, depth).
    const Tensor cols = saved(node, 0);
    Tensor dw = empty(w.shape(), w.dtype(), w.device(), "conv2d backward");
    k.matmul(laid_out(g, {groups, per_group, columns}, {per_group * columns, columns, 1}),
             laid_out(cols, {groups, columns, depth}, {depth * columns, 1, columns}),
             laid_out(dw, {groups, per_group, depth}, {per_group * depth, depth, 1}));
    give(node, 1, dw);
  }
}

// ---- max_pool2d: out = the max of each window, indices where it is;
//      dx = g added back at the indices (scatter_add) ----
ValuesIndices max_pool2d_with_indices(const Tensor& x_in, Size2 kernel_size, Size2 stride,
                                      Size2 padding, Size2 dilation, bool ceil_mode) {
  KINDLING_CHECK(x_in.dim() == 3 || x_in.dim() == 4,
                 "max_pool2d: expected a 3-d (C, H, W) or 4-d (N, C, H, W) input, got ",
                 shape_string(x_in.shape()));
  if (x_in.dim() == 3) {
    ValuesIndices r = max_pool2d_with_indices(unsqueeze(x_in, 0), kernel_size, stride, padding,
                                              dilation, ceil_mode);
    return {squeeze(r.values, 0), squeeze(r.indices, 0)};
  }
  const Tensor& x = x_in;
  check_image(x, "max_pool2d", 4, "(N, C, H, W)");
  if (stride.h == 0 && stride.w == 0) stride = kernel_size;  // torch's stride=None
  KINDLING_CHECK(padding.h * 2 <= kernel_size.h && padding.w * 2 <= kernel_size.w,
                 "max_pool2d: padding ", pair_string(padding),
                 " must be at most half the kernel size ", pair_string(kernel_size));
  const ConvParams p = make_params("max_pool2d", kernel_size, stride, padding, dilation, 1,
                                   {x.size(2), x.size(3)}, ceil_mode);
  const kernels::ConvGeometry g =
      geometry(p, "max_pool2d", x.shape(), Shape{kernel_size.h, kernel_size.w});
  const Shape shape{x.size(0), x.size(1), g.out_h, g.out_w};
  Tensor out = detail::empty(shape, x.dtype(), x.device(), "max_pool2d");
  Tensor indices = detail::empty(shape, DType::int64, x.device(), "max_pool2d");
  detail::kernels_of(x).max_pool2d(x.strided_view(), g, out.strided_view(), indices.strided_view());
  out = detail::record<TensorOp::max_pool2d>(out, {&x}, p, {indices});
  return {out, indices};
}
Tensor max_pool2d(const Tensor& x, Size2 kernel_size, Size2 stride, Size2 padding, Size2 dilation,
                  bool ceil_mode) {
  return max_pool2d_with_indices(x, kernel_size, stride, padding, dilation, ceil_mode).values;
}
void detail::max_pool2d_backward(TensorNode& node, const Tensor& g) {
  const Tensor x = input(node, 0);
  const std::int64_t n = x.size(0), c = x.size(1);
  if (creating_graph) [[unlikely]] {  // the kernel's sum in differentiable ops
    const Tensor index = reshape(saved(node, 0), {n, c, -1});
    const Tensor plane = zeros({n, c, x.size(2) * x.size(3)}, x.dtype(), x.device());
    give(node, 0, reshape(scatter_add(plane, 2, index, reshape(g, {n, c, -1})), x.shape()));
    return;
  }
  Tensor dx = zeros(x.shape(), x.dtype(), x.device());
  kernels_of(x).max_pool2d_backward(g.strided_view(), saved(node, 0).strided_view(),
                                    dx.strided_view());
  give(node, 0, dx);
}

// ---- the composites ----

// The mean of each window (unfold, then a mean over the window's taps). count_include_pad counts
// the zero padding in the divisor, as torch's default; divisor_override replaces the divisor.
Tensor avg_pool2d(const Tensor& x_in, Size2 kernel_size, Size2 stride, Size2 padding,
                  bool ceil_mode, bool count_include_pad, std::int64_t divisor_override) {
  KINDLING_CHECK(x_in.dim() == 3 || x_in.dim() == 4,
                 "avg_pool2d: expected a 3-d (C, H, W) or 4-d (N, C, H, W) input, got ",
                 shape_string(x_in.shape()));
  if (x_in.dim() == 3)
    return squeeze(avg_pool2d(unsqueeze(x_in, 0), kernel_size, stride, padding, ceil_mode,
                              count_include_pad, divisor_override),
                   0);
  const Tensor& x = x_in;
  check_image(x, "avg_pool2d", 4, "(N, C, H, W)");
  KINDLING_CHECK(!ceil_mode, "avg_pool2d: ceil_mode=True is not supported");
  KINDLING_CHECK(divisor_override >= 0, "avg_pool2d: divisor_override must be positive, got ",
                 divisor_override);
  if (stride.h == 0 && stride.w == 0) stride = kernel_size;
  KINDLING_CHECK(padding.h * 2 <= kernel_size.h && padding.w * 2 <= kernel_size.w,
                 "avg_pool2d: padding ", pair_string(padding),
                 " must be at most half the kernel size ", pair_string(kernel_size));
  const ConvParams p =
      make_params("avg_pool2d", kernel_size, stride, padding, {1, 1}, 1, {x.size(2), x.size(3)});
  const kernels::ConvGeometry g =
      geometry(p, "avg_pool2d", x.shape(), Shape{kernel_size.h, kernel_size.w});
  const std::int64_t n = x.size(0), c = x.size(1), taps = kernel_size.h * kernel_size.w;
  const Tensor windows = reshape(unfold_with(x, p), {n, c, taps, g.out_h * g.out_w});
  Tensor total = sum(windows, {2});  // (N, C, L)
  if (divisor_override > 0) {
    total = total / static_cast<double>(divisor_override);
  } else if (count_include_pad || (padding.h == 0 && padding.w == 0)) {
    total = total / static_cast<double>(taps);
  } else {
    // Each window's count of real pixels: the windows of an image of ones.
    const Tensor counts = [&] {
      const no_grad guard;
      const Tensor ones_image = ones({1, 1, x.size(2), x.size(3)}, x.dtype(), x.device());
      return reshape(sum(unfold_with(ones_image, p), {1}), {1, 1, -1});
    }();
    total = total / counts;
  }
  return reshape(total, {n, c, g.out_h, g.out_w});
}

namespace {
// (out, in): row i averages input positions [floor(i in / out), ceil((i + 1) in / out)), torch's
// adaptive bins.
Tensor adaptive_bins(std::int64_t out, std::int64_t in, DType dtype, Device device) {
  std::vector<double> m(static_cast<std::size_t>(out * in), 0.0);
  for (std::int64_t i = 0; i < out; ++i) {
    const std::int64_t start = (i * in) / out, end = ((i + 1) * in + out - 1) / out;
    for (std::int64_t j = start; j < end; ++j)
      m[static_cast<std::size_t>(i * in + j)] = 1.0 / static_cast<double>(end - start);
  }
  return cast(from_vector(m, {out, in}), dtype).to(device);
}
}  // namespace

// Global pooling is a mean; bins of equal size are avg_pool2d; others two products with the bin
// matrices (P_h x P_w^T), which are exact averages too.
Tensor adaptive_avg_pool2d(const Tensor& x_in, Size2 output_size) {
  KINDLING_CHECK(x_in.dim() == 3 || x_in.dim() == 4,
                 "adaptive_avg_pool2d: expected a 3-d (C, H, W) or 4-d (N, C, H, W) input, got ",
                 shape_string(x_in.shape()));
  if (x_in.dim() == 3) return squeeze(adaptive_avg_pool2d(unsqueeze(x_in, 0), output_size), 0);
  const Tensor& x = x_in;
  check_image(x, "adaptive_avg_pool2d", 4, "(N, C, H, W)");
  KINDLING_CHECK(output_size.h >= 1 && output_size.w >= 1, "adaptive_avg_pool2d: output size ",
                 pair_string(output_size), " must be positive");
  const std::int64_t h = x.size(2), w = x.size(3);
  KINDLING_CHECK(h > 0 && w > 0, "adaptive_avg_pool2d: input ", shape_string(x.shape()),
                 " has an empty plane");
  if (output_size.h == 1 && output_size.w == 1) return mean(x, {2, 3}, true);
  if (h % output_size.h == 0 && w % output_size.w == 0) {
    const Size2 k{h / output_size.h, w / output_size.w};
    return avg_pool2d(x, k, k);
  }
  const Tensor rows = adaptive_bins(output_size.h, h, x.dtype(), x.device());
  const Tensor across = adaptive_bins(output_size.w, w, x.dtype(), x.device());
  return matmul(matmul(rows, x), transpose(across, 0, 1));
}

// Normalises each channel (dim 1) over the batch and the other dims, as
// torch.nn.functional.batch_norm.
Tensor batch_norm(const Tensor& x, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight, const Tensor& bias, bool training, double momentum,
                  double eps) {
  KINDLING_CHECK(x.dim() >= 2, "batch_norm: expected an input (N, C, ...), got ",
                 shape_string(x.shape()));
  KINDLING_CHECK(is_floating(x.dtype()), "batch_norm: needs a floating-point input, got ",
                 dtype_name(x.dtype()));
  const std::int64_t channels = x.size(1);
  Shape per_channel(static_cast<std::size_t>(x.dim()), 1);
  per_channel[1] = channels;
  for (const auto& [t, name] : {std::pair{&running_mean, "running_mean"},
                                {&running_var, "running_var"},
                                {&weight, "weight"},
                                {&bias, "bias"}}) {
    if (!t->defined()) continue;
    KINDLING_CHECK(t->dim() == 1 && t->size(0) == channels && t->dtype() == x.dtype() &&
                       t->device() == x.device(),
                   "batch_norm: ", name, " ", shape_string(t->shape()), " (",
                   dtype_name(t->dtype()), ") for input ", shape_string(x.shape()), ": expected (",
                   channels, ") of ", dtype_name(x.dtype()));
  }
  KINDLING_CHECK(running_mean.defined() == running_var.defined(),
                 "batch_norm: running_mean and running_var must be given together");
  KINDLING_CHECK(training || running_mean.defined(),
                 "batch_norm: evaluation (training=False) needs running_mean and running_var");
  Axes axes{0};
  for (std::int64_t d = 2; d < x.dim(); ++d)
    axes.push_back(d);
  Tensor centred, scale;
  if (training) {
    const std::int64_t count = x.numel() / std::max<std::int64_t>(channels, 1);
    KINDLING_CHECK(count > 1, "batch_norm: input ", shape_string(x.shape()),
                   ": expected more than 1 value per channel when training");
    const Tensor m = mean(x, axes, true);
    centred = x - m;
    const Tensor v = mean(centred * centred, axes, true);  // biased, as torch normalises
    scale = sqrt(v + eps);
    if (running_mean.defined()) {
      const no_grad guard;
      const double unbias = static_cast<double>(count) / static_cast<double>(count - 1);
      running_mean.copy_(running_mean * (1.0 - momentum) + reshape(m, {channels}) * momentum);
      running_var.copy_(running_var * (1.0 - momentum) +
                        reshape(v, {channels}) * (momentum * unbias));
    }
  } else {
    centred = x - reshape(running_mean, per_channel);
    scale = sqrt(reshape(running_var, per_channel) + eps);
  }
  Tensor y = centred / scale;
  if (weight.defined()) y = y * reshape(weight, per_channel);
  if (bias.defined()) y = y + reshape(bias, per_channel);
  return y;
}

namespace {
// The source position of padded position i along an axis of `size` with `before` added.
std::int64_t pad_source(std::int64_t i, std::int64_t size, std::int64_t before, PadMode mode) {
  std::int64_t s = i - before;
  switch (mode) {
    case PadMode::reflect:
      if (size == 1) return 0;
      s = std::abs(s) % (2 * (size - 1));  // reflect about 0, then about size - 1
      return s < size ? s : 2 * (size - 1) - s;
    case PadMode::replicate:
      return std::clamp<std::int64_t>(s, 0, size - 1);
    case PadMode::circular:
      return ((s % size) + size) % size;
    case PadMode::constant:
      break;
  }
  return s;
}
const char* pad_mode_name(PadMode mode) {
  switch (mode) {
    case PadMode::constant:
      return "constant";
    case PadMode::reflect:
      return "reflect";
    case PadMode::replicate:
      return "replicate";
    case PadMode::circular:
      return "circular";
  }
  return "?";
}
}  // namespace

// torch.nn.functional.pad: (left, right) pairs from the last dim backwards. constant fills with
// `value` (negative amounts crop); reflect, replicate and circular read the input again, through
// index_select (whose backward adds the gradient back at each source).
Tensor pad(const Tensor& x, const std::vector<std::int64_t>& amounts, PadMode mode, double value) {
  KINDLING_CHECK(amounts.size() % 2 == 0 && amounts.size() / 2 <= static_cast<std::size_t>(x.dim()),
                 "pad: ", amounts.size(), " amounts for an input of shape ",
                 shape_string(x.shape()), ": expected (left, right) pairs for at most ", x.dim(),
                 " dims");
  Tensor y = x;
  for (std::size_t pair = 0; pair < amounts.size() / 2; ++pair) {
    const std::int64_t axis = x.dim() - 1 - static_cast<std::int64_t>(pair);
    const std::int64_t before = amounts[2 * pair], after = amounts[2 * pair + 1];
    const std::int64_t size = y.size(axis);
    KINDLING_CHECK(size + before + after >= 0, "pad: amounts (", before, ", ", after, ") for dim ",
                   axis, " of size ", size, " of input ", shape_string(x.shape()),
                   " leave a negative size");
    if (mode != PadMode::constant) {
      if (before == 0 && after == 0) continue;
      KINDLING_CHECK(before >= 0 && after >= 0, "pad: ", pad_mode_name(mode),
                     " padding takes no negative amounts, got (", before, ", ", after, ")");
      const std::int64_t limit = mode == PadMode::reflect ? size - 1 : size;
      KINDLING_CHECK(
          size > 0 && (mode == PadMode::replicate || (before <= limit && after <= limit)),
          "pad: ", pad_mode_name(mode), " padding (", before, ", ", after, ") of dim ", axis,
          " of size ", size, " of input ", shape_string(x.shape()),
          mode == PadMode::reflect ? ": each amount must be less than the size"
                                   : ": each amount must be at most the size");
      std::vector<std::int64_t> source(static_cast<std::size_t>(size + before + after));
      for (std::size_t i = 0; i < source.size(); ++i)
        source[i] = pad_source(static_cast<std::int64_t>(i), size, before, mode);
      const std::int64_t count = static_cast<std::int64_t>(source.size());
      y = index_select(y, axis, from_vector(source, {count}).to(x.device()));
      continue;
    }
    // Crop first (negative amounts), then add blocks of `value`.
    const std::int64_t start = before < 0 ? -before : 0;
    const std::int64_t stop = after < 0 ? size + after : size;
    if (start > 0 || stop < size) y = slice(y, axis, start, std::max(start, stop));
    std::vector<Tensor> parts;
    auto block = [&](std::int64_t n) {
      Shape s = y.shape();
      s[static_cast<std::size_t>(axis)] = n;
      return full(s, value, y.dtype(), y.device());
    };
    if (before > 0) parts.push_back(block(before));
    parts.push_back(y);
    if (after > 0) parts.push_back(block(after));
    if (parts.size() > 1) y = concat(parts, axis);
  }
  return y;
}
Tensor pad(const Tensor& x, const std::vector<std::int64_t>& amounts, double value) {
  return pad(x, amounts, PadMode::constant, value);
}

}  // namespace kindling
