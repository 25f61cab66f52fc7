// Module, the layers and the initialisers: names, walks, modes, state dicts, printouts, and the
// layers' numbers against hand computation.
#include <array>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "dot_support.hpp"
#include "kindling/explain/tensor_graph_style.hpp"
#include "kindling/nn/init.hpp"
#include "kindling/nn/layers.hpp"
#include "kindling/nn/tensor_util.hpp"
#include "nn_support.hpp"

using namespace kindling;
using namespace kindling::nn;

namespace {
// A module with a submodule, a parameter of its own and a buffer: the names must nest.
class Block : public Module {
 public:
  explicit Block(Generator& g) : Module("Block") {
    fc = register_module("fc", std::make_shared<Linear>(3, 2, g));
    norm = register_module("norm", std::make_shared<BatchNorm1d>(2));
    scale = register_parameter("scale", ones({2}));
  }
  Tensor forward(const Tensor& x) override { return (*norm)((*fc)(x)) * scale; }
  std::shared_ptr<Linear> fc;
  std::shared_ptr<BatchNorm1d> norm;
  Tensor scale;
};
}  // namespace

TEST_CASE("named parameters, buffers and counts nest with dotted names", "[nn][module]") {
  Generator g(1);
  Sequential model(std::make_shared<Block>(g), std::make_shared<ReLU>(),
                   std::make_shared<Linear>(2, 4, g, false));
  std::vector<std::string> names;
  for (const auto& [name, t] : model.named_parameters())
    names.push_back(name);
  CHECK(names == std::vector<std::string>{"0.scale", "0.fc.weight", "0.fc.bias", "0.norm.weight",
                                          "0.norm.bias", "2.weight"});
  CHECK(model.parameter_count() == 2 + 6 + 2 + 2 + 2 + 8);
  CHECK(model.parameters().size() == 6);
  std::vector<std::string> buffers;
  for (const auto& [name, t] : model.named_buffers())
    buffers.push_back(name);
  CHECK(buffers == std::vector<std::string>{"0.norm.running_mean", "0.norm.running_var",
                                            "0.norm.num_batches_tracked"});
  CHECK(model.state_dict().size() == 9);
  CHECK(model.named_modules().size() == 6);
}

TEST_CASE("zero_grad drops gradients, train/eval reach every module", "[nn][module]") {
  Generator g(2);
  Sequential model(std::make_shared<Linear>(3, 3, g), std::make_shared<Dropout>(0.5, g));
  const Tensor x = randn({4, 3}, g);
  sum(model(x)).backward();
  auto* linear = dynamic_cast<Linear*>(&model[0]);
  REQUIRE(linear->weight.grad().defined());
  model.zero_grad();
  CHECK_FALSE(linear->weight.grad().defined());
  CHECK(model[1].is_training());
  model.eval();
  CHECK_FALSE(model.is_training());
  CHECK_FALSE(model[1].is_training());
  model.train();
  CHECK(model[1].is_training());
  // No CUDA kernels are registered in this test: moving says so instead of crashing.
  if (!kernels::has_kernels(DeviceType::cuda))
    CHECK_THROWS_WITH(model.to(Device{DeviceType::cuda, 0}), Catch::Contains("no kernels"));
  model.to(kCPU);  // already there: nothing to do
  CHECK(linear->weight.device() == kCPU);
}

TEST_CASE("state_dict round trip and strict load errors name the entries", "[nn][module]") {
  Generator g(3);
  Sequential a(std::make_shared<Linear>(3, 2, g));
  Sequential b(std::make_shared<Linear>(3, 2, g));
  const Tensor b_weight = dynamic_cast<Linear&>(b[0]).weight;
  b.load_state_dict(a.state_dict());
  CHECK(b_weight.to_vector<double>() == dynamic_cast<Linear&>(a[0]).weight.to_vector<double>());
  // Values are copied into the existing storage: handles held elsewhere see them.
  CHECK(b_weight.same_node(dynamic_cast<Linear&>(b[0]).weight));

  StateDict missing;
  missing.insert("0.weight", zeros({2, 3}));
  missing.insert("0.extra", zeros({1}));
  try {
    b.load_state_dict(missing);
    FAIL("no error");
  } catch (const error& e) {
    const std::string what = e.what();
    CHECK(what.find("missing: 0.bias") != std::string::npos);
    CHECK(what.find("unexpected: 0.extra") != std::string::npos);
  }
  StateDict wrong;
  wrong.insert("0.weight", zeros({3, 2}));
  wrong.insert("0.bias", zeros({2}));
  CHECK_THROWS_WITH(b.load_state_dict(wrong),
                    Catch::Contains("0.weight (expected (2,3), got (3,2))"));
  // Not strict: the missing and unexpected are ignored, matching names load.
  b.load_state_dict(missing, false);
  CHECK(b_weight.to_vector<double>() == std::vector<double>(6, 0.0));
}

