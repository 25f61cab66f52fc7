// kindling::grad and create_graph (Note [create_graph] in tensor/src/autograd.cpp): grad()
// against backward() and hand-computed derivatives, its errors, second derivatives of the common
// ops against central differences, and gradgradcheck generated from the op table for every
// primitive, with a count check.
#include <catch2/catch.hpp>
#include <cmath>
#include <set>

#include "kindling/explain/tensor_gradcheck.hpp"
#include "kindling/tensor.hpp"
#include "kindling/tensor/testing.hpp"
#include "op_table.hpp"

namespace kindling::test {
namespace {

Tensor vec(std::vector<double> v) {
  const auto n = static_cast<std::int64_t>(v.size());
  return from_vector(v, {n}, DType::float64);
}

Tensor param(std::vector<double> v) {
  return vec(std::move(v)).set_requires_grad();
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.dtype() == b.dtype() &&
         a.to_vector<double>() == b.to_vector<double>();
}

// Checks a second-derivative program with gradgradcheck and says what failed.
void check_gradgrad(const std::function<Tensor(const std::vector<Tensor>&)>& fn,
                    const std::vector<Tensor>& inputs, const GradcheckOptions& options = {}) {
  const GradcheckResult result = gradgradcheck(fn, inputs, options);
  INFO(result.message);
  CHECK(result.ok);
}

}  // namespace

TEST_CASE("grad: the gradient backward gives, bit for bit, without touching .grad",
          "[tensor][grad]") {
  Generator gen(3);
  const Tensor w = randn({4, 3}, gen).set_requires_grad();
  const Tensor x = randn({5, 4}, gen);
  const Tensor loss = sum(tanh(matmul(x, w)) * 0.5);
  const std::vector<Tensor> g = grad({loss}, {w}, {}, true);
  REQUIRE(g.size() == 1);
  CHECK_FALSE(w.grad().defined());
  CHECK_FALSE(g[0].requires_grad());
  loss.backward();
  CHECK(same_bits(g[0], w.grad()));
  // A grad() after the backward leaves the accumulated grad as it is.
  const Tensor before = w.grad().clone();
  const Tensor again = grad({sum(w * w)}, {w})[0];
  CHECK(same_bits(w.grad(), before));
  CHECK(same_bits(again, w * 2.0));
}

TEST_CASE("grad: several outputs with grad_outputs, interior inputs, repeated inputs",
          "[tensor][grad]") {
  const Tensor a = param({1.0, 2.0, 3.0});
  const Tensor b = param({-1.0, 0.5, 2.0});
  const Tensor h = a * b;        // interior
  const Tensor y1 = h * h;       // dy1/dh = 2h
  const Tensor y2 = sum(h + a);  // scalar
  const Tensor v = vec({1.0, 10.0, 100.0});
  const std::vector<Tensor> g = grad({y1, y2}, {a, h, b}, {v, Tensor{}}, true);
  // d/da [v . (ab)^2 + sum(ab + a)] = 2 v a b^2 + b + 1; d/dh = 2 v h + 1; d/db = 2 v a^2 b + a.
  const std::vector<double> av{1, 2, 3}, bv{-1, 0.5, 2}, vv{1, 10, 100};
  for (std::size_t i = 0; i < 3; ++i) {
    const double hh = av[i] * bv[i];
    CHECK(g[0].to_vector<double>()[i] == Approx(2 * vv[i] * av[i] * bv[i] * bv[i] + bv[i] + 1));
    CHECK(g[1].to_vector<double>()[i] == Approx(2 * vv[i] * hh + 1));
    CHECK(g[2].to_vector<double>()[i] == Approx(2 * vv[i] * av[i] * av[i] * bv[i] + av[i]));
  }
  // Interior grads are scratch space: h's (none before) is still none.
  CHECK_FALSE(h.grad().defined());
  // An input given twice gets its gradient twice.
  const std::vector<Tensor> twice = grad({y2}, {a, a}, {}, true);
  CHECK(same_bits(twice[0], twice[1]));
  CHECK(twice[0].to_vector<double>() == std::vector<double>{0.0, 1.5, 3.0});  // b + 1
  // An output that is itself the input: its gradient is the seed.
  CHECK(grad({y2}, {y2})[0].item() == 1.0);
  CHECK(same_bits(grad({a}, {a}, {v})[0], v));
}

TEST_CASE("grad: errors name grad and the argument", "[tensor][grad]") {
  const Tensor x = param({1.0, 2.0});
  const Tensor unused = param({3.0});
  const Tensor constant = vec({1.0, 1.0});
  const Tensor y = x * x;
  CHECK_THROWS_WITH(grad({y}, {x}), Catch::Contains("grad: output 0 has shape (2)") &&
                                        Catch::Contains("needs a grad_output"));
  CHECK_THROWS_WITH(grad({sum(y)}, {x, unused}),
                    Catch::Contains("grad: input 1") && Catch::Contains("allow_unused"));
  const std::vector<Tensor> g = grad({sum(y)}, {x, unused}, {}, std::nullopt, false, true);
  CHECK(g[0].defined());
  CHECK_FALSE(g[1].defined());
  CHECK_THROWS_WITH(grad({sum(y)}, {constant}),
                    Catch::Contains("grad: input 0") && Catch::Contains("does not require grad"));
  CHECK_THROWS_WITH(grad({sum(constant)}, {x}),
                    Catch::Contains("grad: output 0") && Catch::Contains("does not require grad"));
  CHECK_THROWS_WITH(grad({y}, {x}, {vec({1.0, 2.0, 3.0})}),
                    Catch::Contains("grad_outputs[0] has shape (3)"));
  CHECK_THROWS_WITH(grad({y, y}, {x}, {vec({1.0, 1.0})}), Catch::Contains("1 grad_outputs for 2"));
  CHECK_THROWS_WITH(grad({}, {x}), Catch::Contains("grad: no outputs"));
  // A second backward through freed saved tensors names the op (the first it reaches, sum).
  const Tensor z = sum(exp(x) * x);
  grad({z}, {x});  // retain_graph defaults to create_graph = false: frees the saved tensors
  const Tensor w = param({1.0});
  const Tensor where_root = sum(where(gt(x, 1.5), x, w * 2.0));
  grad({where_root}, {x});
  CHECK_THROWS_WITH(grad({where_root}, {x}),
                    Catch::Contains("backward of sum") && Catch::Contains("second time"));
  // create_graph retains the graph by default: the first-order graph can be walked again.
  const Tensor q = sum(where(gt(x, 1.5), x * x, w * 2.0));
  const Tensor dq = grad({q}, {x}, {}, std::nullopt, true)[0];
  CHECK_NOTHROW(grad({q}, {x}));
  CHECK(dq.requires_grad());
}

TEST_CASE("grad: create_graph gives derivatives of derivatives", "[tensor][grad]") {
  const Tensor x = param({0.5, -1.25, 2.0});
  // y = sum(x^3): dy/dx = 3x^2 (a graph node), d/dx sum(3x^2) = 6x, d/dx sum(6x) = 6.
  const Tensor y = sum(x * x * x);
  const Tensor d1 = grad({y}, {x}, {}, std::nullopt, true)[0];
  REQUIRE(d1.requires_grad());
  const Tensor d2 = grad({sum(d1)}, {x}, {}, std::nullopt, true)[0];
  const Tensor d3 = grad({sum(d2)}, {x})[0];
  const std::vector<double> xv{0.5, -1.25, 2.0};
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(d1.to_vector<double>()[i] == Approx(3 * xv[i] * xv[i]));
    CHECK(d2.to_vector<double>()[i] == Approx(6 * xv[i]));
    CHECK(d3.to_vector<double>()[i] == Approx(6.0));
  }
  CHECK_FALSE(x.grad().defined());
  // exp through output_value: d/dx e^x = e^x all the way down.
  const Tensor e1 = grad({sum(exp(x))}, {x}, {}, std::nullopt, true)[0];
  const Tensor e2 = grad({sum(e1)}, {x})[0];
  for (std::size_t i = 0; i < 3; ++i)
    CHECK(e2.to_vector<double>()[i] == Approx(std::exp(xv[i])));
}

