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

/// y = x W^T + b with W (out, in) and b (out,), as torch.nn.Linear, including its initialisation:
/// W ~ kaiming_uniform(a = sqrt(5)), i.e. U(-1/sqrt(in), 1/sqrt(in)), and b ~ U(-1/sqrt(in),
/// 1/sqrt(in)), drawn from `generator` (W first, then b). Unlike torch, the generator is an
/// explicit argument rather than a global seed.
/// @code
/// using namespace kindling;
/// Generator g(1);
/// nn::Linear fc(784, 10, g);
/// Tensor y = fc(zeros({64, 784}));  // (64, 10) float32
/// @endcode
class Linear : public Module {
 public:
  /// A layer with W and b drawn from `generator`.
  /// @param in_features the size of each input's last dimension (> 0).
  /// @param out_features the size of each output's last dimension (> 0).
  /// @param generator the source of the initial weight and bias.
  /// @param bias whether the layer has a bias (default true).
  /// @param dtype the parameters' dtype (default float32); inputs must have the same one.
  /// @throws kindling::error when a feature count is not positive.
  Linear(std::int64_t in_features, std::int64_t out_features, Generator& generator,
         bool bias = true, DType dtype = DType::float32);
  /// (..., in_features) -> (..., out_features), a 1-d input (in_features,) included.
  /// @throws kindling::error when x does not end in in_features, or its dtype is not the
  ///   weight's (as torch: convert the input or build the layer with that dtype).
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  Tensor weight;  ///< (out_features, in_features), registered as "weight".
  Tensor bias;    ///< (out_features,), registered as "bias"; undefined when built without bias.
  /// The input size, in_features.
  std::int64_t in_features, out_features;  ///< The output size.
};

/// Runs its modules in order, each output the next one's input, as torch.nn.Sequential; they are
/// named "0", "1", ... as in PyTorch. An empty Sequential returns its input.
/// @code
/// using namespace kindling;
/// using namespace kindling::nn;
/// Generator g(1);
/// auto model = std::make_shared<Sequential>(std::make_shared<Linear>(784, 256, g),
///                                           std::make_shared<ReLU>(),
///                                           std::make_shared<Linear>(256, 10, g));
/// Tensor logits = (*model)(zeros({32, 784}));  // (32, 10)
/// std::cout << *model << "\n";                 // Sequential(\n  (0): Linear(...) ...
/// @endcode
class Sequential : public Module {
 public:
  /// An empty Sequential; add modules with push_back().
  Sequential() : Module("Sequential") {}
  /// The given modules, in order, named "0", "1", ...
  /// @throws kindling::error for a null module.
  template <class... M>
  explicit Sequential(std::shared_ptr<M>... modules) : Module("Sequential") {
    (push_back(std::move(modules)), ...);
  }
  /// Appends `module` under the next number, as torch's append.
  /// @throws kindling::error for a null module.
  void push_back(std::shared_ptr<Module> module);
  /// Each module's operator() in turn (so each opens its name scope); x itself when empty.
  Tensor forward(const Tensor& x) override;
  /// The number of modules.
  std::size_t size() const noexcept { return children().size(); }
  /// Module `i`, as torch's `seq[i]`.
  /// @throws kindling::error if `i` is not less than size().
  Module& operator[](std::size_t i) const;
};

/// Holds modules under "0", "1", ... (their parameters are the list's) without a forward of its
/// own, as torch.nn.ModuleList: a model calls them as it likes.
class ModuleList : public Module {
 public:
  /// An empty list.
  ModuleList() : Module("ModuleList") {}
  /// Appends `module` under the next number.
  /// @throws kindling::error for a null module.
  void push_back(std::shared_ptr<Module> module);
  /// The number of modules.
  std::size_t size() const noexcept { return children().size(); }
  /// Module `i`, bounds-checked.
  /// @throws kindling::error naming the index when it is past the end.
  Module& operator[](std::size_t i) const;
};

/// Holds modules by name (in insertion order), as torch.nn.ModuleDict; no forward of its own.
class ModuleDict : public Module {
 public:
  /// An empty dict.
  ModuleDict() : Module("ModuleDict") {}
  /// Adds `module` under `name`.
  /// @throws kindling::error for an empty or dotted name, one already present, or a null module.
  void insert(std::string name, std::shared_ptr<Module> module);
  /// True when a module is named `name`.
  bool contains(const std::string& name) const noexcept;
  /// The module named `name`.
  /// @throws kindling::error listing the names there are when it is missing.
  Module& at(const std::string& name) const;
  /// The number of modules.
  std::size_t size() const noexcept { return children().size(); }
};

