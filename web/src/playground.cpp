// Playground: the frames of the browser page, computed once from the engine's own passes
// (playground.hpp, Note [one layout]).
#include "kindling/web/playground.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <set>

#include <nlohmann/json.hpp>

#include "kindling/engine/error.hpp"
#include "kindling/engine/format.hpp"
#include "kindling/explain/dot.hpp"
#include "kindling/explain/expression.hpp"
#include "kindling/explain/number_text.hpp"

namespace kindling::web {

namespace {

using nlohmann::json;

constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();
constexpr std::size_t kMaxLabelledNodes = 150;

bool is_name(std::string_view text) {
  if (text.empty() || !(std::isalpha(static_cast<unsigned char>(text[0])) || text[0] == '_'))
    return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

// The last `keep` names of a list, "..., n4, n5, out", for the search's one-line summaries.
std::string tail_of(const std::vector<std::string>& names, std::size_t keep) {
  std::string out;
  const std::size_t first = names.size() > keep ? names.size() - keep : 0;
  if (first > 0) out = "..., ";
  for (std::size_t i = first; i < names.size(); ++i)
    out.append(i > first ? ", " : "").append(names[i]);
  return out;
}

// The 2-2-1 tanh MLP of the lessons, on XOR's four points, as a program: the same weights in every
// point's forward pass, so each weight is a reused node whose gradient sums four uses.
std::string mlp_program() {
  const int points[4][3] = {{0, 0, -1}, {0, 1, 1}, {1, 0, 1}, {1, 1, -1}};
  std::string program;
  std::string loss;
  for (int p = 0; p < 4; ++p) {
    const std::string i = std::to_string(p + 1);
    const std::string x1 = std::to_string(points[p][0]);
    const std::string x2 = std::to_string(points[p][1]);
    program += "h1_" + i + " = tanh(w11*" + x1 + " + w12*" + x2 + " + b1); ";
    program += "h2_" + i + " = tanh(w21*" + x1 + " + w22*" + x2 + " + b2); ";
    program += "y" + i + " = v1*h1_" + i + " + v2*h2_" + i + " + c; ";
    program += "e" + i + " = (y" + i + " - " + (points[p][2] < 0 ? "(-1)" : "1") + ")^2; ";
    loss += (p > 0 ? " + e" : "e") + i;
  }
  return program + "loss = (" + loss + ") / 4";
}

}  // namespace

const std::vector<Lesson>& lessons() {
  static const std::vector<Lesson> all = {
      {"neuron",
       "A neuron",
       "tanh(x1*w1 + x2*w2 + b)",
       {{"x1", 2.0}, {"x2", 0.0}, {"w1", -3.0}, {"w2", 1.0}, {"b", 6.8813735870195432}},
       1,
       "",
       "One neuron of micrograd's lecture: two inputs, two weights, a bias and tanh. Its output is "
       "0.7071, where tanh's slope is 1 - 0.7071^2 = 0.5."},
      {"micrograd",
       "micrograd's README expression",
       "c = a + b; d = a * b + b^3; c = c + (c + 1); c = c + (1 + c + (-a)); "
       "d = d + (d * 2 + relu(b + a)); d = d + (3 * d + relu(b - a)); e = c - d; f = e^2; "
       "g = f / 2; g = g + 10 / f",
       {{"a", -4.0}, {"b", 2.0}},
       1,
       "",
       "The example from micrograd's README, statement by statement: g = 24.7041, a.grad = "
       "138.8338 and b.grad = 645.5773, as PyTorch gives."},
      {"reuse",
       "A reused node",
       "h = x * y; h * x + h",
       {{"x", 3.0}, {"y", -2.0}},
       1,
       "",
       "x and h are each used twice. Their gradients add up the contributions of both uses: watch "
       "the += steps."},
      {"mlp",
       "A 2-layer MLP on 4 points",
       mlp_program(),
       {{"w11", 0.5},
        {"w12", -0.4},
        {"w21", 0.3},
        {"w22", 0.8},
        {"b1", 0.1},
        {"b2", -0.2},
        {"v1", 0.7},
        {"v2", -0.6},
        {"c", 0.05}},
       1,
       "",
       "A 2-2-1 tanh network and the mean squared error on XOR's four points. Every weight is used "
       "four times, once per point."},
      {"softmax",
       "Softmax with cross-entropy",
       "e1 = exp(z1); e2 = exp(z2); e3 = exp(z3); s = e1 + e2 + e3; loss = -log(e2 / s)",
       {{"z1", 1.0}, {"z2", 2.0}, {"z3", 0.5}},
       1,
       "",
       "Three logits, the target is class 2. The gradient of the loss by each logit is its softmax "
       "probability, minus 1 for the target."},
      {"second",
       "A second derivative",
       "x^3 * y",
       {{"x", 0.5}, {"y", 2.0}},
       2,
       "x",
       "The backward pass with create_graph builds the gradient d out/dx as a graph of its own "
       "(blue); its backward pass gives d2 out/dx2 = 6 x y = 6 and d2 out/dx dy = 3 x^2 = 0.75."},
  };
  return all;
}

std::string_view phase_name(Phase phase) noexcept {
  switch (phase) {
    case Phase::start:
      return "start";
    case Phase::forward:
      return "forward";
    case Phase::search:
      return "search";
    case Phase::backward:
      return "backward";
    case Phase::gradient_graph:
      return "gradient-graph";
    case Phase::second_backward:
      return "second-backward";
  }
  return "start";
}

namespace {

// The second backward's title names the gradient it differentiates, d out/d<wrt>, as its frames
// do.
std::string phase_title(Phase phase, const std::string& wrt) {
  switch (phase) {
    case Phase::start:
      return "The graph";
    case Phase::forward:
      return "Forward pass";
    case Phase::search:
      return "Topological order (depth-first search)";
    case Phase::backward:
      return "Backward pass";
    case Phase::gradient_graph:
      return "Backward pass with create_graph: the gradient graph";
    case Phase::second_backward:
      return std::string("Backward pass of d out/d").append(wrt);  // order 2 always has a wrt
  }
  return "";
}

}  // namespace

bool prediction_correct(double guess, double expected) noexcept {
  if (std::isnan(guess) || std::isnan(expected)) return false;
  if (std::isinf(expected) || std::isinf(guess)) return guess == expected;
  return std::fabs(guess - expected) <= 1e-3 * std::max(1.0, std::fabs(expected));
}

std::string exact_number(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  return explain::shortest_decimal(x);
}

// A frame replayed: what every node and edge shows.
struct Playground::State {
  std::vector<std::string> node_classes;
  std::vector<std::optional<double>> data;  // nullopt: not computed yet
  std::vector<std::optional<double>> grad;  // nullopt: not reached yet
  std::vector<std::string> edge_classes;
  std::vector<std::optional<double>> carried;  // what the edge added, once its child stepped
};

Playground::Playground(std::string_view program, const Variables& variables, int order,
                       std::string_view wrt)
    : order_(order), wrt_(wrt) {
  KINDLING_CHECK(order == 1 || order == 2, "Playground: order must be 1 or 2, got ", order);
  ExpressionVariables named;
  for (const auto& [name, data] : variables) {
    KINDLING_CHECK(is_name(name), "Playground: variable '", name,
                   "' is not a name (letters, digits and _, not starting with a digit)");
    Value leaf(data, name);
    KINDLING_CHECK(named.emplace(name, leaf).second, "Playground: variable '", name,
                   "' is given twice");
    variables_.push_back(leaf);
  }
  if (order == 2)
    KINDLING_CHECK(named.count(wrt_) != 0, "Playground: order 2 needs wrt, one of the variables; '",
                   wrt_, "' is not one");
  root_ = parse_program(program, named);

  // The forward graph, in topological order: the DOT ids n<i>. Unlabeled nodes take those names
  // as labels, so the two passes of order 2 (two steppers) name them alike.
  auto add_node = [this](ValueNode* node, bool forward, std::size_t made_at) {
    const std::size_t i = nodes_.size();
    Value value = Value::from_node(node);
    if (value.label().empty()) value.set_label("n" + std::to_string(i));
    NodeInfo info{value, value.label(), {}, forward, false, made_at, {}};
    for (const Value& v : variables_)
      info.variable = info.variable || v.same_node(value);
    nodes_.push_back(std::move(info));
    index_.insert(std::lower_bound(index_.begin(), index_.end(),
                                   std::pair<const ValueNode*, std::size_t>{node, 0}),
                  {node, i});
  };
  const std::vector<ValueNode*> forward = engine::topological_order(root_.node());
  for (ValueNode* node : forward)
    add_node(node, true, 0);

  // The depth-first search, event by event: the same walk as engine::topological_order (a test
  // checks that the orders agree), which says only when a node joins the order.
  {
    std::vector<std::pair<ValueNode*, std::size_t>> stack{{root_.node(), 0}};
    std::set<const ValueNode*> entered{root_.node()};
    search_.push_back({index_of(root_.node()), false});
    while (!stack.empty()) {
      auto& [node, next] = stack.back();
      if (next < node->input_count) {
        ValueNode* parent = node->inputs[next++];
        if (entered.insert(parent).second) {
          search_.push_back({index_of(parent), false});
          stack.emplace_back(parent, 0);  // invalidates node and next, not used again
        }
      } else {
        search_.push_back({index_of(node), true});
        stack.pop_back();
      }
    }
  }

  auto name_of = [this](const ValueNode* node) { return nodes_[index_of(node)].name; };
  frames_.push_back({Phase::start,
                     "The graph of the program: " + std::to_string(forward.size()) +
                         " nodes. Step to run the forward pass.",
                     std::nullopt,
                     {},
                     0});
  std::size_t ops = 0;
  for (ValueNode* node : forward)
    ops += node->input_count > 0 ? 1 : 0;
  std::size_t op_number = 0;
  for (ValueNode* node : forward) {
    const std::size_t i = index_of(node);
    if (node->input_count == 0) {
      nodes_[i].expression = nodes_[i].name;
      continue;
    }
    nodes_[i].expression = op_expression(node, name_of);
    std::string text = engine::step_tag(++op_number, ops) + "forward: " + nodes_[i].expression +
                       " = " + engine::format_number(node->data) + "  (";
    for (int k = 0; k < node->input_count; ++k) {
      text.append(k > 0 ? ", " : "").append(name_of(node->inputs[k])).append(" = ");
      text += engine::format_number(node->inputs[k]->data);
    }
    frames_.push_back({Phase::forward, text + ")", i, {}, 0});
  }
  {
    std::vector<std::string> stack_names;
    std::vector<std::string> order_names;
    for (std::size_t e = 0; e < search_.size(); ++e) {
      const std::string& name = nodes_[search_[e].node].name;
      std::string text = engine::step_tag(e + 1, search_.size()) + "search: ";
      if (!search_[e].joins) {
        stack_names.push_back(name);
        text += "enter " + name + ", then its inputs  (stack: " + tail_of(stack_names, 8) + ")";
      } else {
        stack_names.pop_back();
        order_names.push_back(name);
        text += name + "'s inputs are all in the order, so " + name +
                " joins it  (order: " + tail_of(order_names, 8) + ")";
      }
      if (e + 1 == search_.size())
        text +=
            "\nThe backward pass visits this order in reverse. (kindling walks the nodes in "
            "reverse creation order, another topological order that needs no search.)";
      frames_.push_back({Phase::search, text, search_[e].node, {}, e});
    }
  }

  for (NodeInfo& info : nodes_) {
    const ValueNode* node = info.value.node();
    if (node->input_count == 0) continue;
    const double input = node->inputs[0]->data;
    if (node->op == ValueOp::relu && input <= 0.0)
      info.flags.push_back("dead ReLU: its input " + engine::format_number(input) +
                           " is not positive, so no gradient passes it");
    if (node->op == ValueOp::tanh && std::fabs(node->data) > 0.99)
      info.flags.push_back("saturated tanh: its slope 1 - out^2 is " +
                           engine::format_number(1.0 - node->data * node->data));
    if (node->op == ValueOp::sigmoid && (node->data > 0.99 || node->data < 0.01))
      info.flags.push_back("saturated sigmoid: its slope out (1 - out) is " +
                           engine::format_number(node->data * (1.0 - node->data)));
  }

  if (order == 1) {
    add_backward_frames(root_, Phase::backward, "out");
  } else {
    const Value x = named.at(wrt_);
    GradGraphStepper stepper(root_, {x});
    frames_.push_back({Phase::gradient_graph, stepper.state_text(), std::nullopt, {}, 0});
    // Each forward node's gradient so far (a node's data), to tell what each step added.
    std::vector<double> so_far(nodes_.size(), 0.0);
    while (!stepper.done()) {
      const GradGraphStep& step = stepper.step();
      // The nodes this step made: what the gradients reach that is not drawn yet.
      for (ValueNode* node : forward) {
        const std::optional<Value> g = stepper.pass().gradient(Value::from_node(node));
        if (!g) continue;
        for (ValueNode* reached : engine::topological_order(g->node())) {
          if (index_of(reached) == kNone) add_node(reached, false, step.number);
        }
      }
      const ValueNode* node = step.node.node();
      Frame frame{Phase::gradient_graph, step.text(), index_of(node), {}, 0};
      for (int k = 0; k < node->input_count; ++k) {
        const std::optional<Value> g = stepper.pass().gradient(Value::from_node(node->inputs[k]));
        if (!g) continue;  // a leaf that is not wrt: no gradient is built for it
        const std::size_t parent = index_of(node->inputs[k]);
        frame.changes.push_back({parent, static_cast<std::size_t>(k), g->data() - so_far[parent],
                                 so_far[parent], g->data()});
        so_far[parent] = g->data();
      }
      frames_.push_back(std::move(frame));
    }
    gradient_ = stepper.gradients().front();
    for (ValueNode* reached : engine::topological_order(gradient_->node())) {
      if (index_of(reached) == kNone) add_node(reached, false, stepper.step_count());
      second_graph_.push_back(index_of(reached));
    }
    std::sort(second_graph_.begin(), second_graph_.end());
    add_backward_frames(*gradient_, Phase::second_backward, "d out/d" + wrt_);
  }

  // Edges last, once every node is known; until here a change's edge held the input's index.
  for (std::size_t child = 0; child < nodes_.size(); ++child) {
    const ValueNode* node = nodes_[child].value.node();
    for (int k = 0; k < node->input_count; ++k) {
      edges_.push_back({index_of(node->inputs[k]), child, k, derivative_text(node, k, name_of),
                        local_derivative(*node, k)});
    }
  }
  auto edge_of = [this](std::size_t child, int input) {
    for (std::size_t e = 0; e < edges_.size(); ++e) {
      if (edges_[e].child == child && edges_[e].input == input) return e;
    }
    return kNone;
  };
  for (Frame& frame : frames_) {
    if (!frame.current) continue;
    for (Change& change : frame.changes)
      change.edge = edge_of(*frame.current, static_cast<int>(change.edge));
  }
}

std::size_t Playground::index_of(const ValueNode* node) const {
  const auto it = std::lower_bound(index_.begin(), index_.end(),
                                   std::pair<const ValueNode*, std::size_t>{node, 0});
  return it != index_.end() && it->first == node ? it->second : kNone;
}

void Playground::add_backward_frames(const Value& root, Phase phase, std::string_view of) {
  ValueStepper stepper(root);
  frames_.push_back(
      {phase,
       stepper.state_text() + (phase == Phase::second_backward
                                   ? "\nNow the gradient " + std::string(of) +
                                         " is the root: its backward pass differentiates it again."
                                   : std::string{}),
       std::nullopt,
       {},
       0});
  while (!stepper.done()) {
    const BackwardStep& step = stepper.step();
    Frame frame{phase, step.text(), index_of(step.node.node()), {}, 0};
    for (const GradContribution& c : step.contributions) {
      frame.changes.push_back({index_of(c.parent.node()), static_cast<std::size_t>(c.input_index),
                               c.contribution, c.grad_before, c.grad_after});
      // Accumulation, spelled out: the input had a gradient from another use already.
      if (c.grad_before != 0.0) {
        frame.text +=
            "\n  " + c.name + " is used more than once, so its gradients add up: " + c.name +
            ".grad = " + engine::format_number(c.grad_before) + " + " +
            engine::format_number(c.contribution) + " = " + engine::format_number(c.grad_after);
      }
    }
    frames_.push_back(std::move(frame));
  }
}

std::vector<std::size_t> Playground::search_order() const {
  std::vector<std::size_t> order;
  for (const SearchEvent& event : search_) {
    if (event.joins) order.push_back(event.node);
  }
  return order;
}

std::size_t Playground::first_frame(Phase phase) const noexcept {
  for (std::size_t f = 0; f < frames_.size(); ++f) {
    if (frames_[f].phase == phase) return f;
  }
  return frames_.size();
}

Phase Playground::phase_of(std::size_t frame) const {
  KINDLING_CHECK(frame < frames_.size(), "Playground: frame ", frame, " is beyond the last, ",
                 frames_.size() - 1);
  return frames_[frame].phase;
}

Playground::State Playground::replay(std::size_t frame) const {
  const Phase phase = phase_of(frame);
  const std::size_t n = nodes_.size();
  State state;
  state.node_classes.assign(n, "");
  state.data.assign(n, std::nullopt);
  state.grad.assign(n, std::nullopt);
  state.edge_classes.assign(edges_.size(), "");
  state.carried.assign(edges_.size(), std::nullopt);

  // Data: leaves from the start, op nodes as the forward pass reaches them; gradient-graph nodes
  // once made.
  std::size_t made = 0;  // gradient-graph steps done
  if (phase == Phase::gradient_graph) made = frame - first_frame(Phase::gradient_graph);
  if (phase == Phase::second_backward) made = kNone;
  for (std::size_t i = 0; i < n; ++i) {
    const NodeInfo& info = nodes_[i];
    const bool computed =
        phase == Phase::start || phase == Phase::forward ? info.value.op() == ValueOp::leaf : true;
    if (!info.forward && (made == 0 || (made != kNone && info.made_at > made))) {
      state.node_classes[i] = "hidden";
      continue;
    }
    if (computed) state.data[i] = info.value.data();
    state.node_classes[i] = info.forward ? (computed ? "computed" : "pending") : "gradient";
    if (!info.forward && made != kNone && info.made_at == made) state.node_classes[i] += " new";
    if (!info.flags.empty() && computed) state.node_classes[i] += " flagged";
  }
  if (phase == Phase::forward) {
    for (std::size_t f = first_frame(Phase::forward); f <= frame; ++f) {
      const std::size_t i = *frames_[f].current;
      state.data[i] = nodes_[i].value.data();
      state.node_classes[i] = nodes_[i].flags.empty() ? "computed" : "computed flagged";
    }
  }
  if (phase == Phase::search) {
    for (std::size_t f = first_frame(Phase::search); f <= frame; ++f) {
      const SearchEvent& event = search_[frames_[f].search_event];
      state.node_classes[event.node] += event.joins ? " joined" : " entered";
    }
  }

  // Gradients: replayed from the phase's first frame, the root seeded with 1.
  if (phase == Phase::backward || phase == Phase::gradient_graph ||
      phase == Phase::second_backward) {
    const bool second = phase == Phase::second_backward;
    const std::size_t root = index_of(second ? gradient_->node() : root_.node());
    std::vector<bool> in_graph(n, !second);
    for (std::size_t i : second_graph_)
      in_graph[i] = true;
    if (second) {
      for (std::size_t i = 0; i < n; ++i) {
        if (!in_graph[i]) state.node_classes[i] += " outside";
      }
    }
    // A gradient is complete once every use of the node in the graph has stepped.
    std::vector<std::size_t> uses_left(n, 0);
    for (const EdgeInfo& edge : edges_) {
      const bool counts = second ? in_graph[edge.child] : nodes_[edge.child].forward;
      if (counts) ++uses_left[edge.parent];
    }
    state.grad[root] = 1.0;
    std::vector<bool> stepped(n, false);
    for (std::size_t f = first_frame(phase) + 1; f <= frame; ++f) {
      const std::size_t child = *frames_[f].current;
      stepped[child] = true;
      for (const Change& change : frames_[f].changes) {
        state.grad[change.node] = change.after;
        if (change.edge != kNone) {
          state.carried[change.edge] = change.contribution;
          state.edge_classes[change.edge] = f == frame ? "carried now" : "carried";
        }
        if (uses_left[change.node] > 0) --uses_left[change.node];
      }
    }
    for (std::size_t i = 0; i < n; ++i) {
      if (!state.grad[i] || !in_graph[i]) continue;
      if (phase == Phase::gradient_graph && !nodes_[i].forward) continue;
      state.node_classes[i] += stepped[i] ? " stepped" : "";
      state.node_classes[i] += uses_left[i] == 0 ? " complete" : " partial";
    }
  }
  if (frames_[frame].current) state.node_classes[*frames_[frame].current] += " current";
  for (std::size_t e = 0; e < edges_.size(); ++e) {
    const bool hidden = state.node_classes[edges_[e].parent] == "hidden" ||
                        state.node_classes[edges_[e].child] == "hidden";
    if (hidden) state.edge_classes[e] = "hidden";
  }
  return state;
}

std::string Playground::layout_dot() const {
  engine::DotGraph graph;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    engine::DotGraph::Node& node = graph.nodes.emplace_back();
    const Value& value = nodes_[i].value;
    node.fields = {nodes_[i].name, "data " + engine::format_number(value.data()),
                   "grad " + engine::format_number(value.grad())};
    if (value.op() != ValueOp::leaf) node.op = value.node()->dot_op();
    node.attributes = "id=\"kp-n" + std::to_string(i) + "\"";
  }
  // Edge labels are nodes of their own to Graphviz's layout: past a few hundred nodes they make it
  // take minutes, so large graphs go without (a click on an edge still tells what it carried), and
  // bounded network-simplex passes keep the layout to seconds.
  const bool labelled = nodes_.size() <= kMaxLabelledNodes;
  for (const EdgeInfo& edge : edges_) {
    const ValueNode* child = nodes_[edge.child].value.node();
    graph.edges.push_back(
        {edge.parent, edge.child,
         labelled ? engine::format_number(chain_contribution(*child, edge.input)) : ""});
  }
  engine::DotOptions options;
  options.graph_name = "playground";
  std::string dot = engine::write_dot_text(graph, options);
  if (!labelled) {
    const std::string rankdir = "rankdir=LR;\n";
    dot.insert(dot.find(rankdir) + rankdir.size(), "  nslimit=2; mclimit=0.5;\n");
  }
  return dot;
}

namespace {
json optional_number(const std::optional<double>& x) {
  return x ? json(exact_number(*x)) : json(nullptr);
}
}  // namespace

std::string Playground::frame_json(std::size_t frame) const {
  const State state = replay(frame);
  const Frame& f = frames_[frame];
  json nodes = json::array();
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    nodes.push_back({state.node_classes[i],
                     state.data[i] ? "data " + engine::format_number(*state.data[i]) : "data ?",
                     state.grad[i] ? "grad " + engine::format_number(*state.grad[i]) : "grad ?"});
  }
  json edges = json::array();
  for (std::size_t e = 0; e < edges_.size(); ++e) {
    edges.push_back(
        {state.edge_classes[e], state.carried[e] ? engine::format_number(*state.carried[e]) : ""});
  }
  const bool last = frame + 1 == frames_.size();
  return json{{"frame", frame},
              {"frames", frames_.size()},
              {"phase", phase_name(f.phase)},
              {"title", phase_title(f.phase, wrt_)},
              {"text", f.text},
              {"current", f.current ? json(*f.current) : json(nullptr)},
              {"nodes", std::move(nodes)},
              {"edges", std::move(edges)},
              {"complete", last}}
      .dump();
}

