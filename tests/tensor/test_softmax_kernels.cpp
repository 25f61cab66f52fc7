// The softmax, log_softmax and cross-entropy kernels (KernelTable::softmax, cross_entropy and
// their backwards) against the composite definitions built from other primitives, on inputs the
// op table does not cover: strided lines, long lines that run in parallel, extreme values, bad
// targets. The composites are an independent reference: they share no code with the kernels.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <vector>

#include "kindling/tensor.hpp"

namespace kindling {
namespace {

// The definitions, from primitives only.
Tensor softmax_reference(const Tensor& x, std::int64_t axis) {
  const Tensor e = exp(x - max(x.detach(), {axis}, true));
  return e / sum(e, {axis}, true);
}
Tensor log_softmax_reference(const Tensor& x, std::int64_t axis) {
  return x - logsumexp(x, {axis}, true);
}
Tensor cross_entropy_reference(const Tensor& z, const Tensor& t) {
  return neg(reshape(gather(log_softmax_reference(z, 1), 1, unsqueeze(t, 1)), {z.shape()[0]}));
}

void check_close(const Tensor& a, const Tensor& b, double tol) {
  REQUIRE(a.shape() == b.shape());
  const std::vector<double> x = a.to_vector<double>(), y = b.to_vector<double>();
  for (std::size_t i = 0; i < x.size(); ++i) {
    INFO("element " << i);
    CHECK(std::abs(x[i] - y[i]) <= tol * (1.0 + std::abs(y[i])));
  }
}

// Value and input gradient of fn against ref on the same input, with a fixed upstream weight.
template <class Fn, class Ref>
void check_value_and_grad(const Tensor& input, Fn fn, Ref ref, double tol) {
  Generator gen(7);
  const Tensor x1 = input.detach().set_requires_grad();
  const Tensor x2 = input.detach().set_requires_grad();
  const Tensor y1 = fn(x1), y2 = ref(x2);
  check_close(y1, y2, tol);
  const Tensor w = randn(y1.shape(), gen, y1.dtype());
  sum(y1 * w).backward();
  sum(y2 * w).backward();
  check_close(x1.grad(), x2.grad(), tol);
}

TEST_CASE("softmax kernels: every axis of a strided input", "[tensor][softmax]") {
  Generator gen(11);
  // A transposed view: lines along either axis are strided in memory.
  const Tensor base = randn({6, 9, 4}, gen, DType::float64);
  const Tensor x = permute(base, {2, 0, 1});
  REQUIRE_FALSE(x.is_contiguous());
  for (std::int64_t axis = 0; axis < 3; ++axis) {
    INFO("axis " << axis);
    check_value_and_grad(
        x, [&](const Tensor& t) { return softmax(t, axis); },
        [&](const Tensor& t) { return softmax_reference(t, axis); }, 1e-12);
    check_value_and_grad(
        x, [&](const Tensor& t) { return log_softmax(t, axis); },
        [&](const Tensor& t) { return log_softmax_reference(t, axis); }, 1e-12);
  }
}

TEST_CASE("softmax kernels: long lines run in parallel and match", "[tensor][softmax]") {
  Generator gen(12);
  // 64 lines of 2000: above the parallel threshold, and longer than one SIMD block.
  const Tensor x = randn({64, 2000}, gen) * 4.0;
  check_value_and_grad(
      x, [](const Tensor& t) { return softmax(t, 1); },
      [](const Tensor& t) { return softmax_reference(t, 1); }, 1e-5);
  check_value_and_grad(
      x, [](const Tensor& t) { return log_softmax(t, 0); },
      [](const Tensor& t) { return log_softmax_reference(t, 0); }, 1e-5);
  const Tensor rows = sum(softmax(x, 1), {1});
  check_close(rows, ones({64}), 1e-5);
}

TEST_CASE("softmax kernels: large and infinite inputs", "[tensor][softmax]") {
  const double inf = std::numeric_limits<double>::infinity();
  // exp(1000) overflows; the max shift keeps every result finite.
  const Tensor big = tensor({1000.0, 999.0, -1000.0}, DType::float64);
  check_close(softmax(big, 0), softmax_reference(big, 0), 1e-12);
  check_close(
      log_softmax(big, 0),
      tensor({-0.31326168751822286, -1.3132616875182228, -2000.3132616875183}, DType::float64),
      1e-12);
  // A -inf logit has probability 0 and log-probability -inf, as in PyTorch.
  const Tensor masked = tensor({0.0, -inf, 0.0}, DType::float64);
  const std::vector<double> p = softmax(masked, 0).to_vector<double>();
  CHECK(p == std::vector<double>{0.5, 0.0, 0.5});
  const std::vector<double> lp = log_softmax(masked, 0).to_vector<double>();
  CHECK(lp[0] == Approx(std::log(0.5)));
  CHECK(lp[1] == -inf);
  // A 0-d tensor is a line of one: softmax 1, log_softmax 0.
  CHECK(softmax(scalar_tensor(3.0), 0).item() == 1.0);
  CHECK(log_softmax(scalar_tensor(3.0)).item() == 0.0);
  // Empty tensors give empty results.
  CHECK(softmax(zeros({0, 3}), 1).numel() == 0);
  CHECK_THROWS_WITH(softmax(arange(3), 0), Catch::Contains("softmax: needs a floating-point"));
  CHECK_THROWS_WITH(log_softmax(zeros({2, 3}), 2), Catch::Contains("log_softmax"));
}

TEST_CASE("cross-entropy kernel: value and grad against the composite", "[tensor][softmax]") {
  Generator gen(13);
  const Tensor target = randint(0, 10, {37}, gen);
  // Contiguous and transposed logits, float32 and float64.
  for (DType dtype : {DType::float32, DType::float64}) {
    const double tol = dtype == DType::float32 ? 1e-5 : 1e-12;
    const Tensor z = randn({37, 10}, gen, dtype) * 3.0;
    const Tensor zt = transpose(randn({10, 37}, gen, dtype), 0, 1);
    for (const Tensor& logits : {z, zt}) {
      check_value_and_grad(
          logits, [&](const Tensor& t) { return cross_entropy(t, target, Reduction::none); },
          [&](const Tensor& t) { return cross_entropy_reference(t, target); }, tol);
      // mean and sum, reduced inside the kernel: every sample gets the same upstream grad
      // through a stride-0 view, scaled by 1/n for the mean.
      check_value_and_grad(
          logits, [&](const Tensor& t) { return cross_entropy(t, target); },
          [&](const Tensor& t) { return mean(cross_entropy_reference(t, target)); }, tol);
      check_value_and_grad(
          logits, [&](const Tensor& t) { return cross_entropy(t, target, Reduction::sum); },
          [&](const Tensor& t) { return sum(cross_entropy_reference(t, target)); }, tol);
    }
  }
  // One sample given as 1-D logits and a 0-d target, as in PyTorch.
  const Tensor one = tensor({0.5, -1.0, 2.0}, DType::float64);
  const Tensor loss = cross_entropy(one, from_vector(std::vector<std::int64_t>{2}, {}));
  CHECK(loss.dim() == 0);
  CHECK(loss.item() == Approx(std::log(std::exp(0.5) + std::exp(-1.0) + std::exp(2.0)) - 2.0));
}

TEST_CASE("cross-entropy kernel: a large batch's mean and its gradient", "[tensor][softmax]") {
  Generator gen(14);
  const Tensor target = randint(0, 600, {2000}, gen);
  const Tensor logits = randn({2000, 600}, gen, DType::float64);
  check_value_and_grad(
      logits, [&](const Tensor& t) { return cross_entropy(t, target); },
      [&](const Tensor& t) { return mean(cross_entropy_reference(t, target)); }, 1e-12);
}

TEST_CASE("cross-entropy kernel: bad targets are errors naming the sample", "[tensor][softmax]") {
  const Tensor logits = zeros({3, 4});
  const auto targets = [](std::vector<std::int64_t> v) { return from_vector(v, {3}); };
  CHECK_THROWS_WITH(cross_entropy(logits, targets({0, 7, 1})),
                    Catch::Contains("cross_entropy: target 7 of sample 1 is out of range for 4 "
                                    "classes"));
  CHECK_THROWS_WITH(cross_entropy(logits, targets({-1, 0, 1})),
                    Catch::Contains("target -1 of sample 0"));
  CHECK_THROWS_WITH(cross_entropy(logits, from_vector(std::vector<std::int64_t>{0, 1}, {2})),
                    Catch::Contains("expected (N, C) and (N,)"));
  CHECK_THROWS_WITH(cross_entropy(arange(6), targets({0, 1, 2})),
                    Catch::Contains("cross_entropy: logits must be floating-point"));
  // An empty batch sums to zero loss; its mean is NaN, as in PyTorch.
  const Tensor no_targets = from_vector(std::vector<std::int64_t>{}, {0});
  CHECK(cross_entropy(zeros({0, 4}), no_targets, Reduction::sum).item() == 0.0);
  CHECK(std::isnan(cross_entropy(zeros({0, 4}), no_targets).item()));
  CHECK(cross_entropy(zeros({0, 4}), no_targets, Reduction::none).numel() == 0);
}

}  // namespace
}  // namespace kindling
