// The expression parser of step_backprop: values against C++'s own arithmetic, precedence and
// associativity, shared variables, and errors that point at the right column.
#include <catch2/catch.hpp>

#include <cmath>
#include <initializer_list>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "kindling/engine/error.hpp"
#include "kindling/engine/value.hpp"
#include "kindling/explain/expression.hpp"

using kindling::ExpressionVariables;
using kindling::parse_expression;
using kindling::Value;

namespace {

double eval(const std::string& text, const ExpressionVariables& variables = {}) {
  return parse_expression(text, variables).data();
}

// The column an error points at, and a check that the message has the caret line under it.
std::size_t error_column(const std::string& text, const ExpressionVariables& variables = {}) {
  try {
    parse_expression(text, variables);
  } catch (const kindling::expression_error& e) {
    const std::string message = e.what();
    INFO(message);
    // The last two lines: "  <text>" and "  " + (column - 1) spaces + "^".
    const std::string caret = "\n  " + text + "\n  " + std::string(e.column() - 1, ' ') + "^";
    CHECK(message.size() >= caret.size());
    CHECK(message.compare(message.size() - caret.size(), caret.size(), caret) == 0);
    CHECK(message.find("column " + std::to_string(e.column())) != std::string::npos);
    return e.column();
  }
  FAIL("no error for \"" << text << "\"");
  return 0;
}

}  // namespace

TEST_CASE("parser: numbers and precedence", "[expression]") {
  CHECK(eval("2 + 3 * 4") == 2 + 3 * 4);
  CHECK(eval("(2 + 3) * 4") == (2 + 3) * 4);
  CHECK(eval("10 - 4 - 3") == (10 - 4) - 3);  // left-associative
  CHECK(eval("8 / 4 / 2") == (8.0 / 4.0) / 2.0);
  CHECK(eval("2 * 3 ^ 2") == 2 * 9);  // ^ above *
  CHECK(eval("  1.5e1+.5 ") == 15.5);
  CHECK(eval("6.8813735870195432") == 6.8813735870195432);
  CHECK(eval("1E-3") == 1e-3);
}

TEST_CASE("parser: ^ is right-associative and binds tighter than unary minus", "[expression]") {
  CHECK(eval("2 ^ 3 ^ 2") == std::pow(2.0, 9.0));  // 2^(3^2) = 512, not (2^3)^2 = 64
  CHECK(eval("-2 ^ 2") == -4.0);
  CHECK(eval("(-2) ^ 2") == 4.0);
  CHECK(eval("2 ^ -1") == 0.5);
  CHECK(eval("4 ^ (1 / 2)") == 2.0);
  CHECK(eval("--3") == 3.0);
  CHECK(eval("-+-3") == 3.0);
  CHECK(eval("2 * -3") == -6.0);
  CHECK(eval("2 - -3") == 5.0);
}

TEST_CASE("parser: functions and variables build a differentiable graph", "[expression]") {
  ExpressionVariables vars;
  vars.emplace("x", Value(0.5, "x"));
  vars.emplace("y", Value(-2.0, "y"));
  CHECK(eval("exp(x) + log(2) - tanh(y) * relu(y) + sigmoid(0)", vars) ==
        Approx(std::exp(0.5) + std::log(2.0) - 0.0 + 0.5));
  CHECK(eval("relu(-y)", vars) == 2.0);

  // A variable used twice is one node: d(x*x + 3*x)/dx = 2x + 3.
  Value f = parse_expression("x*x + 3*x", vars);
  f.backward();
  CHECK(vars.at("x").grad() == Approx(2 * 0.5 + 3));
  // Literals are labelled leaves, variables the caller's nodes.
  Value g = parse_expression("x * 2.50", vars);
  CHECK(g.inputs()[0].same_node(vars.at("x")));
  CHECK(g.inputs()[1].label() == "2.50");

  // The neuron of the example.
  ExpressionVariables neuron;
  const std::initializer_list<std::pair<const char*, double>> inputs = {
      {"x1", 2.0}, {"x2", 0.0}, {"w1", -3.0}, {"w2", 1.0}, {"b", 6.8813735870195432}};
  for (const auto& [name, value] : inputs)
    neuron.emplace(name, Value(value, name));
  Value o = parse_expression("tanh(x1*w1 + x2*w2 + b)", neuron);
  CHECK(o.data() == Approx(std::sqrt(0.5)));
  o.backward();
  CHECK(neuron.at("x1").grad() == Approx(-1.5));
  CHECK(neuron.at("w1").grad() == Approx(1.0));
}

