// Playground: what the browser page (web/site) shows, computed by kindling itself. The page is a
// view: it lays out layout_dot() once with Graphviz and then, at every step, restyles that drawing
// from frame_json() (Note [one layout]). Everything a learner sees, values, gradients, the chain
// rule's text, the depth-first search, gradcheck and the predict mode's answers, comes from the
// engine through this class, compiled to WebAssembly (web/src/bindings.cpp) and natively, where
// tests/web checks it against the engine's own backward().
//
//   kindling::web::Playground p("tanh(x1*w1 + x2*w2 + b)", {{"x1", 2}, {"x2", 0}, {"w1", -3},
//                                {"w2", 1}, {"b", 6.8813735870195432}});
//   p.frame_json(p.frame_count() - 1);   // the last frame: every gradient known
//
// Note [one layout]
// Graphviz lays out a 500-node graph in far more than the 50 ms a step may take, so the page
// lays out once: layout_dot() holds every node and edge any frame shows, each record with three
// fields (name, data, grad) and each edge with its final label, so the boxes are wide enough for
// every frame's text. A frame then says, per node, its classes (what colour, hidden or not) and the
// texts of its data and grad fields, and per edge its classes and label; the page rewrites those in
// the SVG. Frames run through phases: the forward pass (one op node at a time), the depth-first
// search that builds the topological order (as micrograd's build_topo: a node is entered, then
// joins the order once its inputs have), the backward pass (one ValueStepper step a frame), and for
// order 2 the create_graph backward (GradGraphStepper: the gradient graph's nodes appear as the
// steps make them) then the backward pass of the gradient.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kindling/engine/value.hpp"
#include "kindling/explain/gradcheck.hpp"
#include "kindling/explain/value_stepper.hpp"

namespace kindling::web {

/// A program's variables, (name, value) in the order given: {{"x", 2.0}, {"y", -3.0}}.
using Variables = std::vector<std::pair<std::string, double>>;

/// A ready-made expression to step through, with the paragraph that introduces it.
struct Lesson {
  std::string id;       ///< The URL fragment's lesson=...
  std::string title;    ///< What the menu shows.
  std::string program;  ///< The program, in parse_program()'s syntax.
  Variables variables;  ///< Its variables and their values.
  int order = 1;        ///< 2: differentiate the gradient by `wrt`.
  std::string wrt;      ///< Order 2's variable.
  std::string about;    ///< The paragraph that introduces the lesson.
};
/// The page's lessons, in menu order: a neuron, micrograd's README expression, a reused node, a
/// 2-layer MLP, softmax with cross-entropy, a second derivative.
const std::vector<Lesson>& lessons();

/// The phases a Playground's frames run through, in this order (Note [one layout]).
enum class Phase {
  start,           ///< The graph as drawn, before anything is computed: one frame.
  forward,         ///< The forward pass, one op node a frame.
  search,          ///< The depth-first search for the topological order, one event a frame.
  backward,        ///< The backward pass, one ValueStepper step a frame (order 1).
  gradient_graph,  ///< Order 2: the create_graph backward pass building the gradient's graph.
  second_backward  ///< Order 2: the backward pass of the gradient.
};
/// The page's data-phase for a phase: "start", "forward", "search", "backward",
/// "gradient-graph", "second-backward".
std::string_view phase_name(Phase phase) noexcept;

/// A predict-mode question: what an input's gradient is after the next backward step.
struct Question {
  std::string input;      ///< The input's name.
  double expected = 0.0;  ///< Its gradient once the step has run.
};

/// True when a learner's `guess` is within 1e-3 of `expected`, or within 1e-3 relative to it (the
/// page shows four decimals). Infinities must match; NaN is never right (nothing to type).
bool prediction_correct(double guess, double expected) noexcept;

/// Shortest text that reads back as the same double ("-1.5", "0.1"); "inf", "-inf", "nan".
std::string exact_number(double x);

/// The backprop playground: a program's graph and every frame the browser page steps through,
/// computed once by kindling's own passes (Note [one layout]). The JSON and DOT it returns are
/// what the page draws; tests/web checks them against the engine's backward().
/// @code
/// kindling::web::Playground p("tanh(x1*w1 + x2*w2 + b)", {{"x1", 2}, {"x2", 0}, {"w1", -3},
///                              {"w2", 1}, {"b", 6.8813735870195432}});
/// std::string dot = p.layout_dot();                   // laid out once by Graphviz
/// std::string last = p.frame_json(p.frame_count() - 1);  // every gradient known
/// p.leaf_gradients();  // about {{"x1", -1.5}, {"x2", 0.5}, {"w1", 1}, {"w2", 0}, {"b", 0.5}}
/// @endcode
class Playground {
 public:
  /// Parses `program` (parse_program: expressions and `name = expression` statements separated by
  /// ';') over `variables`, and runs every phase once, keeping what each frame shows.
  /// @param program the program; its last statement's value is the root.
  /// @param variables the leaves the program may use, by name.
  /// @param order 1: the backward pass; 2: also the gradient by `wrt` as a graph, and its
  ///   backward pass.
  /// @param wrt for order 2, the variable to differentiate by (ignored for order 1).
  /// @throws expression_error for a malformed program (its column() points at the fault).
  /// @throws kindling::error for an order other than 1 or 2, a wrt that is not a variable (order
  ///   2), or a duplicate or badly named variable.
  Playground(std::string_view program, const Variables& variables, int order = 1,
             std::string_view wrt = {});

