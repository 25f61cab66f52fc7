// Scalar-tensor agreement: micrograd's MLP built from Values (nn/scalar.hpp) and the same network
// written with Tensors, on the same weights and data, give the same loss and the same gradients.
#include <catch2/catch.hpp>

#include "kindling/nn/scalar.hpp"
#include "kindling/tensor.hpp"

namespace kindling {
namespace {

TEST_CASE("a Value MLP and a Tensor MLP agree on loss and gradients", "[tensor][scalar]") {
  Generator gen(314);
  const nn::scalar::MLP mlp(3, {4, 4, 1}, gen);
  const std::size_t batch = 5;
  std::vector<double> x_data, y_data;
  for (std::size_t i = 0; i < batch * 3; ++i)
    x_data.push_back(gen.normal());
  for (std::size_t i = 0; i < batch; ++i)
    y_data.push_back(gen.normal());

  // The scalar network, sample by sample.
  std::vector<Value> predictions;
  for (std::size_t i = 0; i < batch; ++i) {
    const std::vector<Value> inputs = {x_data[3 * i], x_data[3 * i + 1], x_data[3 * i + 2]};
    predictions.push_back(mlp(inputs)[0]);
  }
  Value scalar_loss = nn::scalar::mse_loss(predictions, y_data);
  scalar_loss.backward();

  // The same weights as (in, out) matrices and (out,) biases.
  std::vector<Tensor> weights, biases;
  for (const auto& layer : mlp.layers()) {
    const auto& neurons = layer.neurons();
    const std::size_t in = neurons[0].input_count(), out = neurons.size();
    std::vector<double> w(in * out), b(out);
    for (std::size_t j = 0; j < out; ++j) {
      const std::vector<Value> p = neurons[j].parameters();  // w_0 .. w_{in-1}, bias
      for (std::size_t i = 0; i < in; ++i)
        w[i * out + j] = p[i].data();
      b[j] = p[in].data();
    }
    weights.push_back(
        from_vector(w, {static_cast<std::int64_t>(in), static_cast<std::int64_t>(out)})
            .set_requires_grad());
    biases.push_back(from_vector(b, {static_cast<std::int64_t>(out)}).set_requires_grad());
  }
  Tensor h = from_vector(x_data, {static_cast<std::int64_t>(batch), 3});
  for (std::size_t l = 0; l < weights.size(); ++l) {
    h = matmul(h, weights[l]) + biases[l];
    if (mlp.layers()[l].neurons()[0].nonlinear()) h = relu(h);
  }
  const Tensor y = from_vector(y_data, {static_cast<std::int64_t>(batch)});
  const Tensor diff = h.reshape({-1}) - y;
  const Tensor tensor_loss = mean(diff * diff);
  tensor_loss.backward();

  CHECK(tensor_loss.item() == Approx(scalar_loss.data()).epsilon(1e-12));
  for (std::size_t l = 0; l < weights.size(); ++l) {
    const auto& neurons = mlp.layers()[l].neurons();
    const std::size_t in = neurons[0].input_count(), out = neurons.size();
    const std::vector<double> gw = weights[l].grad().to_vector<double>();
    const std::vector<double> gb = biases[l].grad().to_vector<double>();
    for (std::size_t j = 0; j < out; ++j) {
      const std::vector<Value> p = neurons[j].parameters();
      for (std::size_t i = 0; i < in; ++i) {
        INFO("layer " << l << " weight " << i << "," << j);
        CHECK(gw[i * out + j] == Approx(p[i].grad()).epsilon(1e-12).margin(1e-14));
      }
      INFO("layer " << l << " bias " << j);
      CHECK(gb[j] == Approx(p[in].grad()).epsilon(1e-12).margin(1e-14));
    }
  }
}

}  // namespace
}  // namespace kindling
