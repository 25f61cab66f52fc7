// The layers: Linear, Sequential, ModuleList, ModuleDict, Identity, the activations (Softmax and
// LogSoftmax included), Dropout, LayerNorm, BatchNorm1d, Embedding and
// Flatten. Each forward is a few tensor ops (composites of the tensor primitives), so every layer
// gets its backward, and every device its kernels, from the tensor library.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kindling/engine/random.hpp"
#include "kindling/nn/module.hpp"
#include "kindling/tensor/tensor.hpp"

namespace kindling::nn {

// y = x W^T + b with W (out, in) and b (out,), as torch.nn.Linear, including its initialisation:
// W ~ kaiming_uniform(a = sqrt(5)), i.e. U(-1/sqrt(in), 1/sqrt(in)), and b ~ U(-1/sqrt(in),
// 1/sqrt(in)), drawn from `generator` (W first, then b).
class Linear : public Module {
 public:
  Linear(std::int64_t in_features, std::int64_t out_features, Generator& generator,
         bool bias = true, DType dtype = DType::float32);
  Tensor forward(const Tensor& x) override;  // (..., in) -> (..., out)
  std::string extra_repr() const override;
  Tensor weight;
  Tensor bias;  // undefined when built without bias
  std::int64_t in_features, out_features;
};

// Runs its modules in order; they are named "0", "1", ... as in PyTorch.
class Sequential : public Module {
 public:
  Sequential() : Module("Sequential") {}
  template <class... M>
  explicit Sequential(std::shared_ptr<M>... modules) : Module("Sequential") {
    (push_back(std::move(modules)), ...);
  }
  void push_back(std::shared_ptr<Module> module);
  Tensor forward(const Tensor& x) override;
  std::size_t size() const noexcept { return children().size(); }
  Module& operator[](std::size_t i) const { return *children().at(i).second; }
};

// Holds modules under "0", "1", ... (their parameters are the list's) without a forward of its
// own, as torch.nn.ModuleList: a model calls them as it likes.
class ModuleList : public Module {
 public:
  ModuleList() : Module("ModuleList") {}
  void push_back(std::shared_ptr<Module> module);
  std::size_t size() const noexcept { return children().size(); }
  // Bounds-checked: an index past the end is kindling::error naming it.
  Module& operator[](std::size_t i) const;
};

// Holds modules by name (in insertion order), as torch.nn.ModuleDict; no forward of its own.
class ModuleDict : public Module {
 public:
  ModuleDict() : Module("ModuleDict") {}
  void insert(std::string name, std::shared_ptr<Module> module);
  bool contains(const std::string& name) const noexcept;
  // A missing name is kindling::error listing the names there are.
  Module& at(const std::string& name) const;
  std::size_t size() const noexcept { return children().size(); }
};

// Returns its input, as torch.nn.Identity (a placeholder where a model may have a layer).
class Identity : public Module {
 public:
  Identity() : Module("Identity") {}
  Tensor forward(const Tensor& x) override { return x; }
};

// softmax / log_softmax along `dim`, as torch.nn.Softmax / LogSoftmax. Without a dim they take
// torch's implicit one: 0 for inputs of 0, 1 or 3 dims, else 1.
class Softmax : public Module {
 public:
  explicit Softmax(std::optional<std::int64_t> dim_ = std::nullopt)
      : Module("Softmax"), dim(dim_) {}
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  std::optional<std::int64_t> dim;
};
class LogSoftmax : public Module {
 public:
  explicit LogSoftmax(std::optional<std::int64_t> dim_ = std::nullopt)
      : Module("LogSoftmax"), dim(dim_) {}
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  std::optional<std::int64_t> dim;
};

// x * sigmoid(x), as torch.nn.SiLU.
class SiLU : public Module {
 public:
  SiLU() : Module("SiLU") {}
  Tensor forward(const Tensor& x) override;
};

class ReLU : public Module {
 public:
  ReLU() : Module("ReLU") {}
  Tensor forward(const Tensor& x) override;
};

// Exact GELU, x * Phi(x), as torch.nn.GELU().
class GELU : public Module {
 public:
  GELU() : Module("GELU") {}
  Tensor forward(const Tensor& x) override;
};

// The activations with parameters, as torch.nn's (same names, defaults and edge values: the
// rows of KINDLING_TENSOR_UNARY_PARAM in kindling/tensor/op_list.hpp).
class LeakyReLU : public Module {
 public:
  explicit LeakyReLU(double negative_slope_ = 0.01)
      : Module("LeakyReLU"), negative_slope(negative_slope_) {}
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  double negative_slope;
};

class ELU : public Module {
 public:
  explicit ELU(double alpha_ = 1.0) : Module("ELU"), alpha(alpha_) {}
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  double alpha;
};

class Softplus : public Module {
 public:
  explicit Softplus(double beta_ = 1.0, double threshold_ = 20.0)
      : Module("Softplus"), beta(beta_), threshold(threshold_) {}
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  double beta;
  double threshold;
};

class Tanh : public Module {
 public:
  Tanh() : Module("Tanh") {}
  Tensor forward(const Tensor& x) override;
};

class Sigmoid : public Module {
 public:
  Sigmoid() : Module("Sigmoid") {}
  Tensor forward(const Tensor& x) override;
};

// In training, zeroes each element with probability p and scales the rest by 1 / (1 - p); the
// identity in eval mode. Draws from `generator`, which must outlive the module.
class Dropout : public Module {
 public:
  Dropout(double p, Generator& generator);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  double p;

