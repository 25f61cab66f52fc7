// Value: the scalar autograd engine, micrograd's Value in C++.
//
//   kindling::Value a(2.0, "a"), b(-3.0, "b");
//   kindling::Value c = a * b + 1.0;
//   c.backward();            // a.grad() == -3, b.grad() == 2
//
// A Value is a cheap handle (one pointer) to a node in the graph; copies share the node. A node
// lives while a handle or a node made from it refers to it. Leaves come from a pool; op results are
// records on this thread's tape, in creation order (Note [tape] in engine/tape.hpp), which is the
// order backward() walks them in, and a training step's records are freed by rewinding the tape.
#pragma once

#include <cassert>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kindling/engine/graph.hpp"
#include "kindling/engine/tape.hpp"

namespace kindling {

// Note [scalar op table]
// The single list of scalar ops: X(name, label, arity, form). It generates the ValueOp enum, the
// names and DOT labels, the dispatch of the forward (forward_value, apply_op) and of the backward
// step, the stepper's expression text, the expression parser's functions and the rows of the op
// tests, so a new op cannot be added without its derivative and its test. Each op's forward and
// derivatives are written side by side in value.cpp (ValueRule<op>): the derivative as doubles
// for backward(), the same chain rule as Value ops (contribution_graph) for
// grad(create_graph = true), whose second derivatives a test generated from this table checks
// (Note [scalar create_graph] in value_grad.hpp), and the tangent rule (jvp) for forward mode,
// which a test generated from this table checks against reverse mode (Note [scalar forward mode]
// in value_forward_ad.hpp).
//   label  what a DOT graph shows on the op's node; a tensor op of the same name has the same
//          label in its row (tests/stepper/test_dot_labels.cpp compares the two tables)
//   form   how the op is written: infix "a + b" (the label is the operator), negation "-a",
//          power "a^k" (k a constant; the DOT node shows the label and k, "^2"), call "exp(a)"
//          (the name is the function the expression parser knows)
#define KINDLING_VALUE_OPS(X) \
  X(leaf, "", 0, leaf)        \
  X(add, "+", 2, infix)       \
  X(sub, "-", 2, infix)       \
  X(mul, "*", 2, infix)       \
  X(div, "/", 2, infix)       \
  X(neg, "neg", 1, negation)  \
  X(pow, "^", 1, power)       \
  X(exp, "exp", 1, call)      \
  X(log, "log", 1, call)      \
  X(tanh, "tanh", 1, call)    \
  X(relu, "relu", 1, call)    \
  X(sigmoid, "sigmoid", 1, call)

// The table is expanded outside the braces of each declaration: Doxygen's preprocessor skips a
// #define that sits inside one, and would document the rows as variables.
#define KINDLING_X(name, label, arity, form) name,
/// The scalar ops, one per row of KINDLING_VALUE_OPS (Note [scalar op table]): leaf (no op),
/// add, sub, mul, div, neg, pow (a constant exponent), exp, log, tanh, relu, sigmoid.
enum class ValueOp : std::uint8_t { KINDLING_VALUE_OPS(KINDLING_X) };
#undef KINDLING_X

#define KINDLING_X(name, label, arity, form) +1
/// How many ValueOp values there are, leaf included: the rows of KINDLING_VALUE_OPS.
inline constexpr std::size_t kValueOpCount = 0 KINDLING_VALUE_OPS(KINDLING_X);
#undef KINDLING_X

/// How an op is written (the table's form column).
enum class ValueForm : std::uint8_t {
  leaf,      ///< A leaf: a number or a variable, no op.
  infix,     ///< "a + b": the label is the operator.
  negation,  ///< "-a".
  power,     ///< "a^k", k a constant exponent.
  call       ///< "exp(a)": the name is the function the expression parser knows.
};

/// The op's name in the table: "mul" for ValueOp::mul; "?" for a value outside the enum.
std::string_view op_name(ValueOp op) noexcept;
/// The table's label, what a DOT graph shows on the op's node: "*" for ValueOp::mul, "" for leaf.
std::string_view op_symbol(ValueOp op) noexcept;
/// How many Values the op takes: 2 for ValueOp::mul, 1 for pow (its exponent is a constant), 0
/// for leaf.
int op_arity(ValueOp op) noexcept;
/// How the op is written (the table's form column): ValueForm::infix for ValueOp::mul.
constexpr ValueForm op_form(ValueOp op) noexcept {
  switch (op) {
#define KINDLING_X(name, label, arity, form) \
  case ValueOp::name:                        \
    return ValueForm::form;
    KINDLING_VALUE_OPS(KINDLING_X)
#undef KINDLING_X
  }
  return ValueForm::leaf;
}

class Value;
struct ValueHookList;  // value.cpp: a node's gradient hooks (Value::register_hook)

struct ValueNode;

/// What few nodes carry, behind one pointer so that the node stays at 64 bytes: a label, the hooks
/// registered on the node (shared with the handles that can remove them), a forward-mode tangent
/// (Note [scalar forward mode] in value_forward_ad.hpp) and a leaf's gradient as a graph node
/// (Note [backward with create_graph] in value.cpp). The engine's own; use Value's methods.
struct ValueExtras {
  std::string label;                     ///< The node's label; empty when it has none.
  std::shared_ptr<ValueHookList> hooks;  ///< Its hooks (Value::register_hook); may be null.
  std::uint64_t tangent_level = 0;       ///< The dual level the tangent belongs to; 0: none.
  double tangent = 0.0;                  ///< The forward-mode tangent, valid at tangent_level.
  ValueNode* grad_graph = nullptr;  ///< Counted (one reference); null when the grad is a number.

