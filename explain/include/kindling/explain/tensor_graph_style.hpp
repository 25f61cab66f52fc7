// A DOT style for tensor graphs (explain/dot.hpp hooks, drawn by explain/tensor_dot.hpp):
// parameters and inputs in their own colours, and the edges into a broadcast (expand) labelled with
// the shapes and with the sum its backward applies, e.g. "(2) -> (4,2), backward sums axis 0".
//
//   engine::write_text_file("net.dot", kindling::to_dot(loss, {}, kindling::tensor_graph_style()));
//
// Header-only: it reads the nodes the DOT writer hands it through the Tensor API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "kindling/explain/dot.hpp"
#include "kindling/explain/tensor_dot.hpp"
#include "kindling/tensor/tensor.hpp"

namespace kindling {

/// The axes of `to` that a broadcast from `from` created or stretched: the axes expand's backward
/// sums over. Shapes align at the right, as NumPy's broadcasting rules say: from (2) to (4,2)
/// gives {0}, from (3,1) to (2,3,4) gives {0, 2}.
inline std::vector<std::int64_t> broadcast_axes(const Shape& from, const Shape& to) {
  std::vector<std::int64_t> axes;
  const std::size_t lead = to.size() >= from.size() ? to.size() - from.size() : 0;
  for (std::size_t axis = 0; axis < to.size(); ++axis) {
    const bool created = axis < lead;
    const bool stretched = !created && from[axis - lead] == 1 && to[axis] != 1;
    if (created || stretched) axes.push_back(static_cast<std::int64_t>(axis));
  }
  return axes;
}

/// A style for to_dot(const Tensor&): parameters (leaves that require grad) blue, inputs (other
/// leaves) grey, results white, and each edge into a broadcast (expand) labelled with the shapes
/// and the axes its backward sums (`(2) -> (4,2), backward sums axis 0`). Nodes made inside a
/// module's forward are drawn inside that module's cluster (Note [module scopes]); the clusters
/// named in `collapsed` (dotted names, "MLP.fc1") are drawn as one box each, so that a large model
/// renders.
/// @code
/// kindling::engine::write_text_file("net.dot",
///                                   kindling::to_dot(loss, {}, kindling::tensor_graph_style()));
/// @endcode
inline engine::DotStyle<TensorNode> tensor_graph_style(std::vector<std::string> collapsed = {});

/// What tensor_graph_style(options) adds to tensor_graph_style(collapsed), defined below.
struct TensorGraphStyleOptions {
  /// Each tensor listed is drawn under its name when it has no label: a model's named_parameters()
  /// shows "0.weight" on the parameter, as torchviz's make_dot(params=...) does. Undefined
  /// tensors are skipped; the first name wins for a tensor listed twice.
  std::vector<std::pair<std::string, Tensor>> names{};
  std::vector<std::string> collapsed{};  ///< The clusters drawn as one box, as above.
};

/// tensor_graph_style(options.collapsed) with the parameters' names. The style keeps the listed
/// tensors alive.
/// @code
/// const kindling::TensorGraphStyleOptions options{.names = model->named_parameters()};
/// const std::string dot = kindling::to_dot(loss, {}, kindling::tensor_graph_style(options));
/// @endcode
inline engine::DotStyle<TensorNode> tensor_graph_style(TensorGraphStyleOptions options) {
  engine::DotStyle<TensorNode> style = tensor_graph_style(std::move(options.collapsed));
  // The Tensors are kept in the style, so the nodes the map is keyed by stay alive.
  auto by_node = std::make_shared<std::unordered_map<const TensorNode*, std::string>>();
  auto kept = std::make_shared<std::vector<Tensor>>();
  for (auto& [name, tensor] : options.names) {
    if (!tensor.defined()) continue;
    by_node->emplace(tensor.node(), name);  // the first name wins for a tensor listed twice
    kept->push_back(std::move(tensor));
  }
  style.node_name = [by_node, kept](const TensorNode& node) -> std::string {
    const auto it = by_node->find(&node);
    return it == by_node->end() ? std::string{} : it->second;
  };
  return style;
}

inline engine::DotStyle<TensorNode> tensor_graph_style(std::vector<std::string> collapsed) {
  engine::DotStyle<TensorNode> style;
  style.cluster_scope = [](const TensorNode& node) { return Tensor::from_node(node).scope(); };
  if (!collapsed.empty()) {
    style.collapsed = [collapsed = std::move(collapsed)](const std::string& cluster) {
      for (const std::string& name : collapsed) {
        if (name == cluster) return true;
      }
      return false;
    };
  }
  style.node_attributes = [](const TensorNode& node) -> std::string {
    const Tensor t = Tensor::from_node(node);
    if (!t.is_leaf()) return {};
    return t.requires_grad() ? "style=filled fillcolor=\"#bbdefb\""   // a parameter
                             : "style=filled fillcolor=\"#eeeeee\"";  // an input or constant
  };
  style.edge_label = [](const TensorNode& child_node, std::size_t parent) -> std::string {
    const Tensor child = Tensor::from_node(child_node);
    if (child.op() != TensorOp::expand) return {};
    const Tensor from = child.inputs()[parent];
    std::string label = shape_string(from.shape()) + " -> " + shape_string(child.shape());
    const std::vector<std::int64_t> axes = broadcast_axes(from.shape(), child.shape());
    if (axes.empty()) return label;
    label += axes.size() == 1 ? ", backward sums axis " : ", backward sums axes ";
    for (std::size_t i = 0; i < axes.size(); ++i) {
      if (i > 0) label += ',';
      label += std::to_string(axes[i]);
    }
    return label;
  };
  return style;
}

}  // namespace kindling
