// Every scalar op, driven by one table: value and gradient against the analytic derivative (written
// here independently of value.cpp) and against central finite differences. A count check fails
// when an op of KINDLING_VALUE_OPS has no row. The table's run-time dispatch (apply_op,
// forward_value) must give each named op's bits.
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "kindling/engine/error.hpp"
#include "kindling/engine/value.hpp"

using kindling::Value;

namespace {

struct OpRow {
  int arity;
  std::function<Value(const Value&, const Value&)> apply;         // the op under test
  std::function<double(double, double)> reference;                // forward, from <cmath>
  std::function<std::vector<double>(double, double)> derivative;  // {d/da, d/db}
  std::vector<std::pair<double, double>> points;                  // where to check
};

double sigmoid_ref(double a) {
  return 1.0 / (1.0 + std::exp(-a));
}

std::map<std::string, OpRow> op_table() {
  const std::vector<std::pair<double, double>> general = {
      {0.7, -1.3}, {-2.1, 0.4}, {3.0, 2.5}, {-0.2, -0.9}};
  const std::vector<std::pair<double, double>> positive = {{0.7, 1.3}, {2.1, 0.4}, {3.0, 2.5}};
  std::map<std::string, OpRow> rows;
  rows["leaf"] = {0, [](const Value& a, const Value&) { return a; },
                  [](double a, double) { return a; },
                  [](double, double) { return std::vector<double>{1.0}; }, general};
  rows["add"] = {2, [](const Value& a, const Value& b) { return a + b; },
                 [](double a, double b) { return a + b; },
                 [](double, double) {
                   return std::vector<double>{1.0, 1.0};
                 },
                 general};
  rows["sub"] = {2, [](const Value& a, const Value& b) { return a - b; },
                 [](double a, double b) { return a - b; },
                 [](double, double) {
                   return std::vector<double>{1.0, -1.0};
                 },
                 general};
  rows["mul"] = {2, [](const Value& a, const Value& b) { return a * b; },
                 [](double a, double b) { return a * b; },
                 [](double a, double b) {
                   return std::vector<double>{b, a};
                 },
                 general};
  rows["div"] = {2, [](const Value& a, const Value& b) { return a / b; },
                 [](double a, double b) { return a / b; },
                 [](double a, double b) {
                   return std::vector<double>{1.0 / b, -a / (b * b)};
                 },
                 general};
  rows["neg"] = {1, [](const Value& a, const Value&) { return -a; },
                 [](double a, double) { return -a; },
                 [](double, double) { return std::vector<double>{-1.0}; }, general};
  rows["pow"] = {1, [](const Value& a, const Value&) { return a.pow(3.5); },
                 [](double a, double) { return std::pow(a, 3.5); },
                 [](double a, double) { return std::vector<double>{3.5 * std::pow(a, 2.5)}; },
                 positive};
  rows["exp"] = {1, [](const Value& a, const Value&) { return a.exp(); },
                 [](double a, double) { return std::exp(a); },
                 [](double a, double) { return std::vector<double>{std::exp(a)}; }, general};
  rows["log"] = {1, [](const Value& a, const Value&) { return a.log(); },
                 [](double a, double) { return std::log(a); },
                 [](double a, double) { return std::vector<double>{1.0 / a}; }, positive};
  rows["tanh"] = {1, [](const Value& a, const Value&) { return a.tanh(); },
                  [](double a, double) { return std::tanh(a); },
                  [](double a, double) {
                    const double c = std::cosh(a);
                    return std::vector<double>{1.0 / (c * c)};
                  },
                  general};
  rows["relu"] = {1, [](const Value& a, const Value&) { return a.relu(); },
                  [](double a, double) { return a > 0 ? a : 0.0; },
                  [](double a, double) { return std::vector<double>{a > 0 ? 1.0 : 0.0}; }, general};
  rows["sigmoid"] = {1, [](const Value& a, const Value&) { return a.sigmoid(); },
                     [](double a, double) { return sigmoid_ref(a); },
                     [](double a, double) {
                       return std::vector<double>{std::exp(-a) / std::pow(1.0 + std::exp(-a), 2)};
                     },
                     general};
  return rows;
}

}  // namespace

TEST_CASE("every op in KINDLING_VALUE_OPS has a test row", "[value][ops]") {
  const auto rows = op_table();
  std::vector<std::string> names;
#define KINDLING_X(name, label, arity, form) names.push_back(#name);
  KINDLING_VALUE_OPS(KINDLING_X)
#undef KINDLING_X
  REQUIRE(names.size() == kindling::kValueOpCount);
  for (const std::string& name : names) {
    INFO("op " << name);
    CHECK(rows.count(name) == 1);
  }
  CHECK(rows.size() == names.size());
}