std::string Playground::node_json(std::size_t frame, std::size_t node) const {
  KINDLING_CHECK(node < nodes_.size(), "Playground::node_json: node ", node, " of ", nodes_.size());
  const State state = replay(frame);
  const NodeInfo& info = nodes_[node];
  json inputs = json::array();
  for (const EdgeInfo& edge : edges_) {
    if (edge.child != node) continue;
    inputs.push_back({{"name", nodes_[edge.parent].name},
                      {"formula", edge.formula},
                      {"local_derivative", exact_number(edge.local_derivative)}});
  }
  return json{{"name", info.name},
              {"expression", info.expression},
              {"kind", info.value.op() == ValueOp::leaf ? (info.variable ? "variable" : "constant")
                       : info.forward                   ? "op"
                                                        : "gradient"},
              {"data", optional_number(state.data[node])},
              {"grad", optional_number(state.grad[node])},
              {"inputs", std::move(inputs)},
              {"flags", info.flags}}
      .dump();
}

std::string Playground::edge_json(std::size_t frame, std::size_t edge) const {
  KINDLING_CHECK(edge < edges_.size(), "Playground::edge_json: edge ", edge, " of ", edges_.size());
  const State state = replay(frame);
  const EdgeInfo& e = edges_[edge];
  return json{{"from", nodes_[e.parent].name},
              {"to", nodes_[e.child].name},
              {"formula", e.formula},
              {"local_derivative", exact_number(e.local_derivative)},
              {"contribution", optional_number(state.carried[edge])},
              {"upstream", optional_number(state.grad[e.child])}}
      .dump();
}

