// Scalar networks (micrograd's nn.py on Value): shapes, forward values, losses, a gradient against
// finite differences, the moons data, and the demo's training reaching 100% accuracy.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "kindling/engine/error.hpp"
#include "kindling/nn/moons.hpp"
#include "kindling/nn/scalar.hpp"

using kindling::Value;
namespace scalar = kindling::nn::scalar;

TEST_CASE("MLP(2, {16, 16, 1}) has micrograd's 337 parameters", "[nn][scalar]") {
  kindling::Generator generator(1);
  scalar::MLP model(2, {16, 16, 1}, generator);
  CHECK(model.parameters().size() == 337);
  CHECK(model.describe() ==
        "MLP of [Layer of [ReLUNeuron(2) x 16], Layer of [ReLUNeuron(16) x 16], Layer of "
        "[LinearNeuron(16) x 1]]");
  for (const Value& p : model.parameters()) {
    CHECK(p.data() >= -1.0);
    CHECK(p.data() <= 1.0);
  }
}

TEST_CASE("initialisation is reproducible from the seed", "[nn][scalar]") {
  kindling::Generator g1(5), g2(5), g3(6);
  scalar::MLP a(3, {4, 1}, g1), b(3, {4, 1}, g2), c(3, {4, 1}, g3);
  const auto pa = a.parameters(), pb = b.parameters(), pc = c.parameters();
  bool any_different = false;
  for (std::size_t i = 0; i < pa.size(); ++i) {
    CHECK(pa[i].data() == pb[i].data());
    any_different |= pa[i].data() != pc[i].data();
  }
  CHECK(any_different);
}

TEST_CASE("a neuron computes relu(w . x + b), a linear one w . x + b", "[nn][scalar]") {
  kindling::Generator generator(2);
  scalar::Neuron relu_neuron(3, true, generator), linear_neuron(3, false, generator);
  const Value x[3] = {0.5, -1.0, 2.0};
  for (const scalar::Neuron* neuron : {&relu_neuron, &linear_neuron}) {
    const auto p = neuron->parameters();
    REQUIRE(p.size() == 4);
    double expected = p[3].data();
    for (int i = 0; i < 3; ++i)
      expected += p[i].data() * x[i].data();
    if (neuron->nonlinear()) expected = std::max(expected, 0.0);
    CHECK((*neuron)(x).data() == Approx(expected).epsilon(1e-14));
  }
  const Value two[2] = {1.0, 2.0};
  CHECK_THROWS_WITH(relu_neuron(two), Catch::Contains("Neuron: expected 3 inputs, got 2"));
}

TEST_CASE("an MLP's gradient matches finite differences", "[nn][scalar]") {
  kindling::Generator generator(3);
  scalar::MLP model(2, {5, 4, 1}, generator);
  const Value x[2] = {0.3, -0.8};
  auto output = [&] { return model(x)[0]; };
  Value y = output();
  model.zero_grad();
  y.backward();
  const auto parameters = model.parameters();
  for (std::size_t i = 0; i < parameters.size(); i += 3) {
    Value p = parameters[i];  // a handle sharing the parameter's node
    const double saved = p.data(), h = 1e-6;
    p.set_data(saved + h);
    const double plus = output().data();
    p.set_data(saved - h);
    const double minus = output().data();
    p.set_data(saved);
    INFO("parameter " << i);
    CHECK(p.grad() == Approx((plus - minus) / (2 * h)).margin(1e-7));
  }
}

