// The CPU's fused optimizer steps (Note [fused optimizer steps] in kindling/tensor/kernels.hpp):
// one pass per parameter over contiguous float32/float64 arrays, computing in the parameter's
// type with the shared element formulas (kindling/tensor/optim_formulas.hpp). Compiled with
// -fno-math-errno so that sqrt vectorises, and with -ffp-contract=off so that every clone below
// rounds each operation on its own and a step has the same bits on every CPU.
#include <omp.h>

#include <algorithm>
#include <cstdint>

#include "cpu.hpp"
#include "kindling/tensor/optim_formulas.hpp"

namespace kindling::kernels::cpu {

namespace {

namespace f = optim_formula;

constexpr std::int64_t kParallelMin = 1 << 16;

template <class T>
T* ptr(const StridedView& v) {
  return static_cast<T*>(v.data);
}

// The loops are templates inlined into one wrapper per dtype, and each wrapper is compiled for
// several instruction sets (GCC's target_clones picks one at load time): Adam's divide and
// square root run 4 lanes wide on baseline x86-64 and 16 on AVX-512: measured 159 us against
// about 50 us per step for the 235k parameters of the Fashion-MNIST MLP.
#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__)
#define KINDLING_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define KINDLING_CLONES
#endif

template <class T>
[[gnu::always_inline]] inline void sgd_loop(std::int64_t begin, std::int64_t end,
                                            const StridedView& pv, const StridedView& gv,
                                            const StridedView& bv, const f::SgdConstants<T>& c) {
  T* __restrict p = ptr<T>(pv);
  const T* __restrict g = ptr<T>(gv);
  T* __restrict buf = c.use_buffer ? ptr<T>(bv) : nullptr;
  const f::SgdConstants<T> k = c;  // a local: the stores cannot alias it
  for (std::int64_t i = begin; i < end; ++i)
    f::sgd_element(k, p[i], g[i], buf ? buf + i : nullptr);
}

template <class T>
[[gnu::always_inline]] inline void adam_loop(std::int64_t begin, std::int64_t end,
                                             const StridedView& pv, const StridedView& gv,
                                             const StridedView& mv, const StridedView& vv,
                                             const f::AdamConstants<T>& c) {
  T* __restrict p = ptr<T>(pv);
  const T* __restrict g = ptr<T>(gv);
  T* __restrict m = ptr<T>(mv);
  T* __restrict v = ptr<T>(vv);
  const f::AdamConstants<T> k = c;
  for (std::int64_t i = begin; i < end; ++i)
    f::adam_element(k, p[i], g[i], m[i], v[i]);
}

template <class T>
[[gnu::always_inline]] inline void rmsprop_loop(std::int64_t begin, std::int64_t end,
                                                const StridedView& pv, const StridedView& gv,
                                                const StridedView& sv, const StridedView& bv,
                                                const StridedView& av,
                                                const f::RmspropConstants<T>& c) {
  T* __restrict p = ptr<T>(pv);
  const T* __restrict g = ptr<T>(gv);
  T* __restrict sq = ptr<T>(sv);
  T* __restrict buf = c.use_buffer ? ptr<T>(bv) : nullptr;
  T* __restrict gavg = c.centered ? ptr<T>(av) : nullptr;
  const f::RmspropConstants<T> k = c;
  for (std::int64_t i = begin; i < end; ++i)
    f::rmsprop_element(k, p[i], g[i], sq[i], buf ? buf + i : nullptr, gavg ? gavg + i : nullptr);
}

KINDLING_CLONES void sgd_f32(std::int64_t begin, std::int64_t end, const StridedView& p,
                             const StridedView& g, const StridedView& b,
                             const f::SgdConstants<float>& c) {
  sgd_loop<float>(begin, end, p, g, b, c);
}
KINDLING_CLONES void sgd_f64(std::int64_t begin, std::int64_t end, const StridedView& p,
                             const StridedView& g, const StridedView& b,
                             const f::SgdConstants<double>& c) {
  sgd_loop<double>(begin, end, p, g, b, c);
}
KINDLING_CLONES void adam_f32(std::int64_t begin, std::int64_t end, const StridedView& p,
                              const StridedView& g, const StridedView& m, const StridedView& v,
                              const f::AdamConstants<float>& c) {
  adam_loop<float>(begin, end, p, g, m, v, c);
}
KINDLING_CLONES void adam_f64(std::int64_t begin, std::int64_t end, const StridedView& p,
                              const StridedView& g, const StridedView& m, const StridedView& v,
                              const f::AdamConstants<double>& c) {
  adam_loop<double>(begin, end, p, g, m, v, c);
}
KINDLING_CLONES void rmsprop_f32(std::int64_t begin, std::int64_t end, const StridedView& p,
                                 const StridedView& g, const StridedView& s, const StridedView& b,
                                 const StridedView& a, const f::RmspropConstants<float>& c) {
  rmsprop_loop<float>(begin, end, p, g, s, b, a, c);
}
KINDLING_CLONES void rmsprop_f64(std::int64_t begin, std::int64_t end, const StridedView& p,
                                 const StridedView& g, const StridedView& s, const StridedView& b,
                                 const StridedView& a, const f::RmspropConstants<double>& c) {
  rmsprop_loop<double>(begin, end, p, g, s, b, a, c);
}

// Splits [0, n) across the OpenMP threads (for large parameters only: below that the fork costs
// more than the loop). The parallel region is here, outside the cloned functions, because the
// body OpenMP outlines would not inherit their instruction set.
template <class F>
void split(std::int64_t n, F&& run) {
  if (n < kParallelMin || omp_get_max_threads() == 1) {
    run(std::int64_t{0}, n);
    return;
  }
#pragma omp parallel
  {
    const std::int64_t threads = omp_get_num_threads(), t = omp_get_thread_num();
    const std::int64_t chunk = (n + threads - 1) / threads;
    // Chunks aligned to 64 elements so threads do not share cache lines.
    const std::int64_t aligned = (chunk + 63) / 64 * 64;
    const std::int64_t begin = std::min(n, t * aligned), end = std::min(n, begin + aligned);
    if (begin < end) run(begin, end);
  }
}

}  // namespace

// The constants once per step, then the loop (Note [fused optimizer steps]).
void sgd_step(const StridedView& p, const StridedView& g, const StridedView& b, const SgdHyper& h) {
  if (p.dtype == DType::float32) {
    const auto c = f::sgd_constants<float>(h);
    split(p.numel(), [&](std::int64_t s, std::int64_t e) { sgd_f32(s, e, p, g, b, c); });
  } else {
    const auto c = f::sgd_constants<double>(h);
    split(p.numel(), [&](std::int64_t s, std::int64_t e) { sgd_f64(s, e, p, g, b, c); });
  }
}

void adam_step(const StridedView& p, const StridedView& g, const StridedView& m,
               const StridedView& v, const AdamHyper& h) {
  if (p.dtype == DType::float32) {
    const auto c = f::adam_constants<float>(h);
    split(p.numel(), [&](std::int64_t s, std::int64_t e) { adam_f32(s, e, p, g, m, v, c); });
  } else {
    const auto c = f::adam_constants<double>(h);
    split(p.numel(), [&](std::int64_t s, std::int64_t e) { adam_f64(s, e, p, g, m, v, c); });
  }
}

void rmsprop_step(const StridedView& p, const StridedView& g, const StridedView& sq,
                  const StridedView& b, const StridedView& a, const RmspropHyper& h) {
  if (p.dtype == DType::float32) {
    const auto c = f::rmsprop_constants<float>(h);
    split(p.numel(), [&](std::int64_t s, std::int64_t e) { rmsprop_f32(s, e, p, g, sq, b, a, c); });
  } else {
    const auto c = f::rmsprop_constants<double>(h);
    split(p.numel(), [&](std::int64_t s, std::int64_t e) { rmsprop_f64(s, e, p, g, sq, b, a, c); });
  }
}

// The CPU gains nothing from batching the parameters; it has the entry so that Adam's batched
// path runs (and is tested) on every machine.
void adam_multi_step(const AdamTensors* tensors, std::size_t count, const AdamHyper& h) {
  for (std::size_t i = 0; i < count; ++i)
    adam_step(tensors[i].param, tensors[i].grad, tensors[i].exp_avg, tensors[i].exp_avg_sq, h);
}

}  // namespace kindling::kernels::cpu
