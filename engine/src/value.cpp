// Value: the scalar ops, each forward beside its local derivatives (Note [scalar op table]).
#include "kindling/engine/value.hpp"

#include <array>
#include <atomic>
#include <bit>
#include <cassert>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <new>
#include <ostream>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "kindling/engine/error.hpp"
#include "kindling/engine/format.hpp"
#include "kindling/engine/grad_mode.hpp"
#include "kindling/engine/pool.hpp"
#include "kindling/engine/value_forward_ad.hpp"
#include "kindling/engine/value_grad.hpp"

namespace kindling {

namespace {

using Pool = engine::NodePool<ValueNode>;
using Tape = engine::CreationTape<ValueNode>;

ValueNode* new_node(double data) {
  auto* node = new (Pool::this_thread().allocate()) ValueNode;
  node->data = data;
  return node;
}

[[noreturn, gnu::cold, gnu::noinline]] void throw_other_thread(ValueOp op) {
  detail::throw_error(op_name(op),
                      ": an input was computed on another thread; a graph belongs to one thread "
                      "(start this thread's graph from new leaves: Value(x.data()) in C++, "
                      "Value(x.data) in Python)");
}

[[noreturn, gnu::cold, gnu::noinline]] void throw_not_finite(ValueOp op, double data, double a,
                                                             const Value* b, double exponent) {
  detail::throw_error(op_name(op), ": result is ", data, " for input a = ", a,
                      b ? ", b = " + std::to_string(b->data()) : std::string{},
                      op == ValueOp::pow ? ", k = " + std::to_string(exponent) : std::string{});
}

// An op's result with grad mode off: a leaf (kept out of make_result's inlined path).
[[gnu::noinline]] Value make_leaf(double data) {
  return Value::from_node(new_node(data));
}

// Input `slot` of a new record: a leaf is counted (Note [record references]); a record must lie
// on the same tape (TapeFrontier walks one tape), a leaf may come from any thread.
inline void attach_input(ValueNode* record, int slot, ValueNode* input, const Tape& tape) {
  record->inputs[slot] = input;
  if (input->input_count == 0) {
    engine::retain(input);
    record->leaf_inputs |= static_cast<std::uint8_t>(1u << slot);
  } else if (Tape::tape_of(input) != &tape) [[unlikely]] {
    throw_other_thread(record->op);
  }
}

// The result of an op: a record on this thread's tape computed from `a` (and `b`). With grad mode
// off it is a leaf, and no graph is recorded.
[[gnu::always_inline]] inline Value record_result(ValueOp op, double data, const Value& a,
                                                  const Value* b, double exponent) {
  if (!is_grad_enabled()) [[unlikely]]
    return make_leaf(data);
  Tape& tape = Tape::this_thread();
  auto* node = new (tape.allocate()) ValueNode;
  node->data = data;
  node->op = op;
  node->exponent = exponent;
  node->input_count = b != nullptr ? 2 : 1;
  // A throw below leaves a dead record on top, which the next rewind takes; its inputs are
  // released as set so far (leaf_inputs).
  Value guard = Value::from_node(node);
  attach_input(node, 0, a.node(), tape);
  if (b != nullptr) attach_input(node, 1, b->node(), tape);
  return guard;
}

// make_result's slow path: anomaly mode (a non-finite result throws, naming the op and its
// inputs) and forward mode (the result gets its tangent). Below the rules, which it dispatches to.
[[gnu::noinline]] Value make_checked_result(ValueOp op, double data, const Value& a, const Value* b,
                                            double exponent);

// The result of every op. Both slow cases are tested with one thread-local load
// (detail::scalar_op_checks in grad_mode.hpp), so a dual level costs the plain path nothing (Note
// [scalar forward mode]). Always inlined into each op's function: with the create_graph rules
// calling the ops too, GCC would otherwise call it out of line, about 10 instructions per node more
// in bench_scalar_moons' build phase.
[[gnu::always_inline]] inline Value make_result(ValueOp op, double data, const Value& a,
                                                const Value* b = nullptr, double exponent = 0.0) {
  if (detail::scalar_op_checks) [[unlikely]]
    return make_checked_result(op, data, a, b, exponent);
  return record_result(op, data, a, b, exponent);
}

double input(const ValueNode& c, int i) {
  return c.inputs[i]->data;
}

// The same, as Values (handles to the nodes), for the rules' contribution_graph.
Value input_value(const ValueNode& c, int i) {
  return Value::from_node(c.inputs[i]);
}
Value result_value(const ValueNode& c) {
  return Value::from_node(const_cast<ValueNode*>(&c));
}

}  // namespace

// The rules, one specialisation per op of c = op(a, b): forward() computes c from the input values
// (and pow's k), derivative() is d(c)/d(input i) at the node's values and formula[i] its text.
// jvp(c, i, t) is the tangent input i's tangent t gives c in forward mode (Note [scalar forward
// mode] in value_forward_ad.hpp): the derivative applied to t, as the backward applies it to the
// upstream gradient (where masked() says 0, the dispatch gives 0 for both).
// contribution_graph(c, i, g) is what input i's gradient receives from upstream gradient g, as
// Value ops, for grad(create_graph = true) (Note [scalar create_graph] in value_grad.hpp): the
// double path's contribution written again in Values, in the same order of operations, so its data
// has the same bits; where masked() says 0, the dispatch gives a constant 0 instead.
template <ValueOp op>
struct ValueRule;

// ---- leaf: a Value made from a number -----------------------------------------------------------
template <>
struct ValueRule<ValueOp::leaf> {
  static constexpr std::string_view formula[] = {""};  // a leaf has no forward and no inputs
  static double derivative(const ValueNode&, int) { return 0.0; }
};

Value::Value(double data) : node_(new_node(data)) {}
Value::Value(double data, std::string label) : Value(data) {
  set_label(std::move(label));
}

// ---- add: c = a + b -----------------------------------------------------------------------------
template <>
struct ValueRule<ValueOp::add> {
  static double forward(double a, double b) { return a + b; }
  static constexpr std::string_view formula[] = {"1", "1"};
  static double derivative(const ValueNode&, int) { return 1.0; }
  static double jvp(const ValueNode&, int, double t) { return t; }
  static Value contribution_graph(const ValueNode&, int, const Value& g) { return g; }
};
Value operator+(const Value& a, const Value& b) {
  return make_result(ValueOp::add, ValueRule<ValueOp::add>::forward(a.data(), b.data()), a, &b);
}

// ---- sub: c = a - b -----------------------------------------------------------------------------
template <>
struct ValueRule<ValueOp::sub> {
  static double forward(double a, double b) { return a - b; }
  static constexpr std::string_view formula[] = {"1", "-1"};
  static double derivative(const ValueNode&, int i) { return i == 0 ? 1.0 : -1.0; }
  static double jvp(const ValueNode&, int i, double t) { return i == 0 ? t : -t; }
  static Value contribution_graph(const ValueNode&, int i, const Value& g) {
    return i == 0 ? g : -g;
  }
};
Value operator-(const Value& a, const Value& b) {
  return make_result(ValueOp::sub, ValueRule<ValueOp::sub>::forward(a.data(), b.data()), a, &b);
}

// ---- mul: c = a * b -----------------------------------------------------------------------------
template <>
struct ValueRule<ValueOp::mul> {
  static double forward(double a, double b) { return a * b; }
  static constexpr std::string_view formula[] = {"b", "a"};
  static double derivative(const ValueNode& c, int i) { return input(c, 1 - i); }
  static double jvp(const ValueNode& c, int i, double t) { return derivative(c, i) * t; }
  static Value contribution_graph(const ValueNode& c, int i, const Value& g) {
    return input_value(c, 1 - i) * g;
  }
};
Value operator*(const Value& a, const Value& b) {
  return make_result(ValueOp::mul, ValueRule<ValueOp::mul>::forward(a.data(), b.data()), a, &b);
}

// ---- div: c = a / b -----------------------------------------------------------------------------
// -a / b^2 is evaluated as -(a / b) / b = -c / b: b^2 underflows to 0 for a subnormal b (0 / 0 =
// NaN where the slope is 0 or finite). The contributions divide the upstream grad by b rather
// than multiply it by 1 / b, which overflows for |b| just below 1 / DBL_MAX (chain_contribution);
// the tangents are the same products, applied to the tangent instead of the upstream grad.
template <>
struct ValueRule<ValueOp::div> {
  static double forward(double a, double b) { return a / b; }
  static constexpr std::string_view formula[] = {"1 / b", "-a / b^2"};
  static double derivative(const ValueNode& c, int i) {
    const double b = input(c, 1);
    return i == 0 ? 1.0 / b : -(c.data / b);
  }
  static double jvp(const ValueNode& c, int i, double t) {
    const double b = input(c, 1);
    return i == 0 ? t / b : -(c.data / b) * t;
  }
  static double contribution(const ValueNode& c, int i) { return jvp(c, i, c.grad); }
  static Value contribution_graph(const ValueNode& c, int i, const Value& g) {
    const Value b = input_value(c, 1);
    return i == 0 ? g / b : -(result_value(c) / b) * g;
  }
};
Value operator/(const Value& a, const Value& b) {
  return make_result(ValueOp::div, ValueRule<ValueOp::div>::forward(a.data(), b.data()), a, &b);
}

// ---- neg: c = -a --------------------------------------------------------------------------------
template <>
struct ValueRule<ValueOp::neg> {
  static double forward(double a) { return -a; }
  static constexpr std::string_view formula[] = {"-1"};
  static double derivative(const ValueNode&, int) { return -1.0; }
  static double jvp(const ValueNode&, int, double t) { return -t; }
  static Value contribution_graph(const ValueNode&, int, const Value& g) { return -g; }
};
Value operator-(const Value& a) {
  return make_result(ValueOp::neg, ValueRule<ValueOp::neg>::forward(a.data()), a);
}

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

// The derivative of a^0 is 0 everywhere, 0 included (not 0 * 0^-1 = NaN), as PyTorch's
// pow_backward; a mask, so it stays 0 for any upstream grad.
template <>
struct ValueRule<ValueOp::pow> {
  static double forward(double a, double k) { return power(a, k); }
  static constexpr std::string_view formula[] = {"k * a^(k-1)"};
  static bool masked(const ValueNode& c, int) { return c.exponent == 0.0; }
  static double derivative(const ValueNode& c, int) {
    if (c.exponent == 0.0) return 0.0;
    return c.exponent * power(input(c, 0), c.exponent - 1.0);
  }
  static double jvp(const ValueNode& c, int i, double t) { return derivative(c, i) * t; }
  // Its own graph: k * a^(k-1) is a pow node, differentiated in turn (a^(k-1)'s k-1 may be 0,
  // whose derivative is the mask above).
  static Value contribution_graph(const ValueNode& c, int, const Value& g) {
    return (Value(c.exponent) * input_value(c, 0).pow(c.exponent - 1.0)) * g;
  }
};
Value Value::pow(double k) const {
  return make_result(ValueOp::pow, ValueRule<ValueOp::pow>::forward(data(), k), *this, nullptr, k);
}

// ---- exp: c = e^a -------------------------------------------------------------------------------
template <>
struct ValueRule<ValueOp::exp> {
  static double forward(double a) { return std::exp(a); }
  static constexpr std::string_view formula[] = {"c"};
  static double derivative(const ValueNode& c, int) { return c.data; }
  static double jvp(const ValueNode& c, int i, double t) { return derivative(c, i) * t; }
  static Value contribution_graph(const ValueNode& c, int, const Value& g) {
    return result_value(c) * g;
  }
};
Value Value::exp() const {
  return make_result(ValueOp::exp, ValueRule<ValueOp::exp>::forward(data()), *this);
}

// ---- log: c = ln a (NaN for a < 0, -inf for a = 0, as IEEE 754 says) ----------------------------
template <>
struct ValueRule<ValueOp::log> {
  static double forward(double a) { return std::log(a); }
  static constexpr std::string_view formula[] = {"1 / a"};
  static double derivative(const ValueNode& c, int) { return 1.0 / input(c, 0); }
  // g / a, not g * (1 / a): 1 / a overflows for a subnormal a, and 0 * inf is NaN (PyTorch's
  // log backward divides too); the tangent t / a likewise.
  static double jvp(const ValueNode& c, int, double t) { return t / input(c, 0); }
  static double contribution(const ValueNode& c, int i) { return jvp(c, i, c.grad); }
  static Value contribution_graph(const ValueNode& c, int, const Value& g) {
    return g / input_value(c, 0);
  }
};
Value Value::log() const {
  return make_result(ValueOp::log, ValueRule<ValueOp::log>::forward(data()), *this);
}

// ---- tanh: c = tanh a ---------------------------------------------------------------------------
template <>
struct ValueRule<ValueOp::tanh> {
  static double forward(double a) { return std::tanh(a); }
  static constexpr std::string_view formula[] = {"1 - c^2"};
  static double derivative(const ValueNode& c, int) { return 1.0 - c.data * c.data; }
  static double jvp(const ValueNode& c, int i, double t) { return derivative(c, i) * t; }
  static Value contribution_graph(const ValueNode& c, int, const Value& g) {
    const Value t = result_value(c);
    return (1.0 - t * t) * g;
  }
};
Value Value::tanh() const {
  return make_result(ValueOp::tanh, ValueRule<ValueOp::tanh>::forward(data()), *this);
}

// ---- relu: c = max(a, 0); the derivative at 0 is 0, as in PyTorch -------------------------------
// PyTorch's edges too: relu(NaN) = NaN with derivative 1 (its threshold_backward tests c <= 0),
// and relu(-0) = -0.
template <>
struct ValueRule<ValueOp::relu> {
  static double forward(double a) { return a < 0.0 ? 0.0 : a; }
  static constexpr std::string_view formula[] = {"(a > 0 ? 1 : 0)"};
  static bool masked(const ValueNode& c, int) { return input(c, 0) <= 0.0; }
  static double derivative(const ValueNode& c, int) { return input(c, 0) <= 0.0 ? 0.0 : 1.0; }
  // Unmasked, the tangent passes through, as the gradient does.
  static double jvp(const ValueNode&, int, double t) { return t; }
  // Unmasked, the gradient passes through: its derivative in a is 0, in g the mask.
  static Value contribution_graph(const ValueNode&, int, const Value& g) { return g; }
};
Value Value::relu() const {
  return make_result(ValueOp::relu, ValueRule<ValueOp::relu>::forward(data()), *this);
}

// ---- sigmoid: c = 1 / (1 + e^-a), computed without overflow for large |a| -----------------------
template <>
struct ValueRule<ValueOp::sigmoid> {
  static double forward(double a) {
    return a >= 0.0 ? 1.0 / (1.0 + std::exp(-a)) : std::exp(a) / (1.0 + std::exp(a));
  }
  static constexpr std::string_view formula[] = {"c * (1 - c)"};
  static double derivative(const ValueNode& c, int) { return c.data * (1.0 - c.data); }
  static double jvp(const ValueNode& c, int i, double t) { return derivative(c, i) * t; }
  static Value contribution_graph(const ValueNode& c, int, const Value& g) {
    const Value s = result_value(c);
    return (s * (1.0 - s)) * g;
  }
};
Value Value::sigmoid() const {
  return make_result(ValueOp::sigmoid, ValueRule<ValueOp::sigmoid>::forward(data()), *this);
}

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

[[noreturn, gnu::cold, gnu::noinline]] void throw_backward_anomaly(const ValueNode& c, int i) {
  detail::throw_error("backward of ", op_name(c.op), ": gradient of input ", i == 0 ? "a" : "b",
                      " is ", c.inputs[i]->grad, " (", op_name(c.op),
                      "'(a) = ", local_derivative(c, i), ", a = ", c.inputs[0]->data,
                      ", upstream grad = ", c.grad, ")");
}
}  // namespace