/// Returns its input, as torch.nn.Identity (a placeholder where a model may have a layer).
class Identity : public Module {
 public:
  /// An identity layer.
  Identity() : Module("Identity") {}
  /// x itself, any shape.
  Tensor forward(const Tensor& x) override { return x; }
};

/// softmax along `dim`, as torch.nn.Softmax. Without a dim it takes torch's implicit one: 0 for
/// inputs of 0, 1 or 3 dims, else 1 (torch warns about that choice; kindling does not).
class Softmax : public Module {
 public:
  /// A softmax over `dim_`.
  /// @param dim_ the dimension that sums to 1 (negative counts from the end); none: implicit.
  explicit Softmax(std::optional<std::int64_t> dim_ = std::nullopt)
      : Module("Softmax"), dim(dim_) {}
  /// softmax(x, dim), the shape of x.
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  std::optional<std::int64_t> dim;  ///< The softmax dimension; none: torch's implicit choice.
};
/// log_softmax along `dim`, as torch.nn.LogSoftmax; the implicit dim is Softmax's.
class LogSoftmax : public Module {
 public:
  /// A log_softmax over `dim_`.
  /// @param dim_ the dimension to normalise (negative counts from the end); none: implicit.
  explicit LogSoftmax(std::optional<std::int64_t> dim_ = std::nullopt)
      : Module("LogSoftmax"), dim(dim_) {}
  /// log_softmax(x, dim), the shape of x.
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  std::optional<std::int64_t> dim;  ///< The normalised dimension; none: torch's implicit choice.
};

/// x * sigmoid(x), as torch.nn.SiLU.
class SiLU : public Module {
 public:
  /// A SiLU layer.
  SiLU() : Module("SiLU") {}
  /// silu(x), elementwise.
  Tensor forward(const Tensor& x) override;
};

/// max(x, 0), as torch.nn.ReLU.
class ReLU : public Module {
 public:
  /// A ReLU layer.
  ReLU() : Module("ReLU") {}
  /// relu(x), elementwise.
  Tensor forward(const Tensor& x) override;
};

/// Exact GELU, x * Phi(x), as torch.nn.GELU() (the tanh form is nn::gelu_tanh).
class GELU : public Module {
 public:
  /// A GELU layer.
  GELU() : Module("GELU") {}
  /// gelu(x), elementwise.
  Tensor forward(const Tensor& x) override;
};

// The activations with parameters, as torch.nn's (same names, defaults and edge values: the
// rows of KINDLING_TENSOR_UNARY_PARAM in kindling/tensor/op_list.hpp).

/// x > 0 ? x : negative_slope * x, as torch.nn.LeakyReLU.
class LeakyReLU : public Module {
 public:
  /// A LeakyReLU with the given slope.
  /// @param negative_slope_ the slope for x < 0 (default 0.01, torch's).
  explicit LeakyReLU(double negative_slope_ = 0.01)
      : Module("LeakyReLU"), negative_slope(negative_slope_) {}
  /// leaky_relu(x, negative_slope), elementwise.
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  double negative_slope;  ///< The slope for x < 0.
};

/// x > 0 ? x : alpha (e^x - 1), as torch.nn.ELU.
class ELU : public Module {
 public:
  /// An ELU with the given scale.
  /// @param alpha_ the scale of the negative part: the output tends to -alpha as x goes to
  ///   -inf (default 1).
  explicit ELU(double alpha_ = 1.0) : Module("ELU"), alpha(alpha_) {}
  /// elu(x, alpha), elementwise.
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  double alpha;  ///< The scale of the negative part.
};

/// log(1 + e^(beta x)) / beta, and x itself where beta x > threshold, as torch.nn.Softplus.
class Softplus : public Module {
 public:
  /// A Softplus with the given sharpness and threshold.
  /// @param beta_ the sharpness (default 1).
  /// @param threshold_ above which beta x the output is x (default 20).
  explicit Softplus(double beta_ = 1.0, double threshold_ = 20.0)
      : Module("Softplus"), beta(beta_), threshold(threshold_) {}
  /// softplus(x, beta, threshold), elementwise.
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  double beta;       ///< The sharpness.
  double threshold;  ///< Where the linear part takes over (in units of beta x).
};

