// Forward mode for Values (engine/value_forward_ad.hpp, Note [scalar forward mode]): every row of
// KINDLING_VALUE_OPS, generated from the table with a count check, its jvp against reverse mode's
// gradient (bit for bit: the same formula applied to the same number) and against central
// differences, special values as reverse mode meets them; random multi-op programs against
// grad() and finite differences; the dual level's rules.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kindling/engine/error.hpp"
#include "kindling/engine/grad_mode.hpp"
#include "kindling/engine/random.hpp"
#include "kindling/engine/value.hpp"
#include "kindling/engine/value_forward_ad.hpp"
#include "kindling/engine/value_grad.hpp"
#include "value_op_rows.hpp"

using kindling::Value;
using kindling::ValueOp;
namespace fwd = kindling::autograd::forward_ad;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
const double kNaN = std::numeric_limits<double>::quiet_NaN();

// Equal bits, or both NaN (a NaN's sign and payload are not part of the contract), or both zero:
// reverse mode adds a leaf's first gradient to 0, which makes a -0 gradient +0.
bool same_number(double x, double y) {
  if (std::isnan(x) && std::isnan(y)) return true;
  if (x == 0.0 && y == 0.0) return true;
  return std::memcmp(&x, &y, sizeof x) == 0;
}

using kindling::test::apply;
using kindling::test::ops_by_name;
using kindling::test::Point;

// The op's tangent at (a, b) for the tangents ta, tb (nullopt: that input carries none), by forward
// mode under its own dual level.
std::optional<double> jvp(ValueOp op, double a, double b, double k, std::optional<double> ta,
                          std::optional<double> tb) {
  const fwd::value_dual_level level;
  const Value x = ta ? fwd::make_dual(Value(a), *ta) : Value(a);
  const Value y = tb ? fwd::make_dual(Value(b), *tb) : Value(b);
  return fwd::unpack_dual(apply(op, {x, y}, k)).tangent;
}

// d(op)/d(input i) * seed by reverse mode: grad() seeded with `seed`.
double reverse(ValueOp op, double a, double b, double k, int i, double seed) {
  const std::vector<Value> x = {Value(a), Value(b)};
  const Value c = apply(op, x, k);
  return kindling::grad({c}, {x[static_cast<std::size_t>(i)]}, {Value(seed)})[0].data();
}

}  // namespace

TEST_CASE("every op in KINDLING_VALUE_OPS has a forward-mode row", "[value][forward]") {
  kindling::test::check_one_row_per_op(kindling::test::smooth_points());
}

