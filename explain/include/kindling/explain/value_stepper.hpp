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

/// What one input of the stepped node received (one per input: `a * a` has two).
struct GradContribution {
  Value parent;             ///< The input.
  std::string name;         ///< The input's name (its label, or `n<i>`).
  int input_index = 0;      ///< 0 for a, 1 for b.
  std::string formula;      ///< d(node)/d(input) in names: "b" for a in `c = a * b`.
  double local_derivative;  ///< That derivative's value.
  double contribution;      ///< local_derivative * upstream: what was added to the input's grad.
  double grad_before;       ///< The input's grad before this contribution.
  double grad_after;        ///< ... and after it, as the engine left it.
};

/// One step of the backward pass: the node whose local backward step ran, and what it added.
struct BackwardStep {
  std::size_t number = 0;  ///< 1 for the first step.
  std::size_t total = 0;   ///< The pass's step count.
  Value node;              ///< The node whose step ran.
  std::string name;        ///< Its name: "c", or "n4" when unlabeled.
  std::string expression;  ///< The node's op in names: "c = a * b".
  double upstream = 0.0;   ///< The node's own grad when its step ran: d(root)/d(node).
  std::vector<GradContribution> contributions;  ///< One per input, in input order.

  /// One line per input, the first tagged with the step number:
  /// `[1/5] c = a * b: a.grad += b * c.grad = (-3.0000) * 1.0000 -> -3.0000`,
  /// later lines indented to match; no newline at the end (print it with puts or print). When the
  /// input already held a gradient, the line ends with ` (a.grad now ...)`.
  std::string text() const;
};

/// `"c = a * b"`: how `node` is computed, written in the names `name` gives nodes, as the step
/// texts write it; `"c = leaf"` for a leaf.
/// @param node a node of a Value graph (not null).
/// @param name the name of each node, e.g. `[&](const ValueNode* n) { return stepper.name(n); }`.
std::string op_expression(const ValueNode* node,
                          const std::function<std::string(const ValueNode*)>& name);
/// d(node)/d(input) written in the names `name` gives nodes: `"b"` for input 0 of `c = a * b`.
/// @param node a node of a Value graph (not null).
/// @param input_index 0 for the first input (a), 1 for the second (b).
/// @param name the name of each node, as for op_expression().
std::string derivative_text(const ValueNode* node, int input_index,
                            const std::function<std::string(const ValueNode*)>& name);

/// The backward pass of a Value graph one node at a time, each step described with numbers: the
/// scalar front end of engine::BackwardStepper. Stepping to the end leaves exactly the gradients
/// root.backward() leaves (Note [stepper is backward]); step_backprop and the web playground
/// print its texts and draw its frames.
///
/// While a stepper is mid-pass, another backward() or stepper on the same graph would mix its
/// gradients into this pass; step one pass at a time.
///
/// @code
/// kindling::Value a(2.0, "a"), b(-3.0, "b");
/// kindling::Value c = (a * b).set_label("c");
/// kindling::ValueStepper s(c);
/// std::cout << s.state_text() << '\n';  // [0/1] start: c.grad = 1.0000 (the seed, dc/dc); ...
/// while (!s.done()) std::cout << s.step().text() << '\n';
/// // [1/1] c = a * b: a.grad += b * c.grad = (-3.0000) * 1.0000 -> -3.0000
/// //       c = a * b: b.grad += a * c.grad = 2.0000 * 1.0000 -> 2.0000
/// kindling::engine::write_text_file("last.dot", s.frame_dot());
/// @endcode
class ValueStepper {
 public:
  /// Starts the backward pass from `root` as root.backward() would (interior grads cleared, the
  /// root seeded with 1, leaf grads kept to accumulate onto), without sweeping yet.
  /// @throws kindling::error when `root` is an empty Value (moved from).
  explicit ValueStepper(const Value& root);

  /// Runs the next node's backward step and describes it; the reference stays valid until the
  /// next step() or reset().
  /// @throws kindling::error when the pass is done (call reset() to start again).
  const BackwardStep& step();
  /// Runs the remaining steps.
  void run_to_end();
  /// Back to the state right after construction: interior grads cleared, the leaves' grads as they
  /// were, the root seeded (Note [stepper reset]).
  void reset();

  /// True once every step has run.
  bool done() const noexcept { return stepper_.done(); }
  /// Steps taken so far.
  std::size_t position() const noexcept { return stepper_.position(); }
  /// Steps in the whole pass: one per node that is not a leaf.
  std::size_t step_count() const noexcept { return stepper_.step_count(); }
  /// The Value the pass started from.
  Value root() const { return Value::from_node(stepper_.root()); }
  /// The node the last step processed, if any.
  std::optional<Value> current() const;
  /// The nodes whose step has run, in order.
  std::vector<Value> done_nodes() const;
  /// The description of the last step, or null before the first.
  const BackwardStep* last_step() const noexcept { return last_ ? &*last_ : nullptr; }
  /// What happened so far as text: the seed line (`[0/5] start: ...`, saying when leaves already
  /// hold gradients from an earlier backward) at the start, then the last step's text.
  std::string state_text() const;

  /// The name the step texts use for a node of this graph: its label, or `n<i>` (its place in
  /// engine_stepper().order(), which is also its DOT id).
  /// @throws kindling::error when `value` is unlabeled and not part of this graph.
  std::string name(const Value& value) const { return name(value.node()); }
  /// name() of a node.
  /// @throws kindling::error when `node` is unlabeled and not part of this graph.
  std::string name(const ValueNode* node) const;

