// The playground's logic (web/src/playground.cpp), natively: what its frames show against the
// engine's own backward(), the search against engine::topological_order, the order-2 lesson
// against the second derivatives by hand, and its errors. tests/web/browser_test.cjs then checks
// the page built from the same code in a browser.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kindling/engine/error.hpp"
#include "kindling/engine/graph.hpp"
#include "kindling/explain/expression.hpp"
#include "kindling/explain/number_text.hpp"
#include "kindling/web/playground.hpp"

using kindling::Value;
using kindling::web::Phase;
using kindling::web::Playground;
using nlohmann::json;

namespace {

const kindling::web::Variables kNeuron = {
    {"x1", 2.0}, {"x2", 0.0}, {"w1", -3.0}, {"w2", 1.0}, {"b", 6.8813735870195432}};

// The engine's own answer: the same program parsed again and Value::backward().
std::vector<double> backward_gradients(const std::string& program,
                                       const kindling::web::Variables& variables) {
  kindling::ExpressionVariables named;
  std::vector<Value> leaves;
  for (const auto& [name, data] : variables) {
    leaves.emplace_back(data, name);
    named.emplace(name, leaves.back());
  }
  Value root = kindling::parse_program(program, named);
  root.backward();
  std::vector<double> grads;
  for (const Value& leaf : leaves)
    grads.push_back(leaf.grad());
  return grads;
}

void check_same_as_backward(const std::string& program, const kindling::web::Variables& variables) {
  INFO(program);
  const Playground p(program, variables);
  const std::vector<double> expected = backward_gradients(program, variables);
  const auto got = p.leaf_gradients();
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO(got[i].first);
    CHECK(got[i].first == variables[i].first);
    if (std::isnan(expected[i]))
      CHECK(std::isnan(got[i].second));
    else
      CHECK(got[i].second == expected[i]);
  }
}

json frame(const Playground& p, std::size_t f) {
  return json::parse(p.frame_json(f));
}

}  // namespace

TEST_CASE("playground: the last frame's gradients are backward()'s", "[web]") {
  check_same_as_backward("tanh(x1*w1 + x2*w2 + b)", kNeuron);
  check_same_as_backward("h = x * y; h * x + h", {{"x", 3.0}, {"y", -2.0}});
  check_same_as_backward("x / y + log(y) - relu(-x) + sigmoid(x * x)", {{"x", 0.5}, {"y", 0.0}});
  check_same_as_backward("exp(x)^2 - x^0.5", {{"x", 0.0}});
  check_same_as_backward("x - x", {{"x", std::numeric_limits<double>::quiet_NaN()}});
  for (const kindling::web::Lesson& lesson : kindling::web::lessons()) {
    if (lesson.order == 1) check_same_as_backward(lesson.program, lesson.variables);
  }
}

TEST_CASE("playground: the phases come in order, one frame per node event", "[web]") {
  const Playground p("tanh(x1*w1 + x2*w2 + b)", kNeuron);
  const std::vector<kindling::ValueNode*> order =
      kindling::engine::topological_order(p.root().node());
  REQUIRE(p.node_count() == order.size());
  const std::size_t ops = 5;  // two products, two sums, tanh
  CHECK(p.phase_of(0) == Phase::start);
  CHECK(p.first_frame(Phase::forward) == 1);
  CHECK(p.first_frame(Phase::search) == 1 + ops);
  // Each node is entered once and joins the order once.
  CHECK(p.first_frame(Phase::backward) == 1 + ops + 2 * order.size());
  CHECK(p.frame_count() == p.first_frame(Phase::backward) + 1 + ops);
  CHECK(p.first_frame(Phase::gradient_graph) == p.frame_count());
  // The search makes the engine's topological order, node for node.
  const std::vector<std::size_t> searched = p.search_order();
  REQUIRE(searched.size() == order.size());
  for (std::size_t i = 0; i < order.size(); ++i)
    CHECK(searched[i] == i);  // ids are the topological order's places

  // Frame 0: leaves known, op nodes not; the last frame: every gradient known and complete.
  const json start = frame(p, 0);
  CHECK(start["phase"] == "start");
  REQUIRE(start["nodes"].size() == p.node_count());
  for (std::size_t i = 0; i < p.node_count(); ++i) {
    const bool leaf = order[i]->input_count == 0;
    CHECK(start["nodes"][i][0].get<std::string>().find(leaf ? "computed" : "pending") == 0);
    CHECK(start["nodes"][i][2] == "grad ?");
  }
  const json last = frame(p, p.frame_count() - 1);
  CHECK(last["complete"] == true);
  for (std::size_t i = 0; i < p.node_count(); ++i) {
    INFO(i);
    CHECK(last["nodes"][i][0].get<std::string>().find("complete") != std::string::npos);
    CHECK(last["nodes"][i][2] != "grad ?");
  }
  // The root's step comes first: it is current, and only the edge into it has carried.
  const json first_step = frame(p, p.first_frame(Phase::backward) + 1);
  CHECK(first_step["current"] == p.node_count() - 1);
  std::size_t carried = 0;
  for (const auto& edge : first_step["edges"])
    carried += edge[1] != "" ? 1 : 0;
  CHECK(carried == 1);
  // Midway through the search some nodes are entered and not yet in the order.
  const json search = frame(p, p.first_frame(Phase::search) + 2);
  CHECK(search["phase"] == "search");
  CHECK(search["text"].get<std::string>().find("enter") != std::string::npos);
  CHECK(search["nodes"].dump().find("entered") != std::string::npos);
}

