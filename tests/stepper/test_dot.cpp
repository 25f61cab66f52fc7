// DOT output of scalar graphs: micrograd's record layout, escaping of any label text, and that
// Graphviz's `dot` accepts every graph we write.
#include <catch2/catch.hpp>

#include <cstring>
#include <map>
#include <memory>
#include <string>

#include "dot_support.hpp"
#include "kindling/engine/error.hpp"
#include "kindling/engine/value.hpp"
#include "kindling/explain/dot.hpp"
#include "kindling/explain/gradcheck.hpp"
#include "kindling/explain/tensor_dot.hpp"

using dot_test::output_path;
using dot_test::render_svg;
using kindling::Value;

TEST_CASE("micrograd's layout: a record per value and an op node per result", "[dot]") {
  Value a(2.0, "a"), b(-3.0, "b");
  Value c = a * b;
  c.set_label("c");
  c.backward();
  const std::string dot = kindling::to_dot(c);
  CHECK(dot.find("rankdir=LR") != std::string::npos);
  CHECK(dot.find("{ a | data\\ 2.0000 | grad\\ -3.0000 }") != std::string::npos);
  CHECK(dot.find("{ b | data\\ -3.0000 | grad\\ 2.0000 }") != std::string::npos);
  CHECK(dot.find("{ c | data\\ -6.0000 | grad\\ 1.0000 }") != std::string::npos);
  CHECK(dot.find("label=\"*\"") != std::string::npos);
  // Three records, one op node, and edges a -> *, b -> *, * -> c.
  CHECK(dot.find("n0 -> n2_op") != std::string::npos);
  CHECK(dot.find("n1 -> n2_op") != std::string::npos);
  CHECK(dot.find("n2_op -> n2") != std::string::npos);
  const std::string svg = render_svg(dot, "mul");
  if (!svg.empty()) CHECK(svg.find("<svg") != std::string::npos);
}

// One DOT label per op, the table's label column (Note [scalar op table]): the operator for infix
// ops, the name for the others, which is also what the tensor op of that name shows ("relu", not
// "ReLU"); pow shows its exponent. Every op of the table has its expected label here.
TEST_CASE("each op's DOT label is the table's label", "[dot]") {
  const std::map<std::string, std::string> expected = {
      {"add", "+"},     {"sub", "-"},     {"mul", "*"},          {"div", "/"},
      {"neg", "neg"},   {"pow", "^3"},    {"exp", "exp"},        {"log", "log"},
      {"tanh", "tanh"}, {"relu", "relu"}, {"sigmoid", "sigmoid"}};
  CHECK(expected.size() + 1 == kindling::kValueOpCount);  // + leaf, which has no op node
  const Value a(0.5, "a"), b(2.0, "b");
  const std::map<std::string, Value> results = {
      {"add", a + b},     {"sub", a - b},      {"mul", a * b},          {"div", a / b},
      {"neg", -a},        {"pow", a.pow(3.0)}, {"exp", a.exp()},        {"log", a.log()},
      {"tanh", a.tanh()}, {"relu", a.relu()},  {"sigmoid", a.sigmoid()}};
  for (const auto& [name, label] : expected) {
    INFO("op " << name);
    const Value& c = results.at(name);
    CHECK(kindling::op_name(c.op()) == name);
    const std::string dot = kindling::to_dot(c);
    CHECK(dot.find("_op [shape=ellipse label=\"" + label + "\"]") != std::string::npos);
  }
}

TEST_CASE("top-to-bottom layout on request, pow shows its exponent", "[dot]") {
  Value x(3.0, "x");
  Value y = x.pow(2.0) + 1.0;
  kindling::engine::DotOptions options;
  options.rankdir = kindling::engine::RankDir::TB;
  const std::string dot = kindling::to_dot(y, options);
  CHECK(dot.find("rankdir=TB") != std::string::npos);
  CHECK(dot.find("label=\"^2\"") != std::string::npos);
  render_svg(dot, "pow_tb");
}

TEST_CASE("any label text yields valid DOT", "[dot]") {
  const char* labels[] = {"quote \" here",     "braces { } | < >",
                          "back\\slash\\",     "new\nline",
                          "tab\there",         "unicode \xce\xb1\xe2\x82\x81",
                          "bad utf8 \xff\xfe", "\\\"",
                          "  spaces  ",        "{|}"};
  Value sum = 0.0;
  int i = 0;
  for (const char* label : labels)
    sum = sum + Value(i++, label);
  sum.set_label("sum \"of\" {all}");
  sum.backward();
  const std::string dot = kindling::to_dot(sum);
  CHECK(dot.find("\xff") == std::string::npos);  // invalid UTF-8 replaced
  CHECK(dot.find("\t") == std::string::npos);
  const std::string svg = render_svg(dot, "labels");
  if (!svg.empty()) CHECK(svg.find("unicode") != std::string::npos);
}

