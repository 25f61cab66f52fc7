// The backward stepper: stepping to the end gives backward()'s gradients bit for bit on many graph
// shapes, the step texts carry the chain rule's numbers, and the DOT frames mark the state and
// render with Graphviz.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "dot_support.hpp"
#include "kindling/engine/error.hpp"
#include "kindling/engine/grad_mode.hpp"
#include "kindling/engine/graph.hpp"
#include "kindling/engine/value.hpp"
#include "kindling/explain/stepper.hpp"
#include "kindling/explain/value_stepper.hpp"

using kindling::Value;
using kindling::ValueStepper;

namespace {

// Builds one graph; called twice so that backward() and the stepper each get a fresh copy.
using GraphBuilder = std::function<Value()>;

struct NamedGraph {
  const char* name;
  GraphBuilder build;
};

std::vector<NamedGraph> graphs() {
  return {
      {"diamond",
       [] {
         Value x(0.7, "x");
         Value y = x * 3.0;
         Value z = x + 1.0;
         return (y * z).tanh();
       }},
      {"reuse: b = a + a, c = b + b",
       [] {
         Value a(1.5, "a");
         Value b = a + a;
         return b + b;
       }},
      {"square by reuse: a * a",
       [] {
         Value a(-1.25, "a");
         return a * a;
       }},
      {"neuron",
       [] {
         Value x1(2.0, "x1"), x2(0.0, "x2"), w1(-3.0, "w1"), w2(1.0, "w2");
         Value b(6.8813735870195432, "b");
         return (x1 * w1 + x2 * w2 + b).tanh();
       }},
      {"every op",
       [] {
         Value a(0.8, "a"), b(-1.7, "b");
         Value c = (a / b - a).pow(3.0) + (-b).exp() * (a * 2.0).log();
         return c.sigmoid() + (b * a).relu() + (a - b).relu() + c.tanh();
       }},
      {"two diamonds sharing a node",
       [] {
         Value x(0.3, "x"), y(-0.4, "y");
         Value s = x * y;
         Value t = s + x;
         Value u = s * y;
         Value v = t * u + s;
         return v * v + t;
       }},
      {"small MLP",
       [] {
         // 3 inputs, 4 tanh units, 1 output: enough nodes that order mistakes would show.
         std::vector<Value> inputs = {Value(0.5, "i0"), Value(-1.0, "i1"), Value(2.0, "i2")};
         Value out(0.0);
         for (int h = 0; h < 4; ++h) {
           Value unit(0.1 * h);
           for (int i = 0; i < 3; ++i)
             unit = unit + inputs[static_cast<std::size_t>(i)] * Value(0.3 * (h - i) + 0.05);
           out = out + unit.tanh() * Value(0.25 * (h + 1));
         }
         return (out - 1.0).pow(2.0);
       }},
  };
}

// "n<i>", the DOT id and generated name of node i (appended: GCC 12 warns falsely on "n" + string).
std::string node_id(std::size_t i) {
  return std::string("n").append(std::to_string(i));
}

// Every node's grad, in topological order (the same order for two copies of one graph).
std::vector<double> all_grads(const Value& root) {
  std::vector<double> grads;
  for (kindling::ValueNode* node : kindling::engine::topological_order(root.node()))
    grads.push_back(node->grad);
  return grads;
}

// The frame's DOT line of node id `id` (e.g. "n3 [shape=record ...").
std::string node_line(const std::string& dot, std::size_t id) {
  const std::string start = "  n" + std::to_string(id) + " [";
  const std::size_t at = dot.find(start);
  REQUIRE(at != std::string::npos);
  return dot.substr(at, dot.find('\n', at) - at);
}

}  // namespace

TEST_CASE("stepping to the end gives exactly the gradients of backward()", "[stepper]") {
  for (const NamedGraph& graph : graphs()) {
    SECTION(graph.name) {
      Value by_backward = graph.build();
      by_backward.backward();
      Value by_steps = graph.build();
      ValueStepper stepper(by_steps);
      std::size_t steps = 0;
      while (!stepper.done()) {
        stepper.step();
        ++steps;
      }
      CHECK(steps == stepper.step_count());
      const std::vector<double> expected = all_grads(by_backward);
      const std::vector<double> got = all_grads(by_steps);
      REQUIRE(got.size() == expected.size());
      for (std::size_t i = 0; i < got.size(); ++i) {
        INFO("node " << i);
        CHECK(got[i] == expected[i]);  // bit for bit: the same steps in the same order
      }
    }
  }
}