namespace {
// One node's backward step, inlined into backward()'s loop (a call would cost as much as the step).
// `anomaly` is is_anomaly_enabled(), read by the caller: a loop that runs no user code reads it
// once, before the loop (GCC does not always hoist the thread-local load itself).
[[gnu::always_inline]] inline void step_value_node(ValueNode& node, bool anomaly) {
  switch (node.op) {
#define KINDLING_X(name, label, arity, form) \
  case ValueOp::name:                        \
    chain_rule<ValueOp::name, arity>(node);  \
    break;
    KINDLING_VALUE_OPS(KINDLING_X)
#undef KINDLING_X
  }
  if (anomaly && std::isfinite(node.grad)) [[unlikely]] {
    for (int i = 0; i < node.input_count; ++i) {
      if (!std::isfinite(node.inputs[i]->grad)) throw_backward_anomaly(node, i);
    }
  }
}
}  // namespace

void ValueNode::backward_step() {
  step_value_node(*this, is_anomaly_enabled());
}

// ---- the chain rule as Value ops (Note [scalar create_graph] in value_grad.hpp) -----------------

namespace {
template <ValueOp op>
Value contribution_graph_of(const ValueNode& c, int i, const Value& g) {
  using Rule = ValueRule<op>;
  static_assert(
      requires { Rule::contribution_graph(c, i, g); },
      "every op's ValueRule row needs contribution_graph (its chain rule as Value ops)");
  if constexpr (requires { Rule::masked(c, i); }) {
    if (Rule::masked(c, i)) return Value(0.0);
  }
  return Rule::contribution_graph(c, i, g);
}

// What input i of `c` receives from the upstream gradient g, as a Value.
Value graph_contribution(const ValueNode& c, int i, const Value& g) {
  switch (c.op) {
#define KINDLING_X(name, label, arity, form)                \
  case ValueOp::name:                                       \
    if constexpr (arity > 0) {                              \
      return contribution_graph_of<ValueOp::name>(c, i, g); \
    } else {                                                \
      break; /* a leaf has no inputs */                     \
    }
    KINDLING_VALUE_OPS(KINDLING_X)
#undef KINDLING_X
  }
  assert(false && "graph_contribution of a leaf");
  return Value(0.0);
}
}  // namespace

