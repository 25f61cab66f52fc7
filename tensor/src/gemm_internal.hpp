// GEMM internals shared by the dispatcher (gemm.cpp) and the per-instruction-set translation
// units (gemm_avx512.cpp, gemm_avx2.cpp, gemm_generic.cpp). Not installed, not part of the API.
#pragma once

#include <cstddef>
#include <cstdint>

namespace kindling::kernels::gemm_detail {

// One call's arguments, already checked by gemm(): C = alpha * op(A) * op(B) + beta * C.
//   op(A): (m, k), op(B): (k, n), C: (m, n), all row-major with the given leading dimensions.
template <class T>
struct problem {
  bool trans_a;
  bool trans_b;
  std::int64_t m, n, k;
  T alpha;
  const T* a;
  std::int64_t lda;
  const T* b;
  std::int64_t ldb;
  T beta;
  T* c;
  std::int64_t ldc;
};

// Per-thread packing buffers, 64-byte aligned, grown on demand and kept for the life of the
// thread so that a training loop calling gemm() thousands of times never goes back to malloc.
// slot 0 holds a thread's packed A block, slot 1 a packed B block. OpenMP worker threads live in
// the runtime's pool, so their buffers survive from one call to the next as well.
// Defined in gemm.cpp (compiled for the baseline instruction set); may throw std::bad_alloc.
void* scratch(int slot, std::size_t bytes);

// The packed engine compiled for one instruction set. `threads` is the team size chosen by the
// dispatcher (1 means no parallel region at all). Each TU defines its pair; `*_compiled()` says
// whether the TU holds real code for its instruction set (false when the compiler could not
// target it, e.g. the x86 variants in a build for another architecture).
void run_avx512(const problem<float>& p, int threads);
void run_avx512(const problem<double>& p, int threads);
bool avx512_compiled();

void run_avx2(const problem<float>& p, int threads);
void run_avx2(const problem<double>& p, int threads);
bool avx2_compiled();

void run_generic(const problem<float>& p, int threads);
void run_generic(const problem<double>& p, int threads);

}  // namespace kindling::kernels::gemm_detail
