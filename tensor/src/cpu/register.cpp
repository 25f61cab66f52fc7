// The CPU kernel table, registered before main(), and the run-time choice of SIMD loops.
#include "cpu.hpp"
#include "kindling/tensor/cpu_features.hpp"
#include "simd.hpp"

namespace kindling::kernels::cpu {

SimdOps make_simd_ops_avx512();
SimdOps make_simd_ops_avx2();
SimdOps make_simd_ops_sse2();

namespace {

// The best level this CPU has every compiled-for feature of (Note [isa levels]), capped by
// KINDLING_ISA, or by KINDLING_SIMD, if set.
SimdOps choose_simd_ops() {
  switch (choose_isa_level(isa_cap_from_environment("KINDLING_SIMD"), &cpu_has_feature)) {
    case IsaLevel::avx512:
      return make_simd_ops_avx512();
    case IsaLevel::avx2:
      return make_simd_ops_avx2();
    case IsaLevel::baseline:
      break;
  }
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
