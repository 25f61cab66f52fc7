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

enum class ValueOp : std::uint8_t {
#define KINDLING_X(name, label, arity, form) name,
  KINDLING_VALUE_OPS(KINDLING_X)
#undef KINDLING_X
};

inline constexpr std::size_t kValueOpCount = 0
#define KINDLING_X(name, label, arity, form) +1
    KINDLING_VALUE_OPS(KINDLING_X)
#undef KINDLING_X
    ;

// How an op is written (the table's form column).
enum class ValueForm : std::uint8_t { leaf, infix, negation, power, call };

std::string_view op_name(ValueOp op) noexcept;    // "mul"
std::string_view op_symbol(ValueOp op) noexcept;  // "*": the table's label
int op_arity(ValueOp op) noexcept;                // 2
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

// What few nodes carry, behind one pointer so that the node stays at 64 bytes: a label, the hooks
// registered on the node (shared with the handles that can remove them), a forward-mode tangent
// (Note [scalar forward mode] in value_forward_ad.hpp) and a leaf's gradient as a graph node
// (Note [backward with create_graph] in value.cpp).
struct ValueExtras {
  std::string label;
  std::shared_ptr<ValueHookList> hooks;
  std::uint64_t tangent_level = 0;  // the dual level the tangent belongs to; 0: none
  double tangent = 0.0;
  ValueNode* grad_graph = nullptr;  // counted (one reference); null when the grad is a number

  ValueExtras() = default;
  ValueExtras(const ValueExtras&) = delete;
  ValueExtras& operator=(const ValueExtras&) = delete;
  ~ValueExtras();  // releases grad_graph
  // Drops grad_graph (the gradient is a plain number again).
  void drop_grad_graph() noexcept;
  bool empty() const noexcept {
    return label.empty() && !hooks && tangent_level == 0 && grad_graph == nullptr;
  }
};

// A node of the scalar graph: 64 bytes, the size of a cache line. A leaf (no inputs) comes from a
// pool (engine/pool.hpp) and is freed when its count reaches zero; an op result is a record on its
// thread's tape (engine/tape.hpp), and its slot is reused when the tape is rewound past it.
//
// Note [record references]
// A leaf's ref_count counts its handles and the records made from it. A record's counts its
// handles only: the records made from it lie above it on the same tape, and the tape rewinds only
// past dead records, so a live record keeps every record below it (its inputs among them) without
// a count. leaf_inputs says which inputs are leaves, the ones a record's retire() releases.
struct ValueNode : engine::NodeBase {
  ValueOp op = ValueOp::leaf;  // these three sit in NodeBase's tail padding
  std::uint8_t input_count = 0;
  std::uint8_t leaf_inputs = 0;  // bit i: input i is a leaf (Note [record references])
  bool released = false;         // backward(retain_graph = false) ran through this record
  double data = 0.0;
  double grad = 0.0;
  double exponent = 0.0;  // pow's constant exponent; unused by other ops
  ValueNode* inputs[2] = {nullptr, nullptr};
  std::unique_ptr<ValueExtras> extras;  // most nodes have none, so it costs one pointer

  // The node's label, empty when it has none (Value::label()).
  const std::string& label_text() const noexcept {
    static const std::string empty;
    return extras ? extras->label : empty;
  }
  std::span<ValueNode* const> parents() const noexcept { return {inputs, input_count}; }
  void backward_step();
  void seed_grad() noexcept { grad += 1.0; }
  void clear_grad() noexcept { grad = 0.0; }
  static void destroy(ValueNode* node) noexcept;
  // The engine's hooks for tape records (engine/graph.hpp, engine/tape.hpp): backward walks the
  // tape; a count reaching zero frees a leaf or lets the tape rewind; retire() is a record's
  // rewind.
  using Frontier = engine::TapeFrontier<ValueNode>;
  static void last_reference_dropped(ValueNode* node) noexcept;
  static void retire(ValueNode* record) noexcept;

