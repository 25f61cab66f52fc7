// Value::backward(gradient, retain_graph, create_graph), PyTorch's signature (engine/value.hpp,
// Note [backward with create_graph] in engine/src/value.cpp): the seed, leaf gradients that are
// graph nodes and their second derivatives against central differences, accumulation, released
// graphs and their errors, hooks, and the gradient-graph cycle that zero_grad() breaks.
#include <catch2/catch.hpp>

#include <cmath>
#include <optional>
#include <vector>

#include "kindling/engine/error.hpp"
#include "kindling/engine/grad_mode.hpp"
#include "kindling/engine/value.hpp"
#include "kindling/engine/value_grad.hpp"

using kindling::Value;
using kindling::ValueOp;

namespace {

// f(x, y) = x^3 y + exp(x y) tanh(x), a program with every kind of second derivative.
Value f(const Value& x, const Value& y) {
  return x.pow(3.0) * y + (x * y).exp() * x.tanh();
}

// df/dx or df/dy at (x, y) by a plain backward() on fresh leaves.
double first(double x, double y, int by) {
  const Value a(x), b(y);
  f(a, b).backward();
  return by == 0 ? a.grad() : b.grad();
}

}  // namespace

TEST_CASE("backward(gradient): the seed scales every gradient", "[value][backward]") {
  const Value x(0.7, "x");
  const Value y = x.pow(3.0);
  y.backward(2.5, /*retain_graph=*/true);
  CHECK(x.grad() == Approx(2.5 * 3 * 0.7 * 0.7).epsilon(1e-15));
  CHECK(y.grad() == 2.5);  // the root holds its seed, as backward() leaves its 1
  y.backward(Value(1.0), /*retain_graph=*/true);
  CHECK(x.grad() == Approx(3.5 * 3 * 0.7 * 0.7).epsilon(1e-15));  // leaves accumulate
  CHECK(x.grad_value().op() == ValueOp::leaf);  // no create_graph: a number, as a constant
  CHECK(x.grad_value().data() == x.grad());
  // A leaf root gets its seed.
  const Value z(1.0);
  z.backward(4.0);
  CHECK(z.grad() == 4.0);
}

TEST_CASE("backward(create_graph = true): second derivatives against central differences",
          "[value][backward]") {
  for (const auto& [xv, yv] :
       std::vector<std::pair<double, double>>{{0.5, -1.5}, {-0.8, 0.3}, {1.2, 0.9}}) {
    INFO("at x = " << xv << ", y = " << yv);
    const Value x(xv, "x"), y(yv, "y");
    f(x, y).backward(std::nullopt, std::nullopt, /*create_graph=*/true);
    const Value gx = x.grad_value(), gy = y.grad_value();
    CHECK(gx.op() != ValueOp::leaf);  // graph nodes, differentiable again
    CHECK(gx.data() == x.grad());
    CHECK(x.grad() ==
          first(xv, yv, 0));  // the same bits as backward()'s (Note [scalar create_graph])
    CHECK(y.grad() == first(xv, yv, 1));
    const double h = 1e-5;
    for (int i = 0; i < 2; ++i) {
      const Value g = i == 0 ? gx : gy;
      const std::vector<Value> second = kindling::grad(g, {x, y});
      const double fd_x = (first(xv + h, yv, i) - first(xv - h, yv, i)) / (2 * h);
      const double fd_y = (first(xv, yv + h, i) - first(xv, yv - h, i)) / (2 * h);
      CHECK(second[0].data() == Approx(fd_x).epsilon(1e-7));
      CHECK(second[1].data() == Approx(fd_y).epsilon(1e-7));
    }
    // Or by backward() again: x.grad is a graph, and its backward fills the leaves' grads.
    x.zero_grad();
    y.zero_grad();
    gx.backward();
    CHECK(x.grad() ==
          Approx((first(xv + h, yv, 0) - first(xv - h, yv, 0)) / (2 * h)).epsilon(1e-7));
    y.zero_grad();  // y still holds its gradient graph: break the cycle
  }
}

