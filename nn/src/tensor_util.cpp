// In-place helpers over the kernel table: the only place nn/ writes into existing tensors.
#include "kindling/nn/tensor_util.hpp"

#include <cmath>

#include "kindling/engine/error.hpp"
#include "kindling/engine/grad_mode.hpp"
#include "kindling/tensor/creation.hpp"
#include "kindling/tensor/kernels.hpp"
#include "kindling/tensor/ops.hpp"

namespace kindling::nn {

void copy_into(const Tensor& dst, const Tensor& src, const char* who) {
  KINDLING_CHECK(dst.shape() == src.shape(), who, ": cannot copy a tensor of shape ",
                 shape_string(src.shape()), " into one of shape ", shape_string(dst.shape()));
  const no_grad guard;  // outside the graph (Note [in-place writes] in tensor/src/tensor.cpp)
  dst.copy_(src);
}

void fill_into(const Tensor& dst, double value) {
  const no_grad guard;
  dst.fill_(value);
}

void assign_host(const Tensor& dst, const std::vector<double>& values, const char* who) {
  KINDLING_CHECK(static_cast<std::int64_t>(values.size()) == dst.numel(), who, ": ", values.size(),
                 " values for a tensor of shape ", shape_string(dst.shape()));
  copy_into(dst, from_vector(values, dst.shape()), who);
}

Tensor int64_scalar(std::int64_t value) {
  return from_vector(std::vector<std::int64_t>{value}, {});
}

std::int64_t exact_int64(const Tensor& t, std::string_view who, std::string_view what) {
  KINDLING_CHECK(t.defined() && t.numel() == 1, who, ": ", what, " must hold one integer, got ",
                 t.defined() ? shape_string(t.shape()) : std::string("an undefined tensor"));
  if (t.dtype() == DType::int64) return t.to_vector<std::int64_t>()[0];
  const double value = t.to_vector<double>()[0];
  // [-2^63, 2^63): both bounds are exact doubles.
  KINDLING_CHECK(
      std::isfinite(value) && value == std::trunc(value) && value >= -0x1p63 && value < 0x1p63, who,
      ": ", what, " is ", value, ", not an integer that fits int64");
  return static_cast<std::int64_t>(value);
}

}  // namespace kindling::nn