  // What the DOT writer (kindling::explain) draws: the record {label | data | grad} and the op's
  // label from the table.
  std::vector<std::string> dot_fields() const;
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

// d(node)/d(input i) at the node's current values: what the backward step multiplies node.grad by.
double local_derivative(const ValueNode& node, int input_index);
// What the backward step adds to input i's grad: local_derivative * node.grad, except where the
// derivative is a mask (relu's 0 for a <= 0, a^0's 0), which gives 0 even for an infinite or NaN
// node.grad, as PyTorch's threshold_backward and pow_backward (where, not a product).
double chain_contribution(const ValueNode& node, int input_index);
// That derivative as a formula in the names the stepper uses: inputs a, b, result c, exponent k.
std::string_view derivative_formula(ValueOp op, int input_index) noexcept;

// c = op(a, b) for inputs a, b and exponent k, computed by the very function the op's Value
// method or operator calls (b is read by infix ops only, k by pow only): for callers that
// recompute a node from new input values, as gradcheck does. Throws kindling::error for leaf.
double forward_value(ValueOp op, double a, double b = 0.0, double k = 0.0);

// A gradient hook (Value::register_hook): called with a node's gradient d(root)/d(node) once it is
// complete in a backward() or grad() pass, before it flows on to the node's inputs (or, for a
// leaf, before it is added to grad()). A returned Value replaces that gradient; nullopt keeps it.
// Under grad(create_graph = true) the gradient is a graph node, and so may the replacement be.
using ValueHook = std::function<std::optional<Value>(const Value& grad)>;

// What register_hook returns: remove() takes the hook off again (a no-op once the node is gone or
// the hook was removed). It does not keep the node alive.
class ValueHookHandle {
 public:
  ValueHookHandle() = default;
  void remove() noexcept;

 private:
  friend class Value;
  ValueHookHandle(std::weak_ptr<ValueHookList> list, std::uint64_t id) noexcept
      : list_(std::move(list)), id_(id) {}
  std::weak_ptr<ValueHookList> list_;
  std::uint64_t id_ = 0;
};

class Value {
 public:
  // A leaf. Implicit from double, so `a + 2.0`, `2.0 * a` and `1.0 - a` read as they should.
  Value(double data = 0.0);  // NOLINT(google-explicit-constructor)
  Value(double data, std::string label);

  double data() const noexcept { return node_->data; }
  double grad() const noexcept { return node_->grad; }
  // The gradient as a Value: after backward(..., create_graph = true) a leaf's gradient is a node
  // of its own graph, which can be differentiated again (x.grad in PyTorch); otherwise, or once a
  // pass without create_graph has added numbers to it since, a constant holding grad().
  Value grad_value() const;
  // A Value is a handle: these write the node it refers to (as Tensor's in-place operations do).
  void set_data(double data) const noexcept { node_->data = data; }
  void set_grad(double grad) const noexcept {
    node_->grad = grad;
    if (node_->extras) [[unlikely]]
      node_->extras->drop_grad_graph();
  }
  const std::string& label() const noexcept;
  Value& set_label(std::string label);
  ValueOp op() const noexcept { return node_->op; }
  double exponent() const noexcept { return node_->exponent; }
  // The Values this one was computed from (empty for a leaf).
  std::vector<Value> inputs() const;

  // Seeds this Value's grad with 1 and propagates to everything it depends on. Leaf gradients
  // accumulate across calls (zero_grad() resets them); see Note [what a second backward does].
  // micrograd's backward: the graph is kept, so it may be called again.
  void backward() const;
  // PyTorch's backward(gradient, retain_graph, create_graph): d(this)/d(this) = gradient (1 when
  // nullopt; under create_graph it may be a graph node). Without retain_graph (its default is
  // create_graph, as in PyTorch) the graph is released: a later backward or grad() through it is
  // a kindling::error naming the op. With create_graph the gradients added to the leaves' grad are
  // graph nodes themselves (grad_value()), built by grad()'s create_graph pass, for the leaves a
  // handle holds; constants only the graph refers to get the number (Note [backward with
  // create_graph] in value.cpp). As in PyTorch a leaf and its graph gradient hold each other
  // until zero_grad() (or zero_grads(root)). Hooks run as in backward().
  void backward(const std::optional<Value>& gradient,
                std::optional<bool> retain_graph = std::nullopt, bool create_graph = false) const;
  // Note [zero_grad]: forgets this node's gradient, so the next backward pass starts it from
  // nothing instead of adding to it. Value and Tensor mean the same; a Value shows "nothing" as
  // grad() == 0, a Tensor as an undefined grad() (torch's set_to_none). A gradient kept as a graph
  // node (backward with create_graph) is dropped too, which frees the graph it holds.
  void zero_grad() const noexcept { set_grad(0.0); }

