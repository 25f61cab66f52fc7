// Deeply nested modules: 1,000 nested Sequentials build, run forward and backward, draw their
// DOT graph and free, with scope storage linear in the depth (counted, not timed); 100,000 nested
// modules are built, walked and destroyed without recursion, and their forward stops with
// kindling::error at the documented limit (engine::kMaxScopeDepth) instead of overflowing the
// stack.
#include <catch2/catch.hpp>

#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kindling/engine/error.hpp"
#include "kindling/engine/scope.hpp"
#include "kindling/explain/tensor_graph_style.hpp"
#include "kindling/nn/layers.hpp"
#include "kindling/tensor.hpp"
#include "stack_support.hpp"

using kindling::Tensor;
using kindling::engine::kMaxScopeDepth;
using kindling::engine::NameScope;
using kindling::engine::ScopeNode;
using kindling::nn::Linear;
using kindling::nn::Module;
using kindling::nn::Sequential;

namespace {

// `levels` Sequentials, each the only child of the one above, around one Linear(3, 2).
std::shared_ptr<Sequential> nested_sequentials(std::size_t levels, kindling::Generator& g) {
  auto inner = std::make_shared<Sequential>();
  inner->push_back(std::make_shared<Linear>(3, 2, g));
  for (std::size_t i = 1; i < levels; ++i) {
    auto outer = std::make_shared<Sequential>();
    outer->push_back(std::move(inner));
    inner = std::move(outer);
  }
  return inner;
}

using kindling_test::run_on_stack;
// With 64 MiB the depth limit is reached before the stack check in any build (a sanitizer build's
// frames are about four times larger; Note [scope depth limit]).
constexpr std::size_t kBigStack = std::size_t{64} << 20;

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t count = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
    ++count;
  return count;
}

}  // namespace

TEST_CASE("1000 nested Sequentials: forward, backward, DOT, with linear scope storage",
          "[nn][module][nesting]") {
  constexpr std::size_t levels = 1000;
  const std::size_t scopes_before = ScopeNode::live_count();
  kindling::Generator g(3);
  auto model = nested_sequentials(levels, g);
  REQUIRE(model->parameters().size() == 2);
  const std::string weight_name = model->named_parameters().front().first;
  CHECK(weight_name.size() == 2 * levels + std::string("weight").size());  // "0.0. ... .0.weight"
  CHECK(ScopeNode::live_count() == scopes_before);  // building opens no scope

  const Tensor x = kindling::randn({4, 3}, g);
  Tensor loss = kindling::sum((*model)(x));
  CHECK(NameScope::current() == nullptr);
  // The graph's nodes share one chain of scopes: one node per level (the Sequentials and the
  // Linear), each holding only its own name. Before, each level held a copy of every dotted name
  // above it, about levels^3 / 6 characters in all.
  NameScope::Path scope = loss.inputs()[0].scope();  // the Linear's output (reset below)
  REQUIRE(scope != nullptr);
  CHECK(scope->depth() == levels + 1);
  CHECK(ScopeNode::live_count() - scopes_before == levels + 1);
  std::size_t chain = 0, characters = 0;
  for (const ScopeNode* s = scope.get(); s != nullptr; s = s->parent().get()) {
    ++chain;
    characters += s->name().size();
  }
  CHECK(chain == levels + 1);
  // "Sequential", then "0 (Sequential)" per level, then "0 (Linear)".
  CHECK(characters == 10 + (levels - 1) * 14 + 10);
  CHECK(scope->name() == "0 (Linear)");

  loss.backward();
  {
    const Tensor weight = model->parameters().front();
    REQUIRE(weight.grad().defined());
    // d sum(x W^T + b) / dW[j][k] = sum over the batch of x[:, k], the same for every output j.
    const std::vector<float> grad = weight.grad().to_vector<float>();
    const std::vector<float> column_sums = kindling::sum(x, {0}).to_vector<float>();
    for (std::size_t j = 0; j < 2; ++j)
      for (std::size_t k = 0; k < 3; ++k)
        CHECK(grad[j * 3 + k] == Approx(column_sums[k]).epsilon(1e-5));
  }

  // The DOT graph: 1001 nested clusters, each opened and closed once; the innermost label is the
  // whole dotted path.
  const std::string dot = kindling::to_dot(loss, {}, kindling::tensor_graph_style());
  CHECK(count_of(dot, "subgraph \"cluster_") == levels + 1);
  CHECK(count_of(dot, "{") == count_of(dot, "}"));
  std::string innermost = "Sequential";
  for (std::size_t i = 1; i < levels; ++i)
    innermost += ".0 (Sequential)";
  innermost += ".0 (Linear)";
  CHECK(dot.find("label=\"" + innermost + "\"") != std::string::npos);
  // The labels are the dotted names, about levels^2 * 7 characters; nothing beyond that.
  CHECK(dot.size() < 2 * levels * levels * 8);
  // Collapsing the outermost cluster hides everything inside in one box.
  const std::string collapsed =
      kindling::to_dot(loss, {}, kindling::tensor_graph_style({"Sequential"}));
  CHECK(count_of(collapsed, "subgraph \"cluster_") == 0);
  CHECK(collapsed.find("Sequential\\n(collapsed, ") != std::string::npos);

  // Freed: the graph, then the model; the scopes go with the last node holding them.
  scope.reset();
  loss = Tensor();
  model.reset();
  CHECK(ScopeNode::live_count() == scopes_before);
}

