// Element types, devices and shapes: the vocabulary every other tensor header uses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace kindling {

/// A tensor's element type, as torch.dtype. float32 is the working type, float64 exists for
/// gradient checks, int64 for labels and indices, bool for masks (comparisons, where, masked_fill,
/// any, all). New dtypes go at the end: the values are stable.
enum class DType : std::uint8_t {
  float32,  ///< 32-bit IEEE float (C++ float), the default dtype.
  float64,  ///< 64-bit IEEE float (C++ double).
  int64,    ///< 64-bit two's-complement integer (std::int64_t); arithmetic wraps around.
  bool_     ///< One byte holding 0 or 1 (C++ bool); `bool` is a keyword, hence the underscore.
};

/// Bytes per element: 4 for float32, 8 for float64 and int64, 1 for bool (torch's element_size()).
constexpr std::size_t dtype_size(DType dtype) noexcept {
  switch (dtype) {
    case DType::float32:
      return 4;
    case DType::bool_:
      return 1;
    case DType::float64:
    case DType::int64:
      break;
  }
  return 8;
}
/// Whether `dtype` is float32 or float64 (torch.is_floating_point).
constexpr bool is_floating(DType dtype) noexcept {
  return dtype == DType::float32 || dtype == DType::float64;
}
/// The dtype's name as messages print it: "float32", "float64", "int64" or "bool".
std::string_view dtype_name(DType dtype) noexcept;

/// The DType of the C++ element type T: float, double, std::int64_t or bool (other types do not
/// link). A bool element is one byte holding 0 or 1 (Note [bool storage] in creation.hpp says
/// where foreign bytes are checked).
/// @code
/// static_assert(kindling::dtype_of<float>() == kindling::DType::float32);
/// @endcode
template <class T>
constexpr DType dtype_of() noexcept;
/// float is float32.
template <>
constexpr DType dtype_of<float>() noexcept {
  return DType::float32;
}
/// double is float64.
template <>
constexpr DType dtype_of<double>() noexcept {
  return DType::float64;
}
/// std::int64_t is int64.
template <>
constexpr DType dtype_of<std::int64_t>() noexcept {
  return DType::int64;
}
/// bool is bool_.
template <>
constexpr DType dtype_of<bool>() noexcept {
  return DType::bool_;
}

// Note [type promotion]
// The dtype of a binary op's result (and of where's) follows PyTorch's torch.result_type. DTypes
// fall in three categories, bool < integer < floating. Each operand is one of three kinds:
//   dimensioned     a tensor with at least one dimension
//   zero_dim        a 0-d tensor
//   wrapped_number  a number given in place of a tensor: C++ `x + 0.5`, `where(c, x, 0)`, a Python
//                   int, float or bool. A floating number counts as float32 (the default dtype),
//                   an integer as int64, a bool as bool.
// Operands of one kind promote among themselves (bool < int64 < float32 < float64). A zero_dim or
// wrapped result then changes the dimensioned one only when its category is higher, and a wrapped
// result changes a zero_dim one likewise; so float32 [2] + float64 0-d is float32, int64 [2] + 0.5
// is float32, int64 [2] + float64 0-d is float64, bool [2] + 1 is int64. Division is true division
// on top of this: an integral result type becomes float32 (ops.hpp, div).

/// The three categories of Note [type promotion], in promotion order: boolean < integer <
/// floating.
enum class DTypeCategory : std::uint8_t {
  boolean,  ///< bool_
  integer,  ///< int64
  floating  ///< float32 and float64
};
/// The category `dtype` belongs to (Note [type promotion]).
constexpr DTypeCategory dtype_category(DType dtype) noexcept {
  return dtype == DType::bool_   ? DTypeCategory::boolean
         : dtype == DType::int64 ? DTypeCategory::integer
                                 : DTypeCategory::floating;
}

/// The smallest dtype both convert to without leaving their categories' order:
/// bool < int64 < float32 < float64 (torch.promote_types).
constexpr DType promote(DType a, DType b) noexcept {
  auto rank = [](DType d) {
    switch (d) {
      case DType::bool_:
        return 0;
      case DType::int64:
        return 1;
      case DType::float32:
        return 2;
      case DType::float64:
        break;
    }
    return 3;
  };
  return rank(a) >= rank(b) ? a : b;
}

/// What an operand of result_type() is, the three kinds of Note [type promotion].
enum class OperandKind : std::uint8_t {
  dimensioned,    ///< A tensor with at least one dimension.
  zero_dim,       ///< A 0-d tensor.
  wrapped_number  ///< A number given in place of a tensor (a Scalar).
};
/// One operand of result_type(): its dtype and its kind.
struct TypedOperand {
  DType dtype;       ///< The operand's dtype (a Scalar's: bool_, int64 or float64).
  OperandKind kind;  ///< Tensor with dimensions, 0-d tensor or wrapped number.
};