TEST_CASE("each op: forward, analytic gradient and finite differences", "[value][ops]") {
  for (const auto& [name, row] : op_table()) {
    for (const auto& [pa, pb] : row.points) {
      INFO("op " << name << " at a = " << pa << ", b = " << pb);
      Value a(pa, "a"), b(pb, "b");
      Value c = row.apply(a, b);
      CHECK(c.data() == Approx(row.reference(pa, pb)).epsilon(1e-14));
      if (row.arity == 0) continue;
      CHECK(kindling::op_name(c.op()) == name);
      CHECK(kindling::op_arity(c.op()) == row.arity);
      c.backward();
      const std::vector<double> expected = row.derivative(pa, pb);
      const double grads[2] = {a.grad(), b.grad()};
      const double point[2] = {pa, pb};
      for (int i = 0; i < row.arity; ++i) {
        CHECK(grads[i] == Approx(expected[i]).epsilon(1e-12));
        // Central difference in input i, step h: error O(h^2).
        const double h = 1e-6;
        double plus[2] = {pa, pb}, minus[2] = {pa, pb};
        plus[i] += h;
        minus[i] -= h;
        const double numeric =
            (row.reference(plus[0], plus[1]) - row.reference(minus[0], minus[1])) / (2 * h);
        CHECK(grads[i] == Approx(numeric).epsilon(1e-6).margin(1e-8));
        CHECK(kindling::local_derivative(*c.node(), i) == Approx(expected[i]).epsilon(1e-12));
        CHECK_FALSE(kindling::derivative_formula(c.op(), i).empty());
        (void)point;
      }
      if (row.arity == 1) CHECK(b.grad() == 0.0);
    }
  }
}

namespace {
std::map<std::string, kindling::ValueOp> ops_by_name() {
  std::map<std::string, kindling::ValueOp> ops;
#define KINDLING_X(name, label, arity, form) ops[#name] = kindling::ValueOp::name;
  KINDLING_VALUE_OPS(KINDLING_X)
#undef KINDLING_X
  return ops;
}

bool same_bits(double x, double y) {
  return std::memcmp(&x, &y, sizeof x) == 0;
}
}  // namespace

// apply_op() and forward_value() are what the expression parser and gradcheck call; a case of their
// generated switch that reached the wrong rule, or a form that passed the wrong argument, differs
// here. The points include the edges where the ops' forms differ (signed zeros, infinities, NaN,
// subnormals, sigmoid's two branches).
TEST_CASE("apply_op and forward_value give the named op's node, bit for bit", "[value][ops]") {
  const auto ops = ops_by_name();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> edges = {0.7,       -1.3, 0.0,  -0.0,  1e-310, -1e-310, INFINITY,
                                     -INFINITY, nan,  40.0, -40.0, 800.0,  -800.0};
  for (const auto& [name, row] : op_table()) {
    if (row.arity == 0) continue;
    const kindling::ValueOp op = ops.at(name);
    for (double pa : edges) {
      for (double pb : {2.5, -0.0, 1e-310, nan}) {
        INFO("op " << name << " at a = " << pa << ", b = " << pb);
        const std::array<Value, 2> inputs = {Value(pa), Value(pb)};
        const Value named = row.apply(inputs[0], inputs[1]);
        const double k = named.exponent();  // pow's row uses k = 3.5, the others 0
        const Value applied = kindling::apply_op(
            op, std::span<const Value>(inputs.data(), static_cast<std::size_t>(row.arity)), k);
        CHECK(same_bits(applied.data(), named.data()));
        CHECK(same_bits(kindling::forward_value(op, pa, pb, k), named.data()));
        CHECK(applied.op() == named.op());
        CHECK(same_bits(applied.exponent(), named.exponent()));
        const auto parents = applied.inputs();
        REQUIRE(parents.size() == static_cast<std::size_t>(row.arity));
        for (std::size_t i = 0; i < parents.size(); ++i)
          CHECK(parents[i].same_node(inputs[i]));
      }
    }
  }
}

TEST_CASE("apply_op refuses a leaf and a wrong number of inputs", "[value][ops]") {
  const std::array<Value, 2> two = {Value(1.0), Value(2.0)};
  CHECK_THROWS_AS(kindling::apply_op(kindling::ValueOp::leaf, std::span(two.data(), 1)),
                  kindling::error);
  CHECK_THROWS_WITH(kindling::apply_op(kindling::ValueOp::leaf, std::span(two.data(), 1)),
                    Catch::Matchers::Contains("apply_op: leaf is not an op"));
  CHECK_THROWS_WITH(kindling::apply_op(kindling::ValueOp::mul, std::span(two.data(), 1)),
                    Catch::Matchers::Contains("apply_op: mul takes 2 inputs, got 1"));
  CHECK_THROWS_WITH(kindling::apply_op(kindling::ValueOp::exp, two),
                    Catch::Matchers::Contains("apply_op: exp takes 1 input, got 2"));
  CHECK_THROWS_WITH(kindling::forward_value(kindling::ValueOp::leaf, 1.0),
                    Catch::Matchers::Contains("forward_value: leaf is not an op"));
}