 private:
  Generator* generator_;
};

// Normalises over the trailing `normalized_shape` dims: (x - mean) / sqrt(var + eps) * w + b,
// with the biased variance, as torch.nn.LayerNorm. w starts at 1, b at 0.
class LayerNorm : public Module {
 public:
  explicit LayerNorm(Shape normalized_shape, double eps = 1e-5, bool affine = true,
                     DType dtype = DType::float32);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  Tensor weight, bias;
  Shape normalized_shape;
  double eps;
};

// Batch normalisation per channel (dim 1), torch's _BatchNorm: training normalises with the
// batch's biased variance and updates running_mean / running_var (the unbiased variance) with
// `momentum`; eval uses the running statistics (kindling::batch_norm). Buffers as in PyTorch:
// running_mean, running_var, num_batches_tracked. BatchNorm1d and BatchNorm2d (nn/conv.hpp)
// differ only in the inputs they accept.
class BatchNorm : public Module {
 public:
  std::string extra_repr() const override;
  Tensor weight, bias;
  Tensor running_mean, running_var, num_batches_tracked;
  std::int64_t num_features;
  double eps, momentum;

 protected:
  BatchNorm(const char* name, std::int64_t num_features, double eps, double momentum, bool affine,
            DType dtype);
  // Counts a training step and normalises x, whose shape the subclass has checked.
  Tensor normalize(const Tensor& x);
};

// (N, C) or (N, C, L) inputs.
class BatchNorm1d : public BatchNorm {
 public:
  explicit BatchNorm1d(std::int64_t num_features, double eps = 1e-5, double momentum = 0.1,
                       bool affine = true, DType dtype = DType::float32)
      : BatchNorm("BatchNorm1d", num_features, eps, momentum, affine, dtype) {}
  Tensor forward(const Tensor& x) override;
};

// A table of num_embeddings vectors of size embedding_dim, looked up by int64 indices of any shape:
// (...) -> (..., embedding_dim). Initialised N(0, 1), as PyTorch.
class Embedding : public Module {
 public:
  Embedding(std::int64_t num_embeddings, std::int64_t embedding_dim, Generator& generator,
            DType dtype = DType::float32);
  Tensor forward(const Tensor& indices) override;
  std::string extra_repr() const override;
  Tensor weight;
  std::int64_t num_embeddings, embedding_dim;
};

// Flattens dims start_dim..end_dim into one (default: all but the batch dim).
class Flatten : public Module {
 public:
  explicit Flatten(std::int64_t start_dim = 1, std::int64_t end_dim = -1)
      : Module("Flatten"), start_dim(start_dim), end_dim(end_dim) {}
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  std::int64_t start_dim, end_dim;
};

// An MLP: Linear layers of the given sizes with `Activation` between them (none after the last),
// e.g. mlp<ReLU>({784, 256, 128, 10}, g). The layers draw from `generator` in order (each
// Linear its weight, then its bias).
template <class Activation>
std::shared_ptr<Sequential> mlp(const std::vector<std::int64_t>& sizes, Generator& generator) {
  auto model = std::make_shared<Sequential>();
  for (std::size_t i = 0; i + 1 < sizes.size(); ++i) {
    model->push_back(std::make_shared<Linear>(sizes[i], sizes[i + 1], generator));
    if (i + 2 < sizes.size()) model->push_back(std::make_shared<Activation>());
  }
  return model;
}
// The same from a generator made for the call: mlp<ReLU>({2, 16, 1}, Generator(1)). Python's
// nn.mlp(sizes, seed=1) draws from one Generator(1) in the same order, so it is the same model.
template <class Activation>
std::shared_ptr<Sequential> mlp(const std::vector<std::int64_t>& sizes, Generator&& generator) {
  return mlp<Activation>(sizes, generator);
}

}  // namespace kindling::nn
