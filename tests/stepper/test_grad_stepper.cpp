// The gradient-graph stepper (Note [gradient graph stepper]): stepping a create_graph backward
// gives grad(create_graph)'s gradients bit for bit, each step's text carries the chain rule's
// numbers, the frames draw the gradient graph apart from the forward graph, and differentiating
// the built gradient with a ValueStepper gives the second derivative.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "dot_support.hpp"
#include "kindling/engine/error.hpp"
#include "kindling/engine/value.hpp"
#include "kindling/engine/value_grad.hpp"
#include "kindling/explain/value_stepper.hpp"

using kindling::GradGraphStepper;
using kindling::Value;

namespace {
bool same_bits(double x, double y) {
  return std::memcmp(&x, &y, sizeof x) == 0;
}
std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++n;
  return n;
}
}  // namespace

TEST_CASE("GradGraphStepper: stepping to the end gives grad(create_graph)'s gradients",
          "[stepper][grad]") {
  Value x(0.5, "x"), y(-1.5, "y");
  const Value out = Value((x * y).tanh() + x.pow(3.0) / y).set_label("out");
  const std::vector<Value> reference = kindling::grad(out, {x, y}, true);
  GradGraphStepper stepper(out, {x, y});
  CHECK(stepper.step_count() == 5);  // mul, tanh, pow, div, add
  CHECK_THAT(stepper.state_text(), Catch::StartsWith("[0/5] start: grad out = 1"));
  stepper.run_to_end();
  CHECK_THROWS_AS(stepper.step(), kindling::error);
  const std::vector<Value> gradients = stepper.gradients();
  REQUIRE(gradients.size() == 2);
  for (std::size_t k = 0; k < 2; ++k) {
    CHECK(same_bits(gradients[k].data(), reference[k].data()));
    // The same second derivatives too.
    const std::vector<Value> h = kindling::grad(gradients[k], {x, y});
    const std::vector<Value> h_ref = kindling::grad(reference[k], {x, y});
    CHECK(same_bits(h[0].data(), h_ref[0].data()));
    CHECK(same_bits(h[1].data(), h_ref[1].data()));
  }
  CHECK(x.grad() == 0.0);  // the leaves' grads are untouched
}

TEST_CASE("GradGraphStepper: step texts and frames", "[stepper][grad]") {
  Value a(2.0, "a"), b(-3.0, "b");
  Value out = a * b;
  out.set_label("out");
  GradGraphStepper stepper(out, {a, b});
  const std::string before = stepper.frame_dot();
  // Before any step the gradient graph is the seed alone: one blue node, marked grad out.
  CHECK(count(before, "#bbdefb") == 1);
  CHECK(count(before, "grad out") == 1);
  const auto& step = stepper.step();
  CHECK(step.number == 1);
  CHECK(step.expression == "out = a * b");
  REQUIRE(step.inputs.size() == 2);
  CHECK(step.inputs[0].name == "a");
  CHECK(step.inputs[0].contribution == -3.0);
  CHECK(step.inputs[1].gradient == 2.0);
  CHECK(step.new_nodes == 2);  // b * grad out and a * grad out
  CHECK(step.text() ==
        "[1/1] out = a * b: grad a += b * grad out -> -3.0000 (grad a now -3.0000)\n"
        "      out = a * b: grad b += a * grad out -> 2.0000 (grad b now 2.0000) "
        "[2 new nodes]");
  const std::string after = stepper.frame_dot();
  CHECK(count(after, "#64b5f6") == 2);  // dark blue: made by this step
  CHECK(count(after, "#bbdefb") == 1);  // the seed, from before
  CHECK(count(after, "#ffd54f") == 1);  // amber: the forward node stepped
  CHECK(count(after, "grad a") == 1);
  CHECK(count(after, "grad b") == 1);
  if (dot_test::have_dot()) CHECK_FALSE(dot_test::render_svg(after, "grad_stepper_frame").empty());
}

TEST_CASE("GradGraphStepper: the gradient's own backward gives d2/dx2", "[stepper][grad]") {
  // out = x^3 * y: d/dx = 3x^2 y, d2/dx2 = 6xy = 6 at x = 0.5, y = 2.
  Value x(0.5, "x"), y(2.0, "y");
  const Value out = x.pow(3.0) * y;
  GradGraphStepper builder(out, {x});
  builder.run_to_end();
  const Value gradient = builder.gradients()[0];
  CHECK(gradient.data() == 1.5);
  kindling::ValueStepper second(gradient);
  second.run_to_end();
  CHECK(x.grad() == 6.0);
  CHECK(y.grad() == 0.75);  // d/dy (3x^2 y) = 3x^2
  const kindling::engine::DotStyle<kindling::ValueNode> style =
      kindling::second_order_frame_style(second, out);
  const std::string frame = kindling::engine::to_dot(gradient.node(), {}, style);
  // The gradient graph's nodes are outlined blue; x and y, forward leaves, are not.
  CHECK(count(frame, "color=\"#1e88e5\"") > 0);
  CHECK(count(frame, "color=\"#1e88e5\"") + 2 == count(frame, "fillcolor="));
}

TEST_CASE("to_dot of several roots draws each node once", "[stepper][dot]") {
  Value x(1.0, "x");
  const Value a = x * 2.0;
  const Value b = a + x;
  kindling::ValueNode* roots[] = {a.node(), b.node(), a.node()};
  const std::string both = kindling::engine::to_dot(std::span<kindling::ValueNode* const>(roots));
  CHECK(both == kindling::to_dot(b));  // a is part of b's graph: the same drawing
  const Value c = x.exp();
  kindling::ValueNode* apart[] = {b.node(), c.node()};
  const std::string text = kindling::engine::to_dot(std::span<kindling::ValueNode* const>(apart));
  CHECK(count(text, "{ x |") == 1);         // x once, shared by both graphs
  CHECK(count(text, "shape=record") == 5);  // x, 2, a, b, c
}
