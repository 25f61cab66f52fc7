// The xsimd loops behind SimdOps, templated on the architecture (Note [simd dispatch]).
// Included by simd_<arch>.cpp only, each inside its own namespace, so that the copies compiled
// with different instruction sets never merge at link time.
// The including file includes <cmath>, <numbers>, <xsimd/xsimd.hpp> and simd.hpp first.

template <class T, class Arch>
struct Loops {
  using B = xsimd::batch<T, Arch>;
  static constexpr std::int64_t W = static_cast<std::int64_t>(B::size);

  // ---- unary: each op is a vector form and a scalar form of the same formula ----
  template <class V>
  static V apply_unary(kindling::kernels::UnaryKernel op, const V& x) {
    using kindling::kernels::UnaryKernel;
    const V one(T(1)), zero(T(0)), half(T(0.5));
    switch (op) {
      case UnaryKernel::neg:
        return -x;
      case UnaryKernel::exp:
        return xsimd::exp(x);
      case UnaryKernel::log:
        return xsimd::log(x);
      case UnaryKernel::sqrt:
        return xsimd::sqrt(x);
      case UnaryKernel::abs:
        return xsimd::abs(x);
      case UnaryKernel::sign:
        return xsimd::select(x > zero, one, xsimd::select(x < zero, -one, zero));
      case UnaryKernel::tanh:
        return xsimd::tanh(x);
      // exp(-x) overflows to inf for very negative x, and 1 / inf is the right limit 0.
      case UnaryKernel::sigmoid:
        return one / (one + xsimd::exp(-x));
      case UnaryKernel::relu:
        return xsimd::select(x > zero, x, zero);
      case UnaryKernel::gelu:
        return half * x * (one + xsimd::erf(x * V(T(std::numbers::sqrt2 / 2))));
      case UnaryKernel::gelu_grad: {
        // d/dx x Phi(x) = Phi(x) + x phi(x)
        const V cdf = half * (one + xsimd::erf(x * V(T(std::numbers::sqrt2 / 2))));
        const V pdf =
            xsimd::exp(-half * x * x) * V(T(0.5 * std::numbers::inv_sqrtpi * std::numbers::sqrt2));
        return cdf + x * pdf;
      }
    }
    return x;
  }

  static void unary(kindling::kernels::UnaryKernel op, const T* x, T* y, std::int64_t n) {
    std::int64_t i = 0;
    for (; i + W <= n; i += W)
      apply_unary(op, B::load_unaligned(x + i)).store_unaligned(y + i);
    if (i < n) {
      // The tail through the same vector code, on a padded copy, so tail and body agree exactly.
      alignas(64) T in[W] = {}, out[W];
      for (std::int64_t j = 0; i + j < n; ++j)
        in[j] = x[i + j];
      apply_unary(op, B::load_unaligned(in)).store_unaligned(out);
      for (std::int64_t j = 0; i + j < n; ++j)
        y[i + j] = out[j];
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
      case BinaryKernel::pow:
        return xsimd::pow(a, b);
      case BinaryKernel::maximum:
        return xsimd::select(a != a, a, xsimd::select(b != b, b, xsimd::max(a, b)));
      case BinaryKernel::minimum:
        return xsimd::select(a != a, a, xsimd::select(b != b, b, xsimd::min(a, b)));
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
      case BinaryKernel::relu_grad:
        return xsimd::select(b > zero, a, zero);
    }
    return a;
  }

  static void binary(kindling::kernels::BinaryKernel op, const T* a, std::int64_t sa, const T* b,
                     std::int64_t sb, T* out, std::int64_t n) {
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
  // so results do not depend on the thread count ----
  static T reduce(kindling::kernels::ReduceKernel op, const T* x, std::int64_t n) {
    using kindling::kernels::ReduceKernel;
    const bool is_sum = op == ReduceKernel::sum;
    auto combine = [&](const B& p, const B& q) {
      return is_sum ? p + q : (op == ReduceKernel::max ? xsimd::max(p, q) : xsimd::min(p, q));
    };
    auto combine_scalar = [&](T p, T q) {
      return is_sum ? p + q : (op == ReduceKernel::max ? (q > p ? q : p) : (q < p ? q : p));
    };
    const T init = is_sum ? T(0) : x[0];
    std::int64_t i = 0;
    T result = init;
    if (n >= 4 * W) {
      B acc0 = B::load_unaligned(x), acc1 = B::load_unaligned(x + W),
        acc2 = B::load_unaligned(x + 2 * W), acc3 = B::load_unaligned(x + 3 * W);
      for (i = 4 * W; i + 4 * W <= n; i += 4 * W) {
        acc0 = combine(acc0, B::load_unaligned(x + i));
        acc1 = combine(acc1, B::load_unaligned(x + i + W));
        acc2 = combine(acc2, B::load_unaligned(x + i + 2 * W));
        acc3 = combine(acc3, B::load_unaligned(x + i + 3 * W));
      }
      const B acc = combine(combine(acc0, acc1), combine(acc2, acc3));
      alignas(64) T lanes[W];
      acc.store_aligned(lanes);
      result = lanes[0];
      for (std::int64_t j = 1; j < W; ++j)
        result = combine_scalar(result, lanes[j]);
    }
    for (; i < n; ++i)
      result = combine_scalar(result, x[i]);
    return result;
  }

  static void accumulate(kindling::kernels::ReduceKernel op, const T* x, T* acc, std::int64_t n) {
    using kindling::kernels::ReduceKernel;
    std::int64_t i = 0;
    for (; i + W <= n; i += W) {
      const B a = B::load_unaligned(acc + i), v = B::load_unaligned(x + i);
      const B r = op == ReduceKernel::sum   ? a + v
                  : op == ReduceKernel::max ? xsimd::max(a, v)
                                            : xsimd::min(a, v);
      r.store_unaligned(acc + i);
    }
    for (; i < n; ++i) {
      const T a = acc[i], v = x[i];
      acc[i] = op == ReduceKernel::sum   ? a + v
               : op == ReduceKernel::max ? (v > a ? v : a)
                                         : (v < a ? v : a);
    }
  }

  static kindling::kernels::cpu::SimdLoops<T> table() {
    return {&unary, &binary, &reduce, &accumulate};
  }
};

template <class Arch>
kindling::kernels::cpu::SimdOps make_simd_ops(const char* name) {
  return {name, Loops<float, Arch>::table(), Loops<double, Arch>::table()};
}
