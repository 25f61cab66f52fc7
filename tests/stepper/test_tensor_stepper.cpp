// The backward stepper on tensor graphs: the same gradients as Tensor::backward(), step texts with
// shapes, formulas and norms, and frames that Graphviz renders.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "dot_support.hpp"
#include "kindling/explain/tensor_graph_style.hpp"
#include "kindling/explain/tensor_stepper.hpp"
#include "kindling/tensor.hpp"

using kindling::Tensor;

namespace {

struct Layer {
  Tensor w, b, loss;
};

// A tiny layer: loss = sum(relu(x @ w + b)^2), b broadcast over the rows through an expand.
Layer build_layer() {
  Tensor x =
      kindling::tensor({0.5, -1.0, 2.0, 1.5, 0.25, -0.5, -2.0, 1.0, 0.75, 0.1, 0.2, 0.3}, {4, 3});
  x.set_label("x");
  Tensor w = kindling::tensor({0.3, -0.2, 0.8, 0.5, -0.6, 0.1}, {3, 2}).set_requires_grad();
  w.set_label("w");
  Tensor b = kindling::tensor({0.1, -0.2}, {2}).set_requires_grad();
  b.set_label("b");
  Tensor h = kindling::relu(kindling::matmul(x, w) + b);
  Tensor loss = kindling::sum(h * h);
  loss.set_label("loss");
  return {w, b, loss};
}

}  // namespace

TEST_CASE("tensor stepper: stepping to the end gives backward()'s gradients", "[stepper][tensor]") {
  Layer by_backward = build_layer();
  by_backward.loss.backward();
  Layer by_steps = build_layer();
  kindling::TensorStepper stepper(by_steps.loss);
  std::size_t steps = 0;
  while (!stepper.done()) {
    stepper.step();
    ++steps;
  }
  CHECK(steps == stepper.step_count());
  CHECK(by_steps.w.grad().to_vector<float>() == by_backward.w.grad().to_vector<float>());
  CHECK(by_steps.b.grad().to_vector<float>() == by_backward.b.grad().to_vector<float>());
  CHECK(by_steps.b.grad().shape() == kindling::Shape{2});

  stepper.reset();
  CHECK_FALSE(by_steps.w.grad().defined());
  CHECK_THROWS_AS(kindling::TensorStepper(by_steps.w), kindling::error);  // (3,2): not one element
  stepper.run_to_end();
  CHECK(by_steps.w.grad().to_vector<float>() == by_backward.w.grad().to_vector<float>());
}

TEST_CASE("tensor stepper: texts with shapes, formulas and norms", "[stepper][tensor]") {
  Layer layer = build_layer();
  kindling::TensorStepper stepper(layer.loss);
  CHECK(stepper.state_text().find("loss.grad = ones()") != std::string::npos);
  const kindling::TensorBackwardStep& first = stepper.step();  // loss = sum(h * h)
  CHECK(first.expression.rfind("loss = sum(", 0) == 0);
  CHECK(first.upstream_norm == 1.0);
  std::string matmul_text;
  while (!stepper.done()) {
    const kindling::TensorBackwardStep& step = stepper.step();
    if (step.expression.find("matmul(x, w)") != std::string::npos) {
      matmul_text = step.text();
      REQUIRE(step.contributions.size() == 2);
      const auto& to_w = step.contributions[1];
      CHECK(to_w.formula == "x^T @ " + step.name + ".grad");
      // w had no grad before: what was added is all of it.
      CHECK(to_w.added_norm == Approx(kindling::TensorStepper::norm(layer.w.grad())));
      CHECK(to_w.added_norm > 0.0);
    }
    if (step.expression.find("mul(") == 0 || step.expression.find(" = mul(") != std::string::npos) {
      REQUIRE(step.contributions.size() == 2);
      CHECK(step.contributions[1].repeated);  // h * h: one input, two shares
    }
  }
  INFO(matmul_text);
  CHECK(matmul_text.find("(4,2) float32") != std::string::npos);
  CHECK(matmul_text.find("w.grad += x^T @ ") != std::string::npos);
  CHECK(matmul_text.find("(3,2)  |added| = ") != std::string::npos);
  CHECK(matmul_text.find("added tensor([[") != std::string::npos);  // small: printed in full
  CHECK(matmul_text.find("x.grad += ") != std::string::npos);
  CHECK(matmul_text.find("x does not require grad") != std::string::npos);
}

