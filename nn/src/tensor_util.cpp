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
  dst.bump_version();  // Note [version counters] in tensor/src/tensor.cpp
  // Across devices the values move first, the one way tensors move (Tensor::to, Note [device
  // copies]); the copy kernel then converts the dtype and writes whatever layout dst has.
  const no_grad guard;
  const Tensor from = src.device() == dst.device() ? src : src.detach().to(dst.device());
  kernels::kernels_on(dst.device()).copy(from.strided_view(), dst.strided_view());
}

void fill_into(const Tensor& dst, double value) {
  KINDLING_CHECK(fits_dtype(value, dst.dtype()), "fill: value ", value, " cannot be converted to ",
                 dtype_name(dst.dtype()), " without overflow");
  dst.bump_version();
  kernels::kernels_on(dst.device()).fill(dst.strided_view(), value);
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
