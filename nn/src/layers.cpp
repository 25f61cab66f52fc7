// Layer forwards: compositions of tensor ops.
#include "kindling/nn/layers.hpp"

#include <cmath>
#include <sstream>

#include "kindling/engine/error.hpp"
#include "kindling/engine/grad_mode.hpp"
#include "kindling/nn/functional.hpp"
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
  // As torch.nn.Linear: an input of another dtype is an error, not a silent conversion (an int64
  // input would otherwise come out float32 and a float64 one float64).
  KINDLING_CHECK(x.dtype() == weight.dtype(), "Linear(in=", in_features, ", out=", out_features,
                 "): input dtype ", dtype_name(x.dtype()), " differs from the weight dtype ",
                 dtype_name(weight.dtype()), "; convert the input (x.to(",
                 dtype_name(weight.dtype()), ")) or build the layer with that dtype");
  // Note [linear layout]
  // y = x W^T, in that order (nn::linear), so that a graph of the model shows the input as the
  // user passed it ((B, in), then the transposed weight as a view) and the output as (B, out)
  // without a permute. The backward pass gives dx = g W, contiguous, and dW = (x^T g)^T: the
  // tensor library transposes that (in, out) product into W's (out, in) gradient buffer, a copy of
  // in * out elements. The other order, (W x^T)^T, avoided that copy at small batches but drew
  // (in, B) and (out, B) nodes the user never made.
  return linear(x, weight, bias);
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

Module& Sequential::operator[](std::size_t i) const {
  KINDLING_CHECK(i < size(), "Sequential: index ", i, " is out of range for ", size(), " modules");
  return *children()[i].second;
}

void ModuleList::push_back(std::shared_ptr<Module> module) {
  add_child(std::to_string(children().size()), std::move(module));
}

Module& ModuleList::operator[](std::size_t i) const {
  KINDLING_CHECK(i < size(), "ModuleList: index ", i, " is out of range for ", size(), " modules");
  return *children()[i].second;
}

void ModuleDict::insert(std::string name, std::shared_ptr<Module> module) {
  add_child(std::move(name), std::move(module));
}

bool ModuleDict::contains(const std::string& name) const noexcept {
  for (const auto& entry : children())
    if (entry.first == name) return true;
  return false;
}

Module& ModuleDict::at(const std::string& name) const {
  std::string names;
  for (const auto& [key, module] : children()) {
    if (key == name) return *module;
    names += (names.empty() ? "'" : ", '") + key + "'";
  }
  throw error("ModuleDict: no module named '" + name + "' (it holds " +
              (names.empty() ? std::string("none") : names) + ")");
}

namespace {
// torch's implicit softmax dim (_get_softmax_dim): 0 for 0, 1 or 3 dims, else 1.
std::int64_t softmax_dim(const std::optional<std::int64_t>& dim, const Tensor& x) {
  if (dim) return *dim;
  return x.dim() == 0 || x.dim() == 1 || x.dim() == 3 ? 0 : 1;
}
std::string dim_repr(const std::optional<std::int64_t>& dim) {
  return "dim=" + (dim ? std::to_string(*dim) : std::string("None"));
}
}  // namespace

Tensor Softmax::forward(const Tensor& x) {
  return softmax(x, softmax_dim(dim, x));
}
std::string Softmax::extra_repr() const {
  return dim_repr(dim);
}
Tensor LogSoftmax::forward(const Tensor& x) {
  return log_softmax(x, softmax_dim(dim, x));
}
std::string LogSoftmax::extra_repr() const {
  return dim_repr(dim);
}
Tensor SiLU::forward(const Tensor& x) {
  return silu(x);
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
  return dropout(x, p, is_training(), *generator_);
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
  return layer_norm(x, normalized_shape, weight, bias, eps);
}

std::string LayerNorm::extra_repr() const {
  std::ostringstream os;
  os << shape_string(normalized_shape) << ", eps=" << eps
     << ", elementwise_affine=" << (weight.defined() ? "True" : "False");
  return os.str();
}

// ---- BatchNorm ---------------------------------------------------------------------------------

BatchNorm::BatchNorm(const char* name, std::int64_t features, double eps_, double momentum_,
                     bool affine, DType dtype)
    : Module(name), num_features(features), eps(eps_), momentum(momentum_) {
  KINDLING_CHECK(features > 0, name, ": num_features must be positive, got ", features);
  if (affine) {
    weight = register_parameter("weight", ones({features}, dtype));
    bias = register_parameter("bias", zeros({features}, dtype));
  }
  running_mean = register_buffer("running_mean", zeros({features}, dtype));
  running_var = register_buffer("running_var", ones({features}, dtype));
  num_batches_tracked = register_buffer("num_batches_tracked", zeros({}, DType::int64));
}

Tensor BatchNorm::normalize(const Tensor& x) {
  // batch_norm checks everything before it updates the running statistics, and the count goes up
  // only once it has returned, so a call that throws (one value per channel, another dtype or
  // device) leaves every buffer as it was. torch counts the batch before it checks.
  Tensor y = batch_norm(x, running_mean, running_var, weight, bias, is_training(), momentum, eps);
  if (is_training()) copy_into(num_batches_tracked, num_batches_tracked + 1.0);
  return y;
}

std::string BatchNorm::extra_repr() const {
  std::ostringstream os;
  os << num_features << ", eps=" << eps << ", momentum=" << momentum
     << ", affine=" << (weight.defined() ? "True" : "False");
  return os.str();
}

Tensor BatchNorm1d::forward(const Tensor& x) {
  KINDLING_CHECK((x.dim() == 2 || x.dim() == 3) && x.shape()[1] == num_features, "BatchNorm1d(",
                 num_features, "): expected (N, ", num_features, ") or (N, ", num_features,
                 ", L), got ", shape_string(x.shape()));
  return normalize(x);
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
