// grad() for Values (engine/value_grad.hpp): first-order results against backward()'s bits, every
// op's second derivatives (from its ValueRule row's contribution_graph) against central
// differences of its first derivative, generated from KINDLING_VALUE_OPS with a count check;
// grad's errors; the create_graph pass on the tape (records built while the walk runs, memory flat
// after a step, a loss kept across steps, a deep chain); Value hooks.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "kindling/engine/error.hpp"
#include "kindling/engine/grad_mode.hpp"
#include "kindling/engine/value.hpp"
#include "kindling/engine/value_grad.hpp"
#include "value_op_rows.hpp"

using kindling::Value;
using kindling::ValueOp;

namespace {

bool same_bits(double x, double y) {
  return std::memcmp(&x, &y, sizeof x) == 0;
}

using kindling::test::apply;
using kindling::test::ops_by_name;
using kindling::test::Point;

// d(op)/d(input i) at (a, b) by the double path, on fresh leaves.
double first_derivative(ValueOp op, double a, double b, double k, int i) {
  const std::vector<Value> x = {Value(a), Value(b)};
  return kindling::grad(apply(op, x, k), {x[static_cast<std::size_t>(i)]})[0].data();
}

}  // namespace

TEST_CASE("every op in KINDLING_VALUE_OPS has a second-derivative row", "[value][grad]") {
  kindling::test::check_one_row_per_op(kindling::test::smooth_points());
}

// The Hessian of each op, d^2 c / d(input i) d(input j), from grad(grad(c, create_graph), ...)
// against the central difference of the double path's first derivative in input j.
TEST_CASE("each op: second derivatives from create_graph against finite differences",
          "[value][grad]") {
  const auto ops = ops_by_name();
  for (const auto& [name, points] : kindling::test::smooth_points()) {
    const ValueOp op = ops.at(name);
    const int arity = kindling::op_arity(op);
    for (const Point& p : points) {
      const std::vector<Value> x = {Value(p.a, "a"), Value(p.b, "b")};
      const std::vector<Value> used(x.begin(), x.begin() + arity);
      const Value c = apply(op, x, p.k);
      const std::vector<Value> first = kindling::grad(c, used, /*create_graph=*/true);
      const std::vector<Value> plain = kindling::grad(c, used);
      for (int i = 0; i < arity; ++i) {
        INFO("op " << name << " at a = " << p.a << ", b = " << p.b << ", k = " << p.k
                   << ", d/d input " << i);
        // The graph form's data is the double path's, bit for bit (Note [scalar create_graph]).
        CHECK(same_bits(first[i].data(), plain[i].data()));
        const std::vector<Value> second =
            kindling::grad(first[i], used, false, /*allow_unused=*/true);
        for (int j = 0; j < arity; ++j) {
          const double h = 1e-5;
          double plus[2] = {p.a, p.b}, minus[2] = {p.a, p.b};
          plus[j] += h;
          minus[j] -= h;
          const double numeric = (first_derivative(op, plus[0], plus[1], p.k, i) -
                                  first_derivative(op, minus[0], minus[1], p.k, i)) /
                                 (2 * h);
          INFO("d/d input " << j << ": " << second[j].data() << " vs " << numeric);
          CHECK(second[j].data() == Approx(numeric).epsilon(1e-6).margin(1e-7));
        }
      }
    }
  }
}

