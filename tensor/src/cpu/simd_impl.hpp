// The xsimd loops behind SimdOps, templated on the architecture (Note [simd dispatch]).
// Included by simd_<arch>.cpp only, each inside its own namespace, so that the copies compiled
// with different instruction sets never merge at link time.
// The including file includes <cmath>, <cstring>, <limits>, <numbers>, <type_traits>,
// <xsimd/xsimd.hpp>, kindling/tensor/formulas.hpp, kindling/tensor/special_values.hpp and simd.hpp
// first.

template <class T, class Arch>
struct Loops {
  using B = xsimd::batch<T, Arch>;
  static constexpr std::int64_t W = static_cast<std::int64_t>(B::size);

  // ---- exact edges (Note [special values]) ----
  // xsimd's exp flushes results below the smallest normal number to 0 and overflows slightly
  // before the largest finite result (it builds 2^k from exponent bits). A vector with a lane
  // outside the range where it is exact sends those lanes, and only those, to std::exp; normal
  // inputs pay one compare per vector. The bounds keep 2^k normal: k = round(x / ln 2) within
  // [-125, 127] (float), [-1021, 1023] (double).
  static constexpr bool kFloat = std::is_same_v<T, float>;
  static constexpr T kExpLow = kFloat ? T(-86.0) : T(-707.0);
  static constexpr T kExpHigh = kFloat ? T(88.0) : T(709.0);
  static constexpr T kMinNormal = std::numeric_limits<T>::min();

  static bool exp_is_slow(T x) { return !(x >= kExpLow && x <= kExpHigh); }  // NaN too

  // `fast` with the lanes where slow(x) holds replaced by exact(x).
  template <class Slow, class Exact>
  static B patch_lanes(const B& x, const B& fast, Slow slow, Exact exact) {
    alignas(64) T in[W], out[W];
    x.store_aligned(in);
    fast.store_aligned(out);
    for (std::int64_t j = 0; j < W; ++j)
      if (slow(in[j])) out[j] = exact(in[j]);
    return B::load_aligned(out);
  }

  static B exp_exact(const B& x) {
    // xsimd's exp converts round(x / ln 2) to an integer, which is undefined behaviour for +-inf
    // and NaN: lanes outside its range are given 0 and patched after.
    const auto in_range = (x >= B(kExpLow)) & (x <= B(kExpHigh));  // false for NaN
    const B fast = xsimd::exp(xsimd::select(in_range, x, B(T(0))));
    if (xsimd::all(in_range)) return fast;
    return patch_lanes(x, fast, &exp_is_slow, [](T v) { return std::exp(v); });
  }

  // xsimd 8.1's double log rescales a subnormal argument but reads its exponent from the original
  // bits (log(1e-310) = -746.5, not -713.8); its float log is right. So for double a subnormal is
  // scaled into the normal range here: log(x) = log(x 2^54) - 54 ln 2.
  static B log_exact(const B& x) {
    if constexpr (kFloat) {
      return xsimd::log(x);
    } else {
      const auto subnormal = (x > B(T(0))) & (x < B(kMinNormal));
      const bool any_subnormal = xsimd::any(subnormal);
      B argument = x;
      if (any_subnormal) [[unlikely]]
        argument = xsimd::select(subnormal, x * B(T(18014398509481984.0)), x);  // 2^54
      B result = xsimd::log(argument);
      if (any_subnormal) [[unlikely]]
        result = result - xsimd::select(subnormal, B(T(54 * std::numbers::ln2)), B(T(0)));
      return result;
    }
  }

