// The packed GEMM engine compiled for AVX-512 (F, DQ, VL, BW) with FMA: 32 vector registers of
// 512 bits. This file alone is built with -mavx512* flags (tensor/CMakeLists.txt); gemm.cpp
// calls it only after checking that the CPU supports those extensions.
#include "gemm_internal.hpp"

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512DQ__) && defined(__FMA__)
#include "gemm_kernel.hpp"

namespace kindling::kernels::gemm_detail {
namespace {
using arch = xsimd::avx512bw;
// float: 8 x 48 micro-tile = 24 accumulators + 3 B vectors + 1 broadcast of 32 registers.
// Measured on Zen 5: 8 x 48 (8 broadcasts + 3 loads per 24 FMAs) beat 12 x 32 (12 + 2 per 24)
// by about 30%, and 6 x 64 lost on transposed-B packing (64 rows in flight); the broadcasts,
// not the FMAs, limit the taller tiles.
using float_engine = engine<arch, float, blocking<8, 3, 256, 256, 4096>>;
// double: the same register shape, 8 lanes per vector.
using double_engine = engine<arch, double, blocking<8, 3, 256, 128, 2048>>;
}  // namespace

void run_avx512(const problem<float>& p, int threads) {
  float_engine::run(p, threads);
}
void run_avx512(const problem<double>& p, int threads) {
  double_engine::run(p, threads);
}
bool avx512_compiled() {
  return true;
}

}  // namespace kindling::kernels::gemm_detail

#else
// The compiler was not asked to target AVX-512 (another architecture, or a compiler without
// the flags): the dispatcher sees avx512_compiled() == false and never calls these.
namespace kindling::kernels::gemm_detail {
void run_avx512(const problem<float>& p, int threads) {
  run_generic(p, threads);
}
void run_avx512(const problem<double>& p, int threads) {
  run_generic(p, threads);
}
bool avx512_compiled() {
  return false;
}
}  // namespace kindling::kernels::gemm_detail
#endif
