// BackwardStepper: the backward pass of engine/graph.hpp, one node at a time, for any node type.
//
//   engine::BackwardStepper<ValueNode> s(root);   // begin_backward + seed, nothing swept yet
//   while (!s.done()) s.step();                   // one node's backward_step() per call
//
// Note [stepper is backward]
// The stepper is not a second implementation of backward(): it calls begin_backward() for the
// order and the cleared interior grads, seed_grad() on the root, and then the very backward_step()
// that reverse_sweep() calls, on the same nodes in the same order (from the root down, leaves
// skipped because they have no step). Stepping to the end therefore leaves exactly the gradients
// backward() leaves, and a test pins that. What the stepper adds is bookkeeping: which nodes are
// done, which node ran last, and when a node's gradient is complete; the scalar and tensor
// front ends (value_stepper.hpp, tensor's) turn that into text and DOT frames.
//
// Note [stepper reset]
// The constructor starts a pass exactly as backward() does, so leaf gradients accumulate onto what
// they held. reset() cannot know what a leaf held before the stepper's partial sums, so it starts
// over from zero gradients everywhere, leaves included; a front end that knows its grad type
// (ValueStepper) restores the leaves' old values instead.
#pragma once

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <functional>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kindling/engine/error.hpp"
#include "kindling/engine/graph.hpp"
#include "kindling/explain/dot.hpp"

namespace kindling::engine {

/// `"[3/5] "`: the tag a step's text starts with, step `number` of `total` (0 is the state before
/// the first step); continuation lines of the text are indented by its width.
inline std::string step_tag(std::size_t number, std::size_t total) {
  std::string tag = "[";  // appended: GCC 12 warns falsely on "literal" + std::string
  tag.append(std::to_string(number)).append("/").append(std::to_string(total)).append("] ");
  return tag;
}

/// `formula` with each standalone one-letter name `letters[i]` (not part of a longer word;
/// letters, digits, underscores and apostrophes make words) replaced by `names[i]`: `"a * b"` with
/// letters `"ab"` and names `{"x", "y"}` gives `"x * y"`. Letters beyond the end of `names` stay as
/// they are.
inline std::string substitute_names(std::string_view formula, std::string_view letters,
                                    std::span<const std::string> names) {
  const auto is_word = [&](std::size_t j) {
    return j < formula.size() && (std::isalnum(static_cast<unsigned char>(formula[j])) ||
                                  formula[j] == '_' || formula[j] == '\'');
  };
  std::string out;
  for (std::size_t i = 0; i < formula.size(); ++i) {
    const char ch = formula[i];
    const std::size_t slot = letters.find(ch);
    const bool standalone = !(i > 0 && is_word(i - 1)) && !is_word(i + 1);
    if (standalone && slot != std::string_view::npos && slot < names.size())
      out += names[slot];
    else
      out += ch;
  }
  return out;
}

/// What the colours of the frames mean, for a legend beside them (BackwardStepper's
/// frame_attributes()), one line per colour.
inline constexpr std::string_view kFrameLegend =
    "amber: the node whose backward step the frame shows\n"
    "grey: nodes whose step has run\n"
    "green: gradient complete, step still to come (leaves have none)\n"
    "dashed: gradient still partial, more will be added\n"
    "edge labels: what each step added to its input's grad";

/// The backward pass of engine/graph.hpp, one node at a time, for any node type: the very
/// backward_step() calls backward() makes, in the same order (Note [stepper is backward] in
/// stepper.hpp), with the bookkeeping a picture needs (which nodes are done, which ran last,
/// which gradients are complete). ValueStepper and TensorStepper are its front ends.
/// Not copyable; movable by construction only.
/// @tparam N the node type (ValueNode, TensorNode).
///
/// @code
/// kindling::Value a(2.0, "a"), b(-3.0, "b");
/// kindling::Value c = a * b;
/// kindling::engine::BackwardStepper<kindling::ValueNode> s(c.node());  // seeded, not swept
/// while (!s.done()) s.step();          // one node's backward_step() per call
/// // a.grad() == -3, b.grad() == 2, as after c.backward()
/// @endcode
template <GraphNode N>
class BackwardStepper {
 public:
  /// Starts a backward pass from `root` (begin_backward, then seed_grad): interior gradients are
  /// cleared, leaf gradients kept (they accumulate, as with backward()). The stepper holds a
  /// reference to the root, which keeps the whole graph alive while it steps.
  /// @throws kindling::error when `root` is null, or what the node type's seed_grad() throws.
  explicit BackwardStepper(N* root) : root_(root) {
    KINDLING_CHECK(root != nullptr, "BackwardStepper: null root");
    retain(root_);
    try {
      start();
    } catch (...) {  // a seed that throws (a node type's own check) must not leak the reference
      release(root_);
      throw;
    }
  }
  /// Drops the reference to the root.
  ~BackwardStepper() {
    if (root_) release(root_);
  }
  BackwardStepper(const BackwardStepper&) = delete;
  BackwardStepper& operator=(const BackwardStepper&) = delete;
  /// Takes over `other`'s pass; `other` is left empty: no root and no steps.
  BackwardStepper(BackwardStepper&& other) noexcept
      : root_(std::exchange(other.root_, nullptr)),
        order_(std::move(other.order_)),
        schedule_(std::move(other.schedule_)),
        index_(std::move(other.index_)),
        schedule_index_(std::move(other.schedule_index_)),
        final_after_(std::move(other.final_after_)),
        position_(std::exchange(other.position_, 0)) {}
  BackwardStepper& operator=(BackwardStepper&&) = delete;

