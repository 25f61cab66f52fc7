// Value: the scalar ops, each forward beside its local derivatives (Note [scalar op table]).
#include "kindling/engine/value.hpp"

#include <cmath>
#include <cstdio>
#include <new>

#include "kindling/engine/error.hpp"
#include "kindling/engine/format.hpp"
#include "kindling/engine/grad_mode.hpp"
#include "kindling/engine/pool.hpp"

namespace kindling {

namespace {

using Pool = engine::NodePool<ValueNode>;

ValueNode* new_node(double data) {
  auto* node = new (Pool::this_thread().allocate()) ValueNode;
  node->data = data;
  return node;
}

// The result of an op: a node computed from `a` (and `b`). With grad mode off it is a leaf, and no
// graph is recorded. In anomaly mode a non-finite result throws, naming the op and its inputs.
Value make_result(ValueOp op, double data, const Value& a, const Value* b = nullptr,
                  double exponent = 0.0) {
  if (is_anomaly_enabled() && !std::isfinite(data)) [[unlikely]] {
    detail::throw_error(op_name(op), ": result is ", data, " for input a = ", a.data(),
                        b ? ", b = " + std::to_string(b->data()) : std::string{},
                        op == ValueOp::pow ? ", k = " + std::to_string(exponent) : std::string{});
  }
  ValueNode* node = new_node(data);
  if (is_grad_enabled()) {
    node->op = op;
    node->exponent = exponent;
    node->inputs[0] = a.node();
    engine::retain(a.node());
    node->input_count = 1;
    if (b != nullptr) {
      node->inputs[1] = b->node();
      engine::retain(b->node());
      node->input_count = 2;
    }
  }
  return Value::from_node(node);
}

double input(const ValueNode& c, int i) {
  return c.inputs[i]->data;
}

}  // namespace

// Derivative rules, one specialisation per op: d(c)/d(input i) for c = op(a, b), and its formula.
template <ValueOp op>
struct ValueRule;

// ---- leaf: a Value made from a number -----------------------------------------------------------
template <>
struct ValueRule<ValueOp::leaf> {
  static constexpr std::string_view formula[] = {""};
  static double derivative(const ValueNode&, int) { return 0.0; }
};

Value::Value(double data) : node_(new_node(data)) {}
Value::Value(double data, std::string label) : Value(data) {
  set_label(std::move(label));
}

// ---- add: c = a + b -----------------------------------------------------------------------------
Value operator+(const Value& a, const Value& b) {
  return make_result(ValueOp::add, a.data() + b.data(), a, &b);
}
template <>
struct ValueRule<ValueOp::add> {
  static constexpr std::string_view formula[] = {"1", "1"};
  static double derivative(const ValueNode&, int) { return 1.0; }
};

// ---- sub: c = a - b -----------------------------------------------------------------------------
Value operator-(const Value& a, const Value& b) {
  return make_result(ValueOp::sub, a.data() - b.data(), a, &b);
}
template <>
struct ValueRule<ValueOp::sub> {
  static constexpr std::string_view formula[] = {"1", "-1"};
  static double derivative(const ValueNode&, int i) { return i == 0 ? 1.0 : -1.0; }
};

// ---- mul: c = a * b -----------------------------------------------------------------------------
Value operator*(const Value& a, const Value& b) {
  return make_result(ValueOp::mul, a.data() * b.data(), a, &b);
}
template <>
struct ValueRule<ValueOp::mul> {
  static constexpr std::string_view formula[] = {"b", "a"};
  static double derivative(const ValueNode& c, int i) { return input(c, 1 - i); }
};

// ---- div: c = a / b -----------------------------------------------------------------------------
Value operator/(const Value& a, const Value& b) {
  return make_result(ValueOp::div, a.data() / b.data(), a, &b);
}
// -a / b^2 is evaluated as -(a / b) / b = -c / b: b^2 underflows to 0 for a subnormal b (0 / 0 =
// NaN where the slope is 0 or finite). The contributions divide the upstream grad by b rather
// than multiply it by 1 / b, which overflows for |b| just below 1 / DBL_MAX (chain_contribution).
template <>
struct ValueRule<ValueOp::div> {
  static constexpr std::string_view formula[] = {"1 / b", "-a / b^2"};
  static double derivative(const ValueNode& c, int i) {
    const double b = input(c, 1);
    return i == 0 ? 1.0 / b : -(c.data / b);
  }
  static double contribution(const ValueNode& c, int i) {
    const double b = input(c, 1);
    return i == 0 ? c.grad / b : -(c.data / b) * c.grad;
  }
};

// ---- neg: c = -a --------------------------------------------------------------------------------
Value operator-(const Value& a) {
  return make_result(ValueOp::neg, -a.data(), a);
}
template <>
struct ValueRule<ValueOp::neg> {
  static constexpr std::string_view formula[] = {"-1"};
  static double derivative(const ValueNode&, int) { return -1.0; }
};

// ---- pow: c = a^k, k a constant ----------------------------------------------------------------
// A negative base with a fractional k gives NaN, as IEEE 754 (and std::pow) says.
namespace {
// a^k as PyTorch's pow with a number exponent computes it: k = 0.5 and -0.5 are sqrt and rsqrt,
// which differ from C99's pow at -0 (sqrt(-0) = -0) and -inf (NaN); any other k is std::pow.
double power(double a, double k) {
  if (k == 0.5) return std::sqrt(a);
  if (k == -0.5) return 1.0 / std::sqrt(a);
  return std::pow(a, k);
}
}  // namespace

Value Value::pow(double k) const {
  return make_result(ValueOp::pow, power(data(), k), *this, nullptr, k);
}
// The derivative of a^0 is 0 everywhere, 0 included (not 0 * 0^-1 = NaN), as PyTorch's
// pow_backward; a mask, so it stays 0 for any upstream grad.
template <>
struct ValueRule<ValueOp::pow> {
  static constexpr std::string_view formula[] = {"k * a^(k-1)"};
  static bool masked(const ValueNode& c, int) { return c.exponent == 0.0; }
  static double derivative(const ValueNode& c, int) {
    if (c.exponent == 0.0) return 0.0;
    return c.exponent * power(input(c, 0), c.exponent - 1.0);
  }
};

// ---- exp: c = e^a -------------------------------------------------------------------------------
Value Value::exp() const {
  return make_result(ValueOp::exp, std::exp(data()), *this);
}
template <>
struct ValueRule<ValueOp::exp> {
  static constexpr std::string_view formula[] = {"c"};
  static double derivative(const ValueNode& c, int) { return c.data; }
};

// ---- log: c = ln a (NaN for a < 0, -inf for a = 0, as IEEE 754 says) ----------------------------
Value Value::log() const {
  return make_result(ValueOp::log, std::log(data()), *this);
}
template <>
struct ValueRule<ValueOp::log> {
  static constexpr std::string_view formula[] = {"1 / a"};
  static double derivative(const ValueNode& c, int) { return 1.0 / input(c, 0); }
  // g / a, not g * (1 / a): 1 / a overflows for a subnormal a, and 0 * inf is NaN (PyTorch's
  // log backward divides too).
  static double contribution(const ValueNode& c, int) { return c.grad / input(c, 0); }
};

// ---- tanh: c = tanh a ---------------------------------------------------------------------------
Value Value::tanh() const {
  return make_result(ValueOp::tanh, std::tanh(data()), *this);
}
template <>
struct ValueRule<ValueOp::tanh> {
  static constexpr std::string_view formula[] = {"1 - c^2"};
  static double derivative(const ValueNode& c, int) { return 1.0 - c.data * c.data; }
};

// ---- relu: c = max(a, 0); the derivative at 0 is 0, as in PyTorch -------------------------------
// PyTorch's edges too: relu(NaN) = NaN with derivative 1 (its threshold_backward tests c <= 0),
// and relu(-0) = -0.
Value Value::relu() const {
  return make_result(ValueOp::relu, data() < 0.0 ? 0.0 : data(), *this);
}
template <>
struct ValueRule<ValueOp::relu> {
  static constexpr std::string_view formula[] = {"(a > 0 ? 1 : 0)"};
  static bool masked(const ValueNode& c, int) { return input(c, 0) <= 0.0; }
  static double derivative(const ValueNode& c, int) { return input(c, 0) <= 0.0 ? 0.0 : 1.0; }
};

// ---- sigmoid: c = 1 / (1 + e^-a), computed without overflow for large |a| -----------------------
Value Value::sigmoid() const {
  const double a = data();
  const double c = a >= 0.0 ? 1.0 / (1.0 + std::exp(-a)) : std::exp(a) / (1.0 + std::exp(a));
  return make_result(ValueOp::sigmoid, c, *this);
}
template <>
struct ValueRule<ValueOp::sigmoid> {
  static constexpr std::string_view formula[] = {"c * (1 - c)"};
  static double derivative(const ValueNode& c, int) { return c.data * (1.0 - c.data); }
};

// ---- the table's dispatch -----------------------------------------------------------------------

namespace {
// Input i's share of c.grad: the rule's own contribution() where it has one, else its derivative
// times c.grad, or 0 where the rule says its derivative is a mask (chain_contribution in
// value.hpp).
template <ValueOp op>
double contribution_of(const ValueNode& c, int i) {
  using Rule = ValueRule<op>;
  if constexpr (requires { Rule::contribution(c, i); }) {
    return Rule::contribution(c, i);
  } else {
    if constexpr (requires { Rule::masked(c, i); }) {
      if (Rule::masked(c, i)) return 0.0;
    }
    return Rule::derivative(c, i) * c.grad;
  }
}

template <ValueOp op, int arity>
void chain_rule(ValueNode& c) {
  for (int i = 0; i < arity; ++i)
    c.inputs[i]->grad += contribution_of<op>(c, i);
}

[[noreturn]] void throw_backward_anomaly(const ValueNode& c, int i) {
  detail::throw_error("backward of ", op_name(c.op), ": gradient of input ", i == 0 ? "a" : "b",
                      " is ", c.inputs[i]->grad, " (", op_name(c.op),
                      "'(a) = ", local_derivative(c, i), ", a = ", c.inputs[0]->data,
                      ", upstream grad = ", c.grad, ")");
}
}  // namespace

void ValueNode::backward_step() {
  switch (op) {
#define KINDLING_X(name, symbol, arity)      \
  case ValueOp::name:                        \
    chain_rule<ValueOp::name, arity>(*this); \
    break;
    KINDLING_VALUE_OPS(KINDLING_X)
#undef KINDLING_X
  }
  if (is_anomaly_enabled() && std::isfinite(grad)) [[unlikely]] {
    for (int i = 0; i < input_count; ++i) {
      if (!std::isfinite(inputs[i]->grad)) throw_backward_anomaly(*this, i);
    }
  }
}

double local_derivative(const ValueNode& node, int input_index) {
  KINDLING_CHECK(input_index >= 0 && input_index < node.input_count,
                 "local_derivative: ", op_name(node.op), " has ", int(node.input_count),
                 " inputs, asked for input ", input_index);
  switch (node.op) {
#define KINDLING_X(name, symbol, arity) \
  case ValueOp::name:                   \
    return ValueRule<ValueOp::name>::derivative(node, input_index);
    KINDLING_VALUE_OPS(KINDLING_X)
#undef KINDLING_X
  }
  return 0.0;
}

double chain_contribution(const ValueNode& node, int input_index) {
  KINDLING_CHECK(input_index >= 0 && input_index < node.input_count,
                 "chain_contribution: ", op_name(node.op), " has ", int(node.input_count),
                 " inputs, asked for input ", input_index);
  switch (node.op) {
#define KINDLING_X(name, symbol, arity) \
  case ValueOp::name:                   \
    return contribution_of<ValueOp::name>(node, input_index);
    KINDLING_VALUE_OPS(KINDLING_X)
#undef KINDLING_X
  }
  return 0.0;
}

std::string_view derivative_formula(ValueOp op, int input_index) noexcept {
  switch (op) {
#define KINDLING_X(name, symbol, arity)                         \
  case ValueOp::name:                                           \
    return input_index >= 0 && input_index < arity              \
               ? ValueRule<ValueOp::name>::formula[input_index] \
               : "";
    KINDLING_VALUE_OPS(KINDLING_X)
#undef KINDLING_X
  }
  return "";
}

std::string_view op_name(ValueOp op) noexcept {
  switch (op) {
#define KINDLING_X(name, symbol, arity) \
  case ValueOp::name:                   \
    return #name;
    KINDLING_VALUE_OPS(KINDLING_X)
#undef KINDLING_X
  }
  return "?";
}

std::string_view op_symbol(ValueOp op) noexcept {
  switch (op) {
#define KINDLING_X(name, symbol, arity) \
  case ValueOp::name:                   \
    return symbol;
    KINDLING_VALUE_OPS(KINDLING_X)
#undef KINDLING_X
  }
  return "?";
}

int op_arity(ValueOp op) noexcept {
  switch (op) {
#define KINDLING_X(name, symbol, arity) \
  case ValueOp::name:                   \
    return arity;
    KINDLING_VALUE_OPS(KINDLING_X)
#undef KINDLING_X
  }
  return 0;
}

// ---- the node and the handle --------------------------------------------------------------------

void ValueNode::destroy(ValueNode* node) noexcept {
  node->~ValueNode();
  Pool::this_thread().deallocate(node);
}

std::vector<std::string> ValueNode::dot_fields() const {
  return {label ? *label : std::string{}, "data " + engine::format_number(data),
          "grad " + engine::format_number(grad)};
}

std::string ValueNode::dot_op() const {
  if (op != ValueOp::pow) return std::string(op_symbol(op));
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "^%g", exponent);
  return buffer;
}

