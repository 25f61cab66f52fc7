// Forward mode (kindling/tensor/forward_ad.hpp, Note [forward mode]): every row of the op table
// carries a tangent, checked against reverse mode (J v from one backward pass per output element)
// and central differences, and every primitive's jvp rule is run by the table; then the dual API's
// rules and errors.
#include <catch2/catch.hpp>
#include <cmath>

#include "kindling/tensor/forward_ad.hpp"
#include "op_table.hpp"

namespace kindling::test {
namespace {

namespace fwd = kindling::autograd::forward_ad;

// A contiguous float64 (or, for indices, int64) input with values from the row's domain.
Tensor draw_input(const Input& input, Generator& gen) {
  return make_input(draw(input, gen), input, DType::float64, Layout::contiguous);
}

bool carries_tangent(const Input& input) {
  return input.domain == Domain::normal || input.domain == Domain::positive;
}

// The tangent of fn's output for inputs x and tangents t (undefined: none), by forward mode.
Tensor forward_tangent(const Row& row, const Case& c, const std::vector<Tensor>& x,
                       const std::vector<Tensor>& t) {
  const fwd::dual_level level;
  std::vector<Tensor> duals;
  for (std::size_t i = 0; i < x.size(); ++i)
    duals.push_back(t[i].defined() ? fwd::make_dual(x[i], t[i]) : x[i]);
  const Tensor out = row.fn(duals, c);
  const Tensor tangent = fwd::unpack_dual(out).tangent;
  return tangent.defined() ? tangent : zeros_like(out);
}

// J t by reverse mode: for each output element k, one backward pass gives row k of J, and its
// dot product with the tangents is element k.
std::vector<double> reverse_tangent(const Row& row, const Case& c, const std::vector<Tensor>& x,
                                    const std::vector<Tensor>& t) {
  std::vector<Tensor> leaves;
  for (std::size_t i = 0; i < x.size(); ++i) {
    Tensor leaf = x[i].detach().clone();
    if (t[i].defined()) leaf.set_requires_grad(true);
    leaves.push_back(leaf);
  }
  const Tensor out = row.fn(leaves, c);
  std::vector<double> result(static_cast<std::size_t>(out.numel()), 0.0);
  if (!out.requires_grad()) return result;
  for (std::int64_t k = 0; k < out.numel(); ++k) {
    std::vector<double> seed(static_cast<std::size_t>(out.numel()), 0.0);
    seed[static_cast<std::size_t>(k)] = 1.0;
    for (Tensor& leaf : leaves)
      leaf.zero_grad();
    out.backward(from_vector(seed, out.shape(), out.dtype()), /*retain_graph=*/true);
    double dot = 0.0;
    for (std::size_t i = 0; i < leaves.size(); ++i) {
      if (!t[i].defined() || !leaves[i].grad().defined()) continue;
      const std::vector<double> g = leaves[i].grad().to_vector<double>();
      const std::vector<double> ti = t[i].to_vector<double>();
      for (std::size_t e = 0; e < g.size(); ++e)
        dot += g[e] * ti[e];
    }
    result[static_cast<std::size_t>(k)] = dot;
  }
  return result;
}

// (f(x + h t) - f(x - h t)) / 2h.
std::vector<double> central_difference(const Row& row, const Case& c, const std::vector<Tensor>& x,
                                       const std::vector<Tensor>& t, double h) {
  const no_grad guard;
  auto shifted = [&](double sign) {
    std::vector<Tensor> moved;
    for (std::size_t i = 0; i < x.size(); ++i)
      moved.push_back(t[i].defined() ? x[i] + t[i] * (sign * h) : x[i]);
    return row.fn(moved, c).to_vector<double>();
  };
  const std::vector<double> up = shifted(1.0), down = shifted(-1.0);
  std::vector<double> out(up.size());
  for (std::size_t k = 0; k < up.size(); ++k)
    out[k] = (up[k] - down[k]) / (2 * h);
  return out;
}

}  // namespace

TEST_CASE("forward mode: every op row's tangent is J t, by reverse mode and central differences",
          "[tensor][forward_ad][table]") {
  std::size_t checked = 0;
  for (const Row& row : all_rows()) {
    if (!row.differentiable) continue;
    for (std::size_t ci = 0; ci < row.cases.size(); ++ci) {
      const Case& c = row.cases[ci];
      Generator gen(4000 + 31 * checked + ci);
      std::vector<Tensor> x, t;
      for (const Input& in : c.inputs) {
        x.push_back(draw_input(in, gen));
        t.push_back(carries_tangent(in) ? draw_input(Input{in.shape}, gen) : Tensor{});
      }
      INFO(op_name(row.op) << " case " << ci << (c.note.empty() ? "" : " [" + c.note + "]"));
      const Tensor tangent = forward_tangent(row, c, x, t);
      const std::vector<double> forward = tangent.to_vector<double>();
      // The two modes round differently: to float64's precision, or to a coarser one where the row
      // computes in float32 (its float64 tolerance says so).
      const double tol = std::max(1e-10, row.float64_tolerance);
      const std::vector<double> reverse = reverse_tangent(row, c, x, t);
      const std::vector<double> numeric = central_difference(row, c, x, t, row.gradcheck.eps);
      REQUIRE(forward.size() == reverse.size());
      for (std::size_t k = 0; k < forward.size(); ++k) {
        INFO("element " << k << ": forward " << forward[k] << ", reverse " << reverse[k]
                        << ", central difference " << numeric[k]);
        CHECK(std::abs(forward[k] - reverse[k]) <= tol + 10 * tol * std::abs(reverse[k]));
        CHECK(std::abs(forward[k] - numeric[k]) <=
              row.gradcheck.atol + row.gradcheck.rtol * std::abs(numeric[k]));
      }
      ++checked;
    }
  }
  CHECK(checked > 100);
  // The count check: the table ran every primitive's jvp rule (a primitive whose row does not
  // reach its rule, or a new primitive without a row, fails here).
  std::size_t missing = 0;
#define KINDLING_X(name, ...)                                       \
  if (testing::jvp_rule_calls(TensorOp::name) == 0) {               \
    ++missing;                                                      \
    UNSCOPED_INFO("the op table never ran the jvp rule of " #name); \
  }
  KINDLING_TENSOR_PRIMITIVES(KINDLING_X)
#undef KINDLING_X
  CHECK(missing == 0);
}

TEST_CASE("forward mode: duals, levels and their errors", "[tensor][forward_ad]") {
  const Tensor x = from_vector(std::vector<double>{0.5, -1.0, 2.0}, {3}, DType::float64);
  const Tensor t = from_vector(std::vector<double>{1.0, 2.0, -1.0}, {3}, DType::float64);

  SECTION("a tangent through a chain, by hand: d(sin(x) x) = (cos(x) x + sin(x)) t") {
    const fwd::dual_level level;
    const Tensor y = sin(fwd::make_dual(x, t)) * x;  // the second x is no dual: only one factor
    const std::vector<double> got = fwd::unpack_dual(y).tangent.to_vector<double>();
    const std::vector<double> xs = x.to_vector<double>(), ts = t.to_vector<double>();
    for (std::size_t i = 0; i < 3; ++i)
      CHECK(got[i] == Approx(std::cos(xs[i]) * xs[i] * ts[i]).epsilon(1e-14));
  }
  SECTION("no tangent where no dual reached, and none once the level ends") {
    Tensor dual;
    {
      const fwd::dual_level level;
      dual = fwd::make_dual(x, t);
      CHECK_FALSE(fwd::unpack_dual(exp(x)).tangent.defined());
      CHECK_FALSE(fwd::unpack_dual(x).tangent.defined());  // make_dual made a view; x has none
      CHECK(fwd::unpack_dual(dual).tangent.defined());
      CHECK(fwd::is_forward_ad_enabled());
    }
    CHECK_FALSE(fwd::is_forward_ad_enabled());
    CHECK_FALSE(fwd::unpack_dual(dual).tangent.defined());
    CHECK(dual.to_vector<double>() == x.to_vector<double>());
  }
  SECTION("integer results carry no tangent; comparisons neither") {
    const fwd::dual_level level;
    const Tensor d = fwd::make_dual(x, t);
    CHECK_FALSE(fwd::unpack_dual(cast(d, DType::int64)).tangent.defined());
    CHECK_FALSE(fwd::unpack_dual(gt(d, 0.0)).tangent.defined());
    CHECK_FALSE(fwd::unpack_dual(argmax(d)).tangent.defined());
  }
  SECTION("forward mode leaves reverse mode as it was") {
    Tensor leaf = x.detach().clone();
    leaf.set_requires_grad(true);
    const fwd::dual_level level;
    const Tensor y = sum(exp(fwd::make_dual(leaf, t)));
    y.backward();
    CHECK(leaf.grad().to_vector<double>() == exp(x).to_vector<double>());
    CHECK(fwd::unpack_dual(y).tangent.item() == Approx(sum(exp(x) * t).item()).epsilon(1e-14));
  }
  SECTION("errors name the function and the shapes") {
    CHECK_THROWS_WITH(fwd::make_dual(x, t), Catch::Contains("make_dual: no dual_level"));
    const fwd::dual_level level;
    CHECK_THROWS_AS(fwd::dual_level(), error);
    CHECK_THROWS_WITH(
        fwd::make_dual(x, zeros({2}, DType::float64)),
        Catch::Contains("make_dual: the tangent has shape (2)") && Catch::Contains("(3)"));
    CHECK_THROWS_WITH(fwd::make_dual(x, zeros({3}, DType::float32)),
                      Catch::Contains("make_dual: the tangent is float32"));
    CHECK_THROWS_WITH(fwd::make_dual(zeros({3}, DType::int64), zeros({3}, DType::int64)),
                      Catch::Contains("make_dual: the primal must be floating-point"));
  }
}

}  // namespace kindling::test