TEST_CASE("grad: a Hessian-vector product of a small MLP against central differences",
          "[tensor][grad]") {
  Generator gen(11);
  const Tensor xb = randn({6, 3}, gen, DType::float64);
  const Tensor target = from_vector(std::vector<std::int64_t>{0, 1, 2, 1, 0, 2}, {6});
  const Tensor w1 = randn({3, 5}, gen, DType::float64).set_requires_grad();
  const Tensor w2 = randn({5, 3}, gen, DType::float64).set_requires_grad();
  const Tensor v1 = randn({3, 5}, gen, DType::float64);
  const Tensor v2 = randn({5, 3}, gen, DType::float64);
  auto loss_of = [&](const Tensor& a, const Tensor& b) {
    return cross_entropy(matmul(tanh(matmul(xb, a)), b), target);
  };
  auto gradient = [&](const Tensor& a, const Tensor& b, bool create) {
    return grad({loss_of(a, b)}, {a, b}, {}, std::nullopt, create);
  };
  const std::vector<Tensor> g = gradient(w1, w2, true);
  const Tensor gv = sum(g[0] * v1) + sum(g[1] * v2);
  const std::vector<Tensor> hv = grad({gv}, {w1, w2});
  // (g(w + e v) - g(w - e v)) / 2e
  const double eps = 1e-5;
  Tensor p1 = (w1.detach() + v1 * eps).set_requires_grad();
  Tensor p2 = (w2.detach() + v2 * eps).set_requires_grad();
  Tensor m1 = (w1.detach() - v1 * eps).set_requires_grad();
  Tensor m2 = (w2.detach() - v2 * eps).set_requires_grad();
  const std::vector<Tensor> gp = gradient(p1, p2, false), gm = gradient(m1, m2, false);
  for (std::size_t k = 0; k < 2; ++k) {
    const std::vector<double> analytic = hv[k].to_vector<double>();
    const std::vector<double> numeric = ((gp[k] - gm[k]) / (2 * eps)).to_vector<double>();
    for (std::size_t i = 0; i < analytic.size(); ++i)
      CHECK(analytic[i] == Approx(numeric[i]).margin(1e-7).epsilon(1e-5));
  }
}

