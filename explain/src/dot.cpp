// Escaping and the fixed parts of the DOT text (the graph walk itself is in dot.hpp), and the
// Value graph's to_dot.
#include "kindling/explain/dot.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>

#include "kindling/engine/error.hpp"

namespace kindling::engine {

namespace {
// Length of the well-formed UTF-8 sequence starting at text[i], or 0 if it is not one. Well
// formed as RFC 3629 says (Unicode's table 3-7): no overlong forms (C0, C1, E0 80..9F,
// F0 80..8F), no surrogates (ED A0..BF) and nothing above U+10FFFF (F4 90.., F5..FF), which
// Graphviz would copy into SVG as bytes no UTF-8 reader accepts.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char second_low = 0x80, second_high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) second_low = 0xA0;
    if (lead == 0xED) second_high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) second_low = 0x90;
    if (lead == 0xF4) second_high = 0x8F;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  if (byte(i + 1) < second_low || byte(i + 1) > second_high) return 0;
  for (std::size_t k = 2; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
  }
  return length;
}

// Copies text into out, applying `escape_ascii` to each ASCII byte and replacing control
// characters and invalid UTF-8 with '?'.
template <class EscapeAscii>
std::string escape_text(std::string_view text, EscapeAscii escape_ascii) {
  std::string out;
  out.reserve(text.size() + 8);
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = utf8_sequence_length(text, i);
    if (length == 0) {
      out += '?';
      ++i;
    } else if (length > 1) {
      out.append(text.substr(i, length));
      i += length;
    } else {
      const char c = text[i++];
      if (c == '\n')
        out += "\\n";
      else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F)
        out += '?';
      else
        escape_ascii(out, c);
    }
  }
  return out;
}
}  // namespace

std::string escape_dot_record(std::string_view text) {
  return escape_text(text, [](std::string& out, char c) {
    switch (c) {
      case '{':
      case '}':
      case '|':
      case '<':
      case '>':
      case '"':
      case '\\':
      case ' ':
        // A backslash before a space keeps runs of spaces, which records would otherwise collapse.
        out += '\\';
        [[fallthrough]];
      default:
        out += c;
    }
  });
}

std::string escape_dot_string(std::string_view text) {
  return escape_text(text, [](std::string& out, char c) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  });
}

namespace {

std::string dot_header(const DotOptions& options) {
  std::string out = "digraph \"";
  out.append(escape_dot_string(options.graph_name)).append("\" {\n");
  out += options.rankdir == RankDir::LR ? "  rankdir=LR;\n" : "  rankdir=TB;\n";
  out += "  node [fontname=\"Helvetica\" fontsize=11];\n";
  out += "  edge [fontname=\"Helvetica\" fontsize=9];\n";
  return out;
}

// Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on "literal" + std::string.
void dot_node(std::string& out, const std::string& indent, std::size_t id,
              const DotGraph::Node& node) {
  const std::string name = std::string("n").append(std::to_string(id));
  out.append(indent).append(name).append(" [shape=record label=\"{ ");
  for (std::size_t f = 0; f < node.fields.size(); ++f) {
    if (f > 0) out += " | ";
    out += escape_dot_record(node.fields[f]);
  }
  out += " }\"";
  if (!node.attributes.empty()) out.append(" ").append(node.attributes);
  out += "];\n";
  if (!node.op.empty()) {
    out.append(indent).append(name).append("_op [shape=ellipse label=\"");
    out.append(escape_dot_string(node.op)).append("\"];\n");
    out.append(indent).append(name).append("_op -> ").append(name).append(";\n");
  }
}

}  // namespace

std::size_t DotClusterTable::child(std::size_t parent, const std::string& key, std::string label) {
  const auto [it, inserted] = by_key_.try_emplace({parent, key}, clusters_.size());
  if (inserted) clusters_.push_back({std::move(label), parent, false});
  return it->second;
}

std::size_t DotClusterTable::from_names(const std::vector<std::string>& path) {
  std::size_t cluster = DotGraph::kNoCluster;
  for (const std::string& name : path)
    cluster = child(cluster, name, name);
  return cluster;
}

std::size_t DotClusterTable::from_scope(const NameScope::Path& scope) {
  // Up the chain to the first scope seen before (or the top), then down again making clusters.
  std::vector<const ScopeNode*> fresh;
  std::size_t cluster = DotGraph::kNoCluster;
  for (const ScopeNode* s = scope.get(); s != nullptr; s = s->parent().get()) {
    if (const auto known = by_scope_.find(s); known != by_scope_.end()) {
      cluster = known->second;
      break;
    }
    fresh.push_back(s);
  }
  if (fresh.empty()) return cluster;
  kept_.push_back(scope);
  for (auto it = fresh.rbegin(); it != fresh.rend(); ++it) {
    const std::string& name = (*it)->name();
    std::string label = cluster == DotGraph::kNoCluster
                            ? name
                            : std::string(clusters_[cluster].label).append(".").append(name);
    cluster = child(cluster, name, std::move(label));
    by_scope_.emplace(*it, cluster);
  }
  return cluster;
}

