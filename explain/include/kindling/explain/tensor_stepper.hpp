// TensorStepper: the tensor front end of the backward stepper (explain/stepper.hpp). Each step
// shows the node's op and shape, the rule its backward applies, the norm of the gradient that
// arrived and of what each input received, and small tensors in full:
//
//   kindling::TensorStepper s(loss);
//   while (!s.done()) std::cout << s.step().text() << '\n';
//   // [2/4] n5 = matmul(x, w)  (4,2) float32  |n5.grad| = 1.2345
//   //   w.grad += x^T @ n5.grad  (3,2)  |added| = 0.8000  |w.grad| = 0.8000
//
// Header-only on purpose: it needs nothing from tensor/ beyond the public Tensor API, and the
// gradients move only through engine::BackwardStepper, i.e. the tensors' own backward_step()
// (Note [stepper is backward]). What an input received is measured, not recomputed: its grad
// after the step minus a copy taken before.
//
// Note [stepping a create_graph backward]
// TensorStepper(loss, /*create_graph=*/true) steps the backward of backward(create_graph = true):
// each step runs under create_graph_mode, so the gradients it adds are graph nodes (Note
// [create_graph] in tensor/src/autograd.cpp), and once done a leaf's .grad can be differentiated
// again (x.grad() is d loss/dx as a graph; its backward gives second derivatives). A frame then
// draws that gradient graph too, in blue, beside the forward graph it reads from. The interior
// grads are graphs that reach back through the nodes holding them, so the stepper drops them
// when it is destroyed (except where retain_grad() asked), as backward() does when it returns.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "kindling/engine/error.hpp"
#include "kindling/engine/format.hpp"
#include "kindling/engine/grad_mode.hpp"
#include "kindling/explain/dot.hpp"
#include "kindling/explain/stepper.hpp"
#include "kindling/tensor/autograd.hpp"
#include "kindling/tensor/ops.hpp"
#include "kindling/tensor/tensor.hpp"

namespace kindling {

/// The rule an op's backward applies to input `i`, in the names a, b (inputs), c (the result) and
/// g (the gradient arriving at c): `"a^T @ g"` for input 1 of matmul. For reading only: the
/// backward itself is in tensor/src/ops_*. The text is the op's row in the op table (op_list.hpp).
inline std::string_view tensor_backward_formula(TensorOp op, std::size_t i) noexcept {
  return op_backward_formula(op, i);
}

/// What one input of the stepped node received.
struct TensorGradContribution {
  Tensor parent;        ///< The input.
  std::string name;     ///< The input's name (its label, or `n<i>`).
  std::string formula;  ///< tensor_backward_formula with the graph's names.
  /// The grad after the step minus the grad before (a copy); undefined when the input holds no
  /// grad after the step (it does not require one) or is `repeated`.
  Tensor added;
  double added_norm = 0.0;       ///< Its Frobenius norm.
  double grad_norm_after = 0.0;  ///< The norm of the input's whole gradient after the step.
  bool repeated = false;         ///< The same input appeared earlier in this step (`a * a`).
};

/// One step of a tensor backward pass: the node whose backward step ran, the gradient that
/// arrived at it, and what each input received.
struct TensorBackwardStep {
  std::size_t number = 0;      ///< 1 for the first step.
  std::size_t total = 0;       ///< The pass's step count.
  Tensor node;                 ///< The node whose step ran.
  std::string name;            ///< Its name: its label, or `n<i>`.
  std::string expression;      ///< Its op in names: "n5 = matmul(x, w)".
  Tensor upstream;             ///< A copy of the gradient that arrived at the node.
  double upstream_norm = 0.0;  ///< The Frobenius norm of `upstream`.
  std::vector<TensorGradContribution> contributions;  ///< One per input, in input order.

