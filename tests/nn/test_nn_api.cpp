// Issue 13's nn surface in C++, against hand-computed values (tests/python/test_nn_api.py checks
// the same functions against torch 1.13 through the bindings): the functional forms, the losses'
// layouts, the new modules, the four optimizers' first steps, the schedulers' curves, Subset and
// random_split, precision / recall / F1 and the model summary.
#include <catch2/catch.hpp>
#include <cmath>
#include <numbers>
#include <set>
#include <string>
#include <vector>

#include "kindling/nn.hpp"
#include "kindling/tensor.hpp"

namespace {

using namespace kindling;      // NOLINT(google-build-using-namespace)
using namespace kindling::nn;  // NOLINT(google-build-using-namespace)

Tensor f64(std::vector<double> values, Shape shape) {
  return from_vector(values, shape, DType::float64);
}
std::vector<double> values(const Tensor& t) {
  return cast(t, DType::float64).to_vector<double>();
}
void check_values(const Tensor& t, const std::vector<double>& expected, double rel = 1e-12) {
  const std::vector<double> got = values(t);
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO("element " << i);
    CHECK(got[i] == Approx(expected[i]).epsilon(rel).margin(1e-15));
  }
}

}  // namespace

TEST_CASE("functional linear, pad, normalize, embedding and gelu_tanh by hand", "[nn][api]") {
  const Tensor x = f64({1, 2, 3, 4}, {2, 2});
  const Tensor w = f64({1, 0, 1, -1, 0.5, 0.5}, {3, 2});
  const Tensor b = f64({0, 1, -1}, {3});
  // Row (1, 2): (1, 1 - 2 + 1, 0.5 + 1 - 1) = (1, 0, 0.5); row (3, 4): (3, 0, 2.5).
  check_values(linear(x, w, b), {1, 0, 0.5, 3, 0, 2.5});
  check_values(linear(f64({1, 2}, {2}), w), {1, -1, 1.5});
  CHECK_THROWS_WITH(linear(cast(x, DType::float32), w),
                    Catch::Contains("linear: input dtype float32 differs from the weight dtype "
                                    "float64"));
  CHECK_THROWS_WITH(linear(f64({1, 2, 3}, {1, 3}), w),
                    Catch::Contains("does not end in the weight's in_features 2"));
  // pad (1, 2) on the last dim with 9, and crop one row off the front of dim 0.
  check_values(pad(x, {1, 2}, 9.0), {9, 1, 2, 9, 9, 9, 3, 4, 9, 9});
  check_values(pad(x, {0, 0, -1, 0}), {3, 4});
  CHECK(pad(x, {1, 1, 2, 0}).shape() == Shape{4, 4});
  CHECK_THROWS_WITH(pad(x, {-3, 0}), Catch::Contains("leave a negative size"));
  CHECK_THROWS_WITH(pad(x, {1}), Catch::Contains("(left, right) pairs"));
  // normalize rows: (3, 4) / 5; a zero row stays zero, and its gradient is 1 / eps, as torch's
  // (x / max(|x|, eps) is x / eps there).
  Tensor z = f64({3, 4, 0, 0}, {2, 2});
  z.set_requires_grad(true);
  const Tensor n = normalize(z);
  check_values(n, {0.6, 0.8, 0, 0});
  sum(n).backward();
  // d/dx of sum(x / |x|) at (3, 4): (|x|^2 - x (x1 + x2)) / |x|^3 = (25 - 21, 25 - 28) / 125.
  check_values(z.grad(), {4.0 / 125, -3.0 / 125, 1e12, 1e12});
  check_values(normalize(f64({1, -3}, {2}), 1.0, 0), {0.25, -0.75});
  const Tensor table = f64({0, 1, 10, 11, 20, 21}, {3, 2});
  const Tensor idx = from_vector<std::int64_t>({2, 0, 2, 1}, {2, 2});
  const Tensor e = embedding(idx, table);
  CHECK(e.shape() == Shape{2, 2, 2});
  check_values(e, {20, 21, 0, 1, 20, 21, 10, 11});
  // gelu_tanh(1) = 0.5 (1 + tanh(sqrt(2 / pi) 1.044715)).
  const double k = std::sqrt(2.0 / std::numbers::pi);
  check_values(gelu_tanh(f64({1.0, 0.0}, {2})), {0.5 * (1 + std::tanh(k * 1.044715)), 0.0});
}