  /// Runs the next node's local backward step and returns that node. If the step itself throws
  /// (anomaly mode), the stepper does not advance.
  /// @throws kindling::error when the pass is done (call reset() to start again).
  N* step() {
    KINDLING_CHECK(!done(), "BackwardStepper::step: the backward pass is already done (",
                   schedule_.size(), " steps); call reset() to start again");
    N* node = schedule_[position_];
    node->backward_step();
    ++position_;
    return node;
  }
  /// Runs the remaining steps: the gradients are then exactly backward()'s.
  void run_to_end() {
    while (!done())
      step();
  }
  /// Starts again from zero gradients, leaves included (Note [stepper reset]).
  void reset() {
    for (N* node : order_)
      node->clear_grad();
    start();
  }

  /// True once every step has run.
  bool done() const noexcept { return position_ == schedule_.size(); }
  /// The node the pass started from.
  N* root() const noexcept { return root_; }
  /// Steps taken so far.
  std::size_t position() const noexcept { return position_; }
  /// Steps in the whole pass: one per node that has parents (leaves have no step).
  std::size_t step_count() const noexcept { return schedule_.size(); }
  /// The node the last step() processed; null before the first step.
  N* current() const noexcept { return position_ == 0 ? nullptr : schedule_[position_ - 1]; }
  /// The node the next step() will process; null when done.
  N* next() const noexcept { return done() ? nullptr : schedule_[position_]; }
  /// The nodes whose backward step has run, in the order they ran (current() is the last).
  std::span<N* const> done_nodes() const noexcept { return {schedule_.data(), position_}; }
  /// Every node of the graph, parents before children, in the order the DOT writer draws them
  /// (topological_order), so that a generated name (n3) is the node's DOT id. The steps run in
  /// schedule() order, backward()'s (Note [creation order]).
  std::span<N* const> order() const noexcept { return order_; }
  /// The nodes in the order step() processes them: those with parents, from the root down.
  std::span<N* const> schedule() const noexcept { return schedule_; }

  /// Position of `node` in order(): the number behind generated names (n3) and DOT ids.
  /// @throws kindling::error when `node` is not part of this graph.
  std::size_t index_of(const N* node) const {
    auto it =
        std::lower_bound(index_.begin(), index_.end(), std::pair<const N*, std::size_t>{node, 0});
    KINDLING_CHECK(it != index_.end() && it->first == node,
                   "BackwardStepper: the node is not part of this graph");
    return it->second;
  }
  /// True once the node's backward step has run (always false for a leaf, which has none).
  /// @throws kindling::error when `node` is not part of this graph.
  bool is_done(const N* node) const {
    const std::size_t step = schedule_index_[index_of(node)];
    return step != kNoStep && step < position_;
  }
  /// True when the node's gradient is complete: every node that uses it has run its step, so
  /// nothing more will be added to it in this pass. The root's is complete from the start.
  /// @throws kindling::error when `node` is not part of this graph.
  bool is_grad_final(const N* node) const { return final_after_[index_of(node)] <= position_; }