TEST_CASE("each op: jvp against reverse mode and central differences, every rule run",
          "[value][forward]") {
  const auto ops = ops_by_name();
  std::map<std::string, std::uint64_t> calls_before;
  for (const auto& [name, op] : ops)
    calls_before[name] = kindling::testing::value_jvp_rule_calls(op);
  for (const auto& [name, points] : kindling::test::smooth_points()) {
    const ValueOp op = ops.at(name);
    const int arity = kindling::op_arity(op);
    for (const Point& p : points) {
      const double in[2] = {p.a, p.b};
      for (int i = 0; i < arity; ++i) {
        INFO("op " << name << " at a = " << p.a << ", b = " << p.b << ", k = " << p.k
                   << ", tangent on input " << i);
        const std::optional<double> one = 1.0, none;
        // A tangent on input i alone: the same formula reverse mode applies to its seed.
        for (double t : {1.0, -0.37, 2.5}) {
          const std::optional<double> tangent =
              i == 0 ? jvp(op, p.a, p.b, p.k, t, none) : jvp(op, p.a, p.b, p.k, none, t);
          REQUIRE(tangent.has_value());
          CHECK(same_number(*tangent, reverse(op, p.a, p.b, p.k, i, t)));
        }
        // Central differences of the forward function along input i.
        const double h = 1e-6;
        double plus[2] = {in[0], in[1]}, minus[2] = {in[0], in[1]};
        plus[i] += h;
        minus[i] -= h;
        const double numeric = (kindling::forward_value(op, plus[0], plus[1], p.k) -
                                kindling::forward_value(op, minus[0], minus[1], p.k)) /
                               (2 * h);
        const auto tangent =
            i == 0 ? jvp(op, p.a, p.b, p.k, one, none) : jvp(op, p.a, p.b, p.k, none, one);
        CHECK(*tangent == Approx(numeric).epsilon(1e-6).margin(1e-8));
      }
      if (arity == 2) {
        // Both inputs carry tangents: J (ta, tb) = ta dc/da + tb dc/db.
        const double ta = 0.8, tb = -1.7;
        const auto both = jvp(op, p.a, p.b, p.k, ta, tb);
        REQUIRE(both.has_value());
        CHECK(*both == Approx(reverse(op, p.a, p.b, p.k, 0, 1.0) * ta +
                              reverse(op, p.a, p.b, p.k, 1, 1.0) * tb)
                           .epsilon(1e-14));
        // The same leaf in both inputs (x * x, x / x): the terms add, as gradients do.
        const fwd::value_dual_level level;
        const Value x = fwd::make_dual(Value(p.a), 1.0);
        const Value c = apply(op, {x, x}, p.k);
        const Value plain(p.a);
        CHECK(*fwd::unpack_dual(c).tangent ==
              Approx(kindling::grad(apply(op, {plain, plain}, p.k), {plain})[0].data())
                  .epsilon(1e-14));
      }
    }
  }
  // The count check: the table ran every row's jvp rule (a row without one does not compile:
  // jvp_of's static_assert).
  for (const auto& [name, op] : ops) {
    INFO("op " << name);
    if (kindling::op_arity(op) > 0)
      CHECK(kindling::testing::value_jvp_rule_calls(op) > calls_before[name]);
  }
}

// Special values: a tangent on one input, against reverse mode seeded with the same number. Both
// apply the row's formula to that number, so they agree bit for bit (NaN for NaN), masks included:
// relu at a <= 0 and a^0 give 0 even for an infinite or NaN tangent.
TEST_CASE("each op: special values give the tangent reverse mode gives the gradient",
          "[value][forward]") {
  const std::vector<double> specials = {0.0, -0.0, 1.0, -2.0, kInf, -kInf, kNaN, 1e-310};
  const std::vector<double> seeds = {1.0, 0.0, kInf, kNaN};
  const std::vector<double> exponents = {0.0, 0.5, -0.5, 1.0, 2.0, 3.0, -1.0};
  const auto ops = ops_by_name();
  for (const auto& [name, op] : ops) {
    const int arity = kindling::op_arity(op);
    if (arity == 0) continue;
    const std::vector<double> ks = op == ValueOp::pow ? exponents : std::vector<double>{0.0};
    const std::vector<double> bs = arity == 2 ? specials : std::vector<double>{0.0};
    for (double k : ks) {
      for (double a : specials) {
        for (double b : bs) {
          for (int i = 0; i < arity; ++i) {
            for (double t : seeds) {
              const std::optional<double> none;
              const auto tangent = i == 0 ? jvp(op, a, b, k, t, none) : jvp(op, a, b, k, none, t);
              const double gradient = reverse(op, a, b, k, i, t);
              INFO("op " << name << " a = " << a << " b = " << b << " k = " << k << " input " << i
                         << " tangent " << t << ": " << *tangent << " vs " << gradient);
              CHECK(same_number(*tangent, gradient));
            }
          }
        }
      }
    }
  }
}

