// Creation: fills, ranges, host data and seeded random draws (from kindling::Generator, so a seed
// gives the same tensor on every platform).
#include "kindling/tensor/creation.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string_view>
#include <type_traits>
#include <utility>

#include "internal.hpp"
#include "kindling/tensor/element.hpp"

namespace kindling {

using detail::empty;

namespace {

// A fresh CPU tensor of `dtype` whose element i (row-major) is value(i), a double converted once
// to the element type. Values are written straight into the tensor's storage: no host buffer of
// doubles as large again (or, for float32, twice as large) as the tensor itself. `op` names the
// caller in shape and allocation errors.
template <class ValueAt>
Tensor generate(const Shape& shape, DType dtype, std::string_view op, ValueAt&& value_at) {
  Tensor t = empty(shape, dtype, kCPU, op);
  const std::int64_t n = t.numel();
  auto write = [&](auto* out) {
    using T = std::remove_pointer_t<decltype(out)>;
    for (std::int64_t i = 0; i < n; ++i)
      out[i] = static_cast<T>(value_at(i));
  };
  switch (dtype) {
    case DType::float32:
      write(t.data<float>());
      break;
    case DType::float64:
      write(t.data<double>());
      break;
    case DType::int64:
      write(t.data<std::int64_t>());
      break;
    case DType::bool_:
      write(t.data<bool>());
      break;
  }
  return t;
}

Tensor full_named(const Shape& shape, const Scalar& value, DType dtype, Device device,
                  std::string_view op) {
  KINDLING_CHECK(fits_dtype(value, dtype), op, ": value ", to_string(value),
                 " cannot be converted to ", dtype_name(dtype), " without overflow");
  Tensor t = empty(shape, dtype, device, op);
  if (dtype == DType::int64 && !value.is_floating() &&
      element::float_to_int64(static_cast<double>(value.to_int64())) != value.to_int64()) {
    // An integer a double cannot hold: copied from one exact element rather than filled.
    const Tensor one = detail::number_tensor(value, dtype, device);
    detail::kernels_of(t).copy(one.expand(shape).strided_view(), t.strided_view());
    return t;
  }
  detail::kernels_of(t).fill(t.strided_view(), value.to_double());
  return t;
}

}  // namespace

Tensor full(const Shape& shape, const Scalar& value, DType dtype, Device device) {
  return full_named(shape, value, dtype, device, "full");
}
Tensor zeros(const Shape& shape, DType dtype, Device device) {
  return full_named(shape, 0.0, dtype, device, "zeros");
}
Tensor ones(const Shape& shape, DType dtype, Device device) {
  return full_named(shape, 1.0, dtype, device, "ones");
}
Tensor zeros_like(const Tensor& like) {
  return zeros(like.shape(), like.dtype(), like.device());
}
Tensor ones_like(const Tensor& like) {
  return ones(like.shape(), like.dtype(), like.device());
}
Tensor full_like(const Tensor& like, const Scalar& value) {
  return full(like.shape(), value, like.dtype(), like.device());
}
Tensor scalar_tensor(const Scalar& value, DType dtype, Device device) {
  return full_named({}, value, dtype, device, "scalar_tensor");
}

Tensor from_blob(void* data, const Shape& shape, DType dtype, std::function<void()> release) {
  KINDLING_CHECK(shape.size() <= static_cast<std::size_t>(kMaxDims), "from_blob: shape ",
                 shape_string(shape), " has ", shape.size(), " dimensions; at most ", kMaxDims,
                 " are supported");
  const std::size_t bytes = checked_nbytes(shape, dtype, "from_blob");
  KINDLING_CHECK(data != nullptr || bytes == 0, "from_blob: null data for shape ",
                 shape_string(shape));
  KINDLING_CHECK(reinterpret_cast<std::uintptr_t>(data) % dtype_size(dtype) == 0,
                 "from_blob: data for ", dtype_name(dtype), " must be aligned to ",
                 dtype_size(dtype), " bytes");
  if (dtype == DType::bool_) {
    const auto* raw = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < bytes; ++i)
      KINDLING_CHECK(raw[i] <= 1, "from_blob: bool data holds byte ", static_cast<int>(raw[i]),
                     " at offset ", i, "; a bool element must be 0 or 1");
  }
  return detail::leaf_over(std::make_shared<Storage>(data, bytes, kCPU, std::move(release)), shape,
                           dtype);
}

