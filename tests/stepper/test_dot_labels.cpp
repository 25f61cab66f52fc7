// One DOT label per op in both engines: every Value op that has a tensor op of the same name shows
// the same label in a graph of either engine, taken from the two op tables (the Value table's label
// column, engine/value.hpp; the tensor rows' label column, tensor/op_list.hpp), so that an op
// added to both cannot draw two different labels. The symbols reach the DOT text escaped as any
// label is, and Graphviz accepts them.
#include <catch2/catch.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "dot_support.hpp"
#include "kindling/engine/value.hpp"
#include "kindling/explain/dot.hpp"
#include "kindling/explain/tensor_dot.hpp"
#include "kindling/tensor.hpp"

namespace {

// The tensor op named `name`, if there is one.
std::optional<kindling::TensorOp> tensor_op_named(std::string_view name) {
  for (std::size_t i = 1; i < kindling::kTensorOpCount; ++i) {
    const auto op = static_cast<kindling::TensorOp>(i);
    if (kindling::op_name(op) == name) return op;
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("a Value op and the tensor op of its name have the same DOT label", "[dot][tensor]") {
  std::size_t shared = 0;
  for (std::size_t i = 1; i < kindling::kValueOpCount; ++i) {  // 0 is leaf, which has no op node
    const auto value_op = static_cast<kindling::ValueOp>(i);
    const std::string_view name = kindling::op_name(value_op);
    INFO("op " << name);
    const std::optional<kindling::TensorOp> tensor_op = tensor_op_named(name);
    if (!tensor_op) continue;
    ++shared;
    CHECK(kindling::op_symbol(value_op) == kindling::op_label(*tensor_op));
    CHECK(kindling::op_name(*tensor_op) == name);  // op_name stays the name: error messages use it
  }
  // add, sub, mul, div, neg, pow, exp, log, tanh, relu, sigmoid: every Value op has a tensor twin
  // today, so a renamed tensor op (no twin found, nothing compared) fails here.
  CHECK(shared == 11);
}

TEST_CASE("the arithmetic ops draw micrograd's symbols in both engines", "[dot][tensor]") {
  // micrograd draws "+" and "*"; the tensor graph used to say "add" and "mul".
  CHECK(kindling::op_label(kindling::TensorOp::add) == "+");
  CHECK(kindling::op_label(kindling::TensorOp::sub) == "-");
  CHECK(kindling::op_label(kindling::TensorOp::mul) == "*");
  CHECK(kindling::op_label(kindling::TensorOp::div) == "/");
  CHECK(kindling::op_label(kindling::TensorOp::pow) == "^");
  CHECK(kindling::op_symbol(kindling::ValueOp::pow) == "^");
  CHECK(kindling::op_name(kindling::TensorOp::mul) == "mul");

  const kindling::Tensor a = kindling::tensor({0.5, 2.0}, {2}).set_requires_grad().set_label("a");
  const kindling::Tensor b = kindling::tensor({1.5, 3.0}, {2}).set_label("b");
  const kindling::Tensor y = (a + b) * (a - b) / kindling::pow(a, b);
  const std::string tensor_dot = kindling::to_dot(y);
  const kindling::Value u(0.5, "u"), v(1.5, "v");
  const std::string value_dot = kindling::to_dot((u + v) * (u - v) / u.pow(2.0));
  for (const char* symbol : {"+", "-", "*", "/"}) {
    INFO("symbol " << symbol);
    const std::string node = std::string("[shape=ellipse label=\"") + symbol + "\"]";
    CHECK(tensor_dot.find(node) != std::string::npos);
    CHECK(value_dot.find(node) != std::string::npos);
  }
  // pow: the Value node shows its constant exponent, the tensor node gets it as an input edge.
  CHECK(value_dot.find("[shape=ellipse label=\"^2\"]") != std::string::npos);
  CHECK(tensor_dot.find("[shape=ellipse label=\"^\"]") != std::string::npos);
  dot_test::render_svg(tensor_dot, "tensor_symbols");
  dot_test::render_svg(value_dot, "value_symbols");
}
