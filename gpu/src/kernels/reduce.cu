// CUDA reductions: sum, max, min, argmax, argmin over the dimensions where the (keepdim) output
// has size 1. CPU twin: tensor/src/cpu/reduce.cpp.
//
// Two kernels, chosen by where the data lies:
//   reduce_thread_kernel  one thread per output, a sequential loop over its reduced elements:
//                         few reduced elements, or a contiguous kept dimension (threads of a warp
//                         then read neighbouring addresses: column sums of a row-major matrix)
//   reduce_block_kernel   a block per (output, split), a tree in shared memory; long reductions
//                         with few outputs are split over several blocks and the partial results
//                         combined in order by reduce_finish_kernel
// The combination order is fixed for a given shape, so results do not change from run to run.
// max and min are NaN when a NaN is reduced; arg reductions keep the first NaN, else the first
// index among equal values, as on the CPU (Note [special values]).
#include "common.cuh"
#include "kindling/gpu/memory.hpp"
#include "kindling/tensor/special_values.hpp"
#include "launchers.hpp"

namespace kindling::gpu {

using namespace device;

namespace {

struct ReduceLayout {
  int kept_ndim = 0, red_ndim = 0;
  index_t nk = 1, nr = 1;
  index_t kept_shape[kMaxDims] = {}, kept_x[kMaxDims] = {}, kept_out[kMaxDims] = {};
  index_t red_shape[kMaxDims] = {}, red_x[kMaxDims] = {};
  double repeats = 1;  // reduced stride-0 sizes left out of the walk (Note [expanded reductions])
};

// Appends a dimension to a group, merging it into the previous one when memory allows.
void push(int& ndim, index_t* shape, index_t* xs, index_t* os, index_t size, index_t x_stride,
          index_t out_stride) {
  if (ndim > 0 && xs[ndim - 1] == x_stride * size && (!os || os[ndim - 1] == out_stride * size)) {
    shape[ndim - 1] *= size;
    xs[ndim - 1] = x_stride;
    if (os) os[ndim - 1] = out_stride;
    return;
  }
  shape[ndim] = size;
  xs[ndim] = x_stride;
  if (os) os[ndim] = out_stride;
  ++ndim;
}

__device__ inline void kept_offsets(const ReduceLayout& l, index_t k, index_t& xo, index_t& oo) {
  xo = 0;
  oo = 0;
  for (int d = l.kept_ndim - 1; d >= 0; --d) {
    const index_t i = k % l.kept_shape[d];
    k /= l.kept_shape[d];
    xo += i * l.kept_x[d];
    oo += i * l.kept_out[d];
  }
}

__device__ inline index_t red_offset(const ReduceLayout& l, index_t r) {
  if (l.red_ndim == 1) return r * l.red_x[0];
  index_t xo = 0;
  for (int d = l.red_ndim - 1; d >= 0; --d) {
    xo += (r % l.red_shape[d]) * l.red_x[d];
    r /= l.red_shape[d];
  }
  return xo;
}

// A running result: the value and where it was found (-1: nothing seen yet).
template <class T>
struct Acc {
  T value;
  index_t index;
};

template <class T>
__device__ inline Acc<T> combine(ReduceKernel op, Acc<T> a, Acc<T> b) {
  if (b.index < 0) return a;
  if (a.index < 0) return b;
  // int64 wraps around, as on the CPU (element.hpp).
  if (op == ReduceKernel::sum)
    return {element::add(a.value, b.value), a.index < b.index ? a.index : b.index};
  // The CPU scan's rule, decided per pair (a NaN wins, then the extremum, then the lower index),
  // so the block tree's combination order does not change the answer.
  const bool want_max = op == ReduceKernel::max || op == ReduceKernel::argmax;
  return special::arg_beats(want_max, b.value, b.index, a.value, a.index) ? b : a;
}

template <class T>
__device__ inline void store(ReduceKernel op, const ReduceLayout& l, void* out, index_t at,
                             Acc<T> acc) {
  if (op == ReduceKernel::argmax || op == ReduceKernel::argmin) {
    static_cast<std::int64_t*>(out)[at] = acc.index;
  } else if (op == ReduceKernel::sum) {
    // The sum over copies is one product, as in the CPU twin; a sum starts from +0, as the CPU
    // twin's and PyTorch's: the sum of -0s is +0.
    if constexpr (std::is_floating_point_v<T>) acc.value *= static_cast<T>(l.repeats);
    static_cast<T*>(out)[at] = acc.index < 0 ? T(0) : element::add(acc.value, T(0));
  } else
    static_cast<T*>(out)[at] = acc.index < 0 ? T(0) : acc.value;
}

// x (kept..., reduced...) -> out (kept...): one thread per output.
template <class T>
__global__ void reduce_thread_kernel(ReduceKernel op, ReduceLayout l, const T* x, void* out) {
  for (index_t k = blockIdx.x * index_t(blockDim.x) + threadIdx.x; k < l.nk;
       k += index_t(gridDim.x) * blockDim.x) {
    index_t xo, oo;
    kept_offsets(l, k, xo, oo);
    Acc<T> acc{x[xo], 0};
    for (index_t r = 1; r < l.nr; ++r)
      acc = combine(op, acc, Acc<T>{x[xo + red_offset(l, r)], r});
    store(op, l, out, oo, acc);
  }
}

// x (kept..., reduced...) -> out (kept...) when splits == 1, else -> partial (nk, splits): block
// b reduces split b % splits of output b / splits.
template <class T>
__global__ void reduce_block_kernel(ReduceKernel op, ReduceLayout l, const T* x, void* out,
                                    index_t splits, T* partial_value, index_t* partial_index) {
  __shared__ T values[kThreads];
  __shared__ index_t indices[kThreads];
  const index_t chunk = (l.nr + splits - 1) / splits;
  for (index_t b = blockIdx.x; b < l.nk * splits; b += gridDim.x) {
    const index_t k = b / splits, s = b % splits;
    index_t xo, oo;
    kept_offsets(l, k, xo, oo);
    const index_t begin = s * chunk, end = min(l.nr, begin + chunk);
    Acc<T> acc{T(0), -1};
    for (index_t r = begin + threadIdx.x; r < end; r += blockDim.x)
      acc = combine(op, acc, Acc<T>{x[xo + red_offset(l, r)], r});
    values[threadIdx.x] = acc.value;
    indices[threadIdx.x] = acc.index;
    __syncthreads();
    for (int half = blockDim.x / 2; half > 0; half /= 2) {
      if (threadIdx.x < half) {
        const Acc<T> other{values[threadIdx.x + half], indices[threadIdx.x + half]};
        const Acc<T> mine = combine(op, Acc<T>{values[threadIdx.x], indices[threadIdx.x]}, other);
        values[threadIdx.x] = mine.value;
        indices[threadIdx.x] = mine.index;
      }
      __syncthreads();
    }
    if (threadIdx.x == 0) {
      const Acc<T> total{values[0], indices[0]};
      if (splits == 1) {
        store(op, l, out, oo, total);
      } else {
        partial_value[b] = total.value;
        partial_index[b] = total.index;
      }
    }
    __syncthreads();  // the shared arrays are reused by the next output
  }
}

// partial (nk, splits) -> out (kept...), the splits of each output combined in order.
template <class T>
__global__ void reduce_finish_kernel(ReduceKernel op, ReduceLayout l, index_t splits,
                                     const T* partial_value, const index_t* partial_index,
                                     void* out) {
  for (index_t k = blockIdx.x * index_t(blockDim.x) + threadIdx.x; k < l.nk;
       k += index_t(gridDim.x) * blockDim.x) {
    index_t xo, oo;
    kept_offsets(l, k, xo, oo);
    Acc<T> acc{T(0), -1};
    for (index_t s = 0; s < splits; ++s)
      acc = combine(op, acc, Acc<T>{partial_value[k * splits + s], partial_index[k * splits + s]});
    store(op, l, out, oo, acc);
  }
}

}  // namespace

void reduce(ReduceKernel op, const StridedView& x, const StridedView& out) {
  ReduceLayout l;
  // Reduced stride-0 dimensions are copies: left out of the walk for sum (a product at the end),
  // max and min, as in the CPU twin (Note [expanded reductions] in tensor/src/cpu/reduce.cpp).
  const bool fold_repeats = (x.dtype == DType::float32 || x.dtype == DType::float64) &&
                            op != ReduceKernel::argmax && op != ReduceKernel::argmin;
  bool empty = false;
  for (int d = 0; d < x.ndim; ++d) {
    if (x.shape[d] == 0) empty = true;
    if (x.shape[d] == 1) continue;
    if (out.shape[d] != 1)
      push(l.kept_ndim, l.kept_shape, l.kept_x, l.kept_out, x.shape[d], x.strides[d],
           out.strides[d]);
    else if (fold_repeats && x.strides[d] == 0)
      l.repeats *= static_cast<double>(x.shape[d]);
    else
      push(l.red_ndim, l.red_shape, l.red_x, nullptr, x.shape[d], x.strides[d], 0);
  }
  if (l.kept_ndim == 0) push(l.kept_ndim, l.kept_shape, l.kept_x, l.kept_out, 1, 0, 0);
  if (l.red_ndim == 0) push(l.red_ndim, l.red_shape, l.red_x, nullptr, 1, 0, 0);
  for (int d = 0; d < l.kept_ndim; ++d)
    l.nk *= l.kept_shape[d];
  for (int d = 0; d < l.red_ndim; ++d)
    l.nr *= l.red_shape[d];
  if (l.nk == 0) return;
  if (l.nr == 0 || empty) {  // an empty sum is 0; the ops reject the rest
    fill(out, 0.0);
    return;
  }
  const bool coalesced_kept = l.kept_x[l.kept_ndim - 1] == 1 && l.nk >= 1024;
  with_dtype(x.dtype, [&]<class T>() {
    const T* xp = static_cast<const T*>(x.data);
    if (l.nr <= 16 || coalesced_kept) {
      reduce_thread_kernel<T><<<grid_for(l.nk), kThreads>>>(op, l, xp, out.data);
      KINDLING_CUDA_CHECK_LAUNCH("reduce_thread_kernel");
      return;
    }
    // Few outputs and long reductions: split each over several blocks, about 8192 elements per
    // block, up to ~1024 blocks in all.
    index_t splits = 1;
    if (l.nk < 256) splits = std::clamp<index_t>(l.nr / 8192, 1, std::max<index_t>(1, 1024 / l.nk));
    const unsigned blocks = static_cast<unsigned>(std::min<index_t>(l.nk * splits, 65535));
    if (splits == 1) {
      reduce_block_kernel<T><<<blocks, kThreads>>>(op, l, xp, out.data, 1, nullptr, nullptr);
      KINDLING_CUDA_CHECK_LAUNCH("reduce_block_kernel");
      return;
    }
    const DeviceBuffer values(static_cast<std::size_t>(l.nk * splits) * sizeof(T));
    const DeviceBuffer indices(static_cast<std::size_t>(l.nk * splits) * sizeof(index_t));
    reduce_block_kernel<T>
        <<<blocks, kThreads>>>(op, l, xp, out.data, splits, values.as<T>(), indices.as<index_t>());
    KINDLING_CUDA_CHECK_LAUNCH("reduce_block_kernel");
    reduce_finish_kernel<T><<<grid_for(l.nk), kThreads>>>(op, l, splits, values.as<T>(),
                                                          indices.as<index_t>(), out.data);
    KINDLING_CUDA_CHECK_LAUNCH("reduce_finish_kernel");
  });
}

}  // namespace kindling::gpu
