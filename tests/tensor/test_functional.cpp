// The functional transforms (kindling/tensor/functional.hpp) against closed forms and central
// differences: jacobian by both strategies, vjp and jvp as products with it, hessian, hvp and vhp,
// create_graph, strict, and the errors.
#include <catch2/catch.hpp>
#include <cmath>

#include "kindling/tensor.hpp"
#include "kindling/tensor/functional.hpp"

namespace kindling::test {
namespace {

namespace fn = kindling::autograd::functional;
using fn::Strategy;
using fn::TensorList;

Tensor f64(std::vector<double> v, Shape shape) {
  return from_vector(v, shape, DType::float64);
}

void check_close(const Tensor& got, const Tensor& expected, double tol = 1e-12) {
  REQUIRE(got.shape() == expected.shape());
  const std::vector<double> g = got.to_vector<double>(), e = expected.to_vector<double>();
  for (std::size_t i = 0; i < g.size(); ++i) {
    INFO("element " << i << ": got " << g[i] << ", expected " << e[i]);
    CHECK(std::abs(g[i] - e[i]) <= tol + tol * std::abs(e[i]));
  }
}

// A small network-like function of two inputs with two outputs: tanh(W x), and a softmax's
// log-likelihood of x against W's rows.
TensorList network(const TensorList& in) {
  const Tensor& w = in[0];
  const Tensor& x = in[1];
  const Tensor h = tanh(matmul(w, x));
  return {h, sum(log_softmax(matmul(w, x) * h, 0) * sin(x.slice(0, 0, 4)))};
}

// Central differences of f's gradient along input j's element e: column (j, e) of the Hessian.
std::vector<double> hessian_column(const fn::Function& f, TensorList x, std::size_t j,
                                   std::int64_t e, double h = 1e-5) {
  auto gradient_at = [&](double shift) {
    TensorList moved = x;
    std::vector<double> values = x[j].to_vector<double>();
    values[static_cast<std::size_t>(e)] += shift;
    moved[j] = f64(values, x[j].shape());
    const TensorList g = fn::vjp(f, moved).derivatives;
    std::vector<double> flat;
    for (const Tensor& gi : g)
      for (double v : gi.to_vector<double>())
        flat.push_back(v);
    return flat;
  };
  const std::vector<double> up = gradient_at(h), down = gradient_at(-h);
  std::vector<double> column(up.size());
  for (std::size_t i = 0; i < up.size(); ++i)
    column[i] = (up[i] - down[i]) / (2 * h);
  return column;
}

}  // namespace

TEST_CASE("functional: jacobian by both strategies, against the closed form",
          "[tensor][functional]") {
  const Tensor x = f64({0.5, -1.5, 2.0}, {3});
  const Tensor y = f64({1.0, 3.0, -2.0}, {3});
  const fn::Function f = [](const TensorList& in) {
    return TensorList{in[0] * in[1], sum(exp(in[0]))};
  };
  for (Strategy strategy : {Strategy::reverse_mode, Strategy::forward_mode}) {
    INFO((strategy == Strategy::reverse_mode ? "reverse" : "forward"));
    const std::vector<TensorList> j = fn::jacobian(f, {x, y}, false, false, strategy);
    REQUIRE(j.size() == 2);
    REQUIRE(j[0].size() == 2);
    check_close(j[0][0], f64({1, 0, 0, 0, 3, 0, 0, 0, -2}, {3, 3}));      // diag(y)
    check_close(j[0][1], f64({0.5, 0, 0, 0, -1.5, 0, 0, 0, 2}, {3, 3}));  // diag(x)
    check_close(j[1][0], exp(x));                                         // shape () + (3)
    check_close(j[1][1], zeros({3}, DType::float64));  // no dependence: zeros when not strict
    CHECK_FALSE(j[0][0].requires_grad());
  }
  // One tensor in, one out.
  const Tensor jx = fn::jacobian([](const Tensor& t) { return t * t; }, x);
  check_close(jx, f64({1, 0, 0, 0, -3, 0, 0, 0, 4}, {3, 3}));
}

TEST_CASE("functional: vjp and jvp are v^T J and J v, and leave the caller's tensors alone",
          "[tensor][functional]") {
  Generator gen(15);
  Tensor w = randn({4, 5}, gen, DType::float64);
  Tensor x = randn({5}, gen, DType::float64);
  w.set_requires_grad(true);  // the transforms must not touch the caller's grads
  const std::vector<TensorList> jr = fn::jacobian(network, {w, x});
  const std::vector<TensorList> jf =
      fn::jacobian(network, {w, x}, false, false, Strategy::forward_mode);
  for (std::size_t i = 0; i < 2; ++i)
    for (std::size_t k = 0; k < 2; ++k)
      check_close(jf[i][k], jr[i][k], 1e-12);

  const Tensor vw = randn({4, 5}, gen, DType::float64), vx = randn({5}, gen, DType::float64);
  const fn::OutputsAndDerivatives forward = fn::jvp(network, {w, x}, {vw, vx});
  for (std::size_t i = 0; i < 2; ++i) {
    const Shape out_shape = forward.outputs[i].shape();
    const std::int64_t m = forward.outputs[i].numel();
    const Tensor expected = reshape(matmul(reshape(jr[i][0], {m, 20}), reshape(vw, {20})) +
                                        matmul(reshape(jr[i][1], {m, 5}), vx),
                                    out_shape);
    check_close(forward.derivatives[i], expected, 1e-12);
  }
  const Tensor u0 = randn({4}, gen, DType::float64), u1 = f64({0.7}, {});
  const fn::OutputsAndDerivatives backward = fn::vjp(network, {w, x}, {u0, u1});
  const Tensor expected_x = matmul(u0, reshape(jr[0][1], {4, 5})) + jr[1][1] * 0.7;
  check_close(backward.derivatives[1], expected_x, 1e-12);
  CHECK_FALSE(w.grad().defined());
  CHECK_FALSE(backward.derivatives[0].requires_grad());
  CHECK_FALSE(backward.outputs[0].requires_grad());
}

TEST_CASE("functional: hessian, hvp and vhp against closed forms and central differences",
          "[tensor][functional]") {
  const Tensor x = f64({0.5, -1.5, 2.0}, {3});
  SECTION("sum(x^3) has Hessian diag(6x), by both outer strategies") {
    const fn::TensorFunction cube = [](const Tensor& t) { return sum(t * t * t); };
    for (Strategy s : {Strategy::reverse_mode, Strategy::forward_mode})
      check_close(fn::hessian(cube, x, false, false, s),
                  f64({3, 0, 0, 0, -9, 0, 0, 0, 12}, {3, 3}));
  }
  SECTION("x^T A x / 2 + sum(sin x): (A + A^T) / 2 - diag(sin x); hvp and vhp") {
    const Tensor a = f64({2, 1, 0, -1, 3, 0.5, 4, 0, 1}, {3, 3});
    const fn::Function f = [a](const TensorList& in) {
      const Tensor& t = in[0];
      return TensorList{sum(t * matmul(a, t)) * 0.5 + sum(sin(t))};
    };
    const Tensor expected = (a + a.transpose(0, 1)) * 0.5 - diag(sin(x));
    for (Strategy s : {Strategy::reverse_mode, Strategy::forward_mode})
      check_close(fn::hessian(f, {x}, false, false, s)[0][0], expected);
    const Tensor v = f64({1.0, -2.0, 0.5}, {3});
    check_close(fn::hvp(f, {x}, {v}).derivatives[0], matmul(expected, v));
    check_close(fn::vhp(f, {x}, {v}).derivatives[0], matmul(v, expected));
    CHECK(fn::hvp(f, {x}, {v}).outputs[0].item() == Approx(f({x})[0].item()));
  }
  SECTION("a network's loss: every Hessian block against central differences of the gradient") {
    Generator gen(3);
    const Tensor w = randn({4, 5}, gen, DType::float64), x5 = randn({5}, gen, DType::float64);
    const fn::Function loss = [](const TensorList& in) { return TensorList{network(in)[1]}; };
    const std::vector<TensorList> h = fn::hessian(loss, {w, x5});
    const std::vector<TensorList> hf =
        fn::hessian(loss, {w, x5}, false, false, Strategy::forward_mode);
    const TensorList inputs{w, x5};
    for (std::size_t j = 0; j < 2; ++j) {
      for (std::int64_t e = 0; e < inputs[j].numel(); ++e) {
        const std::vector<double> numeric = hessian_column(loss, inputs, j, e);
        // Column (j, e): the blocks h[i][j] at input j's element e, over every element of i.
        std::vector<double> analytic, forward;
        for (std::size_t i = 0; i < 2; ++i) {
          const std::int64_t n = inputs[i].numel(), m = inputs[j].numel();
          const std::vector<double> block = reshape(h[i][j], {n, m}).to_vector<double>();
          const std::vector<double> fblock = reshape(hf[i][j], {n, m}).to_vector<double>();
          for (std::int64_t r = 0; r < n; ++r) {
            analytic.push_back(block[static_cast<std::size_t>(r * m + e)]);
            forward.push_back(fblock[static_cast<std::size_t>(r * m + e)]);
          }
        }
        REQUIRE(analytic.size() == numeric.size());
        for (std::size_t k = 0; k < numeric.size(); ++k) {
          INFO("input " << j << " element " << e << ", row " << k);
          CHECK(analytic[k] == Approx(numeric[k]).margin(1e-6).epsilon(1e-5));
          CHECK(forward[k] == Approx(analytic[k]).margin(1e-12).epsilon(1e-10));
        }
      }
    }
  }
}

TEST_CASE("functional: create_graph keeps the results differentiable", "[tensor][functional]") {
  Tensor x = f64({0.5, -1.5, 2.0}, {3});
  x.set_requires_grad(true);
  // d/dx of sum(jacobian(x -> x^3)) = d/dx sum(3 x^2) = 6 x.
  const Tensor j = fn::jacobian([](const Tensor& t) { return t * t * t; }, x, true);
  REQUIRE(j.requires_grad());
  sum(j).backward();
  check_close(x.grad(), x.detach() * 6.0);
  // jvp with create_graph: the tangent of x^2 along v is 2 x v, whose gradient in x is 2 v.
  x.zero_grad();
  const Tensor v = f64({1.0, 2.0, 3.0}, {3});
  const fn::OutputsAndDerivatives r =
      fn::jvp([](const TensorList& in) { return TensorList{in[0] * in[0]}; }, {x}, {v}, true);
  REQUIRE(r.derivatives[0].requires_grad());
  sum(r.derivatives[0]).backward();
  check_close(x.grad(), v * 2.0);
}

TEST_CASE("functional: strict, and errors that name the transform", "[tensor][functional]") {
  const Tensor x = f64({0.5, -1.5}, {2}), y = f64({1.0, 2.0}, {2});
  const fn::Function only_x = [](const TensorList& in) { return TensorList{in[0] * 2.0}; };
  CHECK_THROWS_WITH(fn::vjp(only_x, {x, y}, {ones({2}, DType::float64)}, false, true),
                    Catch::Contains("vjp: the outputs do not depend on input 1"));
  CHECK_THROWS_WITH(
      fn::jvp([](const TensorList&) { return TensorList{ones({2})}; }, {x}, {y}, false, true),
      Catch::Contains("jvp: output 0") && Catch::Contains("strict"));
  CHECK_THROWS_WITH(fn::vjp(only_x, {x}), Catch::Contains("vjp: v can be omitted only when"));
  CHECK_THROWS_WITH(fn::vjp(only_x, {x}, {ones({3}, DType::float64)}),
                    Catch::Contains("vjp: v[0] has shape (3) but output 0 has shape (2)"));
  CHECK_THROWS_WITH(fn::jvp(only_x, {x}, {x, y}), Catch::Contains("jvp: v has 2 tensors for 1"));
  CHECK_THROWS_WITH(fn::jacobian(only_x, {}), Catch::Contains("jacobian: no inputs"));
  CHECK_THROWS_WITH(fn::jacobian(only_x, {zeros({2}, DType::int64)}),
                    Catch::Contains("jacobian: input 0 must be floating-point, got int64"));
  CHECK_THROWS_WITH(fn::hessian(only_x, {x}),
                    Catch::Contains("hessian: the function must return one tensor with one "
                                    "element") &&
                        Catch::Contains("(2)"));
  CHECK_THROWS_WITH(fn::hvp(only_x, {x}, {y}), Catch::Contains("hvp: the function must return"));
  CHECK_THROWS_WITH(fn::vjp([](const TensorList&) { return TensorList{}; }, {x}),
                    Catch::Contains("vjp: the function returned no outputs"));
  // Unused inputs without strict: zeros, as torch.
  const fn::OutputsAndDerivatives r = fn::vjp(only_x, {x, y}, {ones({2}, DType::float64)});
  check_close(r.derivatives[1], zeros({2}, DType::float64));
  const fn::Function linear = [](const TensorList& in) { return TensorList{sum(in[0] * 3.0)}; };
  check_close(fn::hessian(linear, {x})[0][0], zeros({2, 2}, DType::float64));
  CHECK_THROWS_WITH(fn::hvp(linear, {x}, {y}, false, true),
                    Catch::Contains("hvp: the gradient does not depend on the inputs"));
}

}  // namespace kindling::test
