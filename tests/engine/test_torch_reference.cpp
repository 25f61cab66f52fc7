// Values and gradients of whole expressions against PyTorch (float64). The reference numbers come
// from tests/reference/value_reference.py, which builds the same expressions with torch.
#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>

#include "kindling/engine/value.hpp"

using kindling::Value;

namespace {
nlohmann::json load_reference() {
  std::ifstream file(std::string(KINDLING_TEST_DATA_DIR) + "/value_reference.json");
  REQUIRE(file.good());
  return nlohmann::json::parse(file);
}
}  // namespace

TEST_CASE("micrograd's sanity check matches PyTorch", "[torch]") {
  const auto ref = load_reference()["sanity"];
  Value x(-4.0);
  Value z = 2.0 * x + 2.0 + x;
  Value q = z.relu() + z * x;
  Value h = (z * z).relu();
  Value y = h + q + q * x;
  y.backward();
  CHECK(y.data() == Approx(ref["y"].get<double>()).epsilon(1e-12));
  CHECK(x.grad() == Approx(ref["x_grad"].get<double>()).epsilon(1e-12));
}

TEST_CASE("micrograd's more-ops expression matches PyTorch", "[torch]") {
  const auto ref = load_reference()["more_ops"];
  Value a(-4.0), b(2.0);
  Value c = a + b;
  Value d = a * b + b.pow(3.0);
  c += c + 1.0;
  c += 1.0 + c + (-a);
  d += d * 2.0 + (b + a).relu();
  d += 3.0 * d + (b - a).relu();
  Value e = c - d;
  Value f = e.pow(2.0);
  Value g = f / 2.0;
  g += 10.0 / f;
  g.backward();
  CHECK(g.data() == Approx(ref["g"].get<double>()).epsilon(1e-12));
  CHECK(a.grad() == Approx(ref["a_grad"].get<double>()).epsilon(1e-12));
  CHECK(b.grad() == Approx(ref["b_grad"].get<double>()).epsilon(1e-12));
}

TEST_CASE("the tanh neuron matches PyTorch", "[torch]") {
  const auto ref = load_reference()["neuron"];
  Value x1(2.0), x2(0.0), w1(-3.0), w2(1.0), b(6.8813735870195432);
  Value o = (x1 * w1 + x2 * w2 + b).tanh();
  o.backward();
  CHECK(o.data() == Approx(ref["o"].get<double>()).epsilon(1e-12));
  CHECK(x1.grad() == Approx(ref["x1_grad"].get<double>()).epsilon(1e-12));
  CHECK(x2.grad() == Approx(ref["x2_grad"].get<double>()).epsilon(1e-12));
  CHECK(w1.grad() == Approx(ref["w1_grad"].get<double>()).epsilon(1e-12));
  CHECK(w2.grad() == Approx(ref["w2_grad"].get<double>()).margin(1e-15));
  CHECK(b.grad() == Approx(ref["b_grad"].get<double>()).epsilon(1e-12));
}

TEST_CASE("a mix of every unary op matches PyTorch", "[torch]") {
  const auto ref = load_reference()["unary_mix"];
  Value a(0.8), b(-1.7);
  Value s = (a * b).sigmoid();
  Value t = (b / 3.0).exp() - (a + 2.0).log();
  Value u = (s + t).pow(3.0) / (1.0 + a.pow(2.0));
  Value v = -u + b.tanh() * s;
  v.backward();
  CHECK(v.data() == Approx(ref["v"].get<double>()).epsilon(1e-12));
  CHECK(a.grad() == Approx(ref["a_grad"].get<double>()).epsilon(1e-12));
  CHECK(b.grad() == Approx(ref["b_grad"].get<double>()).epsilon(1e-12));
}
