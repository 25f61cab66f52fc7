// Reductions over expanded (stride-0) dimensions (Note [expanded reductions] in
// tensor/src/cpu/reduce.cpp, issue 19): the copies are never walked, a sum over them is one
// multiplication, and the results agree with the same reduction of the materialised tensor,
// special values included. sum's backward hands an expanded gradient to the next op, so the
// broadcast ops' backward goes through this path too.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "kindling/tensor.hpp"

namespace kindling {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr std::int64_t kTwo20 = std::int64_t{1} << 20;

// The reduction of the materialised copy, the walk every element takes.
Tensor materialised(const Tensor& x) {
  return x.contiguous();
}

TEST_CASE("expanded reductions: agree with the materialised tensor in every layout",
          "[tensor][reduce][expanded]") {
  Generator gen(7);
  for (DType dtype : {DType::float32, DType::float64}) {
    const double tolerance = dtype == DType::float32 ? 1e-5 : 1e-12;
    const Tensor base = randn({3, 1, 5}, gen).to(dtype);
    const Tensor x = base.expand({3, 40, 5});  // a middle dimension of stride 0
    const Tensor lead = randn({1, 6}, gen).to(dtype).expand({33, 6});
    struct Case {
      Tensor input;
      Axes axes;
      bool keepdim;
    };
    const std::vector<Case> cases = {
        {x, {1}, false},    {x, {1}, true},     {x, {0, 1}, false},
        {x, {1, 2}, false}, {x, {}, false},     {lead, {0}, false},
        {lead, {}, false},  {lead, {1}, false}, {x.transpose(0, 2), {1}, false},
    };
    for (const Case& c : cases) {
      INFO("dtype " << dtype_name(dtype) << ", shape " << shape_string(c.input.shape()) << ", axes "
                    << shape_string(c.axes) << ", keepdim " << c.keepdim);
      const Tensor dense = materialised(c.input);
      const Tensor got = sum(c.input, c.axes, c.keepdim), want = sum(dense, c.axes, c.keepdim);
      REQUIRE(got.shape() == want.shape());
      const std::vector<double> g = got.to_vector<double>(), w = want.to_vector<double>();
      for (std::size_t i = 0; i < g.size(); ++i)
        CHECK(g[i] == Approx(w[i]).epsilon(tolerance).margin(tolerance));
      // max and min of copies are exactly the copies' extremes.
      CHECK(max(c.input, c.axes, c.keepdim).to_vector<double>() ==
            max(dense, c.axes, c.keepdim).to_vector<double>());
      CHECK(min(c.input, c.axes, c.keepdim).to_vector<double>() ==
            min(dense, c.axes, c.keepdim).to_vector<double>());
    }
  }
}

TEST_CASE("expanded reductions: a sum over copies is one product, rounded once",
          "[tensor][reduce][expanded]") {
  // 0.1f added 2^24 times in float drifts far from 0.1f * 2^24, which is exact (a power of two).
  const Tensor tenth = full({1}, 0.1f).expand({std::int64_t{1} << 24});
  CHECK(sum(tenth).item() == static_cast<double>(0.1f) * 16777216.0);
  // Copies along one dimension times real values along another: each output is count * value.
  const Tensor rows = tensor({1.5, -2.25, 3.0}, {3, 1}).expand({3, 1000});
  CHECK(sum(rows, {1}).to_vector<double>() == std::vector<double>{1500.0, -2250.0, 3000.0});
  CHECK(mean(rows, {1}).to_vector<double>() == std::vector<double>{1.5, -2.25, 3.0});
}

TEST_CASE("expanded reductions: 2^40 copies are reduced without being materialised",
          "[tensor][reduce][expanded]") {
  // Materialised, this tensor would take 4 TiB; the reduction reads one element.
  Tensor x = tensor({0.75}, {1, 1}).set_requires_grad();
  const Tensor huge = x.expand({kTwo20, kTwo20});
  const Tensor total = sum(huge);
  CHECK(total.item() == 0.75 * 1099511627776.0);
  CHECK(mean(huge).item() == 0.75);
  CHECK(max(huge).item() == 0.75);
  CHECK(min(huge).item() == 0.75);
  CHECK(sum(huge, {0}).shape() == Shape{kTwo20});
  // The backward: sum hands on an expanded gradient of ones; expand's backward sums it back.
  total.backward();
  CHECK(x.grad().item() == 1099511627776.0);
}

TEST_CASE("expanded reductions: special values as in the materialised sum",
          "[tensor][reduce][expanded]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (DType dtype : {DType::float32, DType::float64}) {
    INFO("dtype " << dtype_name(dtype));
    const Tensor values = tensor({kInf, -kInf, nan, -0.0, 0.0, 1e-40}, {6, 1}, dtype);
    const Tensor copies = values.expand({6, 9});
    const std::vector<double> got = sum(copies, {1}).to_vector<double>();
    const std::vector<double> want = sum(materialised(copies), {1}).to_vector<double>();
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      INFO("value " << i);
      if (std::isnan(want[i])) {
        CHECK(std::isnan(got[i]));
      } else {
        CHECK(got[i] == Approx(want[i]).epsilon(1e-6));
        CHECK(std::signbit(got[i]) == std::signbit(want[i]));  // -0 copies sum to +0, as torch
      }
    }
    // A slice holding inf and -inf is NaN; max and min keep the NaN and the sign of a zero.
    CHECK(std::isnan(sum(values.expand({6, 4})).item()));
    CHECK(std::isnan(max(copies).item()));
    const Tensor negative_zero = tensor({-0.0}, {1}, dtype).expand({100});
    CHECK(std::signbit(max(negative_zero).item()));
    CHECK(!std::signbit(sum(negative_zero).item()));
    // Copies too large to add up overflow to inf, as the materialised sum does.
    const Tensor big = tensor({dtype == DType::float32 ? 3e38 : 1.7e308}, {1}, dtype).expand({4});
    CHECK(sum(big).item() == kInf);
    CHECK(sum(materialised(big)).item() == kInf);
  }
}

TEST_CASE("expanded reductions: argmax and argmin still count the copies",
          "[tensor][reduce][expanded]") {
  const Tensor copies = tensor({2.0, 5.0, -1.0}, {1, 3}).expand({4, 3});
  CHECK(argmax(copies, 0).to_vector<std::int64_t>() == std::vector<std::int64_t>{0, 0, 0});
  CHECK(argmax(copies).item() == 1.0);
  CHECK(argmin(copies, 1).to_vector<std::int64_t>() == std::vector<std::int64_t>{2, 2, 2, 2});
}

TEST_CASE("expanded reductions: a broadcast add's backward gives each operand its count",
          "[tensor][reduce][expanded]") {
  Generator gen(3);
  Tensor p = randn({2000, 1}, gen).set_requires_grad();
  Tensor q = randn({1, 2000}, gen).set_requires_grad();
  sum(p + q).backward();
  const std::vector<float> gp = p.grad().to_vector<float>(), gq = q.grad().to_vector<float>();
  CHECK(gp == std::vector<float>(2000, 2000.0f));
  CHECK(gq == std::vector<float>(2000, 2000.0f));
}

}  // namespace
}  // namespace kindling
