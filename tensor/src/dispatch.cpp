// The device registry (Note [device dispatch] in kernels.hpp) and the small shared helpers of
// dtype.hpp.
#include <array>
#include <atomic>
#include <sstream>
#include <string>

#include "kindling/engine/error.hpp"
#include "kindling/tensor/element.hpp"
#include "kindling/tensor/kernels.hpp"

namespace kindling {

namespace kernels {
namespace cpu {
const KernelTable* cpu_kernel_table();
}

namespace {
std::array<std::atomic<const KernelTable*>, kDeviceTypeCount>& registry() {
  static std::array<std::atomic<const KernelTable*>, kDeviceTypeCount> tables{};
  return tables;
}
}  // namespace

void register_kernels(DeviceType type, const KernelTable* table) noexcept {
  registry()[static_cast<std::size_t>(type)].store(table);
}

bool has_kernels(DeviceType type) noexcept {
  return type == DeviceType::cpu || registry()[static_cast<std::size_t>(type)].load() != nullptr;
}

const KernelTable& kernels_for(Device device) {
  const KernelTable* table = registry()[static_cast<std::size_t>(device.type)].load();
  if (table == nullptr && device.type == DeviceType::cpu) table = cpu::cpu_kernel_table();
  KINDLING_CHECK(table != nullptr, "no kernels are registered for device ", to_string(device),
                 " (is kindling built with CUDA and the gpu module linked?)");
  return *table;
}

}  // namespace kernels

std::string_view dtype_name(DType dtype) noexcept {
  switch (dtype) {
    case DType::float32:
      return "float32";
    case DType::float64:
      return "float64";
    case DType::int64:
      return "int64";
    case DType::bool_:
      return "bool";
  }
  return "?";
}

// ---- Scalar (Note [wrapped numbers]) -----------------------------------------------------------

std::int64_t Scalar::to_int64() const noexcept {
  return dtype_ == DType::float64 ? element::float_to_int64(floating_) : integer_;
}

void Scalar::throw_too_large(unsigned long long value) {
  detail::throw_error("Scalar: ", value, " does not fit int64");
}

std::string to_string(const Scalar& scalar) {
  switch (scalar.dtype()) {
    case DType::bool_:
      return scalar.to_int64() != 0 ? "true" : "false";
    case DType::int64:
      return std::to_string(scalar.to_int64());
    default:
      break;
  }
  std::ostringstream os;
  os << scalar.to_double();
  return os.str();
}

bool fits_dtype(const Scalar& value, DType dtype) noexcept {
  if (dtype != DType::int64 || !value.is_floating()) return true;
  const double v = value.to_double();
  // NaN fails both comparisons; 2^63 passes, as in PyTorch (c10::overflows).
  return v >= -9223372036854775808.0 && v <= 9223372036854775808.0;
}

std::string to_string(Device device) {
  if (device.type == DeviceType::cpu) return "cpu";
  std::string s = "cuda:";  // appended, not "cuda:" + ...: GCC 12 warns falsely (-Wrestrict)
  s += std::to_string(device.index);
  return s;
}

std::string shape_string(const Shape& shape) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(shape[i]);
  }
  return s + ")";
}

std::int64_t shape_numel(const Shape& shape) noexcept {
  // A zero size first: an empty shape's other sizes may multiply past int64.
  for (auto d : shape)
    if (d == 0) return 0;
  std::int64_t n = 1;
  for (auto d : shape)
    n *= d;
  return n;
}

// ---- checked shape arithmetic (Note [checked shape arithmetic] in dtype.hpp) -------------------

std::int64_t checked_mul(std::int64_t a, std::int64_t b, std::string_view op,
                         std::string_view what) {
  KINDLING_CHECK(a >= 0 && b >= 0, op, ": negative count (", a, " x ", b, " ", what, ")");
  std::int64_t product = 0;
  KINDLING_CHECK(!__builtin_mul_overflow(a, b, &product), op, ": ", a, " x ", b, " ", what,
                 " is more than 2^63");
  return product;
}

std::int64_t checked_add(std::int64_t a, std::int64_t b, std::string_view op,
                         std::string_view what) {
  KINDLING_CHECK(a >= 0 && b >= 0, op, ": negative count (", a, " + ", b, " ", what, ")");
  std::int64_t total = 0;
  KINDLING_CHECK(!__builtin_add_overflow(a, b, &total), op, ": ", a, " + ", b, " ", what,
                 " is more than 2^63");
  return total;
}

std::int64_t checked_numel(const Shape& shape, std::string_view op) {
  for (auto d : shape)
    KINDLING_CHECK(d >= 0, op, ": negative dimension ", d, " in shape ", shape_string(shape));
  // A zero dimension makes the shape empty however large the others are.
  for (auto d : shape)
    if (d == 0) return 0;
  std::int64_t n = 1;
  for (auto d : shape)
    KINDLING_CHECK(!__builtin_mul_overflow(n, d, &n), op, ": shape ", shape_string(shape),
                   " has more than 2^63 elements");
  return n;
}

std::size_t checked_nbytes(const Shape& shape, DType dtype, std::string_view op) {
  const std::int64_t n = checked_numel(shape, op);
  std::int64_t bytes = 0;
  KINDLING_CHECK(!__builtin_mul_overflow(n, static_cast<std::int64_t>(dtype_size(dtype)), &bytes),
                 op, ": shape ", shape_string(shape), " of ", dtype_name(dtype),
                 " needs more than 2^63 bytes");
  return static_cast<std::size_t>(bytes);
}

}  // namespace kindling
