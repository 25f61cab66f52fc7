// Scalar neural networks on Value (micrograd's nn.py).
#include "kindling/nn/scalar.hpp"

#include "kindling/engine/error.hpp"

namespace kindling::nn::scalar {

void ParameterHolder::zero_grad() const {
  for (Value p : parameters())  // a handle: the copy shares the node
    p.zero_grad();
}

Neuron::Neuron(std::size_t input_count, bool nonlinear, Generator& generator)
    : bias_(0.0), nonlinear_(nonlinear) {
  weights_.reserve(input_count);
  for (std::size_t i = 0; i < input_count; ++i)
    weights_.emplace_back(generator.uniform(-1.0, 1.0));
}

Value Neuron::operator()(std::span<const Value> inputs) const {
  KINDLING_CHECK(inputs.size() == weights_.size(), "Neuron: expected ", weights_.size(),
                 " inputs, got ", inputs.size());
  // Bias first, then one add per input, as micrograd's sum(..., self.b) builds it.
  Value activation = bias_;
  for (std::size_t i = 0; i < inputs.size(); ++i)
    activation = activation + weights_[i] * inputs[i];
  return nonlinear_ ? activation.relu() : activation;
}

std::vector<Value> Neuron::parameters() const {
  std::vector<Value> result = weights_;
  result.push_back(bias_);
  return result;
}

Layer::Layer(std::size_t input_count, std::size_t output_count, bool nonlinear,
             Generator& generator) {
  neurons_.reserve(output_count);
  for (std::size_t i = 0; i < output_count; ++i)
    neurons_.emplace_back(input_count, nonlinear, generator);
}

std::vector<Value> Layer::operator()(std::span<const Value> inputs) const {
  std::vector<Value> outputs;
  outputs.reserve(neurons_.size());
  for (const Neuron& neuron : neurons_)
    outputs.push_back(neuron(inputs));
  return outputs;
}

std::vector<Value> Layer::parameters() const {
  std::vector<Value> result;
  for (const Neuron& neuron : neurons_) {
    for (Value& p : neuron.parameters())
      result.push_back(std::move(p));
  }
  return result;
}

MLP::MLP(std::size_t input_count, std::vector<std::size_t> layer_sizes, Generator& generator) {
  KINDLING_CHECK(!layer_sizes.empty(), "MLP: needs at least one layer");
  std::size_t fan_in = input_count;
  for (std::size_t i = 0; i < layer_sizes.size(); ++i) {
    const bool last = i + 1 == layer_sizes.size();
    layers_.emplace_back(fan_in, layer_sizes[i], !last, generator);
    fan_in = layer_sizes[i];
  }
}

std::vector<Value> MLP::operator()(std::span<const Value> inputs) const {
  std::vector<Value> activations(inputs.begin(), inputs.end());
  for (const Layer& layer : layers_)
    activations = layer(activations);
  return activations;
}

std::vector<Value> MLP::parameters() const {
  std::vector<Value> result;
  for (const Layer& layer : layers_) {
    for (Value& p : layer.parameters())
      result.push_back(std::move(p));
  }
  return result;
}

std::string MLP::describe() const {
  std::string text = "MLP of [";
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    const Neuron& first = layers_[i].neurons().front();
    text += i ? ", " : "";
    text += "Layer of [" + std::string(first.nonlinear() ? "ReLU" : "Linear") + "Neuron(" +
            std::to_string(first.input_count()) + ") x " +
            std::to_string(layers_[i].neurons().size()) + "]";
  }
  return text + "]";
}

void sgd_step(std::span<const Value> parameters, double learning_rate) {
  for (Value p : parameters)  // a handle: the copy shares the node
    p.set_data(p.data() - learning_rate * p.grad());
}

Value svm_loss(std::span<const Value> scores, std::span<const double> labels,
               std::span<const Value> parameters, double alpha) {
  KINDLING_CHECK(scores.size() == labels.size() && !scores.empty(), "svm_loss: ", scores.size(),
                 " scores and ", labels.size(), " labels");
  Value data_loss = 0.0;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    data_loss = data_loss + (1.0 + -labels[i] * scores[i]).relu();
  }
  data_loss = data_loss * (1.0 / static_cast<double>(scores.size()));
  Value l2 = 0.0;
  for (const Value& p : parameters)
    l2 = l2 + p * p;
  return data_loss + alpha * l2;
}

Value mse_loss(std::span<const Value> predictions, std::span<const double> targets) {
  KINDLING_CHECK(predictions.size() == targets.size() && !predictions.empty(),
                 "mse_loss: ", predictions.size(), " predictions and ", targets.size(), " targets");
  Value total = 0.0;
  for (std::size_t i = 0; i < predictions.size(); ++i) {
    total = total + (predictions[i] - targets[i]).pow(2.0);
  }
  return total / static_cast<double>(predictions.size());
}

double sign_accuracy(std::span<const Value> scores, std::span<const double> labels) {
  KINDLING_CHECK(scores.size() == labels.size() && !scores.empty(),
                 "sign_accuracy: ", scores.size(), " scores and ", labels.size(), " labels");
  std::size_t correct = 0;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    correct += (labels[i] > 0) == (scores[i].data() > 0);
  }
  return static_cast<double>(correct) / static_cast<double>(scores.size());
}

}  // namespace kindling::nn::scalar