  /// Nothing: no label, no hooks, no tangent, no graph gradient.
  ValueExtras() = default;
  ValueExtras(const ValueExtras&) = delete;
  ValueExtras& operator=(const ValueExtras&) = delete;
  /// Releases grad_graph.
  ~ValueExtras();
  /// Drops grad_graph (the gradient is a plain number again).
  void drop_grad_graph() noexcept;
  /// True when the extras hold nothing, so that the node can go without them.
  bool empty() const noexcept {
    return label.empty() && !hooks && tangent_level == 0 && grad_graph == nullptr;
  }
};

/// A node of the scalar graph: 64 bytes, the size of a cache line. A leaf (no inputs) comes from a
/// pool (engine/pool.hpp) and is freed when its count reaches zero; an op result is a record on its
/// thread's tape (engine/tape.hpp), and its slot is reused when the tape is rewound past it.
/// Value is the handle users hold; the explaining tools (stepper, DOT writer) read nodes directly.
///
/// Note [record references]
/// A leaf's ref_count counts its handles and the records made from it. A record's counts its
/// handles only: the records made from it lie above it on the same tape, and the tape rewinds only
/// past dead records, so a live record keeps every record below it (its inputs among them) without
/// a count. leaf_inputs says which inputs are leaves, the ones a record's retire() releases.
struct ValueNode : engine::NodeBase {
  // op, input_count, leaf_inputs and released sit in NodeBase's tail padding.
  ValueOp op = ValueOp::leaf;    ///< The op that made the node; leaf for a leaf.
  std::uint8_t input_count = 0;  ///< op_arity(op): how many of `inputs` are set.
  std::uint8_t leaf_inputs = 0;  ///< Bit i: input i is a leaf (Note [record references]).
  bool released = false;         ///< backward(retain_graph = false) ran through this record.
  double data = 0.0;             ///< The value.
  double grad = 0.0;             ///< d(root)/d(node) of the last pass; accumulates on a leaf.
  double exponent = 0.0;         ///< pow's constant exponent; unused by other ops.
  ValueNode* inputs[2] = {nullptr, nullptr};  ///< The op's inputs: a, then b for infix ops.
  std::unique_ptr<ValueExtras> extras;        ///< Most nodes have none, so it costs one pointer.

