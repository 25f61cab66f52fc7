// CPU reduction kernels: sum, max, min, argmax, argmin over the dimensions where the (keepdim)
// output has size 1.
//
// Three walks, chosen by where the reduced dimensions sit in memory:
//   inner    the reduced elements of one output are a contiguous run: SIMD reduce of the run
//   rows     the kept innermost dimension is contiguous: SIMD accumulate row after row
//   generic  anything else, and every int64, bool and arg reduction: plain loops
// Runs are reduced chunk by chunk in a fixed order, and each output is owned by one thread, so
// the result does not depend on OMP_NUM_THREADS. A NaN makes max and min NaN, and argmax/argmin
// return the first NaN's index (Note [special values]).
#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

#include "cpu.hpp"
#include "iter.hpp"
#include "kindling/tensor/element.hpp"
#include "kindling/tensor/special_values.hpp"
#include "simd.hpp"

namespace kindling::kernels::cpu {

namespace {

constexpr std::int64_t kReduceChunk = 65536;  // elements per partial result of a long run

// A group of dimensions with one or two stride arrays, adjacent ones merged when possible.
struct Group {
  int ndim = 0;
  std::array<std::int64_t, kMaxDims> shape{};
  std::array<std::int64_t, kMaxDims> x_stride{};
  std::array<std::int64_t, kMaxDims> out_stride{};

