// Index arithmetic shared by the CPU kernels: operands of one shape walked together, with
// dimensions merged where the memory allows, and OpenMP over blocks of rows.
#pragma once

#include <omp.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>

#include "kindling/tensor/kernels.hpp"
#include "kindling/tensor/layout.hpp"

namespace kindling::kernels::cpu {

// Below this many elements a kernel runs on one thread: the fork costs more than it saves.
inline constexpr std::int64_t kParallelThreshold = 32768;
// Rows longer than this are split into blocks so that one long row still spreads over threads.
inline constexpr std::int64_t kBlock = 16384;

// Up to four operands walked over a common shape, its dimensions merged as far as the memory allows
// (merge_dims in kindling/tensor/layout.hpp, shared with the CUDA Layout): a contiguous tensor is
// one long row and a transposed one two dimensions.
struct Walk {
  static constexpr int kMaxOperands = 4;
  int ndim = 0;
  int operands = 0;
  std::array<std::int64_t, kMaxDims> shape{};
  std::array<std::array<std::int64_t, kMaxDims>, kMaxOperands> strides{};
  std::array<char*, kMaxOperands> base{};
  std::array<std::int64_t, kMaxOperands> element_size{};

  // The shape comes from the first view; the others must have it too (merge_dims).
  Walk(std::initializer_list<const StridedView*> views) {
    for (const StridedView* v : views) {
      base[operands] = static_cast<char*>(v->data);
      element_size[operands] = static_cast<std::int64_t>(dtype_size(v->dtype));
      ++operands;
    }
    const MergedDims<kMaxOperands> merged = merge_dims<kMaxOperands>(views);
    ndim = merged.ndim;
    shape = merged.shape;
    strides = merged.strides;
  }

  std::int64_t inner() const noexcept { return shape[ndim - 1]; }
  std::int64_t rows() const noexcept {
    std::int64_t r = 1;
    for (int d = 0; d + 1 < ndim; ++d)
      r *= shape[d];
    return r;
  }
  std::int64_t inner_stride(int op) const noexcept { return strides[op][ndim - 1]; }

  // Byte pointers of operand `op` at the start of row `row` (row-major over the outer dims).
  char* row_pointer(int op, std::int64_t row) const noexcept {
    std::int64_t offset = 0;
    for (int d = ndim - 2; d >= 0; --d) {
      offset += (row % shape[d]) * strides[op][d];
      row /= shape[d];
    }
    return base[op] + offset * element_size[op];
  }

  // Calls body(pointers, start, count) for every block of every row: pointers are at the
  // row's first element, [start, start + count) the block. Blocks run in parallel above the
  // threshold; each element is visited once, so results do not depend on the thread count.
  template <class Body>
  void for_each_block(Body&& body) const {
    const std::int64_t n = inner();
    const std::int64_t blocks_per_row = (n + kBlock - 1) / kBlock;
    const std::int64_t items = rows() * blocks_per_row;
    const bool parallel = rows() * n >= kParallelThreshold && items > 1;
#pragma omp parallel for schedule(static) if (parallel)
    for (std::int64_t item = 0; item < items; ++item) {
      const std::int64_t row = item / blocks_per_row;
      const std::int64_t start = (item % blocks_per_row) * kBlock;
      std::array<char*, kMaxOperands> pointers{};
      for (int op = 0; op < operands; ++op)
        pointers[op] = row_pointer(op, row);
      body(pointers, start, std::min(kBlock, n - start));
    }
  }
};

// Calls visit(offsets) for every index of `shape` in row-major order with the element offsets
// of each view; single-threaded (used by the index kernels, which may throw).
template <std::size_t N, class Visit>
void for_each_index(const StridedView& shape_of, const std::array<const StridedView*, N>& views,
                    Visit&& visit) {
  const int ndim = shape_of.ndim;
  std::array<std::int64_t, kMaxDims> index{};
  std::array<std::int64_t, N> offsets{};
  const std::int64_t total = shape_of.numel();
  for (std::int64_t i = 0; i < total; ++i) {
    visit(index, offsets);
    for (int d = ndim - 1; d >= 0; --d) {
      ++index[d];
      for (std::size_t v = 0; v < N; ++v)
        offsets[v] += views[v]->strides[d];
      if (index[d] < shape_of.shape[d]) break;
      for (std::size_t v = 0; v < N; ++v)
        offsets[v] -= views[v]->strides[d] * shape_of.shape[d];
      index[d] = 0;
    }
  }
}

}  // namespace kindling::kernels::cpu
