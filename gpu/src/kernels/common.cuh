// What every CUDA kernel file shares: operand layouts with merged dimensions (the GPU twin of the
// CPU's Walk in tensor/src/cpu/iter.hpp), offset arithmetic, grid sizing and dtype dispatch.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <type_traits>

#include "../error.hpp"
#include "kindling/engine/error.hpp"
#include "kindling/tensor/element.hpp"
#include "kindling/tensor/kernels.hpp"
#include "kindling/tensor/layout.hpp"

namespace kindling::gpu::device {

using index_t = std::int64_t;
using kernels::StridedView;

inline constexpr int kThreads = 256;
// Grid-stride loops cover any size; more blocks than this only add scheduling work.
inline constexpr index_t kMaxBlocks = 8192;

inline unsigned grid_for(index_t n, int threads = kThreads) {
  return static_cast<unsigned>(std::min<index_t>((n + threads - 1) / threads, kMaxBlocks));
}

// N operands walked over one shape (the first view's), its dimensions merged on the host by
// merge_dims (kindling/tensor/layout.hpp, shared with the CPU's Walk), so a contiguous tensor is a
// single dimension and the offset arithmetic below is one multiply.
template <int N>
struct Layout {
  int ndim = 0;
  index_t numel = 1;
  index_t shape[kMaxDims] = {};
  index_t strides[N][kMaxDims] = {};
};

template <int N>
Layout<N> make_layout(std::initializer_list<const StridedView*> views) {
  const kernels::MergedDims<N> merged = kernels::merge_dims<N>(views);
  Layout<N> l;
  l.ndim = merged.ndim;
  l.numel = (*views.begin())->numel();
  for (int d = 0; d < merged.ndim; ++d) {
    l.shape[d] = merged.shape[d];
    for (int k = 0; k < N; ++k)
      l.strides[k][d] = merged.strides[k][d];
  }
  return l;
}

// Element offsets of every operand at linear index i (row-major over the merged shape).
template <int N>
__device__ inline void offsets_of(const Layout<N>& l, index_t i, index_t (&off)[N]) {
  if (l.ndim == 1) {
#pragma unroll
    for (int j = 0; j < N; ++j)
      off[j] = i * l.strides[j][0];
    return;
  }
#pragma unroll
  for (int j = 0; j < N; ++j)
    off[j] = 0;
  for (int d = l.ndim - 1; d >= 0; --d) {
    const index_t k = i % l.shape[d];
    i /= l.shape[d];
#pragma unroll
    for (int j = 0; j < N; ++j)
      off[j] += k * l.strides[j][d];
  }
}

// The dtype dispatch of the host side, shared with the CPU (kindling/tensor/layout.hpp).
using kernels::with_dtype;

// The same for kernels that exist only for floating types (their bodies need not compile for
// int64, so with_dtype cannot serve).
template <class F>
void with_float_dtype(DType dtype, const char* op, F&& f) {
  KINDLING_CHECK(is_floating(dtype), op, ": ", dtype_name(dtype),
                 " tensors are not supported on CUDA");
  if (dtype == DType::float64)
    f.template operator()<double>();
  else
    f.template operator()<float>();
}

// Math by explicit precision: expf for float, exp for double, never a silent promotion. The module
// is built without --use_fast_math, so these keep subnormals (no flush to zero), follow C99 at
// NaN, +-0 and +-inf (pow(0, 0) = 1, log(0) = -inf), and divide and take roots in IEEE: the CPU
// kernels' special values (Note [special values] in kindling/tensor/special_values.hpp).
#define KINDLING_GPU_MATH(name)                 \
  __device__ inline float d_##name(float x) {   \
    return name##f(x);                          \
  }                                             \
  __device__ inline double d_##name(double x) { \
    return ::name(x);                           \
  }