TEST_CASE("parser: errors point at the column", "[expression]") {
  ExpressionVariables vars;
  vars.emplace("x", Value(1.0, "x"));
  CHECK(error_column("1 +") == 4);           // end of input
  CHECK(error_column("(1 + 2") == 7);        // missing ')'
  CHECK(error_column("2 $ 3") == 3);         // stray character
  CHECK(error_column("x + y", vars) == 5);   // unknown variable
  CHECK(error_column("foo(x)", vars) == 1);  // unknown function
  CHECK(error_column("tanh", vars) == 1);    // a function name used as a variable
  CHECK(error_column("x ^ x", vars) == 5);   // exponent depends on a variable
  CHECK(error_column("2 ^ (1 + x)", vars) == 5);
  CHECK(error_column("1.2.3") == 1);  // malformed number
  CHECK(error_column("2 x", vars) == 3);
  CHECK(error_column("()") == 2);
  CHECK(error_column("tanh(x", vars) == 7);
  CHECK(error_column("") == 1);
  CHECK_THROWS_AS(parse_expression("1 +", {}), kindling::error);  // the library's error type
  CHECK_THROWS_WITH(parse_expression("x + y", vars), Catch::Contains("unknown variable 'y'"));
}

TEST_CASE("parser: the nesting limit is exactly kMaxExpressionDepth, counted as documented",
          "[expression]") {
  // expression.hpp: parentheses (a call's too), unary signs and exponents count one level each.
  constexpr std::size_t limit = kindling::kMaxExpressionDepth;
  REQUIRE(limit == 256);
  auto repeat = [](const std::string& piece, std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i)
      out += piece;
    return out;
  };
  // Parentheses: 256 parse, the 257th '(' (column 257) is one too many.
  CHECK(eval(repeat("(", limit) + "1" + repeat(")", limit)) == 1.0);
  CHECK(error_column(repeat("(", limit + 1) + "1" + repeat(")", limit + 1)) == limit + 1);
  // Unary signs: 256 minus signs give +1, the 257th sign is at column 257.
  CHECK(eval(repeat("-", limit) + "1") == 1.0);
  CHECK(eval(repeat("+", limit) + "1") == 1.0);
  CHECK(error_column(repeat("-", limit + 1) + "1") == limit + 1);
  // Function calls: relu(relu(...(1)...)); the 257th call's '(' is at column 5 * 257.
  CHECK(eval(repeat("relu(", limit) + "1" + repeat(")", limit)) == 1.0);
  CHECK(error_column(repeat("relu(", limit + 1) + "1" + repeat(")", limit + 1)) == 5 * (limit + 1));
  // Exponents: 1^1^...^1 with 256 '^'; the 257th exponent starts at column 2 * 257 + 1.
  CHECK(eval(std::string("1").append(repeat("^1", limit))) == 1.0);
  CHECK(error_column(std::string("1").append(repeat("^1", limit + 1))) == 2 * (limit + 1) + 1);
  // Mixed: each "-(" opens two levels.
  CHECK(eval(repeat("-(", limit / 2) + "1" + repeat(")", limit / 2)) == 1.0);
  CHECK(error_column(repeat("-(", limit / 2) + "-1" + repeat(")", limit / 2)) == limit + 1);
  // Constructs side by side do not add up: only those open at once count.
  CHECK(eval(repeat("(1)+", 1000) + "(-(1))") == 1000.0 - 1.0);
  CHECK(eval(repeat("(", limit - 1) + "-1" + repeat(")", limit - 1) + "*" + repeat("(", limit) +
             "1" + repeat(")", limit)) == -1.0);
  // Far past the limit the parser stops at the limit, with its stack untouched.
  const std::string deep = std::string(100000, '(') + "1" + std::string(100000, ')');
  CHECK_THROWS_WITH(parse_expression(deep, {}), Catch::Contains("nesting deeper than 256 levels"));
  CHECK(error_column(std::string(100000, '-') + "1") == limit + 1);
  CHECK(error_column(std::string("2").append(repeat("^1", 1000))) == 2 * (limit + 1) + 1);
}

