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

// What the DOT writer needs from a node type, in addition to GraphNode.
//   dot_fields()  the record's fields, plain text (the writer escapes them)
//   dot_op()      the label of the op that produced the node; empty for a leaf
template <class N>
concept DotNode = GraphNode<N> && requires(const N& node) {
  { node.dot_fields() } -> std::convertible_to<std::vector<std::string>>;
  { node.dot_op() } -> std::convertible_to<std::string>;
};

enum class RankDir { LR, TB };

// Optional hooks for callers that colour or annotate a graph (the backward stepper's frames, the
// gradcheck colouring, tensor broadcasts, module clusters). Each is optional; empty = none.
template <class N>
struct DotStyle {
  // Extra attributes for a node's record, e.g. `style=filled fillcolor="#ffd54f"`.
  std::function<std::string(const N&)> node_attributes;
  // The name shown for a node that has no label of its own (an empty first field), e.g. a
  // parameter's name from named_parameters(); an empty result leaves the field empty.
  std::function<std::string(const N&)> node_name;
  // Label of the edge from parent `parent_index` of `child` into child's op node.
  std::function<std::string(const N& child, std::size_t parent_index)> edge_label;
  // The nested clusters a node belongs to, outermost first, e.g. {"MLP", "MLP.fc1"}: drawn as
  // Graphviz clusters (a Linear inside an MLP). Each name must be unique in the graph.
  std::function<std::vector<std::string>(const N&)> cluster_path;
  // The same as a name scope (Note [module scopes]): the node's innermost scope, whose chain of
  // parents gives the clusters, each labelled with its dotted name ("MLP", "MLP.fc1"). Used
  // instead of cluster_path when set; a deep scope costs the writer O(depth), not O(depth^2),
  // per node, as each cluster's label is built once.
  std::function<NameScope::Path(const N&)> cluster_scope;
  // Clusters drawn collapsed, as one box standing for every node inside, so that a large model
  // still renders; edges into and out of the cluster attach to the box.
  std::function<bool(const std::string& cluster)> collapsed;
};

struct DotOptions {
  RankDir rankdir = RankDir::LR;
  std::string graph_name = "kindling";
};

// Escapes text for a record label: the record syntax characters get a backslash, line breaks
// become DOT's \n, other control characters and bytes that are not valid UTF-8 become '?'.
std::string escape_dot_record(std::string_view text);
// Escapes text for a quoted DOT string ("..."), e.g. an op or edge label.
std::string escape_dot_string(std::string_view text);

// A graph laid out for DOT, independent of the node type: what to_dot() gathers from the nodes
// before the text is written (dot.cpp), so the layout logic is compiled once.
struct DotGraph {
  static constexpr std::size_t kNoCluster = std::numeric_limits<std::size_t>::max();
  // The clusters form a tree: each names its parent (kNoCluster at the top), which comes first.
  struct Cluster {
    std::string label;  // the dotted name: "MLP.fc1"
    std::size_t parent = kNoCluster;
    bool collapsed = false;
  };
  struct Node {
    std::vector<std::string> fields;
    std::string op;
    std::string attributes;
    std::size_t cluster = kNoCluster;  // the innermost cluster holding the node
  };
  struct Edge {
    std::size_t parent;
    std::size_t child;
    std::string label;
  };
  std::vector<Node> nodes;  // in topological order: the index is the node's id
  std::vector<Edge> edges;
  std::vector<Cluster> clusters;
};
std::string write_dot_text(const DotGraph& graph, const DotOptions& options);

// Builds DotGraph::clusters from what the style hooks say, one cluster per distinct path: from
// dotted names (cluster_path) or from name scopes (cluster_scope), whose chains are walked only
// up to a scope met before, so n nodes of one d-deep scope cost O(n + d), not O(n d).
class DotClusterTable {
 public:
  explicit DotClusterTable(std::vector<DotGraph::Cluster>& clusters) : clusters_(clusters) {}
  // The innermost cluster of a path of dotted names, outermost first; kNoCluster when empty.
  std::size_t from_names(const std::vector<std::string>& path);
  // The cluster of a scope; kNoCluster for null.
  std::size_t from_scope(const NameScope::Path& scope);

 private:
  std::size_t child(std::size_t parent, const std::string& key, std::string label);

  std::vector<DotGraph::Cluster>& clusters_;
  // (parent, dotted name or scope name) -> cluster: one cluster per distinct path.
  std::map<std::pair<std::size_t, std::string>, std::size_t> by_key_;
  std::unordered_map<const ScopeNode*, std::size_t> by_scope_;
  std::vector<NameScope::Path> kept_;  // keeps the scopes in by_scope_ alive (addresses stay ours)
};

// Every node the roots depend on, each once, parents before children: the first root's
// topological order, then what each later root adds (a gradient graph drawn beside the forward
// graph it reads, GradGraphStepper's frames). One root gives topological_order(root).
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

// The graph the roots depend on, as DOT text, drawn as one graph.
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

// The graph `root` depends on, as DOT text.
template <DotNode N>
std::string to_dot(N* root, const DotOptions& options = {}, const DotStyle<N>& style = {}) {
  N* const roots[1] = {root};
  return to_dot(std::span<N* const>(roots), options, style);
}

// Writes to_dot(root, ...) to `path`; throws kindling::error naming the path if it cannot.
void write_text_file(const std::string& path, std::string_view text);

}  // namespace kindling::engine

namespace kindling {

// The DOT graph of everything `root` depends on (micrograd's draw_dot), and the file-writing form.
std::string to_dot(const Value& root, const engine::DotOptions& options = {},
                   const engine::DotStyle<ValueNode>& style = {});
void write_dot(const Value& root, const std::string& path, const engine::DotOptions& options = {});

}  // namespace kindling
