// Making tensors: constant fills, ranges, copies of host data and seeded random draws.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <vector>

#include "kindling/engine/random.hpp"
#include "kindling/tensor/tensor.hpp"

namespace kindling {

Tensor zeros(const Shape& shape, DType dtype = DType::float32, Device device = kCPU);
Tensor ones(const Shape& shape, DType dtype = DType::float32, Device device = kCPU);
Tensor full(const Shape& shape, double value, DType dtype = DType::float32, Device device = kCPU);
Tensor zeros_like(const Tensor& like);
Tensor ones_like(const Tensor& like);
Tensor full_like(const Tensor& like, double value);
// A 0-d tensor.
Tensor scalar_tensor(double value, DType dtype = DType::float32, Device device = kCPU);

// start, start + step, ... while < stop (> stop for a negative step), as in NumPy.
Tensor arange(double start, double stop, double step = 1.0, DType dtype = DType::float32);
Tensor arange(std::int64_t stop, DType dtype = DType::int64);
// `steps` evenly spaced values from start to end inclusive.
Tensor linspace(double start, double end, std::int64_t steps, DType dtype = DType::float32);

// A copy of host data with the given shape ({} for a 0-d tensor; numel must match). The dtype
// follows T unless given.
// A contiguous CPU leaf over memory kindling does not own, without copying: `data` holds
// shape's elements of `dtype` in row-major order, aligned for the dtype, and must stay valid until
// `release` is called (when the last tensor or view using it is gone). Writes through either side
// are seen by the other, as with torch.from_numpy.
Tensor from_blob(void* data, const Shape& shape, DType dtype, std::function<void()> release);

template <class T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape);
template <class T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape, DType dtype);
// tensor({1, 2, 3, 4}, {2, 2}); a 1-D tensor when the shape is omitted.
Tensor tensor(std::initializer_list<double> values, const Shape& shape,
              DType dtype = DType::float32);
Tensor tensor(std::initializer_list<double> values, DType dtype = DType::float32);

// Uniform in [0, 1), standard normal, and integers uniform in [low, high) (int64).
Tensor rand(const Shape& shape, Generator& generator, DType dtype = DType::float32);
Tensor randn(const Shape& shape, Generator& generator, DType dtype = DType::float32);
Tensor randint(std::int64_t low, std::int64_t high, const Shape& shape, Generator& generator);

}  // namespace kindling