TEST_CASE("parser: numbers beyond a double are out of range, subnormals are kept", "[expression]") {
  using limits = std::numeric_limits<double>;
  // Overflow: named as such, at the number's column (it was called "malformed").
  CHECK(error_column("1e999") == 1);
  CHECK_THROWS_WITH(
      parse_expression("1e999", {}),
      Catch::StartsWith("parse_expression: number '1e999' at column 1 is out of range "
                        "(a double's largest finite value is about 1.8e308)"));
  CHECK(error_column("2 * 1e999") == 5);
  CHECK(eval("1.7976931348623157e308") == limits::max());
  CHECK_THROWS_WITH(parse_expression("1.7976931348623159e308", {}),
                    Catch::Contains("is out of range (a double's largest"));
  CHECK_THROWS_WITH(parse_expression("1" + std::string(400, '0'), {}),
                    Catch::Contains("is out of range (a double's largest"));
  CHECK_THROWS_WITH(parse_expression("1e99999999999999999999999", {}),
                    Catch::Contains("is out of range (a double's largest"));
  // Underflow: nonzero text that would round to 0 is an error too, not a silent 0.
  CHECK_THROWS_WITH(parse_expression("1e-400", {}),
                    Catch::StartsWith("parse_expression: number '1e-400' at column 1 is out of "
                                      "range (not 0, but below the smallest double"));
  CHECK_THROWS_WITH(parse_expression("2e-324", {}), Catch::Contains("below the smallest double"));
  CHECK_THROWS_WITH(parse_expression("0." + std::string(400, '0') + "1", {}),
                    Catch::Contains("below the smallest double"));
  CHECK_THROWS_WITH(parse_expression("1e-99999999999999999999", {}),
                    Catch::Contains("below the smallest double"));
  // Subnormals are doubles: kept, as IEEE arithmetic (and PyTorch, and Python) keep them.
  CHECK(eval("4.9e-324") == limits::denorm_min());
  CHECK(eval("3e-324") == limits::denorm_min());  // rounds to the nearest double, 2^-1074
  CHECK(std::fpclassify(eval("1e-310")) == FP_SUBNORMAL);
  CHECK(eval("1e-310") == 1e-310);
  CHECK(eval("2.2250738585072014e-308") == limits::min());
  // Zero with any exponent is zero.
  CHECK(eval("0e999") == 0.0);
  CHECK(eval("0.000e-99999") == 0.0);
  // A literal's label is its text, whatever its value.
  CHECK(parse_expression("4.9e-324", {}).label() == "4.9e-324");
}

namespace {

std::size_t program_error_column(const std::string& text, const ExpressionVariables& variables) {
  try {
    kindling::parse_program(text, variables);
  } catch (const kindling::expression_error& e) {
    INFO(e.what());
    CHECK(std::string(e.what()).rfind("parse_program: ", 0) == 0);
    CHECK(std::string(e.what()).find("\n  " + text + "\n") != std::string::npos);
    return e.column();
  }
  FAIL("no error for \"" << text << "\"");
  return 0;
}

}  // namespace