TEST_CASE("nll_loss and cross_entropy take (C,), (N, C) and (N, C, d...)", "[nn][api][loss]") {
  // Log-probabilities of 2 samples x 3 classes x 2 positions, class axis 1.
  std::vector<double> lp(12);
  for (std::size_t i = 0; i < lp.size(); ++i)
    lp[i] = -0.1 * static_cast<double>(i + 1);
  const Tensor logp = f64(lp, {2, 3, 2});
  const Tensor t = from_vector<std::int64_t>({2, 0, 1, 1}, {2, 2});
  // Element [n, c, d] is lp[n*6 + c*2 + d]: picks [0,2,0]=-0.5 [0,0,1]=-0.2 [1,1,0]=-0.9
  // [1,1,1]=-1.0.
  check_values(nll_loss(logp, t, Reduction::none), {0.5, 0.2, 0.9, 1.0});
  CHECK(nll_loss(logp, t, Reduction::none).shape() == Shape{2, 2});
  check_values(nll_loss(logp, t), {(0.5 + 0.2 + 0.9 + 1.0) / 4});
  check_values(nll_loss(f64({-1, -2, -3}, {3}), scalar_tensor(2, DType::int64)), {3.0});
  CHECK(nll_loss(f64({-1, -2, -3}, {3}), scalar_tensor(2, DType::int64), Reduction::none).dim() ==
        0);
  CHECK_THROWS_WITH(nll_loss(logp, from_vector<std::int64_t>({0, 1}, {2})),
                    Catch::Contains("nll_loss: input (2,3,2) and target (2)"));
  CHECK_THROWS_WITH(nll_loss(f64({-1, -2}, {1, 2}), from_vector<std::int64_t>({2}, {1})),
                    Catch::Contains("nll_loss: target 2 is outside 0..1 (2 classes)"));
  // cross_entropy on (N, C, d) equals the (N*d, C) rows with the class axis moved last.
  const Tensor rows = reshape(permute(logp, {0, 2, 1}), {4, 3});
  const Tensor flat = reshape(t, {4});
  check_values(cross_entropy(logp, t, Reduction::none),
               values(cross_entropy(rows, flat, Reduction::none)));
  check_values(cross_entropy(logp, t), values(cross_entropy(rows, flat)));
  check_values(cross_entropy(logp, t, Reduction::sum, 0.1),
               values(cross_entropy(rows, flat, Reduction::sum, 0.1)));
  // The loss object is the function.
  const CrossEntropyLoss loss{.reduction = Reduction::sum, .label_smoothing = 0.1};
  check_values(loss(logp, t), values(cross_entropy(rows, flat, Reduction::sum, 0.1)));
  CHECK_THROWS_WITH(cross_entropy(logp, from_vector<std::int64_t>({0, 1, 2}, {3})),
                    Catch::Contains("expected (N, C, d1, ...) and (N, d1, ...)"));
}

