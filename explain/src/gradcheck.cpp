// Finite-difference gradcheck of scalar graphs and its colouring (gradcheck.hpp).
#include "kindling/explain/gradcheck.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <utility>

#include "kindling/engine/error.hpp"
#include "kindling/engine/format.hpp"

namespace kindling {

namespace {

// A node's value from its inputs' current values, by the op table's forward (forward_value): the
// very function the op computed it with, so there is no second copy of any forward formula.
double recompute(const ValueNode& node) {
  if (node.input_count == 0) return node.data;
  const double b = node.input_count > 1 ? node.inputs[1]->data : 0.0;
  return forward_value(node.op, node.inputs[0]->data, b, node.exponent);
}

// Restores every node's data when it goes out of scope, also when a recompute throws.
class DataRestorer {
 public:
  explicit DataRestorer(const std::vector<ValueNode*>& order) : order_(order) {
    saved_.reserve(order.size());
    for (const ValueNode* node : order)
      saved_.push_back(node->data);
  }
  ~DataRestorer() { restore(); }
  DataRestorer(const DataRestorer&) = delete;
  DataRestorer& operator=(const DataRestorer&) = delete;
  void restore() noexcept {
    for (std::size_t i = 0; i < order_.size(); ++i)
      order_[i]->data = saved_[i];
  }
  double saved(std::size_t i) const noexcept { return saved_[i]; }

 private:
  const std::vector<ValueNode*>& order_;
  std::vector<double> saved_;
};

}  // namespace

GradcheckReport gradcheck(const Value& root, double step) {
  KINDLING_CHECK(step > 0.0 && std::isfinite(step), "gradcheck: step must be positive, got ", step);
  KINDLING_CHECK(root.node() != nullptr, "gradcheck: the Value has no node (moved from)");
  const std::vector<ValueNode*> order = engine::topological_order(root.node());
  DataRestorer restorer(order);

  // The root's value with node i's data set to `x`, the nodes after i recomputed.
  auto root_at = [&](std::size_t i, double x) {
    order[i]->data = x;
    for (std::size_t j = i + 1; j < order.size(); ++j)
      order[j]->data = recompute(*order[j]);
    return order.back()->data;
  };

  GradcheckReport report;
  report.step = step;
  report.nodes.reserve(order.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    const double x = restorer.saved(i);
    const double plus = root_at(i, x + step);
    const double minus = root_at(i, x - step);
    restorer.restore();
    NodeGradcheck check{Value::from_node(order[i]), order[i]->grad, (plus - minus) / (2.0 * step),
                        0.0};
    const double scale = std::max({std::abs(check.analytic), std::abs(check.numeric), 1e-8});
    check.relative_error = std::abs(check.analytic - check.numeric) / scale;
    if (std::isnan(check.relative_error))
      check.relative_error = std::numeric_limits<double>::infinity();
    report.max_relative_error = std::max(report.max_relative_error, check.relative_error);
    report.nodes.push_back(std::move(check));
  }
  return report;
}

std::string gradcheck_dot(const Value& root, const GradcheckReport& report,
                          const engine::DotOptions& options,
                          const GradcheckThresholds& thresholds) {
  KINDLING_CHECK(root.node() != nullptr, "gradcheck_dot: the Value has no node (moved from)");
  // The report is by topological order, as the DOT ids are; look nodes up by address.
  std::vector<std::pair<const ValueNode*, const NodeGradcheck*>> by_node;
  for (const NodeGradcheck& check : report.nodes)
    by_node.emplace_back(check.node.node(), &check);
  std::sort(by_node.begin(), by_node.end());
  engine::DotStyle<ValueNode> style;
  style.node_attributes = [&](const ValueNode& node) {
    auto it = std::lower_bound(by_node.begin(), by_node.end(),
                               std::pair<const ValueNode*, const NodeGradcheck*>{&node, nullptr});
    KINDLING_CHECK(it != by_node.end() && it->first == &node,
                   "gradcheck_dot: the report is not for this graph");
    const NodeGradcheck& check = *it->second;
    const char* colour = check.relative_error < thresholds.good      ? "#a5d6a7"
                         : check.relative_error < thresholds.suspect ? "#fff59d"
                                                                     : "#ef9a9a";
    char error[40];
    std::snprintf(error, sizeof error, "%.1e", check.relative_error);
    std::string attributes = "style=filled fillcolor=\"";
    attributes.append(colour).append("\" xlabel=\"");
    const std::string note = std::string("fd ")
                                 .append(engine::format_number(check.numeric))
                                 .append(", err ")
                                 .append(error);
    attributes.append(engine::escape_dot_string(note));
    attributes += '"';
    return attributes;
  };
  return engine::to_dot(root.node(), options, style);
}

}  // namespace kindling
