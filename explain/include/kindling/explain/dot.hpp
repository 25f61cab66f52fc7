// The DOT writer (kindling::explain), generic over the node type as the core is (Note [one
// backward pass] in engine/graph.hpp), and to_dot for Value graphs.
//
// Layout follows micrograd's draw_dot: one record node per graph node, `{ label | data ... | grad
// ... }`, and a small ellipse for the op that produced it, feeding the record. A node type supplies
// the text; this file supplies ids, escaping, edges and layout, so scalar and tensor graphs share
// it.
#pragma once

#include <algorithm>
#include <cstddef>
#include <functional>
#include <limits>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "kindling/engine/graph.hpp"
#include "kindling/engine/scope.hpp"
#include "kindling/engine/value.hpp"

namespace kindling::engine {

/// What the DOT writer needs from a node type, in addition to GraphNode:
/// - `dot_fields()`: the record's fields, plain text (the writer escapes them); ValueNode gives
///   `{label, "data ...", "grad ..."}`, TensorNode `{label, "(4,2) float32", "grad (4,2)"}`;
/// - `dot_op()`: the label of the op that produced the node; empty for a leaf.
template <class N>
concept DotNode = GraphNode<N> && requires(const N& node) {
  { node.dot_fields() } -> std::convertible_to<std::vector<std::string>>;
  { node.dot_op() } -> std::convertible_to<std::string>;
};

/// The direction the graph is laid out in (Graphviz's `rankdir`).
enum class RankDir {
  LR,  ///< Left to right, inputs on the left (micrograd's draw_dot); the default.
  TB   ///< Top to bottom, inputs at the top.
};

/// Optional hooks for callers that colour or annotate a graph (the backward stepper's frames, the
/// gradcheck colouring, tensor broadcasts, module clusters). Each is optional; empty = none.
/// @tparam N the node type (ValueNode, TensorNode).
///
/// @code
/// kindling::engine::DotStyle<kindling::ValueNode> style;
/// style.node_attributes = [](const kindling::ValueNode& node) {
///   return node.grad < 0 ? std::string("style=filled fillcolor=\"#ef9a9a\"") : std::string();
/// };
/// std::string dot = kindling::to_dot(out, {}, style);
/// @endcode
template <class N>
struct DotStyle {
  /// Extra attributes for a node's record, such as `style=filled fillcolor="#ffd54f"`.
  std::function<std::string(const N&)> node_attributes;
  /// The name shown for a node that has no label of its own (an empty first field), such as a
  /// parameter's name from named_parameters(); an empty result leaves the field empty.
  std::function<std::string(const N&)> node_name;
  /// Label of the edge from parent `parent_index` of `child` into child's op node.
  std::function<std::string(const N& child, std::size_t parent_index)> edge_label;
  /// The nested clusters a node belongs to, outermost first, such as `{"MLP", "MLP.fc1"}`: drawn
  /// as Graphviz clusters (a Linear inside an MLP). Each name must be unique in the graph.
  std::function<std::vector<std::string>(const N&)> cluster_path;
  /// The same as a name scope (Note [module scopes]): the node's innermost scope, whose chain of
  /// parents gives the clusters, each labelled with its dotted name ("MLP", "MLP.fc1"). Used
  /// instead of cluster_path when set; a deep scope costs the writer O(depth), not O(depth^2),
  /// per node, as each cluster's label is built once.
  std::function<NameScope::Path(const N&)> cluster_scope;
  /// Clusters drawn collapsed, as one box standing for every node inside, so that a large model
  /// still renders; edges into and out of the cluster attach to the box. Called with each
  /// cluster's dotted name.
  std::function<bool(const std::string& cluster)> collapsed;
};

/// How the DOT text is laid out, whatever the node type.
struct DotOptions {
  RankDir rankdir = RankDir::LR;        ///< Graphviz's `rankdir`.
  std::string graph_name = "kindling";  ///< The name after `digraph` (escaped).
};

/// Escapes text for a record label: the record syntax characters (`{ } | < > "` and the
/// backslash) and spaces get a backslash, line breaks become DOT's `\n`, other control characters
/// and bytes that are not valid UTF-8 become '?'.
std::string escape_dot_record(std::string_view text);
/// Escapes text for a quoted DOT string (`"..."`), such as an op or edge label: `"` and the
/// backslash get a backslash, line breaks become `\n`, other control characters and invalid UTF-8
/// become '?'.
std::string escape_dot_string(std::string_view text);

/// A graph laid out for DOT, independent of the node type: what to_dot() gathers from the nodes
/// before the text is written (dot.cpp), so the layout logic is compiled once.
struct DotGraph {
  /// The cluster index of "in no cluster" (Node::cluster, Cluster::parent).
  static constexpr std::size_t kNoCluster = std::numeric_limits<std::size_t>::max();
  /// A Graphviz cluster. The clusters form a tree: each names its parent (kNoCluster at the top),
  /// which comes first.
  struct Cluster {
    std::string label;                ///< The dotted name: "MLP.fc1".
    std::size_t parent = kNoCluster;  ///< Index of the enclosing cluster, or kNoCluster.
    bool collapsed = false;           ///< Drawn as one box standing for everything inside.
  };
  /// One graph node: a record, and an ellipse for its op unless it is a leaf.
  struct Node {
    std::vector<std::string> fields;   ///< The record's fields, plain text.
    std::string op;                    ///< The op ellipse's label; empty for a leaf (no ellipse).
    std::string attributes;            ///< Extra DOT attributes of the record, or empty.
    std::size_t cluster = kNoCluster;  ///< The innermost cluster holding the node.
  };
  /// An edge from a parent's record into the child's op ellipse.
  struct Edge {
    std::size_t parent;  ///< Index of the input node in DotGraph::nodes.
    std::size_t child;   ///< Index of the node computed from it.
    std::string label;   ///< The edge's label; empty for none.
  };
  std::vector<Node> nodes;        ///< In topological order: the index is the node's id (`n3`).
  std::vector<Edge> edges;        ///< Every input edge, one per (child, input) pair.
  std::vector<Cluster> clusters;  ///< The cluster tree, each parent before its children.
};
/// The DOT text of `graph` (what every to_dot() ends with). A graph of one leaf gets a caption
/// saying why it has no history (a leaf, or computed under no_grad).
/// @throws kindling::error when a cluster's parent does not come before it, a node names a
///   cluster beyond `clusters`, or an edge names a node beyond `nodes`.
std::string write_dot_text(const DotGraph& graph, const DotOptions& options);

/// Builds DotGraph::clusters from what the style hooks say, one cluster per distinct path: from
/// dotted names (cluster_path) or from name scopes (cluster_scope), whose chains are walked only
/// up to a scope met before, so n nodes of one d-deep scope cost O(n + d), not O(n d).
class DotClusterTable {
 public:
  /// A table that appends the clusters it makes to `clusters`, which must outlive it.
  explicit DotClusterTable(std::vector<DotGraph::Cluster>& clusters) : clusters_(clusters) {}
  /// The innermost cluster of a path of dotted names, outermost first; kNoCluster when empty.
  std::size_t from_names(const std::vector<std::string>& path);
  /// The cluster of a scope, each enclosing scope a cluster around it; kNoCluster for null.
  std::size_t from_scope(const NameScope::Path& scope);