TEST_CASE("grad: hand-computed derivatives of a small program, to the third order",
          "[value][grad]") {
  // f = x^3 * y + exp(x * y): f_x = 3x^2 y + y e^{xy}, f_xx = 6xy + y^2 e^{xy},
  // f_xy = 3x^2 + e^{xy} + xy e^{xy}, f_xxx = 6y + y^3 e^{xy}.
  const double xv = 0.5, yv = -1.5, e = std::exp(xv * yv);
  Value x(xv, "x"), y(yv, "y");
  const Value f = x.pow(3.0) * y + (x * y).exp();
  const std::vector<Value> df = kindling::grad(f, {x, y}, true);
  CHECK(df[0].data() == Approx(3 * xv * xv * yv + yv * e).epsilon(1e-14));
  CHECK(df[1].data() == Approx(xv * xv * xv + xv * e).epsilon(1e-14));
  CHECK(df[0].op() != ValueOp::leaf);  // a graph node, differentiable again
  const std::vector<Value> d2f = kindling::grad(df[0], {x, y}, true);
  CHECK(d2f[0].data() == Approx(6 * xv * yv + yv * yv * e).epsilon(1e-14));
  CHECK(d2f[1].data() == Approx(3 * xv * xv + e + xv * yv * e).epsilon(1e-14));
  // The mixed derivative is the same both ways round.
  CHECK(kindling::grad(df[1], {x})[0].data() == Approx(d2f[1].data()).epsilon(1e-14));
  const double d3f = kindling::grad(d2f[0], {x})[0].data();
  CHECK(d3f == Approx(6 * yv + yv * yv * yv * e).epsilon(1e-14));
  // Nothing touched the leaves' grads.
  CHECK(x.grad() == 0.0);
  CHECK(y.grad() == 0.0);
}

TEST_CASE("grad: leaves' grads untouched, interior grads hold the pass's values", "[value][grad]") {
  for (bool create_graph : {false, true}) {
    INFO("create_graph " << create_graph);
    Value a(2.0, "a"), b(-3.0, "b");
    a.set_grad(10.0);
    b.set_grad(20.0);
    Value c = a * b;
    Value d = c + a;  // dd/da = b + 1 = -2, dd/db = a = 2, dd/dc = 1
    c.set_grad(99.0);
    const std::vector<Value> g = kindling::grad(d, {a, b, c}, create_graph);
    CHECK(g[0].data() == -2.0);
    CHECK(g[1].data() == 2.0);
    CHECK(g[2].data() == 1.0);
    CHECK(a.grad() == 10.0);
    CHECK(b.grad() == 20.0);
    CHECK(c.grad() == 1.0);  // this pass's d(d)/d(c), as backward() leaves it
    // backward() afterwards accumulates onto the leaves' own grads only.
    d.backward();
    CHECK(a.grad() == 10.0 - 2.0);
    CHECK(b.grad() == 20.0 + 2.0);
  }
}

TEST_CASE("grad: several outputs with grad_outputs, gradients accumulate (b = a + a)",
          "[value][grad]") {
  Value a(1.5, "a");
  const Value b = a + a;
  const Value c = b + b;  // dc/da = 4
  CHECK(kindling::grad(c, {a})[0].data() == 4.0);
  CHECK(kindling::grad(c, {a}, true)[0].data() == 4.0);
  const Value s = a * a;  // ds/da = 3
  for (bool create_graph : {false, true}) {
    const std::vector<Value> g =
        kindling::grad({c, s}, {a}, {Value(2.0), Value(-1.0)}, std::nullopt, create_graph);
    CHECK(g[0].data() == 2.0 * 4.0 - 1.0 * 3.0);
  }
  // A grad_output that is itself a graph node is differentiated through (a vector-Jacobian
  // product): d/da of (ds/da * a) = d/da (2a * a) = 4a = 6.
  const Value v = kindling::grad({s}, {a}, {a}, std::nullopt, true)[0];
  CHECK(v.data() == 2.0 * 1.5 * 1.5);
  CHECK(kindling::grad(v, {a})[0].data() == 4.0 * 1.5);
}

TEST_CASE("grad: a Value with respect to itself is 1, a constant", "[value][grad]") {
  Value x(3.0);
  CHECK(kindling::grad(x, {x})[0].data() == 1.0);
  const Value y = x * 2.0;
  const Value g = kindling::grad(y, {y}, true)[0];
  CHECK(g.data() == 1.0);
  CHECK(g.op() == ValueOp::leaf);
  // ReLU's masked side gives a constant 0 gradient, whose derivative is 0.
  Value z(-1.0);
  const Value r = kindling::grad(z.relu() * z, {z}, true)[0];  // relu(z) + 0 * z... = 0 here
  CHECK(r.data() == 0.0);
  CHECK(kindling::grad(r, {z}, false, true)[0].data() == 0.0);
}

