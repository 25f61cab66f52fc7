// The gradcheck-coloured graph: right gradients check green everywhere, and a gradient corrupted
// at one step (what a wrong backward formula does) turns exactly the nodes upstream of it red.
#include <catch2/catch.hpp>

#include <string>

#include "dot_support.hpp"
#include "kindling/engine/error.hpp"
#include "kindling/explain/gradcheck.hpp"
#include "kindling/explain/value_stepper.hpp"

using kindling::Value;

namespace {

const kindling::NodeGradcheck& check_of(const kindling::GradcheckReport& report, const Value& v) {
  for (const auto& check : report.nodes) {
    if (check.node.same_node(v)) return check;
  }
  FAIL("node not in the report");
  return report.nodes.front();
}

}  // namespace

TEST_CASE("gradcheck agrees with backward() on every op", "[gradcheck]") {
  Value a(0.8, "a"), b(-1.7, "b");
  Value c = (a / b - a).pow(3.0) + (-b).exp() * (a * 2.0).log();
  Value out = c.sigmoid() + (b * a).relu() + (a - b).relu() + c.tanh();
  out.backward();
  const double a_data = a.data();
  const kindling::GradcheckReport report = kindling::gradcheck(out);
  CHECK(a.data() == a_data);  // every value restored
  CHECK(out.data() == Approx(c.sigmoid().data() + (a - b).data() + std::tanh(c.data())));
  CHECK(report.nodes.size() == kindling::engine::topological_order(out.node()).size());
  CHECK(report.max_relative_error < 1e-6);
  CHECK(check_of(report, a).numeric == Approx(a.grad()).epsilon(1e-6));

  const std::string dot = kindling::gradcheck_dot(out, report);
  CHECK(dot.find("#a5d6a7") != std::string::npos);
  CHECK(dot.find("#ef9a9a") == std::string::npos);
  dot_test::render_svg(dot, "gradcheck_ok");
  CHECK_THROWS_AS(kindling::gradcheck(out, 0.0), kindling::error);
}

TEST_CASE("a corrupted gradient shows where it entered", "[gradcheck]") {
  Value x1(2.0, "x1"), x2(0.0, "x2"), w1(-3.0, "w1"), w2(1.0, "w2");
  Value b(6.8813735870195432, "b");
  Value x1w1 = x1 * w1, x2w2 = x2 * w2;
  Value s = x1w1 + x2w2;
  Value n = s + b;
  Value o = n.tanh();
  // Step the pass, and right after n = s + b has run, add a wrong share to s: what a wrong
  // derivative of + in its first input would do. Everything upstream of s inherits the error.
  kindling::ValueStepper stepper(o);
  stepper.step();                             // o = tanh(n)
  REQUIRE(stepper.step().node.same_node(n));  // n = s + b
  s.set_grad(s.grad() + 0.3);
  stepper.run_to_end();

  const kindling::GradcheckReport report = kindling::gradcheck(o);
  for (const Value& right : {o, n, b})
    CHECK(check_of(report, right).relative_error < 1e-6);
  for (const Value& wrong : {s, x1w1, x2w2, x1, w1, x2})
    CHECK(check_of(report, wrong).relative_error > 1e-3);
  // w2's gradient is x2 * (upstream) = 0 whatever the upstream: the error cannot reach it.
  CHECK(check_of(report, w2).relative_error < 1e-6);

  const std::string dot = kindling::gradcheck_dot(o, report);
  const auto order = kindling::engine::topological_order(o.node());
  for (std::size_t i = 0; i < order.size(); ++i) {
    const std::string head = std::string("  n").append(std::to_string(i)).append(" [");
    const std::size_t at = dot.find(head);
    REQUIRE(at != std::string::npos);
    const std::string line = dot.substr(at, dot.find('\n', at) - at);
    const bool red = report.nodes[i].relative_error > 1e-3;
    CHECK((line.find("#ef9a9a") != std::string::npos) == red);
    CHECK(line.find("xlabel=\"fd ") != std::string::npos);
  }
  dot_test::render_svg(dot, "gradcheck_corrupted");

  Value other(1.0);
  CHECK_THROWS_AS(kindling::gradcheck_dot(other, report), kindling::error);
}
