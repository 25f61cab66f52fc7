// What the op table (op_list.hpp, Note [tensor op table]) generates outside the ops themselves:
// names, DOT labels, arities and the stepper's formula text per op, and the Tensor method forms
// (x.exp(), x.sum(axes, keepdim), x.view(shape)...), which forward to the free functions.
#include <algorithm>
#include <initializer_list>

#include "internal.hpp"
#include "kindling/tensor/creation.hpp"

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

// ---- PyTorch's method names (issue 13), each the free function with this tensor first --------

#define KINDLING_METHOD_BOTH(name, Other)          \
  Tensor Tensor::name(const Tensor& other) const { \
    return kindling::name(*this, other);           \
  }                                                \
  Tensor Tensor::name(const Other& other) const {  \
    return kindling::name(*this, other);           \
  }
KINDLING_METHOD_BOTH(eq, Scalar)
KINDLING_METHOD_BOTH(ne, Scalar)
KINDLING_METHOD_BOTH(lt, Scalar)
KINDLING_METHOD_BOTH(le, Scalar)
KINDLING_METHOD_BOTH(gt, Scalar)
KINDLING_METHOD_BOTH(ge, Scalar)
#undef KINDLING_METHOD_BOTH
Tensor Tensor::add(const Tensor& other) const {
  return *this + other;
}
Tensor Tensor::add(const Scalar& other) const {
  return *this + other;
}
Tensor Tensor::sub(const Tensor& other) const {
  return *this - other;
}
Tensor Tensor::sub(const Scalar& other) const {
  return *this - other;
}
Tensor Tensor::mul(const Tensor& other) const {
  return *this * other;
}
Tensor Tensor::mul(const Scalar& other) const {
  return *this * other;
}
Tensor Tensor::div(const Tensor& other) const {
  return *this / other;
}
Tensor Tensor::div(const Scalar& other) const {
  return *this / other;
}
Tensor Tensor::pow(const Tensor& exponent) const {
  return kindling::pow(*this, exponent);
}
Tensor Tensor::pow(const Scalar& exponent) const {
  return kindling::pow(*this, exponent);
}
Tensor Tensor::maximum(const Tensor& other) const {
  return kindling::maximum(*this, other);
}
Tensor Tensor::minimum(const Tensor& other) const {
  return kindling::minimum(*this, other);
}
Tensor Tensor::where(const Tensor& cond, const Tensor& other) const {
  return kindling::where(cond, *this, other);
}
Tensor Tensor::where(const Tensor& cond, const Scalar& other) const {
  return kindling::where(cond, *this, other);
}
Tensor Tensor::clamp(double low, double high) const {
  return kindling::clamp(*this, low, high);
}
Tensor Tensor::softmax(std::int64_t axis) const {
  return kindling::softmax(*this, axis);
}
Tensor Tensor::log_softmax(std::int64_t axis) const {
  return kindling::log_softmax(*this, axis);
}
Tensor Tensor::logsumexp(const std::vector<std::int64_t>& axes, bool keepdim) const {
  return kindling::logsumexp(*this, axes, keepdim);
}
Tensor Tensor::argmax() const {
  return kindling::argmax(*this);
}
Tensor Tensor::argmax(std::int64_t axis, bool keepdim) const {
  return kindling::argmax(*this, axis, keepdim);
}
Tensor Tensor::argmin() const {
  return kindling::argmin(*this);
}
Tensor Tensor::argmin(std::int64_t axis, bool keepdim) const {
  return kindling::argmin(*this, axis, keepdim);
}
Tensor Tensor::amax(const std::vector<std::int64_t>& axes, bool keepdim) const {
  return kindling::amax(*this, axes, keepdim);
}
Tensor Tensor::amin(const std::vector<std::int64_t>& axes, bool keepdim) const {
  return kindling::amin(*this, axes, keepdim);
}
Tensor Tensor::var(const std::vector<std::int64_t>& axes, std::int64_t correction,
                   bool keepdim) const {
  return kindling::var(*this, axes, correction, keepdim);
}
Tensor Tensor::std(const std::vector<std::int64_t>& axes, std::int64_t correction,
                   bool keepdim) const {
  return kindling::stddev(*this, axes, correction, keepdim);
}
Tensor Tensor::prod(const std::vector<std::int64_t>& axes, bool keepdim) const {
  return kindling::prod(*this, axes, keepdim);
}
Tensor Tensor::cumsum(std::int64_t axis) const {
  return kindling::cumsum(*this, axis);
}
Tensor Tensor::norm(double p, const std::vector<std::int64_t>& axes, bool keepdim) const {
  return kindling::norm(*this, p, axes, keepdim);
}
Tensor Tensor::gather(std::int64_t axis, const Tensor& index) const {
  return kindling::gather(*this, axis, index);
}
Tensor Tensor::index_select(std::int64_t axis, const Tensor& index) const {
  return kindling::index_select(*this, axis, index);
}
Tensor Tensor::scatter_add(std::int64_t axis, const Tensor& index, const Tensor& src) const {
  return kindling::scatter_add(*this, axis, index, src);
}
ValuesIndices Tensor::sort(std::int64_t axis, bool descending) const {
  return kindling::sort(*this, axis, descending);
}
ValuesIndices Tensor::topk(std::int64_t k, std::int64_t axis, bool largest) const {
  return kindling::topk(*this, k, axis, largest);
}
Tensor Tensor::repeat(const Shape& reps) const {
  return kindling::repeat(*this, reps);
}
Tensor Tensor::tile(const Shape& reps) const {
  return kindling::tile(*this, reps);
}
Tensor Tensor::flip(const std::vector<std::int64_t>& axes) const {
  return kindling::flip(*this, axes);
}
std::vector<Tensor> Tensor::chunk(std::int64_t chunks, std::int64_t axis) const {
  return kindling::chunk(*this, chunks, axis);
}
std::vector<Tensor> Tensor::split(std::int64_t size, std::int64_t axis) const {
  return kindling::split(*this, size, axis);
}
std::vector<Tensor> Tensor::split(const Shape& sizes, std::int64_t axis) const {
  return kindling::split(*this, sizes, axis);
}
std::vector<Tensor> Tensor::unbind(std::int64_t axis) const {
  return kindling::unbind(*this, axis);
}
Tensor Tensor::t() const {
  return kindling::t(*this);
}
Tensor Tensor::expand_as(const Tensor& other) const {
  return kindling::expand(*this, other.shape());
}
Tensor Tensor::reshape_as(const Tensor& other) const {
  return kindling::reshape(*this, other.shape());
}
Tensor Tensor::view_as(const Tensor& other) const {
  return kindling::view(*this, other.shape());
}
Tensor Tensor::mm(const Tensor& other) const {
  return kindling::mm(*this, other);
}
Tensor Tensor::bmm(const Tensor& other) const {
  return kindling::bmm(*this, other);
}
Tensor Tensor::dot(const Tensor& other) const {
  return kindling::dot(*this, other);
}
Tensor Tensor::outer(const Tensor& other) const {
  return kindling::outer(*this, other);
}
Tensor Tensor::tril(std::int64_t diagonal) const {
  return kindling::tril(*this, diagonal);
}
Tensor Tensor::triu(std::int64_t diagonal) const {
  return kindling::triu(*this, diagonal);
}
Tensor Tensor::diag(std::int64_t diagonal) const {
  return kindling::diag(*this, diagonal);
}
Tensor Tensor::square() const {
  return kindling::square(*this);
}
Tensor Tensor::isnan() const {
  return kindling::isnan(*this);
}
Tensor Tensor::isinf() const {
  return kindling::isinf(*this);
}
Tensor Tensor::cpu() const {
  return to(kCPU);
}
Tensor Tensor::new_zeros(const Shape& shape) const {
  return kindling::zeros(shape, dtype(), device());
}
Tensor Tensor::new_zeros(const Shape& shape, DType dtype) const {
  return kindling::zeros(shape, dtype, device());
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
