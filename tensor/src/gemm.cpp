// GEMM entry points: argument checks, the reference loop, the per-call thread count, the
// packing buffers, and the run-time choice of instruction set (Note [gemm dispatch] in
// gemm_isa.hpp). The engine itself is in gemm_kernel.hpp, compiled per instruction set.
#include "kindling/tensor/gemm.hpp"

#include <omp.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>

#include "gemm_internal.hpp"
#include "kindling/engine/error.hpp"
#include "kindling/tensor/cpu_features.hpp"
#include "kindling/tensor/gemm_isa.hpp"

namespace kindling::kernels {

template <class T>
void gemm_reference(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k,
                    T alpha, const T* a, std::int64_t lda, const T* b, std::int64_t ldb, T beta,
                    T* c, std::int64_t ldc) {
  // (m, k) x (k, n) -> (m, n), one dot product per element.
  for (std::int64_t i = 0; i < m; ++i) {
    for (std::int64_t j = 0; j < n; ++j) {
      T sum = 0;
      for (std::int64_t p = 0; p < k; ++p) {
        const T a_ip = trans_a ? a[p * lda + i] : a[i * lda + p];
        const T b_pj = trans_b ? b[j * ldb + p] : b[p * ldb + j];
        sum += a_ip * b_pj;
      }
      T& out = c[i * ldc + j];
      out = beta == T(0) ? alpha * sum : alpha * sum + beta * out;
    }
  }
}

namespace gemm_detail {

// Note [gemm scratch]: one pair of buffers per thread, only ever grown. Growth rounds up to
// 64 KiB so that a sequence of slightly larger calls does not reallocate each time.
namespace {
struct scratch_buffers {
  void* data[2] = {nullptr, nullptr};
  std::size_t size[2] = {0, 0};
  scratch_buffers() = default;
  scratch_buffers(const scratch_buffers&) = delete;
  scratch_buffers& operator=(const scratch_buffers&) = delete;
  ~scratch_buffers() {
    for (void* p : data)
      ::operator delete (p, std::align_val_t{64});
  }
};
}  // namespace

void* scratch(int slot, std::size_t bytes) {
  thread_local scratch_buffers buffers;
  if (buffers.size[slot] < bytes) {
    const std::size_t grown = (bytes + 65535) / 65536 * 65536;
    ::operator delete (buffers.data[slot], std::align_val_t{64});
    buffers.data[slot] = nullptr;
    buffers.size[slot] = 0;
    buffers.data[slot] = ::operator new (grown, std::align_val_t{64});
    buffers.size[slot] = grown;
  }
  return buffers.data[slot];
}

namespace {

// The best level the CPU has and this binary holds, capped by KINDLING_ISA or KINDLING_GEMM_ISA
// (Note [isa levels]).
IsaLevel select_isa() {
  IsaLevel level =
      choose_isa_level(isa_cap_from_environment("KINDLING_GEMM_ISA"), &cpu_has_feature);
  while (!gemm_isa_supported(level))
    level = level == IsaLevel::avx512 ? IsaLevel::avx2 : IsaLevel::baseline;
  return level;
}

// Note [gemm contention]
// On a machine whose cores are busy with other processes (this project's 2-core VM while other
// builds run), a parallel region must wait until every one of its threads gets a core, and
// libgomp's default busy-waiting makes that worse: a 90 us product was measured taking 18 ms,
// every call, while one thread ran it in 0.2 ms. So each multi-threaded call is timed, and one
// that takes far longer than its work can explain (below 20 GFLOP/s per thread, 10x under the
// slowest machine we target) sends the following calls to a single thread for a while,
// doubling that while with each repeat (20 ms up to about 1.3 s) and resetting after a call
// that runs normally. Results do not depend on the thread count (Note [gemm determinism] in
// gemm_kernel.hpp), so this changes only the speed.
std::atomic<bool> fallback_enabled{true};
std::atomic<std::int64_t> solo_until_ns{0};
std::atomic<int> contention_level{0};

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void record_parallel_call(double flops, int threads, std::int64_t start_ns) {
  const std::int64_t end = now_ns();
  const double allowed_ns = 50e3 + flops / (threads * 20e9) * 1e9;
  if (static_cast<double>(end - start_ns) > allowed_ns) {
    const int level = contention_level.load(std::memory_order_relaxed);
    const int next = level < 6 ? level + 1 : 6;
    contention_level.store(next, std::memory_order_relaxed);
    solo_until_ns.store(end + (std::int64_t{20'000'000} << (next - 1)), std::memory_order_relaxed);
  } else {
    contention_level.store(0, std::memory_order_relaxed);
  }
}

// Threads for one call. Forking a team costs a few microseconds, so small products (the MLP's
// last layer, 64x128 by 128x10, is 0.16 MFLOP: about a microsecond of work) run on the calling
// thread; larger ones get one thread per `flops_per_thread` of work, up to the OpenMP limit.
// Inside an enclosing parallel region (a batched matmul already split over the batch) gemm
// stays on its thread, and so it does for a while after a sign of contention.
int pick_threads(std::int64_t m, std::int64_t n, std::int64_t k) {
  if (omp_in_parallel()) return 1;
  const double flops =
      2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);
  constexpr double flops_per_thread = 1.5e6;
  const int max_threads = omp_get_max_threads();
  if (flops < 2 * flops_per_thread || max_threads <= 1) return 1;
  if (fallback_enabled.load(std::memory_order_relaxed) &&
      now_ns() < solo_until_ns.load(std::memory_order_relaxed)) {
    return 1;
  }
  const double wanted = flops / flops_per_thread;
  return wanted >= max_threads ? max_threads : static_cast<int>(wanted);
}

template <class T>
void check_args(std::int64_t m, std::int64_t n, std::int64_t k, bool trans_a, bool trans_b,
                const T* a, std::int64_t lda, const T* b, std::int64_t ldb, const T* c,
                std::int64_t ldc) {
  KINDLING_CHECK(m >= 0 && n >= 0 && k >= 0, "gemm: negative size: m = ", m, ", n = ", n,
                 ", k = ", k);
  // Row-major: the leading dimension is at least the number of stored columns.
  const std::int64_t a_cols = trans_a ? m : k;
  const std::int64_t b_cols = trans_b ? k : n;
  KINDLING_CHECK(lda >= a_cols, "gemm: lda = ", lda, " is smaller than the ", a_cols,
                 " columns of A (m = ", m, ", k = ", k, ", trans_a = ", trans_a, ")");
  KINDLING_CHECK(ldb >= b_cols, "gemm: ldb = ", ldb, " is smaller than the ", b_cols,
                 " columns of B (k = ", k, ", n = ", n, ", trans_b = ", trans_b, ")");
  KINDLING_CHECK(ldc >= n, "gemm: ldc = ", ldc, " is smaller than the ", n,
                 " columns of C (m = ", m, ", n = ", n, ")");
  KINDLING_CHECK(m == 0 || n == 0 || c != nullptr, "gemm: C is null for a (", m, ", ", n,
                 ") result");
  KINDLING_CHECK(m == 0 || n == 0 || k == 0 || (a != nullptr && b != nullptr),
                 "gemm: A or B is null for (", m, ", ", k, ") x (", k, ", ", n, ")");
}

template <class T>
void run_isa(IsaLevel isa, const problem<T>& p, int threads) {
  switch (isa) {
    case IsaLevel::avx512:
      run_avx512(p, threads);
      return;
    case IsaLevel::avx2:
      run_avx2(p, threads);
      return;
    case IsaLevel::baseline:
      run_generic(p, threads);
      return;
  }
}

template <class T>
void gemm_dispatch(IsaLevel isa, bool trans_a, bool trans_b, std::int64_t m, std::int64_t n,
                   std::int64_t k, T alpha, const T* a, std::int64_t lda, const T* b,
                   std::int64_t ldb, T beta, T* c, std::int64_t ldc) {
  check_args(m, n, k, trans_a, trans_b, a, lda, b, ldb, c, ldc);
  if (m == 0 || n == 0) return;
  if (k == 0 || alpha == T(0)) {
    // op(A) * op(B) contributes nothing: C = beta * C, and C is not read when beta == 0.
    for (std::int64_t i = 0; i < m; ++i) {
      T* row = c + i * ldc;
      for (std::int64_t j = 0; j < n; ++j)
        row[j] = beta == T(0) ? T(0) : beta * row[j];
    }
    return;
  }
  const problem<T> p{trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc};
  const int threads = pick_threads(m, n, k);
  if (threads <= 1) {
    run_isa(isa, p, 1);
    return;
  }
  const std::int64_t start = now_ns();
  run_isa(isa, p, threads);
  record_parallel_call(
      2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k), threads,
      start);
}

}  // namespace
}  // namespace gemm_detail