std::vector<std::pair<std::string, double>> Playground::leaf_gradients() const {
  std::vector<std::pair<std::string, double>> out;
  for (const Value& v : variables_)
    out.emplace_back(v.label(), v.grad());
  return out;
}

std::string Playground::leaf_gradients_json() const {
  json out = json::array();
  for (const auto& [name, grad] : leaf_gradients())
    out.push_back({name, exact_number(grad), engine::format_number(grad)});
  return out.dump();
}

NodeGradcheck Playground::gradcheck_leaf(std::string_view name, double step) const {
  for (const Value& v : variables_) {
    if (v.label() != name) continue;
    const Value& root = gradient_ ? *gradient_ : root_;
    const GradcheckReport report = gradcheck(root, step);
    for (const NodeGradcheck& check : report.nodes) {
      if (check.node.same_node(v)) return check;
    }
    // Not in the graph: the gradient is 0, and so is every difference.
    return {v, v.grad(), 0.0, v.grad() == 0.0 ? 0.0 : 1.0};
  }
  throw error("Playground::gradcheck: '" + std::string(name) + "' is not a variable");
}

std::string Playground::gradcheck_json(std::string_view name) const {
  const NodeGradcheck check = gradcheck_leaf(name);
  return json{{"leaf", std::string(name)},
              {"analytic", exact_number(check.analytic)},
              {"numeric", exact_number(check.numeric)},
              {"relative_error", exact_number(check.relative_error)}}
      .dump();
}

