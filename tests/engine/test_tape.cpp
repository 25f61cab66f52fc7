// The scalar tape (engine/tape.hpp): backward walks records in decreasing creation order, a step's
// records are freed by rewinding, handles kept across steps keep their graphs, memory is flat over
// steps, a ten-million-node chain works on an 8 MB stack, and graphs that cross threads are
// refused.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <thread>
#include <vector>

#include "kindling/engine/error.hpp"
#include "kindling/engine/graph.hpp"
#include "kindling/engine/tape.hpp"
#include "kindling/engine/value.hpp"
#include "stack_support.hpp"

using kindling::Value;
using kindling::ValueNode;
using Tape = kindling::engine::CreationTape<ValueNode>;

namespace {

// The nodes of a backward pass from `root`, in the order the core's walk returns them.
std::vector<ValueNode*> walk_order(const Value& root) {
  std::vector<ValueNode*> order;
  kindling::engine::BackwardWalk walk(root.node());
  while (ValueNode* node = walk.next())
    order.push_back(node);
  return order;
}

// One moons-like step: a few neurons on fixed parameters, a loss, backward.
Value small_step(const std::vector<Value>& parameters) {
  Value loss = 0.0;
  for (int sample = 0; sample < 20; ++sample) {
    Value activation = parameters[0];
    for (std::size_t i = 1; i < parameters.size(); ++i)
      activation = activation + parameters[i] * Value(0.1 * sample - 0.05 * i);
    loss = loss + (1.0 - activation).relu();
  }
  return loss;
}

}  // namespace

TEST_CASE("backward walks the nodes in decreasing creation order", "[tape]") {
  // z = y + x with y made after x: a depth-first walk from z visits y's side first and would step
  // x before y; creation order steps y, the later one, first.
  Value a(1.0, "a"), b(2.0, "b"), c(3.0, "c"), d(4.0, "d");
  Value x = a * b;
  Value y = c * d;
  Value z = y + x;
  const auto order = walk_order(z);
  REQUIRE(order.size() == 3);
  CHECK(order[0] == z.node());
  CHECK(order[1] == y.node());
  CHECK(order[2] == x.node());
  z.backward();
  CHECK(a.grad() == 2.0);
  CHECK(b.grad() == 1.0);
  CHECK(c.grad() == 4.0);
  CHECK(d.grad() == 3.0);
}

TEST_CASE("records lie on the tape in creation order, leaves do not", "[tape]") {
  Value a(1.0), b(2.0);
  Value x = a * b;
  Value y = x + a;
  CHECK(Tape::tape_of(x.node()) == &Tape::this_thread());
  CHECK(Tape::below(y.node()) == x.node());
  CHECK(a.node()->input_count == 0);
  CHECK(x.node()->leaf_inputs == 0b11);  // both inputs are leaves, which the record counts
  CHECK(y.node()->leaf_inputs == 0b10);  // x is a record (Note [record references])
}

TEST_CASE("a step's records go back when its loss is dropped, memory is flat over steps",
          "[tape][memory]") {
  std::vector<Value> parameters;
  for (int i = 0; i < 8; ++i)
    parameters.emplace_back(0.1 * i - 0.3);
  Tape& tape = Tape::this_thread();
  const auto live_before = tape.live();
  std::size_t chunks_after_first = 0;
  for (int step = 0; step < 30; ++step) {
    {
      Value loss = small_step(parameters);
      CHECK(tape.live() > live_before);
      loss.backward();
    }
    CHECK(tape.live() == live_before);
    if (step == 0) chunks_after_first = tape.chunk_count();
    CHECK(tape.chunk_count() == chunks_after_first);
  }
}