TEST_CASE("grad: errors name the function and the argument", "[value][grad]") {
  Value x(1.0, "x"), y(2.0, "y"), unused(3.0, "u");
  const Value f = x * y;
  CHECK_THROWS_AS(kindling::grad(f, {x, unused}), kindling::error);
  CHECK_THROWS_WITH(
      kindling::grad(f, {x, unused}),
      Catch::Contains("grad: input 1 ('u') was not used") && Catch::Contains("allow_unused"));
  CHECK_THROWS_WITH(kindling::grad(f, {x, unused}, true), Catch::Contains("was not used"));
  const std::vector<Value> g = kindling::grad(f, {x, unused}, true, /*allow_unused=*/true);
  CHECK(g[0].data() == 2.0);
  CHECK(g[1].data() == 0.0);
  std::vector<bool> reached;
  kindling::detail::value_grad({f}, {x, unused}, {}, false, reached);
  CHECK(reached == std::vector<bool>{true, false});
  CHECK_THROWS_WITH(kindling::grad(f, std::vector<Value>{}), Catch::Contains("inputs is empty"));
  CHECK_THROWS_WITH(kindling::grad(std::vector<Value>{}, {x}), Catch::Contains("outputs is empty"));
  CHECK_THROWS_WITH(kindling::grad({f}, {x}, {Value(1.0), Value(2.0)}),
                    Catch::Contains("grad_outputs has 2 Values for 1 outputs"));
  Value moved(1.0);
  Value taken = std::move(moved);
  CHECK_THROWS_WITH(kindling::grad(f, {moved}), Catch::Contains("inputs[0] is an empty Value"));
}

TEST_CASE("grad: create_graph records even under no_grad, without it nothing is recorded",
          "[value][grad]") {
  Value x(0.3);
  const Value f = x.tanh() * x;
  const std::ptrdiff_t before = kindling::live_value_nodes();
  {
    kindling::no_grad off;
    const Value g = kindling::grad(f, {x}, true)[0];
    CHECK(g.op() != ValueOp::leaf);
    CHECK(kindling::is_grad_enabled() == false);
    const Value plain = kindling::grad(f, {x})[0];
    CHECK(plain.op() == ValueOp::leaf);
  }
  const Value plain = kindling::grad(f, {x})[0];
  CHECK(kindling::live_value_nodes() == before + 1);  // the returned constant alone
}

// Note [scalar create_graph]: the gradient records go on the tape while the walk scans it.
TEST_CASE("create_graph on the tape: memory flat after each step, a kept loss stays right",
          "[value][grad][tape]") {
  // A gradient-penalty step: loss = f + (df/dw)^2 for f = tanh(w * x) summed over a few x, then
  // backward() through both, so the walk goes through forward and gradient records together.
  auto step = [](Value& w, Value* keep) {
    Value f = 0.0;
    for (double xv : {0.5, -1.0, 2.0})
      f = f + (w * xv).tanh();
    const Value df = kindling::grad(f, {w}, true)[0];
    Value loss = f + df * df;
    loss.backward();
    if (keep) *keep = loss;
    return loss.data();
  };
  Value w(0.4, "w");
  step(w, nullptr);  // warm: the tape's chunks exist
  const std::ptrdiff_t base = kindling::live_value_nodes();
  Value kept;
  const double kept_data = step(w, &kept);
  const std::ptrdiff_t with_kept = kindling::live_value_nodes();
  CHECK(with_kept > base + 10);  // the kept loss holds its step's records
  for (int s = 0; s < 5; ++s) {
    w.zero_grad();
    step(w, nullptr);
    CHECK(kindling::live_value_nodes() == with_kept);  // each later step rewinds to the kept one
  }
  CHECK(kept.data() == kept_data);
  // The kept loss differentiates again, create_graph included: d(loss)/dw at w = 0.4.
  const double dk = kindling::grad(kept, {w})[0].data();
  const double dk_graph = kindling::grad(kept, {w}, true)[0].data();
  CHECK(same_bits(dk, dk_graph));
  // Against central differences of the loss in w.
  auto loss_at = [](double wv) {
    Value v(wv);
    Value f = 0.0;
    for (double xv : {0.5, -1.0, 2.0})
      f = f + (v * xv).tanh();
    const Value df = kindling::grad(f, {v}, true)[0];
    return (f + df * df).data();
  };
  CHECK(dk == Approx((loss_at(0.4 + 1e-6) - loss_at(0.4 - 1e-6)) / 2e-6).epsilon(1e-6));
  kept = Value();
  CHECK(kindling::live_value_nodes() == base + 1);  // kept's new leaf
}

