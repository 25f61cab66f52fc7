// One name, one meaning across the library's surfaces: cross_entropy is one function whichever
// namespaces are open, zero_grad means the same for Value and Tensor (Note [zero_grad] in
// engine/value.hpp), and the anomaly switch has torch's name.
#include <catch2/catch.hpp>

#include "kindling/engine/grad_mode.hpp"
#include "kindling/engine/value.hpp"
#include "kindling/nn.hpp"
#include "kindling/tensor.hpp"

namespace {

using namespace kindling;      // NOLINT(google-build-using-namespace)
using namespace kindling::nn;  // NOLINT(google-build-using-namespace)

// Logits (2, 3) and targets (2,): softmax row 0 = e^(0,1,2)/sum, target 2; row 1 uniform.
Tensor logits() {
  return from_vector<double>({0.0, 1.0, 2.0, 0.5, 0.5, 0.5}, {2, 3}, DType::float64);
}
Tensor targets() {
  return from_vector<std::int64_t>({2, 0}, {2});
}

}  // namespace

// This compiles only while the unqualified call names one function under both using-directives
// (it was ambiguous with kindling::cross_entropy and nn::cross_entropy both declared).
TEST_CASE("cross_entropy is one function under both using-directives", "[nn][surfaces]") {
  const Tensor z = logits();
  const Tensor t = targets();
  // l0 = log(1 + e + e^2) - 2, l1 = log 3; hand-computed.
  const double l0 = std::log(1.0 + std::exp(1.0) + std::exp(2.0)) - 2.0;
  const double l1 = std::log(3.0);
  CHECK(cross_entropy(z, t).item() == Approx((l0 + l1) / 2).epsilon(1e-14));
  CHECK(cross_entropy(z, t, Reduction::sum).item() == Approx(l0 + l1).epsilon(1e-14));
  CHECK(kindling::cross_entropy(z, t).item() == nn::cross_entropy(z, t).item());
  // Smoothing e: (1 - e) l_i + e * mean_c(-logp_i[c]); for row 1 both terms are log 3.
  const double e = 0.25;
  const double m0 = std::log(1.0 + std::exp(1.0) + std::exp(2.0)) - 1.0;  // -mean_c logp_0[c]
  CHECK(cross_entropy(z, t, Reduction::none, e).to_vector<double>()[0] ==
        Approx((1 - e) * l0 + e * m0).epsilon(1e-14));
  CHECK(cross_entropy(z, t, Reduction::mean, e).item() ==
        Approx(((1 - e) * l0 + e * m0 + l1) / 2).epsilon(1e-14));
  // One (C,) row and a () target, smoothed or not, as torch.
  const Tensor row = from_vector<double>({0.0, 1.0, 2.0}, {3}, DType::float64);
  const Tensor two = from_vector<std::int64_t>({2}, {});
  CHECK(cross_entropy(row, two, Reduction::none).dim() == 0);
  CHECK(cross_entropy(row, two, Reduction::none, e).dim() == 0);
  CHECK(cross_entropy(row, two, Reduction::none, e).item() ==
        Approx((1 - e) * l0 + e * m0).epsilon(1e-14));
  CHECK_THROWS_WITH(cross_entropy(z, t, Reduction::mean, 1.5),
                    Catch::Contains("cross_entropy: label_smoothing must be in [0, 1], got 1.5"));
}

TEST_CASE("zero_grad means the same for Value and Tensor", "[nn][surfaces]") {
  SECTION("Value: the next backward starts from nothing, and the grad reads 0") {
    const Value a(3.0);
    Value y = a * a;  // dy/da = 2a = 6
    y.backward();
    y.backward();  // leaves accumulate: 12
    CHECK(a.grad() == 12.0);
    a.zero_grad();  // const: a Value is a handle
    CHECK(a.grad() == 0.0);
    y.backward();
    CHECK(a.grad() == 6.0);
  }
  SECTION("Tensor: the next backward starts from nothing, and grad() is undefined") {
    const Tensor a = scalar_tensor(3.0, DType::float64).set_requires_grad();
    const Tensor y = a * a;
    y.backward({}, true);
    y.backward({}, true);
    CHECK(a.grad().item() == 12.0);
    a.zero_grad();
    CHECK_FALSE(a.grad().defined());
    y.backward({}, true);
    CHECK(a.grad().item() == 6.0);
  }
}

TEST_CASE("anomaly mode has torch's names", "[nn][surfaces]") {
  CHECK_FALSE(is_anomaly_enabled());
  {
    const detect_anomaly on;
    CHECK(is_anomaly_enabled());
    const Tensor x = from_vector<double>({-1.0}, {1}, DType::float64);
    CHECK_THROWS_WITH(log(x), Catch::Contains("log"));
    // sqrt at 0 is finite forward and infinite backward (1 / (2 sqrt 0)): the step is named, and
    // the message says the upstream gradient it was handed was finite.
    const Tensor z = scalar_tensor(0.0, DType::float64).set_requires_grad();
    CHECK_THROWS_WITH(
        sqrt(z).backward(),
        Catch::Contains("backward of sqrt: gradient of input 0") &&
            Catch::Contains("is not finite although the upstream gradient is finite"));
  }
  CHECK_FALSE(is_anomaly_enabled());
  set_anomaly_enabled(true);
  CHECK(is_anomaly_enabled());
  set_anomaly_enabled(false);
}