// ---- forward mode (Note [scalar forward mode] in value_forward_ad.hpp) --------------------------

namespace {
// The id of this thread's value_dual_level; 0 while none is alive.
thread_local std::uint64_t current_dual_level = 0;

std::array<std::atomic<std::uint64_t>, kValueOpCount> jvp_rule_calls{};

std::optional<double> tangent_of(const ValueNode& node) noexcept {
  if (current_dual_level == 0 || !node.extras || node.extras->tangent_level != current_dual_level)
    return std::nullopt;
  return node.extras->tangent;
}

void set_tangent(ValueNode& node, double tangent) {
  if (!node.extras) node.extras = std::make_unique<ValueExtras>();
  node.extras->tangent_level = current_dual_level;
  node.extras->tangent = tangent;
}

template <ValueOp op>
double jvp_of(const ValueNode& c, int i, double t) {
  using Rule = ValueRule<op>;
  static_assert(
      requires { Rule::jvp(c, i, t); },
      "every op's ValueRule row needs jvp (its tangent rule, Note [scalar forward mode])");
  if constexpr (requires { Rule::masked(c, i); }) {
    if (Rule::masked(c, i)) return 0.0;
  }
  return Rule::jvp(c, i, t);
}

// c's tangent: the sum of the rule's terms for the inputs that carry a tangent (at least one).
template <ValueOp op, int arity>
double result_tangent(const ValueNode& c, const std::optional<double> (&tangents)[2]) {
  jvp_rule_calls[static_cast<std::size_t>(op)].fetch_add(1, std::memory_order_relaxed);
  std::optional<double> sum;
  for (int i = 0; i < arity; ++i) {
    if (!tangents[i]) continue;
    const double term = jvp_of<op>(c, i, *tangents[i]);
    sum = sum ? *sum + term : term;
  }
  return *sum;
}

double dispatch_tangent(const ValueNode& c, const std::optional<double> (&tangents)[2]) {
  switch (c.op) {
#define KINDLING_X(name, label, arity, form)                    \
  case ValueOp::name:                                           \
    if constexpr (arity > 0) {                                  \
      return result_tangent<ValueOp::name, arity>(c, tangents); \
    } else {                                                    \
      break; /* a leaf has no inputs */                         \
    }
    KINDLING_VALUE_OPS(KINDLING_X)
#undef KINDLING_X
  }
  assert(false && "dispatch_tangent of a leaf");
  return 0.0;
}
}  // namespace