TEST_CASE("create_graph through a deep chain: no recursion, freed after", "[value][grad][tape]") {
  const std::ptrdiff_t base = kindling::live_value_nodes();
  {
    Value x(0.999999, "x");
    Value y = x;
    const int depth = 100000;
    for (int i = 0; i < depth; ++i)
      y = y * x;  // x^(depth + 1)
    const Value g = kindling::grad(y, {x}, true)[0];
    const double n = depth + 1.0;
    CHECK(g.data() == Approx(n * std::pow(0.999999, n - 1)).epsilon(1e-9));
    const double h = kindling::grad(g, {x})[0].data();
    CHECK(h == Approx(n * (n - 1) * std::pow(0.999999, n - 2)).epsilon(1e-8));
  }
  CHECK(kindling::live_value_nodes() == base);
}

TEST_CASE("grad on another thread's graph: first order works, create_graph is an error",
          "[value][grad]") {
  Value x(0.5);
  Value f = (x * x).exp();  // exp's gradient reads its own record, which lies on this thread's tape
  std::string error;
  double first = 0.0;
  std::thread([&] {
    first = kindling::grad(f, {x})[0].data();
    try {
      kindling::grad(f, {x}, true);
    } catch (const kindling::error& e) {
      error = e.what();
    }
  }).join();
  CHECK(first == Approx(1.0 * std::exp(0.25)).epsilon(1e-15));
  CHECK_THAT(error, Catch::Contains("another thread"));
}

TEST_CASE("Value hooks: each gradient as it arrives, replaced, removed", "[value][hooks]") {
  Value a(2.0, "a"), b(-3.0, "b");
  Value c = a * b;
  Value d = c + a;
  std::vector<std::string> seen;
  auto h_c = c.register_hook([&](const Value& g) -> std::optional<Value> {
    seen.push_back("c " + std::to_string(g.data()));
    return std::nullopt;
  });
  auto h_a = a.register_hook([&](const Value& g) -> std::optional<Value> {
    seen.push_back("a " + std::to_string(g.data()));
    return std::nullopt;
  });
  d.backward();
  // c's hook before its step; a's with this pass's whole gradient (b + 1), once.
  CHECK(seen == std::vector<std::string>{"c 1.000000", "a -2.000000"});
  CHECK(a.grad() == -2.0);
  CHECK(b.grad() == 2.0);
  // A replacing hook on c doubles what flows on; a's hook sees the new total and its grad
  // accumulates it onto what it held.
  seen.clear();
  auto h_double = c.register_hook([](const Value& g) -> std::optional<Value> { return g * 2.0; });
  d.backward();
  CHECK(seen == std::vector<std::string>{"c 1.000000", "a -5.000000"});
  CHECK(a.grad() == -2.0 + (2.0 * -3.0 + 1.0));
  CHECK(b.grad() == 2.0 + 2.0 * 2.0);
  // grad() runs them too, and with create_graph the replacement is differentiated through:
  // d = 2ab + a, dd/da = 2b + 1 = -5, d2/dadb = 2.
  seen.clear();
  const std::vector<Value> g = kindling::grad(d, {a, b}, true);
  CHECK(g[0].data() == -5.0);
  CHECK(g[1].data() == 4.0);
  CHECK(kindling::grad(g[0], {b})[0].data() == 2.0);
  CHECK(seen.size() >= 2);
  CHECK(a.grad() == -7.0);  // untouched by grad()
  h_double.remove();
  h_c.remove();
  h_a.remove();
  h_a.remove();  // twice is a no-op
  seen.clear();
  a.zero_grad();
  d.backward();
  CHECK(seen.empty());
  CHECK(a.grad() == -2.0);
  // A handle outliving its node is harmless.
  kindling::ValueHookHandle orphan;
  {
    Value t(1.0);
    orphan = t.register_hook([](const Value&) -> std::optional<Value> { return std::nullopt; });
  }
  orphan.remove();
  CHECK_THROWS_AS(a.register_hook(kindling::ValueHook{}), kindling::error);
}

