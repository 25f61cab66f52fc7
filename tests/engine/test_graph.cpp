// The autograd core through Value: accumulation, reuse, diamonds, what a second backward() does,
// grad mode, anomaly mode, the million-node chain on an 8 MB stack, and no leaked nodes.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "kindling/engine/error.hpp"
#include "kindling/engine/grad_mode.hpp"
#include "kindling/engine/graph.hpp"
#include "kindling/engine/pool.hpp"
#include "kindling/engine/scope.hpp"
#include "kindling/engine/value.hpp"
#include "stack_support.hpp"

using kindling::Value;
using kindling::ValueNode;

namespace {

std::ptrdiff_t live_nodes() {
  return kindling::live_value_nodes();
}

using kindling_test::run_on_stack;

// On a stack of exactly 8 MiB (the usual default), so a recursive walk would be caught here
// whatever the runner's ulimit is.
void run_on_8mb_stack(const std::function<void()>& body) {
  run_on_stack(8u << 20, body);
}

}  // namespace

TEST_CASE("gradients accumulate: b = a + a, c = b + b", "[graph]") {
  Value a(3.0);
  Value b = a + a;
  Value c = b + b;
  c.backward();
  CHECK(c.data() == 12.0);
  CHECK(b.grad() == 2.0);
  CHECK(a.grad() == 4.0);
}

TEST_CASE("a leaf used by many nodes gets the sum of its uses", "[graph]") {
  Value x(0.5, "x");
  Value total = 0.0;
  for (int i = 1; i <= 50; ++i)
    total = total + static_cast<double>(i) * x;
  total.backward();
  CHECK(x.grad() == Approx(50.0 * 51.0 / 2.0));
}

TEST_CASE("diamond: one node reaches the root by two paths", "[graph]") {
  Value x(1.5, "x");
  Value shared = x * x;        // 2.25, d/dx = 2x
  Value left = shared.exp();   // e^(x^2)
  Value right = shared * 3.0;  // 3x^2
  Value top = left * right;    // 3x^2 e^(x^2)
  top.backward();
  // d/dx [3 x^2 e^(x^2)] = (6x + 6x^3) e^(x^2)
  const double expected = (6 * 1.5 + 6 * std::pow(1.5, 3)) * std::exp(2.25);
  CHECK(x.grad() == Approx(expected).epsilon(1e-12));
  // The shared node's gradient is the sum over both paths.
  CHECK(shared.grad() == Approx(3.0 * std::exp(2.25) + std::exp(2.25) * 3.0 * 2.25));
  CHECK(kindling::engine::topological_order(top.node()).size() ==
        6);  // x, shared, 3, left, right, top
}

TEST_CASE("topological order: parents before children, each node once, root last", "[graph]") {
  Value a(1.0), b(2.0);
  Value c = a * b + a;
  Value d = c * c + b.tanh();
  const auto order = kindling::engine::topological_order(d.node());
  REQUIRE(order.back() == d.node());
  for (std::size_t i = 0; i < order.size(); ++i) {
    for (std::size_t j = i + 1; j < order.size(); ++j)
      CHECK(order[i] != order[j]);
    for (ValueNode* parent : order[i]->parents()) {
      const auto where = std::find(order.begin(), order.end(), parent) - order.begin();
      CHECK(static_cast<std::size_t>(where) < i);
    }
  }
}

TEST_CASE("a second backward() adds the same gradient to the leaves again", "[graph]") {
  // Note [what a second backward does]: leaves accumulate; interior grads hold the latest pass.
  Value a(2.0), b(-3.0);
  Value e = a * b;
  Value f = e.tanh();
  Value g = f * f;
  g.backward();
  const double a_once = a.grad(), b_once = b.grad(), e_once = e.grad();
  g.backward();
  CHECK(a.grad() == Approx(2 * a_once));
  CHECK(b.grad() == Approx(2 * b_once));
  CHECK(e.grad() == Approx(e_once));  // interior: this pass only, not double-counted
  CHECK(g.grad() == 1.0);
  a.zero_grad();
  b.zero_grad();
  g.backward();
  CHECK(a.grad() == Approx(a_once));
  CHECK(b.grad() == Approx(b_once));
}

TEST_CASE("backward() from a leaf seeds it with 1", "[graph]") {
  Value a(5.0);
  a.backward();
  CHECK(a.grad() == 1.0);
}

TEST_CASE("no_grad builds no graph, nests, and restores the mode", "[graph][grad_mode]") {
  Value a(2.0), b(3.0);
  REQUIRE(kindling::is_grad_enabled());
  {
    kindling::no_grad outer;
    CHECK_FALSE(kindling::is_grad_enabled());
    Value c = a * b + 1.0;
    CHECK(c.data() == 7.0);
    CHECK(c.op() == kindling::ValueOp::leaf);
    CHECK(c.inputs().empty());
    {
      kindling::enable_grad inner;
      Value d = a * b;
      CHECK(d.inputs().size() == 2);
    }
    CHECK_FALSE(kindling::is_grad_enabled());
    c.backward();
    CHECK(a.grad() == 0.0);  // nothing flows through a graph that was not recorded
  }
  CHECK(kindling::is_grad_enabled());
}

