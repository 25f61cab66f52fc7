// Op table rows: unary and binary elementwise ops, where, cast and the comparisons. References
// are xtensor expressions in double, with xtensor's own broadcasting.
#include <cmath>
#include <xtensor/xmath.hpp>
#include <xtensor/xoperation.hpp>

#include "op_table.hpp"

namespace kindling::test {

namespace {

using Fn = Tensor (*)(const Tensor&);

// Unary rows run on a matrix, a transposable 3-D tensor and a scalar.
std::vector<Case> unary_cases(Domain domain = Domain::normal) {
  return {{{{{3, 4}, domain}}}, {{{{2, 3, 5}, domain}}}, {{{{}, domain}}}, {{{{7}, domain}}}};
}

// Binary rows: equal shapes, both sides broadcast, a scalar operand, a vector against a 3-D
// tensor.
std::vector<Case> binary_cases(Domain a = Domain::normal, Domain b = Domain::normal) {
  return {{{{{3, 4}, a}, {{3, 4}, b}}},
          {{{{3, 1}, a}, {{1, 4}, b}}, {}, false, "broadcast both"},
          {{{{5, 3}, a}, {{}, b}}, {}, false, "scalar right"},
          {{{{}, a}, {{2, 5}, b}}, {}, false, "scalar left"},
          {{{{2, 3, 4}, a}, {{4}, b}}, {}, false, "vector"}};
}

Row unary(TensorOp op, Fn fn, std::function<Array(const Array&)> ref,
          Domain domain = Domain::normal) {
  return {op, unary_cases(domain),
          [fn](const std::vector<Tensor>& x, const Case&) { return fn(x[0]); },
          [ref](const std::vector<Array>& x, const Case&) { return ref(x[0]); }};
}

using BinaryFn = Tensor (*)(const Tensor&, const Tensor&);
Row binary(TensorOp op, BinaryFn fn, std::function<Array(const Array&, const Array&)> ref,
           Domain a = Domain::normal, Domain b = Domain::normal, bool differentiable = true) {
  return {op, binary_cases(a, b),
          [fn](const std::vector<Tensor>& x, const Case&) { return fn(x[0], x[1]); },
          [ref](const std::vector<Array>& x, const Case&) { return ref(x[0], x[1]); },
          differentiable};
}

double gelu_exact(double x) {
  return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
}

Array compare_ref(const Array& a, const Array& b, bool (*pred)(double, double)) {
  Array out = a + b;  // only for its broadcast shape
  auto ab = xt::broadcast(a, out.shape());
  auto bb = xt::broadcast(b, out.shape());
  auto ai = ab.begin();
  auto bi = bb.begin();
  for (auto oi = out.begin(); oi != out.end(); ++oi, ++ai, ++bi)
    *oi = pred(*ai, *bi) ? 1.0 : 0.0;
  return out;
}

}  // namespace

std::vector<Row> elementwise_rows() {
  std::vector<Row> rows;
  rows.push_back(unary(TensorOp::neg, &neg, [](const Array& x) { return Array(-x); }));
  rows.push_back(unary(TensorOp::exp, &exp, [](const Array& x) { return Array(xt::exp(x)); }));
  rows.push_back(unary(
      TensorOp::log, &log, [](const Array& x) { return Array(xt::log(x)); }, Domain::positive));
  rows.push_back(unary(
      TensorOp::sqrt, &sqrt, [](const Array& x) { return Array(xt::sqrt(x)); }, Domain::positive));
  rows.push_back(unary(TensorOp::abs, &abs, [](const Array& x) { return Array(xt::abs(x)); }));
  rows.push_back(unary(TensorOp::tanh, &tanh, [](const Array& x) { return Array(xt::tanh(x)); }));
  rows.push_back(unary(TensorOp::sigmoid, &sigmoid,
                       [](const Array& x) { return Array(1.0 / (1.0 + xt::exp(-x))); }));
  rows.push_back(
      unary(TensorOp::relu, &relu, [](const Array& x) { return Array(xt::maximum(x, 0.0)); }));
  rows.push_back(unary(TensorOp::gelu, &gelu, [](const Array& x) {
    Array y = x;
    for (double& v : y)
      v = gelu_exact(v);
    return y;
  }));
  // silu: x sigmoid(x), written here as x / (1 + e^-x) in double.
  rows.push_back(
      unary(TensorOp::silu, &silu, [](const Array& x) { return Array(x / (1.0 + xt::exp(-x))); }));
  rows.push_back(unary(TensorOp::sin, &sin, [](const Array& x) { return Array(xt::sin(x)); }));
  rows.push_back(unary(TensorOp::cos, &cos, [](const Array& x) { return Array(xt::cos(x)); }));
  rows.push_back(unary(
      TensorOp::log1p, &log1p, [](const Array& x) { return Array(xt::log1p(x)); },
      Domain::positive));
  rows.push_back(
      unary(TensorOp::expm1, &expm1, [](const Array& x) { return Array(xt::expm1(x)); }));
  rows.push_back(unary(TensorOp::erf, &erf, [](const Array& x) { return Array(xt::erf(x)); }));
  // sign, floor and round are flat almost everywhere: the central differences give 0 too.
  rows.push_back(unary(TensorOp::sign, &sign, [](const Array& x) { return Array(xt::sign(x)); }));
  rows.push_back(
      unary(TensorOp::floor, &floor, [](const Array& x) { return Array(xt::floor(x)); }));
  rows.push_back(unary(TensorOp::round, &round, [](const Array& x) {
    Array y = x;
    for (double& v : y)
      v = std::nearbyint(v);  // half to even, in the default rounding mode
    return y;
  }));
  rows.push_back(unary(
      TensorOp::reciprocal, &reciprocal, [](const Array& x) { return Array(1.0 / x); },
      Domain::positive));
  rows.push_back(unary(
      TensorOp::rsqrt, &rsqrt, [](const Array& x) { return Array(1.0 / xt::sqrt(x)); },
      Domain::positive));
  // The rows with parameters, at a non-default value (the defaults: test_special_values.py).
  rows.push_back({TensorOp::leaky_relu, unary_cases(),
                  [](const std::vector<Tensor>& x, const Case&) { return leaky_relu(x[0], 0.2); },
                  [](const std::vector<Array>& x, const Case&) {
                    return Array(xt::where(x[0] > 0.0, x[0], 0.2 * x[0]));
                  }});
  rows.push_back({TensorOp::elu, unary_cases(),
                  [](const std::vector<Tensor>& x, const Case&) { return elu(x[0], 1.5); },
                  [](const std::vector<Array>& x, const Case&) {
                    return Array(xt::where(x[0] > 0.0, x[0], 1.5 * xt::expm1(x[0])));
                  }});
  // beta 2 and threshold 2: the inputs above 1 take the linear branch.
  rows.push_back(
      {TensorOp::softplus, unary_cases(),
       [](const std::vector<Tensor>& x, const Case&) { return softplus(x[0], 2.0, 2.0); },
       [](const std::vector<Array>& x, const Case&) {
         return Array(xt::where(2.0 * x[0] > 2.0, x[0], xt::log1p(xt::exp(2.0 * x[0])) / 2.0));
       }});
  rows.push_back(
      {TensorOp::clamp, unary_cases(),
       [](const std::vector<Tensor>& x, const Case&) { return clamp(x[0], -0.5, 0.7); },
       [](const std::vector<Array>& x, const Case&) { return Array(xt::clip(x[0], -0.5, 0.7)); }});
  rows.push_back({TensorOp::cast,
                  unary_cases(),
                  [](const std::vector<Tensor>& x, const Case&) {
                    // To the other float type and back, so the gradient flows through both.
                    const DType other =
                        x[0].dtype() == DType::float32 ? DType::float64 : DType::float32;
                    return cast(cast(x[0], other) * 3.0, x[0].dtype());
                  },
                  [](const std::vector<Array>& x, const Case&) { return Array(x[0] * 3.0); },
                  true,
                  // float64 goes through float32 here, so it has float32's precision, and the
                  // finite differences need a step float32 can resolve.
                  2e-6,
                  {1e-2, 1e-4, 1e-3}});

  rows.push_back(
      binary(TensorOp::add, &add, [](const Array& a, const Array& b) { return Array(a + b); }));
  rows.push_back(
      binary(TensorOp::sub, &sub, [](const Array& a, const Array& b) { return Array(a - b); }));
  rows.push_back(
      binary(TensorOp::mul, &mul, [](const Array& a, const Array& b) { return Array(a * b); }));
  rows.push_back(binary(
      TensorOp::div, &div, [](const Array& a, const Array& b) { return Array(a / b); },
      Domain::normal, Domain::positive));
  rows.push_back(binary(
      TensorOp::pow, [](const Tensor& a, const Tensor& b) { return pow(a, b); },
      [](const Array& a, const Array& b) { return Array(xt::pow(a, b)); }, Domain::positive));
  rows.push_back(binary(TensorOp::maximum, &maximum,
                        [](const Array& a, const Array& b) { return Array(xt::maximum(a, b)); }));
  rows.push_back(binary(TensorOp::minimum, &minimum,
                        [](const Array& a, const Array& b) { return Array(xt::minimum(a, b)); }));
  rows.push_back({TensorOp::where,
                  {{{{{3, 4}, Domain::mask}, {{3, 4}}, {{3, 4}}}},
                   {{{{3, 1}, Domain::mask}, {{1, 4}}, {{3, 4}}}, {}, false, "broadcast"},
                   {{{{2, 3}, Domain::mask}, {{2, 3}}, {{}}}, {}, false, "scalar"}},
                  [](const std::vector<Tensor>& x, const Case&) {
                    return where(cast(x[0], DType::bool_), x[1], x[2]);
                  },
                  [](const std::vector<Array>& x, const Case&) {
                    return Array(xt::where(xt::not_equal(x[0], 0.0), x[1], x[2]));
                  }});

  // masked_fill with a number (x gets the gradient where the mask is false) and with a 0-d
  // tensor (which gets the sum of the gradient where it is true).
  rows.push_back({TensorOp::masked_fill,
                  {{{{{3, 4}}, {{3, 4}, Domain::mask}}},
                   {{{{3, 4}}, {{3, 1}, Domain::mask}}, {}, false, "broadcast mask"},
                   {{{{2, 5}}, {{2, 5}, Domain::mask}, {{}}}, {}, false, "tensor value"},
                   {{{{}}, {{}, Domain::mask}}, {}, false, "scalar"}},
                  [](const std::vector<Tensor>& x, const Case&) {
                    const Tensor mask = cast(x[1], DType::bool_);
                    return x.size() == 3 ? masked_fill(x[0], mask, x[2])
                                         : masked_fill(x[0], mask, 0.7);
                  },
                  [](const std::vector<Array>& x, const Case&) {
                    const double value = x.size() == 3 ? x[2]() : 0.7;
                    return Array(xt::where(xt::not_equal(x[1], 0.0), value, x[0]));
                  }});

  // The logical ops take any dtype (nonzero is true), here the 0/1 masks as floats.
  rows.push_back({TensorOp::logical_not, unary_cases(Domain::mask),
                  [](const std::vector<Tensor>& x, const Case&) { return logical_not(x[0]); },
                  [](const std::vector<Array>& x, const Case&) {
                    return Array(xt::cast<double>(xt::equal(x[0], 0.0)));
                  },
                  false});
  auto cmp = [&](TensorOp op, BinaryFn fn, bool (*pred)(double, double)) {
    rows.push_back(binary(
        op, fn, [pred](const Array& a, const Array& b) { return compare_ref(a, b, pred); },
        Domain::mask, Domain::mask, false));
  };
  cmp(TensorOp::logical_and, &logical_and, [](double a, double b) { return a != 0 && b != 0; });
  cmp(TensorOp::logical_or, &logical_or, [](double a, double b) { return a != 0 || b != 0; });
  cmp(TensorOp::logical_xor, &logical_xor, [](double a, double b) { return (a != 0) != (b != 0); });

  cmp(TensorOp::eq, &eq, [](double a, double b) { return a == b; });
  cmp(TensorOp::ne, &ne, [](double a, double b) { return a != b; });
  cmp(TensorOp::lt, &lt, [](double a, double b) { return a < b; });
  cmp(TensorOp::le, &le, [](double a, double b) { return a <= b; });
  cmp(TensorOp::gt, &gt, [](double a, double b) { return a > b; });
  cmp(TensorOp::ge, &ge, [](double a, double b) { return a >= b; });
  return rows;
}

}  // namespace kindling::test
