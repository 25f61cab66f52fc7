// Scalar neural networks on Value, as in micrograd's nn.py: Neuron, Layer, MLP, a plain SGD step
// and the losses of micrograd's moons demo (SVM max-margin with L2 regularisation) plus MSE.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "kindling/engine/random.hpp"
#include "kindling/engine/value.hpp"

namespace kindling::nn::scalar {

/// Anything with parameters, as micrograd's Module: zero_grad() clears their gradients.
class ParameterHolder {
 public:
  virtual ~ParameterHolder() = default;
  /// Handles to the parameters (they share the nodes: updating one updates the model).
  virtual std::vector<Value> parameters() const = 0;
  /// Clears every parameter's gradient.
  void zero_grad() const;
};

/// One neuron: act = sum_i w_i x_i + b, then ReLU unless it is linear, as micrograd's Neuron.
/// Weights uniform in [-1, 1) from the generator (micrograd's init), bias 0.
class Neuron : public ParameterHolder {
 public:
  /// A neuron of `input_count` inputs.
  /// @param input_count the number of inputs (and weights).
  /// @param nonlinear whether ReLU follows the sum.
  /// @param generator the source of the weights, drawn in order.
  Neuron(std::size_t input_count, bool nonlinear, Generator& generator);
  /// b + sum_i w_i x_i (added in that order, as micrograd builds it), then ReLU if nonlinear.
  /// @throws kindling::error when inputs.size() is not input_count().
  Value operator()(std::span<const Value> inputs) const;
  /// The weights, then the bias.
  std::vector<Value> parameters() const override;
  /// Whether ReLU follows the sum.
  bool nonlinear() const noexcept { return nonlinear_; }
  /// The number of inputs.
  std::size_t input_count() const noexcept { return weights_.size(); }

 private:
  std::vector<Value> weights_;
  Value bias_;
  bool nonlinear_;
};

/// `output_count` neurons on the same inputs, as micrograd's Layer.
class Layer : public ParameterHolder {
 public:
  /// A layer of `output_count` neurons of `input_count` inputs each, drawn in order.
  /// @param input_count the number of inputs.
  /// @param output_count the number of neurons (outputs).
  /// @param nonlinear whether the neurons apply ReLU.
  /// @param generator the source of the weights.
  Layer(std::size_t input_count, std::size_t output_count, bool nonlinear, Generator& generator);
  /// Each neuron's output, in order.
  /// @throws kindling::error when inputs.size() is not the input count.
  std::vector<Value> operator()(std::span<const Value> inputs) const;
  /// Every neuron's parameters, in order.
  std::vector<Value> parameters() const override;
  /// The neurons.
  const std::vector<Neuron>& neurons() const noexcept { return neurons_; }

 private:
  std::vector<Neuron> neurons_;
};

/// A multilayer perceptron on Values, as micrograd's MLP: MLP(2, {16, 16, 1}) has ReLU on every
/// layer but the last, as micrograd does.
/// @code
/// using namespace kindling;
/// Generator g(1337);
/// nn::scalar::MLP model(2, {16, 16, 1}, g);
/// const Value x[2] = {0.5, -0.2};
/// Value score = model(x)[0];
/// Value loss = nn::scalar::svm_loss({&score, 1}, std::vector<double>{1.0}, model.parameters(),
///                                   1e-4);
/// model.zero_grad();
/// loss.backward();
/// nn::scalar::sgd_step(model.parameters(), 0.1);
/// @endcode
class MLP : public ParameterHolder {
 public:
  /// Layers of the given sizes after `input_count` inputs, drawn from `generator` in order.
  /// @param input_count the number of inputs.
  /// @param layer_sizes each layer's number of neurons (the last is the output count).
  /// @param generator the source of the weights.
  /// @throws kindling::error when layer_sizes is empty.
  MLP(std::size_t input_count, std::vector<std::size_t> layer_sizes, Generator& generator);
  /// The last layer's outputs.
  /// @throws kindling::error when inputs.size() is not input_count.
  std::vector<Value> operator()(std::span<const Value> inputs) const;
  /// Every layer's parameters, in order.
  std::vector<Value> parameters() const override;
  /// The layers.
  const std::vector<Layer>& layers() const noexcept { return layers_; }
  /// "MLP of [Layer of [ReLUNeuron(2) x 16], ...]", as micrograd prints it.
  std::string describe() const;

 private:
  std::vector<Layer> layers_;
};

/// p.data -= learning_rate * p.grad for each parameter (micrograd's update loop).
void sgd_step(std::span<const Value> parameters, double learning_rate);

/// mean_i relu(1 - y_i * score_i) + alpha * sum_p p^2, labels in {-1, +1} (micrograd's demo).
/// @throws kindling::error when there are no scores or the counts of scores and labels differ.
Value svm_loss(std::span<const Value> scores, std::span<const double> labels,
               std::span<const Value> parameters, double alpha);
/// mean_i (prediction_i - target_i)^2.
/// @throws kindling::error when there are no predictions or the counts differ.
Value mse_loss(std::span<const Value> predictions, std::span<const double> targets);
/// Fraction of samples whose score has the sign of the label (score > 0 for label > 0).
/// @throws kindling::error when there are no scores or the counts differ.
double sign_accuracy(std::span<const Value> scores, std::span<const double> labels);

}  // namespace kindling::nn::scalar
