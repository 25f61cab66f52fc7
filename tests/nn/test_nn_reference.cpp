// Losses, layers, optimizers, schedulers and clipping against PyTorch's numbers
// (tests/reference/nn_reference.py wrote tests/data/nn_reference.json).
#include "kindling/nn/layers.hpp"
#include "kindling/nn/loss.hpp"
#include "kindling/nn/optim.hpp"
#include "kindling/nn/scheduler.hpp"
#include "kindling/nn/tensor_util.hpp"
#include "nn_support.hpp"

using namespace kindling;
using namespace kindling::nn;
using nn_test::check_close;
using nn_test::from_json;
using nn_test::reference;

TEST_CASE("losses and their gradients match PyTorch", "[nn][loss]") {
  const auto& r = reference()["losses"];
  const Tensor target = from_vector(r["target"].get<std::vector<std::int64_t>>(), {4});
  const Tensor goal = from_json(r["goal"], {3, 2});
  const Tensor probs = from_json(r["probs"], {3, 2});
  const Tensor signs = from_json(r["signs"], {3, 2});
  struct Row {
    const char* name;
    bool logits;
    std::function<Tensor(const Tensor&)> fn;
  };
  const std::vector<Row> rows = {
      {"cross_entropy", true, [&](const Tensor& z) { return nn::cross_entropy(z, target); }},
      {"cross_entropy_smooth", true,
       [&](const Tensor& z) { return nn::cross_entropy(z, target, Reduction::mean, 0.1); }},
      {"cross_entropy_sum", true,
       [&](const Tensor& z) { return nn::cross_entropy(z, target, Reduction::sum); }},
      {"nll", true, [&](const Tensor& z) { return nll_loss(log_softmax(z, 1), target); }},
      {"mse", false, [&](const Tensor& z) { return mse_loss(z, goal); }},
      {"l1", false, [&](const Tensor& z) { return l1_loss(z, goal); }},
      {"bce_logits", false,
       [&](const Tensor& z) { return binary_cross_entropy_with_logits(z, probs); }},
      {"hinge", false, [&](const Tensor& z) { return hinge_loss(z, signs); }},
  };
  for (const auto& row : rows) {
    INFO(row.name);
    Tensor x = row.logits ? from_json(r["logits"], {4, 5}) : from_json(r["pred"], {3, 2});
    x.set_requires_grad();
    const Tensor loss = row.fn(x);
    loss.backward();
    CHECK(loss.item() == Approx(r[row.name]["value"].get<double>()).epsilon(1e-12));
    check_close(x.grad(), r[row.name]["grad"]);
  }
  CHECK_THROWS_WITH(nn::cross_entropy(zeros({4, 5}), zeros({3}, DType::int64)),
                    Catch::Contains("(4,5)") && Catch::Contains("(3)"));
  CHECK_THROWS_WITH(mse_loss(zeros({2}), zeros({3})), Catch::Contains("mse_loss"));
}

// The slope of binary_cross_entropy_with_logits is sigmoid(z) - y everywhere; at z = 0 that is
// 0.5 - y (a zero-initialised head starts there), which a max/abs composite got wrong (-y). The
// values at large |z| are PyTorch's: torch.nn.functional.binary_cross_entropy_with_logits(z, y,
// reduction="none") for z = [0, 0, -0, 800, -800, 40, -40], y = [0, 1, 0.25, 1, 0, 0.5, 0.5].
TEST_CASE("binary_cross_entropy_with_logits: the slope at 0 and the values at large |z|",
          "[nn][loss][special]") {
  const Tensor z = tensor({0.0, 0.0, -0.0, 800.0, -800.0, 40.0, -40.0}, DType::float64);
  const Tensor y = tensor({0.0, 1.0, 0.25, 1.0, 0.0, 0.5, 0.5}, DType::float64);
  const Tensor x = z.detach().set_requires_grad();
  const Tensor loss = binary_cross_entropy_with_logits(x, y, Reduction::sum);
  loss.backward();
  const std::vector<double> grad = x.grad().to_vector<double>();
  const std::vector<double> expected_grad = {0.5, -0.5, 0.25, 0.0, 0.0, 0.5, -0.5};
  for (std::size_t i = 0; i < grad.size(); ++i) {
    INFO("z = " << z.to_vector<double>()[i]);
    CHECK(grad[i] == Approx(expected_grad[i]).margin(1e-15));
  }
  const std::vector<double> terms =
      binary_cross_entropy_with_logits(z, y, Reduction::none).to_vector<double>();
  const std::vector<double> expected = {
      0.6931471805599453, 0.6931471805599453, 0.6931471805599453, 0.0, 0.0, 20.0, 20.0};
  for (std::size_t i = 0; i < terms.size(); ++i)
    CHECK(terms[i] == Approx(expected[i]).epsilon(1e-15));
  // A zero-initialised linear head: weight.grad = mean over samples of (0.5 - y) x, which is
  // [-0.25, -0.5, -0.75] for x = [[1, 2, 3], [1, 1, 1]], y = [1, 0.5], as torch gives (the
  // max/abs composite gave mean(-y x) = [-0.75, -1.25, -1.75]).
  const Tensor w = zeros({3}, DType::float64).set_requires_grad();
  const Tensor inputs = tensor({1.0, 2.0, 3.0, 1.0, 1.0, 1.0}, {2, 3}, DType::float64);
  binary_cross_entropy_with_logits(matmul(inputs, w), tensor({1.0, 0.5}, DType::float64))
      .backward();
  const std::vector<double> wg = w.grad().to_vector<double>();
  CHECK(wg == std::vector<double>{-0.25, -0.5, -0.75});
}