// Random programs: a few leaves, ops drawn from the table, each op's inputs drawn from what came
// before. The jvp along a random direction against sum_i v_i df/dx_i by reverse mode, and against
// central differences of the program itself.
TEST_CASE("random programs: jvp against grad() and central differences", "[value][forward]") {
  kindling::Generator rng(2026);
  std::vector<ValueOp> ops;
#define KINDLING_X(name, label, arity, form) \
  if (arity > 0) ops.push_back(ValueOp::name);
  KINDLING_VALUE_OPS(KINDLING_X)
#undef KINDLING_X
  struct Step {
    ValueOp op;
    std::size_t a, b;
    double k;
  };
  for (int program = 0; program < 60; ++program) {
    const std::size_t leaves = 2 + rng.below(3);
    std::vector<double> x0(leaves), v(leaves);
    for (std::size_t j = 0; j < leaves; ++j) {
      x0[j] = 0.3 + rng.uniform();  // positive, so log and the fractional powers stay real
      v[j] = rng.normal();
    }
    std::vector<Step> steps;
    for (int s = 0; s < 12; ++s) {
      const ValueOp op = ops[rng.below(ops.size())];
      const std::size_t have = leaves + steps.size();
      const double k = std::vector<double>{2.0, 3.0, 0.5, -1.0}[rng.below(4)];
      steps.push_back({op, rng.below(have), rng.below(have), k});
    }
    // The program, on Values that may carry tangents; log and pow(0.5) of |u| + 0.5 keep it real.
    auto run = [&](const std::vector<Value>& inputs) {
      std::vector<Value> slots = inputs;
      for (const Step& s : steps) {
        Value a = slots[s.a], b = slots[s.b];
        if (s.op == ValueOp::log || s.op == ValueOp::pow) a = (a * a + 0.5).pow(0.5);
        if (s.op == ValueOp::div) b = b * b + 1.0;
        if (s.op == ValueOp::exp) a = a.tanh();
        slots.push_back(apply(s.op, {a, b}, s.k));
      }
      Value out = slots.back();
      for (std::size_t j = leaves; j + 1 < slots.size(); ++j)
        out = out + slots[j].tanh();
      return out;
    };
    INFO("program " << program);
    double tangent = 0.0;
    {
      const fwd::value_dual_level level;
      std::vector<Value> duals;
      for (std::size_t j = 0; j < leaves; ++j)
        duals.push_back(fwd::make_dual(Value(x0[j]), v[j]));
      const Value out = run(duals);
      REQUIRE(fwd::unpack_dual(out).tangent.has_value());
      tangent = *fwd::unpack_dual(out).tangent;
    }
    std::vector<Value> plain;
    for (double x : x0)
      plain.emplace_back(x);
    const std::vector<Value> g = kindling::grad(run(plain), plain, false, /*allow_unused=*/true);
    double reverse_jvp = 0.0;
    for (std::size_t j = 0; j < leaves; ++j)
      reverse_jvp += g[j].data() * v[j];
    CHECK(tangent == Approx(reverse_jvp).epsilon(1e-10).margin(1e-12));
    const double h = 1e-6;
    std::vector<Value> plus, minus;
    for (std::size_t j = 0; j < leaves; ++j) {
      plus.emplace_back(x0[j] + h * v[j]);
      minus.emplace_back(x0[j] - h * v[j]);
    }
    const double numeric = (run(plus).data() - run(minus).data()) / (2 * h);
    CHECK(tangent == Approx(numeric).epsilon(1e-5).margin(1e-6));
  }
}

TEST_CASE("forward mode: the dual level's rules", "[value][forward]") {
  const Value primal(2.0, "x");
  CHECK_THROWS_AS(fwd::make_dual(primal, 1.0), kindling::error);  // no level
  CHECK_FALSE(fwd::is_value_forward_ad_enabled());
  Value kept;
  {
    const fwd::value_dual_level level;
    CHECK(fwd::is_value_forward_ad_enabled());
    CHECK_THROWS_WITH(fwd::value_dual_level(), Catch::Contains("already active"));
    const Value x = fwd::make_dual(primal, 3.0);
    CHECK(x.label() == "x");
    CHECK_FALSE(x.same_node(primal));
    CHECK_FALSE(fwd::unpack_dual(primal).tangent.has_value());  // the primal carries none
    CHECK(*fwd::unpack_dual(x).tangent == 3.0);
    // Nothing depends on a dual: no tangent (not a zero one), as PyTorch's None.
    CHECK_FALSE(fwd::unpack_dual(primal * 2.0).tangent.has_value());
    // Only the dual's own uses: x * primal's tangent is primal * 3, not (primal * 3) * 2.
    CHECK(*fwd::unpack_dual(x * primal).tangent == 6.0);
    {
      // Under no_grad the results are leaves, and still carry tangents: nothing is recorded.
      const kindling::no_grad off;
      const Value y = (x * x).exp();
      CHECK(y.op() == ValueOp::leaf);
      CHECK(*fwd::unpack_dual(y).tangent == Approx(2 * 2.0 * 3.0 * std::exp(4.0)));
    }
    // A label set or cleared keeps the tangent (both live in the node's extras).
    Value z = x + 1.0;
    z.set_label("z");
    z.set_label("");
    CHECK(*fwd::unpack_dual(z).tangent == 3.0);
    z += x;  // compound assignment keeps the label, and the tangent is the new node's
    CHECK(*fwd::unpack_dual(z).tangent == 6.0);
    kept = z;
  }
  // The level's end drops its tangents, also on Values that outlive it; a new level sees none.
  CHECK_FALSE(fwd::unpack_dual(kept).tangent.has_value());
  const fwd::value_dual_level again;
  CHECK_FALSE(fwd::unpack_dual(kept).tangent.has_value());
  CHECK_FALSE(fwd::unpack_dual(kept * 2.0).tangent.has_value());
}