namespace {
Value make_checked_result(ValueOp op, double data, const Value& a, const Value* b,
                          double exponent) {
  if (is_anomaly_enabled() && !std::isfinite(data))
    throw_not_finite(op, data, a.data(), b, exponent);
  const std::optional<double> tangents[2] = {tangent_of(*a.node()),
                                             b ? tangent_of(*b->node()) : std::nullopt};
  Value result = record_result(op, data, a, b, exponent);
  if (tangents[0] || tangents[1]) {
    // The rule reads c's data, exponent and inputs: a node describing the op, whether or not
    // the result was recorded (under no_grad it is a leaf), holding no references.
    ValueNode c;
    c.op = op;
    c.data = data;
    c.exponent = exponent;
    c.input_count = b != nullptr ? 2 : 1;
    c.inputs[0] = a.node();
    c.inputs[1] = b != nullptr ? b->node() : nullptr;
    set_tangent(*result.node(), dispatch_tangent(c, tangents));
  }
  return result;
}
}  // namespace

namespace autograd::forward_ad {

value_dual_level::value_dual_level() {
  KINDLING_CHECK(current_dual_level == 0,
                 "value_dual_level: a dual level is already active on this thread; nested levels "
                 "are not supported (as in PyTorch)");
  static std::atomic<std::uint64_t> next_level{0};
  current_dual_level = next_level.fetch_add(1, std::memory_order_relaxed) + 1;
  detail::value_forward_mode = true;
  detail::update_scalar_op_checks();
}

value_dual_level::~value_dual_level() {
  detail::value_forward_mode = false;
  detail::update_scalar_op_checks();
  current_dual_level = 0;
}

bool is_value_forward_ad_enabled() noexcept {
  return current_dual_level != 0;
}

Value make_dual(const Value& primal, double tangent) {
  KINDLING_CHECK(current_dual_level != 0, "make_dual: no dual level is active on this thread");
  KINDLING_CHECK(primal.node() != nullptr, "make_dual: the primal is an empty Value (moved from)");
  Value dual(primal.data(), primal.label());
  set_tangent(*dual.node(), tangent);
  return dual;
}

UnpackedValueDual unpack_dual(const Value& value) {
  KINDLING_CHECK(value.node() != nullptr, "unpack_dual: an empty Value (moved from)");
  return {value, tangent_of(*value.node())};
}

}  // namespace autograd::forward_ad

namespace autograd::functional {

ValueOutputsAndTangents jvp(const ValueFunction& func, const std::vector<Value>& inputs,
                            const std::vector<double>& v) {
  KINDLING_CHECK(static_cast<bool>(func), "jvp: the function is empty");
  KINDLING_CHECK(!v.empty() || inputs.size() == 1,
                 "jvp: v can be empty only for a single input, got ", inputs.size(), " inputs");
  KINDLING_CHECK(v.empty() || v.size() == inputs.size(), "jvp: v has ", v.size(), " tangents for ",
                 inputs.size(), " inputs");
  const forward_ad::value_dual_level level;
  std::vector<Value> duals;
  for (std::size_t i = 0; i < inputs.size(); ++i)
    duals.push_back(forward_ad::make_dual(inputs[i], v.empty() ? 1.0 : v[i]));
  ValueOutputsAndTangents result{func(duals), {}};
  for (const Value& output : result.outputs) {
    KINDLING_CHECK(output.node() != nullptr, "jvp: the function returned an empty Value");
    result.tangents.push_back(forward_ad::unpack_dual(output).tangent.value_or(0.0));
  }
  return result;
}

}  // namespace autograd::functional

std::uint64_t testing::value_jvp_rule_calls(ValueOp op) noexcept {
  return jvp_rule_calls[static_cast<std::size_t>(op)].load(std::memory_order_relaxed);
}

namespace {
// The rule's forward with the arguments its form takes: (a, b) infix, (a, k) power, (a) else.
template <ValueOp op>
double forward_of(double a, double b, double k) {
  using Rule = ValueRule<op>;
  constexpr ValueForm form = op_form(op);
  if constexpr (form == ValueForm::leaf) {
    detail::throw_error("forward_value: leaf is not an op");
  } else if constexpr (form == ValueForm::infix) {
    return Rule::forward(a, b);
  } else if constexpr (form == ValueForm::power) {
    return Rule::forward(a, k);
  } else {
    return Rule::forward(a);
  }
}
}  // namespace

double forward_value(ValueOp op, double a, double b, double k) {
  switch (op) {
#define KINDLING_X(name, label, arity, form) \
  case ValueOp::name:                        \
    return forward_of<ValueOp::name>(a, b, k);
    KINDLING_VALUE_OPS(KINDLING_X)
#undef KINDLING_X
  }
  return 0.0;
}