  /// A heading line (`[2/4] n5 = matmul(x, w)  (4,2) float32  |n5.grad| = ...`) with the shape,
  /// dtype and |g|, then one line per input; tensors of at most `print_limit` elements are printed
  /// in full under their line. No newline at the end.
  std::string text(std::size_t print_limit = 16) const;
};

/// The backward pass of a Tensor graph one node at a time: the tensor front end of
/// engine::BackwardStepper. Each step shows the node's op and shape, the rule its backward
/// applies, and the norms of the gradient that arrived and of what each input received; stepping
/// to the end leaves exactly the gradients root.backward() leaves. Movable, not copyable.
///
/// @code
/// kindling::Tensor x = kindling::tensor({1, 2, 3, 4, 5, 6}, {2, 3});
/// x.set_label("x");
/// kindling::Tensor w = kindling::tensor({0.5, -1, 2, 0, 1, 1}, {3, 2}).set_requires_grad();
/// w.set_label("w");
/// kindling::Tensor loss = kindling::sum(kindling::matmul(x, w));
/// loss.set_label("loss");
/// kindling::TensorStepper s(loss);
/// while (!s.done()) std::cout << s.step().text() << '\n';
/// // [1/2] loss = sum(n2)  () float32  |loss.grad| = 1.0000 ...
/// // w.grad() now holds d(loss)/dw, as after loss.backward()
/// @endcode
class TensorStepper {
 public:
  /// Starts the backward pass from `root` as root.backward() would, without sweeping yet. The
  /// root must hold one element, as for backward() without an explicit gradient. Saved tensors are
  /// kept (as with retain_graph), so the graph can be stepped again after reset(). With
  /// create_graph the steps record their gradients' graph (Note [stepping a create_graph
  /// backward]).
  /// @throws kindling::error when `root` is undefined or holds more than one element.
  explicit TensorStepper(const Tensor& root, bool create_graph = false)
      : stepper_(checked_root(root)), create_graph_(create_graph) {
    if (create_graph_) forward_.insert(stepper_.order().begin(), stepper_.order().end());
  }
  /// With create_graph, drops the interior gradients (graphs that would keep the forward graph
  /// alive), except where retain_grad() asked, as backward() does.
  ~TensorStepper() {
    if (!create_graph_ || stepper_.root() == nullptr) return;  // moved from
    for (TensorNode* node : stepper_.order())
      if (!node->parents().empty() && !Tensor::from_node(*node).retains_grad()) node->clear_grad();
  }
  /// Takes over the other stepper's pass.
  TensorStepper(TensorStepper&&) = default;
  TensorStepper& operator=(TensorStepper&&) = delete;

  /// Runs the next node's backward step and describes it; the reference stays valid until the
  /// next step() or reset().
  /// @throws kindling::error when the pass is done (call reset() to start again), or what the
  ///   node's backward step throws (anomaly mode, a saved tensor modified in place).
  const TensorBackwardStep& step();
  /// Runs the remaining steps.
  void run_to_end() {
    while (!done())
      step();
  }
  /// Back to the start of the pass, from zero gradients everywhere, leaves included (Note
  /// [stepper reset]).
  void reset() {
    stepper_.reset();
    last_.reset();
  }

  /// True once every step has run.
  bool done() const noexcept { return stepper_.done(); }
  /// True when the steps record their gradients' graph (the constructor's create_graph).
  bool creates_graph() const noexcept { return create_graph_; }
  /// Steps taken so far.
  std::size_t position() const noexcept { return stepper_.position(); }
  /// Steps in the whole pass: one per node that is not a leaf.
  std::size_t step_count() const noexcept { return stepper_.step_count(); }
  /// The description of the last step, or null before the first.
  const TensorBackwardStep* last_step() const noexcept { return last_ ? &*last_ : nullptr; }
  /// The seed line before the first step (`[0/4] start: loss.grad = ones() (the seed); ...`),
  /// then the last step's text.
  std::string state_text() const;

  /// The name the step texts use: the node's label, or `n<i>` (the DOT id) for an unlabeled node.
  /// @throws kindling::error when `node` is unlabeled and not part of this graph.
  std::string name(const TensorNode* node) const {
    const std::string& label = Tensor::from_node(*node).label();
    if (!label.empty()) return label;
    return std::string("n").append(std::to_string(stepper_.index_of(node)));
  }