TEST_CASE("forward mode: anomaly mode still throws, and the reverse graph is the usual one",
          "[value][forward]") {
  const fwd::value_dual_level level;
  const Value x = fwd::make_dual(Value(0.0), 1.0);
  {
    const kindling::detect_anomaly anomaly;
    CHECK_THROWS_WITH(x.log(), Catch::Contains("log"));
  }
  // A forward-mode program is recorded as any other: backward gives the gradient the tangent
  // gives (the dual is a leaf of its own).
  const Value y = (x + 0.5) * (x - 2.0).tanh();
  y.backward();
  CHECK(x.grad() == Approx(*fwd::unpack_dual(y).tangent).epsilon(1e-15));
}

TEST_CASE("forward mode: a dual level costs a Value graph nothing once it ends",
          "[value][forward]") {
  const std::ptrdiff_t before = kindling::live_value_nodes();
  {
    const fwd::value_dual_level level;
    Value x = fwd::make_dual(Value(0.3), 1.0);
    for (int i = 0; i < 1000; ++i)
      x = (x * 1.001).tanh() + 0.01;
    CHECK(fwd::unpack_dual(x).tangent.has_value());
  }
  CHECK(kindling::live_value_nodes() == before);
}

TEST_CASE("functional::jvp on Values: one forward pass, as torch.autograd.functional.jvp",
          "[value][forward]") {
  namespace fn = kindling::autograd::functional;
  const auto f = [](const std::vector<Value>& x) {
    return std::vector<Value>{x[0] * x[1].exp(), (x[0] - x[1]).tanh(), Value(3.0)};
  };
  const std::vector<Value> inputs = {Value(0.7), Value(-0.4)};
  const fn::ValueOutputsAndTangents r = fn::jvp(f, inputs, {1.5, -0.25});
  REQUIRE(r.outputs.size() == 3);
  CHECK(r.outputs[0].data() == Approx(0.7 * std::exp(-0.4)).epsilon(1e-15));
  // Against reverse mode: J v row by row.
  for (std::size_t o = 0; o < 2; ++o) {
    const std::vector<Value> g = kindling::grad(f(inputs)[o], inputs);
    CHECK(r.tangents[o] == Approx(g[0].data() * 1.5 - g[1].data() * 0.25).epsilon(1e-14));
  }
  CHECK(r.tangents[2] == 0.0);  // depends on no input
  CHECK(fn::jvp([](const std::vector<Value>& x) { return std::vector<Value>{x[0].pow(3.0)}; },
                {Value(2.0)})
            .tangents[0] == 12.0);
  CHECK_THROWS_WITH(fn::jvp(f, inputs), Catch::Contains("v can be empty only"));
  CHECK_THROWS_WITH(fn::jvp(f, inputs, {1.0}), Catch::Contains("v has 1 tangents for 2"));
  CHECK_FALSE(kindling::autograd::forward_ad::is_value_forward_ad_enabled());  // the level ended
}