  /// The nodes drawn: the forward graph, then (order 2) the gradient's graph.
  std::size_t node_count() const noexcept { return nodes_.size(); }
  /// The edges drawn, one per input of each op node.
  std::size_t edge_count() const noexcept { return edges_.size(); }
  /// How many frames the page steps through, every phase together.
  std::size_t frame_count() const noexcept { return frames_.size(); }
  /// Edge e runs from node .first (an input) into node .second's op.
  /// @throws std::out_of_range for e >= edge_count().
  std::pair<std::size_t, std::size_t> edge_ends(std::size_t e) const {
    return {edges_.at(e).parent, edges_.at(e).child};
  }
  /// 1 or 2, as constructed.
  int order() const noexcept { return order_; }
  /// The program's value: the root of the forward graph.
  const Value& root() const noexcept { return root_; }
  /// The first frame of a phase; frame_count() when the program has no such phase.
  std::size_t first_frame(Phase phase) const noexcept;
  /// The phase frame `frame` belongs to.
  /// @throws kindling::error for frame >= frame_count().
  Phase phase_of(std::size_t frame) const;

  /// The nodes in the order the depth-first search made them join (engine::topological_order's).
  std::vector<std::size_t> search_order() const;
  /// Node i's name as the texts write it: its label, or n and its index ("n3").
  /// @throws std::out_of_range for i >= node_count().
  const std::string& node_name(std::size_t i) const { return nodes_.at(i).name; }
  /// What the page warns of at node i: a dead ReLU, a saturated tanh or sigmoid; empty for most.
  /// @throws std::out_of_range for i >= node_count().
  const std::vector<std::string>& node_flags(std::size_t i) const { return nodes_.at(i).flags; }

  /// Every node and edge as DOT text (kindling's DOT writer): node i is record ni with
  /// `id="kp-ni"` ("n3", "kp-n3").
  std::string layout_dot() const;
  /// {"frame", "frames", "phase", "title", "text", "current", "nodes": [[classes, data, grad]...],
  /// "edges": [[classes, label]...], "complete"}: what frame `frame` shows.
  /// @throws kindling::error for frame >= frame_count().
  std::string frame_json(std::size_t frame) const;
  /// A node at a frame: {"name", "expression", "kind", "data", "grad", "inputs": [{"name",
  /// "formula", "local_derivative"}...], "flags"}; data and grad are null until known.
  /// @throws kindling::error for a node or frame out of range.
  std::string node_json(std::size_t frame, std::size_t node) const;
  /// An edge at a frame: {"from", "to", "formula", "local_derivative", "contribution",
  /// "upstream"}, the contribution (what it carried into its parent's gradient) null until its
  /// child has stepped.
  /// @throws kindling::error for an edge or frame out of range.
  std::string edge_json(std::size_t frame, std::size_t edge) const;
  /// Each variable's final gradient (order 2: of the gradient), as the page's table lists it.
  std::vector<std::pair<std::string, double>> leaf_gradients() const;
  /// leaf_gradients() as [[name, exact_number, four decimals]...].
  std::string leaf_gradients_json() const;
  /// Central differences for one variable against the final gradient (gradcheck.hpp).
  /// @param name the variable.
  /// @param step the finite-difference step h.
  /// @throws kindling::error when `name` is not a variable.
  NodeGradcheck gradcheck_leaf(std::string_view name, double step = 1e-6) const;
  /// gradcheck_leaf(name) as {"leaf", "analytic", "numeric", "relative_error"}.
  /// @throws kindling::error when `name` is not a variable.
  std::string gradcheck_json(std::string_view name) const;
  /// The questions of the step that follows `frame` (none unless it is a backward step).
  std::vector<Question> questions(std::size_t frame) const;
  /// questions(frame) as [{"input", "expected"}...].
  std::string questions_json(std::size_t frame) const;