TEST_CASE("programs: micrograd's README example gives the graph built by hand", "[expression]") {
  // The graph as micrograd's README builds it, with C++ operators (x += y is x = x + y).
  Value a(-4.0, "a"), b(2.0, "b");
  Value c = a + b;
  Value d = a * b + b.pow(3);
  c = c + (c + 1.0);
  c = c + (1.0 + c + (-a));
  d = d + (d * 2.0 + (b + a).relu());
  d = d + (3.0 * d + (b - a).relu());
  Value e = c - d;
  Value f = e.pow(2);
  Value g = f / 2.0;
  g = g + 10.0 / f;
  g.backward();

  Value pa(-4.0, "a"), pb(2.0, "b");
  const ExpressionVariables vars{{"a", pa}, {"b", pb}};
  Value pg = kindling::parse_program(
      "c = a + b; d = a * b + b^3; c = c + (c + 1); c = c + (1 + c + (-a));"
      " d = d + (d * 2 + relu(b + a)); d = d + (3 * d + relu(b - a)); e = c - d; f = e^2;"
      " g = f / 2; g = g + 10 / f;",
      vars);
  pg.backward();
  CHECK(pg.data() == g.data());
  CHECK(pa.grad() == a.grad());
  CHECK(pb.grad() == b.grad());
  // micrograd's README prints these, to four decimals.
  CHECK(pg.data() == Approx(24.7041).margin(5e-5));
  CHECK(pa.grad() == Approx(138.8338).margin(5e-5));
  CHECK(pb.grad() == Approx(645.5773).margin(5e-5));
  CHECK(pg.label() == "g");
}

TEST_CASE("programs: a bound name is its node, reused, and labels it", "[expression]") {
  Value x(3.0, "x"), y(-2.0, "y");
  const ExpressionVariables vars{{"x", x}, {"y", y}};
  Value out = kindling::parse_program("h = x * y; h * x + h", vars);
  out.backward();
  // out = x^2 y + x y: d/dx = 2 x y + y, d/dy = x^2 + x.
  CHECK(out.data() == -18.0 - 6.0);
  CHECK(x.grad() == 2 * 3.0 * -2.0 + -2.0);
  CHECK(y.grad() == 9.0 + 3.0);
  const std::vector<Value> inputs = out.inputs();
  REQUIRE(inputs.size() == 2);
  CHECK(inputs[1].label() == "h");
  // Rebinding shadows; binding a leaf keeps the leaf's own label; a trailing ';' is fine.
  Value twice = kindling::parse_program("x = x * 2; x = x * 2; z = y; x + z;", vars);
  CHECK(twice.data() == 12.0 - 2.0);
  CHECK(y.label() == "y");
  CHECK(twice.inputs()[0].label() == "x");
  // A one-statement program is an expression.
  CHECK(kindling::parse_program("tanh(x*y)", vars).data() == std::tanh(-6.0));
}

TEST_CASE("programs: errors point at the column of the whole text", "[expression]") {
  Value x(1.0, "x");
  const ExpressionVariables vars{{"x", x}};
  CHECK(program_error_column("", vars) == 1);
  CHECK(program_error_column("x;;", vars) == 3);            // an empty statement
  CHECK(program_error_column("h = x; h + k", vars) == 12);  // unknown variable, second statement
  CHECK(program_error_column("exp = x", vars) == 1);        // a function cannot be assigned
  CHECK(program_error_column("h = ; x", vars) == 5);
  CHECK(program_error_column("h = x h", vars) == 7);  // a missing ';'
  CHECK(program_error_column("2 = x", vars) == 3);    // only names are assigned
  CHECK(program_error_column("h = x; h == x", vars) == 11);
  // An expression stays one: ';' is not part of its grammar.
  CHECK(error_column("x; x", vars) == 2);
}
