// The SIMD loops of the baseline level (Note [simd dispatch] in simd.hpp): xsimd's sse2 kernels,
// which every x86-64 CPU runs, so this file needs no -m flags.
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

namespace kindling::kernels::cpu::simd_sse2 {
#include "simd_impl.hpp"
}  // namespace kindling::kernels::cpu::simd_sse2

namespace kindling::kernels::cpu {
SimdOps make_simd_ops_sse2() {
  return simd_sse2::make_simd_ops<xsimd::sse2>("baseline");
}
}  // namespace kindling::kernels::cpu