  // xsimd 8.1's expm1 gives +0 at -0 and overflows to inf just below the largest finite result
  // (it scales by 2^k as exp does), and converts round(x / ln 2) to an integer: lanes outside
  // exp's exact range get 0 and are patched with std::expm1 after, as exp_exact does.
  static B expm1_exact(const B& x) {
    const auto in_range = (x >= B(kExpLow)) & (x <= B(kExpHigh));  // false for NaN
    B result = xsimd::expm1(xsimd::select(in_range, x, B(T(0))));
    if (!xsimd::all(in_range))
      result = patch_lanes(x, result, &exp_is_slow, [](T v) { return std::expm1(v); });
    return xsimd::select(x == B(T(0)), x, result);  // expm1(-0) = -0
  }
  // xsimd 8.1's tanh takes exp(2|x|), which converts round(2|x| / ln 2) to an integer: undefined
  // behaviour for +-inf, NaN and huge |x| (UBSan: "inf is outside the range of representable
  // values of type 'long'"). Beyond kTanhSaturation tanh is +-1 in the type (float32 from about
  // 9.01, float64 from about 19.06), so those lanes take the sign, NaN stays NaN, and every lane
  // xsimd does see gives the bits it gave before.
  static constexpr T kTanhSaturation = kFloat ? T(20.0) : T(40.0);
  static B tanh_exact(const B& x) {
    const auto in_range = xsimd::abs(x) <= B(kTanhSaturation);  // false for NaN
    const B fast = xsimd::tanh(xsimd::select(in_range, x, B(T(0))));
    if (xsimd::all(in_range)) return fast;
    const B saturated = xsimd::select(x > B(T(0)), B(T(1)), B(T(-1)));
    return xsimd::select(in_range, fast, xsimd::select(xsimd::isnan(x), x, saturated));
  }

  // Without SSE4.1, xsimd 8.1's floor truncates through an integer conversion of every lane:
  // undefined behaviour for +-inf, NaN and |x| >= 2^63. From 2^23 (float32) or 2^52 (float64) on,
  // every value is an integer, so those lanes are their own floor.
  static B floor_exact(const B& x) {
    const auto in_range = xsimd::abs(x) < B(kFloat ? T(0x1p23) : T(0x1p52));  // false for NaN
    return xsimd::select(in_range, xsimd::floor(xsimd::select(in_range, x, B(T(0)))), x);
  }

  // xsimd 8.1's log1p gives +0 at -0; it is right at subnormals and huge arguments.
  static B log1p_exact(const B& x) {
    return xsimd::select(x == B(T(0)), x, xsimd::log1p(x));  // log1p(-0) = -0
  }

  template <class F>
  static B lane_by_lane(const B& x, F f) {
    alignas(64) T lanes[W];
    x.store_aligned(lanes);
    for (T& v : lanes)
      v = f(v);
    return B::load_aligned(lanes);
  }

  // ---- the math policy of the formulas (Note [elementwise formulas] in formulas.hpp) ----
  struct Math {
    static B exp(const B& x) { return exp_exact(x); }
    static B log(const B& x) { return log_exact(x); }
    static B sqrt(const B& x) { return xsimd::sqrt(x); }
    static B abs(const B& x) { return xsimd::abs(x); }
    static B tanh(const B& x) { return tanh_exact(x); }
    static B erf(const B& x) { return xsimd::erf(x); }
    // xsimd's float64 erf is up to ~20 ulps off (erf(2.278209067319078) by 21): the erf row
    // takes C's erf lane by lane; gelu keeps xsimd's (its bits are recorded).
    static B erf_exact(const B& x) {
      alignas(64) T lanes[W];
      x.store_aligned(lanes);
      for (T& v : lanes)
        v = std::erf(v);
      return B::load_aligned(lanes);
    }
    static B sin(const B& x) { return xsimd::sin(x); }
    static B cos(const B& x) { return xsimd::cos(x); }
    // C's tan, log2 and log10 lane by lane: exact at the edges (subnormals, +-0, infinities),
    // where xsimd 8.1's functions are not all checked; log2(2^k) is exactly k.
    static B tan(const B& x) {
      return lane_by_lane(x, [](T v) { return std::tan(v); });
    }
    static B log2(const B& x) {
      return lane_by_lane(x, [](T v) { return std::log2(v); });
    }
    static B log10(const B& x) {
      return lane_by_lane(x, [](T v) { return std::log10(v); });
    }
    static B log1p(const B& x) { return log1p_exact(x); }
    static B expm1(const B& x) { return expm1_exact(x); }
    static B floor(const B& x) { return floor_exact(x); }
    static B nearbyint(const B& x) { return xsimd::nearbyint(x); }  // half to even
    static B select(const typename B::batch_bool_type& c, const B& a, const B& b) {
      return xsimd::select(c, a, b);
    }
    static typename B::batch_bool_type isnan(const B& x) { return xsimd::isnan(x); }
    static B min(const B& a, const B& b) { return xsimd::min(a, b); }
    static B max(const B& a, const B& b) { return xsimd::max(a, b); }
  };

