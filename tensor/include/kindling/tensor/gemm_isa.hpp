// GEMM instruction-set levels: which ones this binary holds, which one gemm() runs, and a way to
// run a chosen one. For tests and benchmarks; ordinary code just calls gemm().
//
// Note [gemm dispatch]
// The library ships one binary for every x86-64 machine, so it never relies on -march=native.
// The GEMM engine is compiled three times, once per level (Note [isa levels] in cpu_features.hpp:
// the same -m flags as the SIMD loops of that level), and the first call picks the best level the
// CPU supports every compile flag of. KINDLING_ISA (or KINDLING_GEMM_ISA) = avx512, avx2 or
// baseline caps it, e.g. to measure the AVX2 path on an AVX-512 machine; a level above what the
// CPU has caps nothing.
#pragma once

#include <cstdint>

#include "kindling/tensor/cpu_features.hpp"

namespace kindling::kernels {

/// True when this binary holds the level's GEMM and the CPU (and OS) has every one of its
/// features.
bool gemm_isa_supported(IsaLevel level);

/// The level gemm() uses: the best supported one, capped by KINDLING_ISA or KINDLING_GEMM_ISA.
IsaLevel gemm_active_isa();

/// gemm() times its multi-threaded calls and runs on one thread for a while after one that was
/// slowed down by busy cores (Note [gemm contention] in gemm.cpp). Tests that must exercise the
/// threads, and benchmarks that measure them, switch that off here (it is on by default).
void gemm_set_contention_fallback(bool enabled);

/// gemm() forced onto one level, with gemm()'s contract and checks.
/// @throws kindling::error when the level is not supported here (gemm_isa_supported), or as
///         gemm() does.
template <class T>
void gemm_with_isa(IsaLevel level, bool trans_a, bool trans_b, std::int64_t m, std::int64_t n,
                   std::int64_t k, T alpha, const T* a, std::int64_t lda, const T* b,
                   std::int64_t ldb, T beta, T* c, std::int64_t ldc);

// Hidden from Doxygen: these extern template declarations (the instantiations are in gemm.cpp)
// would be documented as more overloads, and Sphinx's C++ parser cannot read them.
/// @cond KINDLING_EXPLICIT_INSTANTIATIONS
extern template void gemm_with_isa<float>(IsaLevel, bool, bool, std::int64_t, std::int64_t,
                                          std::int64_t, float, const float*, std::int64_t,
                                          const float*, std::int64_t, float, float*, std::int64_t);
extern template void gemm_with_isa<double>(IsaLevel, bool, bool, std::int64_t, std::int64_t,
                                           std::int64_t, double, const double*, std::int64_t,
                                           const double*, std::int64_t, double, double*,
                                           std::int64_t);
/// @endcond

}  // namespace kindling::kernels