  /// The DOT frame of the current state (the engine's frame colours, engine::kFrameLegend), each
  /// node with the norm of the gradient it holds so far, and unlabeled nodes with their generated
  /// name. With create_graph, the gradient graph recorded so far too: its nodes blue, each
  /// gradient held by a node marked "grad <name>".
  std::string frame_dot(const engine::DotOptions& options = {}) const;

  /// The engine's stepper underneath, for its order(), schedule(), is_done() and is_grad_final().
  const engine::BackwardStepper<TensorNode>& engine_stepper() const noexcept { return stepper_; }

  /// Frobenius norm of `t` (any shape), computed in float64 under no_grad.
  static double norm(const Tensor& t) {
    const no_grad guard;
    const Tensor d = t.to(DType::float64);
    return std::sqrt(sum(d * d).item());
  }

 private:
  static TensorNode* checked_root(const Tensor& root) {
    KINDLING_CHECK(root.defined(), "TensorStepper: undefined root tensor");
    KINDLING_CHECK(root.numel() == 1, "TensorStepper: the root must hold one element, not shape ",
                   shape_string(root.shape()));
    return root.node();
  }

  engine::BackwardStepper<TensorNode> stepper_;
  bool create_graph_ = false;
  std::unordered_set<const TensorNode*> forward_;  // with create_graph: the forward graph's nodes
  std::optional<TensorBackwardStep> last_;
};

// ---- implementation (inline: header-only, see the banner) ---------------------------------------

inline std::string TensorBackwardStep::text(std::size_t print_limit) const {
  // A printed tensor under its line, every row indented alike.
  auto print = [&](std::string& out, const char* what, const Tensor& value) {
    if (!value.defined() || static_cast<std::size_t>(value.numel()) > print_limit) return;
    std::string printed = to_string(value);
    std::string indent = std::string("\n    ").append(std::string(std::strlen(what) + 1, ' '));
    for (std::size_t at = printed.find('\n'); at != std::string::npos;
         at = printed.find('\n', at + indent.size()))
      printed.replace(at, 1, indent);
    out.append("    ").append(what).append(" ").append(printed).append("\n");
  };
  const Tensor& t = node;
  std::string out = engine::step_tag(number, total) + expression + "  " + shape_string(t.shape()) +
                    " " + std::string(dtype_name(t.dtype())) + "  |" + name +
                    ".grad| = " + engine::format_number(upstream_norm) + "\n";
  print(out, "g =", upstream);
  for (const TensorGradContribution& c : contributions) {
    out.append("  ").append(c.name).append(".grad += ").append(c.formula);
    if (c.repeated) {
      out += "  (the same input again: counted above)\n";
      continue;
    }
    if (!c.parent.requires_grad()) {
      out.append("  (skipped: ").append(c.name).append(" does not require grad)\n");
      continue;
    }
    out.append("  ").append(shape_string(c.parent.shape()));
    out.append("  |added| = ").append(engine::format_number(c.added_norm));
    out.append("  |").append(c.name).append(".grad| = ");
    out.append(engine::format_number(c.grad_norm_after)).append("\n");
    print(out, "added", c.added);
  }
  out.pop_back();  // every line above ends in '\n'; the text itself does not
  return out;
}

inline const TensorBackwardStep& TensorStepper::step() {
  KINDLING_CHECK(!done(), "TensorStepper::step: the backward pass is already done (", step_count(),
                 " steps); call reset() to start again");
  const no_grad guard;
  TensorNode* node = stepper_.next();
  TensorBackwardStep step;
  step.number = position() + 1;
  step.total = step_count();
  step.node = Tensor::from_node(node);
  const Tensor& t = step.node;
  const std::vector<Tensor> inputs = t.inputs();
  step.name = name(node);
  step.expression = step.name + " = " + std::string(op_name(t.op())) + "(";
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (i > 0) step.expression += ", ";
    step.expression += name(inputs[i].node());
  }
  step.expression += ")";
  if (t.grad().defined()) {
    step.upstream = t.grad().clone();
    step.upstream_norm = norm(step.upstream);
  }
  // Copies of the inputs' grads before the step: accumulation may happen in place.
  std::vector<Tensor> before;
  for (const Tensor& input : inputs)
    before.push_back(input.grad().defined() ? input.grad().clone() : Tensor());

