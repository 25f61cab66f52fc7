// The scalar formulas whose results at NaN, signed zeros, infinities and subnormals are pinned to
// PyTorch's (Note [special values]). Written once, compiled for the host (the CPU kernels' scalar
// paths, the tests) and for the device (the CUDA kernels in gpu/src/kernels/); the CPU's SIMD
// loops (tensor/src/cpu/simd_impl.hpp) are the vector forms of the same lines.
#pragma once

#include <cstdint>

#ifndef KINDLING_HOST_DEVICE
#if defined(__CUDACC__)
#define KINDLING_HOST_DEVICE __host__ __device__
#else
#define KINDLING_HOST_DEVICE
#endif
#endif

namespace kindling::special {

// Note [special values]
// Every elementwise kernel, reduction and softmax, on the CPU and on CUDA, gives PyTorch 1.13's
// result at the edges (tests/python/test_special_values.py runs both side by side):
//   relu        x < 0 ? 0 : x, so relu(NaN) = NaN and relu(-0) = -0; its gradient passes g where
//               the input is > 0 or NaN (PyTorch's threshold_backward tests `result <= 0`).
//   maximum     NaN when either operand is NaN, else the larger (smaller); on a tie (0 and -0)
//   minimum     the second operand, as x86's maxps. Gradients: PyTorch's masked_fill form
//               (ops_binary.cpp), so a NaN pair passes g to both operands.
//   max, min    NaN when the slice holds a NaN; argmax/argmin give the first NaN, else the first
//   argmax      extremum. The gradient of a NaN max is split among the NaNs (as torch.max()).
//   softmax     shifted by the line's max, whatever it is: a line holding +inf or NaN, or only
//               -inf, is NaN throughout, as PyTorch's (no silent 0 or 1 for a broken line).
//               cross_entropy's loss is -log_softmax[t], negated last (a sure sample gives -0).
//   gelu        erf's argument is clamped to +-6, where erf is +-1 in float and in double, so
//               |x| >= 1e75 gives x (or -0) rather than NaN from an overflowing polynomial.
//   exp, log    exact at subnormal results and arguments (exp(-720) = 2.03e-313, log(1e-310) =
//               -713.8): the SIMD exp sends lanes outside its fast range to std::exp, the SIMD
//               log scales a subnormal double into the normal range first.
//   pow         C99's pow (std::pow, CUDA's pow): 0^0 = 1, 1^NaN = 1, NaN^0 = 1, 0^-1 = inf, as
//               torch.pow(tensor, tensor). Gradients: b a^(b-1), 0 where b == 0; a^b ln a, 0 where
//               a == 0 and b >= 0 (PyTorch's pow_backward).
//   clamp       NaN stays NaN; the gradient is 1 on [low, high] including both bounds, 0 outside
//               and at NaN (PyTorch's clamp_backward).
//   sign        0 at NaN, as PyTorch 1.13's sign (so abs's gradient at NaN is 0).
// Neither float32 nor float64 flushes subnormals to zero: there is no flush-to-zero mode. The
// scalar Value's ops (engine/src/value.cpp) follow the same rules in double; its sigmoid is also
// exact below -709.78, where PyTorch's 1 / (1 + exp(-x)) underflows to 0.

/// Whether x is NaN (x != x); false for integers. Usable in device code, unlike std::isnan.
template <class T>
KINDLING_HOST_DEVICE constexpr bool is_nan(T x) noexcept {
  return x != x;  // false for integers
}

/// x < 0 ? 0 : x, so relu(NaN) = NaN and relu(-0) = -0, as torch.relu.
template <class T>
KINDLING_HOST_DEVICE constexpr T relu(T x) noexcept {
  return x < T(0) ? T(0) : x;
}

/// relu's backward: g where x > 0 or x is NaN, else 0 (0 even when g is NaN).
template <class T>
KINDLING_HOST_DEVICE constexpr T relu_grad(T g, T x) noexcept {
  return x <= T(0) ? T(0) : g;
}

/// NaN when either operand is NaN, else the larger; b on a tie (0 and -0), as torch.maximum.
template <class T>
KINDLING_HOST_DEVICE constexpr T maximum(T a, T b) noexcept {
  return (is_nan(a) || a > b) ? a : b;
}

/// NaN when either operand is NaN, else the smaller; b on a tie, as torch.minimum.
template <class T>
KINDLING_HOST_DEVICE constexpr T minimum(T a, T b) noexcept {
  return (is_nan(a) || a < b) ? a : b;
}

/// -1, 0 or 1; 0 at NaN, as PyTorch 1.13's sign.
template <class T>
KINDLING_HOST_DEVICE constexpr T sign(T x) noexcept {
  return x > T(0) ? T(1) : (x < T(0) ? T(-1) : T(0));
}

/// 1 / sqrt(2) = sqrt(2) / 2 (formulas.hpp checks it against std::numbers).
inline constexpr double kInvSqrt2 = 0.70710678118654752440;

/// |z| at which erf(z) is +-1 in both float and double (erfc(6) = 2.2e-17 is below half an ulp
/// of 1).
inline constexpr double kErfSaturation = 6.0;

/// gelu's erf argument x / sqrt(2), clamped to +-kErfSaturation; 0 for NaN (gelu is NaN there
/// through its factor x, and the SIMD erf must not see a NaN: simd_impl.hpp).
template <class T>
KINDLING_HOST_DEVICE constexpr T gelu_erf_argument(T x) noexcept {
  const T z = x * T(kInvSqrt2);
  const T limit = T(kErfSaturation);
  return is_nan(z) ? T(0) : (z > limit ? limit : (z < -limit ? -limit : z));
}

/// Whether (value, index) should replace (best, best_index) as the running argmax (want_max) or
/// argmin: a NaN beats any number, then the larger (smaller) value, then the lower index. The
/// order of combination therefore never changes the answer (the CUDA block tree relies on it),
/// and a sequential scan keeps the first NaN, else the first extremum, as PyTorch's argmax.
template <class T>
KINDLING_HOST_DEVICE constexpr bool arg_beats(bool want_max, T value, std::int64_t index, T best,
                                              std::int64_t best_index) noexcept {
  const bool value_nan = is_nan(value), best_nan = is_nan(best);
  if (value_nan || best_nan) return value_nan && (!best_nan || index < best_index);
  if (value == best) return index < best_index;
  return want_max ? value > best : value < best;
}

}  // namespace kindling::special