// The form and label columns as the stepper, the parser and the DOT writer read them; relu's
// label is the tensor op's ("relu"), not "ReLU" (one DOT label per op in both engines).
TEST_CASE("the table's forms and labels", "[value][ops]") {
  using kindling::ValueForm;
  using kindling::ValueOp;
  CHECK(kindling::op_form(ValueOp::leaf) == ValueForm::leaf);
  for (ValueOp op : {ValueOp::add, ValueOp::sub, ValueOp::mul, ValueOp::div})
    CHECK(kindling::op_form(op) == ValueForm::infix);
  CHECK(kindling::op_form(ValueOp::neg) == ValueForm::negation);
  CHECK(kindling::op_form(ValueOp::pow) == ValueForm::power);
  for (ValueOp op : {ValueOp::exp, ValueOp::log, ValueOp::tanh, ValueOp::relu, ValueOp::sigmoid}) {
    CHECK(kindling::op_form(op) == ValueForm::call);
    CHECK(kindling::op_symbol(op) == kindling::op_name(op));  // a call is labelled by its name
  }
  CHECK(kindling::op_symbol(ValueOp::relu) == "relu");
  CHECK(kindling::op_symbol(ValueOp::mul) == "*");
  CHECK(kindling::op_symbol(ValueOp::neg) == "neg");
}

TEST_CASE("operators with doubles on either side", "[value][ops]") {
  Value a(3.0);
  CHECK((a + 2.0).data() == 5.0);
  CHECK((2.0 + a).data() == 5.0);
  CHECK((1.0 - a).data() == -2.0);
  CHECK((a - 1.0).data() == 2.0);
  CHECK((2.0 * a).data() == 6.0);
  CHECK((a * 2.0).data() == 6.0);
  CHECK((6.0 / a).data() == 2.0);
  CHECK((a / 2.0).data() == 1.5);
  CHECK((-a).data() == -3.0);
  Value b = 1.0 - a;  // d/da = -1
  b.backward();
  CHECK(a.grad() == -1.0);
  Value c(2.0);
  Value d = 6.0 / c;  // d/dc = -6 / c^2
  d.backward();
  CHECK(c.grad() == Approx(-1.5));
  Value e(1.0);
  e += 2.0;
  e *= 3.0;
  e -= 1.0;
  e /= 4.0;
  CHECK(e.data() == 2.0);
}

TEST_CASE("IEEE semantics: log of non-positive and fractional pow of a negative base", "[value]") {
  CHECK(std::isnan(Value(-1.0).log().data()));
  CHECK(Value(0.0).log().data() == -INFINITY);
  CHECK(std::isnan(Value(-8.0).pow(1.0 / 3.0).data()));
  CHECK(Value(-2.0).pow(3.0).data() == -8.0);  // integral exponents are fine
  Value x(-2.0);
  Value y = x.pow(2.0);
  y.backward();
  CHECK(x.grad() == -4.0);
}

// PyTorch 1.13's answers (torch.float64 0-d tensors; tests/python/test_special_values.py runs
// the full grid side by side): x.grad of x ** 0 is 0 even at 0, relu passes NaN on with slope 1
// and keeps -0, and a / b's slope in b stays 0 for a subnormal b.
TEST_CASE("Value at special values matches PyTorch", "[value][special]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (double a : {0.0, -0.0, static_cast<double>(INFINITY), nan}) {
    INFO("a = " << a);
    Value x(a);
    Value y = x.pow(0.0);
    y.backward();
    CHECK(y.data() == 1.0);
    CHECK(x.grad() == 0.0);  // was NaN at 0: 0 * 0^-1
  }
  Value z(0.0);
  Value r = z.pow(0.5);
  r.backward();
  CHECK(z.grad() == INFINITY);
  CHECK(Value(0.0).pow(-1.0).data() == INFINITY);
  CHECK(Value(1.0).pow(INFINITY).data() == 1.0);
  CHECK(Value(nan).pow(0.0).data() == 1.0);

  Value n(nan);
  Value rn = n.relu();
  rn.backward();
  CHECK(std::isnan(rn.data()));  // was 0
  CHECK(n.grad() == 1.0);
  CHECK(std::signbit(Value(-0.0).relu().data()));
  Value zero(0.0);
  Value rz = zero.relu();
  rz.backward();
  CHECK(zero.grad() == 0.0);

  Value p(0.0), q(1e-310);
  Value d = p / q;
  d.backward();
  CHECK(q.grad() == 0.0);  // -(a / b) / b; -a / (b * b) was 0 / 0
  CHECK(p.grad() == 1.0 / 1e-310);
}

