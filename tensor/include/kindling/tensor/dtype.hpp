// Element types, devices and shapes: the vocabulary every other tensor header uses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kindling {

// float32 is the working type, float64 exists for gradient checks, int64 for labels and indices.
enum class DType : std::uint8_t { float32, float64, int64 };

constexpr std::size_t dtype_size(DType dtype) noexcept {
  return dtype == DType::float32 ? 4 : 8;
}
constexpr bool is_floating(DType dtype) noexcept {
  return dtype != DType::int64;
}
std::string_view dtype_name(DType dtype) noexcept;  // "float32"
// The type both operands of a binary op are converted to: int64 < float32 < float64.
constexpr DType promote(DType a, DType b) noexcept {
  if (a == DType::float64 || b == DType::float64) return DType::float64;
  if (a == DType::float32 || b == DType::float32) return DType::float32;
  return DType::int64;
}

// The C++ type behind a DType, and back.
template <class T>
constexpr DType dtype_of() noexcept;
template <>
constexpr DType dtype_of<float>() noexcept {
  return DType::float32;
}
template <>
constexpr DType dtype_of<double>() noexcept {
  return DType::float64;
}
template <>
constexpr DType dtype_of<std::int64_t>() noexcept {
  return DType::int64;
}

// Where a tensor's storage lives. CPU is always there; CUDA kernels register themselves from the
// gpu module (Note [device dispatch] in kernels.hpp).
enum class DeviceType : std::uint8_t { cpu, cuda };
inline constexpr std::size_t kDeviceTypeCount = 2;

struct Device {
  DeviceType type = DeviceType::cpu;
  int index = 0;
  friend bool operator==(const Device&, const Device&) = default;
  // Device::cpu(), Device::cuda(0): the spellings examples and tests use (added for gpu/).
  static constexpr Device cpu() noexcept { return {}; }
  static constexpr Device cuda(int index = 0) noexcept { return {DeviceType::cuda, index}; }
};
inline constexpr Device kCPU{};
std::string to_string(Device device);  // "cpu", "cuda:0"

// A tensor has at most this many dimensions: kernels keep shapes in fixed arrays.
inline constexpr int kMaxDims = 8;

using Shape = std::vector<std::int64_t>;
std::string shape_string(const Shape& shape);  // "(3,4)"; "()" for a scalar
// The element count of a shape already checked by checked_numel (every tensor's shape is).
std::int64_t shape_numel(const Shape& shape) noexcept;

// Note [checked shape arithmetic]
// Every size, element count, stride and byte count that comes from a user or a file goes through
// these helpers, so no shape can wrap around int64 or size_t and reach an allocation or a kernel
// too small for it. They throw kindling::error naming `op`:
//   "zeros: shape (2147483648,2147483648) has more than 2^63 elements".
// checked_numel also rejects negative dimensions. checked_mul and checked_add are the building
// blocks for callers with counts of their own (a reader's running total, a stride).
std::int64_t checked_numel(const Shape& shape, std::string_view op);
// numel * dtype_size(dtype) as size_t, or an error naming `op` when it does not fit in int64.
std::size_t checked_nbytes(const Shape& shape, DType dtype, std::string_view op);
// a * b and a + b for non-negative counts; `what` names the quantity ("elements", "bytes").
std::int64_t checked_mul(std::int64_t a, std::int64_t b, std::string_view op,
                         std::string_view what = "elements");
std::int64_t checked_add(std::int64_t a, std::int64_t b, std::string_view op,
                         std::string_view what = "elements");

}  // namespace kindling