TEST_CASE("backward(create_graph = true): a third derivative, and a gradient seed that is a node",
          "[value][backward]") {
  // x^4: 4x^3, 12x^2, 24x.
  const Value x(0.6, "x");
  x.pow(4.0).backward({}, {}, true);
  const Value g1 = x.grad_value();
  x.zero_grad();
  g1.backward({}, {}, true);
  const Value g2 = x.grad_value();
  CHECK(g2.data() == Approx(12 * 0.36).epsilon(1e-14));
  x.zero_grad();
  g2.backward();
  CHECK(x.grad() == Approx(24 * 0.6).epsilon(1e-14));
  x.zero_grad();  // it held g2's graph, which holds x: break the cycle
  // A seed that depends on x: d(x^2)/dx * s with s = x, whose derivative in x is 2x * 1 + 0 ...
  // the seed is a constant of the pass but a node of the result: d/dx (2x * x) = 4x.
  const Value w(1.5, "w");
  w.pow(2.0).backward(w, std::nullopt, true);
  const Value gw = w.grad_value();
  CHECK(gw.data() == Approx(2 * 1.5 * 1.5).epsilon(1e-15));
  CHECK(kindling::grad(gw, {w})[0].data() == Approx(4 * 1.5).epsilon(1e-15));
  w.zero_grad();
}

TEST_CASE("backward(create_graph = true) accumulates into the graph gradient",
          "[value][backward]") {
  const Value x(0.4, "x");
  const Value y = x.pow(3.0);
  y.backward({}, {}, true);  // retain_graph defaults to create_graph: kept
  y.backward({}, {}, true);
  const Value g = x.grad_value();
  CHECK(g.data() == Approx(2 * 3 * 0.16).epsilon(1e-15));
  CHECK(kindling::grad(g, {x})[0].data() == Approx(2 * 6 * 0.4).epsilon(1e-15));
  // A number already in grad joins the graph as a constant.
  const Value z(0.5, "z");
  z.set_grad(10.0);
  z.exp().backward({}, {}, true);
  CHECK(z.grad() == Approx(10.0 + std::exp(0.5)).epsilon(1e-15));
  CHECK(kindling::grad(z.grad_value(), {z})[0].data() == Approx(std::exp(0.5)).epsilon(1e-15));
  z.zero_grad();
  // A pass without create_graph adds a number the graph does not compute: the gradient is a
  // number again.
  y.backward();
  CHECK(x.grad() == Approx(3 * 3 * 0.16).epsilon(1e-15));
  CHECK(x.grad_value().op() == ValueOp::leaf);
  CHECK(x.grad_value().data() == x.grad());
  x.zero_grad();  // the stale graph is still held until then (the cycle)
}

TEST_CASE("retain_graph: a released graph refuses a second pass, naming the op",
          "[value][backward]") {
  const Value x(0.3, "x"), y(2.0, "y");
  const Value z = (x * y).exp();
  z.backward(1.0);  // retain_graph defaults to create_graph = false: released
  const double once = x.grad();
  CHECK_THROWS_WITH(z.backward(),
                    Catch::Contains("backward of exp") && Catch::Contains("retain_graph"));
  CHECK_THROWS_AS(z.backward(1.0, true), kindling::error);
  CHECK_THROWS_WITH(kindling::grad(z, {x}), Catch::Contains("backward of exp"));
  CHECK_THROWS_WITH(kindling::grad(z, {x}, true), Catch::Contains("backward of exp"));
  CHECK(x.grad() == once);  // refused before any gradient changed
  // A new graph over the same leaves is not released; one built on z is, below z.
  const Value w = x * y + 1.0;
  w.backward();
  CHECK_THROWS_WITH((z + 1.0).backward(), Catch::Contains("backward of exp"));
  // retain_graph = true keeps it; backward() with no arguments is micrograd's and keeps it too.
  const Value u = x.tanh() * y;
  u.backward(1.0, true);
  u.backward();
  u.backward();
  CHECK_NOTHROW(kindling::grad(u, {x}));
  // create_graph defaults retain_graph to true; retain_graph = false with it releases the
  // forward graph, which the gradient graph reads: differentiating it again is refused.
  const Value v = x.pow(3.0);
  v.backward(std::nullopt, false, true);
  CHECK_THROWS_WITH(v.backward(), Catch::Contains("backward of pow"));
  // The gradient graph itself is new, and not released.
  x.zero_grad();
  CHECK_NOTHROW(kindling::grad(kindling::grad(x.pow(2.0), {x}, true)[0], {x}));
}