KINDLING_GPU_MATH(exp)
KINDLING_GPU_MATH(log)
KINDLING_GPU_MATH(sqrt)
KINDLING_GPU_MATH(fabs)
KINDLING_GPU_MATH(tanh)
KINDLING_GPU_MATH(erf)
KINDLING_GPU_MATH(sin)
KINDLING_GPU_MATH(cos)
KINDLING_GPU_MATH(tan)
KINDLING_GPU_MATH(log2)
KINDLING_GPU_MATH(log10)
KINDLING_GPU_MATH(log1p)
KINDLING_GPU_MATH(expm1)
KINDLING_GPU_MATH(floor)
KINDLING_GPU_MATH(rint)
#undef KINDLING_GPU_MATH
__device__ inline float d_pow(float a, float b) {
  return powf(a, b);
}
__device__ inline double d_pow(double a, double b) {
  return ::pow(a, b);
}

// The math policy of the elementwise formulas (Note [elementwise formulas] in
// kindling/tensor/formulas.hpp): the d_ functions above, and selects as C's ?:.
struct DeviceMath {
#define KINDLING_X(name, device_name) \
  template <class T>                  \
  __device__ static T name(T x) {     \
    return d_##device_name(x);        \
  }
  KINDLING_X(exp, exp)
  KINDLING_X(log, log)
  KINDLING_X(sqrt, sqrt)
  KINDLING_X(abs, fabs)
  KINDLING_X(tanh, tanh)
  KINDLING_X(erf, erf)
  KINDLING_X(erf_exact, erf)  // CUDA's erf is within 2 ulps
  KINDLING_X(sin, sin)
  KINDLING_X(cos, cos)
  KINDLING_X(tan, tan)
  KINDLING_X(log2, log2)
  KINDLING_X(log10, log10)
  KINDLING_X(log1p, log1p)
  KINDLING_X(expm1, expm1)
  KINDLING_X(floor, floor)
  KINDLING_X(nearbyint, rint)  // half to even
#undef KINDLING_X
  template <class T>
  __device__ static T select(bool c, T a, T b) {
    return c ? a : b;
  }
  template <class T>
  __device__ static bool isnan(T x) {
    return x != x;
  }
  template <class T>
  __device__ static T min(T a, T b) {
    return a < b ? a : b;
  }
  template <class T>
  __device__ static T max(T a, T b) {
    return a > b ? a : b;
  }
};

// Note [deferred index errors]
// The CPU kernels throw on an index out of range; a CUDA kernel cannot. A kernel that finds one
// (the index ops, cross-entropy's targets) writes it into the current device's DeviceErrors
// record, passed as a pointer argument (kernel files cannot share a __device__ variable without
// relocatable device code), skips the element, and the host reports the first one as
// kindling::error at the next point where it waits for the device: a copy to the host (item(),
// to_vector(), to(cpu)) or gpu::synchronize(), reading the record with one copy. With
// KINDLING_CUDA_SYNC=1 every launch waits, so the error surfaces at the launching op.
enum DeferredOp : int {
  kNoError = 0,
  kIndexSelect,
  kIndexAdd,
  kGather,
  kScatterAdd,
  kCrossEntropy
};

struct DeviceErrors {
  int op;  // a DeferredOp; kNoError while nothing went wrong
  long long index, size, sample;
};

// The current device's record (device memory, zeroed, made at first use; index.cu).
DeviceErrors* device_errors();

// Records the first error only: later ones lose the race and are dropped.
__device__ inline void record_error(DeviceErrors* errors, int op, long long index, long long size,
                                    long long sample) {
  if (atomicCAS(&errors->op, kNoError, op) == kNoError) {
    errors->index = index;
    errors->size = size;
    errors->sample = sample;
  }
}

// Atomic accumulation for the adjoint index kernels (int64 through the unsigned 64-bit atomic:
// two's complement addition is the same operation).
__device__ inline void atomic_add(float* p, float v) {
  atomicAdd(p, v);
}
__device__ inline void atomic_add(double* p, double v) {
  atomicAdd(p, v);
}
__device__ inline void atomic_add(std::int64_t* p, std::int64_t v) {
  atomicAdd(reinterpret_cast<unsigned long long*>(p), static_cast<unsigned long long>(v));
}
// bool accumulates as `or` (element::add): every writer stores the same true, so plain stores do.
__device__ inline void atomic_add(bool* p, bool v) {
  if (v) *reinterpret_cast<volatile bool*>(p) = true;
}

}  // namespace kindling::gpu::device