Value apply_op(ValueOp op, std::span<const Value> inputs, double exponent) {
  KINDLING_CHECK(op != ValueOp::leaf, "apply_op: leaf is not an op (a leaf is Value(number))");
  KINDLING_CHECK(inputs.size() == static_cast<std::size_t>(op_arity(op)), "apply_op: ", op_name(op),
                 " takes ", op_arity(op), " input", op_arity(op) == 1 ? "" : "s", ", got ",
                 inputs.size());
  const Value* b = inputs.size() > 1 ? &inputs[1] : nullptr;
  const double k = op_form(op) == ValueForm::power ? exponent : 0.0;
  return make_result(op, forward_value(op, inputs[0].data(), b ? b->data() : 0.0, k), inputs[0], b,
                     k);
}

double local_derivative(const ValueNode& node, int input_index) {
  KINDLING_CHECK(input_index >= 0 && input_index < node.input_count,
                 "local_derivative: ", op_name(node.op), " has ", int(node.input_count),
                 " inputs, asked for input ", input_index);
  switch (node.op) {
#define KINDLING_X(name, label, arity, form) \
  case ValueOp::name:                        \
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
#define KINDLING_X(name, label, arity, form) \
  case ValueOp::name:                        \
    return contribution_of<ValueOp::name>(node, input_index);
    KINDLING_VALUE_OPS(KINDLING_X)
#undef KINDLING_X
  }
  return 0.0;
}

std::string_view derivative_formula(ValueOp op, int input_index) noexcept {
  switch (op) {
#define KINDLING_X(name, label, arity, form)                    \
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
#define KINDLING_X(name, label, arity, form) \
  case ValueOp::name:                        \
    return #name;
    KINDLING_VALUE_OPS(KINDLING_X)
#undef KINDLING_X
  }
  return "?";
}

std::string_view op_symbol(ValueOp op) noexcept {
  switch (op) {
#define KINDLING_X(name, label, arity, form) \
  case ValueOp::name:                        \
    return label;
    KINDLING_VALUE_OPS(KINDLING_X)
#undef KINDLING_X
  }
  return "?";
}

int op_arity(ValueOp op) noexcept {
  switch (op) {
#define KINDLING_X(name, label, arity, form) \
  case ValueOp::name:                        \
    return arity;
    KINDLING_VALUE_OPS(KINDLING_X)
#undef KINDLING_X
  }
  return 0;
}

// ---- the node and the handle --------------------------------------------------------------------

void ValueNode::destroy(ValueNode* node) noexcept {
  assert(node->input_count == 0);  // a leaf: records are retired by their tape
  node->~ValueNode();
  Pool::this_thread().deallocate(node);
}

// Flattened: the tape's rewind and each record's retire() run as one loop.
[[gnu::flatten]] void ValueNode::last_reference_dropped(ValueNode* node) noexcept {
  if (node->input_count == 0) {
    destroy(node);
  } else {
    Tape::tape_of(node)->record_died(node);
  }
}

std::vector<std::string> ValueNode::dot_fields() const {
  return {label_text(), "data " + engine::format_number(data),
          "grad " + engine::format_number(grad)};
}

// The table's label; pow's ("^") is followed by its exponent ("^2"), as micrograd's graphs show
// theirs ("**2"). The tensor pow's exponent is an input, drawn as an edge, so its label stays "^".
std::string ValueNode::dot_op() const {
  if (op_form(op) != ValueForm::power) return std::string(op_symbol(op));
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%g", exponent);
  return std::string(op_symbol(op)) + buffer;
}

void Value::throw_null_node() {
  detail::throw_error("Value::from_node: null node");
}

const std::string& Value::label() const noexcept {
  return node_->label_text();
}

Value& Value::set_label(std::string label) {
  if (node_->extras) {
    node_->extras->label = std::move(label);
    if (node_->extras->empty()) node_->extras.reset();
  } else if (!label.empty()) {
    node_->extras = std::make_unique<ValueExtras>();
    node_->extras->label = std::move(label);
  }
  return *this;
}

std::vector<Value> Value::inputs() const {
  std::vector<Value> result;
  for (ValueNode* input : node_->parents())
    result.push_back(from_node(input));
  return result;
}

namespace {
void backward_checked(ValueNode* root, double seed, std::vector<ValueNode*>& order);
bool any_value_hooks() noexcept;

// Whether a record of root's graph may have been released (backward(retain_graph = false)): its
// tape says whether it has held a released record since it was last empty.
bool may_be_released(const ValueNode* root) noexcept {
  return root->input_count != 0 && Tape::tape_of(root)->has_marked_records();
}
}  // namespace

// Hooks and released graphs are rare: while no hook is registered anywhere (one relaxed load per
// pass) and this graph's tape has no released record, backward() is the plain loop, without a
// per-node check.
void Value::backward() const {
  if (any_value_hooks() || may_be_released(node_.get())) [[unlikely]] {
    std::vector<ValueNode*> order;
    return backward_checked(node_.get(), 1.0, order);
  }
  const bool anomaly = is_anomaly_enabled();  // no step runs user code: it stays as it is
  engine::backward(node_.get(), [anomaly](ValueNode& node) { step_value_node(node, anomaly); });
}

std::string to_string(const Value& value) {
  return "Value(data=" + engine::format_number(value.data()) +
         ", grad=" + engine::format_number(value.grad()) + ")";
}

std::ostream& operator<<(std::ostream& out, const Value& value) {
  return out << to_string(value);
}

// Note [compound assignment keeps the label]: `x += y` rebinds x to the new node x + y, as in
// Python; giving that node x's label keeps the drawn graph and the stepper's text in the code's
// names (an accumulator `loss += term` shows as loss, not n17). The old node keeps its label too.
Value& Value::assign_keeping_label(Value result) {
  if (!label().empty() && result.label().empty()) result.set_label(label());
  return *this = std::move(result);
}

Value pow(double base, const Value& exponent) {
  KINDLING_CHECK(base > 0.0, "pow(base, Value): the base must be a number > 0 (it is written as ",
                 "exp(exponent * log(base))), got ", engine::format_number(base));
  return (exponent * std::log(base)).exp();
}

std::ptrdiff_t live_value_nodes() noexcept {
  return Pool::this_thread().live() + Tape::this_thread().live();
}

void zero_grads(const Value& root) {
  for (ValueNode* node : engine::topological_order(root.node()))
    Value::from_node(node).zero_grad();
}

ValueExtras::~ValueExtras() {
  drop_grad_graph();
}