TEST_CASE("100000 nested modules: built, walked and freed, forward stops at the limit",
          "[nn][module][nesting]") {
  constexpr std::size_t levels = 100000;
  REQUIRE(kMaxScopeDepth == 10000);
  kindling::Generator g(4);
  auto model = nested_sequentials(levels, g);
  // The walks are iterative; the dotted names grow by one prefix string.
  CHECK(model->parameters().size() == 2);
  CHECK(model->parameter_count() == 3 * 2 + 2);
  const auto named = model->named_parameters();
  REQUIRE(named.size() == 2);
  CHECK(named[1].first.size() == 2 * levels + std::string("bias").size());
  CHECK(model->state_dict().size() == 2);
  // (named_modules() would hold levels^2 characters of names: it is not for trees this deep.)
  std::size_t depth = 0;
  for (const Module* m = model.get(); !m->children().empty(); m = m->children()[0].second.get())
    ++depth;
  CHECK(depth == levels);
  model->eval();
  model->zero_grad();

  const std::size_t scopes_before = ScopeNode::live_count();
  const Tensor x = kindling::randn({2, 3}, g);
  // On this thread's own stack: an error, whichever check comes first (the depth limit in an
  // optimised build, the stack's reserve in a sanitizer build at -O0), never an overflow.
  CHECK_THROWS_WITH((*model)(x), Catch::Contains("NameScope: module nesting "));
  // Every scope opened on the way down was closed on the way back up.
  CHECK(NameScope::current() == nullptr);
  CHECK(ScopeNode::live_count() == scopes_before);
  // With stack to spare, the documented limit is what stops it.
  run_on_stack(kBigStack, [&] {
    CHECK_THROWS_WITH((*model)(x), Catch::Contains("module nesting deeper than 10000"));
    CHECK(NameScope::current() == nullptr);
  });
  model.reset();  // 100,000 nested destructors would overflow the stack; this is a loop
}

TEST_CASE("nesting exactly at the limit runs, one more level is the error",
          "[nn][module][nesting]") {
  kindling::Generator g(5);
  // kMaxScopeDepth scopes in all: kMaxScopeDepth - 1 Sequentials around the Linear.
  auto at_limit = nested_sequentials(kMaxScopeDepth - 1, g);
  auto past_limit = std::make_shared<Sequential>();
  past_limit->push_back(at_limit);
  const Tensor x = kindling::randn({2, 3}, g);
  run_on_stack(kBigStack, [&] {
    const Tensor y = (*at_limit)(x);
    CHECK(y.scope()->depth() == kMaxScopeDepth);
    CHECK_THROWS_WITH((*past_limit)(x),
                      Catch::Contains("module nesting deeper than 10000 (opening '0 (Linear)')"));
    CHECK(NameScope::current() == nullptr);
  });
}

TEST_CASE("a submodule kept by the user outlives the freed tree", "[nn][module][nesting]") {
  kindling::Generator g(6);
  auto model = nested_sequentials(50, g);
  // Hold a module in the middle of the chain, then drop the model: the iterative teardown must
  // stop at the module someone else still owns, and that module keeps its own subtree.
  std::shared_ptr<Module> middle = model->named_submodules()[24].second;
  REQUIRE(middle != nullptr);
  const std::size_t below = middle->named_submodules().size();
  CHECK(below == 50 - 25);  // 24 Sequentials and the Linear
  model.reset();
  CHECK(middle->named_submodules().size() == below);
  CHECK(middle->parameters().size() == 2);
  const Tensor y = (*middle)(kindling::randn({1, 3}, g));
  CHECK(y.shape() == kindling::Shape{1, 2});
}