TEST_CASE("Value hooks do not change labels, labels do not need hooks", "[value][hooks]") {
  Value a(1.0, "a");
  auto handle = a.register_hook([](const Value&) -> std::optional<Value> { return std::nullopt; });
  CHECK(a.label() == "a");
  a.set_label("");
  CHECK(a.label().empty());
  a.set_label("b");
  CHECK(a.label() == "b");
  handle.remove();
  Value x(2.0);
  x.set_label("");
  CHECK(x.node()->extras == nullptr);
}

TEST_CASE("Value hooks: a hook that throws leaves the leaves' grads as they were",
          "[value][hooks]") {
  Value a(2.0, "a"), b(3.0, "b");
  a.set_grad(5.0);
  b.set_grad(7.0);
  const Value c = a * b;
  auto handle = c.register_hook(
      [](const Value&) -> std::optional<Value> { throw kindling::error("hook failed"); });
  CHECK_THROWS_WITH(kindling::grad(c * 2.0, {a}), "hook failed");
  CHECK(a.grad() == 5.0);
  CHECK(b.grad() == 7.0);
  auto leaf_handle = a.register_hook(
      [](const Value&) -> std::optional<Value> { throw kindling::error("leaf hook failed"); });
  handle.remove();
  CHECK_THROWS_WITH((c * 2.0).backward(), "leaf hook failed");
  CHECK(a.grad() == 5.0);
  leaf_handle.remove();
}

TEST_CASE("Value hooks may walk the graph (draw it) without disturbing the pass",
          "[value][hooks]") {
  Value x(0.5, "x"), y(1.5, "y");
  const Value c = (x * y).tanh();
  Value out = c * x + y;
  std::size_t walked = 0;
  auto handle = c.register_hook([&](const Value&) -> std::optional<Value> {
    walked += kindling::engine::topological_order(out.node()).size();  // what a drawing does
    return std::nullopt;
  });
  const double t = std::tanh(0.75);
  const double dx = (1 - t * t) * 0.5 * 1.5 + t;  // d/dx (tanh(xy) x)
  const double dy = (1 - t * t) * 0.5 * 0.5 + 1;
  out.backward();
  CHECK(x.grad() == Approx(dx).epsilon(1e-15));
  CHECK(y.grad() == Approx(dy).epsilon(1e-15));
  for (bool create_graph : {false, true}) {
    const std::vector<Value> g = kindling::grad(out, {x, y}, create_graph);
    CHECK(g[0].data() == Approx(dx).epsilon(1e-15));
    CHECK(g[1].data() == Approx(dy).epsilon(1e-15));
  }
  CHECK(walked == 3 * 6);  // x, y, x * y, c, c * x, out; once per pass
  handle.remove();
}

TEST_CASE("a create_graph gradient outlives its output: its records keep the forward graph",
          "[value][grad][tape]") {
  const std::ptrdiff_t base = kindling::live_value_nodes();
  {
    Value x(0.3, "x");
    Value g;
    {
      const Value f = (x * x).exp() * x.sigmoid();  // the handles to f and its records go here
      g = kindling::grad(f, {x}, true)[0];
    }
    // Filler records on top, made and dropped, rewind down to g and no further.
    for (int i = 0; i < 1000; ++i)
      (void)(x * 2.0 + 1.0);
    const double xv = 0.3, s = 1 / (1 + std::exp(-xv)), e = std::exp(xv * xv);
    // f = e^{x^2} s(x): f' = e (2x s + s(1-s)); f'' from the double path of g's own graph.
    CHECK(g.data() == Approx(e * (2 * xv * s + s * (1 - s))).epsilon(1e-14));
    const double h = 1e-5;
    auto first = [](double at) {
      Value v(at);
      return kindling::grad((v * v).exp() * v.sigmoid(), {v})[0].data();
    };
    CHECK(kindling::grad(g, {x})[0].data() ==
          Approx((first(xv + h) - first(xv - h)) / (2 * h)).epsilon(1e-7));
  }
  CHECK(kindling::live_value_nodes() == base);
}
