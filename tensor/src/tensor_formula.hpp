// The elementwise formulas of formulas.hpp evaluated on whole tensors: a value type and a math
// policy under which formula::name::backward(g, a) (or derivative(a, args)) builds the formula
// from differentiable tensor ops. The composite paths of the fused backward kernels under
// create_graph use it (Note [fused backward kernels] in formulas.hpp, Note [create_graph] in
// autograd.cpp), so each derivative is still written once, in its row's formula. Only tensor/src
// sees it.
#pragma once

#include <utility>

#include "internal.hpp"
#include "kindling/tensor/formulas.hpp"

namespace kindling::detail {

// A tensor as a formula's value type V. A constant V(c) becomes a 0-d tensor of the dtype and
// device the formula runs in (FormulaScope), so that c is rounded to the element type first, as
// the kernels round it, and never promotes the result.
class FormulaValue {
 public:
  FormulaValue(Tensor t) : tensor_(std::move(t)) {}  // NOLINT: a formula converts implicitly
  FormulaValue(double c);                            // NOLINT: V(c)
  const Tensor& tensor() const noexcept { return tensor_; }

  friend FormulaValue operator+(const FormulaValue& a, const FormulaValue& b) {
    return a.tensor_ + b.tensor_;
  }
  friend FormulaValue operator-(const FormulaValue& a, const FormulaValue& b) {
    return a.tensor_ - b.tensor_;
  }
  friend FormulaValue operator*(const FormulaValue& a, const FormulaValue& b) {
    return a.tensor_ * b.tensor_;
  }
  friend FormulaValue operator/(const FormulaValue& a, const FormulaValue& b) {
    return a.tensor_ / b.tensor_;
  }
  friend FormulaValue operator-(const FormulaValue& a) { return neg(a.tensor_); }
  // Comparisons give bool tensors, which only select() reads.
  friend FormulaValue operator<(const FormulaValue& a, const FormulaValue& b) {
    return lt(a.tensor_, b.tensor_);
  }
  friend FormulaValue operator>(const FormulaValue& a, const FormulaValue& b) {
    return gt(a.tensor_, b.tensor_);
  }
  friend FormulaValue operator<=(const FormulaValue& a, const FormulaValue& b) {
    return le(a.tensor_, b.tensor_);
  }
  friend FormulaValue operator>=(const FormulaValue& a, const FormulaValue& b) {
    return ge(a.tensor_, b.tensor_);
  }

 private:
  Tensor tensor_;
};

// The dtype and device of FormulaValue's constants, for its lifetime (nests; thread-local).
class FormulaScope {
 public:
  explicit FormulaScope(const Tensor& like) noexcept;
  ~FormulaScope();
  FormulaScope(const FormulaScope&) = delete;
  FormulaScope& operator=(const FormulaScope&) = delete;

 private:
  const Tensor* previous_;
};

// The tensor FormulaScope set last on this thread: constants take its dtype and device.
inline thread_local const Tensor* formula_like = nullptr;

inline FormulaScope::FormulaScope(const Tensor& like) noexcept : previous_(formula_like) {
  formula_like = &like;
}
inline FormulaScope::~FormulaScope() {
  formula_like = previous_;
}
inline FormulaValue::FormulaValue(double c) {
  assert(formula_like != nullptr && "a formula constant outside a FormulaScope");
  tensor_ = number_tensor(c, formula_like->dtype(), formula_like->device());
}

// The math policy of Note [elementwise formulas], each function a tensor op (select is where,
// min and max are minimum and maximum: the callers keep NaN away from them).
struct TensorMath {
  using V = FormulaValue;
#define KINDLING_X(name, op)  \
  static V name(const V& x) { \
    return op(x.tensor());    \
  }
  KINDLING_X(exp, kindling::exp)
  KINDLING_X(log, kindling::log)
  KINDLING_X(sqrt, kindling::sqrt)
  KINDLING_X(abs, kindling::abs)
  KINDLING_X(tanh, kindling::tanh)
  KINDLING_X(erf, kindling::erf)
  KINDLING_X(erf_exact, kindling::erf)
  KINDLING_X(sin, kindling::sin)
  KINDLING_X(cos, kindling::cos)
  KINDLING_X(tan, kindling::tan)
  KINDLING_X(log1p, kindling::log1p)
  KINDLING_X(log2, kindling::log2)
  KINDLING_X(log10, kindling::log10)
  KINDLING_X(expm1, kindling::expm1)
  KINDLING_X(floor, kindling::floor)
  KINDLING_X(nearbyint, kindling::round)
  KINDLING_X(isnan, kindling::isnan)
#undef KINDLING_X
  static V select(const V& c, const V& a, const V& b) {
    return where(c.tensor(), a.tensor(), b.tensor());
  }
  static V min(const V& a, const V& b) {
    return minimum(a.tensor(), b.tensor());
  }
  static V max(const V& a, const V& b) {
    return maximum(a.tensor(), b.tensor());
  }
};

// `value` with like's shape and dtype (a constant formula gives a 0-d tensor).
inline Tensor fit_to(const Tensor& value, const Tensor& like) {
  const Tensor typed = value.dtype() == like.dtype() ? value : cast(value, like.dtype());
  return typed.shape() == like.shape() ? typed : expand(typed, like.shape());
}

// dx = formula F's backward(g, a), in tensor ops: a `pointwise` row's composite path.
template <class F>
Tensor composite_backward(const Tensor& g, const Tensor& a) {
  const FormulaScope scope(a);
  return fit_to(F::template backward<TensorMath, FormulaValue>(g, a).tensor(), g);
}

// F's derivative(a, args) (UNARY_PARAM rows), or forward(a) of a derivative kernel (gelu_grad),
// in tensor ops.
template <class F>
Tensor composite_derivative(const Tensor& a, const UnaryArgs& args) {
  const FormulaScope scope(a);
  return fit_to(F::template derivative<TensorMath, FormulaValue>(a, args).tensor(), a);
}
template <class F>
Tensor composite_forward(const Tensor& a) {
  const FormulaScope scope(a);
  return fit_to(F::template forward<TensorMath, FormulaValue>(a).tensor(), a);
}

}  // namespace kindling::detail
