// Edge values of the elementwise ops, pow, the reductions and softmax (Note [special values] in
// kindling/tensor/special_values.hpp): the cases as regressions, with the values PyTorch
// 1.13 gives, and the shared scalar formulas that the CUDA kernels use, checked on the host.
//
// Expected numbers come from torch; regenerate one with, e.g.,
//   python3 -c "import torch; print(repr(torch.tensor([-720.], dtype=torch.float64).exp().item()))"
// and the gradients with x = torch.tensor(..., requires_grad=True); f(x).sum().backward(); x.grad.
// The full side-by-side grids are tests/python/test_special_values.py. This file runs again under
// KINDLING_ISA=baseline and avx2 (tests/tensor/CMakeLists.txt), so each SIMD table is covered.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "kindling/tensor.hpp"
#include "kindling/tensor/special_values.hpp"

namespace kindling {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Bitwise for NaN-ness, infinities and zeros (with their sign), within rel otherwise.
bool same_value(double got, double want, double rel) {
  if (std::isnan(got) || std::isnan(want)) return std::isnan(got) && std::isnan(want);
  if (got == want) return std::signbit(got) == std::signbit(want);
  if (std::isinf(got) || std::isinf(want) || got == 0.0 || want == 0.0) return false;
  return std::abs(got - want) <= rel * std::abs(want);
}

void check_values(const Tensor& got, const std::vector<double>& want, double rel = 1e-15) {
  const std::vector<double> g = got.to_vector<double>();
  REQUIRE(g.size() == want.size());
  for (std::size_t i = 0; i < g.size(); ++i) {
    INFO("element " << i << ": got " << g[i] << ", want " << want[i]);
    CHECK(same_value(g[i], want[i], rel));
  }
}

// The grid repeated to 3 * 16 + 5 elements, so each value is met by the SIMD body of every width
// and by the scalar tail.
std::vector<double> repeated(const std::vector<double>& v, std::size_t n = 53) {
  std::vector<double> out;
  for (std::size_t i = 0; i < n; ++i)
    out.push_back(v[i % v.size()]);
  return out;
}

Tensor leaf(const std::vector<double>& v, DType dtype) {
  return from_vector(v, {static_cast<std::int64_t>(v.size())}, dtype).set_requires_grad();
}

TEST_CASE("special values: the shared formulas", "[tensor][special]") {
  using namespace special;
  CHECK(std::isnan(relu(kNaN)));
  CHECK(std::signbit(relu(-0.0)));
  CHECK(relu(-2.0) == 0.0);
  CHECK(relu(std::int64_t{-3}) == 0);
  CHECK(relu_grad(5.0, kNaN) == 5.0);  // torch's threshold_backward: NaN <= 0 is false
  CHECK(relu_grad(kNaN, 0.0) == 0.0);  // the gradient is 0 at 0, even a NaN gradient
  CHECK(relu_grad(kNaN, -1.0) == 0.0);
  CHECK(std::isnan(maximum(kNaN, 1.0)));
  CHECK(std::isnan(maximum(1.0, kNaN)));
  CHECK(std::isnan(minimum(kNaN, 1.0)));
  CHECK(std::isnan(minimum(1.0, kNaN)));
  CHECK(maximum(-kInf, 2.0) == 2.0);
  CHECK(minimum(-kInf, 2.0) == -kInf);
  CHECK(!std::signbit(maximum(-0.0, 0.0)));  // a tie gives the second operand
  CHECK(std::signbit(maximum(0.0, -0.0)));
  CHECK(sign(kNaN) == 0.0);  // torch 1.13's sign(nan)
  CHECK(sign(-0.0) == 0.0);
  CHECK(gelu_erf_argument(1e75) == kErfSaturation);
  CHECK(gelu_erf_argument(-kInf) == -kErfSaturation);
  CHECK(gelu_erf_argument(kNaN) == 0.0);  // gelu is NaN through its factor x; erf never sees NaN
  CHECK(gelu_erf_argument(1.0) == 0.70710678118654752440);
  // erf really is +-1 at the clamp, in both precisions.
  CHECK(std::erf(kErfSaturation) == 1.0);
  CHECK(std::erf(static_cast<float>(kErfSaturation)) == 1.0f);
}

TEST_CASE("special values: arg_beats gives the same answer in any combination order",
          "[tensor][special]") {
  // Values with NaNs and ties; the answer of PyTorch's argmax is the first NaN (index 2), of a
  // NaN-free slice the first maximum.
  const std::vector<double> x = {1.0, 3.0, kNaN, 3.0, kNaN, -kInf, 3.0};
  struct Best {
    double value;
    std::int64_t index;
  };
  auto pick = [](bool want_max, Best a, Best b) {
    return special::arg_beats(want_max, b.value, b.index, a.value, a.index) ? b : a;
  };
  for (bool want_max : {true, false}) {
    // A sequential scan, a pairwise tree and a reversed scan.
    Best scan{x[0], 0};
    for (std::size_t i = 1; i < x.size(); ++i)
      scan = pick(want_max, scan, {x[i], static_cast<std::int64_t>(i)});
    std::vector<Best> level;
    for (std::size_t i = 0; i < x.size(); ++i)
      level.push_back({x[i], static_cast<std::int64_t>(i)});
    while (level.size() > 1) {
      std::vector<Best> next;
      for (std::size_t i = 0; i + 1 < level.size(); i += 2)
        next.push_back(pick(want_max, level[i + 1], level[i]));
      if (level.size() % 2) next.push_back(level.back());
      level = next;
    }
    Best reversed{x.back(), static_cast<std::int64_t>(x.size() - 1)};
    for (std::size_t i = x.size() - 1; i-- > 0;)
      reversed = pick(want_max, reversed, {x[i], static_cast<std::int64_t>(i)});
    CHECK(scan.index == 2);
    CHECK(level[0].index == 2);
    CHECK(reversed.index == 2);
  }
  // Without NaN: the first extremum.
  CHECK(special::arg_beats(true, 3.0, 1, 1.0, 0));
  CHECK_FALSE(special::arg_beats(true, 3.0, 3, 3.0, 1));
  CHECK(special::arg_beats(true, 3.0, 1, 3.0, 3));
  CHECK(special::arg_beats(false, -kInf, 5, 1.0, 0));
}

TEST_CASE("special values: exp and log keep subnormals", "[tensor][special]") {
  // torch: exp(-720) = 2.0322308024e-313, exp(-745) = 5e-324, log(1e-310) = -713.8013788281542,
  // log(1e-320) = -736.8272408909739 (float64); exp(-100) = 3.783506e-44, exp(88.5) =
  // 2.723088e+38, log(1e-40) = -92.10340 (float32).
  check_values(
      exp(tensor({-720.0, -745.0, -746.0, 709.5, 710.0, -kInf, kInf, kNaN}, DType::float64)),
      {2.0322308024e-313, 5e-324, 0.0, 1.3549863193146328e308, kInf, 0.0, kInf, kNaN}, 1e-10);
  check_values(log(tensor({1e-310, 1e-320, 0.0, -0.0, -1.0, kInf, kNaN}, DType::float64)),
               {-713.8013788281542, -736.8272408909739, -kInf, -kInf, kNaN, kInf, kNaN});
  check_values(exp(tensor({-100.0, 88.5, -103.0, -104.0}, DType::float32)),
               {3.783505853677006e-44, 2.7230880e38, 1.401298464324817e-45, 0.0}, 1e-6);
  check_values(log(tensor({1e-40}, DType::float32)), {-92.10340881347656}, 1e-6);
  // Every lane of a long vector: the subnormal lanes next to normal ones.
  const std::vector<double> x = repeated({-720.0, 0.0, 1e-310, -1.0, 2.0});
  const std::vector<double> e = exp(from_vector(x, {53}, DType::float64)).to_vector<double>();
  const std::vector<double> l = log(from_vector(x, {53}, DType::float64)).to_vector<double>();
  for (std::size_t i = 0; i < x.size(); ++i) {
    INFO("element " << i << " = " << x[i]);
    CHECK(same_value(e[i], std::exp(x[i]), 4e-16));
    CHECK(same_value(l[i], std::log(x[i]), 4e-16));
  }
  // sigmoid goes through the same exp: sigmoid(-88.5) in float32 is 3.672302e-39 (torch).
  check_values(sigmoid(tensor({-88.5}, DType::float32)), {3.6723016e-39}, 1e-6);
}

TEST_CASE("special values: pow at its edges, values and gradients as torch.pow",
          "[tensor][special]") {
  // torch.pow(a, b) with a, b = torch.tensor(..., requires_grad=True): value, a.grad, b.grad.
  struct Row {
    double a, b, value, grad_a, grad_b;
  };
  const double tiny = 1e-310;
  const std::vector<Row> rows = {
      {0.0, 0.0, 1.0, 0.0, 0.0},       {0.0, 1.0, 0.0, 1.0, 0.0},
      {0.0, -1.0, kInf, -kInf, -kInf}, {-0.0, -1.0, -kInf, -kInf, kInf},
      {0.0, 0.5, 0.0, kInf, 0.0},      {0.0, 2.0, 0.0, 0.0, 0.0},
      {kInf, 0.0, 1.0, 0.0, kInf},     {kNaN, 0.0, 1.0, 0.0, kNaN},
      {1.0, kInf, 1.0, kInf, 0.0},     {1.0, kNaN, 1.0, kNaN, 0.0},
      {-1.0, kInf, 1.0, kInf, kNaN},   {-2.0, 0.5, kNaN, kNaN, kNaN},
      {-2.0, 3.0, -8.0, 12.0, kNaN},   {2.0, -kInf, 0.0, kNaN, 0.0},
      {-0.0, 3.0, -0.0, 0.0, 0.0},     {tiny, 0.5, 1e-155, 5e154, -7.138013788281531e-153},
  };
  for (DType dtype : {DType::float64, DType::float32}) {
    for (const Row& r : rows) {
      if (dtype == DType::float32 && r.a == tiny) continue;  // 1e-310 is 0 in float32
      INFO(dtype_name(dtype) << " pow(" << r.a << ", " << r.b << ")");
      // torch's own pow(1e-310, 0.5) is 9.999999999999986e-156; the exact root is 1e-155.
      const double rel = 1e-14;
      const Tensor a = tensor({r.a}, dtype).set_requires_grad();
      const Tensor b = tensor({r.b}, dtype).set_requires_grad();
      const Tensor z = pow(a, b);
      z.backward(ones_like(z));
      CHECK(same_value(z.item(), r.value, rel));
      CHECK(same_value(a.grad().item(), r.grad_a, rel));
      CHECK(same_value(b.grad().item(), r.grad_b, rel));
    }
  }
  // The cases with a number exponent: x ** 0.5 has slope inf at 0, x ** 0 slope 0.
  const Tensor x = tensor({0.0, 1e-310}, DType::float64).set_requires_grad();
  sum(pow(x, 0.5)).backward();
  check_values(x.grad(), {kInf, 5e154}, 1e-14);
  const Tensor w = tensor({0.0, -0.0, kInf, kNaN}, DType::float64).set_requires_grad();
  const Tensor one = pow(w, 0.0);
  sum(one).backward();
  check_values(one, {1.0, 1.0, 1.0, 1.0});
  check_values(w.grad(), {0.0, 0.0, 0.0, 0.0});
  // A broadcast exponent's vector forms (2, 1, 0, -1, 0.5), the element-by-element path (a full
  // exponent tensor, or a strided base) and C99's pow agree bit for bit.
  const std::vector<double> v = repeated({0.0, -0.0, -kInf, kInf, kNaN, 2.5, -3.0, 1e-310, 7.0});
  std::vector<double> twice = v;
  twice.insert(twice.end(), v.begin(), v.end());
  const Tensor base = from_vector(v, {53}, DType::float64);
  const Tensor strided = transpose(from_vector(twice, {2, 53}, DType::float64), 0, 1);  // (53, 2)
  for (double k : {2.0, 1.0, 0.0, -1.0, 0.5, 3.0}) {
    INFO("exponent " << k);
    const std::vector<double> fast = pow(base, k).to_vector<double>();
    const std::vector<double> general = pow(base, full_like(base, k)).to_vector<double>();
    const std::vector<double> walked = pow(strided, k).to_vector<double>();
    for (std::size_t i = 0; i < v.size(); ++i) {
      INFO("base " << v[i]);
      CHECK(same_value(fast[i], general[i], 0.0));
      CHECK(same_value(fast[i], walked[2 * i], 0.0));
      CHECK(same_value(fast[i], walked[2 * i + 1], 0.0));
      CHECK(same_value(fast[i], std::pow(v[i], k), 4e-16));  // within an ulp of libm
    }
  }
}

TEST_CASE("special values: relu, maximum, minimum and clamp keep NaN", "[tensor][special]") {
  for (DType dtype : {DType::float32, DType::float64}) {
    INFO(dtype_name(dtype));
    const Tensor x = leaf(repeated({kNaN, -0.0, 0.0, -1.0, 2.0}), dtype);
    const Tensor y = relu(x);
    sum(y).backward();
    check_values(y, repeated({kNaN, -0.0, 0.0, 0.0, 2.0}));
    check_values(x.grad(), repeated({1.0, 0.0, 0.0, 0.0, 1.0}));  // torch: 1 at NaN, 0 at 0

    // torch.maximum([nan, 1, 1, 2, nan], [0, nan, 1, 1, nan]) and its gradients.
    const Tensor a = leaf({kNaN, 1.0, 1.0, 2.0, kNaN}, dtype);
    const Tensor b = leaf({0.0, kNaN, 1.0, 1.0, kNaN}, dtype);
    const Tensor m = maximum(a, b);
    sum(m).backward();
    check_values(m, {kNaN, kNaN, 1.0, 2.0, kNaN});
    check_values(a.grad(), {1.0, 1.0, 0.5, 1.0, 1.0});
    check_values(b.grad(), {1.0, 1.0, 0.5, 0.0, 1.0});
    const Tensor c = leaf({kNaN, 1.0, 1.0, 2.0, kNaN}, dtype);
    const Tensor d = leaf({0.0, kNaN, 1.0, 1.0, kNaN}, dtype);
    const Tensor n = minimum(c, d);
    sum(n).backward();
    check_values(n, {kNaN, kNaN, 1.0, 1.0, kNaN});
    check_values(c.grad(), {1.0, 1.0, 0.5, 0.0, 1.0});
    check_values(d.grad(), {1.0, 1.0, 0.5, 1.0, 1.0});

    // torch.clamp(x, 0, 1): NaN stays NaN with gradient 0; both bounds pass the gradient.
    const Tensor z = leaf({kNaN, -kInf, -1.0, 0.0, 0.5, 1.0, 2.0, kInf}, dtype);
    const Tensor cz = clamp(z, 0.0, 1.0);
    sum(cz).backward();
    check_values(cz, {kNaN, 0.0, 0.0, 0.0, 0.5, 1.0, 1.0, 1.0});
    check_values(z.grad(), {0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0, 0.0});
  }
}

TEST_CASE("special values: gelu at huge and infinite arguments", "[tensor][special]") {
  // torch float64: gelu(1e75) = 1e75, gelu(-1e75) = -0, gelu(inf) = inf, gelu(-inf) = nan;
  // gradients 1, 0, nan, nan.
  const Tensor x = leaf({1e75, -1e75, 1e300, kInf, -kInf, kNaN, -0.0}, DType::float64);
  const Tensor y = gelu(x);
  sum(y).backward();
  check_values(y, {1e75, -0.0, 1e300, kInf, kNaN, kNaN, -0.0});
  check_values(x.grad(), {1.0, 0.0, 1.0, kNaN, kNaN, kNaN, 0.5});
}

TEST_CASE("special values: max, min, argmax and argmin see NaN", "[tensor][special]") {
  for (DType dtype : {DType::float32, DType::float64}) {
    INFO(dtype_name(dtype));
    const Tensor x = tensor({1.0, kNaN, 3.0}, dtype);
    CHECK(std::isnan(max(x).item()));
    CHECK(std::isnan(min(x).item()));
    CHECK(argmax(x).item() == 1.0);
    CHECK(argmin(x).item() == 1.0);
    CHECK(argmax(tensor({1.0, kNaN, 3.0, kNaN}, dtype)).item() == 1.0);
    CHECK(argmax(tensor({1.0, 3.0, 3.0}, dtype)).item() == 1.0);  // the first of a tie

    // Every reduction walk: a long contiguous run (SIMD reduce), rows (SIMD accumulate), a
    // strided run (the generic loop), with the NaN in the vector body, in the tail and first.
    for (std::int64_t at : {0, 37, 998, 999}) {
      INFO("NaN at " << at);
      std::vector<double> v(2000, 1.0);
      v[static_cast<std::size_t>(at)] = kNaN;
      v[1000] = 5.0;
      const Tensor m = from_vector(v, {2, 1000}, dtype);  // row 0 has the NaN
      check_values(max(m, {1}), {kNaN, 5.0});
      check_values(min(m, {1}), {kNaN, 1.0});
      const Tensor t = transpose(m, 0, 1);  // (1000, 2): rows walk over dim 0
      check_values(max(t, {0}), {kNaN, 5.0});
      check_values(max(contiguous(t), {0}), {kNaN, 5.0});
      check_values(argmax(m, 1), {static_cast<double>(at), 0.0});
      check_values(argmin(t, 0), {static_cast<double>(at), 1.0});
      CHECK(std::isnan(max(m).item()));
    }
  }
  // The gradient: split among ties (torch.amax), among the NaNs of a NaN slice (torch.max()).
  const Tensor ties = leaf({1.0, 3.0, 3.0, 2.0}, DType::float64);
  max(ties).backward();
  check_values(ties.grad(), {0.0, 0.5, 0.5, 0.0});
  const Tensor nans = leaf({1.0, kNaN, 3.0, kNaN}, DType::float64);
  max(nans).backward();
  check_values(nans.grad(), {0.0, 0.5, 0.0, 0.5});
}

TEST_CASE("special values: comparisons at NaN", "[tensor][special]") {
  for (DType dtype : {DType::float32, DType::float64}) {
    INFO(dtype_name(dtype));
    const Tensor a = from_vector(repeated({kNaN, kNaN, 1.0, 1.0}), {53}, dtype);
    const Tensor b = from_vector(repeated({kNaN, 1.0, kNaN, 1.0}), {53}, dtype);
    check_values(ne(a, b), repeated({1.0, 1.0, 1.0, 0.0}));  // torch: nan != x is True
    check_values(eq(a, b), repeated({0.0, 0.0, 0.0, 1.0}));
  }
}

TEST_CASE("special values: softmax of broken lines is NaN, as in torch", "[tensor][special]") {
  const Tensor all_nan = softmax(tensor({1.0, kInf, kInf}, DType::float64), 0);
  check_values(all_nan, {kNaN, kNaN, kNaN});  // was [0, nan, nan]
  check_values(log_softmax(tensor({kInf, 1.0}, DType::float64), 0), {kNaN, kNaN});
  check_values(softmax(tensor({-kInf, -kInf}, DType::float64), 0), {kNaN, kNaN});
  check_values(softmax(tensor({kNaN, 1.0}, DType::float32), 0), {kNaN, kNaN});
  check_values(softmax(tensor({-kInf, 1.0}, DType::float64), 0), {0.0, 1.0});
  check_values(log_softmax(tensor({-kInf, 1.0}, DType::float64), 0), {-kInf, 0.0});
  check_values(softmax(tensor({0.0, -720.0}, DType::float64), 0), {1.0, 2.0322308024e-313}, 1e-10);
  // cross_entropy: torch gives NaN for an infinite or NaN row, inf for a -inf target logit, and
  // -0 for a sure sample.
  const Tensor target = from_vector(std::vector<std::int64_t>{0, 0, 1}, {3}, DType::int64);
  const Tensor logits =
      tensor({kInf, 1.0, -kInf, 1.0, -kInf, 1.0}, {3, 2}, DType::float64).set_requires_grad();
  const Tensor loss = cross_entropy(logits, target, Reduction::none);
  sum(loss).backward();
  check_values(loss, {kNaN, kInf, -0.0});
  check_values(logits.grad(), {kNaN, kNaN, -1.0, 1.0, 0.0, 0.0});
}

}  // namespace
}  // namespace kindling
