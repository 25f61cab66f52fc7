// The scalar formula of every elementwise kernel (one per row of KINDLING_TENSOR_UNARY in
// op_list.hpp, and the extra unary kernels of kernels.hpp), written once and compiled for every
// device: the CPU's SIMD loops (tensor/src/cpu/simd_impl.hpp, with xsimd batches), the CPU's int64
// loops (tensor/src/cpu/elementwise.cpp) and CUDA (gpu/src/kernels/elementwise.cu). Host/device:
// nvcc includes it, so it never includes xsimd (Note [elementwise formulas]).
#pragma once

#include <cmath>
#include <cstdint>
#if !defined(__CUDACC__)
#include <numbers>
#endif

#include "kindling/tensor/element.hpp"
#include "kindling/tensor/op_list.hpp"
#include "kindling/tensor/special_values.hpp"

#if defined(__CUDACC__)
// A formula is a host/device template instantiated with a device-only math policy; the pragma
// stops nvcc warning about the host side it never calls.
#define KINDLING_FORMULA                                       \
  _Pragma("nv_exec_check_disable") template <class M, class V> \
  __host__ __device__ static V
#else
#define KINDLING_FORMULA      \
  template <class M, class V> \
  static V
#endif

namespace kindling::formula {

// Note [elementwise formulas]
// `struct name` holds `forward(a)` and, for a `pointwise` row, `backward(g, a)` (dx = g * f'(a)),
// over a value type V (float, double or an xsimd batch) and a math policy M, which provides
//   exp log sqrt abs tanh erf erf_exact sin cos tan log1p log2 log10 expm1 floor nearbyint
//                                 (each device's own: the SIMD policy, Loops::Math in
//                                  tensor/src/cpu/simd_impl.hpp, patches xsimd's exp, log, expm1
//                                  and log1p at the edges; DeviceMath in gpu/src/kernels/
//                                  common.cuh calls CUDA's expf/exp...),
//   select(c, a, b)  isnan(x)     (c ? a : b; NaN test),
//   min(a, b)  max(a, b)          (a < b ? a : b; a > b ? a : b; callers keep NaN away).
// Constants are V(c), c converted to the element type first. A `numeric` row also has
// `integer(x)`, its int64 form (int64 wraps around: element.hpp).
//
// Bits: an expression's shape is its rounding. The CPU builds in ISO mode (no FMA contraction);
// nvcc contracts a * b + c into an FMA by default, and does so in these templates as it did in the
// hand-written kernels they replace, so an existing op's expression must be kept token for token.
// The test references (tests/) stay independent of these lines: naive xtensor or PyTorch.
//
// Each primitive's jvp rule (forward mode) is in tensor/src/forward_mode.cpp, Note [forward
// mode]; a backward that is itself differentiable: Note [fused backward kernels].

// Note [fused backward kernels]
// A `pointwise` row's backward is one fused BinaryKernel (name_backward), like relu_grad and
// gelu_grad before it: one launch and one rounding instead of a chain of tensor ops. Such a
// kernel is not itself differentiable: it runs under no_grad and records no graph. Decision for
// double backward (issue 15): a fused kernel stays the fast path of a first-order backward, and
// under create_graph the op takes a composite path instead, the same formula evaluated over
// tensors (tensor/src/tensor_formula.hpp; Note [create_graph] in tensor/src/autograd.cpp), so no
// backward kernel needs a row of its own and first-order results keep their bits.

using special::kInvSqrt2;                                         // 1 / sqrt(2) = sqrt(2) / 2
inline constexpr double kInvSqrt2Pi = 0.39894228040143267794;     ///< 1 / sqrt(2 pi)
inline constexpr double kTwoOverSqrtPi = 1.12837916709551257390;  ///< 2 / sqrt(pi)
#if !defined(__CUDACC__)
// The spellings these replace (the SIMD kernels' and special_values.hpp's) are the same doubles.
static_assert(kInvSqrt2 == std::numbers::sqrt2 / 2);
static_assert(kInvSqrt2Pi == 0.5 * std::numbers::inv_sqrtpi * std::numbers::sqrt2);
static_assert(kTwoOverSqrtPi == 2 * std::numbers::inv_sqrtpi);
#endif

// ---- the unary rows ----

/// The neg row: -a.
struct neg {
  /// -a, computed as a * -1. Not -a: xsimd 8.1 negates an AVX-512 batch as 0 - a, which gives +0
  /// for +0 (torch and IEEE give -0). A product by -1 is exact and flips the sign of zeros too.
  KINDLING_FORMULA forward(const V& a) { return a * V(-1); }
  /// -a on int64, wrapping around (-INT64_MIN is INT64_MIN, element::wrapping_neg).
  KINDLING_HOST_DEVICE static constexpr std::int64_t integer(std::int64_t a) {
    return element::wrapping_neg(a);
  }
};

/// The exp row: e^a.
struct exp {
  /// e^a (M::exp).
  KINDLING_FORMULA forward(const V& a) { return M::exp(a); }
};

/// The log row: the natural logarithm.
struct log {
  /// ln a (M::log).
  KINDLING_FORMULA forward(const V& a) { return M::log(a); }
};

/// The sqrt row: the square root.
struct sqrt {
  /// sqrt(a) (M::sqrt).
  KINDLING_FORMULA forward(const V& a) { return M::sqrt(a); }
};

/// The abs row: |a|.
struct abs {
  /// |a| (M::abs).
  KINDLING_FORMULA forward(const V& a) { return M::abs(a); }
  /// |a| on int64, wrapping around (|INT64_MIN| is INT64_MIN, element::wrapping_abs).
  KINDLING_HOST_DEVICE static constexpr std::int64_t integer(std::int64_t a) {
    return element::wrapping_abs(a);
  }
};

/// The tanh row: the hyperbolic tangent.
struct tanh {
  /// tanh(a) (M::tanh).
  KINDLING_FORMULA forward(const V& a) { return M::tanh(a); }
};

/// The sigmoid row: the logistic function.
struct sigmoid {
  /// 1 / (1 + e^-a); e^-a overflows to inf for very negative a, and 1 / inf is the right limit 0.
  KINDLING_FORMULA forward(const V& a) { return V(1) / (V(1) + M::exp(-a)); }
};

/// The relu row: max(a, 0).
struct relu {
  /// a < 0 ? 0 : a, as special::relu: relu(NaN) = NaN and relu(-0) = -0.
  KINDLING_FORMULA forward(const V& a) { return M::select(a < V(0), V(0), a); }
  /// max(a, 0) on int64.
  KINDLING_HOST_DEVICE static constexpr std::int64_t integer(std::int64_t a) {
    return a > 0 ? a : 0;
  }
};

/// The gelu row: a Phi(a), exact (erf, not tanh), as torch's default approximate='none'.
struct gelu {
  /// special::gelu_erf_argument: a / sqrt(2) clamped to +-6 (erf is +-1 there), 0 for NaN (gelu
  /// is NaN there through its factor a, and xsimd's erf must not see a NaN).
  KINDLING_FORMULA erf_argument(const V& a) {
    const V z = a * V(kInvSqrt2);
    const V limit = V(special::kErfSaturation);
    return M::select(M::isnan(z), V(0), M::min(limit, M::max(-limit, z)));
  }
  /// 0.5 a (1 + erf(erf_argument(a))).
  KINDLING_FORMULA forward(const V& a) { return V(0.5) * a * (V(1) + M::erf(erf_argument<M>(a))); }
};

/// The silu row: silu(a) = a sigmoid(a) = a / (1 + e^-a); d/da = s (1 + a (1 - s)),
/// s = sigmoid(a), in torch's order of operations. silu(-inf) = -inf / inf = NaN, as torch's.
struct silu {
  /// a / (1 + e^-a).
  KINDLING_FORMULA forward(const V& a) { return a / (V(1) + M::exp(-a)); }
  /// dx = g s (1 + a (1 - s)), s = sigmoid(a).
  KINDLING_FORMULA backward(const V& g, const V& a) {
    const V s = V(1) / (V(1) + M::exp(-a));
    return g * s * (V(1) + a * (V(1) - s));
  }
};

/// The sin row: the sine.
struct sin {
  /// sin(a) (M::sin).
  KINDLING_FORMULA forward(const V& a) { return M::sin(a); }
  /// dx = g cos(a).
  KINDLING_FORMULA backward(const V& g, const V& a) { return g * M::cos(a); }
};

/// The cos row: the cosine.
struct cos {
  /// cos(a) (M::cos).
  KINDLING_FORMULA forward(const V& a) { return M::cos(a); }
  /// dx = g (sin(a) * -1), in torch's order.
  KINDLING_FORMULA backward(const V& g, const V& a) {
    return g * (M::sin(a) * V(-1));  // torch's order; * -1 as neg says
  }
};

/// The log1p row: ln(1 + a), exact near 0.
struct log1p {
  /// ln(1 + a) (M::log1p).
  KINDLING_FORMULA forward(const V& a) { return M::log1p(a); }
  /// dx = g / (a + 1).
  KINDLING_FORMULA backward(const V& g, const V& a) { return g / (a + V(1)); }
};

/// The expm1 row: e^a - 1, exact near 0.
struct expm1 {
  /// e^a - 1 (M::expm1).
  KINDLING_FORMULA forward(const V& a) { return M::expm1(a); }
  /// dx = g (expm1(a) + 1).
  KINDLING_FORMULA backward(const V& g, const V& a) { return g * (M::expm1(a) + V(1)); }
};

/// The erf row: the error function.
///
/// C's erf on the CPU (M::erf_exact: xsimd's float64 erf is ~20 ulps off near 2.3, which the
/// differential test against torch found), CUDA's erf on the device; both are +-1 beyond +-6
/// and NaN at NaN themselves (gelu keeps xsimd's erf behind its clamp: its bits are recorded).
struct erf {
  /// erf(a) (M::erf_exact).
  KINDLING_FORMULA forward(const V& a) { return M::erf_exact(a); }
  /// dx = 2 / sqrt(pi) e^(-a^2) g, in torch's order.
  KINDLING_FORMULA backward(const V& g, const V& a) {
    return V(kTwoOverSqrtPi) * M::exp(-(a * a)) * g;  // torch's order
  }
};

/// The tan row: the tangent, with torch's derivative 1 + tan^2.
struct tan {
  /// tan(a) (M::tan).
  KINDLING_FORMULA forward(const V& a) { return M::tan(a); }
  /// dx = g (1 + c^2), c = tan(a).
  KINDLING_FORMULA backward(const V& g, const V& a) {
    const V c = M::tan(a);
    return g * (V(1) + c * c);
  }
};

/// The log2 row: the base-2 logarithm (log2(8) is exactly 3).
struct log2 {
  /// log2(a) (M::log2).
  KINDLING_FORMULA forward(const V& a) { return M::log2(a); }
  /// dx = g / (a ln 2), torch's, with ln 2 rounded to the element type first as torch's wrapped
  /// double is.
  KINDLING_FORMULA backward(const V& g, const V& a) { return g / (a * V(0.6931471805599453)); }
};

/// The log10 row: the base-10 logarithm.
struct log10 {
  /// log10(a) (M::log10).
  KINDLING_FORMULA forward(const V& a) { return M::log10(a); }
  /// dx = g / (a ln 10), torch's, with ln 10 rounded to the element type first as torch's
  /// wrapped double is.
  KINDLING_FORMULA backward(const V& g, const V& a) { return g / (a * V(2.302585092994046)); }
};

/// The sign row: -1, 0 or 1, with gradient 0 everywhere.
struct sign {
  /// 1 where a > 0, -1 where a < 0, else 0: 0 at 0 and at NaN, as special::sign.
  KINDLING_FORMULA forward(const V& a) {
    return M::select(a > V(0), V(1), M::select(a < V(0), -V(1), V(0)));
  }
  /// dx = 0.
  KINDLING_FORMULA backward(const V&, const V&) { return V(0); }
  /// The sign of an int64: -1, 0 or 1.
  KINDLING_HOST_DEVICE static constexpr std::int64_t integer(std::int64_t a) {
    return (a > 0) - (a < 0);
  }
};

/// The floor row: rounding down, with gradient 0 everywhere.
struct floor {
  /// The largest integer not above a (M::floor).
  KINDLING_FORMULA forward(const V& a) { return M::floor(a); }
  /// dx = 0.
  KINDLING_FORMULA backward(const V&, const V&) { return V(0); }
  /// a itself: an int64 is whole already.
  KINDLING_HOST_DEVICE static constexpr std::int64_t integer(std::int64_t a) { return a; }
};

/// The round row: to the nearest integer, half to even, as torch.round (round(2.5) = 2), with
/// gradient 0 everywhere.
struct round {
  /// nearbyint(a) in the default rounding mode: half to even.
  KINDLING_FORMULA forward(const V& a) { return M::nearbyint(a); }
  /// dx = 0.
  KINDLING_FORMULA backward(const V&, const V&) { return V(0); }
  /// a itself: an int64 is whole already.
  KINDLING_HOST_DEVICE static constexpr std::int64_t integer(std::int64_t a) { return a; }
};

/// The reciprocal row: 1 / a, a true division, never an approximate reciprocal instruction.
struct reciprocal {
  /// 1 / a (1 / 0 = inf, 1 / -0 = -inf).
  KINDLING_FORMULA forward(const V& a) { return V(1) / a; }
  /// dx = -g c^2, c = 1 / a.
  KINDLING_FORMULA backward(const V& g, const V& a) {
    const V c = V(1) / a;
    return (g * V(-1)) * (c * c);  // torch's -grad * (result * result); * -1 as neg says
  }
};

/// The rsqrt row: 1 / sqrt(a), a true division (rsqrt(-0) = -inf, as torch's).
struct rsqrt {
  /// 1 / sqrt(a).
  KINDLING_FORMULA forward(const V& a) { return V(1) / M::sqrt(a); }
  /// dx = -0.5 g c^3, c = 1 / sqrt(a).
  KINDLING_FORMULA backward(const V& g, const V& a) {
    const V c = V(1) / M::sqrt(a);
    return V(-0.5) * g * (c * c * c);  // torch's -0.5 * grad * result^3
  }
};

// ---- the extra unary kernels (kernels.hpp) ----

/// The gelu_grad kernel: gelu's local derivative, which gelu's backward multiplies by g.
struct gelu_grad {
  /// d/da a Phi(a) = Phi(a) + a phi(a); a^2 overflowing to inf gives phi = 0, as it should.
  KINDLING_FORMULA forward(const V& a) {
    const V cdf = V(0.5) * (V(1) + M::erf(gelu::erf_argument<M>(a)));
    const V pdf = M::exp(-V(0.5) * a * a) * V(kInvSqrt2Pi);
    return cdf + a * pdf;
  }
};

// ---- the UNARY_PARAM rows: forward(a, args) and derivative(a, args), dx = g * derivative ----
// The comparisons are torch's (CPU kernels of 1.13), so NaN takes the same branch.

/// The leaky_relu row (args.p0 = negative_slope).
struct leaky_relu {
  /// a > 0 ? a : a * negative_slope (NaN stays NaN).
  KINDLING_FORMULA forward(const V& a, const UnaryArgs& args) {
    return M::select(a > V(0), a, a * V(args.p0));
  }
  /// a > 0 ? 1 : negative_slope (negative_slope at 0 and at NaN).
  KINDLING_FORMULA derivative(const V& a, const UnaryArgs& args) {
    return M::select(a > V(0), V(1), V(args.p0));
  }
};

/// The elu row (args.p0 = alpha).
struct elu {
  /// a <= 0 ? expm1(a) * alpha : a (exact near 0; elu(-0) = -0, elu(-inf) = -alpha).
  KINDLING_FORMULA forward(const V& a, const UnaryArgs& args) {
    return M::select(a <= V(0), M::expm1(a) * V(args.p0), a);
  }
  /// a > 0 ? 1 : alpha * e^a (NaN at NaN).
  KINDLING_FORMULA derivative(const V& a, const UnaryArgs& args) {
    return M::select(a > V(0), V(1), V(args.p0) * M::exp(a));  // NaN at NaN, as torch's
  }
};

/// The softplus row (args.p0 = beta, args.p1 = threshold).
struct softplus {
  /// z > threshold ? a : log1p(e^z) / beta, with z = a * beta.
  KINDLING_FORMULA forward(const V& a, const UnaryArgs& args) {
    const V z = a * V(args.p0);
    return M::select(z > V(args.p1), a, M::log1p(M::exp(z)) / V(args.p0));
  }
  /// z > threshold ? 1 : e^z / (e^z + 1) (sigmoid(z)), with z = a * beta.
  KINDLING_FORMULA derivative(const V& a, const UnaryArgs& args) {
    const V z = a * V(args.p0);
    const V e = M::exp(z);
    return M::select(z > V(args.p1), V(1), e / (e + V(1)));
  }
};

/// A math policy M over std:: math, for host scalars (Note [elementwise formulas]).
///
/// It lacks tan, log2 and log10, so the tan, log2 and log10 formulas do not compile with it.
struct HostMath {
#define KINDLING_X(name) \
  template <class T>     \
  static T name(T x) {   \
    return std::name(x); \
  }
  /// std::exp(x).
  KINDLING_X(exp)
  /// std::log(x).
  KINDLING_X(log)
  /// std::sqrt(x).
  KINDLING_X(sqrt)
  /// std::abs(x).
  KINDLING_X(abs)
  /// std::tanh(x).
  KINDLING_X(tanh)
  /// std::erf(x).
  KINDLING_X(erf)
  /// std::erf(x): the host's erf is exact already.
  template <class T>
  static T erf_exact(T x) {
    return std::erf(x);
  }
  /// std::sin(x).
  KINDLING_X(sin)
  /// std::cos(x).
  KINDLING_X(cos)
  /// std::log1p(x).
  KINDLING_X(log1p)
  /// std::expm1(x).
  KINDLING_X(expm1)
  /// std::floor(x).
  KINDLING_X(floor)
  /// std::nearbyint(x), in the current rounding mode.
  KINDLING_X(nearbyint)
#undef KINDLING_X
  /// c ? a : b.
  template <class T>
  static T select(bool c, T a, T b) {
    return c ? a : b;
  }
  /// Whether x is NaN.
  template <class T>
  static bool isnan(T x) {
    return x != x;
  }
  /// a < b ? a : b (b when either is NaN).
  template <class T>
  static T min(T a, T b) {
    return a < b ? a : b;
  }
  /// a > b ? a : b (b when either is NaN).
  template <class T>
  static T max(T a, T b) {
    return a > b ? a : b;
  }
};

/// Whether formula F has an int64 form, `F::integer` (the `numeric` rows).
template <class F>
inline constexpr bool has_integer_form = requires(std::int64_t x) {
  F::integer(x);
};

}  // namespace kindling::formula
