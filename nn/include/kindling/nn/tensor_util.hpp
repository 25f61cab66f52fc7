// Small in-place helpers the nn module needs on top of the tensor API: copying values into an
// existing tensor (parameters, buffers, optimizer state) outside the graph, filling one from host
// numbers, and reading host copies. All of them work on any device that registered kernels.
#pragma once

#include <vector>

#include "kindling/tensor/tensor.hpp"

namespace kindling::nn {

// dst = src elementwise (shapes equal, dtypes converted as cast() converts them: NaN and
// out-of-range floats become INT64_MIN in int64), outside the graph; dst keeps its storage, so
// views of it and optimizer references stay valid. Devices must match, or one side is the CPU
// and the other contiguous with the same dtype.
void copy_into(const Tensor& dst, const Tensor& src, const char* who = "copy_into");
// dst = value everywhere, outside the graph. NaN, +-inf or an out-of-range value into int64 is an
// error, as PyTorch's fill_ ("fill: value nan cannot be converted to int64 without overflow").
void fill_into(const Tensor& dst, double value);
// dst = host values in row-major order (count must equal dst.numel()).
void assign_host(const Tensor& dst, const std::vector<double>& values, const char* who);
// Moves a leaf to another device in place: its node gets new contiguous storage there holding
// the same values, so every handle to it (module members, optimizer lists) follows. Its grad is
// dropped. Only for tensors that no view shares storage with (parameters and buffers).
void move_to_device(const Tensor& t, Device device);
// A fresh contiguous tensor that no graph knows, holding a copy of `src`.
Tensor detached_copy(const Tensor& src);

}  // namespace kindling::nn