TEST_CASE("the printout shows the tree as PyTorch does", "[nn][module]") {
  Generator g(4);
  auto model = mlp<ReLU>({784, 256, 10}, g);
  CHECK(model->to_string() ==
        "Sequential(\n"
        "  (0): Linear(in_features=784, out_features=256, bias=True)\n"
        "  (1): ReLU()\n"
        "  (2): Linear(in_features=256, out_features=10, bias=True)\n"
        ")");
  CHECK(model->parameter_count() == 784 * 256 + 256 + 256 * 10 + 10);
}

TEST_CASE("Linear computes x W^T + b and initialises as PyTorch's bounds", "[nn][layers]") {
  Generator g(5);
  Linear layer(100, 50, g);
  const auto w = layer.weight.to_vector<double>();
  const auto b = layer.bias.to_vector<double>();
  const double bound = 1.0 / std::sqrt(100.0);
  double max_w = 0, max_b = 0, mean_sq = 0;
  for (double v : w) {
    max_w = std::max(max_w, std::abs(v));
    mean_sq += v * v / static_cast<double>(w.size());
  }
  for (double v : b)
    max_b = std::max(max_b, std::abs(v));
  CHECK(max_w <= bound);
  CHECK(max_w > 0.95 * bound);
  CHECK(max_b <= bound);
  // Uniform on [-c, c] has variance c^2 / 3.
  CHECK(mean_sq == Approx(bound * bound / 3).epsilon(0.05));
  // Same seed, same weights.
  Generator g2(5);
  Linear again(100, 50, g2);
  CHECK(again.weight.to_vector<double>() == w);

  Generator g3(6);
  Linear small(2, 2, g3);
  StateDict values;
  values.insert("weight", tensor({1, 2, 3, 4}, {2, 2}));
  values.insert("bias", tensor({0.5, -1}));
  small.load_state_dict(values);
  // [1, 1] . [[1, 2], [3, 4]]^T + [0.5, -1] = [3.5, 6]
  CHECK(small(tensor({1, 1}, {1, 2})).to_vector<double>() == std::vector<double>{3.5, 6.0});
  CHECK_THROWS_WITH(small(zeros({1, 3})), Catch::Contains("Linear(in=2, out=2)"));
}

TEST_CASE("Linear's two layouts give the same values and gradients", "[nn][layers]") {
  // Note [linear layout]: a small batch through a wide layer takes the weight-first form when a
  // backward is ahead and the plain form under no_grad; a large batch takes the plain form.
  Generator g(9);
  Linear layer(50, 40, g);
  for (const std::int64_t batch : {2, 400}) {
    INFO("batch " << batch);
    const Tensor x = randn({batch, 50}, g);
    layer.zero_grad();
    const Tensor y = layer(x);
    sum(y).backward();
    Tensor plain;
    {
      const no_grad guard;
      plain = layer(x);
    }
    const auto a = y.to_vector<double>(), b = plain.to_vector<double>();
    for (std::size_t i = 0; i < a.size(); ++i)
      CHECK(a[i] == Approx(b[i]).epsilon(1e-5).margin(1e-6));
    // d sum(y) / dW[o][i] = sum over the batch of x[., i], for every o.
    const auto xs = x.to_vector<double>(), dw = layer.weight.grad().to_vector<double>();
    for (std::int64_t i = 0; i < 50; ++i) {
      double expected = 0;
      for (std::int64_t r = 0; r < batch; ++r)
        expected += xs[static_cast<std::size_t>(r * 50 + i)];
      CHECK(dw[static_cast<std::size_t>(7 * 50 + i)] ==
            Approx(expected).epsilon(1e-5).margin(1e-5));
    }
    CHECK(layer.weight.grad().is_contiguous());
  }
}