TEST_CASE("playground: a reused node's += shows the old and the new gradient", "[web]") {
  const Playground p("h = x * y; h * x + h", {{"x", 3.0}, {"y", -2.0}});
  std::string texts;
  for (std::size_t f = p.first_frame(Phase::backward); f < p.frame_count(); ++f)
    texts += frame(p, f)["text"].get<std::string>() + "\n";
  INFO(texts);
  // h gets 1 from "+ h" and x = 3 from "h * x": 1 + 3 = 4.
  CHECK(texts.find("h.grad = 1.0000 + 3.0000 = 4.0000") != std::string::npos);
  // x gets h = -6 from "h * x", then y * h.grad = -2 * 4 = -8 from h = x * y.
  CHECK(texts.find("x.grad = -6.0000 + -8.0000 = -14.0000") != std::string::npos);
}

TEST_CASE("playground: predict mode asks what the next step leaves, and checks answers", "[web]") {
  const Playground p("tanh(x1*w1 + x2*w2 + b)", kNeuron);
  const std::size_t seed = p.first_frame(Phase::backward);
  CHECK(p.questions(seed - 1).empty());  // the last search frame: no backward step follows
  const auto questions = p.questions(seed);
  REQUIRE(questions.size() == 1);  // tanh has one input
  CHECK(questions[0].input == "n8");
  CHECK(questions[0].expected == Approx(0.5));
  const auto last_step = p.questions(p.frame_count() - 2);
  REQUIRE(last_step.size() == 2);
  CHECK(last_step[0].input == "x1");
  CHECK(last_step[0].expected == Approx(-1.5));
  CHECK(p.questions(p.frame_count() - 1).empty());

  using kindling::web::prediction_correct;
  CHECK(prediction_correct(-1.5, -1.4999999999999996));
  CHECK(prediction_correct(-1.5004, -1.5));
  CHECK_FALSE(prediction_correct(-1.51, -1.5));
  CHECK(prediction_correct(1000.5, 1000.0));  // relative to large gradients
  CHECK_FALSE(prediction_correct(1002.0, 1000.0));
  CHECK(prediction_correct(INFINITY, INFINITY));
  CHECK_FALSE(prediction_correct(1e308, INFINITY));
  CHECK_FALSE(prediction_correct(NAN, NAN));
  CHECK(json::parse(kindling::web::Session::check("-1.5", "-1.4999999999999996"))["correct"] ==
        true);
  CHECK(json::parse(kindling::web::Session::check("2", "-1.5"))["correct"] == false);
  CHECK(json::parse(kindling::web::Session::check("one", "-1.5"))["valid"] == false);
}