TEST_CASE("tensor stepper: frames render with Graphviz", "[stepper][tensor][dot]") {
  Layer layer = build_layer();
  kindling::TensorStepper stepper(layer.loss);
  for (std::size_t frame = 0;; ++frame) {
    const std::string dot = stepper.frame_dot();
    CHECK(dot.find("xlabel=\"|grad| 1.0000\"") != std::string::npos);  // the labelled root
    if (frame > 0) CHECK(dot.find("#ffd54f") != std::string::npos);
    dot_test::render_svg(dot, "tensor_frame_" + std::to_string(frame));
    if (stepper.done()) break;
    stepper.step();
  }
}

TEST_CASE("tensor stepper with create_graph: the gradients are graphs, differentiated again",
          "[stepper][tensor][create_graph]") {
  // loss = sum(w * x^3): d loss/dx = 3 w x^2, d2 loss/dx2 = 6 w x (diagonal), d2 loss/dx dw = 3x^2.
  const std::vector<double> xs = {0.5, -1.25, 2.0}, ws = {1.5, -0.5, 0.25};
  auto build = [&] {
    Tensor x = kindling::from_vector(xs, {3}).set_requires_grad();
    x.set_label("x");
    Tensor w = kindling::from_vector(ws, {3}).set_requires_grad();
    w.set_label("w");
    Tensor loss = kindling::sum(w * kindling::pow(x, 3.0));
    loss.set_label("loss");
    return std::vector<Tensor>{x, w, loss};
  };
  const std::vector<Tensor> by_backward = build();
  by_backward[2].backward(Tensor(), std::nullopt, /*create_graph=*/true);

  const std::vector<Tensor> stepped = build();
  const Tensor& x = stepped[0];
  const Tensor& w = stepped[1];
  {
    kindling::TensorStepper stepper(stepped[2], /*create_graph=*/true);
    CHECK(stepper.creates_graph());
    CHECK(stepper.state_text().find("recording the gradient graph") != std::string::npos);
    std::size_t frame = 0;
    while (!stepper.done()) {
      stepper.step();
      dot_test::render_svg(stepper.frame_dot(),
                           "tensor_create_graph_frame_" + std::to_string(frame++));
    }
    const std::string last = stepper.frame_dot();
    CHECK(last.find("#bbdefb") != std::string::npos);  // the gradient graph, blue
    CHECK(last.find("grad x") != std::string::npos);   // x's gradient marked as x's
    CHECK(last.find("grad w") != std::string::npos);
    CHECK(last.find("#ffd54f") != std::string::npos);  // the last step still highlighted
  }
  // The same gradients as backward(create_graph = true), bit for bit, and they are graphs.
  REQUIRE(x.grad().requires_grad());
  REQUIRE(w.grad().requires_grad());
  CHECK(x.grad().to_vector<double>() == by_backward[0].grad().to_vector<double>());
  CHECK(w.grad().to_vector<double>() == by_backward[1].grad().to_vector<double>());
  for (std::size_t i = 0; i < xs.size(); ++i)
    CHECK(x.grad().to_vector<double>()[i] == Approx(3 * ws[i] * xs[i] * xs[i]));

  // Differentiated again: d/dx sum(dloss/dx) = 6 w x, d/dw sum(dloss/dx) = 3 x^2.
  const std::vector<Tensor> second = kindling::grad({kindling::sum(x.grad())}, {x, w});
  for (std::size_t i = 0; i < xs.size(); ++i) {
    CHECK(second[0].to_vector<double>()[i] == Approx(6 * ws[i] * xs[i]));
    CHECK(second[1].to_vector<double>()[i] == Approx(3 * xs[i] * xs[i]));
  }
  // A leaf's graph gradient refers back to the leaf (3 w x^2 holds x), as after torch's
  // backward(create_graph=True): dropping it ends the cycle.
  const std::vector<double> dx = by_backward[0].grad().to_vector<double>();
  for (const Tensor& leaf : {x, w, by_backward[0], by_backward[1]})
    leaf.zero_grad();
  // The first-order stepper records nothing: its gradients are plain values.
  const std::vector<Tensor> plain = build();
  kindling::TensorStepper(plain[2]).run_to_end();
  CHECK_FALSE(plain[0].grad().requires_grad());
  CHECK(plain[0].grad().to_vector<double>() == dx);
}