TEST_CASE("escaping rules", "[dot]") {
  using kindling::engine::escape_dot_record;
  using kindling::engine::escape_dot_string;
  CHECK(escape_dot_record("a|b") == "a\\|b");
  CHECK(escape_dot_record("{x}") == "\\{x\\}");
  CHECK(escape_dot_record("a b") == "a\\ b");
  CHECK(escape_dot_record("x\ny") == "x\\ny");
  CHECK(escape_dot_string("say \"hi\"") == "say \\\"hi\\\"");
  CHECK(escape_dot_string("a\\b") == "a\\\\b");
  CHECK(escape_dot_string("\x01") == "?");
}

TEST_CASE("ill-formed UTF-8 becomes '?' byte by byte, well-formed UTF-8 stays", "[dot]") {
  using kindling::engine::escape_dot_record;
  using kindling::engine::escape_dot_string;
  // Found by tests/fuzz/fuzz_dot_label: overlong forms, surrogates and code points past U+10FFFF
  // have the right lead and continuation bytes, and were copied through as if well formed.
  const char* ill_formed[] = {
      "\xc0\xaf",          // overlong '/', C0 is never a lead
      "\xe0\x80\xaf",      // overlong '/' in three bytes (E0 needs A0..BF next)
      "\xf0\x80\x80\xaf",  // overlong '/' in four bytes (F0 needs 90..BF next)
      "\xed\xa0\x80",      // U+D800, a surrogate (ED needs 80..9F next)
      "\xf4\x90\x80\x80",  // U+110000, past the last code point (F4 needs 80..8F next)
      "\xf5\x80\x80\x80",  // F5 is never a lead
      "\xe2\x82",          // cut short
      "\x80",              // a continuation byte alone
  };
  for (const char* text : ill_formed) {
    INFO(text);
    const std::string expected(std::strlen(text), '?');
    CHECK(escape_dot_string(text) == expected);
    CHECK(escape_dot_record(text) == expected);
  }
  // The edges of the well-formed ranges stay as they are.
  const char* well_formed[] = {
      "\xc2\x80",          // U+0080
      "\xe0\xa0\x80",      // U+0800
      "\xed\x9f\xbf",      // U+D7FF, the last before the surrogates
      "\xee\x80\x80",      // U+E000, the first after them
      "\xf0\x90\x80\x80",  // U+10000
      "\xf4\x8f\xbf\xbf",  // U+10FFFF
  };
  for (const char* text : well_formed) {
    INFO(text);
    CHECK(escape_dot_string(text) == text);
    CHECK(escape_dot_record(text) == text);
  }
  CHECK(escape_dot_string("a\xed\xa0\x80"
                          "b\xce\xb1") == "a???b\xce\xb1");
}

TEST_CASE("write_dot writes the file and reports a bad path", "[dot]") {
  Value a(1.0, "a");
  Value b = a.tanh();
  const std::string path = output_path("tanh.dot");
  kindling::write_dot(b, path);
  CHECK(dot_test::read_text(path) == kindling::to_dot(b));
  CHECK_THROWS_AS(kindling::write_dot(b, "/nonexistent-dir/x.dot"), kindling::error);
}

TEST_CASE("a neuron's graph renders", "[dot]") {
  Value x1(2.0, "x1"), x2(0.0, "x2"), w1(-3.0, "w1"), w2(1.0, "w2"), b(6.8813735870195432, "b");
  Value n = x1 * w1 + x2 * w2 + b;
  n.set_label("n");
  Value o = n.tanh();
  o.set_label("o");
  o.backward();
  const std::string dot = kindling::to_dot(o);
  CHECK(dot.find("{ o | data\\ 0.7071 | grad\\ 1.0000 }") != std::string::npos);
  CHECK(dot.find("{ w1 | data\\ -3.0000 | grad\\ 1.0000 }") != std::string::npos);
  render_svg(dot, "neuron");
}

namespace {
// Two "layers" of scalar ops, tagged by the label prefix of their nodes: h* in layer1, o* in
// layer2, both inside "net"; inputs and the loss stay at the top level.
struct TwoLayerGraph {
  Value x{1.5, "x"};
  Value loss;
  TwoLayerGraph() {
    Value h1 = (x * Value(0.5, "h.w1")).set_label("h.a1");
    Value h2 = h1.tanh().set_label("h.t");
    Value o1 = (h2 * Value(-2.0, "o.w")).set_label("o.a");
    Value o2 = (o1 + Value(0.1, "o.b")).set_label("o.out");
    loss = o2.pow(2.0).set_label("loss");
  }
  static kindling::engine::DotStyle<kindling::ValueNode> style(bool collapse_layer1) {
    kindling::engine::DotStyle<kindling::ValueNode> style;
    style.cluster_path = [](const kindling::ValueNode& node) -> std::vector<std::string> {
      const std::string label = node.label_text();
      if (label.rfind("h.", 0) == 0) return {"net", "net.layer1"};
      if (label.rfind("o.", 0) == 0) return {"net", "net.layer2"};
      return {};
    };
    if (collapse_layer1) {
      style.collapsed = [](const std::string& cluster) { return cluster == "net.layer1"; };
    }
    return style;
  }
};

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t count = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++count;
  return count;
}
}  // namespace