TEST_CASE("activations, Dropout, Flatten and Embedding", "[nn][layers]") {
  const Tensor x = tensor({-2, -0.5, 0, 1.5}, {2, 2});
  CHECK(ReLU()(x).to_vector<double>() == std::vector<double>{0, 0, 0, 1.5});
  CHECK(Tanh()(x).to_vector<double>()[3] == Approx(std::tanh(1.5)));
  CHECK(Sigmoid()(x).to_vector<double>()[0] == Approx(1 / (1 + std::exp(2.0))));

  Generator g(7);
  Dropout dropout(0.25, g);
  const Tensor big = ones({4000});
  const auto kept = dropout(big).to_vector<double>();
  std::size_t zeros_count = 0;
  for (double v : kept) {
    CHECK((v == 0.0 || v == Approx(1 / 0.75)));
    zeros_count += v == 0.0;
  }
  CHECK(zeros_count > 900);
  CHECK(zeros_count < 1100);
  // A float64 model keeps the scale in double (the bool mask is cast to the input's dtype before
  // the scale multiplies it).
  for (double v : dropout(ones({400}, DType::float64)).to_vector<double>())
    CHECK((v == 0.0 || v == 1.0 / 0.75));
  dropout.eval();
  CHECK(dropout(big).same_node(big));

  CHECK(Flatten()(zeros({2, 3, 4})).shape() == Shape{2, 12});
  Embedding embed(5, 3, g);
  const Tensor idx = from_vector(std::vector<std::int64_t>{4, 0, 4, 1}, {2, 2});
  const Tensor e = embed(idx);
  CHECK(e.shape() == Shape{2, 2, 3});
  const auto table = embed.weight.to_vector<double>();
  const auto looked = e.to_vector<double>();
  for (int k = 0; k < 3; ++k) {
    CHECK(looked[k] == table[12 + k]);
    CHECK(looked[6 + k] == table[12 + k]);
  }
  sum(e).backward();
  // Row 4 was used twice: its gradient accumulates to 2.
  CHECK(embed.weight.grad().to_vector<double>()[12] == 2.0);
  CHECK(embed.weight.grad().to_vector<double>()[6] == 0.0);
}

TEST_CASE("initialisers follow their formulas", "[nn][init]") {
  Generator g(8);
  const Tensor w = zeros({200, 300});
  init::kaiming_uniform_(w, g, 0.0, true, init::Nonlinearity::relu);
  const double bound = std::sqrt(2.0) * std::sqrt(3.0 / 300.0);
  auto stats = [](const Tensor& t) {
    const auto v = t.to_vector<double>();
    double m = 0, s = 0, mx = 0;
    for (double x : v) {
      m += x;
      s += x * x;
      mx = std::max(mx, std::abs(x));
    }
    m /= static_cast<double>(v.size());
    return std::array<double, 3>{m, std::sqrt(s / static_cast<double>(v.size()) - m * m), mx};
  };
  auto [m1, s1, max1] = stats(w);
  CHECK(max1 <= bound);
  CHECK(s1 == Approx(bound / std::sqrt(3.0)).epsilon(0.02));
  init::kaiming_normal_(w, g, 0.0, false, init::Nonlinearity::relu);
  CHECK(stats(w)[1] == Approx(std::sqrt(2.0 / 200.0)).epsilon(0.02));
  init::xavier_uniform_(w, g);
  CHECK(stats(w)[2] <= std::sqrt(6.0 / 500.0));
  init::xavier_normal_(w, g, 2.0);
  CHECK(stats(w)[1] == Approx(2.0 * std::sqrt(2.0 / 500.0)).epsilon(0.02));
  CHECK(std::abs(stats(w)[0]) < 0.01);
  CHECK(init::gain(init::Nonlinearity::tanh) == Approx(5.0 / 3.0));
  CHECK_THROWS_WITH(init::xavier_uniform_(zeros({3}), g), Catch::Contains("(3)"));
}