TEST_CASE("playground: order 2 draws the gradient graph, then differentiates it", "[web]") {
  const kindling::web::Lesson& lesson = kindling::web::lessons().back();
  REQUIRE(lesson.order == 2);
  const Playground p(lesson.program, lesson.variables, 2, lesson.wrt);
  // out = x^3 y: d/dx (d out/dx) = 6 x y, d/dy (d out/dx) = 3 x^2.
  const auto grads = p.leaf_gradients();
  REQUIRE(grads.size() == 2);
  CHECK(grads[0].second == Approx(6 * 0.5 * 2.0));
  CHECK(grads[1].second == Approx(3 * 0.25));
  const std::size_t forward_nodes = kindling::engine::topological_order(p.root().node()).size();
  CHECK(p.node_count() > forward_nodes);  // the gradient graph's nodes are drawn too
  // Hidden before their step, shown from it on, all shown in the second backward pass.
  const std::size_t g = p.first_frame(Phase::gradient_graph);
  REQUIRE(g < p.frame_count());
  const json before = frame(p, g);
  const json after = frame(p, p.first_frame(Phase::second_backward));
  for (std::size_t i = forward_nodes; i < p.node_count(); ++i) {
    CHECK(before["nodes"][i][0] == "hidden");
    CHECK(after["nodes"][i][0] != "hidden");
  }
  std::size_t new_nodes = 0;
  for (std::size_t f = g + 1; f < p.first_frame(Phase::second_backward); ++f)
    new_nodes += frame(p, f)["nodes"].dump().find(" new") != std::string::npos ? 1 : 0;
  CHECK(new_nodes >= 1);
  CHECK(frame(p, p.frame_count() - 1)["phase"] == "second-backward");
  // The titles say which pass a frame belongs to; the second names the gradient it differentiates.
  CHECK(frame(p, g)["title"] == "Backward pass with create_graph: the gradient graph");
  CHECK(frame(p, p.frame_count() - 1)["title"] == "Backward pass of d out/dx");
  // gradcheck differentiates the gradient numerically.
  CHECK(p.gradcheck_leaf("x").relative_error < 1e-6);
  CHECK(p.gradcheck_leaf("y").relative_error < 1e-6);
}

TEST_CASE("playground: node and edge details, flags and gradcheck", "[web]") {
  const Playground p("relu(x - 1) + tanh(8 * y) + sigmoid(y - 9)", {{"x", 0.5}, {"y", 1.0}});
  std::vector<std::string> flags;
  for (std::size_t i = 0; i < p.node_count(); ++i) {
    for (const std::string& flag : p.node_flags(i))
      flags.push_back(flag);
  }
  REQUIRE(flags.size() == 3);
  CHECK(flags[0].find("dead ReLU") == 0);
  CHECK(flags[1].find("saturated tanh") == 0);
  CHECK(flags[2].find("saturated sigmoid") == 0);
  const std::size_t last = p.frame_count() - 1;
  const json root = json::parse(p.node_json(last, p.node_count() - 1));
  CHECK(root["grad"] == "1");
  CHECK(root["kind"] == "op");
  REQUIRE(root["inputs"].size() == 2);
  CHECK(root["inputs"][0]["formula"] == "1");
  const json x = json::parse(p.node_json(0, 0));
  CHECK(x["kind"] == "variable");
  CHECK(x["grad"] == nullptr);  // frame 0: not reached yet
  const json edge = json::parse(p.edge_json(last, 0));
  CHECK(edge["to"] != "");
  CHECK(edge["contribution"] != nullptr);
  CHECK(json::parse(p.edge_json(0, 0))["contribution"] == nullptr);
  for (const char* leaf : {"x", "y"}) {
    const kindling::NodeGradcheck check = p.gradcheck_leaf(leaf);
    CHECK(check.relative_error < 1e-6);
  }
  CHECK_THROWS_AS(p.gradcheck_leaf("z"), kindling::error);
  CHECK_THROWS_AS(p.node_json(0, p.node_count()), kindling::error);
  CHECK_THROWS_AS(p.frame_json(p.frame_count()), kindling::error);
}

TEST_CASE("playground: the layout names every node and edge the page restyles", "[web]") {
  const Playground p("h = x * y; h * x + h", {{"x", 3.0}, {"y", -2.0}});
  const std::string dot = p.layout_dot();
  for (std::size_t i = 0; i < p.node_count(); ++i)
    CHECK(dot.find(std::string("id=\"kp-n").append(std::to_string(i)) + "\"") != std::string::npos);
  for (std::size_t e = 0; e < p.edge_count(); ++e) {
    const auto [parent, child] = p.edge_ends(e);
    // Appended piece by piece: GCC 12 warns falsely (-Wrestrict) on "literal" + std::string.
    const std::string edge = std::string("n")
                                 .append(std::to_string(parent))
                                 .append(" -> n")
                                 .append(std::to_string(child)) +
                             "_op";
    CHECK(dot.find(edge) != std::string::npos);
  }
}