 private:
  std::size_t child(std::size_t parent, const std::string& key, std::string label);

  std::vector<DotGraph::Cluster>& clusters_;
  // (parent, dotted name or scope name) -> cluster: one cluster per distinct path.
  std::map<std::pair<std::size_t, std::string>, std::size_t> by_key_;
  std::unordered_map<const ScopeNode*, std::size_t> by_scope_;
  std::vector<NameScope::Path> kept_;  // keeps the scopes in by_scope_ alive (addresses stay ours)
};

/// Every node the roots depend on, each once, parents before children: the first root's
/// topological order, then what each later root adds (a gradient graph drawn beside the forward
/// graph it reads, GradGraphStepper's frames). One root gives topological_order(root); a root
/// listed twice adds nothing the second time.
/// @param roots non-null nodes.
template <GraphNode N>
std::vector<N*> topological_order_of_all(std::span<N* const> roots) {
  std::vector<N*> order;
  if (roots.size() == 1) {
    topological_order(roots[0], order);
    return order;
  }
  std::unordered_map<const N*, bool> seen;
  std::vector<N*> one;
  for (N* root : roots) {
    if (seen.count(root) != 0) continue;
    topological_order(root, one);
    for (N* node : one) {
      if (seen.emplace(node, true).second) order.push_back(node);
    }
  }
  return order;
}

/// The graph the roots depend on, as DOT text, drawn as one graph: each node once, with the id
/// `n<i>` where i is its place in topological_order_of_all(roots), so that the same graph always
/// gives the same text.
/// @param roots non-null nodes, e.g. a forward output and the gradient graph built from it.
/// @param options the layout.
/// @param style hooks that colour, name, label and cluster the nodes.
/// @code
/// kindling::ValueNode* roots[] = {out.node(), gradient.node()};
/// std::string dot = kindling::engine::to_dot(std::span<kindling::ValueNode* const>(roots));
/// @endcode
template <DotNode N>
std::string to_dot(std::span<N* const> roots, const DotOptions& options = {},
                   const DotStyle<N>& style = {}) {
  const std::vector<N*> order = topological_order_of_all(roots);
  // Ids follow the topological order, so the same graph always gives the same text; a sorted
  // (address, id) table finds a parent's id without hashing.
  std::vector<std::pair<const N*, std::size_t>> ids;
  ids.reserve(order.size());
  for (std::size_t i = 0; i < order.size(); ++i)
    ids.emplace_back(order[i], i);
  std::sort(ids.begin(), ids.end());
  auto lookup = [&](const N* node) {
    auto it = std::lower_bound(ids.begin(), ids.end(), std::pair<const N*, std::size_t>{node, 0});
    return it->second;
  };

  DotGraph graph;
  DotClusterTable clusters(graph.clusters);
  graph.nodes.reserve(order.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    const N& node = *order[i];
    DotGraph::Node& out = graph.nodes.emplace_back();
    out.fields = node.dot_fields();
    if (style.node_name && !out.fields.empty() && out.fields.front().empty())
      out.fields.front() = style.node_name(node);
    out.op = node.dot_op();
    if (style.node_attributes) out.attributes = style.node_attributes(node);
    if (style.cluster_scope)
      out.cluster = clusters.from_scope(style.cluster_scope(node));
    else if (style.cluster_path)
      out.cluster = clusters.from_names(style.cluster_path(node));
    const auto parents = node.parents();
    for (std::size_t p = 0; p < parents.size(); ++p) {
      graph.edges.push_back(
          {lookup(parents[p]), i, style.edge_label ? style.edge_label(node, p) : std::string{}});
    }
  }
  if (style.collapsed) {
    for (DotGraph::Cluster& cluster : graph.clusters)
      cluster.collapsed = style.collapsed(cluster.label);
  }
  return write_dot_text(graph, options);
}

/// The graph `root` (not null) depends on, as DOT text: to_dot() of the one root.
/// @code
/// kindling::Value a(2.0, "a"), b(-3.0, "b");
/// kindling::Value c = a * b;
/// std::string dot = kindling::engine::to_dot(c.node());  // the same as kindling::to_dot(c)
/// @endcode
template <DotNode N>
std::string to_dot(N* root, const DotOptions& options = {}, const DotStyle<N>& style = {}) {
  N* const roots[1] = {root};
  return to_dot(std::span<N* const>(roots), options, style);
}

/// Writes `text` to the file at `path` as it is (binary mode), replacing what was there: how a
/// frame or a gradcheck graph is saved.
/// @throws kindling::error naming the path when the file cannot be opened or written.
/// @code
/// kindling::engine::write_text_file("frame0.dot", stepper.frame_dot());
/// @endcode
void write_text_file(const std::string& path, std::string_view text);

}  // namespace kindling::engine

namespace kindling {

/// The DOT graph of everything `root` depends on, as micrograd's draw_dot draws it: a record
/// `{ label | data ... | grad ... }` per Value and an ellipse for the op that made it. Render it
/// with Graphviz (`dot -Tsvg graph.dot -o graph.svg`).
/// @param root a Value that holds a node (not moved from).
/// @param options the layout (left to right by default) and the graph's name.
/// @param style hooks that colour or annotate nodes and edges (the steppers' frames use them).
/// @code
/// kindling::Value a(2.0, "a"), b(-3.0, "b");
/// kindling::Value c = (a * b).set_label("c");
/// c.backward();
/// std::string dot = kindling::to_dot(c);
/// kindling::write_dot(c, "c.dot");  // the same text, in a file
/// @endcode
std::string to_dot(const Value& root, const engine::DotOptions& options = {},
                   const engine::DotStyle<ValueNode>& style = {});
/// Writes to_dot(root, options) (no style) to the file at `path`.
/// @throws kindling::error naming the path when the file cannot be opened or written.
void write_dot(const Value& root, const std::string& path, const engine::DotOptions& options = {});

}  // namespace kindling