  /// The node's label, empty when it has none (Value::label()).
  const std::string& label_text() const noexcept {
    static const std::string empty;
    return extras ? extras->label : empty;
  }
  /// The inputs (engine::GraphNode): empty for a leaf.
  std::span<ValueNode* const> parents() const noexcept { return {inputs, input_count}; }
  /// Adds this node's share of its grad to each input's grad (the op's chain rule). Under
  /// anomaly mode throws kindling::error when an input's grad becomes NaN or infinite while
  /// this node's is finite.
  void backward_step();
  /// Adds d(root)/d(root) = 1 to the grad.
  void seed_grad() noexcept { grad += 1.0; }
  /// Sets the grad to 0.
  void clear_grad() noexcept { grad = 0.0; }
  /// Frees a leaf (back to the pool); records are retired by their tape instead.
  static void destroy(ValueNode* node) noexcept;
  /// The engine's hooks for tape records (engine/graph.hpp, engine/tape.hpp): backward walks the
  /// tape; a count reaching zero frees a leaf or lets the tape rewind; retire() is a record's
  /// rewind.
  using Frontier = engine::TapeFrontier<ValueNode>;
  /// The count reached zero: frees a leaf, or tells a record's tape it died (engine::release()).
  static void last_reference_dropped(ValueNode* node) noexcept;
  /// A record's rewind (engine::CreationTape): releases its leaf inputs and destroys it.
  static void retire(ValueNode* record) noexcept;

  /// What the DOT writer (kindling::explain) draws in the node's record: {label, "data -3.0000",
  /// "grad 1.0000"}.
  std::vector<std::string> dot_fields() const;
  /// The op's label from the table for the DOT graph: "*"; pow's is followed by its exponent,
  /// "^2". A leaf's is "".
  std::string dot_op() const;
};

// 64 bytes with 8-byte pointers; WebAssembly's 4-byte ones (the web playground) make it smaller.
static_assert(sizeof(void*) != 8 || sizeof(ValueNode) == 64,
              "a scalar node should stay at 64 bytes");

// Only leaf inputs hold a count (Note [record references]); the record inputs are below this one,
// and the rewind reaches them next (or, under a live record, later). Nothing recurses. Inline, so
// that the tape's rewind loop is one loop.
inline void ValueNode::retire(ValueNode* record) noexcept {
  for (int i = 0; i < record->input_count; ++i) {
    if ((record->leaf_inputs >> i & 1u) == 0) continue;
    ValueNode* leaf = record->inputs[i];
    assert(leaf->ref_count > 0);
    if (--leaf->ref_count == 0) destroy(leaf);
  }
  record->~ValueNode();
}

/// d(node)/d(input i) at the node's current values: what the backward step multiplies node.grad by.
/// @param node a node with inputs: a recorded op result.
/// @param input_index 0 for a, 1 for b.
/// @throws kindling::error when `input_index` is not one of the node's inputs (a leaf has none).
double local_derivative(const ValueNode& node, int input_index);
/// What the backward step adds to input i's grad: local_derivative * node.grad, except where the
/// derivative is a mask (relu's 0 for a <= 0, a^0's 0), which gives 0 even for an infinite or NaN
/// node.grad, as PyTorch's threshold_backward and pow_backward (where, not a product).
/// @param node a node with inputs: a recorded op result.
/// @param input_index 0 for a, 1 for b.
/// @throws kindling::error when `input_index` is not one of the node's inputs (a leaf has none).
double chain_contribution(const ValueNode& node, int input_index);
/// That derivative as a formula in the names the stepper uses: inputs a, b, result c, exponent k
/// ("b" for mul's input 0, "k * a^(k-1)" for pow's). "" for an index the op has no input at.
std::string_view derivative_formula(ValueOp op, int input_index) noexcept;

/// c = op(a, b) for inputs a, b and exponent k, computed by the very function the op's Value
/// method or operator calls (b is read by infix ops only, k by pow only): for callers that
/// recompute a node from new input values, as gradcheck does.
/// @throws kindling::error for ValueOp::leaf, which is not an op.
double forward_value(ValueOp op, double a, double b = 0.0, double k = 0.0);

/// A gradient hook (Value::register_hook): called with a node's gradient d(root)/d(node) once it is
/// complete in a backward() or grad() pass, before it flows on to the node's inputs (or, for a
/// leaf, before it is added to grad()). A returned Value replaces that gradient; nullopt keeps it.
/// Under grad(create_graph = true) the gradient is a graph node, and so may the replacement be;
/// otherwise it is a constant, and the hook runs under no_grad.
using ValueHook = std::function<std::optional<Value>(const Value& grad)>;

/// What register_hook returns, as torch's RemovableHandle: remove() takes the hook off again. It
/// does not keep the node alive.
class ValueHookHandle {
 public:
  /// A handle to no hook: remove() does nothing.
  ValueHookHandle() = default;
  /// Takes the hook off its node; a no-op once the node is gone or the hook was removed.
  void remove() noexcept;