TEST_CASE("tensor graph style: parameters, inputs and broadcasts", "[tensor][dot]") {
  using Axes = std::vector<std::int64_t>;
  CHECK(kindling::broadcast_axes({64, 1}, {64, 10}) == Axes{1});
  CHECK(kindling::broadcast_axes({3}, {2, 4, 3}) == Axes{0, 1});
  CHECK(kindling::broadcast_axes({2, 1, 3}, {2, 5, 3}) == Axes{1});
  CHECK(kindling::broadcast_axes({4}, {4}).empty());

  Layer layer = build_layer();
  const std::string dot = kindling::to_dot(layer.loss, {}, kindling::tensor_graph_style());
  INFO(dot);
  CHECK(dot.find("(2) -> (4,2), backward sums axis 0") != std::string::npos);
  const std::size_t w_at = dot.find("{ w |");
  REQUIRE(w_at != std::string::npos);
  CHECK(dot.substr(w_at, dot.find('\n', w_at) - w_at).find("#bbdefb") != std::string::npos);
  const std::size_t x_at = dot.find("{ x |");
  REQUIRE(x_at != std::string::npos);
  CHECK(dot.substr(x_at, dot.find('\n', x_at) - x_at).find("#eeeeee") != std::string::npos);
  dot_test::render_svg(dot, "tensor_graph_style");
}

TEST_CASE("tensor graphs: tensors without a label drawn under the names given", "[tensor][dot]") {
  kindling::Generator generator(2);
  const Tensor weight = kindling::randn({2, 3}, generator).set_requires_grad();
  const Tensor bias = kindling::randn({2}, generator).set_requires_grad().set_label("b");
  const Tensor x = kindling::ones({4, 3});
  const Tensor loss = kindling::sum(kindling::matmul(x, kindling::transpose(weight, 0, 1)) + bias);
  const std::string dot = kindling::to_dot(
      loss, {}, kindling::tensor_graph_style({.names = {{"0.weight", weight}, {"0.bias", bias}}}));
  INFO(dot);
  const std::size_t weight_at = dot.find("{ 0.weight |");
  REQUIRE(weight_at != std::string::npos);
  CHECK(dot.substr(weight_at, dot.find('\n', weight_at) - weight_at).find("#bbdefb") !=
        std::string::npos);
  // A tensor's own label wins over a name given for it.
  CHECK(dot.find("{ b |") != std::string::npos);
  CHECK(dot.find("0.bias") == std::string::npos);
  // Without names the parameter is drawn without a name, as before.
  CHECK(kindling::to_dot(loss, {}, kindling::tensor_graph_style()).find("0.weight") ==
        std::string::npos);
}

TEST_CASE("a graph with no recorded history says why it has one node", "[tensor][dot]") {
  const Tensor w = kindling::ones({2}).set_requires_grad();
  Tensor y;
  {
    const kindling::no_grad guard;
    y = kindling::sum(w * 2.0);
  }
  const std::string caption = "one node: it has no recorded history";
  CHECK(kindling::to_dot(y).find(caption) != std::string::npos);
  CHECK(kindling::to_dot(kindling::sum(w * 2.0)).find(caption) == std::string::npos);
  dot_test::render_svg(kindling::to_dot(y), "no_history");
}

TEST_CASE("tensor graphs: modules as clusters, collapsible", "[tensor][dot][cluster]") {
  using kindling::engine::NameScope;
  kindling::Generator generator(4);
  kindling::Tensor x = kindling::randn({8, 3}, generator).set_label("x");
  kindling::Tensor w1 = kindling::randn({3, 5}, generator).set_requires_grad().set_label("w1");
  kindling::Tensor w2 = kindling::randn({5, 2}, generator).set_requires_grad().set_label("w2");
  kindling::Tensor loss;
  {
    NameScope model("MLP");
    kindling::Tensor hidden;
    {
      NameScope layer("fc1");
      hidden = kindling::relu(kindling::matmul(x, w1));
    }
    NameScope layer("fc2");
    loss = kindling::matmul(hidden, w2);
  }
  loss = kindling::sum(loss);  // outside every module
  REQUIRE(loss.scope() == nullptr);
  const std::string dot = kindling::to_dot(loss, {}, kindling::tensor_graph_style());
  INFO(dot);
  CHECK(dot.find("label=\"MLP\"") != std::string::npos);
  CHECK(dot.find("label=\"MLP.fc1\"") != std::string::npos);
  CHECK(dot.find("label=\"MLP.fc2\"") != std::string::npos);
  dot_test::render_svg(dot, "tensor_clusters");

  const std::string collapsed =
      kindling::to_dot(loss, {}, kindling::tensor_graph_style({"MLP.fc1"}));
  INFO(collapsed);
  CHECK(collapsed.find("MLP.fc1\\n(collapsed, 2 nodes)") != std::string::npos);  // matmul, relu
  CHECK(collapsed.find("label=\"MLP.fc2\"") != std::string::npos);
  dot_test::render_svg(collapsed, "tensor_clusters_collapsed");
}
