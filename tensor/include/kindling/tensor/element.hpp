// One element at a time: how values convert between dtypes and how int64 and bool arithmetic is
// defined for every input. Written once, compiled for the host (tensor/src/cpu/) and for the device
// (gpu/src/kernels/), so the CPU and CUDA kernels agree bit for bit.
#pragma once

#include <cstdint>
#include <type_traits>

#if defined(__CUDACC__)
#define KINDLING_HOST_DEVICE __host__ __device__
#else
#define KINDLING_HOST_DEVICE
#endif

namespace kindling::element {

// Note [float to int64]
// C++ leaves a float-to-integer conversion undefined when the value does not fit (UBSan's
// float-cast-overflow), and x86's cvttsd2si answers it with INT64_MIN, which is what PyTorch 1.13
// gives on x86 for .long() and copy_: torch.tensor([nan, inf, -inf, 1e30, -1e30, 2.7, -2.7]).long()
// is [INT64_MIN x5, 2, -2]. This is that conversion, defined: truncation toward zero, and INT64_MIN
// for NaN, +-inf and everything outside [-2^63, 2^63). Every cast, copy and fill into int64 uses it
// (on CPU and GPU). Fills of a NaN or out-of-range number are rejected before they get here
// (fits_dtype in dtype.hpp), as PyTorch's full and fill_ reject them.

/// value truncated toward zero, or INT64_MIN for NaN, +-inf and everything outside
/// [-2^63, 2^63): the defined float-to-int64 conversion of Note [float to int64].
KINDLING_HOST_DEVICE constexpr std::int64_t float_to_int64(double value) noexcept {
  // Written so that NaN fails the test.
  if (!(value >= -9223372036854775808.0 && value < 9223372036854775808.0)) return INT64_MIN;
  return static_cast<std::int64_t>(value);
}

/// `value` converted to To: to int64 from a floating type by float_to_int64, to bool as
/// value != 0 (NaN is true, as in PyTorch), otherwise as static_cast (bool gives 0 or 1).
template <class To, class From>
KINDLING_HOST_DEVICE constexpr To convert(From value) noexcept {
  if constexpr (std::is_same_v<To, From>) {
    return value;
  } else if constexpr (std::is_same_v<To, bool>) {
    return value != From(0);
  } else if constexpr (std::is_same_v<To, std::int64_t> && std::is_floating_point_v<From>) {
    return float_to_int64(static_cast<double>(value));
  } else {
    return static_cast<To>(value);
  }
}

// ---- int64: two's complement wrap-around, as PyTorch's int64 arithmetic, without signed
// overflow (which C++ leaves undefined) ----

/// a + b, wrapping around modulo 2^64.
KINDLING_HOST_DEVICE constexpr std::int64_t wrapping_add(std::int64_t a, std::int64_t b) noexcept {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
}
/// a - b, wrapping around modulo 2^64.
KINDLING_HOST_DEVICE constexpr std::int64_t wrapping_sub(std::int64_t a, std::int64_t b) noexcept {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) - static_cast<std::uint64_t>(b));
}
/// a * b, wrapping around modulo 2^64.
KINDLING_HOST_DEVICE constexpr std::int64_t wrapping_mul(std::int64_t a, std::int64_t b) noexcept {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) * static_cast<std::uint64_t>(b));
}
/// -a, wrapping: -INT64_MIN is INT64_MIN, as in PyTorch.
KINDLING_HOST_DEVICE constexpr std::int64_t wrapping_neg(std::int64_t a) noexcept {
  return static_cast<std::int64_t>(std::uint64_t{0} - static_cast<std::uint64_t>(a));
}
/// |a|, wrapping: |INT64_MIN| is INT64_MIN, as in PyTorch.
KINDLING_HOST_DEVICE constexpr std::int64_t wrapping_abs(std::int64_t a) noexcept {
  return a < 0 ? wrapping_neg(a) : a;
}

/// a^b by squaring, wrapping; a negative b gives what PyTorch's integer pow gives (1 for a == 1,
/// +-1 for a == -1, else 0). The ops reject a negative number as the exponent of an integer
/// tensor ("integers to negative integer powers are not allowed"), as PyTorch does; a tensor of
/// exponents takes this definition.
KINDLING_HOST_DEVICE constexpr std::int64_t int_pow(std::int64_t a, std::int64_t b) noexcept {
  if (b < 0) {
    if (a == 1) return 1;
    if (a == -1) return (b & 1) ? -1 : 1;
    return 0;
  }
  std::uint64_t base = static_cast<std::uint64_t>(a), result = 1;
  for (std::uint64_t e = static_cast<std::uint64_t>(b); e != 0; e >>= 1) {
    if (e & 1) result *= base;
    base *= base;
  }
  return static_cast<std::int64_t>(result);
}

/// a / b truncated, defined everywhere: 0 for b == 0 and INT64_MIN for INT64_MIN / -1. The ops
/// never divide integers (int64 / int64 is true division in float32, as in PyTorch); this keeps a
/// direct kernel call from trapping (SIGFPE) all the same.
KINDLING_HOST_DEVICE constexpr std::int64_t int_div(std::int64_t a, std::int64_t b) noexcept {
  if (b == 0) return 0;
  if (b == -1) return wrapping_neg(a);
  return a / b;
}

/// The sum two elements accumulate to: wrapping for int64, `or` for bool, plain + for floats
/// (sum reductions, index_add, scatter_add).
template <class T>
KINDLING_HOST_DEVICE constexpr T add(T a, T b) noexcept {
  if constexpr (std::is_same_v<T, bool>) {
    return a || b;
  } else if constexpr (std::is_same_v<T, std::int64_t>) {
    return wrapping_add(a, b);
  } else {
    return a + b;
  }
}

}  // namespace kindling::element