void ValueExtras::drop_grad_graph() noexcept {
  if (grad_graph != nullptr) engine::release(std::exchange(grad_graph, nullptr));
}

Value Value::grad_value() const {
  const ValueExtras* extras = node_->extras.get();
  // A pass without create_graph since has added a number the graph does not compute. Compared
  // bit for bit (memcmp: the WebAssembly build's libc++ has no std::bit_cast).
  if (extras != nullptr && extras->grad_graph != nullptr &&
      std::memcmp(&extras->grad_graph->data, &node_->grad, sizeof(double)) == 0) {
    return from_node(extras->grad_graph);
  }
  return Value(node_->grad);
}

// ---- hooks --------------------------------------------------------------------------------------

// A node's hooks, in the order they were registered, each with the id its handle removes it by.
struct ValueHookList {
  std::vector<std::pair<std::uint64_t, ValueHook>> hooks;
  ~ValueHookList();
};

namespace {
// Hooks registered and not yet removed, on any thread: backward() takes its plain loop while 0.
std::atomic<std::size_t> value_hook_count{0};

bool any_value_hooks() noexcept {
  return value_hook_count.load(std::memory_order_relaxed) != 0;
}

bool has_hooks(const ValueNode& node) noexcept {
  return node.extras && node.extras->hooks && !node.extras->hooks->hooks.empty();
}

// Runs the node's hooks on its gradient g, each on what the one before left.
Value run_hooks(const ValueNode& node, Value g) {
  // A copy of the list: a hook may register or remove hooks on this node.
  const std::vector<std::pair<std::uint64_t, ValueHook>> hooks = node.extras->hooks->hooks;
  for (const auto& [id, hook] : hooks) {
    std::optional<Value> replaced = hook(g);
    if (replaced) {
      KINDLING_CHECK(replaced->node() != nullptr, "Value hook: returned an empty Value");
      g = std::move(*replaced);
    }
  }
  return g;
}

// The same on a double gradient (the first-order passes): the hooks see a constant Value.
double run_hooks(const ValueNode& node, double g) {
  no_grad constant;
  return run_hooks(node, Value(g)).data();
}
}  // namespace

ValueHookList::~ValueHookList() {
  value_hook_count.fetch_sub(hooks.size(), std::memory_order_relaxed);
}

ValueHookHandle Value::register_hook(ValueHook hook) const {
  KINDLING_CHECK(static_cast<bool>(hook), "Value::register_hook: the hook is empty");
  static std::atomic<std::uint64_t> next_id{0};
  if (!node_->extras) node_->extras = std::make_unique<ValueExtras>();
  std::shared_ptr<ValueHookList>& list = node_->extras->hooks;
  if (!list) list = std::make_shared<ValueHookList>();
  const std::uint64_t id = next_id.fetch_add(1, std::memory_order_relaxed) + 1;
  list->hooks.emplace_back(id, std::move(hook));
  value_hook_count.fetch_add(1, std::memory_order_relaxed);
  return ValueHookHandle(list, id);
}

void ValueHookHandle::remove() noexcept {
  const std::shared_ptr<ValueHookList> list = list_.lock();
  list_.reset();
  if (!list) return;
  auto& hooks = list->hooks;
  for (auto it = hooks.begin(); it != hooks.end(); ++it) {
    if (it->first == id_) {
      hooks.erase(it);
      value_hook_count.fetch_sub(1, std::memory_order_relaxed);
      return;
    }
  }
}

// ---- backward() and grad() with hooks or create_graph
// --------------------------------------------

namespace {

// Leaves whose grad a pass set aside, (leaf, grad before): put back however the pass ends, a hook
// that throws included.
struct SetAsideGrads {
  std::vector<std::pair<ValueNode*, double>> leaves;
  bool restore = true;
  ~SetAsideGrads() {
    if (!restore) return;
    for (auto [leaf, before] : leaves)
      leaf->grad = before;
  }
};

// Passes that run hooks take their order up front (begin_backward), as the stepper does: a hook
// may walk a graph itself (draw it, zero_grads it), which would disturb a running walk's marks.

// A pass through a record released by backward(retain_graph = false) is refused before it
// changes any gradient, naming the first such op the pass would reach.
void check_not_released(const std::vector<ValueNode*>& order) {
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    if (!(*it)->released) continue;
    detail::throw_error("backward of ", op_name((*it)->op),
                        ": the graph was released by an earlier backward(retain_graph = false); "
                        "pass retain_graph = true to backward through it again");
  }
}

// backward() while hooks exist, or where the graph may be released, seeded with d(root)/d(root) =
// seed: an interior node's hooks run when its gradient is complete, just before its step; a hooked
// leaf's run on this pass's gradient, which is then added to its grad. Leaves `order` as the
// pass's nodes (the leaves, then the interior nodes, the root last).
void backward_checked(ValueNode* root, double seed, std::vector<ValueNode*>& order) {
  ++engine::reverse_sweep_count();
  engine::begin_backward(root, order);
  check_not_released(order);
  SetAsideGrads hooked;  // a throwing hook leaves the hooked leaves' grads as they were
  for (ValueNode* node : order) {
    if (node->input_count != 0 || !has_hooks(*node)) continue;
    hooked.leaves.emplace_back(node, node->grad);
    node->grad = 0.0;
  }
  root->grad += seed;  // an interior root's grad was cleared by the walk
  for (auto it = order.rbegin(); it != order.rend() && (*it)->input_count != 0; ++it) {
    ValueNode* node = *it;
    if (has_hooks(*node)) node->grad = run_hooks(*node, node->grad);
    step_value_node(*node, is_anomaly_enabled());  // a hook may have changed it
  }
  std::vector<double> totals;
  for (auto [leaf, before] : hooked.leaves)
    totals.push_back(before + run_hooks(*leaf, leaf->grad));
  hooked.restore = false;
  for (std::size_t k = 0; k < totals.size(); ++k)
    hooked.leaves[k].first->grad = totals[k];
}

