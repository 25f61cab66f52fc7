// What the op table (op_list.hpp, Note [tensor op table]) generates outside the ops themselves:
// names, DOT labels, arities and the stepper's formula text per op, and the Tensor method forms
// (x.exp(), x.sum(axes, keepdim), x.view(shape)...), which forward to the free functions.
#include <algorithm>
#include <initializer_list>

#include "internal.hpp"

namespace kindling {

namespace {
#define KINDLING_EXPAND(...) __VA_ARGS__

// The text for input i: one per input, or one for all.
std::string_view pick(std::initializer_list<std::string_view> texts, std::size_t i) noexcept {
  return texts.begin()[std::min(i, texts.size() - 1)];
}
}  // namespace

// Every switch below lists every op and has no default: -Wswitch names any op left out.

std::string_view op_name(TensorOp op) noexcept {
  switch (op) {
    case TensorOp::leaf:
      return "leaf";
#define KINDLING_X(name, ...) \
  case TensorOp::name:        \
    return #name;
      KINDLING_TENSOR_ALL_OPS(KINDLING_X)
#undef KINDLING_X
  }
  return "?";
}

std::string_view op_label(TensorOp op) noexcept {
  switch (op) {
    case TensorOp::leaf:
      return "";
#define KINDLING_X(name, dtypes, bwd, label, ...) \
  case TensorOp::name:                            \
    return label;
      KINDLING_TENSOR_UNARY(KINDLING_X)
#undef KINDLING_X
#define KINDLING_X(name, label, ...) \
  case TensorOp::name:               \
    return label;
      KINDLING_TENSOR_UNARY_PARAM(KINDLING_X)
      KINDLING_TENSOR_BINARY(KINDLING_X)
      KINDLING_TENSOR_REDUCE(KINDLING_X)
#undef KINDLING_X
#define KINDLING_X(name, arity, label, ...) \
  case TensorOp::name:                      \
    return label;
      KINDLING_TENSOR_OTHER(KINDLING_X)
#undef KINDLING_X
#define KINDLING_X(name) \
  case TensorOp::name:   \
    return #name;
      KINDLING_TENSOR_COMPOSITES(KINDLING_X)
      KINDLING_TENSOR_NOGRAD(KINDLING_X)
#undef KINDLING_X
  }
  return "?";
}

std::size_t op_arity(TensorOp op) noexcept {
  switch (op) {
#define KINDLING_X(name, ...) case TensorOp::name:
    KINDLING_TENSOR_UNARY(KINDLING_X)
    KINDLING_TENSOR_UNARY_PARAM(KINDLING_X)
    KINDLING_TENSOR_REDUCE(KINDLING_X)
    return 1;
    KINDLING_TENSOR_BINARY(KINDLING_X)
    return 2;
#undef KINDLING_X
#define KINDLING_X(name, arity, ...) \
  case TensorOp::name:               \
    return arity;
    KINDLING_TENSOR_OTHER(KINDLING_X)
#undef KINDLING_X
    case TensorOp::leaf:
#define KINDLING_X(name) case TensorOp::name:
      KINDLING_TENSOR_COMPOSITES(KINDLING_X)
      KINDLING_TENSOR_NOGRAD(KINDLING_X)
#undef KINDLING_X
      return 0;
  }
  return 0;
}

std::string_view op_backward_formula(TensorOp op, std::size_t i) noexcept {
  switch (op) {
#define KINDLING_X(name, dtypes, bwd, label, formula, ...) \
  case TensorOp::name:                                     \
    return pick({KINDLING_EXPAND formula}, i);
    KINDLING_TENSOR_UNARY(KINDLING_X)
#undef KINDLING_X
#define KINDLING_X(name, label, formula, ...) \
  case TensorOp::name:                        \
    return pick({KINDLING_EXPAND formula}, i);
    KINDLING_TENSOR_UNARY_PARAM(KINDLING_X)
    KINDLING_TENSOR_BINARY(KINDLING_X)
    KINDLING_TENSOR_REDUCE(KINDLING_X)
#undef KINDLING_X
#define KINDLING_X(name, arity, label, formula, ...) \
  case TensorOp::name:                               \
    return pick({KINDLING_EXPAND formula}, i);
    KINDLING_TENSOR_OTHER(KINDLING_X)
#undef KINDLING_X
    case TensorOp::leaf:
#define KINDLING_X(name) case TensorOp::name:
      KINDLING_TENSOR_COMPOSITES(KINDLING_X)
      KINDLING_TENSOR_NOGRAD(KINDLING_X)
#undef KINDLING_X
      return {};
  }
  return {};
}

// ---- method forms of the elementwise and reduction primitives ----------------------------------

#define KINDLING_X(name, ...)     \
  Tensor Tensor::name() const {   \
    return kindling::name(*this); \
  }
KINDLING_TENSOR_UNARY(KINDLING_X)
#undef KINDLING_X
#define KINDLING_X(name, label, formula, ps)                  \
  Tensor Tensor::name(KINDLING_PARAMS_METHOD_DEF(ps)) const { \
    return kindling::name(*this KINDLING_PARAMS_NAMES(ps));   \
  }
KINDLING_TENSOR_UNARY_PARAM(KINDLING_X)
#undef KINDLING_X
#define KINDLING_X(name, ...)                                                      \
  Tensor Tensor::name(const std::vector<std::int64_t>& axes, bool keepdim) const { \
    return kindling::name(*this, axes, keepdim);                                   \
  }
KINDLING_TENSOR_REDUCE(KINDLING_X)
#undef KINDLING_X
Tensor Tensor::mean(const std::vector<std::int64_t>& axes, bool keepdim) const {
  return kindling::mean(*this, axes, keepdim);
}
Tensor Tensor::any(const std::vector<std::int64_t>& axes, bool keepdim) const {
  return kindling::any(*this, axes, keepdim);
}
Tensor Tensor::all(const std::vector<std::int64_t>& axes, bool keepdim) const {
  return kindling::all(*this, axes, keepdim);
}
Tensor Tensor::matmul(const Tensor& other) const {
  return kindling::matmul(*this, other);
}
Tensor Tensor::masked_fill(const Tensor& mask, const Scalar& value) const {
  return kindling::masked_fill(*this, mask, value);
}
Tensor Tensor::masked_fill(const Tensor& mask, const Tensor& value) const {
  return kindling::masked_fill(*this, mask, value);
}
Tensor Tensor::logical_not() const {
  return kindling::logical_not(*this);
}

// ---- method forms of the movement ops ----------------------------------------------------------

Tensor Tensor::view(const Shape& s) const {
  return kindling::view(*this, s);
}
Tensor Tensor::reshape(const Shape& s) const {
  return kindling::reshape(*this, s);
}
Tensor Tensor::permute(const Shape& o) const {
  return kindling::permute(*this, o);
}
Tensor Tensor::transpose(std::int64_t a, std::int64_t b) const {
  return kindling::transpose(*this, a, b);
}
Tensor Tensor::expand(const Shape& s) const {
  return kindling::expand(*this, s);
}
Tensor Tensor::squeeze(std::int64_t a) const {
  return kindling::squeeze(*this, a);
}
Tensor Tensor::unsqueeze(std::int64_t a) const {
  return kindling::unsqueeze(*this, a);
}
Tensor Tensor::flatten(std::int64_t s, std::int64_t e) const {
  return kindling::flatten(*this, s, e);
}
Tensor Tensor::slice(std::int64_t axis, std::int64_t start, std::int64_t stop,
                     std::int64_t step) const {
  return kindling::slice(*this, axis, start, stop, step);
}
Tensor Tensor::contiguous() const {
  return kindling::contiguous(*this);
}
}  // namespace kindling
