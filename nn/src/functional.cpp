// The functional forms of the layers: compositions of tensor ops.
#include "kindling/nn/functional.hpp"

#include <cmath>
#include <limits>
#include <numbers>

#include "kindling/engine/error.hpp"
#include "kindling/engine/grad_mode.hpp"
#include "kindling/tensor/creation.hpp"
#include "kindling/tensor/ops.hpp"

namespace kindling::nn {

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  KINDLING_CHECK(weight.defined() && weight.dim() == 2,
                 "linear: weight must be 2-D (out, in), got ",
                 weight.defined() ? shape_string(weight.shape()) : std::string("none"));
  const std::int64_t in = weight.size(1), out = weight.size(0);
  KINDLING_CHECK(x.dim() >= 1 && x.shape().back() == in, "linear: input ", shape_string(x.shape()),
                 " does not end in the weight's in_features ", in, " (weight ",
                 shape_string(weight.shape()), ")");
  KINDLING_CHECK(x.dtype() == weight.dtype(), "linear: input dtype ", dtype_name(x.dtype()),
                 " differs from the weight dtype ", dtype_name(weight.dtype()));
  KINDLING_CHECK(!bias.defined() || (bias.shape() == Shape{out} && bias.dtype() == weight.dtype()),
                 "linear: bias ", bias.defined() ? shape_string(bias.shape()) : std::string(), " ",
                 bias.defined() ? dtype_name(bias.dtype()) : "", " does not match the weight's (",
                 out, ",) ", dtype_name(weight.dtype()));
  // Note [linear layout] in layers.cpp: x W^T in this order.
  Tensor y;
  if (x.dim() == 1) {
    y = matmul(weight, x);  // (out, in) x (in,) -> (out,)
  } else {
    const Tensor x2 = x.dim() == 2 ? x : reshape(x, {-1, in});
    y = matmul(x2, transpose(weight, 0, 1));  // (B, in) x (in, out) -> (B, out)
  }
  if (bias.defined()) y = y + bias;
  if (x.dim() <= 2) return y;
  Shape shape = x.shape();
  shape.back() = out;
  return reshape(y, shape);
}

Tensor dropout(const Tensor& x, double p, bool training, Generator& generator) {
  KINDLING_CHECK(p >= 0.0 && p <= 1.0, "dropout: p must be in [0, 1], got ", p);
  if (!training || p == 0.0) return x;
  if (p == 1.0) return x * 0.0;
  Tensor keep;
  {
    const no_grad guard;
    // keep = (u >= p) / (1 - p): a constant mask, so the gradient is the same mask.
    const Tensor u = rand(x.shape(), generator, x.dtype());
    // The bool mask in u's dtype first, so a float64 model keeps 1 / (1 - p) in double.
    const Tensor mask = cast(ge(u, p), u.dtype()) * (1.0 / (1.0 - p));
    keep = mask.to(x.device());  // drawn on the host: the same mask on every device
  }
  return x * keep;
}

Tensor dropout2d(const Tensor& x, double p, bool training, Generator& generator) {
  KINDLING_CHECK(x.dim() == 3 || x.dim() == 4,
                 "dropout2d: expected a 3-d (C, H, W) or 4-d (N, C, H, W) input, got ",
                 shape_string(x.shape()));
  KINDLING_CHECK(p >= 0.0 && p <= 1.0, "dropout2d: p must be in [0, 1], got ", p);
  if (!training || p == 0.0) return x;
  if (p == 1.0) return x * 0.0;
  // One draw per channel, broadcast over its plane: dropout of a (N, C, 1, 1) tensor of ones.
  Shape channels = x.shape();
  channels[channels.size() - 1] = channels[channels.size() - 2] = 1;
  Tensor keep;
  {
    const no_grad guard;
    keep = dropout(ones(channels, x.dtype()), p, true, generator).to(x.device());
  }
  return x * keep;
}

Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight,
                  const Tensor& bias, double eps) {
  const auto k = static_cast<std::int64_t>(normalized_shape.size());
  KINDLING_CHECK(k > 0, "layer_norm: normalized_shape is empty");
  const bool fits = x.dim() >= k && Shape(x.shape().end() - k, x.shape().end()) == normalized_shape;
  KINDLING_CHECK(fits, "layer_norm", shape_string(normalized_shape), ": input of shape ",
                 shape_string(x.shape()), " does not end in the normalized shape");
  for (const Tensor* p : {&weight, &bias})
    KINDLING_CHECK(!p->defined() || p->shape() == normalized_shape, "layer_norm",
                   shape_string(normalized_shape), ": ", p == &weight ? "weight" : "bias", " ",
                   shape_string(p->shape()), " is not of the normalized shape");
  Axes axes;
  for (std::int64_t d = x.dim() - k; d < x.dim(); ++d)
    axes.push_back(d);
  const Tensor centered = x - mean(x, axes, true);
  const Tensor variance = mean(centered * centered, axes, true);
  Tensor y = centered / sqrt(variance + eps);
  if (weight.defined()) y = y * weight;
  if (bias.defined()) y = y + bias;
  return y;
}

Tensor embedding(const Tensor& indices, const Tensor& weight) {
  KINDLING_CHECK(indices.dtype() == DType::int64, "embedding: indices must be int64, got ",
                 dtype_name(indices.dtype()));
  KINDLING_CHECK(weight.dim() == 2, "embedding: weight must be 2-D (num_embeddings, dim), got ",
                 shape_string(weight.shape()));
  Shape out_shape = indices.shape();
  out_shape.push_back(weight.size(1));
  return reshape(index_select(weight, 0, reshape(indices, {indices.numel()})), out_shape);
}

Tensor normalize(const Tensor& x, double p, std::int64_t axis, double eps) {
  KINDLING_CHECK(p >= 1.0, "normalize: p must be >= 1, got ", p);
  KINDLING_CHECK(is_floating(x.dtype()), "normalize: needs a floating-point input, got ",
                 dtype_name(x.dtype()));
  // max(||x||, eps) as (max(sum |x|^p, eps^p))^(1/p): the same value (both sides are monotonic),
  // but below eps the clamp passes no gradient to the sum, so a zero vector never reaches the
  // root's infinite slope at 0 (which would make 0 * inf = NaN).
  const double inf = std::numeric_limits<double>::infinity();
  const Tensor powered = p == 2.0 ? sum(x * x, {axis}, true) : sum(pow(abs(x), p), {axis}, true);
  const Tensor clamped = clamp(powered, std::pow(eps, p), inf);
  const Tensor norm = p == 2.0 ? sqrt(clamped) : pow(clamped, 1.0 / p);
  return x / norm;
}

Tensor gelu_tanh(const Tensor& x) {
  const double k = std::sqrt(2.0 / std::numbers::pi);
  return x * 0.5 * (tanh((x + x * x * x * 0.044715) * k) + 1.0);
}

}  // namespace kindling::nn