bool gemm_isa_supported(IsaLevel isa) {
  const bool cpu_has_all = cpu_has_features(isa_level_features(isa));
  switch (isa) {
    case IsaLevel::avx512:
      return gemm_detail::avx512_compiled() && cpu_has_all;
    case IsaLevel::avx2:
      return gemm_detail::avx2_compiled() && cpu_has_all;
    case IsaLevel::baseline:
      return true;
  }
  return false;
}

void gemm_set_contention_fallback(bool enabled) {
  gemm_detail::fallback_enabled.store(enabled, std::memory_order_relaxed);
  gemm_detail::solo_until_ns.store(0, std::memory_order_relaxed);
  gemm_detail::contention_level.store(0, std::memory_order_relaxed);
}

IsaLevel gemm_active_isa() {
  static const IsaLevel active = gemm_detail::select_isa();
  return active;
}

template <class T>
void gemm_with_isa(IsaLevel isa, bool trans_a, bool trans_b, std::int64_t m, std::int64_t n,
                   std::int64_t k, T alpha, const T* a, std::int64_t lda, const T* b,
                   std::int64_t ldb, T beta, T* c, std::int64_t ldc) {
  KINDLING_CHECK(gemm_isa_supported(isa), "gemm: instruction set ", isa_level_name(isa),
                 " is not supported by this binary or CPU");
  gemm_detail::gemm_dispatch(isa, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

template <class T>
void gemm(bool trans_a, bool trans_b, std::int64_t m, std::int64_t n, std::int64_t k, T alpha,
          const T* a, std::int64_t lda, const T* b, std::int64_t ldb, T beta, T* c,
          std::int64_t ldc) {
  gemm_detail::gemm_dispatch(gemm_active_isa(), trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb,
                             beta, c, ldc);
}

template void gemm<float>(bool, bool, std::int64_t, std::int64_t, std::int64_t, float, const float*,
                          std::int64_t, const float*, std::int64_t, float, float*, std::int64_t);
template void gemm<double>(bool, bool, std::int64_t, std::int64_t, std::int64_t, double,
                           const double*, std::int64_t, const double*, std::int64_t, double,
                           double*, std::int64_t);
template void gemm_reference<float>(bool, bool, std::int64_t, std::int64_t, std::int64_t, float,
                                    const float*, std::int64_t, const float*, std::int64_t, float,
                                    float*, std::int64_t);
template void gemm_reference<double>(bool, bool, std::int64_t, std::int64_t, std::int64_t, double,
                                     const double*, std::int64_t, const double*, std::int64_t,
                                     double, double*, std::int64_t);
template void gemm_with_isa<float>(IsaLevel, bool, bool, std::int64_t, std::int64_t, std::int64_t,
                                   float, const float*, std::int64_t, const float*, std::int64_t,
                                   float, float*, std::int64_t);
template void gemm_with_isa<double>(IsaLevel, bool, bool, std::int64_t, std::int64_t, std::int64_t,
                                    double, const double*, std::int64_t, const double*,
                                    std::int64_t, double, double*, std::int64_t);

}  // namespace kindling::kernels
