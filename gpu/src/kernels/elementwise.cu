// CUDA elementwise kernels: copy (with dtype conversion, element.hpp), fill, unary and binary maps,
// comparisons (into bool masks) and where, over strided operands of one shape (broadcast
// dimensions have stride 0). CPU twins: tensor/src/cpu/elementwise.cpp, with the same formulas as
// tensor/src/cpu/simd_impl.hpp and element.hpp; the lines that decide special values come from
// kindling/tensor/special_values.hpp, and every unary kernel is its formula in
// kindling/tensor/formulas.hpp, shared with the CPU (Note [special values], Note [elementwise
// formulas]). CUDA's exp, log and pow keep subnormals (no -ftz) and follow C99.
#include "common.cuh"
#include "kindling/tensor/formulas.hpp"
#include "kindling/tensor/special_values.hpp"
#include "launchers.hpp"

namespace kindling::gpu {

using namespace device;

namespace {

// One case per kernel, from the op table: formula::name (formulas.hpp), as on the CPU.
template <class F>
__device__ std::int64_t integer_form(std::int64_t x) {
  if constexpr (formula::has_integer_form<F>)
    return F::integer(x);
  else
    return 0;  // a floating-only kernel: rejected by the launcher
}

template <class T>
__device__ T unary_op(UnaryKernel op, T x, const UnaryArgs& args) {
  if constexpr (std::is_same_v<T, bool>) {
    return x;  // abs, sign and relu of 0 or 1; the ops reject the rest for bool
  } else if constexpr (std::is_same_v<T, std::int64_t>) {
    switch (op) {
#define KINDLING_X(name, ...) \
  case UnaryKernel::name:     \
    return integer_form<formula::name>(x);
      KINDLING_UNARY_KERNELS(KINDLING_X)
#undef KINDLING_X
      KINDLING_TENSOR_UNARY_PARAM(KINDLING_X_PARAM_KERNEL_CASES_)
      return 0;  // floating only: rejected by the launcher
    }
    return 0;
  } else {
    switch (op) {
#define KINDLING_X(name, ...) \
  case UnaryKernel::name:     \
    return formula::name::forward<DeviceMath>(x);
      KINDLING_UNARY_KERNELS(KINDLING_X)
#undef KINDLING_X
#define KINDLING_X(name, ...)                           \
  case UnaryKernel::name:                               \
    return formula::name::forward<DeviceMath>(x, args); \
  case UnaryKernel::name##_grad:                        \
    return formula::name::derivative<DeviceMath>(x, args);
      KINDLING_TENSOR_UNARY_PARAM(KINDLING_X)
#undef KINDLING_X
    }
    return x;
  }
}

// The cases of the pointwise backward kernels (floating only, formula::name::backward).
#define KINDLING_X_POINTWISE_CASE_(name, dtypes, bwd, ...) \
  KINDLING_IF_POINTWISE_##bwd(case BinaryKernel::name##_backward:)
#define KINDLING_POINTWISE_BACKWARD_CASES KINDLING_TENSOR_UNARY(KINDLING_X_POINTWISE_CASE_)

// The comparisons, as bool (IEEE: every comparison with NaN is false but !=).
template <class T>
__device__ bool compare_op(BinaryKernel op, T a, T b) {
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
      KINDLING_POINTWISE_BACKWARD_CASES
      return false;  // not comparisons
  }
  return false;
}

// int64 wraps around and never traps (element.hpp); bool add is `or`, mul `and`, as on the CPU
// (tensor/src/cpu/elementwise.cpp).
template <class T>
__device__ T binary_op(BinaryKernel op, T a, T b) {
  if constexpr (std::is_same_v<T, bool>) {
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
        return a;
      case BinaryKernel::pow:
        return a || !b;
      case BinaryKernel::relu_grad:
        return b && a;
#define KINDLING_X(name) case BinaryKernel::name:
        KINDLING_COMPARISON_KERNELS(KINDLING_X)
#undef KINDLING_X
        return compare_op(op, a, b);
        KINDLING_POINTWISE_BACKWARD_CASES
        return false;  // floating only: rejected by the ops
    }
    return false;
  } else {
    constexpr bool integer = std::is_same_v<T, std::int64_t>;
    switch (op) {
      case BinaryKernel::add:
        if constexpr (integer)
          return element::wrapping_add(a, b);
        else
          return a + b;
      case BinaryKernel::sub:
        if constexpr (integer)
          return element::wrapping_sub(a, b);
        else
          return a - b;
      case BinaryKernel::mul:
        if constexpr (integer)
          return element::wrapping_mul(a, b);
        else
          return a * b;
      case BinaryKernel::div:
        if constexpr (integer)
          return element::int_div(a, b);
        else
          return a / b;
      case BinaryKernel::pow:  // C99's pow, as the CPU's
        if constexpr (integer)
          return element::int_pow(a, b);
        else
          return d_pow(a, b);
      // NaN in either operand wins, a tie gives b, as on the CPU.
      case BinaryKernel::maximum:
        return special::maximum(a, b);
      case BinaryKernel::minimum:
        return special::minimum(a, b);
      case BinaryKernel::eq:
        return a == b ? T(1) : T(0);
      case BinaryKernel::ne:
        return a != b ? T(1) : T(0);
      case BinaryKernel::lt:
        return a < b ? T(1) : T(0);
      case BinaryKernel::le:
        return a <= b ? T(1) : T(0);
      case BinaryKernel::gt:
        return a > b ? T(1) : T(0);
      case BinaryKernel::ge:
        return a >= b ? T(1) : T(0);
      case BinaryKernel::relu_grad:
        return special::relu_grad(a, b);
#define KINDLING_X(name, dtypes, bwd, ...)                          \
  KINDLING_IF_POINTWISE_##bwd(case BinaryKernel::name##_backward    \
                              : if constexpr (integer) return T(0); \
                              else return formula::name::backward<DeviceMath>(a, b);)
        KINDLING_TENSOR_UNARY(KINDLING_X)
#undef KINDLING_X
    }
    return T(0);
  }
}