TEST_CASE("retain_graph: once every released record is gone, passes are plain again",
          "[value][backward]") {
  const Value x(1.5, "x");
  {
    const Value z = x * x;
    z.backward(1.0, false);
  }
  // The tape emptied (the released records were its only ones): a new graph's backward() runs.
  x.zero_grad();
  const Value z = x * x * x;
  z.backward();
  z.backward();
  CHECK(x.grad() == Approx(2 * 3 * 2.25).epsilon(1e-15));
}

TEST_CASE("backward(create_graph = true) runs hooks, with graph gradients", "[value][backward]") {
  const Value x(0.5, "x");
  const Value h = x.exp();
  std::vector<bool> saw_graph;
  kindling::ValueHookHandle on_h = h.register_hook([&](const Value& g) {
    saw_graph.push_back(g.op() != ValueOp::leaf);  // 3 * the seed, a node
    return std::nullopt;
  });
  kindling::ValueHookHandle on_x = x.register_hook([&](const Value& g) -> std::optional<Value> {
    saw_graph.push_back(g.op() != ValueOp::leaf);
    return g * 2.0;  // doubled, and still a node of the graph
  });
  const Value y = h * 3.0;
  y.backward({}, {}, true);
  CHECK(saw_graph == std::vector<bool>{true, true});
  CHECK(x.grad() == Approx(2 * 3 * std::exp(0.5)).epsilon(1e-15));
  // Off before differentiating the gradient: hooks run in every pass that reaches their node.
  on_h.remove();
  on_x.remove();
  CHECK(kindling::grad(x.grad_value(), {x})[0].data() ==
        Approx(2 * 3 * std::exp(0.5)).epsilon(1e-15));
  x.zero_grad();
}

TEST_CASE("backward(create_graph = true): the leaf-gradient cycle, broken by zero_grad",
          "[value][backward]") {
  const std::ptrdiff_t before = kindling::live_value_nodes();
  {
    const Value x(0.8, "x"), y(-0.2, "y");
    f(x, y).backward({}, {}, true);
    CHECK(kindling::live_value_nodes() > before + 2);
    // The leaves hold their gradient graphs, which hold the leaves (as in PyTorch).
    x.zero_grad();
    kindling::zero_grads(y);  // drops y's too
    CHECK(y.grad_value().op() == ValueOp::leaf);
  }
  CHECK(kindling::live_value_nodes() == before);
}

TEST_CASE("backward(create_graph = true): constants inside the graph get numbers, not graphs",
          "[value][backward]") {
  const std::ptrdiff_t before = kindling::live_value_nodes();
  {
    const Value x(0.5, "x");
    const Value y = x * 2.0 + x.pow(3.0);  // 2.0 is a leaf only y's records refer to
    y.backward({}, {}, true);
    const Value two = y.inputs()[0].inputs()[1];
    CHECK(two.data() == 2.0);
    CHECK(two.grad() == 0.5);  // d y / d 2.0 = x
    CHECK(two.grad_value().op() == ValueOp::leaf);
    CHECK(x.grad_value().op() != ValueOp::leaf);  // x, held by a handle, gets the graph
    CHECK(kindling::grad(x.grad_value(), {x})[0].data() == Approx(6 * 0.5).epsilon(1e-15));
    x.zero_grad();
  }
  // Nothing else holds a gradient graph: everything is freed.
  CHECK(kindling::live_value_nodes() == before);
}

TEST_CASE("backward: an empty gradient Value is a kindling::error", "[value][backward]") {
  Value g(1.0);
  const Value moved = std::move(g);
  CHECK_THROWS_WITH(Value(2.0).backward(g), Catch::Contains("backward: the gradient"));
}