TEST_CASE("mse_loss broadcasts, binary_cross_entropy, smooth_l1 and kl_div by hand",
          "[nn][api][loss]") {
  // (2, 1) against (2,): broadcast to (2, 2) as torch does: (1-1)^2 (1-3)^2 (2-1)^2 (2-3)^2.
  const Tensor a = f64({1, 2}, {2, 1}), b = f64({1, 3}, {2});
  check_values(mse_loss(a, b, Reduction::none), {0, 4, 1, 1});
  check_values(l1_loss(a, b, Reduction::sum), {4});
  CHECK_THROWS_WITH(mse_loss(f64({1, 2}, {2}), f64({1, 2, 3}, {3})), Catch::Contains("mse_loss"));
  // BCE: -(y log x + (1 - y) log(1 - x)); x = 0 with y = 1 costs 100 (the clamped log).
  check_values(
      binary_cross_entropy(f64({0.25, 0.0, 1.0}, {3}), f64({1, 1, 1}, {3}), Reduction::none),
      {-std::log(0.25), 100.0, 0.0});
  CHECK_THROWS_WITH(binary_cross_entropy(f64({1.5}, {1}), f64({1}, {1})),
                    Catch::Contains("every input must be a probability in [0, 1]"));
  CHECK(BCELoss{}(f64({0.5}, {1}), f64({0}, {1})).item() == Approx(std::log(2.0)));
  // smooth_l1 with beta 1: |d| = 0.5 -> 0.125; |d| = 3 -> 2.5.
  check_values(smooth_l1_loss(f64({0.5, -3}, {2}), f64({0, 0}, {2}), Reduction::none),
               {0.125, 2.5});
  // KL: t (log t - x), 0 where t = 0; batchmean divides the sum by N = 2.
  const Tensor x = f64({std::log(0.5), std::log(0.5), std::log(0.25), std::log(0.75)}, {2, 2});
  const Tensor t = f64({1.0, 0.0, 0.5, 0.5}, {2, 2});
  const double row0 = 1.0 * (0.0 - std::log(0.5));
  const double row1 =
      0.5 * (std::log(0.5) - std::log(0.25)) + 0.5 * (std::log(0.5) - std::log(0.75));
  check_values(kl_div_batchmean(x, t), {(row0 + row1) / 2});
  check_values(kl_div(x, t, Reduction::sum), {row0 + row1});
  check_values(kl_div(x, log(t + 1e-300), Reduction::sum, true), {row0 + row1}, 1e-9);
}

TEST_CASE("Identity, Softmax, LogSoftmax, SiLU, ModuleList and ModuleDict", "[nn][api][modules]") {
  const Tensor x = f64({0, 1, 2, 3, 4, 5}, {2, 3});
  CHECK(values(Identity{}(x)) == values(x));
  check_values(Softmax(1)(x), values(softmax(x, 1)));
  check_values(Softmax()(x), values(softmax(x, 1)));  // implicit dim 1 for 2-D
  check_values(LogSoftmax()(reshape(x, {6})), values(log_softmax(reshape(x, {6}), 0)));  // 1-D: 0
  check_values(LogSoftmax()(reshape(x, {1, 2, 3})), values(log_softmax(reshape(x, {1, 2, 3}), 0)));
  check_values(SiLU{}(x), values(x * sigmoid(x)));
  CHECK(Softmax(1).extra_repr() == "dim=1");
  CHECK(Softmax().extra_repr() == "dim=None");

  Generator g(2);
  ModuleList list;
  list.push_back(std::make_shared<Linear>(3, 2, g));
  list.push_back(std::make_shared<ReLU>());
  CHECK(list.size() == 2);
  CHECK(list[1].type_name() == "ReLU");
  CHECK_THROWS_WITH(list[2], Catch::Contains("ModuleList: index 2 is out of range for 2 modules"));
  CHECK_THROWS_WITH(list(x), Catch::Contains("ModuleList: forward(Tensor) is not implemented"));
  Sequential sequential(std::make_shared<ReLU>());
  CHECK(sequential[0].type_name() == "ReLU");
  CHECK_THROWS_AS(sequential[1], kindling::error);  // a kindling::error, not std::out_of_range
  CHECK_THROWS_WITH(sequential[1], Catch::Contains("Sequential: index 1 is out of range for 1"));
  CHECK(list.named_parameters()[0].first == "0.weight");
  ModuleDict dict;
  dict.insert("encoder", std::make_shared<Linear>(3, 4, g));
  dict.insert("act", std::make_shared<GELU>());
  CHECK(dict.contains("act"));
  CHECK(!dict.contains("decoder"));
  CHECK(dict.at("act").type_name() == "GELU");
  CHECK_THROWS_WITH(dict.at("decoder"),
                    Catch::Contains("no module named 'decoder' (it holds 'encoder', 'act')"));
  CHECK_THROWS_WITH(dict.insert("act", std::make_shared<ReLU>()),
                    Catch::Contains("already registered"));
  CHECK(dict.state_dict().contains("encoder.bias"));
}

