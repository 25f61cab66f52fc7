// ValueStepper: the scalar front end of the backward stepper (stepper.hpp). Each step says, with
// numbers, what the chain rule did at one node:
//
//   kindling::ValueStepper s(L);
//   while (!s.done()) std::cout << s.step().text() << '\n';
//   // [1/5] c = a * b: a.grad += b * c.grad = (-3.0000) * 1.0000 -> -3.0000
//
// Names are the Values' labels, or n<i> (i = the node's place in the topological order, which is
// also its id in the DOT text) for unlabeled nodes. Gradients come from the engine's own
// backward_step(); the numbers shown are computed beside it with the same rules
// (local_derivative), see Note [stepper is backward].
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kindling/engine/value.hpp"
#include "kindling/explain/dot.hpp"
#include "kindling/explain/stepper.hpp"

namespace kindling {

// What one input of the stepped node received.
struct GradContribution {
  Value parent;
  std::string name;         // the input's name
  int input_index = 0;      // 0 for a, 1 for b
  std::string formula;      // d(node)/d(input) in names, e.g. "x2" for b in c = a * b
  double local_derivative;  // that derivative's value
  double contribution;      // local_derivative * upstream: what was added to the input's grad
  double grad_before;       // the input's grad before this contribution
  double grad_after;        // ... and after it
};

// One step of the backward pass: the node whose local backward step ran, and what it added.
struct BackwardStep {
  std::size_t number = 0;  // 1 for the first step
  std::size_t total = 0;   // the pass's step count
  Value node;
  std::string name;        // e.g. "c", or "n4"
  std::string expression;  // the node's op in names, e.g. "c = a * b"
  double upstream = 0.0;   // the node's own grad when its step ran: d(root)/d(node)
  std::vector<GradContribution> contributions;

  // One line per input, the first tagged with the step number:
  //   "[1/5] c = a * b: a.grad += b * c.grad = (-3.0000) * 1.0000 -> -3.0000"
  // later lines indented to match; no newline at the end (print it with puts or print). When the
  // input already held a gradient, the line ends with " (a.grad now ...)".
  std::string text() const;
};

// Note: while a stepper is mid-pass, another backward() or stepper on the same graph would mix
// its gradients into this pass; step one pass at a time.
class ValueStepper {
 public:
  // Starts the backward pass from `root` as root.backward() would, without sweeping yet.
  explicit ValueStepper(const Value& root);

  // Runs the next node's backward step and describes it. Throws kindling::error when done.
  const BackwardStep& step();
  void run_to_end();
  // Back to the state right after construction: interior grads cleared, the leaves' grads as they
  // were, the root seeded (Note [stepper reset]).
  void reset();

  bool done() const noexcept { return stepper_.done(); }
  std::size_t position() const noexcept { return stepper_.position(); }
  std::size_t step_count() const noexcept { return stepper_.step_count(); }
  Value root() const { return Value::from_node(stepper_.root()); }
  // The node the last step processed, if any.
  std::optional<Value> current() const;
  // The nodes whose step has run, in order.
  std::vector<Value> done_nodes() const;
  // The description of the last step, or null before the first.
  const BackwardStep* last_step() const noexcept { return last_ ? &*last_ : nullptr; }
  // What happened so far as text: the seed line ("[0/5] start: ...", saying when leaves already
  // hold gradients from an earlier backward) at the start, then the last step's text.
  std::string state_text() const;

  // The name the step texts use for a node of this graph: its label, or n<i>.
  std::string name(const Value& value) const { return name(value.node()); }
  std::string name(const ValueNode* node) const;

  // The DOT frame of the current state: the node just processed highlighted, done nodes shaded,
  // complete gradients solid and partial ones dashed, every record showing the grad known so far,
  // and the edges that carried a contribution labelled with it.
  std::string frame_dot(const engine::DotOptions& options = {}) const;
  // The style frame_dot() uses, for callers that write the DOT themselves; it refers to this
  // stepper, which must outlive it.
  engine::DotStyle<ValueNode> frame_style() const;

  const engine::BackwardStepper<ValueNode>& engine_stepper() const noexcept { return stepper_; }

 private:
  BackwardStep describe(ValueNode* node) const;

  engine::BackwardStepper<ValueNode> stepper_;
  std::vector<std::pair<ValueNode*, double>> leaf_grads_;  // for reset()
  std::optional<BackwardStep> last_;
  // By position in the order: what each input edge carried, NaN until the node has stepped.
  std::vector<std::array<double, 2>> edge_contributions_;
};

}  // namespace kindling
