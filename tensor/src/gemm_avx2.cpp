// The packed GEMM engine compiled for AVX2 with FMA: 16 vector registers of 256 bits. This file
// alone is built with -mavx2 -mfma (tensor/CMakeLists.txt); gemm.cpp calls it only after
// checking that the CPU supports both.
#include "gemm_internal.hpp"

#if defined(__AVX2__) && defined(__FMA__)
#include "gemm_kernel.hpp"

namespace kindling::kernels::gemm_detail {
namespace {
using arch = xsimd::fma3<xsimd::avx2>;
// 6 x 16 micro-tile: 12 accumulators + 2 B vectors + 1 broadcast of 16 registers.
using float_engine = engine<arch, float, blocking<6, 2, 256, 192, 4096>>;
using double_engine = engine<arch, double, blocking<6, 2, 256, 96, 2048>>;
}  // namespace

void run_avx2(const problem<float>& p, int threads) {
  float_engine::run(p, threads);
}
void run_avx2(const problem<double>& p, int threads) {
  double_engine::run(p, threads);
}
bool avx2_compiled() {
  return true;
}

}  // namespace kindling::kernels::gemm_detail

#else
// Not an x86 build with AVX2 flags: the dispatcher sees avx2_compiled() == false.
namespace kindling::kernels::gemm_detail {
void run_avx2(const problem<float>& p, int threads) {
  run_generic(p, threads);
}
void run_avx2(const problem<double>& p, int threads) {
  run_generic(p, threads);
}
bool avx2_compiled() {
  return false;
}
}  // namespace kindling::kernels::gemm_detail
#endif