// Note [DOT clusters]
// Nodes are written grouped by their cluster path, so that each cluster's nodes are contiguous
// and nested `subgraph cluster_k { ... }` blocks open and close as the path changes (no
// recursion). The groups follow the order of the paths' labels, compared level by level: a
// preorder of the cluster tree with each cluster's children sorted by label. A node inside a
// collapsed cluster is not written: one box stands for the outermost collapsed cluster around it,
// and every edge that crosses into or out of it attaches to the box (once per pair of ends).
// Clusters are numbered (cluster_k, box ck) in the order the nodes, in topological order, first
// reach them, outermost first. Every step costs O(depth) per node or less, and each label is
// written once per cluster.
std::string write_dot_text(const DotGraph& graph, const DotOptions& options) {
  constexpr std::size_t none = DotGraph::kNoCluster;
  const std::vector<DotGraph::Cluster>& clusters = graph.clusters;
  const std::size_t count = graph.nodes.size();
  for (std::size_t c = 0; c < clusters.size(); ++c) {
    KINDLING_CHECK(clusters[c].parent == none || clusters[c].parent < c, "write_dot_text: cluster ",
                   c, " names parent ", clusters[c].parent, ", which does not come before it");
  }
  for (std::size_t i = 0; i < count; ++i) {
    KINDLING_CHECK(graph.nodes[i].cluster == none || graph.nodes[i].cluster < clusters.size(),
                   "write_dot_text: node ", i, " names cluster ", graph.nodes[i].cluster, " of ",
                   clusters.size());
  }
  for (const DotGraph::Edge& edge : graph.edges) {
    KINDLING_CHECK(edge.parent < count && edge.child < count, "write_dot_text: an edge ",
                   edge.parent, " -> ", edge.child, " names a node beyond the ", count);
  }

  // The outermost collapsed cluster around each cluster (itself included), or none.
  std::vector<std::size_t> hiding(clusters.size(), none);
  for (std::size_t c = 0; c < clusters.size(); ++c) {
    const std::size_t parent = clusters[c].parent;
    hiding[c] = parent != none && hiding[parent] != none ? hiding[parent]
                : clusters[c].collapsed                  ? c
                                                         : none;
  }
  // Each node's visible cluster: its own, or the collapsed one that hides it.
  std::vector<std::size_t> visible(count, none);
  std::vector<bool> hidden(count, false);
  std::vector<std::size_t> hidden_count(clusters.size(), 0);
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t c = graph.nodes[i].cluster;
    if (c == none) continue;
    hidden[i] = hiding[c] != none;
    visible[i] = hidden[i] ? hiding[c] : c;
    if (hidden[i]) ++hidden_count[visible[i]];
  }

  // Numbers in order of first reach (see the Note): up from the node's visible cluster to the
  // first numbered one, then number the rest outermost first.
  std::vector<std::size_t> number(clusters.size(), none);
  std::size_t numbered = 0;
  std::vector<std::size_t> chain;
  for (std::size_t i = 0; i < count; ++i) {
    chain.clear();
    for (std::size_t c = visible[i]; c != none && number[c] == none; c = clusters[c].parent)
      chain.push_back(c);
    for (auto it = chain.rbegin(); it != chain.rend(); ++it)
      number[*it] = numbered++;
  }
  auto box_name = [&](std::size_t cluster) {
    return std::string("c").append(std::to_string(number[cluster]));
  };

  // Preorder ranks, children sorted by label (ties: the order the clusters were made).
  std::vector<std::vector<std::size_t>> children(clusters.size());
  std::vector<std::size_t> roots;
  for (std::size_t c = 0; c < clusters.size(); ++c)
    (clusters[c].parent == none ? roots : children[clusters[c].parent]).push_back(c);
  auto by_label = [&](std::size_t a, std::size_t b) {
    return clusters[a].label < clusters[b].label;
  };
  std::stable_sort(roots.begin(), roots.end(), by_label);
  for (auto& list : children)
    std::stable_sort(list.begin(), list.end(), by_label);
  std::vector<std::size_t> rank(clusters.size(), 0);
  {
    std::size_t next = 0;
    std::vector<std::size_t> stack(roots.rbegin(), roots.rend());
    while (!stack.empty()) {
      const std::size_t c = stack.back();
      stack.pop_back();
      rank[c] = next++;
      stack.insert(stack.end(), children[c].rbegin(), children[c].rend());
    }
  }
  std::vector<std::size_t> emit_order(count);
  for (std::size_t i = 0; i < count; ++i)
    emit_order[i] = i;
  auto sort_key = [&](std::size_t node) {
    return visible[node] == none ? 0 : rank[visible[node]] + 1;  // outside every cluster first
  };
  std::stable_sort(emit_order.begin(), emit_order.end(),
                   [&](std::size_t a, std::size_t b) { return sort_key(a) < sort_key(b); });

  std::string out = dot_header(options);
  // A lone leaf is most often a surprise: a result computed under no_grad records no graph, and
  // the drawing would show one box and no reason. The caption gives the reason.
  if (count == 1 && graph.nodes[0].op.empty()) {
    out.append(
        "  label=\"one node: it has no recorded history. It is a leaf, or it was computed "
        "under no_grad or from inputs that do not require grad\"; labelloc=b;\n");
  }
  std::vector<std::size_t> open;  // the clusters whose subgraph is open, outermost first
  std::vector<bool> box_written(clusters.size(), false);
  auto indent = [&] { return std::string(2 * (open.size() + 1), ' '); };
  std::size_t last_visible = none;
  bool first = true;
  for (std::size_t id : emit_order) {
    if (first || visible[id] != last_visible) {
      first = false;
      last_visible = visible[id];
      // The path from the top to the visible cluster, and what it shares with the open one.
      chain.clear();
      for (std::size_t c = visible[id]; c != none; c = clusters[c].parent)
        chain.push_back(c);
      std::reverse(chain.begin(), chain.end());
      std::size_t keep = 0;
      while (keep < open.size() && keep < chain.size() && open[keep] == chain[keep])
        ++keep;
      while (open.size() > keep) {
        open.pop_back();
        out.append(indent()).append("}\n");
      }
      for (std::size_t k = keep; k < chain.size(); ++k) {
        const std::size_t cluster = chain[k];
        if (hidden[id] && cluster == visible[id]) {
          if (!box_written[cluster]) {
            box_written[cluster] = true;
            const std::string label = clusters[cluster].label + "\n(collapsed, " +
                                      std::to_string(hidden_count[cluster]) + " nodes)";
            out.append(indent()).append(box_name(cluster));
            out.append(" [shape=box3d style=filled fillcolor=\"#eeeeee\" label=\"");
            out.append(escape_dot_string(label)).append("\"];\n");
          }
          break;
        }
        out.append(indent()).append("subgraph \"cluster_");
        out.append(std::to_string(number[cluster])).append("\" {\n");
        open.push_back(cluster);
        out.append(indent()).append("label=\"").append(escape_dot_string(clusters[cluster].label));
        out.append("\"; style=rounded; color=\"#888888\";\n");
      }
    }
    if (!hidden[id]) dot_node(out, indent(), id, graph.nodes[id]);
  }
  while (!open.empty()) {
    open.pop_back();
    out.append(indent()).append("}\n");
  }

  std::set<std::pair<std::string, std::string>> box_edges;
  for (const DotGraph::Edge& edge : graph.edges) {
    const bool parent_hidden = hidden[edge.parent];
    const bool child_hidden = hidden[edge.child];
    const std::string from = parent_hidden ? box_name(visible[edge.parent])
                                           : std::string("n").append(std::to_string(edge.parent));
    std::string to = child_hidden ? box_name(visible[edge.child])
                                  : std::string("n").append(std::to_string(edge.child));
    if (!child_hidden && !graph.nodes[edge.child].op.empty()) to += "_op";
    if (parent_hidden || child_hidden) {
      if (from == to || !box_edges.insert({from, to}).second) continue;
      out.append("  ").append(from).append(" -> ").append(to).append(";\n");
      continue;
    }
    out.append("  ").append(from).append(" -> ").append(to);
    if (!edge.label.empty()) {
      out.append(" [label=\"").append(escape_dot_string(edge.label)).append("\"]");
    }
    out += ";\n";
  }
  out += "}\n";
  return out;
}

void write_text_file(const std::string& path, std::string_view text) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  KINDLING_CHECK(file.good(), "write_text_file: cannot open '", path, "' for writing");
  file.write(text.data(), static_cast<std::streamsize>(text.size()));
  file.close();
  KINDLING_CHECK(file.good(), "write_text_file: writing '", path, "' failed");
}

}  // namespace kindling::engine

namespace kindling {

std::string to_dot(const Value& root, const engine::DotOptions& options,
                   const engine::DotStyle<ValueNode>& style) {
  // A moved-from Value has no node: the walk would start from null.
  KINDLING_CHECK(root.node() != nullptr, "to_dot: the Value has no node (moved from)");
  return engine::to_dot(root.node(), options, style);
}

void write_dot(const Value& root, const std::string& path, const engine::DotOptions& options) {
  engine::write_text_file(path, to_dot(root, options));
}

}  // namespace kindling