TEST_CASE("LayerNorm, BatchNorm1d and GELU match PyTorch", "[nn][layers]") {
  const auto& r = reference()["layers"];
  const Tensor upstream = from_json(r["upstream"], {4, 6});
  auto run = [&](Module& m, Tensor& w, Tensor& b, const nlohmann::json& expected) {
    copy_into(w, from_json(r["w"], {6}));
    copy_into(b, from_json(r["b"], {6}));
    Tensor x = from_json(r["x"], {4, 6}).set_requires_grad();
    const Tensor y = m(x);
    sum(y * upstream).backward();
    check_close(y, expected["y"], 1e-9);
    check_close(x.grad(), expected["dx"], 1e-8, 1e-10);
    check_close(w.grad(), expected["dw"], 1e-9);
    check_close(b.grad(), expected["db"], 1e-9);
  };
  LayerNorm ln({6}, 1e-5, true, DType::float64);
  run(ln, ln.weight, ln.bias, r["layer_norm"]);
  BatchNorm1d bn(6, 1e-5, 0.1, true, DType::float64);
  run(bn, bn.weight, bn.bias, r["batch_norm"]);
  check_close(bn.running_mean, r["batch_norm"]["running_mean"]);
  check_close(bn.running_var, r["batch_norm"]["running_var"]);
  CHECK(bn.num_batches_tracked.item() == 1.0);
  bn.eval();
  check_close(bn(from_json(r["x"], {4, 6})), r["batch_norm"]["eval_y"], 1e-9);

  Tensor x = from_json(r["x"], {4, 6}).set_requires_grad();
  const Tensor y = GELU()(x);
  sum(y * upstream).backward();
  check_close(y, r["gelu"]["y"], 1e-9);
  check_close(x.grad(), r["gelu"]["dx"], 1e-9);
}

namespace {
std::unique_ptr<Optimizer> make_optimizer(const std::string& name, const nlohmann::json& o,
                                          Tensor p) {
  auto get = [&](const char* key, double fallback) { return o.value(key, fallback); };
  if (name.rfind("sgd", 0) == 0)
    return std::make_unique<SGD>(std::vector<Tensor>{p},
                                 SgdOptions{get("lr", 0), get("momentum", 0), get("dampening", 0),
                                            get("weight_decay", 0), o.value("nesterov", false)});
  if (name.rfind("adam", 0) == 0) {
    AdamOptions a;
    a.lr = get("lr", 1e-3);
    if (o.contains("betas")) a.beta1 = o["betas"][0], a.beta2 = o["betas"][1];
    a.eps = get("eps", 1e-8);
    a.weight_decay = get("weight_decay", name == "adamw" ? 1e-2 : 0.0);
    if (name == "adamw") return std::make_unique<AdamW>(std::vector<Tensor>{p}, a);
    return std::make_unique<Adam>(std::vector<Tensor>{p}, a);
  }
  return std::make_unique<RMSprop>(
      std::vector<Tensor>{p},
      RmspropOptions{get("lr", 1e-2), get("alpha", 0.99), get("eps", 1e-8), get("weight_decay", 0),
                     get("momentum", 0), o.value("centered", false)});
}
}  // namespace

TEST_CASE("optimizers match PyTorch step by step, fused and as tensor ops", "[nn][optim]") {
  const auto& r = reference()["optimizers"];
  for (const auto& c : r["cases"]) {
    for (const DType dtype : {DType::float64, DType::float32}) {
      for (const bool fused : {true, false}) {
        const std::string name = c["name"];
        INFO(name << (fused ? " fused " : " tensor ops ") << dtype_name(dtype));
        Tensor p = from_json(r["p0"], {3, 4}, dtype).set_requires_grad();
        auto opt = make_optimizer(name, c["options"], p);
        opt->set_use_fused(fused);
        for (std::size_t s = 0; s < c["after"].size(); ++s) {
          opt->zero_grad();
          sum(p * from_json(r["grads"][s], {3, 4}, dtype)).backward();
          opt->step();
          if (dtype == DType::float64)
            check_close(p, c["after"][s], 1e-12, 1e-14);
          else
            check_close(p, c["after"][s], 2e-5, 2e-6);
        }
        CHECK(opt->step_count() == static_cast<std::int64_t>(c["after"].size()));
      }
    }
  }
}

