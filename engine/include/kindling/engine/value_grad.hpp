// grad() for Values: d(outputs)/d(inputs) returned instead of added to .grad, and, with
// create_graph, returned as Values of their own graph, so that they can be differentiated again.
//
//   kindling::Value x(0.5, "x");
//   kindling::Value f = x.pow(3.0);                          // f = x^3
//   kindling::Value df = kindling::grad(f, {x}, true)[0];    // 3x^2 = 0.75, a graph node
//   kindling::Value d2f = kindling::grad(df, {x})[0];        // 6x = 3
//
// The names and the order of the arguments are those of the tensor engine's kindling::grad and of
// torch.autograd.grad: (outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused).
//
// Note [scalar create_graph]
// Without create_graph, grad() runs backward()'s own pass (the double chain rule of each op's
// ValueRule, the same bits) and reads the inputs' gradients from it; no graph is recorded. With
// create_graph, the pass runs each op's chain rule written as Value ops (the same row's
// contribution_graph, beside its double form), so every gradient is a record on the tape, built
// while the walk runs. That is safe with the walk: the walk's cursor scans the tape downwards from
// the output, and the new records go on top, above the output; the output (held by the caller)
// keeps every record below it alive while the gradients are built (Note [record references]), and
// the gradient records, lying above, keep the forward graph they read alive for as long as they
// live. Each gradient's data is bitwise the gradient of the double pass.
//
// Neither form touches a leaf's grad(). An interior node reached by the pass is left holding this
// pass's d(output)/d(node), as after backward() (Note [what a second backward does]).
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "kindling/engine/value.hpp"

namespace kindling {

/// d(sum of outputs[k] * grad_outputs[k]) / d(inputs[i]), one Value per input: torch.autograd.grad
/// for Values. grad() never releases a graph (only Value::backward(..., retain_graph = false)
/// does), and refuses one that was released. No leaf's grad() changes; an interior node the pass
/// reaches is left holding its gradient, as after backward() (Note [scalar create_graph]).
/// Gradient hooks run as in backward().
/// @param outputs the Values to differentiate.
/// @param inputs the Values to differentiate by: leaves or interior Values.
/// @param grad_outputs d(result)/d(outputs[k]), one per output (graph nodes too, with
///   create_graph); empty: 1 for each.
/// @param retain_graph accepted for the tensor API's sake; changes nothing.
/// @param create_graph return the gradients as graph nodes, to differentiate them again;
///   their ops are recorded whatever the grad mode.
/// @param allow_unused give an input the outputs do not depend on a constant 0 gradient instead
///   of throwing (torch returns None; Python's kindling.grad does too).
/// @return one gradient per input, in the inputs' order.
/// @code
/// kindling::Value x(2.0, "x"), y(3.0, "y");
/// kindling::Value f = x * y, h = x + y;
/// std::vector<kindling::Value> g = kindling::grad({f, h}, {x, y});  // {y + 1, x + 1}: {4, 3}
/// @endcode
/// @throws kindling::error when outputs or inputs is empty, when grad_outputs is neither empty
///   nor one per output, when a Value is empty (moved from), when the graph was released, and
///   for an unused input without allow_unused.
std::vector<Value> grad(const std::vector<Value>& outputs, const std::vector<Value>& inputs,
                        const std::vector<Value>& grad_outputs = {},
                        std::optional<bool> retain_graph = std::nullopt, bool create_graph = false,
                        bool allow_unused = false);

/// The one-output form: grad(f, {x, y}, true) is {df/dx, df/dy} as graph nodes. Throws as the
/// general form does.
/// @code
/// kindling::Value x(0.5, "x");
/// kindling::Value f = x.pow(3.0);                          // f = x^3
/// kindling::Value df = kindling::grad(f, {x}, true)[0];    // 3x^2 = 0.75, a graph node
/// kindling::Value d2f = kindling::grad(df, {x})[0];        // 6x = 3
/// @endcode
std::vector<Value> grad(const Value& output, const std::vector<Value>& inputs,
                        bool create_graph = false, bool allow_unused = false);

/// The create_graph pass, one forward node at a time: what grad(create_graph = true) runs for each
/// output, and what the stepper steps through (explain/value_stepper.hpp). Each step takes the next
/// node of backward()'s order (from the output down) and runs its chain rule as Value ops, adding
/// to its inputs' gradients: new records on the tape. The pass holds the output, so the forward
/// graph stays alive while it runs.
/// @code
/// kindling::Value x(0.5, "x");
/// kindling::Value f = x * x.exp();
/// kindling::GradGraphPass pass(f, {x});
/// while (!pass.done()) pass.step();                         // or pass.run_to_end()
/// kindling::Value df = pass.input_gradients()[0];           // (1 + x) e^x, a graph node
/// @endcode
class GradGraphPass {
 public:
  /// d(output)/d(output) = seed. Gradients are built for the inputs and for every interior node
  /// on the way, none for leaves that are not inputs (nothing would read them). Without
  /// keep_gradients an interior node's gradient is dropped once its step has run (grad() needs
  /// only the inputs'); the stepper keeps them all to draw them.
  /// @throws kindling::error when output, seed or an input is an empty Value (moved from), or
  ///   when the graph was released by backward(..., retain_graph = false).
  GradGraphPass(const Value& output, std::vector<Value> inputs, const Value& seed = Value(1.0),
                bool keep_gradients = false);

  /// True once every node of the schedule has stepped.
  bool done() const noexcept { return position_ == schedule_.size(); }
  /// How many steps have run.
  std::size_t position() const noexcept { return position_; }
  /// How many steps the pass takes: the interior nodes the output depends on.
  std::size_t step_count() const noexcept { return schedule_.size(); }
  /// The forward nodes in the order step() takes them.
  std::span<ValueNode* const> schedule() const noexcept { return schedule_; }
  /// Runs the next node's chain rule (its hooks first, on its complete gradient) and returns the
  /// node. Records whatever the caller's grad mode.
  /// @throws kindling::error when done, or when a hook returns an empty Value.
  Value step();
  /// Runs step() until done().
  void run_to_end();

  /// The output the pass differentiates (held, with the graph below it).
  const Value& output() const noexcept { return root_; }
  /// A node's gradient as built so far (partial until each of its users has stepped); nullopt
  /// where nothing has reached it (yet, or dropped: see keep_gradients).
  std::optional<Value> gradient(const Value& node) const;
  /// Once done: the inputs' gradients (a constant 0 where none arrived), in the inputs' order.
  /// @throws kindling::error when steps are still to run.
  std::vector<Value> input_gradients() const;
  /// Once done: which inputs the output depends on, in the inputs' order (empty before).
  const std::vector<bool>& reached() const noexcept { return reached_; }

 private:
  void finish();

  Value root_;
  std::vector<Value> inputs_;
  bool keep_gradients_;
  bool hooks_ = false;
  std::vector<ValueNode*> schedule_;
  std::size_t position_ = 0;
  std::unordered_set<const ValueNode*> wanted_;       // the inputs
  std::unordered_set<const ValueNode*> reached_set_;  // every node the output depends on
  std::unordered_map<const ValueNode*, Value> grads_;
  std::vector<bool> reached_;
};

namespace detail {
// grad() that also says which inputs the outputs reached (the rest are given the constant 0 and
// allow_unused is not checked): what Python's binding uses to return None for them.
std::vector<Value> value_grad(const std::vector<Value>& outputs, const std::vector<Value>& inputs,
                              const std::vector<Value>& grad_outputs, bool create_graph,
                              std::vector<bool>& reached);
}  // namespace detail

}  // namespace kindling
