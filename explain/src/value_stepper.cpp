// ValueStepper: step descriptions, texts and DOT frames for scalar graphs (value_stepper.hpp).
#include "kindling/explain/value_stepper.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <functional>
#include <limits>
#include <memory>
#include <unordered_set>

#include "kindling/engine/error.hpp"
#include "kindling/engine/format.hpp"

namespace kindling {

namespace {

// Edges whose child has not stepped carry nothing yet; the frames show no label for them.
constexpr double kNotYet = std::numeric_limits<double>::quiet_NaN();

// Four decimals, as Value's repr and the DOT records print them.
// A factor of a printed product: negative numbers in parentheses, so "2 * -3" reads "2 * (-3)".
std::string factor(double x) {
  const std::string text = engine::format_number(x);
  return text.front() == '-' ? "(" + text + ")" : text;
}

// A name as it appears inside a formula: plain identifiers and unsigned numbers as they are,
// anything else (a label like "x*y" or "-3") in parentheses so the formula still parses.
std::string operand(const std::string& name) {
  bool plain = !name.empty();
  for (char ch : name) {
    const auto c = static_cast<unsigned char>(ch);
    if (!std::isalnum(c) && ch != '_' && ch != '.') plain = false;
  }
  return plain ? name : "(" + name + ")";
}

std::string exponent_text(double k) {
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%g", k);
  return buffer;
}

// True when `formula * x` would bind wrongly without parentheses: a + or a binary - outside
// parentheses ("1 - c^2").
bool needs_parentheses(std::string_view formula) {
  int depth = 0;
  for (std::size_t i = 0; i < formula.size(); ++i) {
    const char ch = formula[i];
    if (ch == '(') ++depth;
    if (ch == ')') --depth;
    if (depth == 0 && (ch == '+' || (ch == '-' && i > 0 && formula[i - 1] == ' '))) return true;
  }
  return false;
}

// "c = a * b": the node's op in names, written as the op table's form column says (Note [scalar
// op table]); `names` are a, b, c and k as they appear in formulas.
std::string node_expression(const ValueNode* node, const std::string& name,
                            const std::array<std::string, 4>& names) {
  const std::string& a = names[0];
  const std::string& b = names[1];
  const std::string& k = names[3];
  std::string expression = name + " = ";
  switch (op_form(node->op)) {
    case ValueForm::leaf:
      expression += "leaf";
      break;
    case ValueForm::infix:
      expression += a + " " + std::string(op_symbol(node->op)) + " " + b;
      break;
    case ValueForm::negation:
      expression += "-" + a;
      break;
    case ValueForm::power:
      expression += a + "^" + k;
      break;
    case ValueForm::call:
      expression += std::string(op_name(node->op)) + "(" + a + ")";
      break;
  }
  return expression;
}

// The names a formula of `node` is written in: its inputs a and b, itself c, its exponent k.
std::array<std::string, 4> formula_names(const ValueNode* node,
                                         const std::function<std::string(const ValueNode*)>& name) {
  const std::string k = exponent_text(node->exponent);
  return {node->input_count > 0 ? operand(name(node->inputs[0])) : std::string{},
          node->input_count > 1 ? operand(name(node->inputs[1])) : std::string{},
          operand(name(node)), node->exponent < 0 ? "(" + k + ")" : k};
}

}  // namespace

std::string op_expression(const ValueNode* node,
                          const std::function<std::string(const ValueNode*)>& name) {
  return node_expression(node, name(node), formula_names(node, name));
}

std::string derivative_text(const ValueNode* node, int input_index,
                            const std::function<std::string(const ValueNode*)>& name) {
  return engine::substitute_names(derivative_formula(node->op, input_index), "abck",
                                  formula_names(node, name));
}

std::string BackwardStep::text() const {
  std::string out = engine::step_tag(number, total);
  const std::string indent(out.size(), ' ');
  for (const GradContribution& c : contributions) {
    if (&c != &contributions.front()) out.append("\n").append(indent);
    out.append(expression).append(": ").append(c.name).append(".grad += ");
    out.append(needs_parentheses(c.formula) ? "(" + c.formula + ")" : c.formula);
    out.append(" * ").append(operand(name)).append(".grad = ");
    out.append(factor(c.local_derivative)).append(" * ").append(factor(upstream));
    out.append(" -> ").append(engine::format_number(c.contribution));
    if (c.grad_before != 0.0) {
      out.append(" (")
          .append(c.name)
          .append(".grad now ")
          .append(engine::format_number(c.grad_after));
      out += ')';
    }
  }
  return out;
}

ValueStepper::ValueStepper(const Value& root) : stepper_(root.node()) {
  // The leaves' grads as the pass found them (the root's includes its seed if it is a leaf).
  for (ValueNode* node : stepper_.order()) {
    if (node->parents().empty()) leaf_grads_.emplace_back(node, node->grad);
  }
  edge_contributions_.assign(stepper_.order().size(), {kNotYet, kNotYet});
}

std::string ValueStepper::name(const ValueNode* node) const {
  if (!node->label_text().empty()) return node->label_text();
  return std::string("n").append(std::to_string(stepper_.index_of(node)));
}

BackwardStep ValueStepper::describe(ValueNode* node) const {
  BackwardStep step;
  step.number = stepper_.position() + 1;
  step.total = stepper_.step_count();
  step.node = Value::from_node(node);
  step.name = name(node);
  step.upstream = node->grad;

  const std::array<std::string, 4> names =
      formula_names(node, [this](const ValueNode* n) { return name(n); });
  step.expression = node_expression(node, step.name, names);
  // The same parent may appear twice (a * a): its grad_before then includes the first share.
  for (int i = 0; i < node->input_count; ++i) {
    GradContribution c{Value::from_node(node->inputs[i]),
                       name(node->inputs[i]),
                       i,
                       engine::substitute_names(derivative_formula(node->op, i), "abck", names),
                       local_derivative(*node, i),
                       0.0,
                       node->inputs[i]->grad,
                       0.0};
    c.contribution = chain_contribution(*node, i);
    for (const GradContribution& earlier : step.contributions) {
      if (earlier.parent.same_node(c.parent)) c.grad_before = earlier.grad_after;
    }
    c.grad_after = c.grad_before + c.contribution;
    step.contributions.push_back(std::move(c));
  }
  return step;
}

const BackwardStep& ValueStepper::step() {
  KINDLING_CHECK(!done(), "ValueStepper::step: the backward pass is already done (", step_count(),
                 " steps); call reset() to start again");
  BackwardStep step = describe(stepper_.next());
  // The gradients move by the engine's own backward_step() (Note [stepper is backward]); the
  // description above only reads the same rules.
  ValueNode* node = stepper_.step();
  // Report the gradients the engine actually left, on each parent's last share (a * a has two).
  for (std::size_t i = 0; i < step.contributions.size(); ++i) {
    bool last_share = true;
    for (std::size_t j = i + 1; j < step.contributions.size(); ++j) {
      if (step.contributions[j].parent.same_node(step.contributions[i].parent)) last_share = false;
    }
    if (last_share) step.contributions[i].grad_after = step.contributions[i].parent.grad();
  }
  auto& edges = edge_contributions_[stepper_.index_of(node)];
  for (const GradContribution& c : step.contributions)
    edges[static_cast<std::size_t>(c.input_index)] = c.contribution;
  last_ = std::move(step);
  return *last_;
}

void ValueStepper::run_to_end() {
  while (!done())
    step();
}

void ValueStepper::reset() {
  stepper_.reset();
  for (auto& [node, grad] : leaf_grads_)
    node->grad = grad;
  last_.reset();
  edge_contributions_.assign(stepper_.order().size(), {kNotYet, kNotYet});
}

std::optional<Value> ValueStepper::current() const {
  ValueNode* node = stepper_.current();
  if (node == nullptr) return std::nullopt;
  return Value::from_node(node);
}

std::vector<Value> ValueStepper::done_nodes() const {
  std::vector<Value> nodes;
  for (ValueNode* node : stepper_.done_nodes())
    nodes.push_back(Value::from_node(node));
  return nodes;
}

std::string ValueStepper::state_text() const {
  if (last_) return last_->text();
  ValueNode* root = stepper_.root();
  std::string text = engine::step_tag(0, step_count()) + "start: " + name(root) +
                     ".grad = " + engine::format_number(root->grad) + " (the seed, d" +
                     operand(name(root)) + "/d" + operand(name(root)) + ")";
  text += step_count() == 0 ? "; the root is a leaf, nothing to step"
                            : "; interior grads cleared, " + std::to_string(step_count()) +
                                  (step_count() == 1 ? " step to go" : " steps to go");
  // Leaves (constants included) keep what an earlier backward left: this pass adds to it.
  std::size_t holding = 0;
  for (const auto& [node, grad] : leaf_grads_)
    if (grad != 0.0 && node != root) ++holding;
  if (holding > 0) {
    text.append("\n").append(std::string(engine::step_tag(0, step_count()).size(), ' '));
    text.append(std::to_string(holding))
        .append(holding == 1 ? " leaf already holds a gradient" : " leaves already hold gradients")
        .append(" from an earlier backward, and this pass adds to it; zero_grads(")
        .append(name(root))
        .append(") starts from 0");
  }
  return text;
}

engine::DotStyle<ValueNode> ValueStepper::frame_style() const {
  engine::DotStyle<ValueNode> style;
  style.node_attributes = [this](const ValueNode& node) {
    std::string attributes = stepper_.frame_attributes(node);
    // Unlabeled nodes show the generated name the step texts use.
    if (node.label_text().empty()) {
      attributes.append(" xlabel=\"").append(engine::escape_dot_string(name(&node))).append("\"");
    }
    return attributes;
  };
  style.edge_label = [this](const ValueNode& child, std::size_t parent) {
    if (!stepper_.is_done(&child)) return std::string{};
    return "+= " + engine::format_number(edge_contributions_[stepper_.index_of(&child)][parent]);
  };
  return style;
}

std::string ValueStepper::frame_dot(const engine::DotOptions& options) const {
  return engine::to_dot(stepper_.root(), options, frame_style());
}

// ---- GradGraphStepper (Note [gradient graph stepper]) -------------------------------------------

std::string GradGraphStep::text() const {
  std::string out = engine::step_tag(number, total);
  const std::string indent(out.size(), ' ');
  for (const Input& input : inputs) {
    if (&input != &inputs.front()) out.append("\n").append(indent);
    out.append(expression).append(": grad ").append(input.name).append(" += ");
    out.append(needs_parentheses(input.formula) ? "(" + input.formula + ")" : input.formula);
    out.append(" * grad ").append(operand(name)).append(" -> ");
    out.append(engine::format_number(input.contribution));
    out.append(" (grad ").append(input.name).append(" now ");
    out.append(engine::format_number(input.gradient)).append(")");
  }
  if (inputs.empty()) out.append(expression).append(": no input needs a gradient");
  out.append(" [")
      .append(std::to_string(new_nodes))
      .append(new_nodes == 1 ? " new node]" : " new nodes]");
  return out;
}

GradGraphStepper::GradGraphStepper(const Value& output, std::vector<Value> inputs)
    : pass_(output, inputs, Value(1.0), /*keep_gradients=*/true), inputs_(std::move(inputs)) {
  engine::topological_order(output.node(), forward_order_);
  for (std::size_t i = 0; i < forward_order_.size(); ++i)
    forward_index_.emplace(forward_order_[i], i);
  // A gradient is complete once the last of its node's users has stepped.
  const auto schedule = pass_.schedule();
  for (std::size_t t = 0; t < schedule.size(); ++t) {
    for (ValueNode* input : schedule[t]->parents()) {
      std::size_t& after = final_after_[input];
      after = std::max(after, t + 1);
    }
  }
  seen_before_ = gradient_nodes();
}

std::string GradGraphStepper::name(const ValueNode* node) const {
  if (!node->label_text().empty()) return node->label_text();
  auto it = forward_index_.find(node);
  if (it == forward_index_.end()) return "?";
  return std::string("n").append(std::to_string(it->second));
}

std::vector<ValueNode*> GradGraphStepper::gradient_roots() const {
  std::vector<ValueNode*> roots;
  std::unordered_set<const ValueNode*> seen;
  for (ValueNode* node : forward_order_) {
    const std::optional<Value> g = pass_.gradient(Value::from_node(node));
    if (g && seen.insert(g->node()).second) roots.push_back(g->node());
  }
  return roots;
}

std::unordered_map<const ValueNode*, std::size_t> GradGraphStepper::gradient_nodes() const {
  const std::vector<ValueNode*> roots = gradient_roots();
  std::unordered_map<const ValueNode*, std::size_t> nodes;
  for (ValueNode* node : engine::topological_order_of_all(std::span<ValueNode* const>(roots))) {
    if (!is_forward(node)) nodes.emplace(node, nodes.size());
  }
  return nodes;
}

const GradGraphStep& GradGraphStepper::step() {
  KINDLING_CHECK(!done(), "GradGraphStepper::step: the backward pass is already done (",
                 step_count(), " steps)");
  seen_before_ = gradient_nodes();
  ValueNode* node = pass_.schedule()[pass_.position()];
  GradGraphStep step;
  step.number = pass_.position() + 1;
  step.total = pass_.step_count();
  step.node = Value::from_node(node);
  step.name = name(node);
  const std::array<std::string, 4> names =
      formula_names(node, [this](const ValueNode* n) { return name(n); });
  step.expression = node_expression(node, step.name, names);
  pass_.step();
  for (int i = 0; i < node->input_count; ++i) {
    ValueNode* input = node->inputs[i];
    const std::optional<Value> g = pass_.gradient(Value::from_node(input));
    if (!g) continue;  // a leaf that is not an input: no gradient is built for it
    step.inputs.push_back({name(input),
                           engine::substitute_names(derivative_formula(node->op, i), "abck", names),
                           chain_contribution(*node, i), g->data()});
  }
  step.new_nodes = gradient_nodes().size() - seen_before_.size();
  last_ = std::move(step);
  return *last_;
}

void GradGraphStepper::run_to_end() {
  while (!done())
    step();
}

std::string GradGraphStepper::state_text() const {
  if (last_) return last_->text();
  const ValueNode* root = pass_.output().node();
  return engine::step_tag(0, step_count()) + "start: grad " + operand(name(root)) +
         " = 1 (the seed, a constant); each step writes one node's chain rule as new nodes, the "
         "gradient graph (" +
         std::to_string(step_count()) + (step_count() == 1 ? " step)" : " steps)");
}

std::string GradGraphStepper::frame_dot(const engine::DotOptions& options) const {
  std::vector<ValueNode*> roots = {pass_.output().node()};
  for (ValueNode* g : gradient_roots())
    roots.push_back(g);
  // Whose gradient each gradient root is, for its xlabel ("grad x"), and whether it is complete.
  std::unordered_map<const ValueNode*, std::pair<std::string, bool>> holders;
  for (ValueNode* node : forward_order_) {
    const std::optional<Value> g = pass_.gradient(Value::from_node(node));
    if (!g) continue;
    auto it = final_after_.find(node);
    const bool complete = it == final_after_.end() || it->second <= pass_.position();
    auto [slot, fresh] = holders.try_emplace(g->node(), "grad " + name(node), complete);
    if (!fresh) {
      slot->second.first += ", grad " + name(node);
      slot->second.second = slot->second.second && complete;
    }
  }
  const ValueNode* current = last_ ? last_->node.node() : nullptr;
  std::unordered_set<const ValueNode*> stepped;
  for (std::size_t t = 0; t < pass_.position(); ++t)
    stepped.insert(pass_.schedule()[t]);
  engine::DotStyle<ValueNode> style;
  style.node_attributes = [&](const ValueNode& node) {
    std::string attributes = "style=\"filled";
    auto holder = holders.find(&node);
    if (holder != holders.end() && !holder->second.second) attributes += ",dashed";
    attributes += "\" fillcolor=\"";
    if (is_forward(&node)) {
      if (&node == current)
        attributes += "#ffd54f\" penwidth=2.5";  // amber: the chain rule shown
      else if (stepped.count(&node) != 0)
        attributes += "#d9d9d9\"";  // grey: its chain rule has run
      else
        attributes += "#ffffff\"";
    } else {
      // Blue: the gradient graph; darker for what the last step made.
      attributes += seen_before_.count(&node) != 0 || !last_ ? "#bbdefb\"" : "#64b5f6\"";
      attributes += " color=\"#1e88e5\"";
    }
    std::string xlabel;
    if (is_forward(&node) && node.label_text().empty()) xlabel = name(&node);
    if (holder != holders.end()) xlabel += (xlabel.empty() ? "" : "; ") + holder->second.first;
    if (!xlabel.empty())
      attributes.append(" xlabel=\"").append(engine::escape_dot_string(xlabel)).append("\"");
    return attributes;
  };
  return engine::to_dot(std::span<ValueNode* const>(roots), options, style);
}

engine::DotStyle<ValueNode> second_order_frame_style(const ValueStepper& stepper,
                                                     const Value& forward_output) {
  auto forward = std::make_shared<std::unordered_set<const ValueNode*>>();
  for (ValueNode* node : engine::topological_order(forward_output.node()))
    forward->insert(node);
  engine::DotStyle<ValueNode> style = stepper.frame_style();
  auto base = style.node_attributes;
  style.node_attributes = [base, forward](const ValueNode& node) {
    std::string attributes = base(node);
    if (forward->count(&node) == 0) attributes += " color=\"#1e88e5\" penwidth=2";
    return attributes;
  };
  return style;
}

}  // namespace kindling
