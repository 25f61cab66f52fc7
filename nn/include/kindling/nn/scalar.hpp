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

// Anything with parameters: zero_grad() clears their gradients.
class ParameterHolder {
 public:
  virtual ~ParameterHolder() = default;
  virtual std::vector<Value> parameters() const = 0;
  void zero_grad() const;
};

// One neuron: act = sum_i w_i x_i + b, then ReLU unless it is linear. Weights uniform in [-1, 1]
// from the generator (micrograd's init), bias 0.
class Neuron : public ParameterHolder {
 public:
  Neuron(std::size_t input_count, bool nonlinear, Generator& generator);
  Value operator()(std::span<const Value> inputs) const;
  std::vector<Value> parameters() const override;
  bool nonlinear() const noexcept { return nonlinear_; }
  std::size_t input_count() const noexcept { return weights_.size(); }

 private:
  std::vector<Value> weights_;
  Value bias_;
  bool nonlinear_;
};

class Layer : public ParameterHolder {
 public:
  Layer(std::size_t input_count, std::size_t output_count, bool nonlinear, Generator& generator);
  std::vector<Value> operator()(std::span<const Value> inputs) const;
  std::vector<Value> parameters() const override;
  const std::vector<Neuron>& neurons() const noexcept { return neurons_; }

 private:
  std::vector<Neuron> neurons_;
};

// MLP(2, {16, 16, 1}): ReLU on every layer but the last, as micrograd does.
class MLP : public ParameterHolder {
 public:
  MLP(std::size_t input_count, std::vector<std::size_t> layer_sizes, Generator& generator);
  std::vector<Value> operator()(std::span<const Value> inputs) const;
  std::vector<Value> parameters() const override;
  const std::vector<Layer>& layers() const noexcept { return layers_; }
  // "MLP of [Layer of [ReLUNeuron(2) x 16], ...]", as micrograd prints it.
  std::string describe() const;

 private:
  std::vector<Layer> layers_;
};

// p.data -= learning_rate * p.grad for each parameter.
void sgd_step(std::span<const Value> parameters, double learning_rate);

// mean_i relu(1 - y_i * score_i) + alpha * sum_p p^2, labels in {-1, +1} (micrograd's demo).
Value svm_loss(std::span<const Value> scores, std::span<const double> labels,
               std::span<const Value> parameters, double alpha);
// mean_i (prediction_i - target_i)^2.
Value mse_loss(std::span<const Value> predictions, std::span<const double> targets);
// Fraction of samples whose score has the sign of the label.
double sign_accuracy(std::span<const Value> scores, std::span<const double> labels);

}  // namespace kindling::nn::scalar
