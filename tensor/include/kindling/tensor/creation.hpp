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

// A fresh contiguous leaf of the given shape, uninitialised: for code that writes every element
// itself (a reader filling it from a file; call bump_version() only if a graph may have used it).
// The shape is checked (at most kMaxDims dimensions, no negative sizes, element and byte counts
// within int64: Note [checked shape arithmetic]) and an allocation failure becomes a
// kindling::error; both name `op`, the user-facing operation that asked ("zeros: shape
// (2147483648,2147483648) of float32 needs ..."), so a wrapper (Python's tensor()) passes its own.
Tensor empty(const Shape& shape, DType dtype = DType::float32, Device device = kCPU,
             std::string_view op = "empty");
Tensor zeros(const Shape& shape, DType dtype = DType::float32, Device device = kCPU);
Tensor ones(const Shape& shape, DType dtype = DType::float32, Device device = kCPU);
// Every element `value`, converted to `dtype` (exact for integers; a bool dtype takes value != 0).
// NaN, +-inf or a number outside int64's range into int64 is an error, as in PyTorch: "full:
// value nan cannot be converted to int64 without overflow" (fits_dtype in dtype.hpp).
Tensor full(const Shape& shape, const Scalar& value, DType dtype = DType::float32,
            Device device = kCPU);
Tensor zeros_like(const Tensor& like);
Tensor ones_like(const Tensor& like);
Tensor full_like(const Tensor& like, const Scalar& value);
// The n x m identity (m = n when negative): ones on the diagonal, zeros elsewhere.
Tensor eye(std::int64_t n, std::int64_t m = -1, DType dtype = DType::float32, Device device = kCPU);
// A 0-d tensor.
Tensor scalar_tensor(const Scalar& value, DType dtype = DType::float32, Device device = kCPU);

// start, start + step, ... while < stop (> stop for a negative step), as in NumPy.
Tensor arange(double start, double stop, double step = 1.0, DType dtype = DType::float32);
Tensor arange(std::int64_t stop, DType dtype = DType::int64);
// `steps` evenly spaced values from start to end inclusive.
Tensor linspace(double start, double end, std::int64_t steps, DType dtype = DType::float32);

// Note [bool storage]
// A bool element is one byte, 0 or 1; the kernels read it as C++ bool, for which any other byte
// is undefined. kindling writes only 0 and 1 (comparisons, casts, fills), so the bytes to check are
// those that come from outside: from_blob checks a bool buffer once when it adopts it (and a
// reader of files must check or normalise the bytes it reads: safetensors' BOOL).

// A contiguous CPU leaf over memory kindling does not own, without copying: `data` holds
// shape's elements of `dtype` in row-major order, aligned for the dtype, and must stay valid until
// `release` is called (when the last tensor or view using it is gone). Writes through either side
// are seen by the other, as with torch.from_numpy. Bool data must hold only bytes 0 and 1 (checked;
// Note [bool storage]).
Tensor from_blob(void* data, const Shape& shape, DType dtype, std::function<void()> release);

// A copy of host data with the given shape ({} for a 0-d tensor; numel must match). The dtype
// follows T unless given: float, double, std::int64_t, or bool (from a std::vector<bool>).
template <class T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape);
template <class T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape, DType dtype);
template <>
Tensor from_vector(const std::vector<bool>& values, const Shape& shape);
template <>
Tensor from_vector(const std::vector<bool>& values, const Shape& shape, DType dtype);
// tensor({1, 2, 3, 4}, {2, 2}); a 1-D tensor when the shape is omitted.
Tensor tensor(std::initializer_list<double> values, const Shape& shape,
              DType dtype = DType::float32);
Tensor tensor(std::initializer_list<double> values, DType dtype = DType::float32);

// Uniform in [0, 1), standard normal (floating dtypes only), and integers uniform in [low, high)
// (int64).
Tensor rand(const Shape& shape, Generator& generator, DType dtype = DType::float32);
Tensor randn(const Shape& shape, Generator& generator, DType dtype = DType::float32);
Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape, Generator& generator);
// A random permutation of 0 .. n-1 (int64, Fisher-Yates with generator.below), as torch.randperm.
Tensor randperm(std::int64_t n, Generator& generator);

}  // namespace kindling