namespace {
// p = (1, -2) with the gradient of sum(p * p) = 2p, one step.
std::vector<double> first_step(Optimizer& opt, Tensor& p) {
  p.zero_grad();
  sum(p * p).backward();
  opt.step();
  return values(p);
}
Tensor param() {
  Tensor p = f64({1.0, -2.0}, {2});
  p.set_requires_grad(true);
  return p;
}
}  // namespace

TEST_CASE("Adagrad, Adamax, NAdam and RAdam: the first steps by hand", "[nn][api][optim]") {
  {
    // sum = g^2 (+ 0.5 initial); p -= lr g / (sqrt(sum) + eps): g = (2, -4).
    Tensor p = param();
    Adagrad opt({p}, {.lr = 0.1, .initial_accumulator_value = 0.5, .eps = 0.0});
    const auto got = first_step(opt, p);
    CHECK(got[0] == Approx(1.0 - 0.1 * 2 / std::sqrt(4.5)));
    CHECK(got[1] == Approx(-2.0 + 0.1 * 4 / std::sqrt(16.5)));
    CHECK(opt.state_dict().contains("state.0.sum"));
  }
  {
    // m = 0.1 g, u = |g| + eps, p -= lr / (1 - 0.9) m / u = lr sign(g) (up to eps).
    Tensor p = param();
    Adamax opt({p}, {.lr = 0.01, .eps = 0.0});
    const auto got = first_step(opt, p);
    CHECK(got[0] == Approx(0.99).epsilon(1e-12));
    CHECK(got[1] == Approx(-1.99).epsilon(1e-12));
  }
  {
    // RAdam's first steps (rho_t <= 5): p -= lr m / (1 - b1^t) = lr g.
    Tensor p = param();
    RAdam opt({p}, {.lr = 0.01});
    const auto got = first_step(opt, p);
    CHECK(got[0] == Approx(1.0 - 0.01 * 2).epsilon(1e-12));
    CHECK(got[1] == Approx(-2.0 + 0.01 * 4).epsilon(1e-12));
  }
  {
    // NAdam, t = 1: mu1 = 0.9 (1 - 0.5 * 0.96^0.004), mu2 likewise with 0.008; d = |g| (+ eps):
    // p -= lr (1 - mu1) / (1 - mu1) sign(g) + lr mu2 / (1 - mu1 mu2) * 0.1 sign(g).
    Tensor p = param();
    NAdam opt({p}, {.lr = 0.01, .eps = 0.0});
    const double mu1 = 0.9 * (1 - 0.5 * std::pow(0.96, 0.004));
    const double mu2 = 0.9 * (1 - 0.5 * std::pow(0.96, 0.008));
    const double move = 0.01 + 0.01 * mu2 / (1 - mu1 * mu2) * 0.1;
    const auto got = first_step(opt, p);
    CHECK(got[0] == Approx(1.0 - move).epsilon(1e-12));
    CHECK(got[1] == Approx(-2.0 + move).epsilon(1e-12));
    // Resuming from a state dict continues with the same momentum product.
    const auto second = first_step(opt, p);
    Tensor q = param();
    NAdam fresh({q}, {.lr = 0.01, .eps = 0.0});
    first_step(fresh, q);
    NAdam resumed({q}, {.lr = 0.01, .eps = 0.0});
    resumed.load_state_dict(fresh.state_dict());
    CHECK(first_step(resumed, q) == second);
  }
  CHECK_THROWS_WITH(NAdam({param()}, {.beta1 = 1.0}), Catch::Contains("NAdam: betas"));
  CHECK_THROWS_WITH(Adagrad({param()}, {.lr_decay = -1.0}), Catch::Contains("Adagrad: lr_decay"));
}

namespace {
std::vector<double> lrs(Optimizer& opt, Scheduler& s, int steps) {
  std::vector<double> out{opt.lr()};
  for (int i = 0; i < steps; ++i) {
    s.step();
    out.push_back(opt.lr());
  }
  return out;
}
void check_all(const std::vector<double>& got, const std::vector<double>& expected) {
  REQUIRE(got.size() == expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    INFO("step " << i);
    CHECK(got[i] == Approx(expected[i]).epsilon(1e-12).margin(1e-15));
  }
}
}  // namespace

