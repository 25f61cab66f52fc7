// Creation: fills, ranges, host data and seeded random draws (from kindling::Generator, so a seed
// gives the same tensor on every platform).
#include "kindling/tensor/creation.hpp"

#include <cmath>
#include <cstdint>

#include "internal.hpp"

namespace kindling {

using detail::empty;

Tensor full(const Shape& shape, const Scalar& value, DType dtype, Device device) {
  KINDLING_CHECK(fits_dtype(value, dtype), "full: value ", to_string(value),
                 " cannot be converted to ", dtype_name(dtype), " without overflow");
  Tensor t = empty(shape, dtype, device);
  if (dtype == DType::int64 && !value.is_floating() &&
      static_cast<std::int64_t>(static_cast<double>(value.to_int64())) != value.to_int64()) {
    // An integer a double cannot hold: copied from one exact element rather than filled.
    const Tensor one = detail::number_tensor(value, dtype, device);
    detail::kernels_of(t).copy(one.expand(shape).strided_view(), t.strided_view());
    return t;
  }
  detail::kernels_of(t).fill(t.strided_view(), value.to_double());
  return t;
}
Tensor zeros(const Shape& shape, DType dtype, Device device) {
  return full(shape, 0.0, dtype, device);
}
Tensor ones(const Shape& shape, DType dtype, Device device) {
  return full(shape, 1.0, dtype, device);
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
  return full({}, value, dtype, device);
}

Tensor from_blob(void* data, const Shape& shape, DType dtype, std::function<void()> release) {
  const std::int64_t count = shape_numel(shape);
  KINDLING_CHECK(data != nullptr || count == 0, "from_blob: null data for shape ",
                 shape_string(shape));
  KINDLING_CHECK(reinterpret_cast<std::uintptr_t>(data) % dtype_size(dtype) == 0,
                 "from_blob: data for ", dtype_name(dtype), " must be aligned to ",
                 dtype_size(dtype), " bytes");
  if (dtype == DType::bool_) {
    const auto* bytes = static_cast<const unsigned char*>(data);
    for (std::int64_t i = 0; i < count; ++i)
      KINDLING_CHECK(bytes[i] <= 1, "from_blob: bool data holds byte ", static_cast<int>(bytes[i]),
                     " at offset ", i, "; a bool element must be 0 or 1");
  }
  Tensor t = empty(shape, dtype, kCPU);  // the layout; its storage is replaced below
  t.node()->storage = std::make_shared<Storage>(
      data, static_cast<std::size_t>(count) * dtype_size(dtype), kCPU, std::move(release));
  return t;
}

namespace {
// Host doubles to a new CPU tensor of `dtype` (the values are converted once, here).
template <class T>
Tensor from_host(const std::vector<T>& values, const Shape& shape, DType dtype) {
  KINDLING_CHECK(static_cast<std::int64_t>(values.size()) == shape_numel(shape),
                 "tensor: ", values.size(), " values do not fill shape ", shape_string(shape));
  Tensor host = empty(shape, dtype_of<T>(), kCPU);
  detail::kernels_of(host).copy_from_host(host.raw_data(), values.data(),
                                          values.size() * sizeof(T));
  if (dtype == dtype_of<T>()) return host;
  const no_grad guard;
  return cast(host, dtype);
}
}  // namespace

template <class T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape) {
  return from_host(values, shape, dtype_of<T>());
}
template <class T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape, DType dtype) {
  return from_host(values, shape, dtype);
}
// std::vector<bool> packs its bits: unpacked into one byte per element (0 or 1) first.
template <>
Tensor from_vector(const std::vector<bool>& values, const Shape& shape, DType dtype) {
  KINDLING_CHECK(static_cast<std::int64_t>(values.size()) == shape_numel(shape),
                 "tensor: ", values.size(), " values do not fill shape ", shape_string(shape));
  Tensor host = empty(shape, DType::bool_, kCPU);
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
  return from_host(std::vector<double>(values), shape, dtype);
}
Tensor tensor(std::initializer_list<double> values, DType dtype) {
  return tensor(values, {static_cast<std::int64_t>(values.size())}, dtype);
}

Tensor arange(double start, double stop, double step, DType dtype) {
  KINDLING_CHECK(step != 0.0, "arange: step is 0");
  const double count = std::ceil((stop - start) / step);
  const std::int64_t n = count > 0 ? static_cast<std::int64_t>(count) : 0;
  std::vector<double> values(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i)
    values[i] = start + static_cast<double>(i) * step;
  return from_host(values, {n}, dtype);
}
Tensor arange(std::int64_t stop, DType dtype) {
  return arange(0.0, static_cast<double>(stop), 1.0, dtype);
}

Tensor linspace(double start, double end, std::int64_t steps, DType dtype) {
  KINDLING_CHECK(steps >= 0, "linspace: steps is ", steps);
  std::vector<double> values(static_cast<std::size_t>(steps));
  const double delta = steps > 1 ? (end - start) / static_cast<double>(steps - 1) : 0.0;
  for (std::int64_t i = 0; i < steps; ++i)
    values[i] = i == steps - 1 ? end : start + static_cast<double>(i) * delta;
  return from_host(values, {steps}, dtype);
}

namespace {
void check_random_dtype(DType dtype, const char* op) {
  KINDLING_CHECK(is_floating(dtype), op, ": needs a floating dtype, got ", dtype_name(dtype),
                 " (randint draws integers)");
}
}  // namespace

Tensor rand(const Shape& shape, Generator& generator, DType dtype) {
  check_random_dtype(dtype, "rand");
  std::vector<double> values(static_cast<std::size_t>(shape_numel(shape)));
  for (double& v : values)
    v = generator.uniform();
  return from_host(values, shape, dtype);
}

Tensor randn(const Shape& shape, Generator& generator, DType dtype) {
  check_random_dtype(dtype, "randn");
  std::vector<double> values(static_cast<std::size_t>(shape_numel(shape)));
  for (double& v : values)
    v = generator.normal();
  return from_host(values, shape, dtype);
}

Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape, Generator& generator) {
  KINDLING_CHECK(low < high, "randint: empty range [", low, ", ", high, ")");
  std::vector<std::int64_t> values(static_cast<std::size_t>(shape_numel(shape)));
  for (auto& v : values)
    v = low + static_cast<std::int64_t>(generator.below(static_cast<std::uint64_t>(high - low)));
  return from_host(values, shape, DType::int64);
}

}  // namespace kindling
