// CUDA softmax, log_softmax and cross entropy, forward and backward. CPU twins:
// tensor/src/cpu/softmax.cpp.
//
// One warp per line along the axis (a row of logits, usually): the lanes stride through the line,
// and the line's max and sums are combined with warp shuffles, so no shared memory and no block
// barrier is involved. The arithmetic follows the CPU twin step for step (shift by the line's max,
// whatever it is; exp; sum; divide or subtract the log), so the two agree to rounding, and a line
// holding +inf or NaN, or only -inf, is NaN on both (Note [special values]).
// A line is read three times (max, sum, write); for the short lines of a classifier head those
// reads come from L1.
#include <cmath>

#include "common.cuh"
#include "kindling/gpu/memory.hpp"
#include "kindling/tensor/special_values.hpp"
#include "launchers.hpp"

namespace kindling::gpu {

using namespace device;

namespace {

constexpr int kWarp = 32;
constexpr int kLinesPerBlock = kThreads / kWarp;

// N operands of one shape, walked line by line along `axis` (line l: the l-th index of the other
// dimensions in row-major order).
template <int N>
struct Lines {
  int ndim = 0, axis = 0;
  index_t count = 0, length = 0;
  index_t shape[kMaxDims] = {};
  index_t strides[N][kMaxDims] = {};
};

template <int N>
Lines<N> make_lines(std::initializer_list<const StridedView*> views, int axis) {
  Lines<N> l;
  const StridedView& first = **views.begin();
  l.ndim = first.ndim;
  l.axis = axis;
  l.length = first.shape[axis];
  l.count = l.length == 0 ? 0 : first.numel() / l.length;
  int k = 0;
  for (const StridedView* v : views) {
    for (int d = 0; d < first.ndim; ++d)
      l.strides[k][d] = v->strides[d];
    ++k;
  }
  for (int d = 0; d < first.ndim; ++d)
    l.shape[d] = first.shape[d];
  return l;
}

// Element offsets of every operand at the start of line `line`.
template <int N>
__device__ inline void line_start(const Lines<N>& l, index_t line, index_t (&off)[N]) {
#pragma unroll
  for (int j = 0; j < N; ++j)
    off[j] = 0;
  for (int d = l.ndim - 1; d >= 0; --d) {
    if (d == l.axis) continue;
    const index_t k = line % l.shape[d];
    line /= l.shape[d];
#pragma unroll
    for (int j = 0; j < N; ++j)
      off[j] += k * l.strides[j][d];
  }
}

template <class T>
__device__ inline T warp_sum(T v) {
#pragma unroll
  for (int o = kWarp / 2; o > 0; o /= 2)
    v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
// The max over the warp, NaN if any lane holds one.
template <class T>
__device__ inline T warp_max(T v) {
#pragma unroll
  for (int o = kWarp / 2; o > 0; o /= 2)
    v = special::maximum(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

// The shift of a line, its max whatever it is (as on the CPU), and sum(exp(x - shift)). Every
// lane of the warp gets both.
template <class T>
__device__ inline void shift_and_total(const T* x, index_t stride, index_t n, int lane, T& shift,
                                       T& total) {
  T m = -INFINITY;
  for (index_t j = lane; j < n; j += kWarp)
    m = special::maximum(m, x[j * stride]);
  shift = warp_max(m);
  T s = 0;
  for (index_t j = lane; j < n; j += kWarp)
    s += d_exp(x[j * stride] - shift);
  total = warp_sum(s);
}

// The warp's first line and the step between its lines (grid-stride over lines).
__device__ inline index_t first_line() {
  return (blockIdx.x * index_t(blockDim.x) + threadIdx.x) / kWarp;
}
__device__ inline index_t line_step() {
  return index_t(gridDim.x) * blockDim.x / kWarp;
}

template <class T>
__global__ void softmax_kernel(Lines<2> l, const T* x, T* y, bool log) {
  const int lane = threadIdx.x % kWarp;
  const index_t xs = l.strides[0][l.axis], ys = l.strides[1][l.axis];
  for (index_t line = first_line(); line < l.count; line += line_step()) {
    index_t off[2];
    line_start(l, line, off);
    const T* xl = x + off[0];
    T* yl = y + off[1];
    T shift, total;
    shift_and_total(xl, xs, l.length, lane, shift, total);
    const T log_total = d_log(total);
    for (index_t j = lane; j < l.length; j += kWarp) {
      const T shifted = xl[j * xs] - shift;
      yl[j * ys] = log ? shifted - log_total : d_exp(shifted) / total;
    }
  }
}

template <class T>
__global__ void softmax_backward_kernel(Lines<3> l, const T* y, const T* dy, T* dx, bool log) {
  const int lane = threadIdx.x % kWarp;
  const index_t ys = l.strides[0][l.axis], gs = l.strides[1][l.axis], ds = l.strides[2][l.axis];
  for (index_t line = first_line(); line < l.count; line += line_step()) {
    index_t off[3];
    line_start(l, line, off);
    const T* yl = y + off[0];
    const T* gl = dy + off[1];
    T* dl = dx + off[2];
    T s = 0;  // log_softmax: sum(dy); softmax: sum(dy y)
    for (index_t j = lane; j < l.length; j += kWarp)
      s += log ? gl[j * gs] : gl[j * gs] * yl[j * ys];
    s = warp_sum(s);
    for (index_t j = lane; j < l.length; j += kWarp) {
      const T yj = yl[j * ys], gj = gl[j * gs];
      dl[j * ds] = log ? gj - d_exp(yj) * s : yj * (gj - s);
    }
  }
}

// A bad target is recorded (Note [deferred index errors] in common.cuh) and its sample's loss and
// gradient are left NaN.
__device__ inline bool valid_target(DeviceErrors* errors, index_t t, index_t sample,
                                    index_t classes) {
  if (t >= 0 && t < classes) return true;
  record_error(errors, kCrossEntropy, t, classes, sample);
  return false;
}

// Rows of logits (n, c): operand 0 logits, 1 target (n,), 2 loss (n,) or grad (n,), 3 dlogits.
struct Rows {
  DeviceErrors* errors = nullptr;
  index_t n = 0, c = 0;
  index_t x_row = 0, x_col = 0, target = 0, vec = 0, dx_row = 0, dx_col = 0;
};

template <class T>
__global__ void cross_entropy_kernel(Rows r, const T* x, const std::int64_t* target, T* loss) {
  const int lane = threadIdx.x % kWarp;
  for (index_t i = first_line(); i < r.n; i += line_step()) {
    const T* row = x + i * r.x_row;
    const index_t t = target[i * r.target];
    T shift, total;
    shift_and_total(row, r.x_col, r.c, lane, shift, total);
    if (lane != 0) continue;
    // The error is recorded once per sample, by lane 0. The loss is -log_softmax[t], negated last
    // as on the CPU.
    loss[i * r.vec] =
        valid_target(r.errors, t, i, r.c) ? -((row[t * r.x_col] - shift) - d_log(total)) : NAN;
  }
}

template <class T>
__global__ void cross_entropy_backward_kernel(Rows r, const T* x, const std::int64_t* target,
                                              const T* grad, T scale, T* dx) {
  const int lane = threadIdx.x % kWarp;
  for (index_t i = first_line(); i < r.n; i += line_step()) {
    const T* row = x + i * r.x_row;
    T* drow = dx + i * r.dx_row;
    const index_t t = target[i * r.target];
    const bool ok = t >= 0 && t < r.c;  // the forward already recorded a bad target
    T shift, total;
    shift_and_total(row, r.x_col, r.c, lane, shift, total);
    const T g = grad[i * r.vec] * scale;
    for (index_t j = lane; j < r.c; j += kWarp) {
      const T p = d_exp(row[j * r.x_col] - shift) / total;
      // p g, less g at the target: the CPU twin's (and PyTorch's) order.
      drow[j * r.dx_col] = ok ? (j == t ? p * g - g : p * g) : T(NAN);
    }
  }
}

// The reduced loss, scale * sum_i l[i], in one block: warp w takes samples w, w + 32, ... and its
// lane 0 keeps their running sum; thread 0 then adds the 32 warp sums in warp order. The order
// depends on n alone, so the loss is the same from run to run. One block reads every logit, so
// this serves the small batches where a launch costs more than the work (kFusedReductionLimit).
// Larger inputs first write per-sample losses with cross_entropy_kernel; this kernel then only
// adds them up, in the same order, when given them as `per_sample`.
constexpr int kReduceThreads = 1024;
constexpr int kReduceWarps = kReduceThreads / kWarp;
constexpr index_t kFusedReductionLimit = index_t(1) << 20;  // logits

template <class T>
__global__ void cross_entropy_reduced_kernel(Rows r, const T* x, const std::int64_t* target,
                                             const T* per_sample, T scale, T* loss) {
  __shared__ T partial[kReduceWarps];
  const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp;
  T acc = 0;
  for (index_t i = warp; i < r.n; i += kReduceWarps) {
    if (per_sample != nullptr) {  // the losses exist already: lane 0 adds them in order
      if (lane == 0) acc += per_sample[i];
      continue;
    }
    const T* row = x + i * r.x_row;
    const index_t t = target[i * r.target];
    T shift, total;
    shift_and_total(row, r.x_col, r.c, lane, shift, total);
    if (lane == 0)
      acc +=
          valid_target(r.errors, t, i, r.c) ? -((row[t * r.x_col] - shift) - d_log(total)) : T(NAN);
  }
  if (lane == 0) partial[warp] = acc;
  __syncthreads();
  if (threadIdx.x == 0) {
    T sum = 0;
    for (int w = 0; w < kReduceWarps; ++w)
      sum += partial[w];
    *loss = sum * scale;  // an empty mean: 0 * inf = NaN, as on the CPU
  }
}

unsigned blocks_for_lines(index_t lines) {
  return static_cast<unsigned>(
      std::min<index_t>((lines + kLinesPerBlock - 1) / kLinesPerBlock, kMaxBlocks));
}

Rows make_rows(const StridedView& logits, const StridedView& target, const StridedView& vec,
               const StridedView* dlogits) {
  KINDLING_CHECK(target.dtype == DType::int64, "cross_entropy: targets must be int64");
  Rows r;
  r.errors = device_errors();
  r.n = logits.shape[0];
  r.c = logits.shape[1];
  r.x_row = logits.strides[0];
  r.x_col = logits.strides[1];
  r.target = target.strides[0];
  r.vec = vec.strides[0];
  if (dlogits) {
    r.dx_row = dlogits->strides[0];
    r.dx_col = dlogits->strides[1];
  }
  return r;
}

}  // namespace

void softmax(const StridedView& x, int axis, bool log, const StridedView& y) {
  const Lines<2> l = make_lines<2>({&x, &y}, axis);
  if (l.count == 0) return;
  with_float_dtype(x.dtype, "softmax", [&]<class T>() {
    softmax_kernel<T><<<blocks_for_lines(l.count), kThreads>>>(l, static_cast<const T*>(x.data),
                                                               static_cast<T*>(y.data), log);
  });
  KINDLING_CUDA_CHECK_LAUNCH("softmax_kernel");
}

void softmax_backward(const StridedView& y, const StridedView& dy, int axis, bool log,
                      const StridedView& dx) {
  const Lines<3> l = make_lines<3>({&y, &dy, &dx}, axis);
  if (l.count == 0) return;
  with_float_dtype(y.dtype, "softmax_backward", [&]<class T>() {
    softmax_backward_kernel<T><<<blocks_for_lines(l.count), kThreads>>>(
        l, static_cast<const T*>(y.data), static_cast<const T*>(dy.data), static_cast<T*>(dx.data),
        log);
  });
  KINDLING_CUDA_CHECK_LAUNCH("softmax_backward_kernel");
}

void cross_entropy(const StridedView& logits, const StridedView& target, double scale,
                   const StridedView& loss) {
  const bool reduced = loss.ndim == 0;
  // A reduced loss has no per-sample stride: the scratch losses below are contiguous.
  Rows r = make_rows(logits, target, reduced ? target : loss, nullptr);
  if (reduced) r.vec = 1;
  if (r.n == 0 && !reduced) return;
  with_float_dtype(logits.dtype, "cross_entropy", [&]<class T>() {
    const auto* x = static_cast<const T*>(logits.data);
    const auto* t = static_cast<const std::int64_t*>(target.data);
    if (!reduced) {
      cross_entropy_kernel<T>
          <<<blocks_for_lines(r.n), kThreads>>>(r, x, t, static_cast<T*>(loss.data));
      KINDLING_CUDA_CHECK_LAUNCH("cross_entropy_kernel");
      return;
    }
    T* out = static_cast<T*>(loss.data);
    if (r.n * r.c <= kFusedReductionLimit) {
      cross_entropy_reduced_kernel<T><<<1, kReduceThreads>>>(r, x, t, nullptr, T(scale), out);
      KINDLING_CUDA_CHECK_LAUNCH("cross_entropy_reduced_kernel");
      return;
    }
    // Stream order (Note [stream order]) lets the scratch block go back to the cache at once.
    const DeviceBuffer per_sample(static_cast<std::size_t>(r.n) * sizeof(T));
    T* losses = static_cast<T*>(per_sample.data());
    cross_entropy_kernel<T><<<blocks_for_lines(r.n), kThreads>>>(r, x, t, losses);
    KINDLING_CUDA_CHECK_LAUNCH("cross_entropy_kernel");
    cross_entropy_reduced_kernel<T><<<1, kReduceThreads>>>(r, x, t, losses, T(scale), out);
    KINDLING_CUDA_CHECK_LAUNCH("cross_entropy_reduced_kernel");
  });
}

void cross_entropy_backward(const StridedView& logits, const StridedView& target,
                            const StridedView& grad, double scale, const StridedView& dlogits) {
  const Rows r = make_rows(logits, target, grad, &dlogits);
  if (r.n == 0) return;
  with_float_dtype(logits.dtype, "cross_entropy_backward", [&]<class T>() {
    cross_entropy_backward_kernel<T><<<blocks_for_lines(r.n), kThreads>>>(
        r, static_cast<const T*>(logits.data), static_cast<const std::int64_t*>(target.data),
        static_cast<const T*>(grad.data), T(scale), static_cast<T*>(dlogits.data));
  });
  KINDLING_CUDA_CHECK_LAUNCH("cross_entropy_backward_kernel");
}

}  // namespace kindling::gpu
