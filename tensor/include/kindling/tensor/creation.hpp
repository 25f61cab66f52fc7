// Making tensors: constant fills, ranges, copies of host data and seeded random draws.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string_view>
#include <vector>

#include "kindling/engine/random.hpp"
#include "kindling/tensor/tensor.hpp"

namespace kindling {

// Every function here returns a fresh leaf that does not require grad (chain
// set_requires_grad() to make a parameter). Shapes are checked (at most kMaxDims dimensions, no
// negative sizes, element and byte counts within int64: Note [checked shape arithmetic]) and an
// allocation failure becomes a kindling::error, both naming the function.

/// A fresh contiguous leaf of the given shape, uninitialised (torch.empty): for code that writes
/// every element itself (a reader filling it from a file; call bump_version() only if a graph may
/// have used it).
/// @param shape The sizes.
/// @param dtype The element type.
/// @param device Where the memory is allocated.
/// @param op The user-facing operation that asked, named in the errors ("zeros: shape
///        (2147483648,2147483648) of float32 needs ..."), so a wrapper (Python's tensor()) passes
///        its own.
/// @throws kindling::error for more than kMaxDims dimensions, a negative size, more than 2^63
///         elements or bytes, or an allocation failure.
Tensor empty(const Shape& shape, DType dtype = DType::float32, Device device = kCPU,
             std::string_view op = "empty");
/// Zeros of `shape` (torch.zeros).
/// @code
/// const kindling::Tensor z = kindling::zeros({2, 3});                      // float32, CPU
/// const kindling::Tensor n = kindling::zeros({4}, kindling::DType::int64);  // int64 zeros
/// @endcode
Tensor zeros(const Shape& shape, DType dtype = DType::float32, Device device = kCPU);
/// Ones of `shape` (torch.ones).
Tensor ones(const Shape& shape, DType dtype = DType::float32, Device device = kCPU);
/// Every element `value`, converted to `dtype` (exact for integers; a bool dtype takes value !=
/// 0), as torch.full with an explicit dtype.
/// @throws kindling::error for NaN, +-inf or a number outside int64's range into int64, as in
///         PyTorch: "full: value nan cannot be converted to int64 without overflow" (fits_dtype
///         in dtype.hpp).
Tensor full(const Shape& shape, const Scalar& value, DType dtype = DType::float32,
            Device device = kCPU);
/// zeros() of like's shape, dtype and device (torch.zeros_like).
Tensor zeros_like(const Tensor& like);
/// ones() of like's shape, dtype and device (torch.ones_like).
Tensor ones_like(const Tensor& like);
/// full() of like's shape, dtype and device (torch.full_like).
Tensor full_like(const Tensor& like, const Scalar& value);
/// The n x m identity (m = n when negative): ones on the diagonal, zeros elsewhere (torch.eye).
/// @throws kindling::error when n is negative.
Tensor eye(std::int64_t n, std::int64_t m = -1, DType dtype = DType::float32, Device device = kCPU);
/// A 0-d tensor holding `value` converted to `dtype` (torch.scalar_tensor).
/// @throws kindling::error as full() does.
Tensor scalar_tensor(const Scalar& value, DType dtype = DType::float32, Device device = kCPU);

/// start, start + step, ... while < stop (> stop for a negative step), as in NumPy and
/// torch.arange; a 1-D CPU tensor.
/// @throws kindling::error for a bound or step that is not finite, a step of 0, more than 2^63
///         values, or (int64) values outside int64.
/// @code
/// const kindling::Tensor a = kindling::arange(0.0, 1.0, 0.25);  // 0, 0.25, 0.5, 0.75
/// @endcode
Tensor arange(double start, double stop, double step = 1.0, DType dtype = DType::float32);
/// 0, 1, ..., stop - 1, int64 by default (torch.arange(stop)).
Tensor arange(std::int64_t stop, DType dtype = DType::int64);
/// `steps` evenly spaced values from start to end inclusive, as torch.linspace; a 1-D CPU
/// tensor.
/// @throws kindling::error when steps is negative.
Tensor linspace(double start, double end, std::int64_t steps, DType dtype = DType::float32);

// Note [bool storage]
// A bool element is one byte, 0 or 1; the kernels read it as C++ bool, for which any other byte
// is undefined. kindling writes only 0 and 1 (comparisons, casts, fills), so the bytes to check are
// those that come from outside: from_blob checks a bool buffer once when it adopts it (and a
// reader of files must check or normalise the bytes it reads: safetensors' BOOL).

/// A contiguous CPU leaf over memory kindling does not own, without copying: `data` holds
/// shape's elements of `dtype` in row-major order, aligned for the dtype, and must stay valid
/// until `release` is called (when the last tensor or view using it is gone). Writes through
/// either side are seen by the other, as with torch.from_numpy. Bool data must hold only bytes 0
/// and 1 (checked; Note [bool storage]).
/// @throws kindling::error for a bad shape, null data for a non-empty shape, misaligned data,
///         or a bool byte other than 0 and 1.
Tensor from_blob(void* data, const Shape& shape, DType dtype, std::function<void()> release);

/// A CPU copy of host data with the given shape ({} for a 0-d tensor; numel must match). The
/// dtype follows T: float, double or std::int64_t (torch.tensor of a list).
/// @throws kindling::error when the number of values does not fill the shape.
/// @code
/// const kindling::Tensor m = kindling::from_vector(std::vector<float>{1, 2, 3, 4}, {2, 2});
/// @endcode
template <class T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape);
/// A CPU copy of host data converted to `dtype`.
/// @throws kindling::error when the number of values does not fill the shape.
template <class T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape, DType dtype);
/// A bool CPU tensor from a `std::vector<bool>` (unpacked to one byte per element).
template <>
Tensor from_vector(const std::vector<bool>& values, const Shape& shape);
/// A CPU copy of a `std::vector<bool>` converted to `dtype`.
template <>
Tensor from_vector(const std::vector<bool>& values, const Shape& shape, DType dtype);
/// A CPU tensor from listed values, as torch.tensor: tensor({1, 2, 3, 4}, {2, 2}). The values
/// are doubles converted to `dtype`.
/// @throws kindling::error when the number of values does not fill the shape.
Tensor tensor(std::initializer_list<double> values, const Shape& shape,
              DType dtype = DType::float32);
/// A 1-D CPU tensor of the listed values: tensor({1, 2, 3}).
Tensor tensor(std::initializer_list<double> values, DType dtype = DType::float32);

/// Uniform in [0, 1) (torch.rand), drawn from `generator`: a seed gives the same tensor on every
/// platform. CPU.
/// @throws kindling::error for a dtype that is not floating-point.
/// @code
/// kindling::Generator gen(42);
/// const kindling::Tensor u = kindling::rand({2, 3}, gen);
/// @endcode
Tensor rand(const Shape& shape, Generator& generator, DType dtype = DType::float32);
/// Standard normal (torch.randn), drawn from `generator`. CPU.
/// @throws kindling::error for a dtype that is not floating-point.
Tensor randn(const Shape& shape, Generator& generator, DType dtype = DType::float32);
/// int64 integers uniform in [low, high) (torch.randint), drawn from `generator`. CPU.
/// @throws kindling::error when low >= high.
Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape, Generator& generator);
/// A random permutation of 0 .. n-1 (int64, Fisher-Yates with generator.below), as torch.randperm.
/// @throws kindling::error when n is negative.
Tensor randperm(std::int64_t n, Generator& generator);

}  // namespace kindling
