// The CPU kernel table, registered before main(), and the run-time choice of SIMD loops.
#include <cstring>

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

void copy_bytes(void* dst, const void* src, std::size_t bytes) {
  if (bytes != 0) std::memcpy(dst, src, bytes);
}

const KernelTable& cpu_table() {
  static const KernelTable table = [] {
    KernelTable t;
    t.allocate = &allocate;
    t.deallocate = &deallocate;
    t.copy_from_host = &copy_bytes;
    t.copy_to_host = &copy_bytes;
    t.copy = &copy;
    t.fill = &fill;
    t.unary = &unary;
    t.binary = &binary;
    t.where = &where;
    t.reduce = &reduce;
    t.matmul = &matmul;
    t.index_select = &index_select;
    t.index_add = &index_add;
    t.gather = &gather;
    t.scatter_add = &scatter_add;
    t.softmax = &softmax;
    t.softmax_backward = &softmax_backward;
    t.cross_entropy = &cross_entropy;
    t.cross_entropy_backward = &cross_entropy_backward;
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