/// tanh(x), as torch.nn.Tanh.
class Tanh : public Module {
 public:
  /// A Tanh layer.
  Tanh() : Module("Tanh") {}
  /// tanh(x), elementwise.
  Tensor forward(const Tensor& x) override;
};

/// 1 / (1 + e^-x), as torch.nn.Sigmoid.
class Sigmoid : public Module {
 public:
  /// A Sigmoid layer.
  Sigmoid() : Module("Sigmoid") {}
  /// sigmoid(x), elementwise.
  Tensor forward(const Tensor& x) override;
};

/// In training, zeroes each element with probability p and scales the rest by 1 / (1 - p); the
/// identity in eval mode, as torch.nn.Dropout (nn::dropout). Unlike torch, the mask is drawn
/// from an explicit generator.
class Dropout : public Module {
 public:
  /// A dropout layer drawing its masks from `generator`.
  /// @param p the probability of zeroing an element, in [0, 1].
  /// @param generator the mask's source; it must outlive the module.
  /// @throws kindling::error when p is outside [0, 1].
  Dropout(double p, Generator& generator);
  /// dropout(x, p, is_training()), the shape of x.
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  double p;  ///< The probability of zeroing an element.

 private:
  Generator* generator_;
};

/// Normalises over the trailing `normalized_shape` dims: (x - mean) / sqrt(var + eps) * w + b,
/// with the biased variance, as torch.nn.LayerNorm. w starts at 1, b at 0.
class LayerNorm : public Module {
 public:
  /// A LayerNorm over `normalized_shape`, w = 1 and b = 0.
  /// @param normalized_shape the trailing dims to normalise over (not empty).
  /// @param eps added to the variance (default 1e-5).
  /// @param affine whether there are w and b, torch's elementwise_affine (default true).
  /// @param dtype the dtype of w and b (default float32).
  /// @throws kindling::error for an empty normalized_shape.
  explicit LayerNorm(Shape normalized_shape, double eps = 1e-5, bool affine = true,
                     DType dtype = DType::float32);
  /// (..., *normalized_shape) -> the same shape.
  /// @throws kindling::error when x does not end in normalized_shape.
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  /// w, of normalized_shape, registered as "weight"; undefined without affine.
  Tensor weight, bias;     ///< b, of normalized_shape ("bias"); undefined without affine.
  Shape normalized_shape;  ///< The normalised trailing dims.
  double eps;              ///< Added to the variance.
};

/// Batch normalisation per channel (dim 1), torch's _BatchNorm: training normalises with the
/// batch's biased variance and updates running_mean / running_var (the unbiased variance) with
/// `momentum`, r = (1 - momentum) r + momentum s; eval uses the running statistics
/// (kindling::batch_norm). Buffers as in PyTorch: running_mean, running_var,
/// num_batches_tracked. BatchNorm1d and BatchNorm2d (nn/conv.hpp) differ only in the inputs they
/// accept. Unlike torch, momentum cannot be None (a cumulative average), and
/// track_running_stats cannot be turned off.
class BatchNorm : public Module {
 public:
  std::string extra_repr() const override;
  /// The per-channel scale (num_features,), starting at 1; it and bias are undefined without
  /// affine.
  Tensor weight, bias;  ///< The per-channel shift (num_features,), starting at 0.
  /// Buffer (num_features,): the running mean, starting at 0.
  Tensor running_mean, running_var, num_batches_tracked;  ///< Buffer, 0-d int64: batches seen.
  /// @var running_var
  /// Buffer (num_features,): the running (unbiased) variance, starting at 1.

  std::int64_t num_features;  ///< The number of channels, C.
  /// Added to the variance.
  double eps, momentum;  ///< The weight of each new batch in the running statistics.

 protected:
  /// Registers weight and bias (with affine) and the three buffers.
  /// @param name the type name ("BatchNorm1d").
  /// @param num_features the number of channels C (> 0).
  /// @param eps added to the variance.
  /// @param momentum the running statistics' update weight.
  /// @param affine whether there are weight and bias.
  /// @param dtype the parameters' and running statistics' dtype.
  /// @throws kindling::error when num_features is not positive.
  BatchNorm(const char* name, std::int64_t num_features, double eps, double momentum, bool affine,
            DType dtype);
  /// Counts a training step and normalises x, whose shape the subclass has checked.
  Tensor normalize(const Tensor& x);
};