namespace detail {
// One kind's running promotion; `defined` is false until an operand of that kind is seen.
struct PromotionSlot {
  bool defined = false;
  DType dtype = DType::bool_;
  constexpr void add(DType d) noexcept {
    dtype = defined ? promote(dtype, d) : d;
    defined = true;
  }
};
// PyTorch's combine_categories: `higher` is the slot of the kind that takes precedence.
constexpr PromotionSlot combine_categories(PromotionSlot higher, PromotionSlot lower) noexcept {
  if (!higher.defined) return lower;
  if (!lower.defined) return higher;
  if (dtype_category(higher.dtype) == DTypeCategory::floating) return higher;
  if (higher.dtype == DType::bool_ || dtype_category(lower.dtype) == DTypeCategory::floating)
    return {true, promote(higher.dtype, lower.dtype)};
  return higher;
}
}  // namespace detail

/// The result dtype of an op over `operands` (Note [type promotion]), as torch.result_type;
/// float32 for no operands.
/// @code
/// using kindling::DType, kindling::OperandKind;
/// static_assert(kindling::result_type({{DType::int64, OperandKind::dimensioned},
///                                      {DType::float64, OperandKind::wrapped_number}}) ==
///               DType::float32);
/// @endcode
constexpr DType result_type(std::initializer_list<TypedOperand> operands) noexcept {
  detail::PromotionSlot dimensioned, zero_dim, wrapped;
  for (const TypedOperand& o : operands) {
    switch (o.kind) {
      case OperandKind::dimensioned:
        dimensioned.add(o.dtype);
        break;
      case OperandKind::zero_dim:
        zero_dim.add(o.dtype);
        break;
      case OperandKind::wrapped_number:
        wrapped.add(dtype_category(o.dtype) == DTypeCategory::floating ? DType::float32 : o.dtype);
        break;
    }
  }
  const detail::PromotionSlot result =
      detail::combine_categories(dimensioned, detail::combine_categories(zero_dim, wrapped));
  return result.defined ? result.dtype : DType::float32;
}

// Note [wrapped numbers]
// A number standing in for a tensor operand: `x + 0.5`, `2 * x`, `x < 1`, `where(c, x, 0)`,
// `full(shape, 7)`. It remembers what it was given as (bool, an integer, or a floating number)
// and keeps integers exactly, so `int64 x + 2^62` does not round through a double and
// `int64 x + 0.5` knows to give float32 (Note [type promotion]). The ops turn it into a 0-d tensor
// of the result dtype, never a 0-d float64 tensor that would take part in promotion as one.

/// A number standing in for a tensor operand (Note [wrapped numbers]): what `x + 0.5`,
/// `full(shape, 7)` and `fill_(true)` take. It keeps the kind it was given as (bool, integer or
/// floating) and integers exactly.
/// @code
/// const kindling::Scalar half = 0.5;  // dtype() float64, counts as float32 in promotion
/// const kindling::Scalar big = std::int64_t{1} << 62;  // exact: to_int64() == 2^62
/// @endcode
class Scalar {
 public:
  /// Implicit from any arithmetic type, so every number literal works where a Scalar is taken:
  /// bool becomes a bool scalar, any integer an int64 one, any floating type a float64 one.
  /// @throws kindling::error for an unsigned value above INT64_MAX ("Scalar: ... does not fit
  ///         int64").
  template <class T>
  requires std::is_arithmetic_v<T> Scalar(T value) {  // NOLINT(google-explicit-constructor)
    if constexpr (std::is_same_v<T, bool>) {
      dtype_ = DType::bool_;
      integer_ = value ? 1 : 0;
    } else if constexpr (std::is_integral_v<T>) {
      if constexpr (std::is_unsigned_v<T> && sizeof(T) >= sizeof(std::int64_t)) {
        if (value > static_cast<T>(INT64_MAX))
          throw_too_large(static_cast<unsigned long long>(value));
      }
      dtype_ = DType::int64;
      integer_ = static_cast<std::int64_t>(value);
    } else {
      dtype_ = DType::float64;
      floating_ = static_cast<double>(value);
    }
  }

  /// bool_, int64 or float64: the kind of number it was given as.
  DType dtype() const noexcept { return dtype_; }
  /// Whether it was given as a floating number (dtype() is float64).
  bool is_floating() const noexcept { return dtype_ == DType::float64; }
  /// The value as a double (an int64 beyond 2^53 rounds).
  double to_double() const noexcept {
    return dtype_ == DType::float64 ? floating_ : static_cast<double>(integer_);
  }
  /// The value as int64: exact for bool and integer scalars; a floating one is converted as a
  /// cast to int64 is (truncated; NaN and out-of-range values give INT64_MIN: element.hpp).
  std::int64_t to_int64() const noexcept;
  /// As an operand of result_type(): its dtype, of kind wrapped_number.
  TypedOperand operand() const noexcept { return {dtype_, OperandKind::wrapped_number}; }