  // ---- unary: one case per kernel, from the op table ----
  [[gnu::always_inline]] static inline B apply_unary(kindling::kernels::UnaryKernel op, const B& x,
                                                     const kindling::UnaryArgs& args) {
    using kindling::kernels::UnaryKernel;
    switch (op) {
#define KINDLING_X(name, ...) \
  case UnaryKernel::name:     \
    return kindling::formula::name::forward<Math>(x);
      KINDLING_UNARY_KERNELS(KINDLING_X)
#undef KINDLING_X
#define KINDLING_X(name, ...)                               \
  case UnaryKernel::name:                                   \
    return kindling::formula::name::forward<Math>(x, args); \
  case UnaryKernel::name##_grad:                            \
    return kindling::formula::name::derivative<Math>(x, args);
      KINDLING_TENSOR_UNARY_PARAM(KINDLING_X)
#undef KINDLING_X
    }
    return x;
  }

  // The loop is instantiated per kernel (the switch is taken once per call, not once per
  // vector), so each formula is inlined into its own loop and its constants stay in registers.
  template <kindling::kernels::UnaryKernel K>
  static void unary_loop(const T* x, T* y, std::int64_t n, const kindling::UnaryArgs& args) {
    std::int64_t i = 0;
    for (; i + W <= n; i += W)
      apply_unary(K, B::load_unaligned(x + i), args).store_unaligned(y + i);
    if (i < n) {
      // The tail through the same vector code, on a padded copy, so tail and body agree exactly.
      alignas(64) T in[W] = {}, out[W];
      for (std::int64_t j = 0; i + j < n; ++j)
        in[j] = x[i + j];
      apply_unary(K, B::load_unaligned(in), args).store_unaligned(out);
      for (std::int64_t j = 0; i + j < n; ++j)
        y[i + j] = out[j];
    }
  }

  static void unary(kindling::kernels::UnaryKernel op, const T* x, T* y, std::int64_t n,
                    const kindling::UnaryArgs& args) {
    using kindling::kernels::UnaryKernel;
    switch (op) {
#define KINDLING_X(name, ...) \
  case UnaryKernel::name:     \
    return unary_loop<UnaryKernel::name>(x, y, n, args);
      KINDLING_UNARY_KERNELS(KINDLING_X)
#undef KINDLING_X
#define KINDLING_X(name, ...)                            \
  case UnaryKernel::name:                                \
    return unary_loop<UnaryKernel::name>(x, y, n, args); \
  case UnaryKernel::name##_grad:                         \
    return unary_loop<UnaryKernel::name##_grad>(x, y, n, args);
      KINDLING_TENSOR_UNARY_PARAM(KINDLING_X)
#undef KINDLING_X
    }
  }

