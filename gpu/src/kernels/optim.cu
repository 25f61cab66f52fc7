// Fused optimizer steps (kindling/gpu/optim.hpp, and nn's OptimizerKernels table through
// nn_bridge.cpp): one kernel updates a parameter and its state in place. CPU twins: the loops of
// nn/src/optim_cpu.cpp (PyTorch's formulas), which the GPU tests run on the same inputs.
#include <cmath>

#include "common.cuh"
#include "launchers.hpp"

namespace kindling::gpu {

using namespace device;

namespace {

// param, grad, exp_avg, exp_avg_sq: (n,) contiguous. Decoupled (AdamW) decay scales the parameter
// by `decay`; L2 decay (Adam) adds l2 * param to the gradient. The formulas and their order are
// nn/src/optim_cpu.cpp's adam_loop. 1 - beta is rounded from double, as there: 1.0f - 0.999f is
// 1.3e-5 away from 0.001f, far more than rounding.
template <class T>
struct AdamConstants {
  T beta1, beta2, c1, c2, eps, decay, l2, step_size, inv_sqrt_bias2;
};

template <class T>
AdamConstants<T> adam_constants(double lr, double beta1, double beta2, double eps,
                                double weight_decay, std::int64_t step, bool decoupled) {
  const double t = static_cast<double>(step);
  const double bias1 = 1.0 - std::pow(beta1, t), bias2 = 1.0 - std::pow(beta2, t);
  return {T(beta1),
          T(beta2),
          T(1.0 - beta1),
          T(1.0 - beta2),
          T(eps),
          T(decoupled ? 1.0 - lr * weight_decay : 1.0),
          T(decoupled ? 0.0 : weight_decay),
          T(lr / bias1),
          T(1.0 / std::sqrt(bias2))};
}

template <class T>
__device__ inline void adam_element(const AdamConstants<T>& c, T& param, T grad, T& exp_avg,
                                    T& exp_avg_sq) {
  const T p = param;
  const T d = grad + c.l2 * p;
  const T m = c.beta1 * exp_avg + c.c1 * d;
  const T v = c.beta2 * exp_avg_sq + c.c2 * d * d;
  exp_avg = m;
  exp_avg_sq = v;
  param = c.decay * p - c.step_size * m / (d_sqrt(v) * c.inv_sqrt_bias2 + c.eps);
}

template <class T>
__global__ void adam_kernel(index_t n, T* param, const T* grad, T* exp_avg, T* exp_avg_sq,
                            AdamConstants<T> c) {
  for (index_t i = blockIdx.x * index_t(blockDim.x) + threadIdx.x; i < n;
       i += index_t(gridDim.x) * blockDim.x)
    adam_element(c, param[i], grad[i], exp_avg[i], exp_avg_sq[i]);
}

// Several parameters in one launch, their pointers passed by value in the kernel's arguments
// (kMultiTensors of them fit well inside the 4 KB argument space). The elements of all of them
// are one range, tensor j holding [end[j - 1], end[j]); a thread's index only grows in the
// grid-stride loop, so its tensor number only moves forward.
constexpr int kMultiTensors = 24;

template <class T>
struct AdamBatch {
  int count = 0;
  index_t end[kMultiTensors] = {};
  T* param[kMultiTensors] = {};
  const T* grad[kMultiTensors] = {};
  T* exp_avg[kMultiTensors] = {};
  T* exp_avg_sq[kMultiTensors] = {};
};

template <class T>
__global__ void adam_multi_kernel(AdamBatch<T> b, AdamConstants<T> c) {
  const index_t total = b.end[b.count - 1];
  int j = 0;
  for (index_t i = blockIdx.x * index_t(blockDim.x) + threadIdx.x; i < total;
       i += index_t(gridDim.x) * blockDim.x) {
    while (i >= b.end[j])
      ++j;
    const index_t k = i - (j == 0 ? 0 : b.end[j - 1]);
    adam_element(c, b.param[j][k], b.grad[j][k], b.exp_avg[j][k], b.exp_avg_sq[j][k]);
  }
}

// param, grad, square_avg: (n,) contiguous; buffer null without momentum, grad_avg null unless
// centered. nn/src/optim_cpu.cpp's rmsprop_loop. one_minus_alpha comes from the host, computed in
// double as the CPU does (1 - alpha in float is off by ~100 ulp for alpha near 1).
template <class T>
__global__ void rmsprop_kernel(index_t n, T* param, const T* grad, T* square_avg, T* buffer,
                               T* grad_avg, T lr, T alpha, T one_minus_alpha, T eps, T weight_decay,
                               T momentum) {
  for (index_t i = blockIdx.x * index_t(blockDim.x) + threadIdx.x; i < n;
       i += index_t(gridDim.x) * blockDim.x) {
    const T d = grad[i] + weight_decay * param[i];
    const T s = alpha * square_avg[i] + one_minus_alpha * d * d;
    square_avg[i] = s;
    T var = s;
    if (grad_avg != nullptr) {
      const T a = alpha * grad_avg[i] + one_minus_alpha * d;
      grad_avg[i] = a;
      var = s - a * a;
    }
    const T step = d / (d_sqrt(var) + eps);
    if (buffer != nullptr) {
      const T b = momentum * buffer[i] + step;
      buffer[i] = b;
      param[i] -= lr * b;
    } else {
      param[i] -= lr * step;
    }
  }
}

// param, grad, buffer: (n,) contiguous; buffer is null without momentum. one_minus_dampening
// comes from the host in double, as on the CPU.
template <class T>
__global__ void sgd_kernel(index_t n, T* param, const T* grad, T* buffer, T lr, T momentum,
                           T one_minus_dampening, T weight_decay, bool nesterov, bool first_step) {
  for (index_t i = blockIdx.x * index_t(blockDim.x) + threadIdx.x; i < n;
       i += index_t(gridDim.x) * blockDim.x) {
    T d = grad[i] + weight_decay * param[i];
    if (buffer != nullptr) {
      const T b = first_step ? d : momentum * buffer[i] + one_minus_dampening * d;
      buffer[i] = b;
      d = nesterov ? d + momentum * b : b;
    }
    param[i] -= lr * d;
  }
}

}  // namespace

void adam(DType dtype, void* param, const void* grad, void* exp_avg, void* exp_avg_sq,
          std::int64_t n, double lr, double beta1, double beta2, double eps, double weight_decay,
          std::int64_t step, bool decoupled) {
  if (n == 0) return;
  with_float_dtype(dtype, "adam step", [&]<class T>() {
    adam_kernel<T><<<grid_for(n), kThreads>>>(
        n, static_cast<T*>(param), static_cast<const T*>(grad), static_cast<T*>(exp_avg),
        static_cast<T*>(exp_avg_sq),
        adam_constants<T>(lr, beta1, beta2, eps, weight_decay, step, decoupled));
  });
  KINDLING_CUDA_CHECK_LAUNCH("adam_kernel");
}

void adam_multi(DType dtype, const AdamSlices* tensors, std::size_t count, double lr, double beta1,
                double beta2, double eps, double weight_decay, std::int64_t step, bool decoupled) {
  with_float_dtype(dtype, "adam step", [&]<class T>() {
    const AdamConstants<T> c =
        adam_constants<T>(lr, beta1, beta2, eps, weight_decay, step, decoupled);
    // Batches of up to kMultiTensors parameters: one launch each.
    for (std::size_t first = 0; first < count; first += kMultiTensors) {
      AdamBatch<T> b;
      index_t total = 0;
      for (std::size_t i = first; i < count && b.count < kMultiTensors; ++i, ++b.count) {
        const AdamSlices& s = tensors[i];
        total += s.n;
        b.end[b.count] = total;
        b.param[b.count] = static_cast<T*>(s.param);
        b.grad[b.count] = static_cast<const T*>(s.grad);
        b.exp_avg[b.count] = static_cast<T*>(s.exp_avg);
        b.exp_avg_sq[b.count] = static_cast<T*>(s.exp_avg_sq);
      }
      if (total == 0) continue;
      adam_multi_kernel<T><<<grid_for(total), kThreads>>>(b, c);
      KINDLING_CUDA_CHECK_LAUNCH("adam_multi_kernel");
    }
  });
}

void rmsprop(DType dtype, void* param, const void* grad, void* square_avg, void* buffer,
             void* grad_avg, std::int64_t n, double lr, double alpha, double eps,
             double weight_decay, double momentum) {
  if (n == 0) return;
  with_float_dtype(dtype, "rmsprop step", [&]<class T>() {
    rmsprop_kernel<T><<<grid_for(n), kThreads>>>(
        n, static_cast<T*>(param), static_cast<const T*>(grad), static_cast<T*>(square_avg),
        static_cast<T*>(buffer), static_cast<T*>(grad_avg), T(lr), T(alpha), T(1.0 - alpha), T(eps),
        T(weight_decay), T(momentum));
  });
  KINDLING_CUDA_CHECK_LAUNCH("rmsprop_kernel");
}

void sgd(DType dtype, void* param, const void* grad, void* momentum_buffer, std::int64_t n,
         double lr, double momentum, double dampening, double weight_decay, bool nesterov,
         bool first_step) {
  if (n == 0) return;
  with_float_dtype(dtype, "sgd_step", [&]<class T>() {
    sgd_kernel<T><<<grid_for(n), kThreads>>>(
        n, static_cast<T*>(param), static_cast<const T*>(grad), static_cast<T*>(momentum_buffer),
        T(lr), T(momentum), T(1.0 - dampening), T(weight_decay), nesterov, first_step);
  });
  KINDLING_CUDA_CHECK_LAUNCH("sgd_kernel");
}

}  // namespace kindling::gpu