std::vector<Question> Playground::questions(std::size_t frame) const {
  std::vector<Question> out;
  if (frame + 1 >= frames_.size()) return out;
  const Frame& next = frames_[frame + 1];
  if (next.phase != Phase::backward && next.phase != Phase::second_backward) return out;
  for (const Change& change : next.changes)
    out.push_back({nodes_[change.node].name, change.after});
  return out;
}

std::string Playground::questions_json(std::size_t frame) const {
  json out = json::array();
  for (const Question& q : questions(frame))
    out.push_back({{"input", q.input}, {"expected", exact_number(q.expected)}});
  return out.dump();
}

namespace {

// A double from text, as the parser reads numbers plus nan and +-inf; nullopt when malformed.
std::optional<double> read_number(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  if (text == "inf" || text == "+inf") return std::numeric_limits<double>::infinity();
  if (text == "-inf") return -std::numeric_limits<double>::infinity();
  if (text == "nan") return std::numeric_limits<double>::quiet_NaN();
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  double value = 0.0;
  if (explain::read_decimal(text, value) != explain::NumberRead::ok) return std::nullopt;
  return value;
}

}  // namespace

Variables parse_variables(std::string_view text) {
  Variables out;
  std::size_t line_number = 0;
  while (!text.empty()) {
    const std::size_t end = std::min(text.find('\n'), text.size());
    std::string_view line = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    ++line_number;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const std::size_t equals = line.find('=');
    KINDLING_CHECK(equals != std::string_view::npos, "parse_variables: line ", line_number, " ('",
                   line, "') is not name=value");
    std::string_view name = line.substr(0, equals);
    while (!name.empty() && std::isspace(static_cast<unsigned char>(name.back())))
      name.remove_suffix(1);
    while (!name.empty() && std::isspace(static_cast<unsigned char>(name.front())))
      name.remove_prefix(1);
    const std::optional<double> value = read_number(line.substr(equals + 1));
    KINDLING_CHECK(value.has_value(), "parse_variables: line ", line_number, ": the value of '",
                   name, "' ('", line.substr(equals + 1), "') is not a number");
    out.emplace_back(std::string(name), *value);
  }
  return out;
}