  /// DOT node attributes for a frame of the current state (the colours kFrameLegend explains):
  /// the node just processed amber, the nodes already done grey, the other nodes whose gradient is
  /// complete green (their step still to come, or a leaf), and partial gradients outlined dashed.
  /// @throws kindling::error when `node` is not part of this graph.
  std::string frame_attributes(const N& node) const {
    std::string attributes = "style=\"filled";
    if (!is_grad_final(&node)) attributes += ",dashed";
    attributes += "\" fillcolor=\"";
    if (&node == current())
      attributes += "#ffd54f\" penwidth=2.5";  // amber: the step shown
    else if (is_done(&node))
      attributes += "#d9d9d9\"";  // grey: its gradient has flowed on to its parents
    else if (is_grad_final(&node))
      attributes += "#c8e6c9\"";  // green: gradient complete, waiting (or a leaf)
    else
      attributes += "#ffffff\"";
    return attributes;
  }
  /// The style of a frame: frame_attributes() for the nodes, plus the caller's edge labels. The
  /// style refers to this stepper, which must outlive it.
  /// @param edge_label as DotStyle::edge_label; empty for no labels.
  DotStyle<N> frame_style(
      std::function<std::string(const N& child, std::size_t parent)> edge_label = {}) const {
    DotStyle<N> style;
    style.node_attributes = [this](const N& node) { return frame_attributes(node); };
    style.edge_label = std::move(edge_label);
    return style;
  }

 private:
  static constexpr std::size_t kNoStep = std::numeric_limits<std::size_t>::max();

  void start() {
    std::vector<N*> walked;
    begin_backward(root_, walked);  // the order and the cleared interior grads of backward()
    root_->seed_grad();
    position_ = 0;
    // The steps, as reverse_sweep() runs them: from the root down, nodes with parents only.
    schedule_.clear();
    for (auto it = walked.rbegin(); it != walked.rend(); ++it) {
      if (!(*it)->parents().empty()) schedule_.push_back(*it);
    }
    topological_order(root_, order_);  // the DOT writer's order, for names and ids
    index_.clear();
    for (std::size_t i = 0; i < order_.size(); ++i)
      index_.emplace_back(order_[i], i);
    std::sort(index_.begin(), index_.end());
    schedule_index_.assign(order_.size(), kNoStep);
    for (std::size_t s = 0; s < schedule_.size(); ++s)
      schedule_index_[index_of(schedule_[s])] = s;
    // A node's gradient is final once the last of its users has stepped: after step s + 1 where
    // s is the largest schedule index among its children. Unused nodes (the root) are final at 0.
    final_after_.assign(order_.size(), 0);
    for (std::size_t s = 0; s < schedule_.size(); ++s) {
      for (N* parent : schedule_[s]->parents()) {
        std::size_t& after = final_after_[index_of(parent)];
        after = std::max(after, s + 1);
      }
    }
  }

  N* root_ = nullptr;
  std::vector<N*> order_;
  std::vector<N*> schedule_;
  std::vector<std::pair<const N*, std::size_t>> index_;  // (node, position in order_), sorted
  std::vector<std::size_t> schedule_index_;              // by order_ position: step, or kNoStep
  std::vector<std::size_t> final_after_;                 // by order_ position: steps to finality
  std::size_t position_ = 0;
};

/// The DOT text of the stepper's current state (frame_style(), no edge labels).
/// @code
/// kindling::engine::BackwardStepper<kindling::ValueNode> s(c.node());
/// s.step();
/// kindling::engine::write_text_file("frame1.dot", kindling::engine::frame_dot(s));
/// @endcode
template <DotNode N>
std::string frame_dot(const BackwardStepper<N>& stepper, const DotOptions& options = {}) {
  return to_dot(stepper.root(), options, stepper.frame_style());
}

}  // namespace kindling::engine