TEST_CASE("module clusters: nested subgraphs hold their nodes", "[dot][cluster]") {
  TwoLayerGraph g;
  g.loss.backward();
  const std::string dot = kindling::to_dot(g.loss, {}, TwoLayerGraph::style(false));
  CHECK(count_of(dot, "subgraph \"cluster_") == 3);  // net, net.layer1, net.layer2
  CHECK(dot.find("label=\"net.layer1\"") != std::string::npos);
  // layer1's nodes are written between its opening and the next cluster's.
  const auto layer1 = dot.find("label=\"net.layer1\"");
  const auto layer2 = dot.find("label=\"net.layer2\"");
  const auto h_weight = dot.find("{ h.w1 |");
  const auto o_weight = dot.find("{ o.w |");
  REQUIRE(h_weight != std::string::npos);
  CHECK((layer1 < h_weight && h_weight < layer2) == true);
  CHECK(o_weight > layer2);
  CHECK(count_of(dot, "{") == count_of(dot, "}"));
  render_svg(dot, "clusters");
}

TEST_CASE("a collapsed cluster is one box and edges attach to it", "[dot][cluster]") {
  TwoLayerGraph g;
  g.loss.backward();
  const std::string dot = kindling::to_dot(g.loss, {}, TwoLayerGraph::style(true));
  CHECK(dot.find("{ h.w1 |") == std::string::npos);  // hidden
  CHECK(dot.find("{ h.t |") == std::string::npos);
  CHECK(dot.find("{ o.w |") != std::string::npos);  // layer2 still drawn
  CHECK(dot.find("net.layer1\\n(collapsed, 3 nodes)") != std::string::npos);
  CHECK(count_of(dot, "shape=box3d") == 1);
  // x feeds the box, the box feeds layer2's multiply: one edge each, none inside the box.
  CHECK(count_of(dot, " -> c") == 1);
  CHECK(count_of(dot, "  c") >= 2);  // the box line and its outgoing edge
  CHECK(count_of(dot, "{") == count_of(dot, "}"));
  render_svg(dot, "collapsed");
}

TEST_CASE("clusters from name scopes draw as clusters from dotted names do", "[dot][cluster]") {
  using kindling::engine::NameScope;
  using kindling::engine::ScopeNode;
  // The same two layers as TwoLayerGraph, as scope chains: net -> layer1, net -> layer2.
  const NameScope::Path net = std::make_shared<const ScopeNode>("net", nullptr);
  const NameScope::Path layer1 = std::make_shared<const ScopeNode>("layer1", net);
  const NameScope::Path layer2 = std::make_shared<const ScopeNode>("layer2", net);
  for (const bool collapse : {false, true}) {
    TwoLayerGraph g;
    g.loss.backward();
    kindling::engine::DotStyle<kindling::ValueNode> scoped = TwoLayerGraph::style(collapse);
    scoped.cluster_path = nullptr;
    scoped.cluster_scope = [&](const kindling::ValueNode& node) -> NameScope::Path {
      const std::string label = node.label_text();
      if (label.rfind("h.", 0) == 0) return layer1;
      if (label.rfind("o.", 0) == 0) return layer2;
      return nullptr;
    };
    INFO("collapsed: " << collapse);
    CHECK(kindling::to_dot(g.loss, {}, scoped) ==
          kindling::to_dot(g.loss, {}, TwoLayerGraph::style(collapse)));
  }
}

TEST_CASE("write_dot_text refuses a cluster table that is not a tree", "[dot][cluster]") {
  using kindling::engine::DotGraph;
  DotGraph graph;
  graph.nodes.push_back({{"a"}, "", "", 0});
  graph.clusters.push_back({"loop", 0, false});  // its own parent
  CHECK_THROWS_WITH(kindling::engine::write_dot_text(graph, {}),
                    Catch::Contains("does not come before it"));
  graph.clusters[0].parent = DotGraph::kNoCluster;
  graph.nodes[0].cluster = 5;
  CHECK_THROWS_WITH(kindling::engine::write_dot_text(graph, {}),
                    Catch::Contains("names cluster 5"));
  graph.nodes[0].cluster = 0;
  graph.edges.push_back({0, 3, ""});
  CHECK_THROWS_WITH(kindling::engine::write_dot_text(graph, {}), Catch::Contains("names a node"));
}

TEST_CASE("a graph without a node is an error, not a crash", "[dot]") {
  // A moved-from Value and a default-constructed Tensor have no node to start a walk from.
  kindling::Value a(2.0, "a");
  kindling::Value moved = std::move(a);
  CHECK_THROWS_WITH(kindling::to_dot(a), Catch::Contains("to_dot: the Value has no node"));
  CHECK_THROWS_AS(kindling::write_dot(a, "unused.dot"), kindling::error);
  CHECK_THROWS_WITH(kindling::gradcheck(a), Catch::Contains("gradcheck: the Value has no node"));
  CHECK_THROWS_WITH(kindling::to_dot(kindling::Tensor()),
                    Catch::Contains("to_dot: the tensor is undefined"));
  CHECK(kindling::to_dot(moved).find("digraph") != std::string::npos);
}