template <class F>
std::string Session::guarded(F&& f) const {
  try {
    return f();
  } catch (const expression_error& e) {
    return json{{"error", e.what()}, {"column", e.column()}}.dump();
  } catch (const std::exception& e) {
    return json{{"error", e.what()}}.dump();
  }
}

std::string Session::load(std::string_view program, std::string_view variables, int order,
                          std::string_view wrt) {
  return guarded([&] {
    playground_.reset();  // the old graph goes first: one graph at a time on the tape
    playground_.emplace(program, parse_variables(variables), order, wrt);
    const Playground& p = *playground_;
    json phases = json::object();
    for (Phase phase : {Phase::start, Phase::forward, Phase::search, Phase::backward,
                        Phase::gradient_graph, Phase::second_backward}) {
      if (p.first_frame(phase) < p.frame_count())
        phases[std::string(phase_name(phase))] = p.first_frame(phase);
    }
    json names = json::array();
    for (const auto& [name, grad] : p.leaf_gradients())
      names.push_back(name);
    json edge_list = json::array();
    for (std::size_t e = 0; e < p.edge_count(); ++e)
      edge_list.push_back({p.edge_ends(e).first, p.edge_ends(e).second});
    return json{{"frames", p.frame_count()},
                {"nodes", p.node_count()},
                {"edges", p.edge_count()},
                {"dot", p.layout_dot()},
                {"order", p.order()},
                {"result", exact_number(p.root().data())},
                {"phases", std::move(phases)},
                {"variables", std::move(names)},
                {"edge_list", std::move(edge_list)}}
        .dump();
  });
}