// dst (shape) <- src (shape), converting From to To. Operand 0 is dst, 1 is src.
template <class From, class To>
__global__ void copy_kernel(Layout<2> l, To* dst, const From* src) {
  for (index_t i = blockIdx.x * index_t(blockDim.x) + threadIdx.x; i < l.numel;
       i += index_t(gridDim.x) * blockDim.x) {
    index_t off[2];
    offsets_of(l, i, off);
    dst[off[0]] = element::convert<To>(src[off[1]]);
  }
}

template <class T>
__global__ void fill_kernel(Layout<1> l, T* dst, T value) {
  for (index_t i = blockIdx.x * index_t(blockDim.x) + threadIdx.x; i < l.numel;
       i += index_t(gridDim.x) * blockDim.x) {
    index_t off[1];
    offsets_of(l, i, off);
    dst[off[0]] = value;
  }
}

// out (bool, shape) = a op b for a comparison op. Operand 0 is out.
template <class T>
__global__ void compare_kernel(BinaryKernel op, Layout<3> l, bool* out, const T* a, const T* b) {
  for (index_t i = blockIdx.x * index_t(blockDim.x) + threadIdx.x; i < l.numel;
       i += index_t(gridDim.x) * blockDim.x) {
    index_t off[3];
    offsets_of(l, i, off);
    out[off[0]] = compare_op(op, a[off[1]], b[off[2]]);
  }
}

// y (shape) = f(x (shape)). Operand 0 is y.
template <class T>
__global__ void unary_kernel(UnaryKernel op, UnaryArgs args, Layout<2> l, T* y, const T* x) {
  for (index_t i = blockIdx.x * index_t(blockDim.x) + threadIdx.x; i < l.numel;
       i += index_t(gridDim.x) * blockDim.x) {
    index_t off[2];
    offsets_of(l, i, off);
    y[off[0]] = unary_op(op, x[off[1]], args);
  }
}

// out (shape) = f(a (shape), b (shape)); broadcast operands have stride 0. Operand 0 is out.
template <class T>
__global__ void binary_kernel(BinaryKernel op, Layout<3> l, T* out, const T* a, const T* b) {
  for (index_t i = blockIdx.x * index_t(blockDim.x) + threadIdx.x; i < l.numel;
       i += index_t(gridDim.x) * blockDim.x) {
    index_t off[3];
    offsets_of(l, i, off);
    out[off[0]] = binary_op(op, a[off[1]], b[off[2]]);
  }
}

