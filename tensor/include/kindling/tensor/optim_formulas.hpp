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

/// sqrt at the parameter's precision: sqrtf for float on the device (as the other CUDA kernels,
/// common.cuh), std::sqrt on the host. Both are IEEE square roots.
KINDLING_HOST_DEVICE inline float root(float x) {
#if defined(__CUDA_ARCH__)
  return sqrtf(x);
#else
  return std::sqrt(x);
#endif
}
/// sqrt in double: CUDA's sqrt on the device, std::sqrt on the host.
KINDLING_HOST_DEVICE inline double root(double x) {
#if defined(__CUDA_ARCH__)
  return ::sqrt(x);
#else
  return std::sqrt(x);
#endif
}

// ---- SGD ---------------------------------------------------------------------------------------

/// An SGD step's constants in the parameter's type T (float or double), from its SgdHyper.
template <class T>
struct SgdConstants {
  T lr,                     ///< The learning rate.
      momentum,             ///< The momentum factor.
      one_minus_dampening,  ///< 1 - dampening, rounded from double.
      weight_decay;         ///< The L2 penalty.
  bool use_buffer,          ///< Whether there is momentum (momentum != 0): the buffer is used.
      nesterov,             ///< Nesterov momentum.
      first_step;           ///< The first step: the buffer starts as d.
};

/// The constants of an SGD step with hyperparameters `h`, rounded to T.
template <class T>
SgdConstants<T> sgd_constants(const kernels::SgdHyper& h) {
  return {T(h.lr),         T(h.momentum), T(1.0 - h.dampening), T(h.weight_decay),
          h.momentum != 0, h.nesterov,    h.first_step};
}

/// One element's SGD update, in place.
///
/// d = grad + weight_decay * param; with momentum, buf = d on the first step and
/// momentum * buf + (1 - dampening) * d after, and d = nesterov ? d + momentum * buf : buf; then
/// param -= lr * d. `buffer` is only touched with momentum.
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

/// An Adam or AdamW step's constants in the parameter's type T, from its AdamHyper.
///
/// Decoupled (AdamW) decay scales the parameter by `decay`; L2 decay (Adam) adds l2 * param to
/// the gradient. The bias corrections fold into step_size = lr / (1 - beta1^t) and
/// inv_sqrt_bias2 = 1 / sqrt(1 - beta2^t).
template <class T>
struct AdamConstants {
  T beta1,             ///< The decay of exp_avg.
      beta2,           ///< The decay of exp_avg_sq.
      c1,              ///< 1 - beta1, rounded from double.
      c2,              ///< 1 - beta2, rounded from double.
      eps,             ///< Added to the bias-corrected root of exp_avg_sq.
      decay,           ///< The factor of the parameter: 1 - lr * weight_decay for AdamW, else 1.
      l2,              ///< The L2 penalty added to the gradient: weight_decay for Adam, else 0.
      step_size,       ///< lr / (1 - beta1^t).
      inv_sqrt_bias2;  ///< 1 / sqrt(1 - beta2^t).
};

/// The constants of step `h.step` of Adam (or AdamW when `h.decoupled`), rounded to T; the bias
/// corrections are worked out in double.
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

/// One element's Adam update, in place.
///
/// d = grad + l2 * param, m = beta1 * exp_avg + c1 * d and v = beta2 * exp_avg_sq + c2 * d^2
/// become the new exp_avg and exp_avg_sq, then
/// param = decay * param - step_size * m / (sqrt(v) * inv_sqrt_bias2 + eps).
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

/// An RMSprop step's constants in the parameter's type T, from its RmspropHyper.
template <class T>
struct RmspropConstants {
  T lr,                 ///< The learning rate.
      alpha,            ///< The smoothing constant of square_avg.
      one_minus_alpha,  ///< 1 - alpha, rounded from double.
      eps,              ///< Added to the root of the (centered) mean square.
      weight_decay,     ///< The L2 penalty.
      momentum;         ///< The momentum factor.
  bool use_buffer,      ///< Whether there is momentum (momentum > 0): the buffer is used.
      centered;         ///< Centered RMSprop: grad_avg is used.
};

/// The constants of an RMSprop step with hyperparameters `h`, rounded to T.
template <class T>
RmspropConstants<T> rmsprop_constants(const kernels::RmspropHyper& h) {
  return {T(h.lr),           T(h.alpha),    T(1.0 - h.alpha), T(h.eps),
          T(h.weight_decay), T(h.momentum), h.momentum > 0.0, h.centered};
}

/// One element's RMSprop update, in place.
///
/// d = grad + weight_decay * param, square_avg = alpha * square_avg + (1 - alpha) d^2, and, when
/// centered, grad_avg = alpha * grad_avg + (1 - alpha) d; step = d / (sqrt(var) + eps), var =
/// square_avg - grad_avg^2 when centered, else square_avg; with momentum buf = momentum * buf +
/// step and param -= lr * buf, else param -= lr * step. `buffer` is only touched with momentum,
/// `grad_avg` only when centered.
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
