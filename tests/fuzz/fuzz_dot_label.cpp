// libFuzzer target: DOT label escaping. Arbitrary bytes become everything a user can put into a
// graph's DOT text: Value labels (record fields), op labels, edge labels, the graph's name and
// cluster names, given as dotted paths (DotStyle::cluster_path) and as name scopes, the form
// module names take (DotStyle::cluster_scope, Note [module scopes]); a tensor's label and a
// module's name reach the writer by these same two routes (a record field, a scope name). The
// DOT text must be well formed and every label must read back, as Graphviz reads it
// (dot_check.hpp), as the text that went in, with what is not valid UTF-8 or is a control
// character turned into '?'. Built with KINDLING_FUZZ_WITH_CGRAPH, Graphviz's own parser
// (agmemread) must accept the text too and agree on the node labels and the graph's name.
//
// Input: pieces separated by the byte 0x1E (ASCII record separator), in this order: the graph's
// name, a node's label, an op label, an edge label, then cluster names; the first byte's bits
// choose the layout, which clusters are collapsed and which route the clusters take.
//
// Build: clang++ -fsanitize=fuzzer,address,undefined, linked with kindling::engine only, with
// tests/fuzz on the include path (dot_check.hpp); optionally -DKINDLING_FUZZ_WITH_CGRAPH and
// libcgraph (pkg-config libcgraph). Seeds: tests/fuzz/corpus/dot_label/; dictionary:
// tests/fuzz/dot_label.dict.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dot_check.hpp"
#include "kindling/engine/error.hpp"
#include "kindling/engine/scope.hpp"
#include "kindling/engine/value.hpp"
#include "kindling/explain/dot.hpp"

#ifdef KINDLING_FUZZ_WITH_CGRAPH
#include <graphviz/cgraph.h>
#endif

namespace {

using kindling::engine::DotStyle;
using kindling::engine::NameScope;
using kindling::engine::ScopeNode;

[[noreturn]] void fail(const std::string& what, std::string_view dot) {
  std::fprintf(stderr, "fuzz_dot_label: %s\n--- DOT text ---\n%.*s\n", what.c_str(),
               static_cast<int>(dot.size()), dot.data());
  std::abort();
}

// A node type for the DOT writer alone, whose fields and op label are whatever the input says.
struct LabelNode : kindling::engine::NodeBase {
  std::vector<std::string> fields;
  std::string op;
  std::vector<LabelNode*> inputs;
  NameScope::Path scope;
  std::vector<std::string> cluster_names;  // dotted, outermost first

