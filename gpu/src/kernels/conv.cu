// CUDA im2col, col2im and max_pool2d (Note [convolution] in tensor/src/ops_conv.cpp). CPU twins:
// tensor/src/cpu/conv.cpp.
//
// One thread per element written: im2col per cols entry, max_pool2d per window, and col2im per
// image pixel, which gathers the cols entries that read it (no atomics, so the sum's order is
// fixed: taps in row-major order, the CPU twin's order too). max_pool2d_backward adds each
// window's gradient at its index with atomics (windows may share a pixel).
#include <cmath>

#include "common.cuh"
#include "launchers.hpp"

namespace kindling::gpu {

using namespace device;

namespace {

struct Planes {
  index_t channels = 0;
  index_t x_strides[4] = {};
  index_t c_strides[3] = {};  // cols (n, row, window); out for max_pool2d (n, c, oh * ow)
};

// cols[b][(ch kh + i) kw + j][oh ow_count + ow] = x[b][ch][oh sh - ph + i dh][ow sw - pw + j dw].
template <class T>
__global__ void im2col_kernel(ConvGeometry g, Planes p, index_t count, const T* x, T* cols) {
  const index_t taps = g.kernel_h * g.kernel_w, windows = g.out_h * g.out_w;
  for (index_t e = blockIdx.x * index_t(blockDim.x) + threadIdx.x; e < count;
       e += index_t(gridDim.x) * blockDim.x) {
    const index_t window = e % windows, row = (e / windows) % (p.channels * taps);
    const index_t b = e / (windows * p.channels * taps);
    const index_t ch = row / taps, i = (row % taps) / g.kernel_w, j = row % g.kernel_w;
    const index_t oh = window / g.out_w, ow = window % g.out_w;
    const index_t h = oh * g.stride_h - g.pad_h + i * g.dilation_h;
    const index_t w = ow * g.stride_w - g.pad_w + j * g.dilation_w;
    const bool in = h >= 0 && h < g.in_h && w >= 0 && w < g.in_w;
    cols[b * p.c_strides[0] + row * p.c_strides[1] + window * p.c_strides[2]] =
        in ? x[b * p.x_strides[0] + ch * p.x_strides[1] + h * p.x_strides[2] + w * p.x_strides[3]]
           : T(0);
  }
}

// x[b][ch][h][w] = the sum of the cols entries that read it, taps in row-major order.
template <class T>
__global__ void col2im_kernel(ConvGeometry g, Planes p, index_t count, const T* cols, T* x) {
  const index_t taps = g.kernel_h * g.kernel_w;
  for (index_t e = blockIdx.x * index_t(blockDim.x) + threadIdx.x; e < count;
       e += index_t(gridDim.x) * blockDim.x) {
    const index_t w = e % g.in_w, h = (e / g.in_w) % g.in_h;
    const index_t ch = (e / (g.in_w * g.in_h)) % p.channels;
    const index_t b = e / (g.in_w * g.in_h * p.channels);
    T total = T(0);
    for (index_t i = 0; i < g.kernel_h; ++i) {
      const index_t top = h + g.pad_h - i * g.dilation_h;  // oh * stride_h
      if (top < 0 || top % g.stride_h != 0 || top / g.stride_h >= g.out_h) continue;
      for (index_t j = 0; j < g.kernel_w; ++j) {
        const index_t left = w + g.pad_w - j * g.dilation_w;
        if (left < 0 || left % g.stride_w != 0 || left / g.stride_w >= g.out_w) continue;
        const index_t row = ch * taps + i * g.kernel_w + j;
        const index_t window = (top / g.stride_h) * g.out_w + left / g.stride_w;
        total += cols[b * p.c_strides[0] + row * p.c_strides[1] + window * p.c_strides[2]];
      }
    }
    x[b * p.x_strides[0] + ch * p.x_strides[1] + h * p.x_strides[2] + w * p.x_strides[3]] = total;
  }
}

// The CPU twin's rule (torch's): padding never wins, the last NaN wins, else the first maximum;
// a window with no pixel is -inf at its clamped start.
template <class T>
__global__ void max_pool2d_kernel(ConvGeometry g, Planes p, index_t count, const T* x, T* out,
                                  index_t out_stride_h, index_t out_stride_w, std::int64_t* indices,
                                  Planes ip) {
  for (index_t e = blockIdx.x * index_t(blockDim.x) + threadIdx.x; e < count;
       e += index_t(gridDim.x) * blockDim.x) {
    const index_t ow = e % g.out_w, oh = (e / g.out_w) % g.out_h;
    const index_t ch = (e / (g.out_w * g.out_h)) % p.channels;
    const index_t b = e / (g.out_w * g.out_h * p.channels);
    const T* image = x + b * p.x_strides[0] + ch * p.x_strides[1];
    T best = T(0);
    index_t best_at = -1;
    for (index_t i = 0; i < g.kernel_h; ++i) {
      const index_t h = oh * g.stride_h - g.pad_h + i * g.dilation_h;
      if (h < 0 || h >= g.in_h) continue;
      for (index_t j = 0; j < g.kernel_w; ++j) {
        const index_t w = ow * g.stride_w - g.pad_w + j * g.dilation_w;
        if (w < 0 || w >= g.in_w) continue;
        const T v = image[h * p.x_strides[2] + w * p.x_strides[3]];
        if (best_at < 0 || v > best || isnan(v)) {
          best = v;
          best_at = h * g.in_w + w;
        }
      }
    }
    if (best_at < 0) {
      best = -INFINITY;
      const index_t h = min(max(oh * g.stride_h - g.pad_h, index_t(0)), g.in_h - 1);
      const index_t w = min(max(ow * g.stride_w - g.pad_w, index_t(0)), g.in_w - 1);
      best_at = h * g.in_w + w;
    }
    out[b * p.c_strides[0] + ch * p.c_strides[1] + oh * out_stride_h + ow * out_stride_w] = best;
    indices[b * ip.c_strides[0] + ch * ip.c_strides[1] + oh * ip.c_strides[2] +
            ow * ip.x_strides[0]] = best_at;
  }
}

// dx[b][ch][indices[b][ch][oh][ow]] += grad[b][ch][oh][ow]; windows may share a pixel (overlap,
// ties), hence the atomics. dx is contiguous.
template <class T>
__global__ void max_pool2d_backward_kernel(index_t count, index_t channels, index_t out_h,
                                           index_t out_w, index_t plane_size, Planes gp, Planes ip,
                                           const T* grad, const std::int64_t* indices, T* dx) {
  for (index_t e = blockIdx.x * index_t(blockDim.x) + threadIdx.x; e < count;
       e += index_t(gridDim.x) * blockDim.x) {
    const index_t ow = e % out_w, oh = (e / out_w) % out_h, ch = (e / (out_w * out_h)) % channels;
    const index_t b = e / (out_w * out_h * channels);
    const index_t at = indices[b * ip.x_strides[0] + ch * ip.x_strides[1] + oh * ip.x_strides[2] +
                               ow * ip.x_strides[3]];
    atomic_add(&dx[(b * channels + ch) * plane_size + at],
               grad[b * gp.x_strides[0] + ch * gp.x_strides[1] + oh * gp.x_strides[2] +
                    ow * gp.x_strides[3]]);
  }
}

Planes planes_of(const StridedView& x, const StridedView& other) {
  Planes p;
  p.channels = x.shape[1];
  for (int d = 0; d < 4; ++d)
    p.x_strides[d] = x.strides[d];
  for (int d = 0; d < 3; ++d)
    p.c_strides[d] = other.strides[d];
  return p;
}

}  // namespace

void im2col(const StridedView& x, const ConvGeometry& g, const StridedView& cols) {
  const index_t count = cols.numel();
  if (count == 0) return;
  const Planes p = planes_of(x, cols);
  with_float_dtype(x.dtype, "im2col", [&]<class T>() {
    im2col_kernel<T><<<grid_for(count), kThreads>>>(g, p, count, static_cast<const T*>(x.data),
                                                    static_cast<T*>(cols.data));
  });
  KINDLING_CUDA_CHECK_LAUNCH("im2col_kernel");
}

void col2im(const StridedView& cols, const ConvGeometry& g, const StridedView& x) {
  const index_t count = x.numel();
  if (count == 0) return;
  const Planes p = planes_of(x, cols);
  with_float_dtype(x.dtype, "col2im", [&]<class T>() {
    col2im_kernel<T><<<grid_for(count), kThreads>>>(g, p, count, static_cast<const T*>(cols.data),
                                                    static_cast<T*>(x.data));
  });
  KINDLING_CUDA_CHECK_LAUNCH("col2im_kernel");
}

void max_pool2d(const StridedView& x, const ConvGeometry& g, const StridedView& out,
                const StridedView& indices) {
  const index_t count = out.numel();
  if (count == 0) return;
  Planes p = planes_of(x, out);
  // indices' strides: (n, c, oh) in c_strides, ow in x_strides[0].
  Planes ip;
  for (int d = 0; d < 3; ++d)
    ip.c_strides[d] = indices.strides[d];
  ip.x_strides[0] = indices.strides[3];
  with_float_dtype(x.dtype, "max_pool2d", [&]<class T>() {
    max_pool2d_kernel<T><<<grid_for(count), kThreads>>>(
        g, p, count, static_cast<const T*>(x.data), static_cast<T*>(out.data), out.strides[2],
        out.strides[3], static_cast<std::int64_t*>(indices.data), ip);
  });
  KINDLING_CUDA_CHECK_LAUNCH("max_pool2d_kernel");
}

}  // namespace kindling::gpu

namespace kindling::gpu {

void max_pool2d_backward(const StridedView& grad, const StridedView& indices,
                         const StridedView& dx) {
  const index_t count = grad.numel();
  if (count == 0) return;
  Planes gp, ip;
  for (int d = 0; d < 4; ++d) {
    gp.x_strides[d] = grad.strides[d];
    ip.x_strides[d] = indices.strides[d];
  }
  with_float_dtype(dx.dtype, "max_pool2d_backward", [&]<class T>() {
    max_pool2d_backward_kernel<T><<<grid_for(count), kThreads>>>(
        count, grad.shape[1], grad.shape[2], grad.shape[3], dx.shape[2] * dx.shape[3], gp, ip,
        static_cast<const T*>(grad.data), static_cast<const std::int64_t*>(indices.data),
        static_cast<T*>(dx.data));
  });
  KINDLING_CUDA_CHECK_LAUNCH("max_pool2d_backward_kernel");
}

}  // namespace kindling::gpu