TEST_CASE("one step per node with parents, from the root down", "[stepper]") {
  Value x(0.7, "x");
  Value y = x * 3.0;
  Value z = x + 1.0;
  Value out = (y * z).tanh();
  ValueStepper stepper(out);
  const auto order = kindling::engine::topological_order(out.node());
  std::size_t interior = 0;
  for (auto* node : order)
    interior += node->parents().empty() ? 0 : 1;
  CHECK(stepper.step_count() == interior);
  CHECK(stepper.position() == 0);
  CHECK_FALSE(stepper.current().has_value());
  CHECK(stepper.done_nodes().empty());
  CHECK(out.grad() == 1.0);  // seeded at construction

  const kindling::BackwardStep& first = stepper.step();
  CHECK(first.number == 1);
  CHECK(first.node.same_node(out));
  REQUIRE(stepper.current().has_value());
  CHECK(stepper.current()->same_node(out));
  stepper.step();
  const std::vector<Value> done = stepper.done_nodes();
  REQUIRE(done.size() == 2);
  CHECK(done[0].same_node(out));
  CHECK(done[1].same_node(out.inputs()[0]));  // y * z, the input of tanh
  stepper.run_to_end();
  CHECK(stepper.done());
  CHECK_THROWS_AS(stepper.step(), kindling::error);
  CHECK_THROWS_AS(stepper.engine_stepper().index_of(Value(1.0).node()), kindling::error);
}

TEST_CASE("a gradient is final only once every user of the node has stepped", "[stepper]") {
  Value x(0.7, "x");
  Value y = x * 3.0;
  Value z = x + 1.0;
  Value w = y * z;
  ValueStepper stepper(w);
  const auto& engine = stepper.engine_stepper();
  CHECK(engine.is_grad_final(w.node()));
  CHECK_FALSE(engine.is_grad_final(x.node()));
  stepper.step();  // w = y * z
  CHECK(engine.is_done(w.node()));
  CHECK(engine.is_grad_final(y.node()));
  CHECK(engine.is_grad_final(z.node()));
  stepper.step();                               // the first of y, z
  CHECK_FALSE(engine.is_grad_final(x.node()));  // x has one share of two
  const double partial = x.grad();
  stepper.step();
  CHECK(engine.is_grad_final(x.node()));
  CHECK(x.grad() != partial);
  CHECK_FALSE(engine.is_done(x.node()));  // a leaf never steps
}

TEST_CASE("reset goes back to the state right after construction", "[stepper]") {
  Value a(0.5, "a"), b(-2.0, "b");
  Value out = (a * b + a).tanh();
  a.set_grad(10.0);  // a gradient held from before: the pass adds onto it, as backward() would
  ValueStepper stepper(out);
  stepper.step();
  stepper.step();
  stepper.reset();
  CHECK(stepper.position() == 0);
  CHECK(stepper.last_step() == nullptr);
  CHECK(a.grad() == 10.0);
  CHECK(b.grad() == 0.0);
  CHECK(out.grad() == 1.0);
  stepper.run_to_end();

  Value a2(0.5, "a"), b2(-2.0, "b");
  Value out2 = (a2 * b2 + a2).tanh();
  a2.set_grad(10.0);
  out2.backward();
  CHECK(a.grad() == a2.grad());
  CHECK(b.grad() == b2.grad());
}

TEST_CASE("a second pass accumulates into the leaves as a second backward() does", "[stepper]") {
  Value a(0.5, "a");
  Value out = (a * a).exp();
  out.backward();
  ValueStepper(out).run_to_end();
  Value a2(0.5, "a");
  Value out2 = (a2 * a2).exp();
  out2.backward();
  out2.backward();
  CHECK(a.grad() == a2.grad());
}

