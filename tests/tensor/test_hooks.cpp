// Tensor hooks (Note [tensor hooks] in tensor/src/tensor.cpp): register_hook on interior tensors
// and leaves (seeing and replacing gradients), removal, retain_grad, post-accumulate-grad hooks,
// hooks under kindling::grad and create_graph, and their errors.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "kindling/tensor.hpp"

namespace kindling::test {
namespace {

Tensor param(std::vector<double> v) {
  const auto n = static_cast<std::int64_t>(v.size());
  return from_vector(v, {n}, DType::float64).set_requires_grad();
}

std::vector<double> values(const Tensor& t) {
  return t.to_vector<double>();
}

}  // namespace

TEST_CASE("hooks: an interior hook sees its gradient and may replace it", "[tensor][hooks]") {
  const Tensor x = param({1.0, 2.0, 3.0});
  const Tensor h = x * x;  // dL/dh = 1 for L = sum(h * 1)
  std::vector<std::vector<double>> seen;
  h.register_hook([&](const Tensor& g) {
    seen.push_back(values(g));
    return Tensor{};  // keep it
  });
  const HookHandle doubling = h.register_hook([&](const Tensor& g) { return g * 2.0; });
  // Registered after doubling: sees its result (hooks chain in registration order).
  h.register_hook([&](const Tensor& g) {
    seen.push_back(values(g));
    return Tensor{};
  });
  sum(h).backward({}, true);
  REQUIRE(seen.size() == 2);
  CHECK(seen[0] == std::vector<double>{1, 1, 1});
  CHECK(seen[1] == std::vector<double>{2, 2, 2});
  // x.grad = 2x * (the replaced gradient 2); h keeps the replaced gradient.
  CHECK(values(x.grad()) == std::vector<double>{4, 8, 12});
  CHECK(values(h.grad()) == std::vector<double>{2, 2, 2});
  // Removed: the next pass is plain, and it adds to x.grad.
  doubling.remove();
  doubling.remove();  // twice is harmless
  seen.clear();
  sum(h).backward();
  CHECK(seen.size() == 2);
  CHECK(values(x.grad()) == std::vector<double>{4 + 2, 8 + 4, 12 + 6});
}

TEST_CASE("hooks: a leaf hook sees the pass's summed gradient before it accumulates",
          "[tensor][hooks]") {
  const Tensor x = param({1.0, -2.0});
  std::vector<std::vector<double>> seen;
  x.register_hook([&](const Tensor& g) {
    seen.push_back(values(g));
    return g * 10.0;
  });
  // Two contributions (x and 3x): the hook runs once, on their sum 4.
  sum(x + x * 3.0).backward();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0] == std::vector<double>{4, 4});
  CHECK(values(x.grad()) == std::vector<double>{40, 40});
  // The next pass: the hook sees that pass's gradient alone, and the sum accumulates.
  sum(x * x).backward();
  REQUIRE(seen.size() == 2);
  CHECK(seen[1] == std::vector<double>{2, -4});
  CHECK(values(x.grad()) == std::vector<double>{40 + 20, 40 - 40});
}

TEST_CASE("hooks: post-accumulate-grad hooks run after the leaf's grad is accumulated",
          "[tensor][hooks]") {
  const Tensor w = param({0.5, 1.5});
  const Tensor unused = param({7.0});
  std::vector<std::vector<double>> at_hook;
  int unused_calls = 0;
  w.register_post_accumulate_grad_hook([&](const Tensor& leaf) {
    CHECK(leaf.same_node(w));
    at_hook.push_back(values(leaf.grad()));
  });
  unused.register_post_accumulate_grad_hook([&](const Tensor&) { ++unused_calls; });
  sum(w * w).backward();
  sum(w * 3.0).backward();
  REQUIRE(at_hook.size() == 2);
  CHECK(at_hook[0] == std::vector<double>{1.0, 3.0});          // 2w
  CHECK(at_hook[1] == std::vector<double>{1.0 + 3, 3.0 + 3});  // accumulated
  CHECK(unused_calls == 0);                                    // no gradient reached it
  // A gradient hook runs first, so the post hook sees the replaced, accumulated grad.
  w.zero_grad();
  at_hook.clear();
  w.register_hook([](const Tensor& g) { return g * 0.0; });
  sum(w).backward();
  REQUIRE(at_hook.size() == 1);
  CHECK(at_hook[0] == std::vector<double>{0.0, 0.0});
  // The removal handle works for post hooks too.
  const HookHandle handle =
      unused.register_post_accumulate_grad_hook([&](const Tensor&) { unused_calls += 100; });
  handle.remove();
  sum(unused).backward();
  CHECK(unused_calls == 1);
}

TEST_CASE("hooks: a post-accumulate hook runs as soon as its leaf's gradient is complete",
          "[tensor][hooks]") {
  // Note [hooks during the sweep]: w2 is used near the root, w1 far from it. w2's hook runs
  // before the steps that reach w1 (w1's grad for this pass is not there yet), and w1's hook
  // runs with both complete. w1 used twice: its hook waits for the earlier of its two users.
  const Tensor w1 = param({0.5, -1.0});
  const Tensor w2 = param({2.0, 3.0});
  const Tensor x = param({1.0, 2.0});
  std::vector<std::string> calls;
  w2.register_post_accumulate_grad_hook([&](const Tensor& leaf) {
    calls.push_back("w2");
    CHECK(values(leaf.grad()) == values(exp(x * w1) + w1));  // d/dw2 sum((e^(x w1) + w1) w2)
    CHECK_FALSE(w1.grad().defined());                        // not reached yet
  });
  w1.register_post_accumulate_grad_hook([&](const Tensor& leaf) {
    calls.push_back("w1");
    CHECK(w2.grad().defined());
    // d/dw1 = (x e^(x w1) + 1) w2
    const std::vector<double> expected = values((x * exp(x * w1) + 1.0) * w2);
    const std::vector<double> got = values(leaf.grad());
    REQUIRE(got.size() == 2);
    CHECK(got[0] == Approx(expected[0]));
    CHECK(got[1] == Approx(expected[1]));
  });
  sum((exp(x * w1) + w1) * w2).backward();
  CHECK(calls == std::vector<std::string>{"w2", "w1"});
  // x has no hooks: its grad is there as usual.
  CHECK(x.grad().defined());
}

