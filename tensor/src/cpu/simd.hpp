// The SIMD inner loops of the CPU kernels, over contiguous runs (or a broadcast scalar operand).
//
// Note [simd dispatch]
// simd_impl.hpp holds these loops as templates over the xsimd architecture. Each simd_<arch>.cpp
// includes it inside its own namespace and is compiled with its level's flags (-mavx2 -mfma,
// -mavx512f -mavx512dq -mavx512bw -mavx512vl ...), and simd_ops() picks, once, the best table
// whose every flag the running CPU supports (Note [isa levels] in cpu_features.hpp). So
// one binary runs on AVX2 and AVX-512 machines, and nothing ships -march=native. Only the
// contiguous inner loops live here; index arithmetic, OpenMP and strides stay in plain C++.
#pragma once

#include <cstdint>
#include <type_traits>

#include "kindling/tensor/kernels.hpp"

namespace kindling::kernels::cpu {

template <class T>
struct SimdLoops {
  // y[i] = f(x[i])
  // args: a UNARY_PARAM kernel's parameters ({} for the others).
  void (*unary)(UnaryKernel op, const T* x, T* y, std::int64_t n, const UnaryArgs& args);
  // out[i] = f(a[i * a_step], b[i * b_step]); steps are 0 (a broadcast scalar) or 1.
  void (*binary)(BinaryKernel op, const T* a, std::int64_t a_step, const T* b, std::int64_t b_step,
                 T* out, std::int64_t n);
  // The sum, max or min of x[0..n) (n >= 1 for max and min).
  T (*reduce)(ReduceKernel op, const T* x, std::int64_t n);
  // acc[i] = acc[i] (+ | max | min) x[i]: reducing over an outer dimension row by row.
  void (*accumulate)(ReduceKernel op, const T* x, T* acc, std::int64_t n);
};

struct SimdOps {
  const char* arch;
  SimdLoops<float> f32;
  SimdLoops<double> f64;
};

// The table for the best instruction set this CPU has (see Note [simd dispatch]).
const SimdOps& simd_ops() noexcept;

// The loops of that table for T (float or double).
template <class T>
const SimdLoops<T>& loops() {
  if constexpr (std::is_same_v<T, float>)
    return simd_ops().f32;
  else
    return simd_ops().f64;
}

}  // namespace kindling::kernels::cpu