  void push(std::int64_t size, std::int64_t xs, std::int64_t os) {
    if (ndim > 0 && x_stride[ndim - 1] == xs * size && out_stride[ndim - 1] == os * size) {
      shape[ndim - 1] *= size;
      x_stride[ndim - 1] = xs;
      out_stride[ndim - 1] = os;
      return;
    }
    shape[ndim] = size;
    x_stride[ndim] = xs;
    out_stride[ndim] = os;
    ++ndim;
  }
  std::int64_t numel() const noexcept {
    // A zero size first: an empty tensor's other sizes may multiply past int64.
    for (int d = 0; d < ndim; ++d)
      if (shape[d] == 0) return 0;
    std::int64_t n = 1;
    for (int d = 0; d < ndim; ++d)
      n *= shape[d];
    return n;
  }
  // Offsets (x, out) of linear index i over the first `dims` dimensions.
  std::pair<std::int64_t, std::int64_t> offsets(std::int64_t i, int dims) const noexcept {
    std::int64_t xo = 0, oo = 0;
    for (int d = dims - 1; d >= 0; --d) {
      const std::int64_t k = i % shape[d];
      i /= shape[d];
      xo += k * x_stride[d];
      oo += k * out_stride[d];
    }
    return {xo, oo};
  }
};

// max and min propagate NaN (Note [special values]).
template <class T>
T combine(ReduceKernel op, T a, T b) {
  return op == ReduceKernel::sum   ? a + b
         : op == ReduceKernel::max ? special::maximum(a, b)
                                   : special::minimum(a, b);
}

// The reduction of a contiguous run, chunk by chunk in order.
template <class T>
T reduce_run(ReduceKernel op, const T* x, std::int64_t n) {
  T result = loops<T>().reduce(op, x, std::min(n, kReduceChunk));
  for (std::int64_t start = kReduceChunk; start < n; start += kReduceChunk)
    result =
        combine(op, result, loops<T>().reduce(op, x + start, std::min(kReduceChunk, n - start)));
  return result;
}

template <class T>
void reduce_inner(ReduceKernel op, const T* x, T* out, const Group& kept, const Group& red) {
  const std::int64_t nk = kept.numel(), run = red.shape[red.ndim - 1];
  const std::int64_t runs = red.numel() / run;
  const bool parallel = nk * red.numel() >= kParallelThreshold;
  if (nk == 1 && runs == 1 && run >= 2 * kReduceChunk) {
    // One long run: its chunks in parallel, then combined in order.
    const std::int64_t chunks = (run + kReduceChunk - 1) / kReduceChunk;
    std::vector<T> partial(static_cast<std::size_t>(chunks));
#pragma omp parallel for schedule(static) if (parallel)
    for (std::int64_t c = 0; c < chunks; ++c)
      partial[c] = loops<T>().reduce(op, x + c * kReduceChunk,
                                     std::min(kReduceChunk, run - c * kReduceChunk));
    T result = partial[0];
    for (std::int64_t c = 1; c < chunks; ++c)
      result = combine(op, result, partial[c]);
    out[0] = result;
    return;
  }
  if (kept.ndim == 1 && runs == 1) {  // one run per output (a sum over the last dimension)
    const std::int64_t xs = kept.x_stride[0], os = kept.out_stride[0];
#pragma omp parallel for schedule(static) if (parallel && nk > 1)
    for (std::int64_t k = 0; k < nk; ++k)
      out[k * os] = reduce_run(op, x + k * xs, run);
    return;
  }
#pragma omp parallel for schedule(static) if (parallel && nk > 1)
  for (std::int64_t k = 0; k < nk; ++k) {
    const auto [xk, ok] = kept.offsets(k, kept.ndim);
    T result = reduce_run(op, x + xk, run);
    for (std::int64_t r = 1; r < runs; ++r)
      result =
          combine(op, result, reduce_run(op, x + xk + red.offsets(r, red.ndim - 1).first, run));
    out[ok] = result;
  }
}

template <class T>
void reduce_rows(ReduceKernel op, const T* x, T* out, const Group& kept, const Group& red) {
  const std::int64_t n = kept.shape[kept.ndim - 1];
  const std::int64_t outer = kept.numel() / n, nr = red.numel();
  const std::int64_t blocks = (n + kBlock - 1) / kBlock;
  const bool parallel = kept.numel() * nr >= kParallelThreshold;
#pragma omp parallel for schedule(static) if (parallel && outer * blocks > 1)
  for (std::int64_t item = 0; item < outer * blocks; ++item) {
    const std::int64_t start = (item % blocks) * kBlock, m = std::min(kBlock, n - start);
    const auto [xk, ok] = kept.offsets(item / blocks, kept.ndim - 1);
    T* acc = out + ok + start;
    const T* first = x + xk + start;
    std::copy(first, first + m, acc);
    for (std::int64_t r = 1; r < nr; ++r)
      loops<T>().accumulate(op, first + red.offsets(r, red.ndim).first, acc, m);
  }
}

template <class T>
void reduce_generic(ReduceKernel op, const T* x, void* out_data, const Group& kept,
                    const Group& red) {
  const std::int64_t nk = kept.numel(), nr = red.numel();
  const bool arg = op == ReduceKernel::argmax || op == ReduceKernel::argmin;
#pragma omp parallel for schedule(static) if (nk * nr >= kParallelThreshold && nk > 1)
  for (std::int64_t k = 0; k < nk; ++k) {
    const auto [xk, ok] = kept.offsets(k, kept.ndim);
    T best = x[xk];
    std::int64_t best_index = 0;
    const bool want_max = op == ReduceKernel::max || op == ReduceKernel::argmax;
    for (std::int64_t r = 1; r < nr; ++r) {
      const T v = x[xk + red.offsets(r, red.ndim).first];
      if (op == ReduceKernel::sum)
        best = element::add(best, v);  // int64 wraps around, as in PyTorch
      else if (special::arg_beats(want_max, v, r, best, best_index))  // the first NaN, else
        best = v, best_index = r;                                     // the first extremum
    }
    if (arg)
      static_cast<std::int64_t*>(out_data)[ok] = best_index;
    else
      static_cast<T*>(out_data)[ok] = best;
  }
}

}  // namespace

void reduce(ReduceKernel op, const StridedView& x, const StridedView& out) {
  const bool arg = op == ReduceKernel::argmax || op == ReduceKernel::argmin;
  const bool floating = x.dtype == DType::float32 || x.dtype == DType::float64;
  // Note [expanded reductions]: a reduced dimension of stride 0 (an expand, or the ones that
  // sum's backward hands on) repeats the same elements. Walking it would read them again and
  // again through the generic loop; instead it is left out of the walk, and a sum is multiplied
  // by its size at the end, one rounding instead of size - 1 (torch sums the copies). max and
  // min of copies are the copies. arg reductions keep it: their index counts it.
  const bool fold_repeats = floating && !arg;
  Group kept, red;
  bool empty = false;
  double repeats = 1;  // the product of the reduced stride-0 sizes that fold_repeats left out
  for (int d = 0; d < x.ndim; ++d) {
    if (x.shape[d] == 0) empty = true;
    if (x.shape[d] == 1) continue;
    if (out.shape[d] != 1)
      kept.push(x.shape[d], x.strides[d], out.strides[d]);
    else if (fold_repeats && x.strides[d] == 0)
      repeats *= static_cast<double>(x.shape[d]);
    else
      red.push(x.shape[d], x.strides[d], 0);
  }
  if (kept.ndim == 0) kept.push(1, 0, 0);
  if (red.ndim == 0) red.push(1, 0, 0);
  if (empty) {  // an empty sum is 0; the ops reject the rest
    fill(out, 0.0);
    return;
  }
  with_dtype(x.dtype, [&]<class T>() {
    const T* xp = static_cast<const T*>(x.data);
    if constexpr (std::is_floating_point_v<T>) {
      T* op_out = static_cast<T*>(out.data);
      if (!arg && red.x_stride[red.ndim - 1] == 1) {
        reduce_inner(op, xp, op_out, kept, red);
      } else if (!arg && kept.x_stride[kept.ndim - 1] == 1 && kept.out_stride[kept.ndim - 1] == 1) {
        reduce_rows(op, xp, op_out, kept, red);
      } else {
        reduce_generic(op, xp, out.data, kept, red);
      }
      // A sum starts from +0, as PyTorch's: the sum of -0s (or of one -0) is +0, not -0.
      if (op == ReduceKernel::sum) {
        const T factor = static_cast<T>(repeats);
        const std::int64_t nk = kept.numel();
        if (kept.ndim == 1 && kept.out_stride[0] == 1) {  // the common case, without offsets()
          for (std::int64_t k = 0; k < nk; ++k)
            op_out[k] = op_out[k] * factor + T(0);
        } else {
          for (std::int64_t k = 0; k < nk; ++k) {
            T& o = op_out[kept.offsets(k, kept.ndim).second];
            o = o * factor + T(0);
          }
        }
      }
    } else {
      reduce_generic(op, xp, out.data, kept, red);
    }
  });
}

}  // namespace kindling::kernels::cpu