TEST_CASE("grad mode is per thread", "[grad_mode]") {
  kindling::no_grad guard;
  bool other_thread_enabled = false;
  std::thread([&] { other_thread_enabled = kindling::is_grad_enabled(); }).join();
  CHECK(other_thread_enabled);
  CHECK_FALSE(kindling::is_grad_enabled());
}

TEST_CASE("anomaly mode names the op that produced the first NaN or Inf", "[anomaly]") {
  Value x(-1.0, "x");
  CHECK(std::isnan((x.log() * 2.0).data()));  // off by default: IEEE NaN flows on
  kindling::detect_anomaly guard;
  CHECK_THROWS_WITH(x.log(), Catch::Contains("log") && Catch::Contains("nan"));
  CHECK_THROWS_AS(Value(0.0).log(), kindling::error);
  CHECK_THROWS_WITH(Value(-8.0).pow(0.5), Catch::Contains("pow"));
  CHECK_THROWS_WITH(Value(1.0) / Value(0.0), Catch::Contains("div"));
  // Backward: sqrt at 0 is finite forward, infinite derivative.
  Value zero(0.0);
  Value root = zero.pow(0.5);
  CHECK_THROWS_WITH(root.backward(), Catch::Contains("backward of pow"));
}

TEST_CASE("labels, inputs and repr", "[value]") {
  Value a(2.0, "a");
  Value b(-3.0);
  b.set_label("b");
  Value c = a * b;
  CHECK(c.label().empty());
  c.set_label("c");
  CHECK(c.label() == "c");
  const auto inputs = c.inputs();
  REQUIRE(inputs.size() == 2);
  CHECK(inputs[0].same_node(a));
  CHECK(inputs[1].same_node(b));
  CHECK(kindling::to_string(c) == "Value(data=-6.0000, grad=0.0000)");
  Value copy = c;
  copy.set_data(1.0);
  CHECK(c.data() == 1.0);  // handles share the node
}

TEST_CASE("nodes are freed when the last handle goes, none leak", "[graph][memory]") {
  const auto before = live_nodes();
  {
    Value a(1.0), b(2.0);
    Value keep;
    {
      Value c = (a * b + 3.0).tanh();
      keep = c * c;
      CHECK(live_nodes() > before);
    }
    keep.backward();
    CHECK(a.grad() != 0.0);
  }
  CHECK(live_nodes() == before);
}

TEST_CASE("a million-node chain: built, differentiated, destroyed on an 8 MB stack",
          "[graph][deep]") {
  constexpr int kLength = 1'000'000;
  run_on_8mb_stack([&] {
    const auto thread_before = live_nodes();
    Value x0(1.0, "x0");
    Value x = x0;
    for (int i = 0; i < kLength; ++i)
      x = x * 1.000001 + 0.0;
    x.backward();
    // d x_n / d x_0 = 1.000001^n
    CHECK(x0.grad() == Approx(std::pow(1.000001, kLength)).epsilon(1e-9));
    CHECK(x.data() == Approx(std::pow(1.000001, kLength)).epsilon(1e-9));
    x = Value();  // drops the whole chain iteratively
    x0 = Value();
    CHECK(live_nodes() - thread_before == 2);  // only the two fresh leaves
  });
}

TEST_CASE("both handles and graph edges keep nodes alive", "[graph][memory]") {
  Value root;
  {
    Value a(2.0, "a");
    root = a.exp();
  }  // `a` handle gone, the node lives on as root's input
  root.backward();
  REQUIRE(root.inputs().size() == 1);
  CHECK(root.inputs()[0].label() == "a");
  CHECK(root.inputs()[0].grad() == Approx(std::exp(2.0)));
}

TEST_CASE("reverse_sweep_count counts passes of the shared sweep", "[graph]") {
  const auto before = kindling::engine::reverse_sweep_count();
  Value a(1.0);
  Value b = a * 2.0;
  b.backward();
  b.backward();
  CHECK(kindling::engine::reverse_sweep_count() - before == 2);
}

