// Generator: reproducible from a seed, the right moments, restorable state.
#include <catch2/catch.hpp>

#include <cmath>

#include "kindling/engine/random.hpp"

TEST_CASE("same seed, same sequence, different seed, different sequence", "[random]") {
  kindling::Generator a(42), b(42), c(43);
  for (int i = 0; i < 100; ++i) {
    const auto x = a.next_u64();
    CHECK(x == b.next_u64());
    CHECK(x != c.next_u64());
  }
}

TEST_CASE("uniform and normal have the right moments", "[random]") {
  kindling::Generator g(7);
  constexpr int n = 200000;
  double sum = 0, sum_sq = 0, normal_sum = 0, normal_sq = 0;
  double low = 1, high = 0;
  for (int i = 0; i < n; ++i) {
    const double u = g.uniform();
    low = std::min(low, u);
    high = std::max(high, u);
    sum += u;
    sum_sq += u * u;
    const double z = g.normal();
    normal_sum += z;
    normal_sq += z * z;
  }
  CHECK(low >= 0.0);
  CHECK(high < 1.0);
  CHECK(sum / n == Approx(0.5).margin(0.005));
  CHECK(sum_sq / n - std::pow(sum / n, 2) == Approx(1.0 / 12).margin(0.002));
  CHECK(normal_sum / n == Approx(0.0).margin(0.01));
  CHECK(normal_sq / n == Approx(1.0).margin(0.01));
}

TEST_CASE("below() stays in range and covers it", "[random]") {
  kindling::Generator g(3);
  int counts[7] = {};
  for (int i = 0; i < 70000; ++i) {
    const auto k = g.below(7);
    REQUIRE(k < 7);
    ++counts[k];
  }
  for (int count : counts)
    CHECK(count == Approx(10000).margin(500));
}

TEST_CASE("a snapshot restores the exact sequence", "[random]") {
  kindling::Generator g(11);
  g.normal();  // leaves a spare normal in the state
  const auto snapshot = g.snapshot();
  const double first = g.normal(), second = g.uniform();
  kindling::Generator h(999);
  h.restore(snapshot);
  CHECK(h.normal() == first);
  CHECK(h.uniform() == second);
}