TEST_CASE("backward(create_graph): leaf grads are graph nodes, accumulated out of place",
          "[tensor][grad]") {
  const Tensor x = param({1.5, -0.5});
  const Tensor y = sum(x * x * x);
  y.backward({}, std::nullopt, true);
  const Tensor g = x.grad();
  REQUIRE(g.defined());
  CHECK(g.requires_grad());
  CHECK_FALSE(g.is_leaf());
  CHECK(g.to_vector<double>() == std::vector<double>{3 * 1.5 * 1.5, 3 * 0.25});
  // Interior grads are dropped after a create_graph pass (they would be reference cycles).
  const Tensor h = x * 2.0;
  const Tensor kept = x * 3.0;
  kept.retain_grad();
  CHECK(kept.retains_grad());
  CHECK_FALSE(kept.is_leaf());
  CHECK_FALSE(h.retains_grad());
  sum(h * kept).backward({}, std::nullopt, true);
  CHECK_FALSE(h.grad().defined());
  REQUIRE(kept.grad().defined());
  CHECK(kept.grad().to_vector<double>() == std::vector<double>{3.0, -1.0});  // = h
  // x.grad = 3x^2 + 12x, recorded: its derivative is 6x + 12.
  CHECK(x.grad().to_vector<double>() == std::vector<double>{3 * 2.25 + 18, 0.75 - 6});
  const Tensor second = grad({sum(x.grad())}, {x})[0];
  CHECK(second.to_vector<double>() == std::vector<double>{6 * 1.5 + 12, -3 + 12});
  // A first-order backward on top adds out of place: the recorded grad is never written.
  const Tensor recorded = x.grad();
  const std::vector<double> recorded_values = recorded.to_vector<double>();
  sum(x).backward();
  CHECK(recorded.to_vector<double>() == recorded_values);
  CHECK_FALSE(x.grad().requires_grad());
  CHECK(x.grad().to_vector<double>()[0] == recorded_values[0] + 1);
  // Break the cycles the recorded grads make (Note [create_graph]).
  x.zero_grad();
  kept.zero_grad();
}