TEST_CASE("the start text says when leaves hold gradients from an earlier backward", "[stepper]") {
  // 0.5 * a * a: the constant 0.5 is a leaf too, and backward() gives it a gradient (a^2).
  Value a(3.0, "a");
  Value out = Value(0.5, "half") * a * a;
  out.set_label("out");
  out.backward();
  CHECK(a.grad() == 3.0);
  const std::string warned = ValueStepper(out).state_text();
  CHECK(warned ==
        "[0/2] start: out.grad = 1.0000 (the seed, dout/dout); interior grads cleared, 2 steps to "
        "go\n"
        "      2 leaves already hold gradients from an earlier backward, and this pass adds to it; "
        "zero_grads(out) starts from 0");
  kindling::zero_grads(out);
  CHECK(a.grad() == 0.0);
  CHECK(out.inputs()[0].inputs()[0].grad() == 0.0);  // the constant half
  ValueStepper fresh(out);
  CHECK(fresh.state_text().find("already hold") == std::string::npos);
  fresh.run_to_end();
  CHECK(a.grad() == 3.0);  // d(0.5 a^2)/da = a, once: not doubled
}

TEST_CASE("the stepper keeps its graph alive", "[stepper]") {
  auto make = [] {
    Value a(3.0, "a");
    return ValueStepper((a * a).log());
  };
  ValueStepper stepper = make();  // no handle to the graph left outside the stepper
  stepper.run_to_end();
  CHECK(stepper.root().data() == Approx(std::log(9.0)));
}

TEST_CASE("a step's text shows the chain rule with its numbers", "[stepper][text]") {
  SECTION("the issue's example, c = a * b") {
    Value a(2.0, "a"), b(-3.0, "b");
    Value c = a * b;
    c.set_label("c");
    ValueStepper stepper(c);
    const kindling::BackwardStep& step = stepper.step();
    CHECK(step.text() ==
          "[1/1] c = a * b: a.grad += b * c.grad = (-3.0000) * 1.0000 -> -3.0000\n"
          "      c = a * b: b.grad += a * c.grad = 2.0000 * 1.0000 -> 2.0000");
    REQUIRE(step.contributions.size() == 2);
    CHECK(step.contributions[0].local_derivative == -3.0);
    CHECK(step.contributions[1].local_derivative == 2.0);
    CHECK(step.contributions[0].grad_after == a.grad());
    CHECK(step.contributions[1].grad_after == b.grad());
  }
  SECTION("the neuron: tanh's local derivative 1 - o^2 = 0.5") {
    Value x1(2.0, "x1"), x2(0.0, "x2"), w1(-3.0, "w1"), w2(1.0, "w2");
    Value b(6.8813735870195432, "b");
    // The products on separate lines: the two operands of one + may be evaluated in either order
    // in C++, and backward steps the nodes in reverse creation order (Note [creation order]).
    Value x1w1 = x1 * w1;
    Value x2w2 = x2 * w2;
    Value n = x1w1 + x2w2 + b;
    n.set_label("n");
    Value o = n.tanh();
    o.set_label("o");
    ValueStepper stepper(o);
    CHECK(stepper.state_text() ==
          "[0/5] start: o.grad = 1.0000 (the seed, do/do); interior grads cleared, 5 steps to go");
    const kindling::BackwardStep& tanh_step = stepper.step();
    const double o_value = std::tanh(6.8813735870195432 - 6.0);
    CHECK(tanh_step.contributions[0].local_derivative == Approx(1.0 - o_value * o_value));
    CHECK(tanh_step.text() ==
          "[1/5] o = tanh(n): n.grad += (1 - o^2) * o.grad = 0.5000 * 1.0000 -> 0.5000");
    CHECK(stepper.state_text() == tanh_step.text());
    stepper.run_to_end();
    // The last step is x1 * w1 (built first, so reached last): x1.grad = w1 * 0.5.
    const kindling::BackwardStep* last = stepper.last_step();
    REQUIRE(last != nullptr);
    CHECK(last->text().find("x1.grad += w1 * ") != std::string::npos);
    CHECK(last->text().find("= (-3.0000) * 0.5000 -> -1.5000") != std::string::npos);
    CHECK(x1.grad() == Approx(-1.5));
  }
  SECTION("an input used twice shows the gradient it ends with") {
    Value a(1.5, "a");
    Value b = a + a;
    b.set_label("b");
    ValueStepper stepper(b);
    const kindling::BackwardStep& step = stepper.step();
    CHECK(step.text() ==
          "[1/1] b = a + a: a.grad += 1 * b.grad = 1.0000 * 1.0000 -> 1.0000\n"
          "      b = a + a: a.grad += 1 * b.grad = 1.0000 * 1.0000 -> 1.0000 (a.grad now 2.0000)");
    CHECK(step.contributions[0].grad_before == 0.0);
    CHECK(step.contributions[1].grad_before == 1.0);
    CHECK(step.contributions[1].grad_after == a.grad());
  }
  SECTION("formulas of pow, div, sub, with the graph's names") {
    Value a(2.0, "a"), b(4.0, "b");
    Value p = a.pow(3.0);
    p.set_label("p");
    CHECK(ValueStepper(p).step().text() ==
          "[1/1] p = a^3: a.grad += 3 * a^(3-1) * p.grad = 12.0000 * 1.0000 -> 12.0000");
    a.zero_grad();  // each case starts from a clean a.grad, so no "(a.grad now ...)"
    Value r = a.pow(-1.0);
    r.set_label("r");
    CHECK(ValueStepper(r).step().text() ==
          "[1/1] r = a^(-1): a.grad += (-1) * a^((-1)-1) * r.grad = (-0.2500) * 1.0000 -> -0.2500");
    a.zero_grad();
    Value q = a / b;
    q.set_label("q");
    ValueStepper div(q);
    CHECK(div.step().text() ==
          "[1/1] q = a / b: a.grad += 1 / b * q.grad = 0.2500 * 1.0000 -> 0.2500\n"
          "      q = a / b: b.grad += -a / b^2 * q.grad = (-0.1250) * 1.0000 -> -0.1250");
  }
  SECTION("unlabeled nodes get generated names") {
    Value a(2.0, "a"), b(4.0, "b");
    Value s = (a - b) * 2.0;
    ValueStepper sub(s);
    sub.step();
    const std::string d = sub.name(s.inputs()[0]);
    CHECK(d == node_id(sub.engine_stepper().index_of(s.inputs()[0].node())));
    CHECK(sub.step().text() == "[2/2] " + d + " = a - b: a.grad += 1 * " + d +
                                   ".grad = 1.0000 * 2.0000 -> 2.0000\n      " + d +
                                   " = a - b: b.grad += -1 * " + d +
                                   ".grad = (-1.0000) * 2.0000 -> -2.0000");
  }
}