// One output's first-order pass for grad(): backward()'s steps with `seed` for d(root)/d(root),
// each leaf's grad kept aside and restored, so that only interior grads are left changed. Adds
// each reached input's gradient to sums[k].
void double_pass(ValueNode* root, double seed, const std::vector<Value>& inputs,
                 std::vector<double>& sums, std::vector<bool>& reached) {
  ++engine::reverse_sweep_count();
  std::vector<ValueNode*> order;  // the leaves, then the interior nodes, the root last
  engine::begin_backward(root, order);
  check_not_released(order);
  // Every node the walk reached carries its mark, the root's, until a hook walks a graph.
  const std::uint64_t mark = root->visit_mark;
  std::vector<bool> reached_here(inputs.size());
  for (std::size_t k = 0; k < inputs.size(); ++k)
    reached_here[k] = inputs[k].node()->visit_mark == mark;
  SetAsideGrads set_aside;
  for (ValueNode* node : order) {
    if (node->input_count != 0) break;
    set_aside.leaves.emplace_back(node, node->grad);
    node->grad = 0.0;
  }
  root->grad = seed;
  const bool hooks = any_value_hooks();
  for (auto it = order.rbegin(); it != order.rend() && (*it)->input_count != 0; ++it) {
    ValueNode* node = *it;
    if (hooks && has_hooks(*node)) node->grad = run_hooks(*node, node->grad);
    step_value_node(*node, is_anomaly_enabled());  // a hook may have changed it
  }
  if (hooks) {
    for (auto [leaf, before] : set_aside.leaves)
      if (has_hooks(*leaf)) leaf->grad = run_hooks(*leaf, leaf->grad);
  }
  for (std::size_t k = 0; k < inputs.size(); ++k) {
    if (!reached_here[k]) continue;
    reached[k] = true;
    sums[k] += inputs[k].node()->grad;
  }
}

void check_handles(const std::vector<Value>& values, const char* what) {
  for (std::size_t k = 0; k < values.size(); ++k)
    KINDLING_CHECK(values[k].node() != nullptr, "grad: ", what, "[", k,
                   "] is an empty Value (moved from)");
}

}  // namespace

// ---- GradGraphPass: the create_graph pass (Note [scalar create_graph])
// ----------------------------

GradGraphPass::GradGraphPass(const Value& output, std::vector<Value> inputs, const Value& seed,
                             bool keep_gradients)
    : root_(output), inputs_(std::move(inputs)), keep_gradients_(keep_gradients) {
  KINDLING_CHECK(root_.node() != nullptr, "grad: the output is an empty Value (moved from)");
  KINDLING_CHECK(seed.node() != nullptr, "grad: the grad_output is an empty Value (moved from)");
  for (const Value& input : inputs_) {
    KINDLING_CHECK(input.node() != nullptr, "grad: an input is an empty Value (moved from)");
    wanted_.insert(input.node());
  }
  // The schedule up front, as the stepper's (a walk between steps, a DOT writer's, would
  // disturb a walk's marks): backward()'s order, from the root down, interior nodes only.
  std::vector<ValueNode*> order;
  engine::begin_backward(root_.node(), order);
  check_not_released(order);
  reached_set_.insert(order.begin(), order.end());
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    if ((*it)->input_count != 0) schedule_.push_back(*it);
  }
  hooks_ = any_value_hooks();
  grads_.emplace(root_.node(), seed);
  if (schedule_.empty()) finish();  // a leaf output: nothing to step
}

std::optional<Value> GradGraphPass::gradient(const Value& node) const {
  auto it = grads_.find(node.node());
  if (it == grads_.end()) return std::nullopt;
  return it->second;
}

Value GradGraphPass::step() {
  KINDLING_CHECK(!done(), "GradGraphPass::step: the pass is already done (", schedule_.size(),
                 " steps)");
  enable_grad recording;  // whatever the caller's grad mode, as torch's create_graph
  ValueNode* node = schedule_[position_];
  auto it = grads_.find(node);
  assert(it != grads_.end());  // a scheduled node's users have all stepped, each adding to it
  Value g = it->second;
  if (hooks_ && has_hooks(*node)) g = run_hooks(*node, std::move(g));
  node->grad = g.data();  // this pass's d(root)/d(node), as backward() leaves it
  if (keep_gradients_ || wanted_.contains(node)) {
    it->second = g;
  } else {
    grads_.erase(it);  // no longer needed: its records may go once nothing else holds them
  }
  for (int i = 0; i < node->input_count; ++i) {
    ValueNode* input = node->inputs[i];
    if (input->input_count == 0 && !wanted_.contains(input)) continue;  // nothing would read it
    Value contribution = graph_contribution(*node, i, g);
    auto [slot, fresh] = grads_.try_emplace(input, contribution);
    if (!fresh) slot->second = slot->second + contribution;
  }
  ++position_;
  if (done()) finish();
  return Value::from_node(node);
}

void GradGraphPass::run_to_end() {
  while (!done())
    step();
}

// The leaves' hooks, once each, in the inputs' order, on their whole gradient.
void GradGraphPass::finish() {
  enable_grad recording;
  reached_.assign(inputs_.size(), false);
  std::unordered_set<const ValueNode*> hooked;
  for (std::size_t k = 0; k < inputs_.size(); ++k) {
    ValueNode* input = inputs_[k].node();
    if (!reached_set_.contains(input)) continue;
    reached_[k] = true;
    if (input->input_count == 0 && hooks_ && has_hooks(*input) && hooked.insert(input).second) {
      Value& g = grads_.try_emplace(input, 0.0).first->second;
      g = run_hooks(*input, g);
    }
  }
}

std::vector<Value> GradGraphPass::input_gradients() const {
  KINDLING_CHECK(done(), "GradGraphPass::input_gradients: the pass has ",
                 schedule_.size() - position_, " steps still to run");
  std::vector<Value> result;
  result.reserve(inputs_.size());
  for (std::size_t k = 0; k < inputs_.size(); ++k) {
    auto it = grads_.find(inputs_[k].node());
    result.push_back(reached_[k] && it != grads_.end() ? it->second : Value(0.0));
  }
  return result;
}

