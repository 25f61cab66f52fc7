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
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "kindling/engine/value.hpp"
#include "kindling/engine/value_grad.hpp"
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

// "c = a * b": how `node` is computed, written in the names `name` gives nodes (as the step texts
// write it), and d(node)/d(input) in the same names ("b" for input 0 of c = a * b).
std::string op_expression(const ValueNode* node,
                          const std::function<std::string(const ValueNode*)>& name);
std::string derivative_text(const ValueNode* node, int input_index,
                            const std::function<std::string(const ValueNode*)>& name);

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

// Note [gradient graph stepper]
// GradGraphStepper steps through a create_graph backward (GradGraphPass, engine/value_grad.hpp):
// each step runs one forward node's chain rule as Value ops, so the gradients it adds to the
// node's inputs are new nodes, a graph of their own (the backward pass as a graph). Its frames
// draw the forward graph and that gradient graph together, coloured apart: forward nodes in the
// stepper's greys and amber, gradient nodes blue (the ones the last step made darker), each
// gradient marked with whose gradient it is ("grad x"). Differentiating a finished gradient again
// (a ValueStepper on it) gives the second derivative: step_backprop --order 2 does both.

// What the colours of a gradient-graph frame mean.
inline constexpr std::string_view kGradFrameLegend =
    "white/grey: the forward graph (grey: its chain rule has run)\n"
    "amber: the forward node whose chain rule the frame shows\n"
    "blue: the gradient graph, built by the backward pass (dark: made by this step)\n"
    "grad x: the node holding d(out)/dx so far (dashed: still partial)";

// One step of a create_graph backward: the forward node whose chain rule ran, and for each input
// the gradient node the step made (or passed on) and the input's gradient after it.
struct GradGraphStep {
  std::size_t number = 0;  // 1 for the first step
  std::size_t total = 0;
  Value node;              // the forward node
  std::string name;        // its name, as ValueStepper names it
  std::string expression;  // "c = a * b"
  struct Input {
    std::string name;     // the input's name
    std::string formula;  // d(node)/d(input) in names
    double contribution;  // what was added to the input's gradient (the new node's data)
    double gradient;      // the input's gradient after the step
  };
  std::vector<Input> inputs;
  std::size_t new_nodes = 0;  // gradient-graph nodes this step made

  // "[1/3] out = a * b: grad a += b * grad out -> -3.0000 (now -3.0000)", a line per input.
  std::string text() const;
};

class GradGraphStepper {
 public:
  // Starts a create_graph backward of `output` with respect to `inputs` (the pass holds the
  // output, keeping its graph alive), nothing stepped yet.
  GradGraphStepper(const Value& output, std::vector<Value> inputs);

  const GradGraphStep& step();
  void run_to_end();
  bool done() const noexcept { return pass_.done(); }
  std::size_t position() const noexcept { return pass_.position(); }
  std::size_t step_count() const noexcept { return pass_.step_count(); }
  const GradGraphStep* last_step() const noexcept { return last_ ? &*last_ : nullptr; }
  // The seed line before the first step, then the last step's text.
  std::string state_text() const;
  // Once done: d(output)/d(inputs[k]) as graph nodes, ready to be differentiated again.
  std::vector<Value> gradients() const { return pass_.input_gradients(); }
  const GradGraphPass& pass() const noexcept { return pass_; }

  // A forward node's name: its label, or n<i> (its place in the forward graph's order).
  std::string name(const ValueNode* node) const;
  // True for nodes of the forward graph (everything else drawn is the gradient graph).
  bool is_forward(const ValueNode* node) const { return forward_index_.count(node) != 0; }

  // The frame of the current state: the forward graph and the gradient graph so far.
  std::string frame_dot(const engine::DotOptions& options = {}) const;

 private:
  std::vector<ValueNode*> gradient_roots() const;
  std::unordered_map<const ValueNode*, std::size_t> gradient_nodes() const;

  GradGraphPass pass_;
  std::vector<Value> inputs_;
  std::vector<ValueNode*> forward_order_;
  std::unordered_map<const ValueNode*, std::size_t> forward_index_;
  std::unordered_map<const ValueNode*, std::size_t> seen_before_;  // gradient nodes before the step
  std::unordered_map<const ValueNode*, std::size_t>
      final_after_;  // steps until a gradient is whole
  std::optional<GradGraphStep> last_;
};

// The style of a ValueStepper frame over a graph that holds a gradient graph (the second-order
// pass of step_backprop --order 2): the stepper's colours, with the nodes that are not in
// `forward` outlined blue, so the two graphs stay told apart.
engine::DotStyle<ValueNode> second_order_frame_style(const ValueStepper& stepper,
                                                     const Value& forward_output);

}  // namespace kindling
