// Composite expressions against PyTorch: tests/reference/tensor_reference.py evaluated each one
// with torch in float64 and stored inputs, outputs and the gradients of sum(output) in
// tests/data/tensor_reference.json; kindling rebuilds the same expressions here.
#include <catch2/catch.hpp>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>

#include "kindling/tensor.hpp"

namespace kindling {
namespace {

using Inputs = std::map<std::string, Tensor>;
using Expression = std::function<Tensor(const Inputs&)>;

// The same expressions as tensor_reference.py, by name.
const std::map<std::string, Expression>& expressions() {
  static const std::map<std::string, Expression> table = {
      {"mlp_cross_entropy",
       [](const Inputs& in) {
         return cross_entropy(
             matmul(relu(matmul(in.at("x"), in.at("w1")) + in.at("b1")), in.at("w2")), in.at("t"));
       }},
      {"softmax_weighted",
       [](const Inputs& in) { return sum(softmax(in.at("x"), 1) * in.at("y"), {0}); }},
      {"logsumexp_var",
       [](const Inputs& in) { return logsumexp(in.at("x"), {1}) + var(in.at("x"), {1}); }},
      {"gelu_tanh_sigmoid",
       [](const Inputs& in) {
         const Tensor &x = in.at("x"), &y = in.at("y");
         return gelu(x) * tanh(y) + sigmoid(x * y);
       }},
      {"broadcast_div_pow",
       [](const Inputs& in) { return pow(in.at("a") / (abs(in.at("b")) + 1.0), 2.0); }},
      {"batched_matmul_max",
       [](const Inputs& in) { return max(matmul(in.at("a"), in.at("b")), {-1}); }},
      {"gather_concat",
       [](const Inputs& in) {
         return gather(concat({in.at("x"), in.at("y")}, 0), 1, in.at("i"));
       }},
      {"clamp_where",
       [](const Inputs& in) {
         const Tensor& x = in.at("x");
         return where(x > 0.0, clamp(x, -0.5, 0.5), exp(x));
       }},
      {"std_min_mean",
       [](const Inputs& in) {
         const Tensor& x = in.at("x");
         return stddev(x, {0}) + mean(min(x, {1})) + mean(x);
       }},
      {"log_softmax_pick",
       [](const Inputs& in) { return index_select(log_softmax(in.at("x"), 1), 1, in.at("i")); }},
      {"sqrt_log_stack",
       [](const Inputs& in) {
         const Tensor &p = in.at("p"), &q = in.at("q");
         return stack({sqrt(p), log(q), p.transpose(0, 1).reshape({2, 3})}, 1);
       }},
      {"matvec_minimum",
       [](const Inputs& in) {
         const Tensor &m = in.at("m"), &v = in.at("v"), &c = in.at("c");
         return minimum(matmul(m, v), c) - maximum(c, scalar_tensor(0.1, DType::float64));
       }},
  };
  return table;
}

Tensor from_json(const nlohmann::json& j) {
  const Shape shape = j.at("shape").get<Shape>();
  if (j.at("dtype") == "int64")
    return from_vector(j.at("data").get<std::vector<std::int64_t>>(), shape);
  return from_vector(j.at("data").get<std::vector<double>>(), shape).set_requires_grad();
}

void check_close(const std::vector<double>& got, const std::vector<double>& expected) {
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i);
    CHECK(got[i] == Approx(expected[i]).epsilon(1e-10).margin(1e-12));
  }
}

TEST_CASE("composite expressions match PyTorch (values and gradients)", "[tensor][torch]") {
  std::ifstream file(std::string(KINDLING_TEST_DATA_DIR) + "/tensor_reference.json");
  REQUIRE(file.good());
  const nlohmann::json data = nlohmann::json::parse(file);
  const auto& cases = data.at("cases");
  CHECK(cases.size() == expressions().size());
  for (const auto& [name, entry] : cases.items()) {
    INFO("case " << name);
    REQUIRE(expressions().count(name) == 1);
    Inputs inputs;
    for (const auto& [key, j] : entry.at("inputs").items())
      inputs[key] = from_json(j);
    const Tensor out = expressions().at(name)(inputs);
    CHECK(out.shape() == entry.at("output").at("shape").get<Shape>());
    check_close(out.to_vector<double>(), entry.at("output").at("data").get<std::vector<double>>());
    sum(out).backward();
    for (const auto& [key, grad] : entry.at("grads").items()) {
      INFO("gradient of " << key);
      REQUIRE(inputs.at(key).grad().defined());
      check_close(inputs.at(key).grad().to_vector<double>(), grad.get<std::vector<double>>());
    }
  }
}

}  // namespace
}  // namespace kindling
