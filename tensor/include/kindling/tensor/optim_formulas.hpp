// The fused optimizer steps' arithmetic, one element at a time: the constants a step derives from
// its hyperparameters (worked out once per step, on the host) and the update of one element.
// Written once, compiled for the host (tensor/src/cpu/optim.cpp) and for the device
// (gpu/src/kernels/optim.cu), so the two differ only where the compilers do: nvcc contracts a * b
// + c into an FMA (--fmad=true), the CPU build does not (ISO mode, -ffp-contract=off).
//
// The formulas are PyTorch's (torch.optim.SGD, Adam, AdamW, RMSprop). Every 1 - beta is rounded
// from double: 1.0f - 0.999f is 1.3e-5 away from 0.001f, far more than rounding.
#pragma once

#include <cmath>
#include <cstdint>

#include "kindling/tensor/element.hpp"  // KINDLING_HOST_DEVICE
#include "kindling/tensor/kernels.hpp"

namespace kindling::optim_formula {

// sqrt at the parameter's precision: sqrtf for float and sqrt for double on the device (as the
// other CUDA kernels, common.cuh), std::sqrt on the host. Both are IEEE square roots.
KINDLING_HOST_DEVICE inline float root(float x) {
#if defined(__CUDA_ARCH__)
  return sqrtf(x);
#else
  return std::sqrt(x);
#endif
}
KINDLING_HOST_DEVICE inline double root(double x) {
#if defined(__CUDA_ARCH__)
  return ::sqrt(x);
#else
  return std::sqrt(x);
#endif
}

// ---- SGD ---------------------------------------------------------------------------------------

template <class T>
struct SgdConstants {
  T lr, momentum, one_minus_dampening, weight_decay;
  bool use_buffer, nesterov, first_step;
};

template <class T>
SgdConstants<T> sgd_constants(const kernels::SgdHyper& h) {
  return {T(h.lr),         T(h.momentum), T(1.0 - h.dampening), T(h.weight_decay),
          h.momentum != 0, h.nesterov,    h.first_step};
}

// d = grad + weight_decay * param; with momentum, buf = d on the first step and momentum * buf +
// (1 - dampening) * d after, and d = nesterov ? d + momentum * buf : buf; then param -= lr * d.
// `buffer` is only touched with momentum.
template <class T>
KINDLING_HOST_DEVICE inline void sgd_element(const SgdConstants<T>& c, T& param, T grad,
                                             T* buffer) {
  T d = grad + c.weight_decay * param;
  if (c.use_buffer) {
    const T b = c.first_step ? d : c.momentum * *buffer + c.one_minus_dampening * d;
    *buffer = b;
    d = c.nesterov ? d + c.momentum * b : b;
  }
  param -= c.lr * d;
}

// ---- Adam / AdamW ------------------------------------------------------------------------------

// Decoupled (AdamW) decay scales the parameter by `decay`; L2 decay (Adam) adds l2 * param to the
// gradient. The bias corrections fold into step_size = lr / (1 - beta1^t) and inv_sqrt_bias2 =
// 1 / sqrt(1 - beta2^t).
template <class T>
struct AdamConstants {
  T beta1, beta2, c1, c2, eps, decay, l2, step_size, inv_sqrt_bias2;
};

template <class T>
AdamConstants<T> adam_constants(const kernels::AdamHyper& h) {
  const double t = static_cast<double>(h.step);
  const double bias1 = 1.0 - std::pow(h.beta1, t), bias2 = 1.0 - std::pow(h.beta2, t);
  return {T(h.beta1),
          T(h.beta2),
          T(1.0 - h.beta1),
          T(1.0 - h.beta2),
          T(h.eps),
          T(h.decoupled ? 1.0 - h.lr * h.weight_decay : 1.0),
          T(h.decoupled ? 0.0 : h.weight_decay),
          T(h.lr / bias1),
          T(1.0 / std::sqrt(bias2))};
}

template <class T>
KINDLING_HOST_DEVICE inline void adam_element(const AdamConstants<T>& c, T& param, T grad,
                                              T& exp_avg, T& exp_avg_sq) {
  const T p = param;
  const T d = grad + c.l2 * p;
  const T m = c.beta1 * exp_avg + c.c1 * d;
  const T v = c.beta2 * exp_avg_sq + c.c2 * d * d;
  exp_avg = m;
  exp_avg_sq = v;
  param = c.decay * p - c.step_size * m / (root(v) * c.inv_sqrt_bias2 + c.eps);
}

// ---- RMSprop -----------------------------------------------------------------------------------

template <class T>
struct RmspropConstants {
  T lr, alpha, one_minus_alpha, eps, weight_decay, momentum;
  bool use_buffer, centered;
};

template <class T>
RmspropConstants<T> rmsprop_constants(const kernels::RmspropHyper& h) {
  return {T(h.lr),           T(h.alpha),    T(1.0 - h.alpha), T(h.eps),
          T(h.weight_decay), T(h.momentum), h.momentum > 0.0, h.centered};
}

// `buffer` is only touched with momentum, `grad_avg` only when centered.
template <class T>
KINDLING_HOST_DEVICE inline void rmsprop_element(const RmspropConstants<T>& c, T& param, T grad,
                                                 T& square_avg, T* buffer, T* grad_avg) {
  const T d = grad + c.weight_decay * param;
  const T s = c.alpha * square_avg + c.one_minus_alpha * d * d;
  square_avg = s;
  T var = s;
  if (c.centered) {
    const T a = c.alpha * *grad_avg + c.one_minus_alpha * d;
    *grad_avg = a;
    var = s - a * a;
  }
  const T step = d / (root(var) + c.eps);
  if (c.use_buffer) {
    const T b = c.momentum * *buffer + step;
    *buffer = b;
    param -= c.lr * b;
  } else {
    param -= c.lr * step;
  }
}

}  // namespace kindling::optim_formula
