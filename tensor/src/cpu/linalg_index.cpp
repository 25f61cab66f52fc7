// CPU kernels for batched matmul (through kernels::gemm) and for the index ops (index_select,
// gather and their adjoints index_add, scatter_add).
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "cpu.hpp"
#include "iter.hpp"
#include "kindling/engine/error.hpp"
#include "kindling/tensor/element.hpp"
#include "kindling/tensor/gemm.hpp"

namespace kindling::kernels::cpu {

namespace {

// How gemm reads one (rows, cols) matrix of a batch: straight or transposed with a leading
// dimension, or not at all (then the caller packs a contiguous copy).
struct MatrixLayout {
  bool ok = false;
  bool trans = false;
  std::int64_t ld = 0;
};

MatrixLayout layout_of(std::int64_t rows, std::int64_t cols, std::int64_t row_stride,
                       std::int64_t col_stride) {
  // A dimension of size 1 may have any stride; treat it as whatever suits.
  if (cols == 1) col_stride = 1;
  if (col_stride == 1 && (rows == 1 || row_stride >= std::max<std::int64_t>(cols, 1)))
    return {true, false, rows == 1 ? std::max<std::int64_t>(cols, 1) : row_stride};
  if (rows == 1) row_stride = 1;
  if (row_stride == 1 && (cols == 1 || col_stride >= std::max<std::int64_t>(rows, 1)))
    return {true, true, cols == 1 ? std::max<std::int64_t>(rows, 1) : col_stride};
  return {};
}

template <class T>
void matmul_typed(const StridedView& a, const StridedView& b, const StridedView& out) {
  const int nd = out.ndim;
  const std::int64_t m = out.shape[nd - 2], n = out.shape[nd - 1], k = a.shape[nd - 1];
  std::int64_t batches = 1;
  for (int d = 0; d < nd - 2; ++d)
    batches *= out.shape[d];
  MatrixLayout la = layout_of(m, k, a.strides[nd - 2], a.strides[nd - 1]);
  MatrixLayout lb = layout_of(k, n, b.strides[nd - 2], b.strides[nd - 1]);
  // Operands gemm cannot read in place are packed one matrix at a time.
  std::vector<T> pack_a(la.ok ? 0 : static_cast<std::size_t>(m * k));
  std::vector<T> pack_b(lb.ok ? 0 : static_cast<std::size_t>(k * n));
  for (std::int64_t batch = 0; batch < batches; ++batch) {
    std::int64_t oa = 0, ob = 0, oo = 0;
    for (std::int64_t d = nd - 3, rest = batch; d >= 0; --d) {
      const std::int64_t i = rest % out.shape[d];
      rest /= out.shape[d];
      oa += i * a.strides[d];
      ob += i * b.strides[d];
      oo += i * out.strides[d];
    }
    const T* pa = static_cast<const T*>(a.data) + oa;
    const T* pb = static_cast<const T*>(b.data) + ob;
    T* po = static_cast<T*>(out.data) + oo;
    if (!la.ok) {
      for (std::int64_t i = 0; i < m; ++i)
        for (std::int64_t p = 0; p < k; ++p)
          pack_a[i * k + p] = pa[i * a.strides[nd - 2] + p * a.strides[nd - 1]];
      pa = pack_a.data();
    }
    if (!lb.ok) {
      for (std::int64_t p = 0; p < k; ++p)
        for (std::int64_t j = 0; j < n; ++j)
          pack_b[p * n + j] = pb[p * b.strides[nd - 2] + j * b.strides[nd - 1]];
      pb = pack_b.data();
    }
    const bool ta = la.ok && la.trans, tb = lb.ok && lb.trans;
    const std::int64_t lda = la.ok ? la.ld : std::max<std::int64_t>(k, 1);
    const std::int64_t ldb = lb.ok ? lb.ld : std::max<std::int64_t>(n, 1);
    if (k == 0) {
      for (std::int64_t i = 0; i < m; ++i)
        std::fill(po + i * out.strides[nd - 2], po + i * out.strides[nd - 2] + n, T(0));
      continue;
    }
    gemm<T>(ta, tb, m, n, k, T(1), pa, lda, pb, ldb, T(0), po, out.strides[nd - 2]);
  }
}

void check_index(std::int64_t i, std::int64_t size, const char* op) {
  KINDLING_CHECK(i >= 0 && i < size, op, ": index ", i, " is out of range for a dimension of size ",
                 size);
}

}  // namespace

void matmul(const StridedView& a, const StridedView& b, const StridedView& out) {
  switch (out.dtype) {
    case DType::float32:
      return matmul_typed<float>(a, b, out);
    case DType::float64:
      return matmul_typed<double>(a, b, out);
    case DType::int64:
    case DType::bool_:
      break;
  }
  KINDLING_CHECK(false, "matmul: ", dtype_name(out.dtype), " tensors are not supported");
}

namespace {
// Whether the dimensions after `axis` are laid out contiguously in v (a whole "row" below axis is
// one run of memory).
bool rows_contiguous(const StridedView& v, int axis) {
  std::int64_t expected = 1;
  for (int d = v.ndim - 1; d > axis; --d) {
    if (v.shape[d] != 1 && v.strides[d] != expected) return false;
    expected *= v.shape[d];
  }
  return true;
}
}  // namespace

void index_select(const StridedView& x, int axis, const StridedView& index,
                  const StridedView& out) {
  const auto* idx = static_cast<const std::int64_t*>(index.data);
  // Picking whole rows of a row-major tensor (a data loader's batch, an embedding lookup): one
  // check and one memcpy per index instead of per element.
  if (axis == 0 && rows_contiguous(x, 0) && rows_contiguous(out, 0)) {
    const std::int64_t row = x.shape[0] == 0 ? 0 : x.numel() / x.shape[0];
    const std::size_t row_bytes = static_cast<std::size_t>(row) * dtype_size(x.dtype);
    const auto* from = static_cast<const char*>(x.data);
    auto* to = static_cast<char*>(out.data);
    const std::size_t element = dtype_size(x.dtype);
    for (std::int64_t j = 0; j < out.shape[0]; ++j) {
      const std::int64_t i = idx[j * index.strides[0]];
      check_index(i, x.shape[0], "index_select");
      if (row_bytes != 0)
        std::memcpy(to + static_cast<std::size_t>(j * out.strides[0]) * element,
                    from + static_cast<std::size_t>(i * x.strides[0]) * element, row_bytes);
    }
    return;
  }
  with_dtype(x.dtype, [&]<class T>() {
    const T* xp = static_cast<const T*>(x.data);
    T* op = static_cast<T*>(out.data);
    for_each_index<1>(out, {&out}, [&](const auto& at, const auto& off) {
      const std::int64_t i = idx[at[axis] * index.strides[0]];
      check_index(i, x.shape[axis], "index_select");
      std::int64_t xo = 0;
      for (int d = 0; d < x.ndim; ++d)
        xo += (d == axis ? i : at[d]) * x.strides[d];
      op[off[0]] = xp[xo];
    });
  });
}

void index_add(const StridedView& dst, int axis, const StridedView& index, const StridedView& src) {
  const auto* idx = static_cast<const std::int64_t*>(index.data);
  with_dtype(dst.dtype, [&]<class T>() {
    T* dp = static_cast<T*>(dst.data);
    const T* sp = static_cast<const T*>(src.data);
    for_each_index<1>(src, {&src}, [&](const auto& at, const auto& off) {
      const std::int64_t i = idx[at[axis] * index.strides[0]];
      check_index(i, dst.shape[axis], "index_add");
      std::int64_t o = 0;
      for (int d = 0; d < dst.ndim; ++d)
        o += (d == axis ? i : at[d]) * dst.strides[d];
      dp[o] = element::add(dp[o], sp[off[0]]);
    });
  });
}

void gather(const StridedView& x, int axis, const StridedView& index, const StridedView& out) {
  with_dtype(x.dtype, [&]<class T>() {
    const T* xp = static_cast<const T*>(x.data);
    const auto* ip = static_cast<const std::int64_t*>(index.data);
    T* op = static_cast<T*>(out.data);
    for_each_index<2>(out, {&out, &index}, [&](const auto& at, const auto& off) {
      const std::int64_t i = ip[off[1]];
      check_index(i, x.shape[axis], "gather");
      std::int64_t xo = 0;
      for (int d = 0; d < x.ndim; ++d)
        xo += (d == axis ? i : at[d]) * x.strides[d];
      op[off[0]] = xp[xo];
    });
  });
}

void scatter_add(const StridedView& dst, int axis, const StridedView& index,
                 const StridedView& src) {
  with_dtype(dst.dtype, [&]<class T>() {
    T* dp = static_cast<T*>(dst.data);
    const auto* ip = static_cast<const std::int64_t*>(index.data);
    const T* sp = static_cast<const T*>(src.data);
    for_each_index<2>(src, {&src, &index}, [&](const auto& at, const auto& off) {
      const std::int64_t i = ip[off[1]];
      check_index(i, dst.shape[axis], "scatter_add");
      std::int64_t o = 0;
      for (int d = 0; d < dst.ndim; ++d)
        o += (d == axis ? i : at[d]) * dst.strides[d];
      dp[o] = element::add(dp[o], sp[off[0]]);
    });
  });
}

}  // namespace kindling::kernels::cpu