TEST_CASE("generated names are the DOT ids of the frames", "[stepper][dot]") {
  Value x(0.5, "x");
  Value out = (x * 2.0 + 1.0).relu();
  ValueStepper stepper(out);
  const std::string dot = stepper.frame_dot();
  const auto order = stepper.engine_stepper().order();
  for (std::size_t i = 0; i < order.size(); ++i) {
    const std::string name = stepper.name(order[i]);
    const std::string line = node_line(dot, i);
    if (!order[i]->label_text().empty()) {
      CHECK(name == order[i]->label_text());
      CHECK(line.find("xlabel") == std::string::npos);
    } else {
      CHECK(name == node_id(i));
      CHECK(line.find("xlabel=\"" + name + "\"") != std::string::npos);
    }
  }
}

TEST_CASE("frames highlight the step, shade done nodes and show known gradients",
          "[stepper][dot]") {
  Value x(0.7, "x");
  Value y = x * 3.0;
  Value z = x + 1.0;
  Value out = (y * z).tanh();
  out.set_label("out");
  ValueStepper stepper(out);
  const auto& engine = stepper.engine_stepper();
  const std::size_t out_id = engine.index_of(out.node());
  const std::size_t x_id = engine.index_of(x.node());
  const std::size_t w_id = engine.index_of(out.inputs()[0].node());

  std::string dot = stepper.frame_dot();
  CHECK(dot.find("#ffd54f") == std::string::npos);  // nothing processed yet
  CHECK(node_line(dot, out_id).find("grad\\ 1.0000") != std::string::npos);
  CHECK(node_line(dot, x_id).find("dashed") != std::string::npos);
  CHECK(dot.find("+= ") == std::string::npos);
  dot_test::render_svg(dot, "frame_0");

  stepper.step();
  dot = stepper.frame_dot();
  CHECK(node_line(dot, out_id).find("#ffd54f") != std::string::npos);
  // The tanh step added 1 - tanh(w)^2 to w's grad, shown in w's record and on the edge.
  const double w = out.inputs()[0].data();
  char added[32];
  std::snprintf(added, sizeof added, "%.4f", 1.0 - std::tanh(w) * std::tanh(w));
  CHECK(node_line(dot, w_id).find(std::string("grad\\ ") + added) != std::string::npos);
  CHECK(dot.find(node_id(w_id) + " -> n" + std::to_string(out_id) + "_op [label=\"+= " + added) !=
        std::string::npos);
  dot_test::render_svg(dot, "frame_1");

  stepper.step();
  dot = stepper.frame_dot();
  CHECK(node_line(dot, out_id).find("#d9d9d9") != std::string::npos);  // done: grey
  CHECK(node_line(dot, w_id).find("#ffd54f") != std::string::npos);    // the step shown
  // The generic frame (any DotNode type) carries the same colours, without the scalar extras.
  const std::string generic = kindling::engine::frame_dot(engine);
  CHECK(node_line(generic, w_id).find("#ffd54f") != std::string::npos);
  CHECK(generic.find("xlabel") == std::string::npos);
  stepper.run_to_end();
  dot = stepper.frame_dot();
  CHECK(node_line(dot, x_id).find("dashed") == std::string::npos);
  CHECK(node_line(dot, x_id).find("#c8e6c9") != std::string::npos);
  const std::string svg = dot_test::render_svg(dot, "frame_end");
  if (!svg.empty()) {
    CHECK(svg.find("<svg") != std::string::npos);
    CHECK(svg.find(node_id(w_id)) != std::string::npos);  // the xlabel
  }
}

