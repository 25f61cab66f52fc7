// The device registry (Note [device dispatch] in kernels.hpp) and the small shared helpers of
// dtype.hpp.
#include <array>
#include <atomic>
#include <bitset>
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

// A registered table as the registry keeps it: the entries with every hole filled by a thunk, and
// which entries the device really has.
struct RegisteredTable {
  KernelTable given;  // what register_kernels() was given
  KernelTable table;
  std::bitset<kKernelCount> present;
  const RegisteredTable* older = nullptr;  // the table completed before this one (every_table)
};

bool same_entries(const KernelTable& a, const KernelTable& b) noexcept {
#define KINDLING_X(name, kind, ret, params) \
  if (a.name != b.name) return false;
  KINDLING_KERNEL_TABLE(KINDLING_X)
#undef KINDLING_X
  return true;
}

std::string_view device_type_name(DeviceType type) noexcept {
  switch (type) {
    case DeviceType::cpu:
      return "cpu";
    case DeviceType::cuda:
      return "cuda";
  }
  return "?";
}

[[noreturn]] void throw_missing(DeviceType type, Kernel kernel) {
  detail::throw_error(device_type_name(type), " has no kernel for ", kernel_name(kernel));
}

// Missing<type, kernel, signature>::call has the entry's signature and throws.
template <DeviceType type, Kernel kernel, class F>
struct Missing;
template <DeviceType type, Kernel kernel, class R, class... A>
struct Missing<type, kernel, R (*)(A...)> {
  [[noreturn]] static R call(A...) { throw_missing(type, kernel); }
};

template <DeviceType type>
void fill_holes(RegisteredTable& r) noexcept {
#define KINDLING_X(name, kind, ret, params)                                    \
  r.present[static_cast<std::size_t>(Kernel::name)] = r.table.name != nullptr; \
  if (r.table.name == nullptr)                                                 \
    r.table.name = &Missing<type, Kernel::name, decltype(r.table.name)>::call;
  KINDLING_KERNEL_TABLE(KINDLING_X)
#undef KINDLING_X
}

// Never freed: a thread may still be reading a table that was replaced, and a registration happens
// a few times per process at most (at static initialisation). Every table stays reachable from
// this list, so a replaced one is kept on purpose, not lost (LeakSanitizer agrees).
std::atomic<const RegisteredTable*> every_table{nullptr};

const RegisteredTable* complete(DeviceType type, const KernelTable* table) noexcept {
  auto* r = new RegisteredTable{*table, *table, {}, every_table.load()};
  while (!every_table.compare_exchange_weak(r->older, r)) {
  }
  switch (type) {
    case DeviceType::cpu:
      fill_holes<DeviceType::cpu>(*r);
      break;
    case DeviceType::cuda:
      fill_holes<DeviceType::cuda>(*r);
      break;
  }
  return r;
}

std::array<std::atomic<const RegisteredTable*>, kDeviceTypeCount>& registry() {
  static std::array<std::atomic<const RegisteredTable*>, kDeviceTypeCount> tables{};
  return tables;
}

// The registered table, or for the CPU its own (whatever the static initialisation order);
// null when the device type has none.
const RegisteredTable* lookup(DeviceType type) noexcept {
  const RegisteredTable* r = registry()[static_cast<std::size_t>(type)].load();
  if (r == nullptr && type == DeviceType::cpu) {
    static const RegisteredTable* const cpu_table =
        complete(DeviceType::cpu, cpu::cpu_kernel_table());
    r = cpu_table;
  }
  return r;
}

}  // namespace

void register_kernels(DeviceType type, const KernelTable* table) noexcept {
  auto& slot = registry()[static_cast<std::size_t>(type)];
  const RegisteredTable* current = slot.load();
  if (current != nullptr && table != nullptr && same_entries(current->given, *table)) return;
  slot.store(table == nullptr ? nullptr : complete(type, table));
}

bool has_kernels(DeviceType type) noexcept {
  return lookup(type) != nullptr;
}

bool supports(Device device, Kernel kernel) noexcept {
  const RegisteredTable* r = lookup(device.type);
  return r != nullptr && r->present[static_cast<std::size_t>(kernel)];
}

const KernelTable& kernels_for(Device device) {
  const RegisteredTable* r = lookup(device.type);
  KINDLING_CHECK(r != nullptr, "no kernels are registered for device ", to_string(device),
                 " (is kindling built with CUDA and the gpu module linked?)");
  return r->table;
}

const KernelTable& kernels_on(Device device) {
  const KernelTable& table = kernels_for(device);
  if (device.type != DeviceType::cpu) table.make_current(device);
  return table;
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
