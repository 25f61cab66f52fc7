// The CPU kernel table, registered before main(), and the run-time choice of SIMD loops.
#include <cstdlib>
#include <span>
#include <string_view>

#include "cpu.hpp"
#include "kindling/tensor/cpu_features.hpp"
#include "simd.hpp"

namespace kindling::kernels::cpu {

SimdOps make_simd_ops_avx512();
SimdOps make_simd_ops_avx2();
SimdOps make_simd_ops_sse2();

namespace {

// The best SIMD variant this CPU has every compiled-for feature of (Note [instruction-set
// features]), capped by KINDLING_SIMD (avx512f, avx2, sse2) if set.
SimdOps choose_simd_ops() {
  const std::span<const IsaVariant> variants = cpu_simd_variants();
  const std::size_t chosen =
      choose_isa_variant(variants, std::getenv("KINDLING_SIMD"), &cpu_has_feature);
  const std::string_view name = variants[chosen].name;
  if (name == "avx512f") return make_simd_ops_avx512();
  if (name == "avx2") return make_simd_ops_avx2();
  return make_simd_ops_sse2();
}

const KernelTable& cpu_table() {
  static const KernelTable table = [] {
    KernelTable t;
#define KINDLING_X(name, kind, ret, params) t.name = static_cast<decltype(t.name)>(&name);
    KINDLING_KERNEL_TABLE(KINDLING_X)
#undef KINDLING_X
    return t;
  }();
  return table;
}

}  // namespace

const SimdOps& simd_ops() noexcept {
  static const SimdOps ops = choose_simd_ops();
  return ops;
}

// Called by kernels_for() so the CPU table exists whatever the static initialisation order.
const KernelTable* cpu_kernel_table() {
  return &cpu_table();
}

}  // namespace kindling::kernels::cpu

namespace kindling::kernels {
const char* cpu_simd_arch() noexcept {
  return cpu::simd_ops().arch;
}
}  // namespace kindling::kernels
