// GEMM instruction-set variants: which ones this binary holds, which one gemm() runs, and a way
// to run a chosen one. For tests and benchmarks; ordinary code just calls gemm().
//
// Note [gemm dispatch]
// The library ships one binary for every x86-64 machine, so it never relies on -march=native.
// The GEMM engine is compiled three times, each translation unit with its own -m flags (AVX-512,
// AVX2 + FMA, and the baseline), and the first call picks the best variant the CPU supports
// every compile flag of (Note [instruction-set features] in cpu_features.hpp).
// The environment variable KINDLING_GEMM_ISA (generic, avx2 or avx512) can ask for a lower one,
// e.g. to measure the AVX2 path on an AVX-512 machine; an unsupported request is ignored.
#pragma once

#include <cstdint>

namespace kindling::kernels {

enum class gemm_isa { generic, avx2, avx512 };

// "generic", "avx2" or "avx512".
const char* gemm_isa_name(gemm_isa isa);

// The CPU features the variant's file is compiled for, comma-separated ("avx2,fma"; "" for
// generic): Note [instruction-set features] in cpu_features.hpp.
const char* gemm_isa_features(gemm_isa isa);

// True when this binary holds the variant and the CPU (and OS) has every one of its features.
bool gemm_isa_supported(gemm_isa isa);

// The variant gemm() uses.
gemm_isa gemm_active_isa();

// gemm() times its multi-threaded calls and runs on one thread for a while after one that was
// slowed down by busy cores (Note [gemm contention] in gemm.cpp). Tests that must exercise the
// threads, and benchmarks that measure them, switch that off here (it is on by default).
void gemm_set_contention_fallback(bool enabled);

// gemm() forced onto one variant; throws kindling::error when it is not supported here.
template <class T>
void gemm_with_isa(gemm_isa isa, bool trans_a, bool trans_b, std::int64_t m, std::int64_t n,
                   std::int64_t k, T alpha, const T* a, std::int64_t lda, const T* b,
                   std::int64_t ldb, T beta, T* c, std::int64_t ldc);

extern template void gemm_with_isa<float>(gemm_isa, bool, bool, std::int64_t, std::int64_t,
                                          std::int64_t, float, const float*, std::int64_t,
                                          const float*, std::int64_t, float, float*, std::int64_t);
extern template void gemm_with_isa<double>(gemm_isa, bool, bool, std::int64_t, std::int64_t,
                                           std::int64_t, double, const double*, std::int64_t,
                                           const double*, std::int64_t, double, double*,
                                           std::int64_t);

}  // namespace kindling::kernels