// A node type that is not Value: the stepper and backward() agree on it too (the core is generic).
namespace {
struct ToyNode : kindling::engine::NodeBase {
  std::vector<ToyNode*> inputs;
  double weight = 1.0;  // this node = weight * sum(inputs)
  double grad = 0.0;
  std::uint64_t created = 0;  // the creation order backward walks (Note [creation order])
  std::span<ToyNode* const> parents() const noexcept { return inputs; }
  std::uint64_t sequence() const noexcept { return created; }
  void backward_step() {
    for (ToyNode* input : inputs)
      input->grad += weight * grad;
  }
  void seed_grad() noexcept { grad += 1.0; }
  void clear_grad() noexcept { grad = 0.0; }
  static void destroy(ToyNode* node) noexcept { delete node; }
};

ToyNode* toy(std::vector<ToyNode*> inputs, double weight) {
  auto* node = new ToyNode;
  node->inputs = std::move(inputs);
  node->weight = weight;
  node->created = kindling::engine::next_creation_sequence();
  for (ToyNode* input : node->inputs)
    kindling::engine::retain(input);
  return node;
}
}  // namespace

TEST_CASE("the stepper is generic over the node type", "[stepper]") {
  auto build = [] {
    ToyNode* leaf = toy({}, 1.0);
    ToyNode* left = toy({leaf}, 2.0);
    ToyNode* right = toy({leaf, left}, -3.0);
    return kindling::engine::NodeRef<ToyNode>(toy({left, right, right}, 0.5));
  };
  auto by_backward = build();
  kindling::engine::backward(by_backward.get());
  auto by_steps = build();
  kindling::engine::BackwardStepper<ToyNode> stepper(by_steps.get());
  CHECK(stepper.step_count() == 3);
  stepper.run_to_end();
  const auto expected = kindling::engine::topological_order(by_backward.get());
  const auto got = kindling::engine::topological_order(by_steps.get());
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < got.size(); ++i)
    CHECK(got[i]->grad == expected[i]->grad);
  CHECK(got.front()->grad == 0.5 * (2.0 + 2.0 * -3.0 * 2.0 + -3.0 * 2.0));  // d/d leaf by hand
}

TEST_CASE("a deep chain steps without recursion", "[stepper]") {
  Value x(0.5, "x");
  Value y = x;
  for (int i = 0; i < 200000; ++i)
    y = y * 1.0;
  ValueStepper stepper(y);
  CHECK(stepper.step_count() == 200000);
  stepper.run_to_end();
  CHECK(x.grad() == 1.0);
}

TEST_CASE("a step that fails in anomaly mode does not advance the stepper", "[stepper]") {
  Value x(0.0, "x");
  Value root = x.pow(0.5) * 2.0;  // forward is finite (0), d/dx = 0.5 * 0^-0.5 is not
  kindling::detect_anomaly guard;
  ValueStepper stepper(root);
  stepper.step();  // root = n * 2: finite
  CHECK_THROWS_AS(stepper.step(), kindling::error);
  CHECK(stepper.position() == 1);
  CHECK_FALSE(stepper.done());
}