namespace {
// Host values to a new CPU tensor of `dtype` (the values are converted once, here).
template <class T>
Tensor from_host(const std::vector<T>& values, const Shape& shape, DType dtype,
                 std::string_view op) {
  const std::int64_t count = checked_numel(shape, op);
  KINDLING_CHECK(values.size() == static_cast<std::size_t>(count), op, ": ", values.size(),
                 " values do not fill shape ", shape_string(shape), " (", count, " elements)");
  Tensor host = empty(shape, dtype_of<T>(), kCPU, op);
  detail::kernels_of(host).copy_from_host(kCPU, host.raw_data(), values.data(),
                                          values.size() * sizeof(T));
  if (dtype == dtype_of<T>()) return host;
  const no_grad guard;
  return cast(host, dtype);
}
}  // namespace

template <class T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape) {
  return from_host(values, shape, dtype_of<T>(), "from_vector");
}
template <class T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape, DType dtype) {
  return from_host(values, shape, dtype, "from_vector");
}
// std::vector<bool> packs its bits: unpacked into one byte per element (0 or 1) first.
template <>
Tensor from_vector(const std::vector<bool>& values, const Shape& shape, DType dtype) {
  const std::int64_t count = checked_numel(shape, "from_vector");
  KINDLING_CHECK(values.size() == static_cast<std::size_t>(count), "from_vector: ", values.size(),
                 " values do not fill shape ", shape_string(shape), " (", count, " elements)");
  Tensor host = empty(shape, DType::bool_, kCPU, "from_vector");
  bool* out = static_cast<bool*>(host.raw_data());
  for (std::size_t i = 0; i < values.size(); ++i)
    out[i] = values[i];
  if (dtype == DType::bool_) return host;
  const no_grad guard;
  return cast(host, dtype);
}
template <>
Tensor from_vector(const std::vector<bool>& values, const Shape& shape) {
  return from_vector(values, shape, DType::bool_);
}
template Tensor from_vector(const std::vector<float>&, const Shape&);
template Tensor from_vector(const std::vector<double>&, const Shape&);
template Tensor from_vector(const std::vector<std::int64_t>&, const Shape&);
template Tensor from_vector(const std::vector<float>&, const Shape&, DType);
template Tensor from_vector(const std::vector<double>&, const Shape&, DType);
template Tensor from_vector(const std::vector<std::int64_t>&, const Shape&, DType);

Tensor tensor(std::initializer_list<double> values, const Shape& shape, DType dtype) {
  return from_host(std::vector<double>(values), shape, dtype, "tensor");
}
Tensor tensor(std::initializer_list<double> values, DType dtype) {
  return tensor(values, {static_cast<std::int64_t>(values.size())}, dtype);
}

namespace {
// 2^63 as a double: the first count, and the first int64 value, that does not fit.
constexpr double kTwoTo63 = 9223372036854775808.0;
}  // namespace

Tensor arange(double start, double stop, double step, DType dtype) {
  KINDLING_CHECK(std::isfinite(start) && std::isfinite(stop) && std::isfinite(step),
                 "arange: start, stop and step must be finite, got start ", start, ", stop ", stop,
                 ", step ", step);
  KINDLING_CHECK(step != 0.0, "arange: step is 0");
  // (stop - start) / step may still overflow to inf, or be far past any shape: both are errors
  // here, before a count is converted to int64 (which would be undefined past 2^63).
  const double count = std::ceil((stop - start) / step);
  KINDLING_CHECK(count < kTwoTo63, "arange: [", start, ", ", stop, ") with step ", step, " has ",
                 count, " elements, more than a shape can hold (2^63)");
  const std::int64_t n = count > 0 ? static_cast<std::int64_t>(count) : 0;
  if (dtype == DType::int64 && n > 0) {
    const double last = start + static_cast<double>(n - 1) * step;
    KINDLING_CHECK(start >= -kTwoTo63 && start < kTwoTo63 && last >= -kTwoTo63 && last < kTwoTo63,
                   "arange: [", start, ", ", stop, ") with step ", step,
                   " has values outside int64");
  }
  return generate({n}, dtype, "arange",
                  [&](std::int64_t i) { return start + static_cast<double>(i) * step; });
}
Tensor arange(std::int64_t stop, DType dtype) {
  return arange(0.0, static_cast<double>(stop), 1.0, dtype);
}