TEST_CASE("MultiStepLR, ExponentialLR, LinearLR, LambdaLR and OneCycleLR curves",
          "[nn][api][scheduler]") {
  Tensor p = param();
  {
    SGD opt({p}, {.lr = 1.0});
    MultiStepLR s(opt, {3, 1, 3}, 0.5);  // sorted to 1, 3, 3: a repeated milestone counts twice
    check_all(lrs(opt, s, 4), {1.0, 0.5, 0.5, 0.125, 0.125});
  }
  {
    SGD opt({p}, {.lr = 2.0});
    ExponentialLR s(opt, 0.5);
    check_all(lrs(opt, s, 3), {2.0, 1.0, 0.5, 0.25});
  }
  {
    SGD opt({p}, {.lr = 1.0});
    LinearLR s(opt, 0.5, 1.0, 2);
    check_all(lrs(opt, s, 3), {0.5, 0.75, 1.0, 1.0});
  }
  {
    SGD opt({p}, {.lr = 3.0});
    LambdaLR s(opt, [](std::int64_t epoch) { return 1.0 / static_cast<double>(epoch + 1); });
    check_all(lrs(opt, s, 2), {3.0, 1.5, 1.0});
    CHECK(s.state_dict().contains("last_epoch"));
  }
  {
    // total 10, pct 0.4: up from 0.1 / 4 to 0.1 over steps 0..3, then down to 0.025 / 100 at 9,
    // by cosine; momentum the other way between 0.85 and 0.95.
    SGD opt({p}, {.lr = 1.0, .momentum = 0.5});
    OneCycleLR s(opt, {.max_lr = 0.1,
                       .total_steps = 10,
                       .pct_start = 0.4,
                       .div_factor = 4.0,
                       .final_div_factor = 100.0});
    const double start = 0.025, end = 0.025 / 100;
    auto cosine = [](double a, double b, double pct) {
      return b + (a - b) / 2 * (std::cos(std::numbers::pi * pct) + 1);
    };
    std::vector<double> expected;
    for (int step = 0; step <= 10; ++step)
      expected.push_back(step <= 3 ? cosine(start, 0.1, step / 3.0)
                                   : cosine(0.1, end, (step - 3.0) / (9.0 - 3.0)));
    CHECK(opt.options.momentum == 0.95);
    check_all(lrs(opt, s, 10), expected);
    CHECK(opt.options.momentum == Approx(cosine(0.85, 0.95, 7.0 / 6.0)));
    CHECK_THROWS_WITH(s.step(), Catch::Contains("OneCycleLR: tried to step 12 times"));
    Adagrad no_momentum({p});
    CHECK_THROWS_WITH(OneCycleLR(no_momentum, {.total_steps = 5}),
                      Catch::Contains("Adagrad has no momentum to cycle"));
  }
  {
    Adam opt({p}, {});
    OneCycleLR s(opt, {.max_lr = 0.1, .total_steps = 4, .cosine = false});
    CHECK(opt.options.beta1 == 0.95);  // beta1 is Adam's momentum term
    s.step();
    CHECK(opt.options.beta1 < 0.95);
  }
}

