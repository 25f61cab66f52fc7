// The DOT writer, generic over the node type like the rest of the core (Note [one backward pass]).
//
// Layout follows micrograd's draw_dot: one record node per graph node, `{ label | data ... | grad
// ... }`, and a small ellipse for the op that produced it, feeding the record. A node type supplies
// the text; this file supplies ids, escaping, edges and layout, so scalar and tensor graphs share
// it.
#pragma once

#include <algorithm>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "kindling/engine/graph.hpp"

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
// gradcheck colouring, tensor broadcasts). Each returns extra DOT attributes or text; empty = none.
template <class N>
struct DotStyle {
  // Extra attributes for a node's record, e.g. `style=filled fillcolor="#ffd54f"`.
  std::function<std::string(const N&)> node_attributes;
  // Label of the edge from parent `parent_index` of `child` into child's op node.
  std::function<std::string(const N& child, std::size_t parent_index)> edge_label;
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

namespace detail {
std::string dot_header(const DotOptions& options);
void dot_node(std::string& out, std::size_t id, const std::vector<std::string>& fields,
              const std::string& op, const std::string& attributes);
void dot_edge(std::string& out, std::size_t parent_id, std::size_t child_id,
              const std::string& label);
}  // namespace detail

// The graph `root` depends on, as DOT text.
template <DotNode N>
std::string to_dot(N* root, const DotOptions& options = {}, const DotStyle<N>& style = {}) {
  const std::vector<N*> order = topological_order(root);
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

  std::string out = detail::dot_header(options);
  for (std::size_t i = 0; i < order.size(); ++i) {
    const N& node = *order[i];
    detail::dot_node(out, i, node.dot_fields(), node.dot_op(),
                     style.node_attributes ? style.node_attributes(node) : std::string{});
  }
  for (std::size_t i = 0; i < order.size(); ++i) {
    const N& node = *order[i];
    const auto parents = node.parents();
    for (std::size_t p = 0; p < parents.size(); ++p) {
      detail::dot_edge(out, lookup(parents[p]), i,
                       style.edge_label ? style.edge_label(node, p) : std::string{});
    }
  }
  out += "}\n";
  return out;
}

// Writes to_dot(root, ...) to `path`; throws kindling::error naming the path if it cannot.
void write_text_file(const std::string& path, std::string_view text);

}  // namespace kindling::engine
