// The autograd core through Value: accumulation, reuse, diamonds, what a second backward() does,
// grad mode, anomaly mode, the million-node chain on an 8 MB stack, and no leaked nodes.
#include <pthread.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <exception>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "kindling/engine/error.hpp"
#include "kindling/engine/grad_mode.hpp"
#include "kindling/engine/graph.hpp"
#include "kindling/engine/pool.hpp"
#include "kindling/engine/scope.hpp"
#include "kindling/engine/value.hpp"

using kindling::Value;
using kindling::ValueNode;

namespace {

std::ptrdiff_t live_nodes() {
  return kindling::engine::NodePool<ValueNode>::this_thread().live();
}

// Runs `body` on a thread whose stack is exactly 8 MiB (the usual default), rethrowing its
// exception, so a recursive walk would be caught here whatever the runner's ulimit is.
void run_on_8mb_stack(const std::function<void()>& body) {
  struct Job {
    const std::function<void()>* body;
    std::exception_ptr error;
  } job{&body, nullptr};
  pthread_attr_t attributes;
  pthread_attr_init(&attributes);
  pthread_attr_setstacksize(&attributes, 8u << 20);
  pthread_t thread;
  const int created = pthread_create(
      &thread, &attributes,
      [](void* raw) -> void* {
        auto* job = static_cast<Job*>(raw);
        try {
          (*job->body)();
        } catch (...) {
          job->error = std::current_exception();
        }
        return nullptr;
      },
      &job);
  pthread_attr_destroy(&attributes);
  REQUIRE(created == 0);
  pthread_join(thread, nullptr);
  if (job.error) std::rethrow_exception(job.error);
}

}  // namespace

TEST_CASE("gradients accumulate: b = a + a; c = b + b", "[graph]") {
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
    CHECK(*NameScope::current() == std::vector<std::string>{"MLP"});
    {
      NameScope layer("fc1");
      inner_path = NameScope::current();
      CHECK(*inner_path == std::vector<std::string>{"MLP", "MLP.fc1"});
      bool other_thread_empty = false;
      std::thread([&] { other_thread_empty = NameScope::current() == nullptr; }).join();
      CHECK(other_thread_empty);
    }
    CHECK(*NameScope::current() == std::vector<std::string>{"MLP"});
  }
  CHECK(NameScope::current() == nullptr);
  CHECK(inner_path->back() == "MLP.fc1");  // a recorded path outlives its scope
}