TEST_CASE("a handle kept across steps keeps its graph, backward on it later still works",
          "[tape][memory]") {
  std::vector<Value> parameters;
  for (int i = 0; i < 5; ++i)
    parameters.emplace_back(0.2 * i - 0.5);
  Tape& tape = Tape::this_thread();
  const auto live_before = tape.live();
  Value kept = small_step(parameters);
  const auto live_with_kept = tape.live();
  for (int step = 0; step < 5; ++step) {
    Value loss = small_step(parameters);
    loss.backward();
  }
  CHECK(tape.live() == live_with_kept);  // the later steps were rewound down to the kept graph
  for (Value& p : parameters)
    p.zero_grad();
  kept.backward();
  std::vector<double> later;
  for (const Value& p : parameters)
    later.push_back(p.grad());
  for (Value& p : parameters)
    p.zero_grad();
  Value fresh = small_step(parameters);
  fresh.backward();
  for (std::size_t i = 0; i < parameters.size(); ++i)
    CHECK(parameters[i].grad() == later[i]);
  fresh = Value();
  kept = Value();
  CHECK(tape.live() == live_before);
}

TEST_CASE("an inner record kept alive keeps the records below it until it goes", "[tape][memory]") {
  Tape& tape = Tape::this_thread();
  const auto live_before = tape.live();
  Value a(2.0);
  Value inner;
  {
    Value x = a * a;        // below inner
    inner = x.tanh();       // kept
    Value y = inner * 3.0;  // above inner: rewound when dropped
    CHECK(tape.live() == live_before + 3);
  }
  CHECK(tape.live() == live_before + 2);  // x stays (dead, under inner), y is gone
  inner.backward();
  CHECK(a.grad() == Approx((1.0 - std::tanh(4.0) * std::tanh(4.0)) * 4.0));
  inner = Value();
  CHECK(tape.live() == live_before);
}

TEST_CASE("a ten-million-node chain: built, differentiated, rewound on an 8 MB stack",
          "[tape][deep]") {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  constexpr int kLength = 1'000'000;  // the same walk; ten times fewer nodes under a sanitizer
#else
  constexpr int kLength = 10'000'000;
#endif
  kindling_test::run_on_stack(8u << 20, [&] {
    Tape& tape = Tape::this_thread();
    const auto live_before = tape.live();
    const double factor = 1.0 + 1e-8;
    Value x0(1.0, "x0");
    const Value c(factor, "c");
    Value x = x0;
    for (int i = 0; i < kLength; ++i)
      x = x * c;
    CHECK(tape.live() - live_before == kLength);
    x.backward();
    CHECK(x0.grad() == Approx(std::pow(factor, kLength)).epsilon(1e-9));
    CHECK(c.grad() == Approx(kLength * std::pow(factor, kLength - 1)).epsilon(1e-6));
    x = Value();
    CHECK(tape.live() == live_before);
    CHECK(tape.chunk_count() <= Tape::kMaxSpareChunks);  // the rest went back to the system
  });
}

TEST_CASE("a graph may not cross threads: building on another thread's record is an error",
          "[tape][thread]") {
  Value a(1.5, "a");
  Value made_here = a * a;
  std::string message;
  bool leaf_ok = false;
  std::thread([&] {
    try {
      Value on_leaf = a * 2.0;  // a leaf may come from any thread
      leaf_ok = on_leaf.data() == 3.0;
      Value bad = made_here + 1.0;
    } catch (const kindling::error& e) {
      message = e.what();
    }
  }).join();
  CHECK(leaf_ok);
  CHECK_THAT(message, Catch::Contains("add") && Catch::Contains("another thread"));
}

TEST_CASE("a thread may end while its records are still held, they are freed later",
          "[tape][thread]") {
  Value a(3.0, "a");
  Value from_thread;
  std::thread([&] { from_thread = (a * a).exp(); }).join();  // that thread's tape is orphaned
  CHECK(from_thread.data() == Approx(std::exp(9.0)));
  from_thread.backward();  // walks the orphaned tape from this thread
  CHECK(a.grad() == Approx(6.0 * std::exp(9.0)));
  from_thread = Value();  // the orphaned tape rewinds here; AddressSanitizer sees no leak
  CHECK(a.node()->ref_count == 1);
}
