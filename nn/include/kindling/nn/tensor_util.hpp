// Small in-place helpers the nn module needs on top of the tensor API: copying values into an
// existing tensor (parameters, buffers, optimizer state) outside the graph, filling one from host
// numbers, and reading host copies. All of them work on any device that registered kernels.
// Counters in state dicts (steps, epochs) travel as exact int64 scalars (int64_scalar,
// exact_int64): a double cannot hold 2^53 + 1 or INT64_MAX.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "kindling/tensor/tensor.hpp"

namespace kindling::nn {

/// dst = src elementwise (shapes equal, dtypes converted as cast() converts them: NaN and
/// out-of-range floats become INT64_MIN in int64), outside the graph: Tensor::copy_ under no_grad.
/// dst keeps its storage, so views of it and optimizer references stay valid; src may be on
/// another device. PyTorch: `with torch.no_grad(): dst.copy_(src)`, without the broadcasting.
/// @throws kindling::error naming `who` when the shapes differ, or when Tensor::copy_ refuses the
///   write (an expanded view).
void copy_into(const Tensor& dst, const Tensor& src, const char* who = "copy_into");
/// dst = value everywhere, outside the graph: Tensor::fill_ under no_grad.
/// @throws kindling::error for NaN, +-inf or an out-of-range value into int64, as PyTorch's
///   fill_ ("fill_: value nan cannot be converted to int64 without overflow").
void fill_into(const Tensor& dst, double value);
/// dst = host values in row-major order, through copy_into.
/// @throws kindling::error naming `who` when values.size() differs from dst.numel().
void assign_host(const Tensor& dst, const std::vector<double>& values, const char* who);
/// Moving a leaf between devices in place is kindling::move_to_device (tensor.hpp).
using kindling::move_to_device;

/// A 0-d int64 CPU tensor holding `value` exactly (scalar_tensor goes through a double).
Tensor int64_scalar(std::int64_t value);
/// The value of a one-element tensor as int64, exactly: an int64 tensor as it is; a floating one
/// only when it is finite, a whole number and inside int64's range.
/// @throws kindling::error naming `who` and `what` ("entry 'step'") for anything else: NaN,
///   1e300, 2.5, several elements, an undefined tensor.
std::int64_t exact_int64(const Tensor& t, std::string_view who, std::string_view what);

}  // namespace kindling::nn
