// The explaining tools read the Value op table (Note [scalar op table]) instead of keeping copies
// of it: for every op of KINDLING_VALUE_OPS, the stepper's expression text parses back to the same
// op with the same bits, and gradcheck's central difference agrees with backward(). An op added
// to the table with a form these tools do not handle fails here, without a row to write.
#include <catch2/catch.hpp>

#include <array>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "kindling/engine/value.hpp"
#include "kindling/explain/expression.hpp"
#include "kindling/explain/gradcheck.hpp"
#include "kindling/explain/value_stepper.hpp"

using kindling::Value;
using kindling::ValueOp;

namespace {

struct TableOp {
  ValueOp op;
  int arity;
};

std::vector<TableOp> every_op() {
  return {
#define KINDLING_X(name, label, arity, form) {ValueOp::name, arity},
      KINDLING_VALUE_OPS(KINDLING_X)
#undef KINDLING_X
  };
}

bool same_bits(double x, double y) {
  return std::memcmp(&x, &y, sizeof x) == 0;
}

}  // namespace

TEST_CASE("every op's step text parses back to the same op, bit for bit", "[stepper][expression]") {
  std::size_t checked = 0;
  for (const TableOp& row : every_op()) {
    if (row.arity == 0) continue;
    INFO("op " << kindling::op_name(row.op));
    kindling::ExpressionVariables variables;
    variables.emplace("x", Value(0.7, "x"));
    variables.emplace("y", Value(1.3, "y"));
    const std::array<Value, 2> inputs = {variables.at("x"), variables.at("y")};
    Value c = kindling::apply_op(
        row.op, std::span<const Value>(inputs.data(), static_cast<std::size_t>(row.arity)), 3.0);
    c.set_label("c");
    kindling::ValueStepper stepper(c);
    const std::string expression = stepper.step().expression;  // "c = x + y", "c = relu(x)"
    REQUIRE(expression.rfind("c = ", 0) == 0);
    const Value parsed = kindling::parse_expression(expression.substr(4), variables);
    CHECK(parsed.op() == row.op);
    CHECK(same_bits(parsed.data(), c.data()));
    ++checked;
  }
  CHECK(checked + 1 == kindling::kValueOpCount);  // every op but leaf
}

TEST_CASE("gradcheck's recompute covers every op of the table", "[gradcheck]") {
  for (const TableOp& row : every_op()) {
    if (row.arity == 0) continue;
    INFO("op " << kindling::op_name(row.op));
    const std::array<Value, 2> inputs = {Value(0.7, "x"), Value(1.3, "y")};
    // A node after the op, so that the op's own node is recomputed when its inputs are nudged.
    Value c = kindling::apply_op(
        row.op, std::span<const Value>(inputs.data(), static_cast<std::size_t>(row.arity)), 3.0);
    Value out = c * 1.5;
    out.backward();
    const kindling::GradcheckReport report = kindling::gradcheck(out);
    CHECK(report.max_relative_error < 1e-6);
    CHECK(inputs[0].data() == 0.7);  // restored
  }
}