TEST_CASE("backward(create_graph): first-order values agree with the fused kernels",
          "[tensor][grad]") {
  // The composite paths compute the same formulas with tensor ops: equal up to rounding.
  Generator gen(5);
  const Tensor x = randn({4, 6}, gen).set_requires_grad();
  const Tensor target = from_vector(std::vector<std::int64_t>{0, 5, 2, 3}, {4});
  auto program = [&] {
    const Tensor h = silu(x) + gelu(x) * sin(x) + relu(x) * erf(x) + leaky_relu(x, 0.1) + elu(x) +
                     softplus(x) + log_softmax(x, 1) + softmax(x, 0);
    const Tensor picked = index_select(
        gather(h, 1, from_vector(std::vector<std::int64_t>{1, 0, 2, 2, 5, 4, 3, 3}, {4, 2})), 0,
        from_vector(std::vector<std::int64_t>{3, 0, 0}, {3}));
    return cross_entropy(h, target) + sum(picked.slice(1, 0, 2, 1)) + mean(h.slice(1, 1, 6, 2));
  };
  const Tensor fused = grad({program()}, {x})[0];
  const Tensor composite = grad({program()}, {x}, {}, std::nullopt, true)[0];
  CHECK(composite.requires_grad());
  const std::vector<double> a = fused.to_vector<double>(), b = composite.to_vector<double>();
  for (std::size_t i = 0; i < a.size(); ++i)
    CHECK(b[i] == Approx(a[i]).margin(1e-5).epsilon(1e-4));
}

TEST_CASE("create_graph: second derivatives of the common ops (gradgradcheck)", "[tensor][grad]") {
  Generator gen(21);
  const Tensor a = randn({3, 4}, gen, DType::float64).set_requires_grad();
  const Tensor b = randn({3, 4}, gen, DType::float64).set_requires_grad();
  const Tensor p = (rand({3, 4}, gen, DType::float64) + 0.5).set_requires_grad();
  const Tensor m = randn({4, 2}, gen, DType::float64).set_requires_grad();
  const Tensor t = from_vector(std::vector<std::int64_t>{1, 0, 3}, {3});
  using Fn = std::function<Tensor(const std::vector<Tensor>&)>;
  const std::vector<std::pair<const char*, Fn>> programs = {
      {"add sub mul", [](const auto& x) { return (x[0] + x[1]) * (x[0] - x[1]) * x[0]; }},
      {"div", [](const auto& x) { return x[0] / x[2] + x[2] / (x[0] * x[0] + 1.0); }},
      {"pow", [](const auto& x) { return pow(x[2], x[0]) + pow(x[2], 3.0) + pow(2.0, x[1]); }},
      {"exp log", [](const auto& x) { return exp(x[0] * x[1]) + log(x[2] * x[2]); }},
      {"tanh sigmoid", [](const auto& x) { return tanh(x[0] * x[1]) * sigmoid(x[1]); }},
      {"relu", [](const auto& x) { return relu(x[0]) * x[1] * x[1]; }},
      {"matmul", [](const auto& x) { return matmul(x[0] * x[1], x[3]) * matmul(x[0], x[3]); }},
      {"sum mean", [](const auto& x) { return sum(x[0] * x[0], {1}) * mean(x[1] * x[0]); }},
      {"views",
       [](const auto& x) {
         return reshape(transpose(x[0] * x[1], 0, 1), {2, 6}).slice(1, 1, 6, 2) *
                expand(unsqueeze(sum(x[0], {1}), 0), {2, 3}).slice(1, 0, 3, 1) * 0.5;
       }},
      {"softmax", [](const auto& x) { return softmax(x[0] * x[1], 1) * x[1]; }},
      {"log_softmax", [](const auto& x) { return log_softmax(x[0] * x[1], 0) * x[0]; }},
      {"cross_entropy",
       [t](const auto& x) { return cross_entropy(x[0] * x[1], t) * sum(x[1] * x[1]); }},
      {"cross_entropy none",
       [t](const auto& x) {
         return cross_entropy(x[0] * x[0], t, Reduction::none) * x[1].sum({1});
       }},
  };
  for (const auto& [name, fn] : programs) {
    INFO(name);
    check_gradgrad(fn, {a, b, p, m});
  }
}

