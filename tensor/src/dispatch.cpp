// The device registry (Note [device dispatch] in kernels.hpp) and the small shared helpers of
// dtype.hpp.
#include <array>
#include <atomic>
#include <string>

#include "kindling/engine/error.hpp"
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
  }
  return "?";
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
  std::int64_t n = 1;
  for (auto d : shape)
    n *= d;
  return n;
}

}  // namespace kindling
