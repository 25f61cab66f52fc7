// Layer forwards: compositions of tensor ops.
#include "kindling/nn/layers.hpp"

#include <cmath>
#include <sstream>

#include "kindling/engine/error.hpp"
#include "kindling/engine/grad_mode.hpp"
#include "kindling/nn/init.hpp"
#include "kindling/nn/tensor_util.hpp"
#include "kindling/tensor/creation.hpp"
#include "kindling/tensor/ops.hpp"

namespace kindling::nn {

// ---- Linear ------------------------------------------------------------------------------------

Linear::Linear(std::int64_t in, std::int64_t out, Generator& generator, bool with_bias, DType dtype)
    : Module("Linear"), in_features(in), out_features(out) {
  KINDLING_CHECK(in > 0 && out > 0, "Linear: features must be positive, got in=", in, " out=", out);
  weight = register_parameter("weight", zeros({out, in}, dtype));
  // PyTorch's reset_parameters: kaiming_uniform_(a = sqrt(5)) gives bound 1 / sqrt(in).
  init::kaiming_uniform_(weight, generator, std::sqrt(5.0));
  if (with_bias) {
    bias = register_parameter("bias", zeros({out}, dtype));
    const double bound = 1.0 / std::sqrt(static_cast<double>(in));
    init::uniform_(bias, -bound, bound, generator);
  }
}

Tensor Linear::forward(const Tensor& x) {
  KINDLING_CHECK(x.dim() >= 1 && x.shape().back() == in_features, "Linear(in=", in_features,
                 ", out=", out_features, "): input of shape ", shape_string(x.shape()),
                 " does not end in ", in_features);
  // Note [linear layout]
  // Two ways to compute y, whose backward passes differ only in the strided copies they make
  // (the tensor library's transposing copy is the slow part, measured 175 us for 784x256):
  //   x W^T:      dW comes out of backward as (in, out) and is transposed into W's grad buffer:
  //               a copy of in * out elements; dx comes out contiguous.
  //   (W x^T)^T:  dW comes out as g^T x, already (out, in); the output's gradient is transposed
  //               into (out, B) and dx^T out of (in, B): copies of B * out (+ B * in when x needs
  //               a gradient) elements.
  // Both transposes are views that gemm takes as trans flags. Each call picks the cheaper form,
  // so the 784-256 first layer of an MLP at batch 64 copies 16k elements instead of 200k.
  if (x.dim() == 1) return linear_vector(x);
  const Tensor x2 = x.dim() == 2 ? x : x.reshape({-1, in_features});
  const bool backward_ahead = is_grad_enabled() && weight.requires_grad();
  const std::int64_t copy_if_rows_first =
      x2.size(0) * (out_features + (x2.requires_grad() ? in_features : 0));
  const bool weight_first = backward_ahead && copy_if_rows_first < in_features * out_features;
  Tensor y = weight_first ? matmul(weight, x2.transpose(0, 1)).transpose(0, 1)  // (B, out) view
                          : matmul(x2, weight.transpose(0, 1));
  if (bias.defined()) y = y + bias;
  if (x.dim() == 2) return y;
  Shape shape = x.shape();
  shape.back() = out_features;
  return y.reshape(shape);
}

Tensor Linear::linear_vector(const Tensor& x) const {
  const Tensor y = matmul(weight, x);  // (out, in) x (in,) -> (out,)
  return bias.defined() ? y + bias : y;
}

std::string Linear::extra_repr() const {
  std::ostringstream os;
  os << "in_features=" << in_features << ", out_features=" << out_features
     << ", bias=" << (bias.defined() ? "True" : "False");
  return os.str();
}

// ---- Sequential and the activations ------------------------------------------------------------

void Sequential::push_back(std::shared_ptr<Module> module) {
  add_child(std::to_string(children().size()), std::move(module));
}

Tensor Sequential::forward(const Tensor& x) {
  Tensor y = x;
  for (const auto& [name, module] : children())
    y = (*module)(y);  // through operator(), so each child opens its name scope
  return y;
}

Tensor ReLU::forward(const Tensor& x) {
  return relu(x);
}
Tensor GELU::forward(const Tensor& x) {
  return gelu(x);
}
Tensor LeakyReLU::forward(const Tensor& x) {
  return leaky_relu(x, negative_slope);
}
std::string LeakyReLU::extra_repr() const {
  std::ostringstream os;
  os << "negative_slope=" << negative_slope;
  return os.str();
}
Tensor ELU::forward(const Tensor& x) {
  return elu(x, alpha);
}
std::string ELU::extra_repr() const {
  std::ostringstream os;
  os << "alpha=" << alpha;
  return os.str();
}
Tensor Softplus::forward(const Tensor& x) {
  return softplus(x, beta, threshold);
}
std::string Softplus::extra_repr() const {
  std::ostringstream os;
  os << "beta=" << beta << ", threshold=" << threshold;
  return os.str();
}
Tensor Tanh::forward(const Tensor& x) {
  return tanh(x);
}
Tensor Sigmoid::forward(const Tensor& x) {
  return sigmoid(x);
}

// ---- Dropout -----------------------------------------------------------------------------------

Dropout::Dropout(double p_, Generator& generator)
    : Module("Dropout"), p(p_), generator_(&generator) {
  KINDLING_CHECK(p >= 0.0 && p <= 1.0, "Dropout: p must be in [0, 1], got ", p);
}

Tensor Dropout::forward(const Tensor& x) {
  if (!is_training() || p == 0.0) return x;
  if (p == 1.0) return x * 0.0;
  Tensor keep;
  {
    const no_grad guard;
    // keep = (u >= p) / (1 - p): a constant mask, so the gradient is the same mask.
    const Tensor u = rand(x.shape(), *generator_, x.dtype());
    // The bool mask in u's dtype first, so a float64 model keeps 1 / (1 - p) in double.
    const Tensor mask = cast(ge(u, p), u.dtype()) * (1.0 / (1.0 - p));
    keep = mask.to(x.device());  // drawn on the host: the same mask on every device
  }
  return x * keep;
}

std::string Dropout::extra_repr() const {
  std::ostringstream os;
  os << "p=" << p;
  return os.str();
}

// ---- LayerNorm ---------------------------------------------------------------------------------

LayerNorm::LayerNorm(Shape shape, double eps_, bool affine, DType dtype)
    : Module("LayerNorm"), normalized_shape(std::move(shape)), eps(eps_) {
  KINDLING_CHECK(!normalized_shape.empty(), "LayerNorm: normalized_shape is empty");
  if (affine) {
    weight = register_parameter("weight", ones(normalized_shape, dtype));
    bias = register_parameter("bias", zeros(normalized_shape, dtype));
  }
}

Tensor LayerNorm::forward(const Tensor& x) {
  const auto k = static_cast<std::int64_t>(normalized_shape.size());
  const bool fits = x.dim() >= k && Shape(x.shape().end() - k, x.shape().end()) == normalized_shape;
  KINDLING_CHECK(fits, "LayerNorm", shape_string(normalized_shape), ": input of shape ",
                 shape_string(x.shape()), " does not end in the normalized shape");
  Axes axes;
  for (std::int64_t d = x.dim() - k; d < x.dim(); ++d)
    axes.push_back(d);
  const Tensor centered = x - mean(x, axes, true);
  const Tensor variance = mean(centered * centered, axes, true);
  Tensor y = centered / sqrt(variance + eps);
  if (weight.defined()) y = y * weight + bias;
  return y;
}

std::string LayerNorm::extra_repr() const {
  std::ostringstream os;
  os << shape_string(normalized_shape) << ", eps=" << eps
     << ", elementwise_affine=" << (weight.defined() ? "True" : "False");
  return os.str();
}

// ---- BatchNorm1d -------------------------------------------------------------------------------

BatchNorm1d::BatchNorm1d(std::int64_t features, double eps_, double momentum_, bool affine,
                         DType dtype)
    : Module("BatchNorm1d"), num_features(features), eps(eps_), momentum(momentum_) {
  KINDLING_CHECK(features > 0, "BatchNorm1d: num_features must be positive, got ", features);
  if (affine) {
    weight = register_parameter("weight", ones({features}, dtype));
    bias = register_parameter("bias", zeros({features}, dtype));
  }
  running_mean = register_buffer("running_mean", zeros({features}, dtype));
  running_var = register_buffer("running_var", ones({features}, dtype));
  num_batches_tracked = register_buffer("num_batches_tracked", zeros({}, DType::int64));
}

Tensor BatchNorm1d::forward(const Tensor& x) {
  KINDLING_CHECK((x.dim() == 2 || x.dim() == 3) && x.shape()[1] == num_features, "BatchNorm1d(",
                 num_features, "): expected (N, ", num_features, ") or (N, ", num_features,
                 ", L), got ", shape_string(x.shape()));
  // Statistics per channel: reduce over N (and L); parameters broadcast as (C,) or (C, 1).
  const Axes axes = x.dim() == 2 ? Axes{0} : Axes{0, 2};
  const Shape channel_shape = x.dim() == 2 ? Shape{num_features} : Shape{num_features, 1};
  Tensor y;
  if (is_training()) {
    const std::int64_t count = x.numel() / num_features;
    KINDLING_CHECK(count > 1,
                   "BatchNorm1d: training needs more than one value per channel, got "
                   "input of shape ",
                   shape_string(x.shape()));
    const Tensor mu = mean(x, axes, true);
    const Tensor centered = x - mu;
    const Tensor variance = mean(centered * centered, axes, true);
    y = centered / sqrt(variance + eps);
    const no_grad guard;
    const double unbias = static_cast<double>(count) / static_cast<double>(count - 1);
    const Tensor new_mean =
        running_mean * (1.0 - momentum) + mu.detach().reshape({num_features}) * momentum;
    const Tensor new_var = running_var * (1.0 - momentum) +
                           variance.detach().reshape({num_features}) * (momentum * unbias);
    copy_into(running_mean, new_mean);
    copy_into(running_var, new_var);
    copy_into(num_batches_tracked, num_batches_tracked + 1.0);
  } else {
    y = (x - running_mean.reshape(channel_shape)) / sqrt(running_var.reshape(channel_shape) + eps);
  }
  if (weight.defined()) y = y * weight.reshape(channel_shape) + bias.reshape(channel_shape);
  return y;
}

std::string BatchNorm1d::extra_repr() const {
  std::ostringstream os;
  os << num_features << ", eps=" << eps << ", momentum=" << momentum
     << ", affine=" << (weight.defined() ? "True" : "False");
  return os.str();
}

// ---- Embedding and Flatten ---------------------------------------------------------------------

Embedding::Embedding(std::int64_t n, std::int64_t dim, Generator& generator, DType dtype)
    : Module("Embedding"), num_embeddings(n), embedding_dim(dim) {
  KINDLING_CHECK(n > 0 && dim > 0, "Embedding: sizes must be positive, got ", n, " x ", dim);
  weight = register_parameter("weight", zeros({n, dim}, dtype));
  init::normal_(weight, 0.0, 1.0, generator);
}

Tensor Embedding::forward(const Tensor& indices) {
  KINDLING_CHECK(indices.dtype() == DType::int64, "Embedding: indices must be int64, got ",
                 dtype_name(indices.dtype()));
  Shape out_shape = indices.shape();
  out_shape.push_back(embedding_dim);
  return index_select(weight, 0, indices.reshape({indices.numel()})).reshape(out_shape);
}

std::string Embedding::extra_repr() const {
  return std::to_string(num_embeddings) + ", " + std::to_string(embedding_dim);
}

Tensor Flatten::forward(const Tensor& x) {
  return flatten(x, start_dim, end_dim);
}

std::string Flatten::extra_repr() const {
  return "start_dim=" + std::to_string(start_dim) + ", end_dim=" + std::to_string(end_dim);
}

}  // namespace kindling::nn