TEST_CASE("gradgradcheck: fails for a backward that is right to first order only",
          "[tensor][grad]") {
  Generator gen(8);
  const Tensor x = randn({2, 3}, gen, DType::float64).set_requires_grad();
  const auto fn = [](const std::vector<Tensor>& in) { return tanh(in[0]); };
  CHECK(gradgradcheck(fn, {x}).ok);
  {
    // The local derivative 1 - tanh^2 taken as a constant: d/dx of the gradient is lost.
    const testing::ReplaceBackward constant_slope(
        TensorOp::tanh, [](const Tensor& g, const std::vector<Tensor>& in) {
          const Tensor t = tanh(in[0].detach());
          return std::vector<Tensor>{g * (1.0 - t * t)};
        });
    CHECK(gradcheck(fn, {x}).ok);
    const GradcheckResult result = gradgradcheck(fn, {x});
    CHECK_FALSE(result.ok);
    CHECK_THAT(result.message, Catch::Contains("input 0"));
  }
  {
    // The upstream gradient taken as a constant: d/dg is lost (the last input, w).
    const testing::ReplaceBackward constant_g(
        TensorOp::tanh, [](const Tensor& g, const std::vector<Tensor>& in) {
          const Tensor t = tanh(in[0]);
          return std::vector<Tensor>{g.detach() * (1.0 - t * t)};
        });
    CHECK(gradcheck(fn, {x}).ok);
    const GradcheckResult result = gradgradcheck(fn, {x});
    CHECK_FALSE(result.ok);
    CHECK_THAT(result.message, Catch::Contains("input 1"));
  }
}

// ---- gradgradcheck generated from the op table ----
namespace {
Tensor draw_input(const Input& input, Generator& gen) {
  return make_input(draw(input, gen), input, DType::float64, Layout::contiguous);
}

// The same values in a non-contiguous leaf: transposed storage for matrices, every other element
// for vectors (as the op table's own backward test).
Tensor strided_copy(const Tensor& t) {
  if (t.dim() >= 2) return t.transpose(-2, -1).contiguous().transpose(-2, -1).detach();
  if (t.dim() == 1 && t.numel() > 1) {
    const Tensor spread = zeros({2 * t.numel()}, t.dtype()).slice(0, 0, 2 * t.numel(), 2).detach();
    spread.copy_(t);
    return spread;
  }
  return t;
}
}  // namespace

TEST_CASE("gradgradcheck: every primitive has a differentiable row", "[tensor][grad][table]") {
  // The ops in the graphs the rows build (what the generated gradgradcheck differentiates twice),
  // not only the rows' names: a row for op P whose graph holds no P node would not count.
  std::set<TensorOp> checked;
  for (const Row& row : all_rows()) {
    if (!row.differentiable) continue;
    for (const Case& c : row.cases) {
      Generator gen(5);
      std::vector<Tensor> inputs;
      for (const Input& in : c.inputs) {
        Tensor t = draw_input(in, gen);
        if (in.domain == Domain::normal || in.domain == Domain::positive) t.set_requires_grad();
        inputs.push_back(t);
      }
      const Tensor out = row.fn(inputs, c);
      if (!out.requires_grad()) continue;
      for (TensorNode* n : engine::topological_order(out.node()))
        checked.insert(Tensor::from_node(n).op());
    }
  }
  std::size_t missing = 0, primitives = 0;
#define KINDLING_X(name, ...)                                             \
  ++primitives;                                                           \
  if (!checked.count(TensorOp::name)) {                                   \
    ++missing;                                                            \
    UNSCOPED_INFO("no differentiable op-table row for primitive " #name); \
  }
  KINDLING_TENSOR_PRIMITIVES(KINDLING_X)
#undef KINDLING_X
  CHECK(missing == 0);
  CHECK(primitives > 40);
}

TEST_CASE("gradgradcheck: every differentiable op-table row (float64)", "[tensor][grad][table]") {
  const std::vector<Row> rows = all_rows();
  const auto r = GENERATE_COPY(range(std::size_t{0}, rows.size()));
  const Row& row = rows[r];
  if (!row.differentiable) return;
  for (std::size_t ci = 0; ci < row.cases.size(); ++ci) {
    const Case& c = row.cases[ci];
    INFO(op_name(row.op) << " case " << ci << (c.note.empty() ? "" : " [" + c.note + "]"));
    for (const bool strided : {false, true}) {
      INFO((strided ? "non-contiguous" : "contiguous"));
      Generator gen(1000 * r + ci + 99);
      std::vector<Tensor> inputs;
      for (const Input& in : c.inputs) {
        Tensor t = draw_input(in, gen);
        if (in.domain == Domain::normal || in.domain == Domain::positive) {
          if (strided) t = strided_copy(t);
          t.set_requires_grad();
        }
        inputs.push_back(t);
      }
      const GradcheckResult result = gradgradcheck(
          [&](const std::vector<Tensor>& x) { return row.fn(x, c); }, inputs, row.gradcheck);
      INFO(result.message);
      CHECK(result.ok);
    }
  }
}

}  // namespace kindling::test
