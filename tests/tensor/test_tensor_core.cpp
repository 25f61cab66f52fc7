// The Tensor itself: creation, views sharing storage, printing, autograd semantics (accumulation,
// retain_graph, no_grad, detach, leaves), error messages, deep graphs, DOT, xtensor interop,
// and the one backward pass shared with Value.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <vector>
#include <xtensor/xarray.hpp>
#include <xtensor/xtensor.hpp>

#include "kindling/engine/value.hpp"
#include "kindling/explain/tensor_dot.hpp"
#include "kindling/explain/tensor_gradcheck.hpp"
#include "kindling/tensor.hpp"
#include "kindling/tensor/xtensor.hpp"

namespace kindling {
namespace {

std::vector<double> values(const Tensor& t) {
  return t.to_vector<double>();
}

TEST_CASE("creation: fills, ranges, host data", "[tensor][core]") {
  CHECK(values(zeros({2, 3})) == std::vector<double>(6, 0.0));
  CHECK(values(ones({4}, DType::float64)) == std::vector<double>(4, 1.0));
  CHECK(values(full({2}, 2.5)) == std::vector<double>{2.5, 2.5});
  CHECK(values(arange(0.0, 1.0, 0.25)) == std::vector<double>{0.0, 0.25, 0.5, 0.75});
  CHECK(values(arange(5.0, 1.0, -2.0)) == std::vector<double>{5.0, 3.0});
  CHECK(arange(4).dtype() == DType::int64);
  CHECK(values(linspace(-1.0, 1.0, 5, DType::float64)) ==
        std::vector<double>{-1.0, -0.5, 0.0, 0.5, 1.0});
  const Tensor t = tensor({1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK(t.shape() == Shape{2, 3});
  CHECK(t.dtype() == DType::float32);
  CHECK(t.strides() == Shape{3, 1});
  CHECK(values(t) == std::vector<double>{1, 2, 3, 4, 5, 6});
  CHECK(scalar_tensor(3.0).dim() == 0);
  CHECK(scalar_tensor(3.0).item() == 3.0);
  CHECK_THROWS_WITH(tensor({1, 2, 3}, {2, 2}), Catch::Contains("3 values do not fill shape (2,2)"));
  CHECK_THROWS_WITH(t.item(), Catch::Contains("item: the tensor has shape (2,3)"));
}

TEST_CASE("creation: float32 rand stays below 1 where the double draw rounds up to 1",
          "[tensor][core]") {
  // Generator(0)'s draw 533109 is 0.99999998675594..., within 2^-25 of 1: rounded to float it
  // would be 1.0f, outside rand's [0, 1).
  constexpr std::int64_t kIndex = 533109;
  Generator as_double(0), as_float(0);
  const double draw =
      rand({kIndex + 1}, as_double, DType::float64).slice(0, kIndex, kIndex + 1).item();
  REQUIRE(static_cast<float>(draw) == 1.0f);
  const Tensor floats = rand({kIndex + 1}, as_float, DType::float32);
  CHECK(kindling::max(floats).item() < 1.0);
  CHECK(floats.slice(0, kIndex, kIndex + 1).item() ==
        static_cast<double>(std::nextafter(1.0f, 0.0f)));
}

TEST_CASE("creation: seeded random draws", "[tensor][core]") {
  Generator g1(5), g2(5), g3(6);
  const std::vector<double> a = values(rand({1000}, g1, DType::float64));
  CHECK(a == values(rand({1000}, g2, DType::float64)));
  CHECK(a != values(rand({1000}, g3, DType::float64)));
  double mean = 0;
  for (double v : a) {
    CHECK(v >= 0.0);
    CHECK(v < 1.0);
    mean += v / 1000.0;
  }
  CHECK(mean == Approx(0.5).margin(0.05));
  const Tensor n = randn({20000}, g1, DType::float64);
  CHECK(kindling::mean(n).item() == Approx(0.0).margin(0.03));
  CHECK(stddev(n).item() == Approx(1.0).margin(0.03));
  const std::vector<std::int64_t> k = randint(-2, 3, {500}, g1).to_vector<std::int64_t>();
  CHECK(*std::min_element(k.begin(), k.end()) == -2);
  CHECK(*std::max_element(k.begin(), k.end()) == 2);
}

TEST_CASE("views share storage with their base", "[tensor][core]") {
  Tensor base = arange(0.0, 24.0, 1.0, DType::float64).reshape({2, 3, 4});
  const std::vector<Tensor> views = {base.view({6, 4}),
                                     base.permute({2, 0, 1}),
                                     base.transpose(0, 2),
                                     base.slice(2, 1, 4, 2),
                                     base.unsqueeze(1),
                                     base.slice(0, 0, 1).squeeze(0),
                                     base.slice(1, 0, 1).expand({2, 5, 4})};
  for (const Tensor& v : views)
    CHECK(v.shares_storage(base));
  CHECK_FALSE(base.transpose(0, 2).is_contiguous());
  CHECK(values(base.slice(2, 1, 4, 2).contiguous()) ==
        std::vector<double>{1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23});
  // A write through the base shows in a view.
  as_xtensor<double>(base)(1, 2, 3) = -1.0;
  CHECK(base.transpose(0, 2).contiguous().to_vector<double>()[3 * 6 + 2 * 2 + 1] == -1.0);
  CHECK(base.view({6, 4}).to_vector<double>()[23] == -1.0);
  // reshape copies only when it must.
  CHECK(base.reshape({4, 6}).shares_storage(base));
  CHECK_FALSE(base.transpose(0, 2).reshape({-1}).shares_storage(base));
  CHECK_THROWS_WITH(base.transpose(0, 2).view({-1}), Catch::Contains("use reshape"));
}

TEST_CASE("printing looks like NumPy and truncates big tensors", "[tensor][core]") {
  CHECK(to_string(tensor({1, -2.5, 3, 4}, {2, 2})) ==
        "tensor([[ 1.0000, -2.5000],\n        [ 3.0000,  4.0000]])");
  CHECK(to_string(arange(3)) == "tensor([0, 1, 2], dtype=int64)");
  CHECK(to_string(scalar_tensor(2.0, DType::float64)) == "tensor(2.0000, dtype=float64)");
  Tensor w = zeros({2}).set_requires_grad();
  CHECK(to_string(w) == "tensor([0.0000, 0.0000], requires_grad=True)");
  CHECK(to_string(w * 2.0) == "tensor([0.0000, 0.0000], grad_fn=<mul>)");
  CHECK(to_string((w * 2.0).detach()) == "tensor([0.0000, 0.0000])");
  const std::string big = to_string(arange(0.0, 2000.0, 1.0).reshape({40, 50}));
  CHECK(big.find("...") != std::string::npos);
  CHECK(std::count(big.begin(), big.end(), '\n') == 6);  // 3 + "..." + 3 rows
  CHECK(big.find("1999.0000") != std::string::npos);
}

TEST_CASE("printing: every NaN prints as nan, infinities as inf and -inf, as torch",
          "[tensor][core]") {
  // printf writes "-nan" for a NaN with its sign bit set; torch 1.13 prints every NaN as "nan",
  // and print(torch.tensor([nan, -nan, inf, -inf, 1.5])) gives the first string checked below.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float negative_nan = std::copysign(nan, -1.0f);
  REQUIRE(std::signbit(negative_nan));
  const double inf = std::numeric_limits<double>::infinity();
  CHECK(to_string(tensor({nan, negative_nan, inf, -inf, 1.5}, {5})) ==
        "tensor([   nan,    nan,    inf,   -inf, 1.5000])");
  CHECK(to_string(scalar_tensor(negative_nan)) == "tensor(nan)");
  CHECK(to_string(scalar_tensor(std::copysign(std::nan(""), -1.0), DType::float64)) ==
        "tensor(nan, dtype=float64)");
  CHECK(to_string(scalar_tensor(-inf)) == "tensor(-inf)");
}

TEST_CASE("autograd: gradients accumulate, b = a + a then c = b + b", "[tensor][autograd]") {
  Tensor a = tensor({1.0, -2.0}, DType::float64).set_requires_grad();
  const Tensor b = a + a;
  const Tensor c = b + b;
  sum(c).backward();
  CHECK(values(a.grad()) == std::vector<double>{4.0, 4.0});
  // A second backward through a new graph adds to the leaf's grad.
  sum(a * a).backward();
  CHECK(values(a.grad()) == std::vector<double>{6.0, 0.0});
  a.zero_grad();
  CHECK_FALSE(a.grad().defined());
}

TEST_CASE("autograd: leaves, non-leaves, detach and no_grad", "[tensor][autograd]") {
  Tensor x = tensor({1, 2, 3}, DType::float64).set_requires_grad();
  const Tensor y = x * 2.0;
  CHECK(x.is_leaf());
  CHECK_FALSE(y.is_leaf());
  CHECK(y.requires_grad());
  CHECK(y.op() == TensorOp::mul);
  Tensor y_copy = y;
  CHECK_THROWS_WITH(y_copy.set_requires_grad(false), Catch::Contains("only leaves"));
  const Tensor d = y.detach();
  CHECK(d.is_leaf());
  CHECK_FALSE(d.requires_grad());
  CHECK(d.shares_storage(y));
  {
    const no_grad guard;
    const Tensor z = x * 3.0;
    CHECK_FALSE(z.requires_grad());
    CHECK(z.is_leaf());
  }
  CHECK((x * 3.0).requires_grad());
  Tensor ints = arange(3);
  CHECK_THROWS_WITH(ints.set_requires_grad(), Catch::Contains("floating-point"));
  // A constant operand gets no grad.
  const Tensor c = tensor({1, 1, 1}, DType::float64);
  sum(x * c).backward();
  CHECK_FALSE(c.grad().defined());
  CHECK(values(x.grad()) == std::vector<double>{1, 1, 1});
}

TEST_CASE("autograd: non-scalar roots and retain_graph", "[tensor][autograd]") {
  Tensor x = tensor({1, 2, 3}, DType::float64).set_requires_grad();
  const Tensor y = exp(x);
  CHECK_THROWS_WITH(y.backward(), Catch::Contains("needs an explicit gradient"));
  y.backward(tensor({1, 0, 2}, DType::float64), /*retain_graph=*/true);
  CHECK(values(x.grad())[0] == Approx(std::exp(1.0)));
  CHECK(values(x.grad())[1] == 0.0);
  CHECK(values(x.grad())[2] == Approx(2 * std::exp(3.0)));
  // The graph was kept: a second pass works and accumulates.
  y.backward(tensor({1, 0, 0}, DType::float64));
  CHECK(values(x.grad())[0] == Approx(2 * std::exp(1.0)));
  // Without retain_graph the saved tensors are freed: ops that saved some refuse a second pass.
  const Tensor picked = index_select(x, 0, from_vector<std::int64_t>({2, 0}, {2}));
  const Tensor s = sum(picked);
  s.backward();
  CHECK_THROWS_WITH(s.backward(), Catch::Contains("a second time"));
}

TEST_CASE("errors name the op and the shapes", "[tensor][errors]") {
  CHECK_THROWS_WITH(matmul(zeros({3, 4}), zeros({5, 6})),
                    "matmul: (3,4) x (5,6): inner dimensions 4 and 5 differ");
  CHECK_THROWS_WITH(zeros({2, 3}) + zeros({4}),
                    Catch::Contains("add: (2,3) and (4): shapes do not broadcast"));
  CHECK_THROWS_WITH(sum(zeros({2, 3}), {2}), Catch::Contains("sum: axis 2 is out of range"));
  CHECK_THROWS_WITH(zeros({2, 3}).view({4}), Catch::Contains("view: (2,3) -> (4)"));
  CHECK_THROWS_WITH(gather(zeros({2, 3}), 1, from_vector<std::int64_t>({0, 3}, {2, 1})),
                    Catch::Contains("gather: index 3 is out of range"));
  CHECK_THROWS_WITH(cross_entropy(zeros({2, 3}), zeros({2})), Catch::Contains("int64"));
  CHECK_THROWS_WITH(gelu(arange(3)), Catch::Contains("gelu: needs a floating-point tensor"));
  CHECK_THROWS_WITH(leaky_relu(arange(3)), Catch::Contains("leaky_relu: needs a floating-point"));
}

TEST_CASE("the floating unary ops compute an int64 or bool tensor in float32, as torch's",
          "[tensor][dtypes]") {
  // torch.log(torch.arange(3)) and torch.exp(torch.tensor([False, True])) are float32.
  const Tensor n = arange(3);
  REQUIRE(n.dtype() == DType::int64);
  const Tensor y = log(n);
  CHECK(y.dtype() == DType::float32);
  CHECK(y.to_vector<float>() == std::vector<float>{-INFINITY, 0.0f, std::log(2.0f)});
  const Tensor mask = gt(n, 0.5);
  const Tensor e = exp(mask);
  CHECK(e.dtype() == DType::float32);
  CHECK(e.to_vector<float>() == std::vector<float>{1.0f, std::exp(1.0f), std::exp(1.0f)});
  CHECK(sqrt(n).to_vector<float>() == sqrt(n.to(DType::float32)).to_vector<float>());
  CHECK_FALSE(sin(n).requires_grad());
  // The integer rows keep the dtype, as torch's.
  CHECK(abs(n).dtype() == DType::int64);
  CHECK(relu(n).dtype() == DType::int64);
}

TEST_CASE("a chain of 200000 ops is differentiated and freed without recursion",
          "[tensor][autograd]") {
  Tensor x = scalar_tensor(0.5, DType::float64).set_requires_grad();
  {
    Tensor y = x;
    for (int i = 0; i < 100000; ++i)
      y = y * 1.0 + 0.0;
    y.backward();
  }
  CHECK(x.grad().item() == 1.0);
}

TEST_CASE("Value and Tensor go through the same engine::reverse_sweep", "[tensor][engine]") {
  const std::uint64_t before = engine::reverse_sweep_count();
  Value a(2.0);
  (a * a).backward();
  CHECK(engine::reverse_sweep_count() == before + 1);
  Tensor t = scalar_tensor(2.0).set_requires_grad();
  (t * t).backward();
  CHECK(engine::reverse_sweep_count() == before + 2);
  CHECK(a.grad() == t.grad().item());
}

TEST_CASE("to_dot draws a tensor graph through engine::to_dot", "[tensor][dot]") {
  Tensor w = ones({3, 2}).set_requires_grad().set_label("w");
  const Tensor loss = sum(relu(matmul(ones({4, 3}), w))).set_label("loss");
  const std::string dot = to_dot(loss);
  CHECK(dot.rfind("digraph", 0) == 0);
  for (const char* text : {"matmul", "relu", "sum", "(3,2)\\ float32", "loss", "w"})
    CHECK(dot.find(text) != std::string::npos);
}

TEST_CASE("xtensor interop: zero-copy adaptor and construction", "[tensor][xtensor]") {
  Tensor t = zeros({2, 3}, DType::float64);
  auto view = as_xtensor<double>(t);
  view(1, 2) = 7.0;
  CHECK(values(t)[5] == 7.0);
  CHECK(view.shape()[0] == 2);
  CHECK_THROWS_WITH(as_xtensor<float>(t), Catch::Contains("asked for float32"));
  CHECK_THROWS_WITH(as_xtensor<double>(t.transpose(0, 1)), Catch::Contains("not contiguous"));

  const xt::xarray<double> a = {{1.0, 2.0}, {3.0, 4.0}};
  const Tensor from_a = from_xtensor(a);
  CHECK(from_a.dtype() == DType::float64);
  CHECK(values(from_a) == std::vector<double>{1, 2, 3, 4});
  const xt::xtensor<int, 1> b = {4, 5, 6};
  const Tensor from_b = from_xtensor(b);
  CHECK(from_b.dtype() == DType::int64);
  CHECK(from_b.to_vector<std::int64_t>() == std::vector<std::int64_t>{4, 5, 6});
  const xt::xarray<float> c = xt::xarray<float>{{1.f, 2.f}, {3.f, 4.f}};
  CHECK(values(from_xtensor(xt::transpose(c))) == std::vector<double>{1, 3, 2, 4});
}

TEST_CASE("gradcheck catches a wrong gradient", "[tensor][gradcheck]") {
  Tensor x = tensor({0.3, -0.7, 1.1}, DType::float64).set_requires_grad();
  // x * detach(x) has gradient detach(x), half the true 2x: gradcheck must fail.
  const GradcheckResult wrong =
      gradcheck([](const std::vector<Tensor>& in) { return in[0] * in[0].detach(); }, {x});
  CHECK_FALSE(wrong.ok);
  CHECK(wrong.message.find("input 0") != std::string::npos);
  const GradcheckResult right =
      gradcheck([](const std::vector<Tensor>& in) { return in[0] * in[0]; }, {x});
  CHECK(right.ok);
}

}  // namespace
}  // namespace kindling

namespace kindling {
namespace {

TEST_CASE("anomaly mode names the op that made the first NaN or Inf", "[tensor][anomaly]") {
  const Tensor x = tensor({1.0, 0.0}, DType::float64);
  CHECK(std::isinf(log(x).to_vector<double>()[1]));  // off: IEEE 754 as usual
  const detect_anomaly guard;
  CHECK_THROWS_WITH(log(x), Catch::Contains("log: the result is not finite"));
  Tensor y = tensor({0.0, 4.0}, DType::float64).set_requires_grad();
  const Tensor s = sum(sqrt(y));  // finite forward, infinite gradient at 0
  CHECK_THROWS_WITH(s.backward(), Catch::Contains("backward of sqrt: gradient of input 0"));
  // Ops taking a list of tensors record through the same path, check included.
  const Tensor bad = tensor({1.0, INFINITY}, DType::float64);
  CHECK_THROWS_WITH(concat({x, bad}, 0), Catch::Contains("concat: the result is not finite"));
}

}  // namespace
}  // namespace kindling

TEST_CASE("from_blob shares foreign memory and releases it with the last user", "[tensor][core]") {
  std::vector<float> buffer = {1, 2, 3, 4, 5, 6};
  int releases = 0;
  {
    kindling::Tensor t =
        kindling::from_blob(buffer.data(), {2, 3}, kindling::DType::float32, [&] { ++releases; });
    CHECK(t.data<float>() == buffer.data());  // no copy
    buffer[4] = 50;                           // writes are shared both ways
    CHECK(t.to_vector<float>()[4] == 50.0f);
    kindling::Tensor column = t.slice(1, 1, 2);  // a view keeps the memory in use
    t = kindling::Tensor();
    CHECK(releases == 0);
    CHECK(kindling::sum(column).item() == Approx(2 + 50));
  }
  CHECK(releases == 1);
  auto* misaligned = reinterpret_cast<float*>(reinterpret_cast<char*>(buffer.data()) + 1);
  CHECK_THROWS_WITH(kindling::from_blob(misaligned, {1}, kindling::DType::float32, [] {}),
                    Catch::Contains("from_blob: data for float32 must be aligned"));
}