TEST_CASE("playground: mistakes are errors that say what and where", "[web]") {
  CHECK_THROWS_AS(Playground("x +", {{"x", 1.0}}), kindling::expression_error);
  try {
    Playground("2 * (x1 +", {{"x1", 1.0}});
    FAIL("no error");
  } catch (const kindling::expression_error& e) {
    CHECK(e.column() == 10);
  }
  CHECK_THROWS_WITH(Playground("x", {{"x", 1.0}, {"x", 2.0}}), Catch::Contains("given twice"));
  CHECK_THROWS_WITH(Playground("x", {{"2x", 1.0}}), Catch::Contains("'2x' is not a name"));
  CHECK_THROWS_WITH(Playground("x", {{"x", 1.0}}, 3), Catch::Contains("order must be 1 or 2"));
  CHECK_THROWS_WITH(Playground("x", {{"x", 1.0}}, 2, "y"), Catch::Contains("'y' is not one"));

  using kindling::web::parse_variables;
  const auto vars = parse_variables("x1=2\n\n w1 = -3e0 \nb=inf\nc=nan");
  REQUIRE(vars.size() == 4);
  CHECK(vars[1] == std::pair<std::string, double>{"w1", -3.0});
  CHECK(std::isinf(vars[2].second));
  CHECK(std::isnan(vars[3].second));
  CHECK_THROWS_WITH(parse_variables("x=1\ny"), Catch::Contains("line 2 ('y') is not name=value"));
  CHECK_THROWS_WITH(parse_variables("x=1\ny=2a"), Catch::Contains("'2a') is not a number"));
  CHECK_THROWS_WITH(parse_variables("y=0x10"), Catch::Contains("is not a number"));

  kindling::web::Session session;
  const json error = json::parse(session.load("2 * (x1 +", "x1=1", 1, ""));
  CHECK(error["column"] == 10);
  CHECK(error["error"].get<std::string>().find("at column 10") != std::string::npos);
  CHECK(json::parse(session.frame(0)).contains("error"));  // nothing loaded
  const json loaded = json::parse(session.load("x * y", "x=2\ny=3", 1, ""));
  CHECK(loaded["result"] == "6");
  CHECK(loaded["edge_list"].size() == 2);
  CHECK(json::parse(session.frame(1000)).contains("error"));
  CHECK(json::parse(session.gradients()) ==
        json::parse(R"([["x","3","3.0000"],["y","2","2.0000"]])"));
}

TEST_CASE("number text: the WebAssembly stand-ins agree with from_chars and to_chars", "[web]") {
  using kindling::explain::NumberRead;
  std::mt19937_64 random(20261202);
  std::uniform_int_distribution<std::uint64_t> bits;
  for (int i = 0; i < 20000; ++i) {
    double x = 0.0;
    const std::uint64_t b = bits(random);
    std::memcpy(&x, &b, sizeof x);
    if (!std::isfinite(x)) continue;
    const std::string shortest = kindling::explain::shortest_decimal(x);
    const std::string printed = kindling::explain::detail::shortest_decimal_printf(x);
    double back = 0.0;
    REQUIRE(kindling::explain::detail::read_decimal_strtod(printed, back) == NumberRead::ok);
    CHECK(back == x);                              // round-trips
    CHECK(printed.size() <= shortest.size() + 4);  // %g's exponent form is a little longer
  }
  for (const char* literal :
       {"0", "0.5", ".5", "1e-3", "1E+3", "2.50", "1e999", "1e-400", "4.9e-324", "1e-310",
        "1.7976931348623157e308", "1.2.3", "1e", "+1", "0x10", "inf", "nan", "-2", ""}) {
    INFO(literal);
    double a = 1.0, b = 2.0;
    const NumberRead expected = kindling::explain::read_decimal(literal, a);
    CHECK(kindling::explain::detail::read_decimal_strtod(literal, b) == expected);
    if (expected == NumberRead::ok) CHECK(a == b);
  }
}