TEST_CASE("optimizer state_dict restores the exact trajectory", "[nn][optim]") {
  const auto& r = reference()["optimizers"];
  const auto& c = r["cases"][4];  // adam with weight decay
  Tensor p = from_json(r["p0"], {3, 4}).set_requires_grad();
  auto opt = make_optimizer(c["name"], c["options"], p);
  for (int s = 0; s < 2; ++s) {
    opt->zero_grad();
    sum(p * from_json(r["grads"][s], {3, 4})).backward();
    opt->step();
  }
  const StateDict saved = opt->state_dict();
  CHECK(saved.contains("state.0.exp_avg"));
  CHECK(saved.at("step").item() == 2.0);
  // A fresh optimizer (different lr on purpose) loaded from the dict continues identically.
  Tensor q = from_vector(p.to_vector<double>(), {3, 4}).set_requires_grad();
  AdamOptions other;
  other.lr = 123.0;
  Adam resumed({q}, other);
  resumed.load_state_dict(saved);
  CHECK(resumed.lr() == Approx(0.02));
  for (int s = 2; s < 4; ++s) {
    resumed.zero_grad();
    sum(q * from_json(r["grads"][s], {3, 4})).backward();
    resumed.step();
    check_close(q, c["after"][s], 1e-12, 1e-14);
  }
  StateDict bad;
  bad.insert("step", scalar_tensor(1, DType::int64));
  CHECK_THROWS_WITH(resumed.load_state_dict(bad), Catch::Contains("missing entry 'lr'"));
  StateDict extra = saved;
  extra.insert("state.7.exp_avg", zeros({3, 4}));
  CHECK_THROWS_WITH(resumed.load_state_dict(extra), Catch::Contains("'state.7.exp_avg'"));
}

TEST_CASE("schedulers match PyTorch's learning rates", "[nn][scheduler]") {
  const auto& r = reference()["schedulers"];
  auto check_sequence = [](Optimizer& opt, auto&& step, const nlohmann::json& expected) {
    CHECK(opt.lr() == Approx(expected[0].get<double>()).epsilon(1e-12));
    for (std::size_t i = 1; i < expected.size(); ++i) {
      INFO("step " << i);
      step(i - 1);
      CHECK(opt.lr() == Approx(expected[i].get<double>()).epsilon(1e-12));
    }
  };
  Tensor p = zeros({1}).set_requires_grad();
  {
    SGD opt({p}, {.lr = 0.5});
    StepLR s(opt, 3, 0.5);
    check_sequence(
        opt, [&](std::size_t) { s.step(); }, r["step"]);
  }
  {
    SGD opt({p}, {.lr = 0.5});
    CosineAnnealingLR s(opt, 8, 0.01);
    check_sequence(
        opt, [&](std::size_t) { s.step(); }, r["cosine"]);
  }
  {
    SGD opt({p}, {.lr = 0.5});
    LinearWarmup s(opt, 4, 0.25);
    check_sequence(
        opt, [&](std::size_t) { s.step(); }, r["warmup"]);
  }
  {
    SGD opt({p}, {.lr = 0.5});
    ReduceLROnPlateau s(opt, {.factor = 0.5, .patience = 2, .cooldown = 1});
    const auto metrics = r["plateau_metrics"].get<std::vector<double>>();
    check_sequence(
        opt, [&](std::size_t i) { s.step(metrics[i]); }, r["plateau"]);
    CHECK_THROWS_WITH(s.step(), Catch::Contains("metric"));
  }
}

TEST_CASE("clip_grad_norm matches PyTorch, clip_grad_value clamps", "[nn][optim]") {
  const auto& r = reference()["clip"];
  Tensor a = zeros({3, 3}, DType::float64).set_requires_grad();
  Tensor b = zeros({5}, DType::float64).set_requires_grad();
  sum(a * from_json(r["ga"], {3, 3})).backward();
  sum(b * from_json(r["gb"], {5})).backward();
  CHECK(clip_grad_norm({a, b}, 1.0) == Approx(r["total"].get<double>()).epsilon(1e-12));
  check_close(a.grad(), r["clipped_a"]);
  check_close(b.grad(), r["clipped_b"]);
  clip_grad_value({a}, 0.1);
  for (double v : a.grad().to_vector<double>())
    CHECK(std::abs(v) <= 0.1);
}
