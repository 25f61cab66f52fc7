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
  if (dst.device() == src.device()) {
    kernels::kernels_for(dst.device()).copy(src.strided_view(), dst.strided_view());
    return;
  }
  // Across devices: go through a contiguous host copy of the right dtype.
  const no_grad guard;
  KINDLING_CHECK(dst.is_contiguous(), who, ": copying from ", to_string(src.device()), " to ",
                 to_string(dst.device()), " needs a contiguous destination");
  if (src.device() == kCPU) {
    const Tensor host = contiguous(cast(src.detach(), dst.dtype()));
    kernels::kernels_for(dst.device())
        .copy_from_host(dst.raw_data(), host.raw_data(),
                        static_cast<std::size_t>(host.numel()) * dtype_size(host.dtype()));
  } else {
    KINDLING_CHECK(dst.device() == kCPU, who, ": copies between ", to_string(src.device()), " and ",
                   to_string(dst.device()), " are not supported");
    const Tensor packed = contiguous(cast(src.detach(), dst.dtype()));
    kernels::kernels_for(src.device())
        .copy_to_host(dst.raw_data(), packed.raw_data(),
                      static_cast<std::size_t>(packed.numel()) * dtype_size(packed.dtype()));
  }
}

void fill_into(const Tensor& dst, double value) {
  KINDLING_CHECK(fits_dtype(value, dst.dtype()), "fill: value ", value, " cannot be converted to ",
                 dtype_name(dst.dtype()), " without overflow");
  dst.bump_version();
  kernels::kernels_for(dst.device()).fill(dst.strided_view(), value);
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