/// Batch normalisation of (N, C) or (N, C, L) inputs, as torch.nn.BatchNorm1d (BatchNorm).
class BatchNorm1d : public BatchNorm {
 public:
  /// A BatchNorm1d over `num_features` channels.
  /// @param num_features the number of channels C (> 0).
  /// @param eps added to the variance (default 1e-5).
  /// @param momentum the running statistics' update weight (default 0.1).
  /// @param affine whether there are weight and bias (default true).
  /// @param dtype the dtype of the parameters and buffers (default float32).
  /// @throws kindling::error when num_features is not positive.
  explicit BatchNorm1d(std::int64_t num_features, double eps = 1e-5, double momentum = 0.1,
                       bool affine = true, DType dtype = DType::float32)
      : BatchNorm("BatchNorm1d", num_features, eps, momentum, affine, dtype) {}
  /// (N, C) or (N, C, L) -> the same shape.
  /// @throws kindling::error for another shape, or in training with one value per channel.
  Tensor forward(const Tensor& x) override;
};

/// A table of num_embeddings vectors of size embedding_dim, looked up by int64 indices of any
/// shape: (...) -> (..., embedding_dim), as torch.nn.Embedding. Initialised N(0, 1), as PyTorch.
/// No padding_idx or max_norm.
class Embedding : public Module {
 public:
  /// A table drawn from `generator`.
  /// @param num_embeddings the number of vectors (> 0).
  /// @param embedding_dim the size of each (> 0).
  /// @param generator the source of the initial N(0, 1) weights.
  /// @param dtype the weight's dtype (default float32).
  /// @throws kindling::error when a size is not positive.
  Embedding(std::int64_t num_embeddings, std::int64_t embedding_dim, Generator& generator,
            DType dtype = DType::float32);
  /// int64 indices (...) -> (..., embedding_dim).
  /// @throws kindling::error for indices that are not int64, or outside [0, num_embeddings).
  Tensor forward(const Tensor& indices) override;
  std::string extra_repr() const override;
  Tensor weight;  ///< (num_embeddings, embedding_dim), registered as "weight".
  /// The number of vectors.
  std::int64_t num_embeddings, embedding_dim;  ///< The size of each vector.
};

/// Flattens dims start_dim..end_dim into one (default: all but the batch dim), as
/// torch.nn.Flatten: (N, C, H, W) -> (N, C H W).
class Flatten : public Module {
 public:
  /// A Flatten of dims start_dim..end_dim.
  /// @param start_dim the first dim to flatten (default 1; negative counts from the end).
  /// @param end_dim the last one, included (default -1).
  explicit Flatten(std::int64_t start_dim = 1, std::int64_t end_dim = -1)
      : Module("Flatten"), start_dim(start_dim), end_dim(end_dim) {}
  /// flatten(x, start_dim, end_dim).
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  /// The first flattened dim.
  std::int64_t start_dim, end_dim;  ///< The last flattened dim, included.
};

/// An MLP: Linear layers of the given sizes with `Activation` between them (none after the last),
/// e.g. mlp<ReLU>({784, 256, 128, 10}, g). The layers draw from `generator` in order (each
/// Linear its weight, then its bias). No PyTorch counterpart (torchvision.ops.MLP is the
/// nearest); a list of one size gives an empty Sequential.
/// @code
/// kindling::Generator g(1);
/// auto model = kindling::nn::mlp<kindling::nn::ReLU>({784, 256, 128, 10}, g);
/// @endcode
/// @throws kindling::error when a size is not positive.
template <class Activation>
std::shared_ptr<Sequential> mlp(const std::vector<std::int64_t>& sizes, Generator& generator) {
  auto model = std::make_shared<Sequential>();
  for (std::size_t i = 0; i + 1 < sizes.size(); ++i) {
    model->push_back(std::make_shared<Linear>(sizes[i], sizes[i + 1], generator));
    if (i + 2 < sizes.size()) model->push_back(std::make_shared<Activation>());
  }
  return model;
}
/// The same from a generator made for the call: mlp<ReLU>({2, 16, 1}, Generator(1)). Python's
/// nn.mlp(sizes, seed=1) draws from one Generator(1) in the same order, so it is the same model.
template <class Activation>
std::shared_ptr<Sequential> mlp(const std::vector<std::int64_t>& sizes, Generator&& generator) {
  return mlp<Activation>(sizes, generator);
}

}  // namespace kindling::nn