TEST_CASE("sigmoid does not overflow for large inputs", "[value]") {
  CHECK(Value(-1000.0).sigmoid().data() == 0.0);
  CHECK(Value(1000.0).sigmoid().data() == 1.0);
  Value x(-800.0);
  Value y = x.sigmoid();
  y.backward();
  CHECK(std::isfinite(x.grad()));
}

TEST_CASE("a number base: pow(2, v) is 2^v with d/dv = 2^v ln 2", "[value]") {
  Value v(1.5, "v");
  Value p = kindling::pow(2.0, v);
  CHECK(p.data() == Approx(std::pow(2.0, 1.5)).epsilon(1e-15));
  p.backward();
  CHECK(v.grad() == Approx(std::pow(2.0, 1.5) * std::log(2.0)).epsilon(1e-15));
  // Central differences, independent of the formula above.
  const double h = 1e-6;
  const double fd = (std::pow(2.0, 1.5 + h) - std::pow(2.0, 1.5 - h)) / (2 * h);
  CHECK(v.grad() == Approx(fd).epsilon(1e-8));
  CHECK_THROWS_WITH(kindling::pow(0.0, v), Catch::Contains("pow(base, Value): the base must be"));
  CHECK_THROWS_WITH(kindling::pow(-2.0, v), Catch::Contains("got -2"));
}

TEST_CASE("comparisons read the data", "[value]") {
  const Value a(1.0), b(2.0), c(2.0);
  CHECK(a < b);
  CHECK(b > a);
  CHECK(b <= c);
  CHECK(b >= c);
  CHECK_FALSE(b < c);
  CHECK_FALSE(Value(std::nan("")) < b);  // NaN compares false, as double does
}

TEST_CASE("compound assignment keeps the label, operator<< prints the repr", "[value]") {
  Value acc(0.0, "acc");
  const Value w(2.0, "w");
  acc += w * 3.0;
  CHECK(acc.label() == "acc");
  CHECK(acc.data() == 6.0);
  CHECK(acc.inputs()[0].label() == "acc");  // the old node keeps its label too
  acc *= w;
  CHECK(acc.label() == "acc");
  Value unnamed(1.0);
  unnamed -= w;
  CHECK(unnamed.label().empty());
  std::ostringstream out;
  out << acc;
  CHECK(out.str() == "Value(data=12.0000, grad=0.0000)");
}

TEST_CASE("a Value prints every NaN as nan and infinities as inf and -inf, as torch", "[value]") {
  // printf writes "-nan" for a NaN with its sign bit set; torch prints "nan" for every NaN.
  const double negative_nan = std::copysign(std::numeric_limits<double>::quiet_NaN(), -1.0);
  REQUIRE(std::signbit(negative_nan));
  const Value a(negative_nan);
  Value b(1.0);
  const Value y = a * b;
  y.backward();  // b's gradient is a's value, the negative NaN
  REQUIRE(std::signbit(b.grad()));
  CHECK(to_string(a) == "Value(data=nan, grad=1.0000)");
  CHECK(to_string(b) == "Value(data=1.0000, grad=nan)");
  std::ostringstream out;
  out << Value(std::copysign(std::numeric_limits<float>::quiet_NaN(), -1.0f)) << " "
      << Value(std::numeric_limits<double>::infinity()) << " "
      << Value(-std::numeric_limits<double>::infinity());
  CHECK(out.str() ==
        "Value(data=nan, grad=0.0000) Value(data=inf, grad=0.0000) Value(data=-inf, grad=0.0000)");
}

TEST_CASE("zero_grads clears every node of the graph, leaves and constants included", "[value]") {
  Value x(2.0, "x");
  Value y = (x * 3.0 + 1.0).tanh();
  y.backward();
  std::vector<Value> nodes = {y};
  bool any_nonzero = false;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    any_nonzero = any_nonzero || nodes[i].grad() != 0.0;
    for (const Value& input : nodes[i].inputs())
      nodes.push_back(input);
  }
  REQUIRE(any_nonzero);
  kindling::zero_grads(y);
  for (const Value& node : nodes)
    CHECK(node.grad() == 0.0);
}
