// The layers as functions, as torch.nn.functional: linear, dropout, layer_norm, embedding, pad,
// normalize and the tanh form of gelu. Each is a composite of tensor ops (its gradient comes with
// them); the layers of layers.hpp call these. The losses are in loss.hpp, the activations
// (relu, gelu, silu, leaky_relu, softplus, elu, softmax, log_softmax) in kindling/tensor/ops.hpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kindling/engine/random.hpp"
#include "kindling/tensor/ops.hpp"
#include "kindling/tensor/tensor.hpp"

namespace kindling::nn {

/// x W^T + b with W (out, in) and b (out,) (undefined: no bias); x (..., in) -> (..., out), a
/// 1-d x (in,) giving (out,). torch.nn.functional.linear.
/// @throws kindling::error when W is not 2-d, x does not end in `in`, the dtypes differ (as
///   torch's: no silent conversion of an int64 or float64 input), or b is not (out,) of W's dtype.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = {});

/// torch.nn.functional.dropout: in training, zeroes each element with probability p and scales
/// the rest by 1 / (1 - p); the input itself when not training or p is 0, zeros when p is 1.
/// The mask is drawn on the host from `generator`, so a seed gives the same mask on every device.
/// @throws kindling::error when p is outside [0, 1].
Tensor dropout(const Tensor& x, double p, bool training, Generator& generator);

/// torch.nn.functional.dropout2d: in training, zeroes whole channels of x (N, C, H, W) or
/// (C, H, W) with probability p, scaling the rest by 1 / (1 - p); x itself otherwise.
/// @throws kindling::error for an input of another rank or p outside [0, 1].
Tensor dropout2d(const Tensor& x, double p, bool training, Generator& generator);

/// torch.nn.functional.layer_norm: normalises over the trailing dims `normalized_shape`,
/// (x - mean) / sqrt(var + eps) with the biased variance, then y * weight + bias when they are
/// defined (each of shape `normalized_shape`).
/// @throws kindling::error for an empty normalized_shape, an input that does not end in it, or a
///   weight or bias of another shape.
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight = {},
                  const Tensor& bias = {}, double eps = 1e-5);

/// torch.nn.functional.embedding: the rows of `weight` (num, dim) at int64 `indices` of any
/// shape, (...) -> (..., dim).
/// @throws kindling::error for indices that are not int64, a weight that is not 2-d, or an index
///   outside [0, num) (from index_select).
Tensor embedding(const Tensor& indices, const Tensor& weight);

/// pad (kindling/tensor/ops.hpp), as torch.nn.functional has it; its constant, reflect, replicate
/// and circular modes.
using kindling::pad;
using kindling::PadMode;

/// x / max(||x||_p, eps) along `axis`, as torch.nn.functional.normalize. A zero vector stays
/// zero; its gradient is torch's, 1 / eps (never NaN: the norm's root is not differentiated at
/// 0).
/// @throws kindling::error when p < 1 or x is not floating-point.
Tensor normalize(const Tensor& x, double p = 2.0, std::int64_t axis = 1, double eps = 1e-12);

/// torch's gelu(approximate="tanh"): 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))). The
/// exact form is kindling::gelu (and the GELU layer).
Tensor gelu_tanh(const Tensor& x);

}  // namespace kindling::nn