 private:
  friend class Value;
  ValueHookHandle(std::weak_ptr<ValueHookList> list, std::uint64_t id) noexcept
      : list_(std::move(list)), id_(id) {}
  std::weak_ptr<ValueHookList> list_;
  std::uint64_t id_ = 0;
};

/// The scalar autograd value: micrograd's Value in C++, a handle (one pointer) to a node of the
/// graph. Copies share the node; a node lives while a handle or a node made from it refers to it.
/// Every op records a new node with grad mode on (is_grad_enabled()) and makes a leaf with it
/// off. Gradients accumulate in the leaves' grad() across backward passes, as in PyTorch, until
/// zero_grad(). A moved-from Value is empty (node() is null): assign to it or let it go.
///
/// The ops throw kindling::error when an input is an op result made on another thread (a graph
/// belongs to one thread), and, under anomaly mode (detect_anomaly), when the result is NaN or
/// infinite.
/// @code
/// kindling::Value a(2.0, "a"), b(-3.0, "b");
/// kindling::Value c = a * b + 1.0;  // c.data() == -5
/// c.backward();                     // a.grad() == -3, b.grad() == 2
/// std::cout << a << "\n";           // Value(data=2.0000, grad=-3.0000)
/// a.zero_grad();
/// b.zero_grad();
/// @endcode
class Value {
 public:
  /// A leaf holding `data`, whatever the grad mode. Implicit from double, so `a + 2.0`,
  /// `2.0 * a` and `1.0 - a` read as they should.
  Value(double data = 0.0);  // NOLINT(google-explicit-constructor)
  /// A leaf holding `data`, named `label` in graphs and the stepper's text.
  Value(double data, std::string label);

  /// The value.
  double data() const noexcept { return node_->data; }
  /// d(root)/d(this) as a number: accumulated over the passes for a leaf, the last pass's for an
  /// interior node (Note [what a second backward does]); 0 before any.
  double grad() const noexcept { return node_->grad; }
  /// The gradient as a Value: after backward(..., create_graph = true) a leaf's gradient is a node
  /// of its own graph, which can be differentiated again (x.grad in PyTorch); otherwise, or once a
  /// pass without create_graph has added numbers to it since, a constant holding grad().
  Value grad_value() const;
  /// A Value is a handle: this writes the node it refers to (as Tensor's in-place operations do).
  /// The nodes computed from it keep their data until they are computed again.
  void set_data(double data) const noexcept { node_->data = data; }
  /// Writes the node's gradient, dropping a gradient kept as a graph node (grad_value()).
  void set_grad(double grad) const noexcept {
    node_->grad = grad;
    if (node_->extras) [[unlikely]]
      node_->extras->drop_grad_graph();
  }
  /// The node's label; empty when it has none.
  const std::string& label() const noexcept;
  /// Names the node in graphs and the stepper's text (shared by every handle to it).
  /// @return this Value, for chaining.
  Value& set_label(std::string label);
  /// The op that made the node; ValueOp::leaf for a leaf.
  ValueOp op() const noexcept { return node_->op; }
  /// pow's constant exponent; 0 for other ops.
  double exponent() const noexcept { return node_->exponent; }
  /// The Values this one was computed from (empty for a leaf).
  std::vector<Value> inputs() const;

