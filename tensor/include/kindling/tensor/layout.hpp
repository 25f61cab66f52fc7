// What the CPU kernels (tensor/src/cpu/iter.hpp) and the CUDA launchers (gpu/src/kernels/
// common.cuh) share on the host: dimension merging, which the CPU's Walk and the CUDA Layout are
// built from (operands of one shape are walked over as few dimensions as their memory allows, so a
// contiguous tensor is one long row and a transposed one two dimensions), and the dtype dispatch.
// Host code only: the CUDA launchers merge on the host and pass the result to their kernels.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>

#include "kindling/tensor/kernels.hpp"

namespace kindling::kernels {

/// The merged shape of up to N operands, and each operand's strides (in elements) over it.
template <std::size_t N>
struct MergedDims {
  int ndim = 0;                                ///< Merged dimensions used (at least 1).
  std::array<std::int64_t, kMaxDims> shape{};  ///< Their sizes, outermost first.
  /// strides[k][d]: operand k's stride along merged dimension d.
  std::array<std::array<std::int64_t, kMaxDims>, N> strides{};
};

/// The operands' shape in as few dimensions as their memory allows. The shape is the first
/// view's; the others must have it too (up to N of them). Dimensions of size 1 are dropped, and a
/// dimension merges into the one before it when every operand steps through both as one. The
/// result has at least one dimension: an empty shape gives the single dimension 0 (its other
/// sizes may multiply past int64), a single element the dimension 1.
/// @code
/// const kindling::Tensor x = kindling::zeros({4, 5}), y = kindling::ones({4, 5});
/// const kindling::kernels::StridedView xv = x.strided_view(), yv = y.strided_view();
/// const auto m = kindling::kernels::merge_dims<2>({&xv, &yv});  // ndim 1: 20 elements
/// @endcode
template <std::size_t N>
MergedDims<N> merge_dims(std::initializer_list<const StridedView*> views) noexcept {
  MergedDims<N> m;
  const StridedView& first = **views.begin();
  if (first.numel() == 0) {
    m.shape[0] = 0;
    m.ndim = 1;
    return m;
  }
  for (int d = 0; d < first.ndim; ++d) {
    if (first.shape[d] == 1) continue;
    bool merge = m.ndim > 0;
    std::size_t k = 0;
    for (const StridedView* v : views) {
      if (merge && m.strides[k][m.ndim - 1] != v->strides[d] * first.shape[d]) merge = false;
      ++k;
    }
    const int slot = merge ? m.ndim - 1 : m.ndim;
    m.shape[slot] = merge ? m.shape[slot] * first.shape[d] : first.shape[d];
    k = 0;
    for (const StridedView* v : views)
      m.strides[k++][slot] = v->strides[d];
    if (!merge) ++m.ndim;
  }
  if (m.ndim == 0) {  // a single element (or a shape of ones)
    m.shape[0] = 1;
    m.ndim = 1;
  }
  return m;
}

/// Runs `f.template operator()<T>()` for the C++ type T of `dtype`, returning what it returns:
/// the dtype dispatch of the kernels.
/// @code
/// const std::size_t bytes = kindling::kernels::with_dtype(
///     kindling::DType::int64, []<class T>() { return sizeof(T); });  // 8
/// @endcode
template <class F>
decltype(auto) with_dtype(DType dtype, F&& f) {
  switch (dtype) {
    case DType::float32:
      return f.template operator()<float>();
    case DType::float64:
      return f.template operator()<double>();
    case DType::bool_:
      return f.template operator()<bool>();
    case DType::int64:
      break;
  }
  return f.template operator()<std::int64_t>();
}

}  // namespace kindling::kernels