Value Value::from_node(ValueNode* node) {
  KINDLING_CHECK(node != nullptr, "Value::from_node: null node");
  return Value(FromNode{}, node);
}

const std::string& Value::label() const noexcept {
  static const std::string empty;
  return node_->label ? *node_->label : empty;
}

Value& Value::set_label(std::string label) {
  if (label.empty()) {
    node_->label.reset();
  } else if (node_->label) {
    *node_->label = std::move(label);
  } else {
    node_->label = std::make_unique<std::string>(std::move(label));
  }
  return *this;
}

std::vector<Value> Value::inputs() const {
  std::vector<Value> result;
  for (ValueNode* input : node_->parents())
    result.push_back(from_node(input));
  return result;
}

void Value::backward() {
  engine::backward(node_.get());
}

std::string to_string(const Value& value) {
  return "Value(data=" + engine::format_number(value.data()) +
         ", grad=" + engine::format_number(value.grad()) + ")";
}

std::string to_dot(const Value& root, const engine::DotOptions& options,
                   const engine::DotStyle<ValueNode>& style) {
  return engine::to_dot(root.node(), options, style);
}

void write_dot(const Value& root, const std::string& path, const engine::DotOptions& options) {
  engine::write_text_file(path, to_dot(root, options));
}

}  // namespace kindling