 private:
  [[noreturn]] static void throw_too_large(unsigned long long value);
  DType dtype_ = DType::float64;
  std::int64_t integer_ = 0;
  double floating_ = 0.0;
};
/// The scalar as text: "0.5", "7", "true".
std::string to_string(const Scalar& scalar);

//// Whether `value` converts to `dtype` without overflow, as PyTorch's checked_convert decides for
/// fills (full, masked_fill, fill_): for int64 not NaN, not infinite and within
/// [-2^63, 2^63] (2^63 itself passes and converts to INT64_MIN, as in PyTorch); every value fits
/// the other dtypes (floating ones round, bool takes value != 0).
bool fits_dtype(const Scalar& value, DType dtype) noexcept;

/// Where a tensor's storage lives. CPU is always there; CUDA kernels register themselves from the
/// gpu module (Note [device dispatch] in kernels.hpp).
enum class DeviceType : std::uint8_t {
  cpu,  ///< Host memory; its kernels are always registered.
  cuda  ///< An NVIDIA GPU, once the gpu module has registered its kernels.
};
/// How many DeviceType values there are (the size of per-type tables).
inline constexpr std::size_t kDeviceTypeCount = 2;

/// A device: a type and, for CUDA, which GPU (torch.device). Compared with ==.
/// @code
/// const kindling::Tensor x = kindling::zeros({2, 3}, kindling::DType::float32,
///                                            kindling::Device::cuda(0));
/// @endcode
struct Device {
  DeviceType type = DeviceType::cpu;  ///< CPU or CUDA.
  int index = 0;                      ///< The GPU's ordinal for CUDA; 0 for the CPU.
  /// Same type and index.
  friend bool operator==(const Device&, const Device&) = default;
  /// The CPU (also kCPU): the spelling examples and tests use (added for gpu/).
  static constexpr Device cpu() noexcept { return {}; }
  /// GPU number `index` (torch's "cuda:index").
  static constexpr Device cuda(int index = 0) noexcept { return {DeviceType::cuda, index}; }
};
/// The CPU device, every creation function's default.
inline constexpr Device kCPU{};
/// The device as torch prints it: "cpu", "cuda:0".
std::string to_string(Device device);

/// A tensor has at most this many dimensions: kernels keep shapes in fixed arrays.
inline constexpr int kMaxDims = 8;

/// A tensor's sizes (or strides, or a permutation), outermost first; {} is a 0-d tensor.
using Shape = std::vector<std::int64_t>;
/// The shape as messages print it: "(3,4)"; "()" for a 0-d tensor.
std::string shape_string(const Shape& shape);
/// The element count of a shape already checked by checked_numel (every tensor's shape is); 0 if
/// any size is 0.
std::int64_t shape_numel(const Shape& shape) noexcept;

// Note [checked shape arithmetic]
// Every size, element count, stride and byte count that comes from a user or a file goes through
// these helpers, so no shape can wrap around int64 or size_t and reach an allocation or a kernel
// too small for it. They throw kindling::error naming `op`:
//   "zeros: shape (2147483648,2147483648) has more than 2^63 elements".
// checked_numel also rejects negative dimensions. checked_mul and checked_add are the building
// blocks for callers with counts of their own (a reader's running total, a stride).

/// The element count of `shape` (Note [checked shape arithmetic]); 0 when a size is 0, however
/// large the others.
/// @throws kindling::error naming `op` for a negative dimension or more than 2^63 - 1 elements.
std::int64_t checked_numel(const Shape& shape, std::string_view op);
/// numel * dtype_size(dtype) as size_t (Note [checked shape arithmetic]).
/// @throws kindling::error naming `op` as checked_numel does, or when the bytes do not fit in
///         int64.
std::size_t checked_nbytes(const Shape& shape, DType dtype, std::string_view op);
/// a * b for non-negative counts; `what` names the quantity ("elements", "bytes").
/// @throws kindling::error naming `op` for a negative count or a product past int64.
std::int64_t checked_mul(std::int64_t a, std::int64_t b, std::string_view op,
                         std::string_view what = "elements");
/// a + b for non-negative counts; `what` names the quantity ("elements", "bytes").
/// @throws kindling::error naming `op` for a negative count or a sum past int64.
std::int64_t checked_add(std::int64_t a, std::int64_t b, std::string_view op,
                         std::string_view what = "elements");

}  // namespace kindling