namespace detail {
std::vector<Value> value_grad(const std::vector<Value>& outputs, const std::vector<Value>& inputs,
                              const std::vector<Value>& grad_outputs, bool create_graph,
                              std::vector<bool>& reached) {
  KINDLING_CHECK(!outputs.empty(), "grad: outputs is empty; give the Value(s) to differentiate");
  KINDLING_CHECK(!inputs.empty(), "grad: inputs is empty; give the Values to differentiate by");
  KINDLING_CHECK(grad_outputs.empty() || grad_outputs.size() == outputs.size(),
                 "grad: grad_outputs has ", grad_outputs.size(), " Values for ", outputs.size(),
                 " outputs (give one per output, or none for 1s)");
  check_handles(outputs, "outputs");
  check_handles(inputs, "inputs");
  check_handles(grad_outputs, "grad_outputs");
  reached.assign(inputs.size(), false);
  std::vector<Value> result;
  result.reserve(inputs.size());
  if (!create_graph) {
    std::vector<double> sums(inputs.size(), 0.0);
    for (std::size_t o = 0; o < outputs.size(); ++o) {
      const Value root = outputs[o];  // held for the pass
      double_pass(root.node(), grad_outputs.empty() ? 1.0 : grad_outputs[o].data(), inputs, sums,
                  reached);
    }
    no_grad constants;
    for (double sum : sums)
      result.emplace_back(sum);
    return result;
  }
  // The gradients' ops are recorded whatever the caller's grad mode, as torch does.
  enable_grad recording;
  std::vector<std::optional<Value>> sums(inputs.size());
  for (std::size_t o = 0; o < outputs.size(); ++o) {
    // The pass holds the output: it keeps the graph below it alive while the pass runs.
    GradGraphPass pass(outputs[o], inputs, grad_outputs.empty() ? Value(1.0) : grad_outputs[o]);
    pass.run_to_end();
    const std::vector<Value> grads = pass.input_gradients();
    for (std::size_t k = 0; k < inputs.size(); ++k) {
      if (!pass.reached()[k]) continue;
      reached[k] = true;
      sums[k] = sums[k] ? *sums[k] + grads[k] : grads[k];
    }
  }
  for (std::optional<Value>& sum : sums)
    result.push_back(sum ? std::move(*sum) : Value(0.0));
  return result;
}
}  // namespace detail

std::vector<Value> grad(const std::vector<Value>& outputs, const std::vector<Value>& inputs,
                        const std::vector<Value>& grad_outputs,
                        std::optional<bool> /*retain_graph*/, bool create_graph,
                        bool allow_unused) {
  std::vector<bool> reached;
  std::vector<Value> result =
      detail::value_grad(outputs, inputs, grad_outputs, create_graph, reached);
  if (!allow_unused) {
    for (std::size_t k = 0; k < inputs.size(); ++k) {
      KINDLING_CHECK(reached[k], "grad: input ", k,
                     inputs[k].label().empty() ? std::string{} : " ('" + inputs[k].label() + "')",
                     " was not used to compute the outputs; pass allow_unused = true to get a "
                     "zero gradient for it");
    }
  }
  return result;
}

std::vector<Value> grad(const Value& output, const std::vector<Value>& inputs, bool create_graph,
                        bool allow_unused) {
  return grad(std::vector<Value>{output}, inputs, {}, std::nullopt, create_graph, allow_unused);
}

// ---- backward(gradient, retain_graph, create_graph)
// -----------------------------------------------

// Note [backward with create_graph]
// backward(..., create_graph = true) is grad(create_graph = true) with every leaf the output
// reaches as an input: the same GradGraphPass (Note [scalar create_graph] in value_grad.hpp),
// whose gradients are then added to the leaves instead of returned. A leaf's gradient that is a
// graph node is kept in its ValueExtras (grad_value()), its data in grad() as always; a second
// such pass adds to it with a Value add, so the accumulated gradient is differentiable too.
// As in PyTorch, the leaf then holds a graph that holds the leaf: zero_grad() (or set_grad, or
// zero_grads(root)) breaks that cycle, and nothing is freed until it does; the tape being a stack,
// a kept gradient also keeps the records made before it. So only leaves that a handle holds get a
// graph gradient: a constant that only the graph's records refer to (the 2.0 of x * 2.0, the
// constants a create_graph pass makes) gets the number alone, as torch gives no .grad to a tensor
// that does not require grad, and nobody could zero it.
namespace {
// Adds g to leaf's gradient, as a graph node.
void accumulate_grad_graph(ValueNode* leaf, const Value& g) {
  const Value handle = Value::from_node(leaf);
  const bool has_graph = leaf->extras && leaf->extras->grad_graph != nullptr;
  const Value total = has_graph || leaf->grad != 0.0 ? handle.grad_value() + g : g;
  if (!leaf->extras) leaf->extras = std::make_unique<ValueExtras>();
  leaf->extras->drop_grad_graph();
  engine::retain(total.node());
  leaf->extras->grad_graph = total.node();
  leaf->grad = total.data();
}

// Marks the pass's records released: later passes through them throw (check_not_released).
void release_graph(std::span<ValueNode* const> nodes) {
  for (ValueNode* node : nodes) {
    if (node->input_count == 0) continue;
    node->released = true;
    Tape::tape_of(node)->note_marked_record();
  }
}
}  // namespace

void Value::backward(const std::optional<Value>& gradient, std::optional<bool> retain_graph,
                     bool create_graph) const {
  KINDLING_CHECK(!gradient || gradient->node() != nullptr,
                 "backward: the gradient is an empty Value (moved from)");
  const bool retain = retain_graph.value_or(create_graph);
  ValueNode* root = node_.get();
  std::vector<ValueNode*> order;
  if (!create_graph) {
    backward_checked(root, gradient ? gradient->data() : 1.0, order);
  } else {
    enable_grad recording;  // whatever the caller's grad mode, as torch's create_graph
    engine::begin_backward(root, order);
    // How many of each leaf's references are this graph's records: a leaf with more is held by a
    // handle (or another graph), the others are constants inside the expressions (2.0 in x * 2.0).
    std::unordered_map<const ValueNode*, std::uint32_t> record_references;
    for (const ValueNode* node : order) {
      for (int i = 0; i < node->input_count; ++i) {
        if (node->leaf_inputs >> i & 1u) ++record_references[node->inputs[i]];
      }
    }
    std::vector<Value> leaves;
    std::vector<bool> held;
    for (ValueNode* node : order) {
      if (node->input_count != 0) break;  // the leaves come first
      held.push_back(node->ref_count > record_references[node]);
      leaves.push_back(from_node(node));
    }
    GradGraphPass pass(*this, leaves, gradient ? *gradient : Value(1.0));  // checks for release
    pass.run_to_end();
    const std::vector<Value> grads = pass.input_gradients();
    for (std::size_t k = 0; k < leaves.size(); ++k) {
      if (held[k]) {
        accumulate_grad_graph(leaves[k].node(), grads[k]);
      } else {
        leaves[k].node()->grad += grads[k].data();  // Note [backward with create_graph]
      }
    }
  }
  if (!retain) release_graph(order);
}

}  // namespace kindling