  {
    const create_graph_mode recording(create_graph_);
    stepper_.step();  // the tensor's own backward_step()
  }

  const std::string a = inputs.size() > 0 ? name(inputs[0].node()) : std::string{};
  const std::string b = inputs.size() > 1 ? name(inputs[1].node()) : std::string{};
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    TensorGradContribution c;
    c.parent = inputs[i];
    c.name = name(inputs[i].node());
    // g is the upstream grad: the step's own tensor's .grad.
    const std::string names[] = {a, b, step.name, step.name + ".grad"};
    c.formula = engine::substitute_names(tensor_backward_formula(t.op(), i), "abcg", names);
    for (std::size_t j = 0; j < i; ++j)
      c.repeated = c.repeated || inputs[j].same_node(inputs[i]);
    const Tensor grad = c.parent.grad();
    if (!c.repeated && grad.defined()) {
      c.added = before[i].defined() ? grad - before[i] : grad.clone();
      c.added_norm = norm(c.added);
      c.grad_norm_after = norm(grad);
    }
    step.contributions.push_back(std::move(c));
  }
  last_ = std::move(step);
  return *last_;
}

inline std::string TensorStepper::state_text() const {
  if (last_) return last_->text();
  const TensorNode* root = stepper_.root();
  return engine::step_tag(0, step_count()) + "start: " + name(root) + ".grad = ones" +
         shape_string(Tensor::from_node(*root).shape()) + " (the seed); interior grads cleared, " +
         std::to_string(step_count()) + (step_count() == 1 ? " step to go" : " steps to go") +
         (create_graph_ ? ", recording the gradient graph" : "");
}

inline std::string TensorStepper::frame_dot(const engine::DotOptions& options) const {
  // With create_graph: the gradients that are graph nodes of their own, each with its holders.
  std::vector<TensorNode*> roots = {stepper_.root()};
  std::unordered_map<const TensorNode*, std::string> held_by;
  if (create_graph_) {
    for (TensorNode* node : stepper_.order()) {
      const Tensor g = Tensor::from_node(*node).grad();
      if (!g.defined() || g.is_leaf() || forward_.count(g.node()) != 0) continue;
      auto [slot, fresh] = held_by.try_emplace(g.node(), "grad " + name(node));
      if (fresh)
        roots.push_back(g.node());
      else
        slot->second += ", grad " + name(node);
    }
  }
  engine::DotStyle<TensorNode> style;
  style.node_attributes = [this, &held_by](const TensorNode& node) {
    if (create_graph_ && forward_.count(&node) == 0) {
      // Blue: the gradient graph (Note [stepping a create_graph backward]).
      std::string attributes = "style=\"filled\" fillcolor=\"#bbdefb\" color=\"#1e88e5\"";
      auto holder = held_by.find(&node);
      if (holder != held_by.end())
        attributes.append(" xlabel=\"")
            .append(engine::escape_dot_string(holder->second))
            .append("\"");
      return attributes;
    }
    // Unlabeled nodes show their generated name; every node the norm of its grad so far.
    const Tensor t = Tensor::from_node(node);
    std::string note = t.label().empty() ? name(&node) : std::string{};
    if (t.grad().defined()) {
      if (!note.empty()) note += ' ';
      note.append("|grad| ").append(engine::format_number(norm(t.grad())));
    }
    std::string attributes = stepper_.frame_attributes(node);
    if (!note.empty())
      attributes.append(" xlabel=\"").append(engine::escape_dot_string(note)).append("\"");
    return attributes;
  };
  return engine::to_dot(std::span<TensorNode* const>(roots), options, style);
}

}  // namespace kindling