namespace {
const Playground& loaded(const std::optional<Playground>& p) {
  KINDLING_CHECK(p.has_value(), "Session: no program is loaded");
  return *p;
}
}  // namespace

std::string Session::frame(std::size_t frame) const {
  return guarded([&] { return loaded(playground_).frame_json(frame); });
}
std::string Session::node(std::size_t frame, std::size_t node) const {
  return guarded([&] { return loaded(playground_).node_json(frame, node); });
}
std::string Session::edge(std::size_t frame, std::size_t edge) const {
  return guarded([&] { return loaded(playground_).edge_json(frame, edge); });
}
std::string Session::gradients() const {
  return guarded([&] { return loaded(playground_).leaf_gradients_json(); });
}
std::string Session::gradcheck(std::string_view leaf) const {
  return guarded([&] { return loaded(playground_).gradcheck_json(leaf); });
}
std::string Session::questions(std::size_t frame) const {
  return guarded([&] { return loaded(playground_).questions_json(frame); });
}

std::string Session::check(std::string_view guess, std::string_view expected) {
  const std::optional<double> g = read_number(guess);
  const std::optional<double> e = read_number(expected);
  if (!g || !e) return json{{"valid", false}}.dump();
  return json{{"valid", true}, {"correct", prediction_correct(*g, *e)}, {"expected", *e}}.dump();
}

std::string Session::lessons() {
  json out = json::array();
  for (const Lesson& lesson : web::lessons()) {
    json variables = json::array();
    for (const auto& [name, value] : lesson.variables)
      variables.push_back({name, exact_number(value)});
    out.push_back({{"id", lesson.id},
                   {"title", lesson.title},
                   {"program", lesson.program},
                   {"variables", std::move(variables)},
                   {"order", lesson.order},
                   {"wrt", lesson.wrt},
                   {"about", lesson.about}});
  }
  return out.dump();
}

}  // namespace kindling::web
