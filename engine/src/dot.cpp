// Escaping and the fixed parts of the DOT text; the graph walk itself is in dot.hpp.
#include "kindling/engine/dot.hpp"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>

#include "kindling/engine/error.hpp"

namespace kindling::engine {

namespace {
// Length of the valid UTF-8 sequence starting at text[i], or 0 if it is not one.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  std::size_t length = 0;
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF)
    length = 2;
  else if (lead >= 0xE0 && lead <= 0xEF)
    length = 3;
  else if (lead >= 0xF0 && lead <= 0xF4)
    length = 4;
  else
    return 0;
  if (i + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
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

std::size_t common_prefix(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::size_t k = 0;
  while (k < a.size() && k < b.size() && a[k] == b[k])
    ++k;
  return k;
}

}  // namespace

// Note [DOT clusters]
// Nodes are written grouped by their cluster path, so that each cluster's nodes are contiguous
// and nested `subgraph cluster_k { ... }` blocks open and close as the path changes (no
// recursion). A node inside a collapsed cluster is not written: one box stands for the cluster,
// and every edge that crosses into or out of it attaches to the box (once per pair of ends).
std::string write_dot_text(const DotGraph& graph, const DotOptions& options) {
  const std::size_t count = graph.nodes.size();
  auto is_collapsed = [&](const std::string& cluster) {
    return std::find(graph.collapsed.begin(), graph.collapsed.end(), cluster) !=
           graph.collapsed.end();
  };
  // Each node's visible path ends at its outermost collapsed cluster, which then hides it.
  std::vector<std::vector<std::string>> path(count);
  std::vector<std::string> hidden_in(count);
  std::map<std::string, std::size_t> cluster_id;
  std::map<std::string, std::size_t> hidden_count;
  for (std::size_t i = 0; i < count; ++i) {
    for (const std::string& cluster : graph.nodes[i].clusters) {
      cluster_id.emplace(cluster, cluster_id.size());
      path[i].push_back(cluster);
      if (is_collapsed(cluster)) {
        hidden_in[i] = cluster;
        ++hidden_count[cluster];
        break;
      }
    }
  }
  auto box_name = [&](const std::string& cluster) {
    return std::string("c").append(std::to_string(cluster_id.at(cluster)));
  };

  std::vector<std::size_t> emit_order(count);
  for (std::size_t i = 0; i < count; ++i)
    emit_order[i] = i;
  std::stable_sort(emit_order.begin(), emit_order.end(),
                   [&](std::size_t a, std::size_t b) { return path[a] < path[b]; });

  std::string out = dot_header(options);
  std::vector<std::string> open;
  std::set<std::string> boxes_written;
  auto indent = [&] { return std::string(2 * (open.size() + 1), ' '); };
  for (std::size_t id : emit_order) {
    const std::vector<std::string>& here = path[id];
    const std::size_t keep = common_prefix(open, here);
    while (open.size() > keep) {
      open.pop_back();
      out.append(indent()).append("}\n");
    }
    for (std::size_t k = keep; k < here.size(); ++k) {
      const std::string& cluster = here[k];
      if (cluster == hidden_in[id]) {
        if (boxes_written.insert(cluster).second) {
          const std::string label =
              cluster + "\n(collapsed, " + std::to_string(hidden_count[cluster]) + " nodes)";
          out.append(indent()).append(box_name(cluster));
          out.append(" [shape=box3d style=filled fillcolor=\"#eeeeee\" label=\"");
          out.append(escape_dot_string(label)).append("\"];\n");
        }
        break;
      }
      out.append(indent()).append("subgraph \"cluster_");
      out.append(std::to_string(cluster_id.at(cluster))).append("\" {\n");
      open.push_back(cluster);
      out.append(indent()).append("label=\"").append(escape_dot_string(cluster));
      out.append("\"; style=rounded; color=\"#888888\";\n");
    }
    if (hidden_in[id].empty()) dot_node(out, indent(), id, graph.nodes[id]);
  }
  while (!open.empty()) {
    open.pop_back();
    out.append(indent()).append("}\n");
  }

  std::set<std::pair<std::string, std::string>> box_edges;
  for (const DotGraph::Edge& edge : graph.edges) {
    const bool parent_hidden = !hidden_in[edge.parent].empty();
    const bool child_hidden = !hidden_in[edge.child].empty();
    const std::string from = parent_hidden ? box_name(hidden_in[edge.parent])
                                           : std::string("n").append(std::to_string(edge.parent));
    std::string to = child_hidden ? box_name(hidden_in[edge.child])
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