  /// The DOT frame of the current state: the node just processed highlighted, done nodes shaded,
  /// complete gradients solid and partial ones dashed, every record showing the grad known so far,
  /// and the edges that carried a contribution labelled with it (`+= -3.0000`). The colours are
  /// those engine::kFrameLegend explains.
  std::string frame_dot(const engine::DotOptions& options = {}) const;
  /// The style frame_dot() uses, for callers that write the DOT themselves; it refers to this
  /// stepper, which must outlive it.
  engine::DotStyle<ValueNode> frame_style() const;

  /// The engine's stepper underneath, for its order(), schedule(), is_done() and is_grad_final().
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

/// What the colours of a gradient-graph frame (GradGraphStepper::frame_dot()) mean.
inline constexpr std::string_view kGradFrameLegend =
    "white/grey: the forward graph (grey: its chain rule has run)\n"
    "amber: the forward node whose chain rule the frame shows\n"
    "blue: the gradient graph, built by the backward pass (dark: made by this step)\n"
    "grad x: the node holding d(out)/dx so far (dashed: still partial)";

/// One step of a create_graph backward: the forward node whose chain rule ran, and for each input
/// the gradient node the step made (or passed on) and the input's gradient after it.
struct GradGraphStep {
  std::size_t number = 0;  ///< 1 for the first step.
  std::size_t total = 0;   ///< The pass's step count.
  Value node;              ///< The forward node.
  std::string name;        ///< Its name, as ValueStepper names it.
  std::string expression;  ///< Its op in names: "c = a * b".
  /// What one input of the forward node received.
  struct Input {
    std::string name;     ///< The input's name.
    std::string formula;  ///< d(node)/d(input) in names.
    double contribution;  ///< What was added to the input's gradient (the new node's data).
    double gradient;      ///< The input's gradient after the step.
  };
  /// One per input that gets a gradient (leaves that are not among the pass's inputs get none).
  std::vector<Input> inputs;
  std::size_t new_nodes = 0;  ///< Gradient-graph nodes this step made.

  /// A line per input, later lines indented to match, the last ending with the node count:
  /// `[1/1] out = a * b: grad a += b * grad out -> -3.0000 (grad a now -3.0000) [2 new nodes]`.
  std::string text() const;
};

/// Steps through a create_graph backward of a Value graph (Note [gradient graph stepper]): each
/// step writes one forward node's chain rule as new Value nodes, so the finished gradients are
/// graphs that can be differentiated again (kindling::grad with create_graph, one node at a time).
/// The leaves' own grads are not touched.
///
/// @code
/// kindling::Value x(0.5, "x"), y(2.0, "y");
/// kindling::Value out = (x.pow(3.0) * y).set_label("out");
/// kindling::GradGraphStepper builder(out, {x});
/// while (!builder.done()) std::cout << builder.step().text() << '\n';
/// kindling::Value dx = builder.gradients()[0];  // 3 x^2 y = 1.5, as a graph
/// kindling::ValueStepper second(dx);
/// second.run_to_end();                         // x.grad() == 6 x y == 6: d2(out)/dx2
/// @endcode
class GradGraphStepper {
 public:
  /// Starts a create_graph backward of `output` with respect to `inputs`, seeded with 1 (the pass
  /// holds the output, keeping its graph alive), nothing stepped yet.
  /// @throws kindling::error when `output` or one of `inputs` is an empty Value (moved from).
  GradGraphStepper(const Value& output, std::vector<Value> inputs);

  /// Runs the next forward node's chain rule, recording it as gradient-graph nodes, and describes
  /// it; the reference stays valid until the next step().
  /// @throws kindling::error when the pass is done.
  const GradGraphStep& step();
  /// Runs the remaining steps.
  void run_to_end();
  /// True once every step has run.
  bool done() const noexcept { return pass_.done(); }
  /// Steps taken so far.
  std::size_t position() const noexcept { return pass_.position(); }
  /// Steps in the whole pass: one per forward node that is not a leaf.
  std::size_t step_count() const noexcept { return pass_.step_count(); }
  /// The description of the last step, or null before the first.
  const GradGraphStep* last_step() const noexcept { return last_ ? &*last_ : nullptr; }
  /// The seed line before the first step (`[0/5] start: grad out = 1 ...`), then the last step's
  /// text.
  std::string state_text() const;
  /// Once done: d(output)/d(inputs[k]) as graph nodes, ready to be differentiated again; a
  /// constant 0 for an input the output does not depend on.
  /// @throws kindling::error when steps are still to run.
  std::vector<Value> gradients() const { return pass_.input_gradients(); }
  /// The pass underneath (engine/value_grad.hpp), for its schedule() and gradient().
  const GradGraphPass& pass() const noexcept { return pass_; }

  /// A forward node's name: its label, or `n<i>` (its place in the forward graph's order); "?" for
  /// an unlabeled node outside the forward graph.
  std::string name(const ValueNode* node) const;
  /// True for nodes of the forward graph (everything else drawn is the gradient graph).
  bool is_forward(const ValueNode* node) const { return forward_index_.count(node) != 0; }

  /// The frame of the current state: the forward graph and the gradient graph so far, coloured
  /// as kGradFrameLegend explains.
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

/// The style of a ValueStepper frame over a graph that holds a gradient graph (the second-order
/// pass of `step_backprop --order 2`): the stepper's colours, with the nodes that are not in
/// `forward_output`'s graph outlined blue, so the two graphs stay told apart. It refers to
/// `stepper`, which must outlive it.
/// @code
/// kindling::ValueStepper second(dx);  // dx: a gradient GradGraphStepper built from out
/// const auto style = kindling::second_order_frame_style(second, out);
/// std::string dot = kindling::engine::to_dot(second.root().node(), {}, style);
/// @endcode
engine::DotStyle<ValueNode> second_order_frame_style(const ValueStepper& stepper,
                                                     const Value& forward_output);

}  // namespace kindling