// out (shape) = cond (shape) != 0 ? a : b. Operands: out, a, b, cond.
template <class T, class C>
__global__ void where_kernel(Layout<4> l, T* out, const T* a, const T* b, const C* cond) {
  for (index_t i = blockIdx.x * index_t(blockDim.x) + threadIdx.x; i < l.numel;
       i += index_t(gridDim.x) * blockDim.x) {
    index_t off[4];
    offsets_of(l, i, off);
    out[off[0]] = cond[off[3]] != C(0) ? a[off[1]] : b[off[2]];
  }
}

}  // namespace

void copy(const StridedView& src, const StridedView& dst) {
  const Layout<2> l = make_layout<2>({&dst, &src});
  if (l.numel == 0) return;
  with_dtype(src.dtype, [&]<class From>() {
    with_dtype(dst.dtype, [&]<class To>() {
      copy_kernel<From, To><<<grid_for(l.numel), kThreads>>>(l, static_cast<To*>(dst.data),
                                                             static_cast<const From*>(src.data));
    });
  });
  KINDLING_CUDA_CHECK_LAUNCH("copy_kernel");
}

void fill(const StridedView& dst, double value) {
  const Layout<1> l = make_layout<1>({&dst});
  if (l.numel == 0) return;
  with_dtype(dst.dtype, [&]<class T>() {
    fill_kernel<T>
        <<<grid_for(l.numel), kThreads>>>(l, static_cast<T*>(dst.data), element::convert<T>(value));
  });
  KINDLING_CUDA_CHECK_LAUNCH("fill_kernel");
}

void unary(UnaryKernel op, const StridedView& x, const StridedView& y, const UnaryArgs& args) {
  KINDLING_CHECK(is_floating(x.dtype) || kernels::accepts_integers(op),
                 "unary: this op needs a floating-point tensor, got ", dtype_name(x.dtype));
  const Layout<2> l = make_layout<2>({&y, &x});
  if (l.numel == 0) return;
  with_dtype(x.dtype, [&]<class T>() {
    unary_kernel<T><<<grid_for(l.numel), kThreads>>>(op, args, l, static_cast<T*>(y.data),
                                                     static_cast<const T*>(x.data));
  });
  KINDLING_CUDA_CHECK_LAUNCH("unary_kernel");
}

void binary(BinaryKernel op, const StridedView& a, const StridedView& b, const StridedView& out) {
  const Layout<3> l = make_layout<3>({&out, &a, &b});
  if (l.numel == 0) return;
  if (out.dtype != a.dtype) {  // a comparison into a bool mask
    with_dtype(a.dtype, [&]<class T>() {
      compare_kernel<T><<<grid_for(l.numel), kThreads>>>(op, l, static_cast<bool*>(out.data),
                                                         static_cast<const T*>(a.data),
                                                         static_cast<const T*>(b.data));
    });
    KINDLING_CUDA_CHECK_LAUNCH("compare_kernel");
    return;
  }
  with_dtype(out.dtype, [&]<class T>() {
    binary_kernel<T><<<grid_for(l.numel), kThreads>>>(op, l, static_cast<T*>(out.data),
                                                      static_cast<const T*>(a.data),
                                                      static_cast<const T*>(b.data));
  });
  KINDLING_CUDA_CHECK_LAUNCH("binary_kernel");
}

void where(const StridedView& cond, const StridedView& a, const StridedView& b,
           const StridedView& out) {
  const Layout<4> l = make_layout<4>({&out, &a, &b, &cond});
  if (l.numel == 0) return;
  with_dtype(out.dtype, [&]<class T>() {
    with_dtype(cond.dtype, [&]<class C>() {
      where_kernel<T, C><<<grid_for(l.numel), kThreads>>>(
          l, static_cast<T*>(out.data), static_cast<const T*>(a.data),
          static_cast<const T*>(b.data), static_cast<const C*>(cond.data));
    });
  });
  KINDLING_CUDA_CHECK_LAUNCH("where_kernel");
}

}  // namespace kindling::gpu
