// CPU kernels of the windowed ops (Note [convolution] in ops_conv.cpp): im2col, its adjoint
// col2im, and max_pool2d. The CPU twins of gpu/src/kernels/conv.cu. OpenMP over the (image,
// channel) planes, the outer loop; each plane is written by one thread, so results do not depend
// on the thread count.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

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
            std::memcpy(out + across.begin, line + across.begin + tap_w,
                        static_cast<std::size_t>(across.end - across.begin) * sizeof(T));
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

// The max of each window and its flat index h * in_w + w; NaN wins, then the first maximum.
template <class T>
void max_pool2d_typed(const StridedView& x, const ConvGeometry& g, const StridedView& out,
                      const StridedView& indices) {
  const std::int64_t batch = x.shape[0], channels = x.shape[1];
  const std::int64_t planes = batch * channels;
  const T* src = static_cast<const T*>(x.data);
  T* dst = static_cast<T*>(out.data);
  auto* where = static_cast<std::int64_t*>(indices.data);
  const std::int64_t work = planes * g.out_h * g.out_w * g.kernel_h * g.kernel_w;
#pragma omp parallel for schedule(static) if (parallel_pays(planes, work))
  for (std::int64_t plane = 0; plane < planes; ++plane) {
    const std::int64_t b = plane / channels, ch = plane % channels;
    const T* image = src + b * x.strides[0] + ch * x.strides[1];
    T* result = dst + b * out.strides[0] + ch * out.strides[1];
    std::int64_t* index = where + b * indices.strides[0] + ch * indices.strides[1];
    for (std::int64_t oh = 0; oh < g.out_h; ++oh) {
      for (std::int64_t ow = 0; ow < g.out_w; ++ow) {
        T best = T(0);
        std::int64_t best_at = -1;
        for (std::int64_t i = 0; i < g.kernel_h; ++i) {
          const std::int64_t h = oh * g.stride_h - g.pad_h + i * g.dilation_h;
          if (h < 0 || h >= g.in_h) continue;
          for (std::int64_t j = 0; j < g.kernel_w; ++j) {
            const std::int64_t w = ow * g.stride_w - g.pad_w + j * g.dilation_w;
            if (w < 0 || w >= g.in_w) continue;
            const T v = image[h * x.strides[2] + w * x.strides[3]];
            if (best_at < 0 || (!std::isnan(best) && (v > best || std::isnan(v)))) {
              best = v;
              best_at = h * g.in_w + w;
            }
          }
        }
        // A window with no pixel (all padding: a large dilation can make one) is -inf at its
        // clamped start, as torch's.
        if (best_at < 0) {
          best = -std::numeric_limits<T>::infinity();
          const std::int64_t h = std::clamp<std::int64_t>(oh * g.stride_h - g.pad_h, 0, g.in_h - 1);
          const std::int64_t w = std::clamp<std::int64_t>(ow * g.stride_w - g.pad_w, 0, g.in_w - 1);
          best_at = h * g.in_w + w;
        }
        result[oh * out.strides[2] + ow * out.strides[3]] = best;
        index[oh * indices.strides[2] + ow * indices.strides[3]] = best_at;
      }
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