  /// Seeds this Value's grad with 1 and propagates to everything it depends on. Leaf gradients
  /// accumulate across calls (zero_grad() resets them); see Note [what a second backward does].
  /// micrograd's backward: the graph is kept, so it may be called again.
  /// @throws kindling::error when the graph was released by backward(..., retain_graph = false),
  ///   when a hook throws or returns an empty Value, and under anomaly mode when a gradient
  ///   becomes NaN or infinite (naming the op).
  void backward() const;
  /// PyTorch's backward(gradient, retain_graph, create_graph): d(this)/d(this) = gradient (1 when
  /// nullopt; under create_graph it may be a graph node). Without retain_graph (its default is
  /// create_graph, as in PyTorch) the graph is released: a later backward or grad() through it is
  /// a kindling::error naming the op. So `c.backward(std::nullopt)` releases the graph where
  /// `c.backward()` keeps it. With create_graph the gradients added to the leaves' grad are
  /// graph nodes themselves (grad_value()), built by grad()'s create_graph pass, for the leaves a
  /// handle holds; constants only the graph refers to get the number (Note [backward with
  /// create_graph] in value.cpp). As in PyTorch a leaf and its graph gradient hold each other
  /// until zero_grad() (or zero_grads(root)). Hooks run as in backward().
  /// @code
  /// kindling::Value x(0.5, "x");
  /// kindling::Value f = x.pow(3.0);
  /// f.backward(std::nullopt, std::nullopt, true);  // x.grad() == 0.75 (3x^2)
  /// kindling::Value df = x.grad_value();           // 3x^2 as a graph node
  /// x.zero_grad();                                 // breaks x <-> df's cycle
  /// df.backward();                                 // x.grad() == 3 (6x)
  /// @endcode
  /// @throws kindling::error when `gradient` is an empty Value, and as backward() does.
  void backward(const std::optional<Value>& gradient,
                std::optional<bool> retain_graph = std::nullopt, bool create_graph = false) const;
  /// Note [zero_grad]: forgets this node's gradient, so the next backward pass starts it from
  /// nothing instead of adding to it. Value and Tensor mean the same; a Value shows "nothing" as
  /// grad() == 0, a Tensor as an undefined grad() (torch's set_to_none). A gradient kept as a graph
  /// node (backward with create_graph) is dropped too, which frees the graph it holds.
  void zero_grad() const noexcept { set_grad(0.0); }

  /// Calls `hook` with this node's gradient in every later backward pass and grad() call that
  /// reaches it (ValueHook above says when), in the order the hooks were registered: to print each
  /// gradient as it arrives, or to replace it. The stepper does not run hooks.
  /// torch.Tensor.register_hook.
  /// @code
  /// kindling::Value x(2.0, "x");
  /// kindling::Value y = x * x;
  /// kindling::ValueHookHandle handle =
  ///     y.register_hook([](const kindling::Value& g) -> std::optional<kindling::Value> {
  ///       return g * 2.0;  // doubles the gradient flowing through y
  ///     });
  /// y.backward();     // x.grad() == 8: 2 * dy/dx
  /// handle.remove();
  /// @endcode
  /// @throws kindling::error when `hook` is empty.
  ValueHookHandle register_hook(ValueHook hook) const;

  /// this^exponent, the exponent a constant (torch.pow with a number exponent): 0.5 and -0.5
  /// are computed as sqrt and 1 / sqrt, as PyTorch does; a negative base with a fractional
  /// exponent gives NaN. The derivative of a^0 is 0 everywhere.
  Value pow(double exponent) const;
  /// e^this.
  Value exp() const;
  /// The natural logarithm: NaN below 0, -inf at 0, as IEEE 754 says.
  Value log() const;
  /// The hyperbolic tangent.
  Value tanh() const;
  /// max(this, 0); the derivative at 0 is 0, and relu(NaN) is NaN, as in PyTorch.
  Value relu() const;
  /// 1 / (1 + e^-this), computed without overflow for large |this|.
  Value sigmoid() const;

  /// a + b, a new node.
  friend Value operator+(const Value& a, const Value& b);
  /// a - b, a new node.
  friend Value operator-(const Value& a, const Value& b);
  /// a * b, a new node.
  friend Value operator*(const Value& a, const Value& b);
  /// a / b, a new node (IEEE 754 division: b = 0 gives an infinity or NaN).
  friend Value operator/(const Value& a, const Value& b);
  /// -a, a new node.
  friend Value operator-(const Value& a);
  /// A compound assignment makes a new node, as `x = x + y` does, and gives it x's label: the
  /// graph and the stepper name it as the code does (Note [compound assignment keeps the label]).
  Value& operator+=(const Value& other) { return assign_keeping_label(*this + other); }
  /// `*this = *this - other`, keeping the label (operator+=).
  Value& operator-=(const Value& other) { return assign_keeping_label(*this - other); }
  /// `*this = *this * other`, keeping the label (operator+=).
  Value& operator*=(const Value& other) { return assign_keeping_label(*this * other); }
  /// `*this = *this / other`, keeping the label (operator+=).
  Value& operator/=(const Value& other) { return assign_keeping_label(*this / other); }

