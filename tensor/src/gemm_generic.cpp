// The packed GEMM engine compiled for the baseline instruction set of the target (SSE2 on
// x86-64, NEON on ARM64): the fallback that runs on any CPU the binary runs on.
#include "gemm_internal.hpp"

#include <xsimd/xsimd.hpp>

#if XSIMD_WITH_SSE2 || XSIMD_WITH_NEON || XSIMD_WITH_NEON64
#include "gemm_kernel.hpp"

namespace kindling::kernels::gemm_detail {
namespace {
using arch = xsimd::default_arch;
// 4 x 8 (float) / 4 x 4 (double) micro-tile: 8 accumulators of 16 registers.
using float_engine = engine<arch, float, blocking<4, 2, 256, 128, 4096>>;
using double_engine = engine<arch, double, blocking<4, 2, 256, 64, 2048>>;
}  // namespace

void run_generic(const problem<float>& p, int threads) {
  float_engine::run(p, threads);
}
void run_generic(const problem<double>& p, int threads) {
  double_engine::run(p, threads);
}

}  // namespace kindling::kernels::gemm_detail

#else
// No SIMD instruction set xsimd knows: a plain loop that follows the same contract.
namespace kindling::kernels::gemm_detail {
namespace {
template <class T>
void run_scalar(const problem<T>& g) {
  for (std::int64_t i = 0; i < g.m; ++i) {
    for (std::int64_t j = 0; j < g.n; ++j) {
      T sum = 0;
      for (std::int64_t p = 0; p < g.k; ++p) {
        const T a_ip = g.trans_a ? g.a[p * g.lda + i] : g.a[i * g.lda + p];
        const T b_pj = g.trans_b ? g.b[j * g.ldb + p] : g.b[p * g.ldb + j];
        sum += a_ip * b_pj;
      }
      T& out = g.c[i * g.ldc + j];
      out = g.beta == T(0) ? g.alpha * sum : g.alpha * sum + g.beta * out;
    }
  }
}
}  // namespace
void run_generic(const problem<float>& p, int) {
  run_scalar(p);
}
void run_generic(const problem<double>& p, int) {
  run_scalar(p);
}
}  // namespace kindling::kernels::gemm_detail
#endif