TEST_CASE("a model's graph draws each module as a cluster holding its parameters",
          "[nn][module][dot]") {
  kindling::Generator g(8);
  auto model = mlp<ReLU>({4, 3, 2}, g);
  const Tensor x = kindling::randn({5, 4}, g);
  const Tensor loss = kindling::sum((*model)(x));
  const std::string dot = kindling::to_dot(loss, {}, kindling::tensor_graph_style());
  INFO(dot);
  CHECK(dot.find("label=\"Sequential\"") != std::string::npos);
  CHECK(dot.find("label=\"Sequential.0 (Linear)\"") != std::string::npos);
  CHECK(dot.find("label=\"Sequential.1 (ReLU)\"") != std::string::npos);
  CHECK(dot.find("label=\"Sequential.2 (Linear)\"") != std::string::npos);
  // The first Linear's weight is drawn inside that Linear's cluster.
  const auto first = model->named_parameters().front().second;
  REQUIRE(first.scope());
  CHECK(first.scope()->dotted_name() == "Sequential.0 (Linear)");
  // Collapsing the first Linear keeps the graph drawable with fewer nodes.
  const std::string collapsed =
      kindling::to_dot(loss, {}, kindling::tensor_graph_style({"Sequential.0 (Linear)"}));
  CHECK(collapsed.find("Sequential.0 (Linear)\\n(collapsed,") != std::string::npos);
  CHECK(collapsed.size() < dot.size());
  dot_test::render_svg(dot, "module_clusters");
  dot_test::render_svg(collapsed, "module_clusters_collapsed");
}

namespace {
// y = x * weight, with a weight it is given: two of them can share one (tied weights).
class Scale : public Module {
 public:
  explicit Scale(const Tensor& w) : Module("Scale") { weight = register_parameter("weight", w); }
  Tensor forward(const Tensor& x) override { return x * weight; }
  Tensor weight;
};
}  // namespace

TEST_CASE("a parameter two modules share stays in the cluster of the first that used it",
          "[nn][module][dot]") {
  // Before, every call moved the parameter into the caller's cluster: the second Scale's call
  // drew the shared weight in Sequential.1, and the picture depended on who ran last.
  const Tensor w = kindling::ones({3}).set_requires_grad().set_label("shared");
  auto model = std::make_shared<Sequential>(std::make_shared<Scale>(w), std::make_shared<Scale>(w));
  CHECK(w.scope() == nullptr);  // made outside any forward
  const Tensor x = kindling::tensor({1, 2, 3});
  const Tensor loss = kindling::sum((*model)(x));
  REQUIRE(w.scope());
  CHECK(w.scope()->dotted_name() == "Sequential.0 (Scale)");
  // The second Scale's product is drawn in its own cluster, the weight in the first's.
  REQUIRE(loss.inputs().size() == 1);
  const Tensor second_product = loss.inputs()[0];
  REQUIRE(second_product.scope());
  CHECK(second_product.scope()->dotted_name() == "Sequential.1 (Scale)");
  // Calling the second module alone, or the model again, does not move it either.
  (void)(*model)[1](x);
  (void)(*model)(x);
  CHECK(w.scope()->dotted_name() == "Sequential.0 (Scale)");
  const std::string dot = kindling::to_dot(loss, {}, kindling::tensor_graph_style());
  INFO(dot);
  // The weight's node sits between the first cluster's header and the second's.
  const std::size_t first = dot.find("label=\"Sequential.0 (Scale)\"");
  const std::size_t second = dot.find("label=\"Sequential.1 (Scale)\"");
  const std::size_t weight = dot.find("shared");
  REQUIRE(first != std::string::npos);
  REQUIRE(second != std::string::npos);
  REQUIRE(weight != std::string::npos);
  CHECK(first < weight);
  CHECK(weight < second);
}

TEST_CASE("copy_into and fill_into convert as cast and full do", "[nn][tensor_util]") {
  // copy_ of floats into int64 is PyTorch's .long(): NaN, inf and out-of-range give INT64_MIN.
  const Tensor dst = kindling::zeros({4}, kindling::DType::int64);
  copy_into(dst, kindling::tensor({NAN, 1e30f, -2.7f, 5.5f}));
  const std::int64_t lowest = std::numeric_limits<std::int64_t>::min();
  CHECK(dst.to_vector<std::int64_t>() == std::vector<std::int64_t>{lowest, lowest, -2, 5});
  // fill_ of NaN into int64 is an error, as torch.zeros(2, dtype=torch.long).fill_(nan).
  CHECK_THROWS_WITH(
      fill_into(dst, NAN),
      Catch::Contains("fill_: value nan cannot be converted to int64 without overflow"));
  CHECK(dst.to_vector<std::int64_t>()[3] == 5);  // left as it was
  fill_into(dst, -3.9);
  CHECK(dst.to_vector<std::int64_t>() == std::vector<std::int64_t>{-3, -3, -3, -3});
  const Tensor mask = kindling::zeros({2}, kindling::DType::bool_);
  fill_into(mask, NAN);
  CHECK(mask.to_vector<bool>() == std::vector<bool>{true, true});
}
