// CPU kernels of the windowed ops (Note [convolution] in ops_conv.cpp): im2col, its adjoint
// col2im, and max_pool2d. The CPU twins of gpu/src/kernels/conv.cu. OpenMP over the (image,
// channel) planes, the outer loop; each plane is written by one thread, so results do not depend
// on the thread count.
#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "cpu.hpp"
#include "iter.hpp"
#include "kindling/engine/error.hpp"

namespace kindling::kernels::cpu {

namespace {

// The range of output positions o in [0, out) whose tap at offset `tap` (i * dilation - pad)
// lands inside [0, size): o * stride + tap in [0, size).
struct Inside {
  std::int64_t begin, end;
};
Inside inside(std::int64_t out, std::int64_t stride, std::int64_t tap, std::int64_t size) {
  // o >= ceil(-tap / stride) and o <= floor((size - 1 - tap) / stride)
  std::int64_t begin = tap >= 0 ? 0 : (-tap + stride - 1) / stride;
  std::int64_t end = size - 1 - tap < 0 ? 0 : (size - 1 - tap) / stride + 1;
  if (end > out) end = out;
  if (begin > end) begin = end;
  return {begin, end};
}

// The taps i in [0, kernel) of a window starting at `start` (may be negative) whose pixel
// start + i * dilation lies in [0, size).
Inside window_taps(std::int64_t start, std::int64_t kernel, std::int64_t dilation,
                   std::int64_t size) {
  std::int64_t begin = start >= 0 ? 0 : (-start + dilation - 1) / dilation;
  std::int64_t end = size - 1 - start < 0 ? 0 : (size - 1 - start) / dilation + 1;
  if (end > kernel) end = kernel;
  if (begin > end) begin = end;
  return {begin, end};
}

bool parallel_pays(std::int64_t planes, std::int64_t work) {
  return planes > 1 && work >= kParallelThreshold;
}

// cols[b][(ch * kh + i) * kw + j][oh * ow_count + ow] = x[b][ch][oh * sh - ph + i * dh][...].
template <class T>
void im2col_typed(const StridedView& x, const ConvGeometry& g, const StridedView& cols) {
  const std::int64_t batch = x.shape[0], channels = x.shape[1];
  const std::int64_t planes = batch * channels;
  const std::int64_t taps = g.kernel_h * g.kernel_w, positions = g.out_h * g.out_w;
  const T* src = static_cast<const T*>(x.data);
  T* dst = static_cast<T*>(cols.data);
  const std::int64_t xs0 = x.strides[0], xs1 = x.strides[1], xs2 = x.strides[2], xs3 = x.strides[3];
  const std::int64_t cs0 = cols.strides[0], cs1 = cols.strides[1], cs2 = cols.strides[2];
#pragma omp parallel for schedule(static) if (parallel_pays(planes, planes * taps * positions))
  for (std::int64_t plane = 0; plane < planes; ++plane) {
    const std::int64_t b = plane / channels, ch = plane % channels;
    const T* image = src + b * xs0 + ch * xs1;
    for (std::int64_t i = 0; i < g.kernel_h; ++i) {
      const std::int64_t tap_h = i * g.dilation_h - g.pad_h;
      const Inside rows = inside(g.out_h, g.stride_h, tap_h, g.in_h);
      for (std::int64_t j = 0; j < g.kernel_w; ++j) {
        const std::int64_t tap_w = j * g.dilation_w - g.pad_w;
        const Inside across = inside(g.out_w, g.stride_w, tap_w, g.in_w);
        T* row = dst + b * cs0 + (ch * taps + i * g.kernel_w + j) * cs1;
        for (std::int64_t oh = 0; oh < g.out_h; ++oh) {
          T* out = row + oh * g.out_w * cs2;
          if (oh < rows.begin || oh >= rows.end) {
            for (std::int64_t ow = 0; ow < g.out_w; ++ow)
              out[ow * cs2] = T(0);
            continue;
          }
          const T* line = image + (oh * g.stride_h + tap_h) * xs2;
          for (std::int64_t ow = 0; ow < across.begin; ++ow)
            out[ow * cs2] = T(0);
          if (cs2 == 1 && xs3 == 1 && g.stride_w == 1) {
            // A loop the compiler vectorises: the runs are an image row (tens of pixels), where
            // a memcpy call per run cost as much as the copying.
            const T* from = line + tap_w;
            for (std::int64_t ow = across.begin; ow < across.end; ++ow)
              out[ow] = from[ow];
          } else {
            for (std::int64_t ow = across.begin; ow < across.end; ++ow)
              out[ow * cs2] = line[(ow * g.stride_w + tap_w) * xs3];
          }
          for (std::int64_t ow = across.end; ow < g.out_w; ++ow)
            out[ow * cs2] = T(0);
        }
      }
    }
  }
}

// x = 0; x[b][ch][oh * sh - ph + i * dh][...] += cols[b][(ch * kh + i) * kw + j][oh * ow + ow].
template <class T>
void col2im_typed(const StridedView& cols, const ConvGeometry& g, const StridedView& x) {
  const std::int64_t batch = x.shape[0], channels = x.shape[1];
  const std::int64_t planes = batch * channels;
  const std::int64_t taps = g.kernel_h * g.kernel_w, positions = g.out_h * g.out_w;
  const T* src = static_cast<const T*>(cols.data);
  T* dst = static_cast<T*>(x.data);
  const std::int64_t xs0 = x.strides[0], xs1 = x.strides[1], xs2 = x.strides[2], xs3 = x.strides[3];
  const std::int64_t cs0 = cols.strides[0], cs1 = cols.strides[1], cs2 = cols.strides[2];
#pragma omp parallel for schedule(static) if (parallel_pays(planes, planes * taps * positions))
  for (std::int64_t plane = 0; plane < planes; ++plane) {
    const std::int64_t b = plane / channels, ch = plane % channels;
    T* image = dst + b * xs0 + ch * xs1;
    for (std::int64_t h = 0; h < g.in_h; ++h)
      for (std::int64_t w = 0; w < g.in_w; ++w)
        image[h * xs2 + w * xs3] = T(0);
    for (std::int64_t i = 0; i < g.kernel_h; ++i) {
      const std::int64_t tap_h = i * g.dilation_h - g.pad_h;
      const Inside rows = inside(g.out_h, g.stride_h, tap_h, g.in_h);
      for (std::int64_t j = 0; j < g.kernel_w; ++j) {
        const std::int64_t tap_w = j * g.dilation_w - g.pad_w;
        const Inside across = inside(g.out_w, g.stride_w, tap_w, g.in_w);
        const T* row = src + b * cs0 + (ch * taps + i * g.kernel_w + j) * cs1;
        for (std::int64_t oh = rows.begin; oh < rows.end; ++oh) {
          const T* in = row + oh * g.out_w * cs2;
          T* line = image + (oh * g.stride_h + tap_h) * xs2;
          if (cs2 == 1 && xs3 == 1 && g.stride_w == 1) {
            T* out = line + tap_w;
            for (std::int64_t ow = across.begin; ow < across.end; ++ow)
              out[ow] += in[ow];
          } else {
            for (std::int64_t ow = across.begin; ow < across.end; ++ow)
              line[(ow * g.stride_w + tap_w) * xs3] += in[ow * cs2];
          }
        }
      }
    }
  }
}

// The max of each window and its flat index h * in_w + w: NaN wins (the last NaN of the window,
// as torch's kernels: each NaN they meet replaces the one before), else the first maximum. Two
// passes over the window's taps: the max (maxss) with a NaN flag beside it, then the first tap
// holding it. One pass with a compare-and-branch per tap ran at 25 ns a 2x2 window on random data
// (a coin-toss branch per tap); these loops branch on the geometry only.
template <class T>
void max_pool2d_typed(const StridedView& x, const ConvGeometry& geometry, const StridedView& out,
                      const StridedView& indices) {
  const ConvGeometry g = geometry;  // a copy: the index stores could alias a reference's fields
  const std::int64_t batch = x.shape[0], channels = x.shape[1];
  const std::int64_t planes = batch * channels;
  const T* src = static_cast<const T*>(x.data);
  T* dst = static_cast<T*>(out.data);
  auto* where = static_cast<std::int64_t*>(indices.data);
  const std::int64_t xs0 = x.strides[0], xs1 = x.strides[1], xs2 = x.strides[2], xs3 = x.strides[3];
  const std::int64_t os0 = out.strides[0], os1 = out.strides[1], os2 = out.strides[2],
                     os3 = out.strides[3];
  const std::int64_t is0 = indices.strides[0], is1 = indices.strides[1], is2 = indices.strides[2],
                     is3 = indices.strides[3];
  const std::int64_t work = planes * g.out_h * g.out_w * g.kernel_h * g.kernel_w;
  // Each window's taps inside the image, once per row and column of windows (two integer
  // divisions each).
  std::vector<Inside> rows(static_cast<std::size_t>(g.out_h));
  std::vector<Inside> columns(static_cast<std::size_t>(g.out_w));
  for (std::int64_t oh = 0; oh < g.out_h; ++oh)
    rows[static_cast<std::size_t>(oh)] =
        window_taps(oh * g.stride_h - g.pad_h, g.kernel_h, g.dilation_h, g.in_h);
  for (std::int64_t ow = 0; ow < g.out_w; ++ow)
    columns[static_cast<std::size_t>(ow)] =
        window_taps(ow * g.stride_w - g.pad_w, g.kernel_w, g.dilation_w, g.in_w);
  // Windows of adjacent pixels in contiguous rows take the 2 x 2 path where they are 2 x 2.
  const bool pairs = g.dilation_h == 1 && g.dilation_w == 1 && xs3 == 1;
#pragma omp parallel for schedule(static) if (parallel_pays(planes, work))
  for (std::int64_t plane = 0; plane < planes; ++plane) {
    const std::int64_t b = plane / channels, ch = plane % channels;
    const T* image = src + b * xs0 + ch * xs1;
    T* result = dst + b * os0 + ch * os1;
    std::int64_t* index = where + b * is0 + ch * is1;
    for (std::int64_t oh = 0; oh < g.out_h; ++oh) {
      const std::int64_t top = oh * g.stride_h - g.pad_h;
      const Inside th = rows[static_cast<std::size_t>(oh)];
      for (std::int64_t ow = 0; ow < g.out_w; ++ow) {
        const std::int64_t left = ow * g.stride_w - g.pad_w;
        const Inside tw = columns[static_cast<std::size_t>(ow)];
        T best = -std::numeric_limits<T>::infinity();
        std::int64_t best_at;
        if (pairs && th.end - th.begin == 2 && tw.end - tw.begin == 2) {
          // A whole 2 x 2 window of adjacent pixels, the common pooling: selects only.
          const std::int64_t h = top + th.begin, w = left + tw.begin;
          const T* r0 = image + h * xs2 + w;
          const T* r1 = r0 + xs2;
          const T a = r0[0], b = r0[1], c = r1[0], d = r1[1];
          if (!(std::isnan(a) || std::isnan(b) || std::isnan(c) || std::isnan(d))) {
            // std::max keeps its first argument on ties (the first maximum) and compiles to
            // maxss; the comparisons enter the index as 0 or 1: no branch on the data.
            const auto right_top = static_cast<std::int64_t>(b > a);
            const auto right_bottom = static_cast<std::int64_t>(d > c);
            const T top_max = std::max(a, b), bottom_max = std::max(c, d);
            const std::int64_t top_at = h * g.in_w + w + right_top;
            const std::int64_t bottom_at = (h + 1) * g.in_w + w + right_bottom;
            const auto below = static_cast<std::int64_t>(bottom_max > top_max);
            result[oh * os2 + ow * os3] = std::max(top_max, bottom_max);
            index[oh * is2 + ow * is3] = top_at + below * (bottom_at - top_at);
            continue;
          }
        }
        if (th.begin == th.end || tw.begin == tw.end) {
          // A window with no pixel (all padding: a large dilation can make one) is -inf at
          // its clamped start, as torch's.
          best_at = std::clamp<std::int64_t>(top, 0, g.in_h - 1) * g.in_w +
                    std::clamp<std::int64_t>(left, 0, g.in_w - 1);
        } else {
          bool any_nan = false;
          for (std::int64_t i = th.begin; i < th.end; ++i) {
            const T* line = image + (top + i * g.dilation_h) * xs2;
            for (std::int64_t j = tw.begin; j < tw.end; ++j) {
              const T v = line[(left + j * g.dilation_w) * xs3];
              best = std::max(best, v);  // maxss; NaN is flagged instead
              any_nan |= std::isnan(v);
            }
          }
          // The first tap holding the max, or the last NaN when there is one (torch's rule), as
          // 0/1 arithmetic.
          best_at = -1;
          for (std::int64_t i = th.begin; i < th.end; ++i) {
            const std::int64_t h = top + i * g.dilation_h;
            const T* line = image + h * xs2;
            for (std::int64_t j = tw.begin; j < tw.end; ++j) {
              const std::int64_t w = left + j * g.dilation_w;
              const T v = line[w * xs3];
              const std::int64_t here = h * g.in_w + w;
              const auto hit = any_nan ? static_cast<std::int64_t>(std::isnan(v))
                                       : static_cast<std::int64_t>(best_at < 0) &
                                             static_cast<std::int64_t>(v == best);
              best_at += hit * (here - best_at);
            }
          }
          if (any_nan) best = image[(best_at / g.in_w) * xs2 + (best_at % g.in_w) * xs3];
        }
        result[oh * os2 + ow * os3] = best;
        index[oh * is2 + ow * is3] = best_at;
      }
    }
  }
}

// dx[b][ch] at indices[b][ch][...] += grad[b][ch][...], one plane per thread.
template <class T>
void max_pool2d_backward_typed(const StridedView& grad, const StridedView& indices,
                               const StridedView& dx) {
  const std::int64_t batch = grad.shape[0], channels = grad.shape[1];
  const std::int64_t planes = batch * channels, out_h = grad.shape[2], out_w = grad.shape[3];
  const std::int64_t plane_size = dx.shape[2] * dx.shape[3];  // dx is contiguous
  const T* g = static_cast<const T*>(grad.data);
  const auto* where = static_cast<const std::int64_t*>(indices.data);
  T* out = static_cast<T*>(dx.data);
#pragma omp parallel for schedule(static) if (parallel_pays(planes, planes * out_h * out_w))
  for (std::int64_t plane = 0; plane < planes; ++plane) {
    const std::int64_t b = plane / channels, ch = plane % channels;
    const T* from = g + b * grad.strides[0] + ch * grad.strides[1];
    const std::int64_t* at = where + b * indices.strides[0] + ch * indices.strides[1];
    T* image = out + plane * plane_size;
    for (std::int64_t oh = 0; oh < out_h; ++oh)
      for (std::int64_t ow = 0; ow < out_w; ++ow) {
        // max_pool2d wrote the indices, and their version counter guards them since.
        const std::int64_t i = at[oh * indices.strides[2] + ow * indices.strides[3]];
        assert(i >= 0 && i < plane_size);
        image[i] += from[oh * grad.strides[2] + ow * grad.strides[3]];
      }
  }
}

[[noreturn]] void unsupported(const char* kernel, DType dtype) {
  detail::throw_error(kernel, ": ", dtype_name(dtype), " tensors are not supported");
}

}  // namespace

void im2col(const StridedView& x, const ConvGeometry& g, const StridedView& cols) {
  switch (x.dtype) {
    case DType::float32:
      return im2col_typed<float>(x, g, cols);
    case DType::float64:
      return im2col_typed<double>(x, g, cols);
    default:
      unsupported("im2col", x.dtype);
  }
}

void col2im(const StridedView& cols, const ConvGeometry& g, const StridedView& x) {
  switch (x.dtype) {
    case DType::float32:
      return col2im_typed<float>(cols, g, x);
    case DType::float64:
      return col2im_typed<double>(cols, g, x);
    default:
      unsupported("col2im", x.dtype);
  }
}

void max_pool2d(const StridedView& x, const ConvGeometry& g, const StridedView& out,
                const StridedView& indices) {
  switch (x.dtype) {
    case DType::float32:
      return max_pool2d_typed<float>(x, g, out, indices);
    case DType::float64:
      return max_pool2d_typed<double>(x, g, out, indices);
    default:
      unsupported("max_pool2d", x.dtype);
  }
}

}  // namespace kindling::kernels::cpu

namespace kindling::kernels::cpu {

void max_pool2d_backward(const StridedView& grad, const StridedView& indices,
                         const StridedView& dx) {
  switch (dx.dtype) {
    case DType::float32:
      return max_pool2d_backward_typed<float>(grad, indices, dx);
    case DType::float64:
      return max_pool2d_backward_typed<double>(grad, indices, dx);
    default:
      unsupported("max_pool2d_backward", dx.dtype);
  }
}

}  // namespace kindling::kernels::cpu