  /// Comparisons read the data, as Python's numbers do (micrograd's Value has none; torch's give a
  /// bool tensor). No ==: two Values are the same when they are the same node (same_node).
  friend bool operator<(const Value& a, const Value& b) noexcept { return a.data() < b.data(); }
  /// a.data() <= b.data() (operator<).
  friend bool operator<=(const Value& a, const Value& b) noexcept { return a.data() <= b.data(); }
  /// a.data() > b.data() (operator<).
  friend bool operator>(const Value& a, const Value& b) noexcept { return a.data() > b.data(); }
  /// a.data() >= b.data() (operator<).
  friend bool operator>=(const Value& a, const Value& b) noexcept { return a.data() >= b.data(); }

  /// True when both handles refer to the same graph node.
  bool same_node(const Value& other) const noexcept { return node_ == other.node_; }
  /// The node, without taking a reference (null for a moved-from Value): for the explaining tools.
  ValueNode* node() const noexcept { return node_.get(); }
  /// Wraps an existing node (taking a reference): how the stepper hands nodes back as Values.
  /// @throws kindling::error when `node` is null.
  static Value from_node(ValueNode* node) {
    if (node == nullptr) [[unlikely]]
      throw_null_node();
    return Value(FromNode{}, node);
  }

 private:
  Value& assign_keeping_label(Value result);
  [[noreturn]] static void throw_null_node();
  struct FromNode {};
  Value(FromNode, ValueNode* node) noexcept : node_(node) {}
  engine::NodeRef<ValueNode> node_;
};

/// base.pow(exponent): base^exponent for a constant exponent.
inline Value pow(const Value& base, double exponent) {
  return base.pow(exponent);
}
/// base^x for a number base > 0, as exp(x * ln(base)): `2 ** v` in Python. The graph shows the
/// exp and the product it is made of.
/// @throws kindling::error for a base <= 0: its log is not real.
Value pow(double base, const Value& exponent);
/// x.exp(): e^x.
inline Value exp(const Value& x) {
  return x.exp();
}
/// x.log(): the natural logarithm.
inline Value log(const Value& x) {
  return x.log();
}
/// x.tanh().
inline Value tanh(const Value& x) {
  return x.tanh();
}
/// x.relu(): max(x, 0).
inline Value relu(const Value& x) {
  return x.relu();
}
/// x.sigmoid(): 1 / (1 + e^-x).
inline Value sigmoid(const Value& x) {
  return x.sigmoid();
}

/// The op applied to Values, chosen at run time: apply_op(ValueOp::mul, {a, b}) is a * b and
/// apply_op(ValueOp::pow, {a}, 2.0) is a.pow(2.0), the same node with the same bits (the expression
/// parser calls the table's functions this way). `exponent` is pow's k, unused by the other ops.
/// @throws kindling::error for ValueOp::leaf, or when the number of inputs is not the op's arity.
Value apply_op(ValueOp op, std::span<const Value> inputs, double exponent = 0.0);

/// micrograd's repr: Value(data=2.0000, grad=-3.0000).
std::string to_string(const Value& value);
/// Writes to_string(value): `std::cout << v`.
std::ostream& operator<<(std::ostream& out, const Value& value);

/// Scalar nodes made on this thread and not yet freed: leaves, and tape records not yet rewound
/// (dead ones below a live one included, Note [tape]). A test's handle on leaks.
std::ptrdiff_t live_value_nodes() noexcept;

/// Sets grad to 0 on `root` and on every node it was computed from, leaves and constants included:
/// a fresh start before a second backward() or a stepper on the same graph, which otherwise
/// accumulate onto the gradients already there (Note [what a second backward does]).
void zero_grads(const Value& root);

}  // namespace kindling