  std::span<LabelNode* const> parents() const noexcept { return inputs; }
  void backward_step() {}
  void seed_grad() noexcept {}
  void clear_grad() noexcept {}
  static void destroy(LabelNode*) noexcept {}  // owned by the vector below
  std::vector<std::string> dot_fields() const { return fields; }
  std::string dot_op() const { return op; }
};

std::vector<std::string> split(std::string_view data) {
  std::vector<std::string> pieces(1);
  for (const char c : data) {
    if (c == '\x1e')
      pieces.emplace_back();
    else
      pieces.back() += c;
  }
  return pieces;
}

// The labels a DOT text must hold, by kind, as reference_label() says they read.
struct Expected {
  std::string graph_name;
  std::vector<std::vector<std::string>> node_fields;  // by node id
  std::vector<std::string> node_ops;                  // by node id; empty: no op node
  std::set<std::string> edge_labels;
  std::set<std::string> cluster_labels;
};

// Checks every label of `dot` against `expected`; aborts with the text on a mismatch.
void check_labels(std::string_view dot, const Expected& expected) {
  const fuzz_dot::Reading reading = fuzz_dot::read_dot(dot);
  if (!reading.problem.empty()) fail("malformed DOT: " + reading.problem, dot);
  const auto text_of = [&](const std::string& value, const char* what) {
    const std::optional<std::string> text = fuzz_dot::decode_label_text(value);
    if (!text) fail(std::string("a stray escape in ") + what + ": " + value, dot);
    return *text;
  };
  for (const fuzz_dot::Statement& s : reading.statements) {
    if (s.head == "digraph") {
      if (text_of(s.head_value, "the graph name") != expected.graph_name)
        fail("the graph name reads back wrong", dot);
      continue;
    }
    const auto label = s.attributes.find("label");
    if (label == s.attributes.end()) continue;
    if (s.head == "attributes") {  // a cluster's label line
      if (!expected.cluster_labels.count(text_of(label->second, "a cluster label")))
        fail("a cluster label reads back wrong: " + label->second, dot);
    } else if (s.ids.size() == 2) {
      if (!expected.edge_labels.count(text_of(label->second, "an edge label")))
        fail("an edge label reads back wrong: " + label->second, dot);
    } else if (s.head.size() > 1 && s.head[0] == 'c') {  // a collapsed cluster's box
      const std::string text = text_of(label->second, "a box label");
      const std::size_t line = text.rfind("\n(collapsed, ");
      if (line == std::string::npos || !expected.cluster_labels.count(text.substr(0, line)))
        fail("a box label reads back wrong: " + label->second, dot);
    } else if (s.head.size() > 3 && s.head.compare(s.head.size() - 3, 3, "_op") == 0) {
      const std::size_t id = std::stoul(s.head.substr(1, s.head.size() - 4));
      if (id >= expected.node_ops.size() ||
          text_of(label->second, "an op label") != expected.node_ops[id])
        fail("an op label reads back wrong: " + label->second, dot);
    } else if (s.head.size() > 1 && s.head[0] == 'n') {
      const std::size_t id = std::stoul(s.head.substr(1));
      const auto fields = fuzz_dot::decode_record_label(label->second);
      if (!fields) fail("a record label does not parse: " + label->second, dot);
      if (id >= expected.node_fields.size() || *fields != expected.node_fields[id])
        fail("a record label reads back wrong: " + label->second, dot);
    }
  }
#ifdef KINDLING_FUZZ_WITH_CGRAPH
  // Graphviz's parser: it must accept the text, and its node labels and graph name are the
  // strings the reader above saw (Agraph_t's attribute values are after the DOT scanner's step).
  const std::string text(dot);
  Agraph_t* graph = agmemread(text.c_str());
  if (graph == nullptr) fail("agmemread refused the text", dot);
  std::map<std::string, std::string> labels;
  for (const fuzz_dot::Statement& s : reading.statements) {
    const auto label = s.attributes.find("label");
    if (s.ids.size() == 1 && s.head != "attributes" && s.head != "node" && s.head != "edge" &&
        label != s.attributes.end())
      labels[s.head] = label->second;
  }
  // cgraph takes a name that starts with '%' for one of its anonymous ids ("%1"): that name is
  // Graphviz's to give, whatever the text says, so only other names are compared.
  const std::string& name = reading.statements.front().head_value;
  bool agree = (!name.empty() && name[0] == '%') || std::string(agnameof(graph)) == name;
  for (Agnode_t* node = agfstnode(graph); node != nullptr; node = agnxtnode(graph, node)) {
    const auto mine = labels.find(agnameof(node));
    const char* theirs = agget(node, const_cast<char*>("label"));
    agree = agree && mine != labels.end() && theirs != nullptr && mine->second == theirs;
  }
  agclose(graph);
  if (!agree) fail("Graphviz reads a label or the graph name differently", dot);
#endif
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t options = data[0];
  std::vector<std::string> pieces =
      split(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  pieces.resize(std::max<std::size_t>(pieces.size(), 5));
  const std::string& graph_name = pieces[0];
  const std::string& node_label = pieces[1];
  const std::string& op_label = pieces[2];
  const std::string& edge_label = pieces[3];
  const std::vector<std::string> names(pieces.begin() + 4, pieces.end());
  using fuzz_dot::reference_label;

  kindling::engine::DotOptions options_out;
  options_out.graph_name = graph_name;
  options_out.rankdir =
      (options & 1) ? kindling::engine::RankDir::TB : kindling::engine::RankDir::LR;

  try {
    // 1. A Value graph: the user's label on a leaf and on the result (record fields).
    {
      kindling::Value a(1.5, node_label), b(-2.0, "b");
      kindling::Value c = (a * b).tanh();
      c.set_label(node_label);
      c.backward();
      const std::string dot = kindling::to_dot(c, options_out);
      const fuzz_dot::Reading reading = fuzz_dot::read_dot(dot);
      if (!reading.problem.empty()) fail("malformed DOT from Values: " + reading.problem, dot);
      for (const fuzz_dot::Statement& s : reading.statements) {
        const auto label = s.attributes.find("label");
        if (label == s.attributes.end() || s.head.rfind("n", 0) != 0 ||
            s.head.find("_op") != std::string::npos)
          continue;
        const auto fields = fuzz_dot::decode_record_label(label->second);
        if (!fields || fields->empty()) fail("a Value's record does not parse", dot);
        const std::string& first = fields->front();
        if (first != reference_label(node_label) && first != "b" && !first.empty())
          fail("a Value's label reads back wrong: " + first, dot);
      }
    }

    // 2. Nodes of our own type: a chain of up to eight nodes, each with the user's fields, op
    // label and edge label, spread over clusters named by the user.
    std::vector<LabelNode> nodes(8);
    const std::size_t count = 2 + (options >> 1) % 7;
    std::vector<NameScope::Path> scopes;  // scope chains for the names: names[0], names[0].names[1]
    std::vector<std::string> dotted;
    for (const std::string& name : names) {
      scopes.push_back(
          std::make_shared<const ScopeNode>(name, scopes.empty() ? nullptr : scopes.back()));
      dotted.push_back(dotted.empty() ? name : dotted.back() + "." + name);
    }
    for (std::size_t i = 0; i < count; ++i) {
      LabelNode& node = nodes[i];
      node.ref_count = 1;
      node.fields = {node_label, std::to_string(i), op_label + edge_label};
      node.op = i % 2 == 0 ? op_label : std::string{};
      if (i > 0) node.inputs.push_back(&nodes[i - 1]);
      if (i > 1) node.inputs.push_back(&nodes[i - 2]);
      // Node i sits at depth i % (number of names + 1) of the chain of scopes.
      const std::size_t depth = i % (names.size() + 1);
      if (depth > 0) {
        node.scope = scopes[depth - 1];
        node.cluster_names.assign(dotted.begin(), dotted.begin() + static_cast<long>(depth));
      }
    }
    Expected expected;
    expected.graph_name = reference_label(graph_name);
    expected.edge_labels.insert(reference_label(edge_label));
    for (const std::string& name : dotted)
      expected.cluster_labels.insert(reference_label(name));
    // Node ids follow the topological order, which for this chain is the order of the nodes.
    for (std::size_t i = 0; i < count; ++i) {
      std::vector<std::string> fields;
      for (const std::string& f : nodes[i].fields)
        fields.push_back(reference_label(f));
      expected.node_fields.push_back(std::move(fields));
      expected.node_ops.push_back(reference_label(nodes[i].op));
    }
    const std::string collapsed_name =
        (options & 0x40) && !dotted.empty() ? dotted[(options >> 3) % dotted.size()] : "";
    for (const bool by_scope : {false, true}) {
      DotStyle<LabelNode> style;
      style.edge_label = [&](const LabelNode&, std::size_t) { return edge_label; };
      if (by_scope)
        style.cluster_scope = [](const LabelNode& node) { return node.scope; };
      else
        style.cluster_path = [](const LabelNode& node) { return node.cluster_names; };
      if (!collapsed_name.empty())
        style.collapsed = [&](const std::string& cluster) { return cluster == collapsed_name; };
      const std::string dot = kindling::engine::to_dot(&nodes[count - 1], options_out, style);
      check_labels(dot, expected);
      // The two routes to the same clusters give the same text.
      static thread_local std::string previous;
      if (by_scope && dot != previous) fail("cluster_scope and cluster_path disagree", dot);
      previous = dot;
    }
  } catch (const kindling::error&) {
    // A clear error is an acceptable answer to any input.
  }
  return 0;
}