  // ---- binary ----
  template <class V>
  static V apply_binary(kindling::kernels::BinaryKernel op, const V& a, const V& b) {
    using kindling::kernels::BinaryKernel;
    const V one(T(1)), zero(T(0));
    switch (op) {
      case BinaryKernel::add:
        return a + b;
      case BinaryKernel::sub:
        return a - b;
      case BinaryKernel::mul:
        return a * b;
      case BinaryKernel::div:
        return a / b;
      case BinaryKernel::pow:  // never reached: binary() sends pow to pow_loop
        return a;
      // special::maximum / minimum: NaN in either operand wins, a tie gives b. xsimd's != is
      // ordered on AVX (NaN != NaN is false there), so NaN is tested with isnan.
      case BinaryKernel::maximum:
        return xsimd::select(xsimd::isnan(a) | (a > b), a, b);
      case BinaryKernel::minimum:
        return xsimd::select(xsimd::isnan(a) | (a < b), a, b);
      case BinaryKernel::eq:
        return xsimd::select(a == b, one, zero);
      // Not `a != b`: xsimd 8 compares with _CMP_NEQ_OQ (ordered) on AVX and AVX-512, which is
      // false for NaN, unlike C++, SSE2 and PyTorch (nan != x is true).
      case BinaryKernel::ne:
        return xsimd::select(a == b, zero, one);
      case BinaryKernel::lt:
        return xsimd::select(a < b, one, zero);
      case BinaryKernel::le:
        return xsimd::select(a <= b, one, zero);
      case BinaryKernel::gt:
        return xsimd::select(a > b, one, zero);
      case BinaryKernel::ge:
        return xsimd::select(a >= b, one, zero);
      case BinaryKernel::relu_grad:  // special::relu_grad: g at x > 0 and at NaN
        return xsimd::select(b <= zero, zero, a);
#define KINDLING_X(name, dtypes, bwd, ...)                       \
  KINDLING_IF_POINTWISE_##bwd(case BinaryKernel::name##_backward \
                              : return kindling::formula::name::backward<Math>(a, b);)
        KINDLING_TENSOR_UNARY(KINDLING_X)
#undef KINDLING_X
    }
    return a;
  }

  // ---- pow: C99's pow (Note [special values]) ----
  // xsimd's pow is exp(b log |a|): wrong at 0^0, 0^-1, inf^0, NaN^0, 1^inf and subnormals, and
  // loses accuracy as |b log a| grows. So pow is std::pow element by element, except for the
  // exponents a model raises to most often, whose exact forms are the correctly rounded results
  // and give C99's special values: these run as vectors when the exponent is broadcast. The
  // scalar form applies the same cases, so every path gives the same bits.
  static T pow_scalar(T a, T b) {
    if (b == T(2)) return a * a;
    if (b == T(1)) return a;
    if (b == T(0)) return T(1);  // also NaN^0
    if (b == T(-1)) return T(1) / a;
    if (b == T(0.5))  // C99: pow(-0, 0.5) = +0, pow(-inf, 0.5) = +inf (sqrt gives -0 and NaN)
      return a == T(0) ? T(0) : (a == -std::numeric_limits<T>::infinity() ? -a : std::sqrt(a));
    return std::pow(a, b);
  }
  static bool pow_has_vector_form(T b) {
    return b == T(2) || b == T(1) || b == T(0) || b == T(-1) || b == T(0.5);
  }
  // The vector form of pow_scalar(x, k) for an exponent with pow_has_vector_form.
  static B pow_vector(const B& x, T k) {
    if (k == T(2)) return x * x;
    if (k == T(1)) return x;
    if (k == T(0)) return B(T(1));
    if (k == T(-1)) return B(T(1)) / x;
    const B inf(std::numeric_limits<T>::infinity());
    return xsimd::select(x == B(T(0)), B(T(0)), xsimd::select(x == -inf, inf, xsimd::sqrt(x)));
  }
  static void pow_loop(const T* a, std::int64_t sa, const T* b, std::int64_t sb, T* out,
                       std::int64_t n) {
    if (sb != 0 || !pow_has_vector_form(b[0])) {
      for (std::int64_t i = 0; i < n; ++i)
        out[i] = pow_scalar(a[i * sa], b[i * sb]);
      return;
    }
    const T k = b[0];
    std::int64_t i = 0;
    const B a_scalar(a[0]);
    for (; i + W <= n; i += W)
      pow_vector(sa ? B::load_unaligned(a + i) : a_scalar, k).store_unaligned(out + i);
    if (i < n) {
      alignas(64) T ta[W] = {}, to[W];
      for (std::int64_t j = 0; i + j < n; ++j)
        ta[j] = a[(i + j) * sa];
      pow_vector(B::load_aligned(ta), k).store_aligned(to);
      for (std::int64_t j = 0; i + j < n; ++j)
        out[i + j] = to[j];
    }
  }

  static void binary(kindling::kernels::BinaryKernel op, const T* a, std::int64_t sa, const T* b,
                     std::int64_t sb, T* out, std::int64_t n) {
    if (op == kindling::kernels::BinaryKernel::pow)
      pow_loop(a, sa, b, sb, out, n);
    else
      binary_vector(op, a, sa, b, sb, out, n);
  }

  static void binary_vector(kindling::kernels::BinaryKernel op, const T* a, std::int64_t sa,
                            const T* b, std::int64_t sb, T* out, std::int64_t n) {
    std::int64_t i = 0;
    const B a_scalar(a[0]), b_scalar(b[0]);
    for (; i + W <= n; i += W) {
      const B va = sa ? B::load_unaligned(a + i) : a_scalar;
      const B vb = sb ? B::load_unaligned(b + i) : b_scalar;
      apply_binary(op, va, vb).store_unaligned(out + i);
    }
    if (i < n) {
      alignas(64) T ta[W] = {}, tb[W] = {}, to[W];
      for (std::int64_t j = 0; i + j < n; ++j) {
        ta[j] = a[(i + j) * sa];
        tb[j] = b[(i + j) * sb];
      }
      apply_binary(op, B::load_unaligned(ta), B::load_unaligned(tb)).store_unaligned(to);
      for (std::int64_t j = 0; i + j < n; ++j)
        out[i + j] = to[j];
    }
  }

  // ---- reductions: four accumulators hide the add latency; the order is fixed for a given n,
  // so results do not depend on the thread count. max and min propagate NaN (special::maximum):
  // xsimd::max is x86's maxps, which drops a NaN in its first operand. ----
  static B combine(kindling::kernels::ReduceKernel op, const B& p, const B& q) {
    using kindling::kernels::ReduceKernel;
    if (op == ReduceKernel::sum) return p + q;
    if (op == ReduceKernel::max) return xsimd::select(xsimd::isnan(p) | (p > q), p, q);
    return xsimd::select(xsimd::isnan(p) | (p < q), p, q);
  }
  static T combine_scalar(kindling::kernels::ReduceKernel op, T p, T q) {
    using kindling::kernels::ReduceKernel;
    if (op == ReduceKernel::sum) return p + q;
    return op == ReduceKernel::max ? kindling::special::maximum(p, q)
                                   : kindling::special::minimum(p, q);
  }

  // Whole vectors into four accumulators, then the remaining whole vectors into the first, then
  // the last partial vector padded with an identity (-0 for a sum: -0 + v is v for every v, -0
  // included; the last element for max and min, so that a run of ties such as 0 and -0 ends on
  // its last element, as torch's), then the lanes pairwise. Short runs (a sum over a small
  // dimension) stay in vectors, not in a scalar loop.
  static T reduce(kindling::kernels::ReduceKernel op, const T* x, std::int64_t n) {
    using kindling::kernels::ReduceKernel;
    const bool is_sum = op == ReduceKernel::sum;
    if (n < W) {
      T result = is_sum ? T(0) : x[0];
      for (std::int64_t i = 0; i < n; ++i)
        result = combine_scalar(op, result, x[i]);
      return result;
    }
    B acc0 = B::load_unaligned(x);
    std::int64_t i = W;
    if (n >= 4 * W) {
      B acc1 = B::load_unaligned(x + W), acc2 = B::load_unaligned(x + 2 * W),
        acc3 = B::load_unaligned(x + 3 * W);
      for (i = 4 * W; i + 4 * W <= n; i += 4 * W) {
        acc0 = combine(op, acc0, B::load_unaligned(x + i));
        acc1 = combine(op, acc1, B::load_unaligned(x + i + W));
        acc2 = combine(op, acc2, B::load_unaligned(x + i + 2 * W));
        acc3 = combine(op, acc3, B::load_unaligned(x + i + 3 * W));
      }
      acc0 = combine(op, combine(op, acc0, acc1), combine(op, acc2, acc3));
    }
    for (; i + W <= n; i += W)
      acc0 = combine(op, acc0, B::load_unaligned(x + i));
    alignas(64) T lanes[W];
    if (i < n) {
      B(is_sum ? T(-0.0) : x[n - 1]).store_aligned(lanes);
      std::memcpy(lanes, x + i, static_cast<std::size_t>(n - i) * sizeof(T));
      acc0 = combine(op, acc0, B::load_aligned(lanes));
    }
    acc0.store_aligned(lanes);
    for (std::int64_t half = W / 2; half >= 1; half /= 2)
      for (std::int64_t j = 0; j < half; ++j)
        lanes[j] = combine_scalar(op, lanes[j], lanes[j + half]);
    return lanes[0];
  }

  static void accumulate(kindling::kernels::ReduceKernel op, const T* x, T* acc, std::int64_t n) {
    std::int64_t i = 0;
    for (; i + W <= n; i += W)
      combine(op, B::load_unaligned(acc + i), B::load_unaligned(x + i)).store_unaligned(acc + i);
    for (; i < n; ++i)
      acc[i] = combine_scalar(op, acc[i], x[i]);
  }

  static kindling::kernels::cpu::SimdLoops<T> table() {
    return {&unary, &binary, &reduce, &accumulate};
  }
};

template <class Arch>
kindling::kernels::cpu::SimdOps make_simd_ops(const char* name) {
  return {name, Loops<float, Arch>::table(), Loops<double, Arch>::table()};
}