TEST_CASE("hooks: retain_grad, and the errors", "[tensor][hooks]") {
  const Tensor x = param({1.0});
  const Tensor constant = from_vector(std::vector<double>{1.0}, {1}, DType::float64);
  const Tensor y = x * 2.0;
  CHECK_FALSE(y.retains_grad());
  y.retain_grad();
  CHECK(y.retains_grad());
  CHECK_FALSE(y.is_leaf());
  x.retain_grad();  // a leaf keeps its grad anyway
  CHECK_FALSE(x.retains_grad());
  CHECK_THROWS_WITH(constant.register_hook([](const Tensor& g) { return g; }),
                    Catch::Contains("register_hook") && Catch::Contains("does not require grad"));
  CHECK_THROWS_WITH(
      y.register_post_accumulate_grad_hook([](const Tensor&) {}),
      Catch::Contains("register_post_accumulate_grad_hook: only leaves") && Catch::Contains("mul"));
  CHECK_THROWS_WITH(constant.retain_grad(),
                    Catch::Contains("retain_grad") && Catch::Contains("does not require grad"));
  CHECK_THROWS_WITH(Tensor{}.register_hook([](const Tensor& g) { return g; }),
                    Catch::Contains("register_hook: the tensor is undefined"));
  // A hook returning the wrong shape is an error naming register_hook, not a wrong gradient.
  y.register_hook([](const Tensor&) { return zeros({3}, DType::float64); });
  CHECK_THROWS_WITH(sum(y).backward(),
                    Catch::Contains("register_hook") && Catch::Contains("shape (3)"));
  // The hooks do not keep the handle's tensor alive, and a handle outliving it is harmless.
  HookHandle orphan;
  {
    const Tensor z = param({2.0});
    orphan = z.register_hook([](const Tensor& g) { return g; });
  }
  orphan.remove();
}

TEST_CASE("hooks: kindling::grad runs them, and does not run post-accumulate hooks",
          "[tensor][hooks]") {
  const Tensor x = param({1.0, 2.0});
  const Tensor h = exp(x);
  int interior_calls = 0, leaf_calls = 0, post_calls = 0;
  h.register_hook([&](const Tensor& g) {
    ++interior_calls;
    return g * 2.0;
  });
  x.register_hook([&](const Tensor& g) {
    ++leaf_calls;
    return g + 1.0;
  });
  x.register_post_accumulate_grad_hook([&](const Tensor&) { ++post_calls; });
  const std::vector<Tensor> g = grad({sum(h)}, {x, h});
  CHECK(interior_calls == 1);
  CHECK(leaf_calls == 1);
  CHECK(post_calls == 0);
  CHECK(values(g[1]) == std::vector<double>{2, 2});
  CHECK(values(g[0])[0] == Approx(2 * std::exp(1.0) + 1));
  CHECK_FALSE(x.grad().defined());
}

TEST_CASE("hooks: under create_graph a hook's result stays in the graph", "[tensor][hooks]") {
  const Tensor x = param({0.5, 2.0});
  const Tensor h = x * x;
  // Scaling the gradient of h by x: dL/dx = 2x * x = 2x^2, whose derivative is 4x.
  h.register_hook([&](const Tensor& g) { return g * x; });
  const Tensor d1 = grad({sum(h)}, {x}, {}, std::nullopt, true)[0];
  CHECK(values(d1) == std::vector<double>{0.5, 8.0});
  const Tensor d2 = grad({sum(d1)}, {x})[0];
  CHECK(values(d2) == std::vector<double>{2.0, 8.0});
}

}  // namespace kindling::test

namespace kindling::test {

TEST_CASE("hooks: a leaf hook under backward(create_graph) is recorded into .grad",
          "[tensor][hooks]") {
  const Tensor x = param({0.5, -1.0});
  int post_calls = 0;
  // The leaf's gradient 2x scaled by x: .grad = 2x^2, whose derivative is 4x.
  const HookHandle scaling = x.register_hook([&](const Tensor& g) { return g * x; });
  x.register_post_accumulate_grad_hook([&](const Tensor& leaf) {
    ++post_calls;
    CHECK(leaf.grad().requires_grad());
  });
  sum(x * x).backward({}, std::nullopt, true);
  CHECK(post_calls == 1);
  REQUIRE(x.grad().requires_grad());
  CHECK(values(x.grad()) == std::vector<double>{0.5, 2.0});
  // grad() runs the hook too, on d/dx sum(.grad) = 4x: 4x^2.
  CHECK(values(grad({sum(x.grad())}, {x}, {}, true)[0]) == std::vector<double>{1.0, 4.0});
  scaling.remove();
  CHECK(values(grad({sum(x.grad())}, {x})[0]) == std::vector<double>{2.0, -4.0});
  CHECK(post_calls == 1);  // grad() accumulates nothing
  x.zero_grad();           // the recorded grad refers back to x (Note [create_graph])
}

}  // namespace kindling::test