  // Calls `hook` with this node's gradient in every later backward pass and grad() call that
  // reaches it (ValueHook above says when), in the order the hooks were registered: to print each
  // gradient as it arrives, or to replace it. The stepper does not run hooks.
  ValueHookHandle register_hook(ValueHook hook) const;

  Value pow(double exponent) const;
  Value exp() const;
  Value log() const;
  Value tanh() const;
  Value relu() const;
  Value sigmoid() const;

  friend Value operator+(const Value& a, const Value& b);
  friend Value operator-(const Value& a, const Value& b);
  friend Value operator*(const Value& a, const Value& b);
  friend Value operator/(const Value& a, const Value& b);
  friend Value operator-(const Value& a);
  // A compound assignment makes a new node, as `x = x + y` does, and gives it x's label: the
  // graph and the stepper name it as the code does (Note [compound assignment keeps the label]).
  Value& operator+=(const Value& other) { return assign_keeping_label(*this + other); }
  Value& operator-=(const Value& other) { return assign_keeping_label(*this - other); }
  Value& operator*=(const Value& other) { return assign_keeping_label(*this * other); }
  Value& operator/=(const Value& other) { return assign_keeping_label(*this / other); }

  // Comparisons read the data, as Python's numbers do (micrograd's Value has none; torch's give a
  // bool tensor). No ==: two Values are the same when they are the same node (same_node).
  friend bool operator<(const Value& a, const Value& b) noexcept { return a.data() < b.data(); }
  friend bool operator<=(const Value& a, const Value& b) noexcept { return a.data() <= b.data(); }
  friend bool operator>(const Value& a, const Value& b) noexcept { return a.data() > b.data(); }
  friend bool operator>=(const Value& a, const Value& b) noexcept { return a.data() >= b.data(); }

  // True when both handles refer to the same graph node.
  bool same_node(const Value& other) const noexcept { return node_ == other.node_; }
  ValueNode* node() const noexcept { return node_.get(); }
  // Wraps an existing node (taking a reference): how the stepper hands nodes back as Values.
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

inline Value pow(const Value& base, double exponent) {
  return base.pow(exponent);
}
// base^x for a number base > 0, as exp(x * ln(base)): `2 ** v` in Python. The graph shows the
// exp and the product it is made of. A base <= 0 is a kindling::error: its log is not real.
Value pow(double base, const Value& exponent);
inline Value exp(const Value& x) {
  return x.exp();
}
inline Value log(const Value& x) {
  return x.log();
}
inline Value tanh(const Value& x) {
  return x.tanh();
}
inline Value relu(const Value& x) {
  return x.relu();
}
inline Value sigmoid(const Value& x) {
  return x.sigmoid();
}

// The op applied to Values, chosen at run time: apply_op(ValueOp::mul, {a, b}) is a * b and
// apply_op(ValueOp::pow, {a}, 2.0) is a.pow(2.0), the same node with the same bits (the expression
// parser calls the table's functions this way). `exponent` is pow's k, unused by the other ops.
// Throws kindling::error for leaf or when the number of inputs is not the op's arity.
Value apply_op(ValueOp op, std::span<const Value> inputs, double exponent = 0.0);

// micrograd's repr: Value(data=2.0000, grad=-3.0000).
std::string to_string(const Value& value);
// Writes to_string(value): `std::cout << v`.
std::ostream& operator<<(std::ostream& out, const Value& value);

// Scalar nodes made on this thread and not yet freed: leaves, and tape records not yet rewound
// (dead ones below a live one included, Note [tape]). A test's handle on leaks.
std::ptrdiff_t live_value_nodes() noexcept;

// Sets grad to 0 on `root` and on every node it was computed from, leaves and constants included:
// a fresh start before a second backward() or a stepper on the same graph, which otherwise
// accumulate onto the gradients already there (Note [what a second backward does]).
void zero_grads(const Value& root);

}  // namespace kindling
