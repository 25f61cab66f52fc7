// CUDA elementwise kernels: copy (with dtype conversion), fill, unary and binary maps and where,
// over strided operands of one shape (broadcast dimensions have stride 0). CPU twins:
// tensor/src/cpu/elementwise.cpp, with the same formulas as tensor/src/cpu/simd_impl.hpp; the
// lines that decide special values come from kindling/tensor/special_values.hpp, shared with the
// CPU (Note [special values]). CUDA's exp, log and pow keep subnormals (no -ftz) and follow C99.
#include "common.cuh"
#include "kindling/tensor/special_values.hpp"
#include "launchers.hpp"

namespace kindling::gpu {

using namespace device;

namespace {

template <class T>
__device__ T unary_op(UnaryKernel op, T x) {
  if constexpr (std::is_same_v<T, std::int64_t>) {
    switch (op) {
      case UnaryKernel::neg:
        return -x;
      case UnaryKernel::abs:
        return x < 0 ? -x : x;
      case UnaryKernel::sign:
        return special::sign(x);
      case UnaryKernel::relu:
        return special::relu(x);
      default:
        return 0;  // rejected by the launcher
    }
  } else {
    const T one = 1, half = T(0.5);
    switch (op) {
      case UnaryKernel::neg:
        return -x;
      case UnaryKernel::exp:
        return d_exp(x);
      case UnaryKernel::log:
        return d_log(x);
      case UnaryKernel::sqrt:
        return d_sqrt(x);
      case UnaryKernel::abs:
        return d_fabs(x);
      case UnaryKernel::sign:
        return special::sign(x);
      case UnaryKernel::tanh:
        return d_tanh(x);
      case UnaryKernel::sigmoid:
        return one / (one + d_exp(-x));
      case UnaryKernel::relu:
        return special::relu(x);
      case UnaryKernel::gelu:
        return half * x * (one + d_erf(special::gelu_erf_argument(x)));
      case UnaryKernel::gelu_grad: {
        // d/dx x Phi(x) = Phi(x) + x phi(x)
        const T cdf = half * (one + d_erf(special::gelu_erf_argument(x)));
        const T pdf = d_exp(-half * x * x) * T(0.39894228040143267794);
        return cdf + x * pdf;
      }
    }
    return x;
  }
}

template <class T>
__device__ T binary_op(BinaryKernel op, T a, T b) {
  if constexpr (std::is_same_v<T, std::int64_t>) {
    switch (op) {
      case BinaryKernel::div:
        return b == 0 ? 0 : a / b;  // zero divisors are rejected up front
      case BinaryKernel::pow: {
        T r = 1;
        for (T i = 0; i < b; ++i)
          r *= a;
        return r;
      }
      default:
        break;
    }
  } else {
    switch (op) {
      case BinaryKernel::div:
        return a / b;
      case BinaryKernel::pow:  // C99's pow, as the CPU's
        return d_pow(a, b);
      default:
        break;
    }
  }
  switch (op) {
    case BinaryKernel::add:
      return a + b;
    case BinaryKernel::sub:
      return a - b;
    case BinaryKernel::mul:
      return a * b;
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
    default:
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
    dst[off[0]] = static_cast<To>(src[off[1]]);
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

// y (shape) = f(x (shape)). Operand 0 is y.
template <class T>
__global__ void unary_kernel(UnaryKernel op, Layout<2> l, T* y, const T* x) {
  for (index_t i = blockIdx.x * index_t(blockDim.x) + threadIdx.x; i < l.numel;
       i += index_t(gridDim.x) * blockDim.x) {
    index_t off[2];
    offsets_of(l, i, off);
    y[off[0]] = unary_op(op, x[off[1]]);
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
        <<<grid_for(l.numel), kThreads>>>(l, static_cast<T*>(dst.data), static_cast<T>(value));
  });
  KINDLING_CUDA_CHECK_LAUNCH("fill_kernel");
}

void unary(UnaryKernel op, const StridedView& x, const StridedView& y) {
  const bool int_ok = op == UnaryKernel::neg || op == UnaryKernel::abs || op == UnaryKernel::sign ||
                      op == UnaryKernel::relu;
  KINDLING_CHECK(x.dtype != DType::int64 || int_ok,
                 "unary: this op needs a floating-point tensor, got int64");
  const Layout<2> l = make_layout<2>({&y, &x});
  if (l.numel == 0) return;
  with_dtype(x.dtype, [&]<class T>() {
    unary_kernel<T><<<grid_for(l.numel), kThreads>>>(op, l, static_cast<T*>(y.data),
                                                     static_cast<const T*>(x.data));
  });
  KINDLING_CUDA_CHECK_LAUNCH("unary_kernel");
}

void binary(BinaryKernel op, const StridedView& a, const StridedView& b, const StridedView& out) {
  const Layout<3> l = make_layout<3>({&out, &a, &b});
  if (l.numel == 0) return;
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
