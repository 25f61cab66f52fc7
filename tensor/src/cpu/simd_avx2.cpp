// The SIMD loops of the avx2 level (Note [simd dispatch] in simd.hpp), compiled with the level's
// -m flags (avx2, fma; Note [isa levels]).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numbers>
#include <type_traits>
#include <xsimd/xsimd.hpp>

#include "kindling/tensor/formulas.hpp"
#include "kindling/tensor/special_values.hpp"
#include "simd.hpp"

namespace kindling::kernels::cpu::simd_avx2 {
#include "simd_impl.hpp"
}  // namespace kindling::kernels::cpu::simd_avx2

namespace kindling::kernels::cpu {
SimdOps make_simd_ops_avx2() {
  return simd_avx2::make_simd_ops<xsimd::avx2>("avx2");
}
}  // namespace kindling::kernels::cpu