 private:
  struct NodeInfo {
    Value value;
    std::string name;
    std::string expression;  // "c = a * b"; the name alone for a leaf
    bool forward = true;     // false: a node of the gradient graph (order 2)
    bool variable = false;
    std::size_t made_at = 0;  // the gradient-graph step that made it (1-based); 0 for forward
    std::vector<std::string> flags;
  };
  struct EdgeInfo {
    std::size_t parent;
    std::size_t child;
    int input;
    std::string formula;  // d child / d parent, in names
    double local_derivative = 0.0;
  };
  // What the frame's step changed: a gradient, and the edge that carried it.
  struct Change {
    std::size_t node;
    std::size_t edge;
    double contribution;
    double before;
    double after;
  };
  struct Frame {
    Phase phase;
    std::string text;
    std::optional<std::size_t> current;
    std::vector<Change> changes;  // backward steps
    std::size_t search_event = 0;
  };
  struct SearchEvent {
    std::size_t node;
    bool joins;  // false: entered; true: joins the order
  };
  struct State;  // a frame replayed (playground.cpp)

  std::size_t index_of(const ValueNode* node) const;
  void add_backward_frames(const Value& root, Phase phase, std::string_view of);
  State replay(std::size_t frame) const;

  int order_ = 1;
  Value root_;
  std::optional<Value> gradient_;  // order 2: d root / d wrt, a graph
  std::string wrt_;
  std::vector<Value> variables_;
  std::vector<NodeInfo> nodes_;  // the layout's order: forward graph first, then the gradient graph
  std::vector<EdgeInfo> edges_;
  std::vector<std::pair<const ValueNode*, std::size_t>> index_;  // sorted by address
  std::vector<SearchEvent> search_;
  std::vector<Frame> frames_;
  std::vector<std::size_t> second_graph_;  // order 2: the nodes the gradient depends on
};

/// `"x1=2\nw1=-3"`: one name=value per line (blank lines skipped), the values read as doubles
/// (nan, inf, -inf too).
/// @throws kindling::error naming the line and what is wrong with it: no '=', or a value that
///   is not a number.
Variables parse_variables(std::string_view text);

/// The page's calls, one to one (bindings.cpp exports them to JavaScript): each returns JSON and
/// never throws, so that a mistake reaches the page as {"error": message} (and for a program,
/// {"error", "column"}) rather than as an exception JavaScript cannot read. Before a successful
/// load(), the calls on a program answer {"error": "Session: no program is loaded"}.
/// @code
/// kindling::web::Session session;
/// session.load("x * y", "x=2\ny=3", 1, "");  // {"frames": ..., "nodes": 3, ...}
/// session.frame(0);                          // Playground::frame_json(0)
/// session.load("x *", "x=2", 1, "");         // {"error": "...", "column": ...}
/// @endcode
class Session {
 public:
  /// Parses `variables` (parse_variables) and builds a Playground, replacing the one loaded (a
  /// load that fails leaves none loaded).
  /// @return {"frames", "nodes", "edges", "dot", "order", "result", "phases": {name: first
  ///   frame}, "variables": [names], "edge_list": [[from, to]...]} or {"error", "column"}.
  std::string load(std::string_view program, std::string_view variables, int order,
                   std::string_view wrt);
  /// Playground::frame_json.
  std::string frame(std::size_t frame) const;
  /// Playground::node_json.
  std::string node(std::size_t frame, std::size_t node) const;
  /// Playground::edge_json.
  std::string edge(std::size_t frame, std::size_t edge) const;
  /// Playground::leaf_gradients_json.
  std::string gradients() const;
  /// Playground::gradcheck_json for variable `leaf`.
  std::string gradcheck(std::string_view leaf) const;
  /// Playground::questions_json.
  std::string questions(std::size_t frame) const;
  /// Grades a predict-mode answer (prediction_correct): {"valid": false} when `guess` or
  /// `expected` is not a number; else {"valid", "correct", "expected"}.
  static std::string check(std::string_view guess, std::string_view expected);
  /// lessons() as [{"id", "title", "program", "variables": [[name, value]...], "order", "wrt",
  /// "about"}...].
  static std::string lessons();

 private:
  template <class F>
  std::string guarded(F&& f) const;
  std::optional<Playground> playground_;
};

}  // namespace kindling::web