TEST_CASE("Subset and random_split", "[nn][api][data]") {
  std::vector<double> xs(20);
  for (std::size_t i = 0; i < xs.size(); ++i)
    xs[i] = static_cast<double>(i);
  std::vector<std::int64_t> ys(10);
  for (std::size_t i = 0; i < ys.size(); ++i)
    ys[i] = static_cast<std::int64_t>(i);
  const TensorDataset data(f64(xs, {10, 2}), from_vector(ys, {10}));
  const Subset subset(data, {7, 2, 7});
  CHECK(subset.size() == 3);
  const std::vector<std::int64_t> picks{2, 0};
  CHECK(subset.get_batch(picks).targets.to_vector<std::int64_t>() ==
        std::vector<std::int64_t>{7, 7});
  CHECK_THROWS_WITH(subset.get(3), Catch::Contains("Subset: index 3 out of range for 3 samples"));
  CHECK_THROWS_WITH(Subset(data, {10}), Catch::Contains("Subset: index 10 at position 0"));

  Generator g(11);
  const std::vector<Subset> parts = random_split(data, {6, 0, 4}, g);
  REQUIRE(parts.size() == 3);
  CHECK(parts[1].size() == 0);
  std::set<std::int64_t> seen(parts[0].indices().begin(), parts[0].indices().end());
  seen.insert(parts[2].indices().begin(), parts[2].indices().end());
  CHECK(seen.size() == 10);  // a partition of 0..9
  // The order is the DataLoader's Fisher-Yates shuffle from the same generator state.
  Generator again(11);
  const std::vector<std::int64_t> order = shuffled_indices(10, again);
  CHECK(parts[0].indices() == std::vector<std::int64_t>(order.begin(), order.begin() + 6));
  DataLoader loader(parts[2], {.batch_size = 3});
  std::size_t batches = 0;
  for (const Batch& batch : loader) {
    CHECK(batch.inputs.size(1) == 2);
    ++batches;
  }
  CHECK(batches == 2);
  CHECK_THROWS_WITH(random_split(data, {5, 4}, g),
                    Catch::Contains("lengths (5, 4) add up to 9, not to the data set's 10"));
  const std::vector<Subset> thirds = random_split_fractions(data, {0.34, 0.33, 0.33}, g);
  CHECK(thirds[0].size() == 4);  // floor: 3, 3, 3; the remainder goes to the first
  CHECK(thirds[1].size() == 3);
  CHECK(thirds[2].size() == 3);
  CHECK_THROWS_WITH(random_split_fractions(data, {0.5, 0.4}, g),
                    Catch::Contains("fractions add up to 0.9, not to 1"));
}

TEST_CASE("precision, recall, F1 and the model summary", "[nn][api][metrics]") {
  // Predictions 0 0 1 1, truths 0 1 1 1: class 0 precision 1/2 recall 1; class 1 precision 1
  // recall 2/3.
  const Tensor pred = from_vector<std::int64_t>({0, 0, 1, 1}, {4});
  const Tensor truth = from_vector<std::int64_t>({0, 1, 1, 1}, {4});
  ConfusionMatrix cm(2);
  cm.update(pred, truth);
  CHECK(cm.precision_per_class() == std::vector<double>{0.5, 1.0});
  CHECK(cm.recall_per_class()[1] == Approx(2.0 / 3));
  const double f0 = 2 * 0.5 / 1.5, f1_class1 = 2 * (2.0 / 3) / (1 + 2.0 / 3);
  CHECK(cm.f1() == Approx((f0 + f1_class1) / 2));
  CHECK(cm.f1(Average::weighted) == Approx((f0 + 3 * f1_class1) / 4));
  CHECK(cm.precision(Average::micro) == 0.75);
  CHECK(precision(pred, truth, 2) == Approx(0.75));
  CHECK(recall(pred, truth, 2) == Approx((1.0 + 2.0 / 3) / 2));
  CHECK(f1_score(pred, truth, 3) == Approx((f0 + f1_class1 + 0.0) / 3));  // class 2: no samples

  Generator g(1);
  auto model =
      std::make_shared<Sequential>(std::make_shared<Linear>(8, 4, g), std::make_shared<ReLU>(),
                                   std::make_shared<Linear>(4, 2, g, false));
  const std::vector<LayerSummary> rows = summarize(*model, zeros({5, 8}));
  REQUIRE(rows.size() == 4);
  CHECK(rows[0].name.empty());
  CHECK(rows[0].output_shape == Shape{5, 2});
  CHECK(rows[0].parameters == 8 * 4 + 4 + 4 * 2);
  CHECK(rows[1].name == "0");
  CHECK(rows[1].depth == 1);
  CHECK(rows[1].output_shape == Shape{5, 4});
  CHECK(rows[3].type == "Linear");
  CHECK(rows[3].parameters == 8);
  const std::string text = model_summary(*model, zeros({5, 8}));
  CHECK(text.find("Total params: 44") != std::string::npos);
  CHECK(text.find("  2 (Linear)") != std::string::npos);
  // The observer is gone after the summary: a later call records nothing.
  CHECK((*model)(zeros({1, 8})).shape() == Shape{1, 2});
}
