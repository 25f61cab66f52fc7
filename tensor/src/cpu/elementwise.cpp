// CPU kernels for copy, fill, unary and binary maps and where: strided walks (iter.hpp) around
// the SIMD loops (simd.hpp). Non-contiguous rows are gathered into a small buffer and run through
// the same SIMD loop, so a transposed input gives bit-identical results to a contiguous one.
#include <cmath>
#include <cstdint>
#include <cstring>

#include "cpu.hpp"
#include "iter.hpp"
#include "kindling/engine/error.hpp"
#include "kindling/tensor/element.hpp"
#include "kindling/tensor/formulas.hpp"
#include "simd.hpp"

namespace kindling::kernels::cpu {

namespace {

constexpr std::int64_t kChunk = 256;  // elements per gather buffer

template <class T>
T* typed(char* p) {
  return reinterpret_cast<T*>(p);
}

// ---- int64 and bool forms (no SIMD: these tensors are labels, indices and masks, not hot
// paths). int64 wraps around and never divides by zero (element.hpp); the ops reject what PyTorch
// rejects (bool negation, subtraction, pow) before a kernel runs, so those bool cases only have to
// be defined. ----
// One case per kernel, from the op table: a `numeric` row's formula::name::integer, 0 for the
// floating-only rows and backward kernels (rejected before the walk).
template <class F>
std::int64_t integer_form(std::int64_t x) {
  if constexpr (formula::has_integer_form<F>)
    return F::integer(x);
  else
    return 0;
}

std::int64_t unary_int(UnaryKernel op, std::int64_t x) {
  switch (op) {
#define KINDLING_X(name, dtypes, ...)                                                          \
  case UnaryKernel::name:                                                                      \
    static_assert(                                                                             \
        formula::has_integer_form<formula::name> == (DTypeRule::dtypes == DTypeRule::numeric), \
        #name ": a numeric row needs formula::" #name                                          \
              "::integer, a floating "                                                         \
              "row has none");                                                                 \
    return integer_form<formula::name>(x);
    KINDLING_UNARY_KERNELS(KINDLING_X)
#undef KINDLING_X
    KINDLING_TENSOR_UNARY_PARAM(KINDLING_X_PARAM_KERNEL_CASES_)
    return 0;  // floating only: rejected by the ops
  }
  return 0;
}

bool unary_bool(UnaryKernel, bool x) {
  return x;  // abs, sign and relu of 0 or 1 are themselves; the rest are rejected by the ops
}

template <class T>
bool compare_scalar(BinaryKernel op, T a, T b) {
  switch (op) {
    case BinaryKernel::eq:
      return a == b;
    case BinaryKernel::ne:
      return a != b;
    case BinaryKernel::lt:
      return a < b;
    case BinaryKernel::le:
      return a <= b;
    case BinaryKernel::gt:
      return a > b;
    case BinaryKernel::ge:
      return a >= b;
#define KINDLING_X(name, ...) case BinaryKernel::name:
      KINDLING_TENSOR_BINARY(KINDLING_X)
#undef KINDLING_X
    case BinaryKernel::relu_grad:
#define KINDLING_X(name, dtypes, bwd, ...) \
  KINDLING_IF_POINTWISE_##bwd(case BinaryKernel::name##_backward:)
      KINDLING_TENSOR_UNARY(KINDLING_X)
#undef KINDLING_X
      break;  // not comparisons
  }
  return false;
}

// The pointwise backward kernels are floating only: the ops reject int64 and bool before a kernel
// runs, so their cases here only have to be defined.
#define KINDLING_POINTWISE_BACKWARD_CASES KINDLING_TENSOR_UNARY(KINDLING_X_POINTWISE_CASE_)
#define KINDLING_X_POINTWISE_CASE_(name, dtypes, bwd, ...) \
  KINDLING_IF_POINTWISE_##bwd(case BinaryKernel::name##_backward:)

std::int64_t binary_int(BinaryKernel op, std::int64_t a, std::int64_t b) {
  switch (op) {
    case BinaryKernel::add:
      return element::wrapping_add(a, b);
    case BinaryKernel::sub:
      return element::wrapping_sub(a, b);
    case BinaryKernel::mul:
      return element::wrapping_mul(a, b);
    case BinaryKernel::div:
      return element::int_div(a, b);
    case BinaryKernel::pow:
      return element::int_pow(a, b);
    case BinaryKernel::maximum:
      return a > b ? a : b;
    case BinaryKernel::minimum:
      return a < b ? a : b;
    case BinaryKernel::relu_grad:
      return b > 0 ? a : 0;
#define KINDLING_X(name) case BinaryKernel::name:
      KINDLING_COMPARISON_KERNELS(KINDLING_X)
#undef KINDLING_X
      return compare_scalar(op, a, b);
      KINDLING_POINTWISE_BACKWARD_CASES
      return 0;
  }
  return 0;
}

bool binary_bool(BinaryKernel op, bool a, bool b) {
  switch (op) {
    case BinaryKernel::add:
    case BinaryKernel::maximum:
      return a || b;
    case BinaryKernel::mul:
    case BinaryKernel::minimum:
      return a && b;
    case BinaryKernel::sub:
      return a != b;
    case BinaryKernel::div:
      return a;  // a / 1; the ops divide in float32
    case BinaryKernel::pow:
      return a || !b;
    case BinaryKernel::relu_grad:
      return b && a;
#define KINDLING_X(name) case BinaryKernel::name:
      KINDLING_COMPARISON_KERNELS(KINDLING_X)
#undef KINDLING_X
      return compare_scalar(op, a, b);
      KINDLING_POINTWISE_BACKWARD_CASES
      return false;
  }
  return false;
}

template <class From, class To>
void copy_typed(const StridedView& src, const StridedView& dst) {
  Walk walk({&dst, &src});
  const std::int64_t sd = walk.inner_stride(0), ss = walk.inner_stride(1);
  walk.for_each_block([&](const auto& p, std::int64_t start, std::int64_t n) {
    To* out = typed<To>(p[0]) + start * sd;
    const From* in = typed<From>(p[1]) + start * ss;
    if constexpr (std::is_same_v<From, To>) {
      if (sd == 1 && ss == 1) {
        std::memcpy(out, in, static_cast<std::size_t>(n) * sizeof(To));
        return;
      }
    }
    for (std::int64_t i = 0; i < n; ++i)
      out[i * sd] = element::convert<To>(in[i * ss]);
  });
}

}  // namespace

void copy(const StridedView& src, const StridedView& dst) {
  with_dtype(src.dtype, [&]<class From>() {
    with_dtype(dst.dtype, [&]<class To>() { copy_typed<From, To>(src, dst); });
  });
}

void fill(const StridedView& dst, double value) {
  with_dtype(dst.dtype, [&]<class T>() {
    const T v = element::convert<T>(value);
    Walk walk({&dst});
    const std::int64_t s = walk.inner_stride(0);
    walk.for_each_block([&](const auto& p, std::int64_t start, std::int64_t n) {
      T* out = typed<T>(p[0]) + start * s;
      for (std::int64_t i = 0; i < n; ++i)
        out[i * s] = v;
    });
  });
}

void unary(UnaryKernel op, const StridedView& x, const StridedView& y, const UnaryArgs& args) {
  Walk walk({&y, &x});
  const std::int64_t sy = walk.inner_stride(0), sx = walk.inner_stride(1);
  with_dtype(x.dtype, [&]<class T>() {
    walk.for_each_block([&](const auto& p, std::int64_t start, std::int64_t n) {
      T* out = typed<T>(p[0]) + start * sy;
      const T* in = typed<T>(p[1]) + start * sx;
      if constexpr (std::is_same_v<T, std::int64_t>) {
        for (std::int64_t i = 0; i < n; ++i)
          out[i * sy] = unary_int(op, in[i * sx]);
      } else if constexpr (std::is_same_v<T, bool>) {
        for (std::int64_t i = 0; i < n; ++i)
          out[i * sy] = unary_bool(op, in[i * sx]);
      } else if (sy == 1 && sx == 1) {
        loops<T>().unary(op, in, out, n, args);
      } else {
        T buffer[kChunk];
        for (std::int64_t i = 0; i < n; i += kChunk) {
          const std::int64_t m = std::min(kChunk, n - i);
          for (std::int64_t j = 0; j < m; ++j)
            buffer[j] = in[(i + j) * sx];
          loops<T>().unary(op, buffer, buffer, m, args);
          for (std::int64_t j = 0; j < m; ++j)
            out[(i + j) * sy] = buffer[j];
        }
      }
    });
  });
}

namespace {

// out (bool) = a op b for a comparison op over operands of type T. Floating operands go through
// the SIMD loops (1 or 0 in T) a chunk at a time, so a mask agrees exactly with the same comparison
// written into T.
template <class T>
void compare_walk(BinaryKernel op, const Walk& walk) {
  const std::int64_t so = walk.inner_stride(0), sa = walk.inner_stride(1),
                     sb = walk.inner_stride(2);
  walk.for_each_block([&](const auto& p, std::int64_t start, std::int64_t n) {
    bool* z = typed<bool>(p[0]) + start * so;
    const T* x = typed<T>(p[1]) + start * sa;
    const T* y = typed<T>(p[2]) + start * sb;
    if constexpr (!std::is_floating_point_v<T>) {
      for (std::int64_t i = 0; i < n; ++i)
        z[i * so] = compare_scalar(op, x[i * sa], y[i * sb]);
    } else {
      T ba[kChunk], bb[kChunk];
      for (std::int64_t i = 0; i < n; i += kChunk) {
        const std::int64_t m = std::min(kChunk, n - i);
        for (std::int64_t j = 0; j < m; ++j) {
          ba[j] = x[(i + j) * sa];
          bb[j] = y[(i + j) * sb];
        }
        loops<T>().binary(op, ba, 1, bb, 1, ba, m);
        for (std::int64_t j = 0; j < m; ++j)
          z[(i + j) * so] = ba[j] != T(0);
      }
    }
  });
}

}  // namespace

void binary(BinaryKernel op, const StridedView& a, const StridedView& b, const StridedView& out) {
  Walk walk({&out, &a, &b});
  const std::int64_t so = walk.inner_stride(0), sa = walk.inner_stride(1),
                     sb = walk.inner_stride(2);
  with_dtype(a.dtype, [&]<class T>() {
    if (out.dtype != a.dtype) {  // a comparison into a bool mask
      compare_walk<T>(op, walk);
      return;
    }
    walk.for_each_block([&](const auto& p, std::int64_t start, std::int64_t n) {
      T* z = typed<T>(p[0]) + start * so;
      const T* x = typed<T>(p[1]) + start * sa;
      const T* y = typed<T>(p[2]) + start * sb;
      if constexpr (std::is_same_v<T, std::int64_t>) {
        for (std::int64_t i = 0; i < n; ++i)
          z[i * so] = binary_int(op, x[i * sa], y[i * sb]);
      } else if constexpr (std::is_same_v<T, bool>) {
        for (std::int64_t i = 0; i < n; ++i)
          z[i * so] = binary_bool(op, x[i * sa], y[i * sb]);
      } else if (so == 1 && (sa == 0 || sa == 1) && (sb == 0 || sb == 1)) {
        loops<T>().binary(op, x, sa, y, sb, z, n);
      } else {
        T ba[kChunk], bb[kChunk];
        for (std::int64_t i = 0; i < n; i += kChunk) {
          const std::int64_t m = std::min(kChunk, n - i);
          for (std::int64_t j = 0; j < m; ++j) {
            ba[j] = x[(i + j) * sa];
            bb[j] = y[(i + j) * sb];
          }
          loops<T>().binary(op, ba, 1, bb, 1, ba, m);
          for (std::int64_t j = 0; j < m; ++j)
            z[(i + j) * so] = ba[j];
        }
      }
    });
  });
}

void where(const StridedView& cond, const StridedView& a, const StridedView& b,
           const StridedView& out) {
  Walk walk({&out, &a, &b, &cond});
  const std::int64_t so = walk.inner_stride(0), sa = walk.inner_stride(1),
                     sb = walk.inner_stride(2), sc = walk.inner_stride(3);
  with_dtype(out.dtype, [&]<class T>() {
    with_dtype(cond.dtype, [&]<class C>() {
      walk.for_each_block([&](const auto& p, std::int64_t start, std::int64_t n) {
        T* z = typed<T>(p[0]) + start * so;
        const T* x = typed<T>(p[1]) + start * sa;
        const T* y = typed<T>(p[2]) + start * sb;
        const C* c = typed<C>(p[3]) + start * sc;
        for (std::int64_t i = 0; i < n; ++i)
          z[i * so] = c[i * sc] != C(0) ? x[i * sa] : y[i * sb];
      });
    });
  });
}

}  // namespace kindling::kernels::cpu
