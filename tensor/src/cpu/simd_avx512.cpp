// The SIMD loops of the avx512 level (Note [simd dispatch] in simd.hpp): xsimd's avx512f kernels,
// compiled with the level's -m flags (avx512f, dq, bw, vl; Note [isa levels]).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numbers>
#include <type_traits>
// GCC 12 reports _mm512_max_ps / _mm512_min_ps (and, inlined into some loops, xsimd's exp) as
// reading an uninitialised value: the intrinsics pass _mm512_undefined_ps() as the unused merge
// source. A known false positive, "maybe" or certain depending on the inlining.
// GCC only: clang has no -Wmaybe-uninitialized and would warn about the unknown option.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif
#include <xsimd/xsimd.hpp>

#include "kindling/tensor/formulas.hpp"
#include "kindling/tensor/special_values.hpp"
#include "simd.hpp"

namespace kindling::kernels::cpu::simd_avx512 {
#include "simd_impl.hpp"
}  // namespace kindling::kernels::cpu::simd_avx512

namespace kindling::kernels::cpu {
SimdOps make_simd_ops_avx512() {
  return simd_avx512::make_simd_ops<xsimd::avx512f>("avx512");
}
}  // namespace kindling::kernels::cpu