TEST_CASE("name scopes nest, restore, and are per thread", "[scope]") {
  using kindling::engine::NameScope;
  CHECK(NameScope::current() == nullptr);
  NameScope::Path inner_path;
  {
    NameScope model("MLP");
    REQUIRE(NameScope::current());
    CHECK(NameScope::current()->dotted_path() == std::vector<std::string>{"MLP"});
    {
      NameScope layer("fc1");
      inner_path = NameScope::current();
      CHECK(inner_path->dotted_path() == std::vector<std::string>{"MLP", "MLP.fc1"});
      CHECK(inner_path->name() == "fc1");
      CHECK(inner_path->depth() == 2);
      bool other_thread_empty = false;
      std::thread([&] { other_thread_empty = NameScope::current() == nullptr; }).join();
      CHECK(other_thread_empty);
    }
    CHECK(NameScope::current()->dotted_path() == std::vector<std::string>{"MLP"});
  }
  CHECK(NameScope::current() == nullptr);
  CHECK(inner_path->dotted_name() == "MLP.fc1");  // a recorded path outlives its scope
}

TEST_CASE("a scope holds its own name and depth, its dotted names are built on request",
          "[scope]") {
  using kindling::engine::NameScope;
  using kindling::engine::ScopeNode;
  const std::size_t before = ScopeNode::live_count();
  {
    NameScope a("net");
    NameScope b("encoder");
    NameScope c("fc1 (Linear)");
    const NameScope::Path& path = NameScope::current();
    CHECK(path->name() == "fc1 (Linear)");
    CHECK(path->depth() == 3);
    CHECK(path->parent()->name() == "encoder");
    CHECK(path->parent()->parent()->parent() == nullptr);
    CHECK(path->dotted_name() == "net.encoder.fc1 (Linear)");
    CHECK(path->dotted_path() ==
          std::vector<std::string>{"net", "net.encoder", "net.encoder.fc1 (Linear)"});
    CHECK(ScopeNode::live_count() - before == 3);  // one node per open scope, no copies
  }
  CHECK(ScopeNode::live_count() == before);
}

TEST_CASE("scopes nest at most kMaxScopeDepth deep, then opening one is an error", "[scope]") {
  using kindling::engine::kMaxScopeDepth;
  using kindling::engine::NameScope;
  std::vector<std::unique_ptr<NameScope>> open;
  for (std::size_t i = 0; i < kMaxScopeDepth; ++i)
    open.push_back(std::make_unique<NameScope>("level"));
  CHECK(NameScope::current()->depth() == kMaxScopeDepth);
  CHECK_THROWS_WITH(NameScope("one too many"),
                    Catch::Contains("module nesting deeper than 10000 (opening 'one too many')"));
  CHECK(NameScope::current()->depth() == kMaxScopeDepth);  // the failed one changed nothing
  while (!open.empty())
    open.pop_back();  // innermost first, as RAII scopes close
  CHECK(NameScope::current() == nullptr);
}

TEST_CASE("a chain of a million scopes is freed without recursion", "[scope]") {
  using kindling::engine::ScopeNode;
  const std::size_t before = ScopeNode::live_count();
  // Built directly (NameScope stops at kMaxScopeDepth): each node owns its parent, so a naive
  // destructor would recurse a million times and overflow the 8 MB stack.
  std::shared_ptr<const ScopeNode> chain;
  for (int i = 0; i < 1000000; ++i)
    chain = std::make_shared<const ScopeNode>("s", std::move(chain));
  CHECK(chain->depth() == 1000000);
  CHECK(ScopeNode::live_count() - before == 1000000);
  // A second owner in the middle keeps its part of the chain alive.
  std::shared_ptr<const ScopeNode> middle = chain;
  for (int i = 0; i < 500000; ++i)
    middle = middle->parent();
  chain.reset();
  CHECK(ScopeNode::live_count() - before == 500000);
  CHECK(middle->depth() == 500000);
  middle.reset();
  CHECK(ScopeNode::live_count() == before);
}

namespace {
// Opens one scope per call and recurses, as nested forwards do, with a 4 KiB frame each (a
// forward's locals). Past kMaxScopeDepth the scope refuses to open, so the recursion is bounded.
void nest_scopes(std::size_t depth) {
  kindling::engine::NameScope scope("level");
  volatile char frame[4096];
  frame[0] = 1;
  if (depth <= kindling::engine::kMaxScopeDepth) nest_scopes(depth + 1);
  frame[1] = frame[0];  // used after the call: the frame stays live across it
}
}  // namespace

TEST_CASE("a scope does not open when the thread's stack is nearly used up", "[scope]") {
  // 512 KiB of stack, 4 KiB per level: the stack would overflow after about 128 levels, far
  // below kMaxScopeDepth; the scope check stops it with room to spare (a quarter of the stack).
  std::string message;
  bool scopes_left_open = true;
  run_on_stack(512u << 10, [&] {
    try {
      nest_scopes(1);
    } catch (const kindling::error& e) {
      message = e.what();
    }
    scopes_left_open = kindling::engine::NameScope::current() != nullptr;
  });
  INFO(message);
  CHECK(message.find("NameScope: module nesting ") == 0);
  CHECK(message.find("has nearly used up this thread's stack") != std::string::npos);
  CHECK_FALSE(scopes_left_open);  // every scope closed again on the way out
}