TEST_CASE("losses against hand computation", "[nn][scalar]") {
  const std::vector<Value> scores = {0.5, -2.0, 1.5};
  const std::vector<double> labels = {1.0, -1.0, -1.0};
  const std::vector<Value> parameters = {0.5, -1.0};
  // relu(1 - 0.5) + relu(1 - 2) + relu(1 + 1.5) = 0.5 + 0 + 2.5 -> mean 1; L2 0.01 * 1.25
  Value svm = scalar::svm_loss(scores, labels, parameters, 0.01);
  CHECK(svm.data() == Approx(1.0 + 0.0125));
  svm.backward();
  CHECK(scores[0].grad() == Approx(-1.0 / 3));
  CHECK(scores[1].grad() == Approx(0.0));
  CHECK(scores[2].grad() == Approx(1.0 / 3));
  CHECK(parameters[1].grad() == Approx(2 * 0.01 * -1.0));
  CHECK(scalar::sign_accuracy(scores, labels) == Approx(2.0 / 3));

  const std::vector<Value> predictions = {1.0, 2.0};
  const std::vector<double> targets = {0.0, 4.0};
  Value mse = scalar::mse_loss(predictions, targets);
  CHECK(mse.data() == Approx(2.5));
  mse.backward();
  CHECK(predictions[0].grad() == Approx(1.0));
  CHECK(predictions[1].grad() == Approx(-2.0));
  CHECK_THROWS_AS(scalar::mse_loss(predictions, std::vector<double>{1.0}), kindling::error);
}

TEST_CASE("sgd_step moves parameters against the gradient", "[nn][scalar]") {
  Value w(1.0);
  Value loss = (w - 3.0).pow(2.0);  // d/dw = 2 (w - 3) = -4
  loss.backward();
  const Value params[1] = {w};
  scalar::sgd_step(params, 0.1);
  CHECK(w.data() == Approx(1.4));
}

TEST_CASE("make_moons: size, balance, shape and reproducibility", "[nn][moons]") {
  const auto data = kindling::nn::make_moons(101, 0.0, 9);
  REQUIRE(data.size() == 101);
  REQUIRE(data.x.size() == 202);
  int upper = 0;
  for (std::size_t i = 0; i < data.size(); ++i) {
    const double x = data.x[2 * i], y = data.x[2 * i + 1];
    if (data.label[i] == 0) {
      ++upper;
      CHECK(std::hypot(x, y) == Approx(1.0));  // unit half circle, y >= 0
      CHECK(y >= -1e-12);
    } else {
      CHECK(std::hypot(x - 1.0, y - 0.5) == Approx(1.0));  // shifted, flipped half circle
      CHECK(y <= 0.5 + 1e-12);
    }
  }
  CHECK(upper == 51);
  const auto again = kindling::nn::make_moons(101, 0.1, 9);
  const auto same = kindling::nn::make_moons(101, 0.1, 9);
  const auto other = kindling::nn::make_moons(101, 0.1, 10);
  CHECK(again.x == same.x);
  CHECK(again.x != other.x);
  CHECK_THROWS_AS(kindling::nn::make_moons(1, 0.1, 1), kindling::error);
}

TEST_CASE("the moons demo reaches 100% training accuracy", "[nn][moons]") {
  // The README's demo in miniature: same data, model, loss and schedule as examples/moons.
  const auto data = kindling::nn::make_moons(100, 0.1, 1337);
  std::vector<double> labels;
  for (int label : data.label)
    labels.push_back(label == 1 ? 1.0 : -1.0);
  kindling::Generator generator(1337);
  scalar::MLP model(2, {16, 16, 1}, generator);
  const auto parameters = model.parameters();
  double first_loss = 0, loss = 0, accuracy = 0;
  for (int step = 0; step < 100; ++step) {
    std::vector<Value> scores;
    for (std::size_t i = 0; i < data.size(); ++i) {
      const Value x[2] = {data.x[2 * i], data.x[2 * i + 1]};
      scores.push_back(model(x)[0]);
    }
    Value total = scalar::svm_loss(scores, labels, parameters, 1e-4);
    accuracy = scalar::sign_accuracy(scores, labels);
    model.zero_grad();
    total.backward();
    scalar::sgd_step(parameters, 1.0 - 0.9 * step / 100);
    loss = total.data();
    if (step == 0) first_loss = loss;
  }
  CHECK(loss < first_loss / 10);
  CHECK(accuracy == 1.0);
}