Tensor linspace(double start, double end, std::int64_t steps, DType dtype) {
  KINDLING_CHECK(steps >= 0, "linspace: steps is ", steps);
  const double delta = steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0.0;
  return generate({steps}, dtype, "linspace", [&](std::int64_t i) {
    return i == steps - 1 ? end : start + static_cast<double>(i) * delta;
  });
}

namespace {
void check_random_dtype(DType dtype, const char* op) {
  KINDLING_CHECK(is_floating(dtype), op, ": needs a floating dtype, got ", dtype_name(dtype),
                 " (randint draws integers)");
}
}  // namespace

Tensor rand(const Shape& shape, Generator& generator, DType dtype) {
  check_random_dtype(dtype, "rand");
  // A double in [0, 1) within 2^-25 of 1 rounds to 1.0f: float32 takes the largest float below 1
  // instead, so that rand stays in [0, 1) as torch's does. Every other draw is unchanged.
  const double float32_below_one = static_cast<double>(std::nextafter(1.0f, 0.0f));
  return generate(shape, dtype, "rand", [&](std::int64_t) {
    const double u = generator.uniform();
    return dtype == DType::float32 ? std::min(u, float32_below_one) : u;
  });
}

Tensor randn(const Shape& shape, Generator& generator, DType dtype) {
  check_random_dtype(dtype, "randn");
  return generate(shape, dtype, "randn", [&](std::int64_t) { return generator.normal(); });
}

Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape, Generator& generator) {
  KINDLING_CHECK(low < high, "randint: empty range [", low, ", ", high, ")");
  // The width and the sum in unsigned arithmetic: high - low overflows int64 for the widest
  // ranges, and the unsigned wrap-around gives the right value back (C++20 conversions).
  const std::uint64_t width = static_cast<std::uint64_t>(high) - static_cast<std::uint64_t>(low);
  Tensor t = empty(shape, DType::int64, kCPU, "randint");
  std::int64_t* out = t.data<std::int64_t>();
  const std::int64_t n = t.numel();
  for (std::int64_t i = 0; i < n; ++i)
    out[i] = static_cast<std::int64_t>(static_cast<std::uint64_t>(low) + generator.below(width));
  return t;
}

Tensor eye(std::int64_t n, std::int64_t m, DType dtype, Device device) {
  if (m < 0) m = n;
  KINDLING_CHECK(n >= 0, "eye: n must be non-negative, got ", n);
  Tensor t = zeros({n, m}, dtype, kCPU);
  const std::int64_t diagonal = std::min(n, m);
  switch (dtype) {
    case DType::float32:
      for (std::int64_t i = 0; i < diagonal; ++i)
        t.data<float>()[i * m + i] = 1.0f;
      break;
    case DType::float64:
      for (std::int64_t i = 0; i < diagonal; ++i)
        t.data<double>()[i * m + i] = 1.0;
      break;
    case DType::int64:
      for (std::int64_t i = 0; i < diagonal; ++i)
        t.data<std::int64_t>()[i * m + i] = 1;
      break;
    case DType::bool_:
      for (std::int64_t i = 0; i < diagonal; ++i)
        t.data<bool>()[i * m + i] = true;
      break;
  }
  return device == kCPU ? t : t.to(device);
}

Tensor randperm(std::int64_t n, Generator& generator) {
  KINDLING_CHECK(n >= 0, "randperm: n must be non-negative, got ", n);
  Tensor t = empty({n}, DType::int64, kCPU, "randperm");
  std::int64_t* out = t.data<std::int64_t>();
  for (std::int64_t i = 0; i < n; ++i)
    out[i] = i;
  // Fisher-Yates: position i takes a uniform pick of the n - i values not yet placed.
  for (std::int64_t i = 0; i + 1 < n; ++i) {
    const auto j =
        i + static_cast<std::int64_t>(generator.below(static_cast<std::uint64_t>(n - i)));
    std::swap(out[i], out[j]);
  }
  return t;
}

}  // namespace kindling
