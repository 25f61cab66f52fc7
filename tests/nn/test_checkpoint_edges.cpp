// Checkpoints at their edges (issue 11): a load that fails on any part leaves model, optimizer,
// scheduler, generator and step bit-identical, and counters (steps, epochs) travel as exact int64.
// Each case fails on the code before its fix.
#include <signal.h>
#include <sys/resource.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>

#include "kindling/nn/checkpoint.hpp"
#include "kindling/nn/data.hpp"
#include "kindling/nn/layers.hpp"
#include "kindling/nn/loss.hpp"
#include "kindling/nn/safetensors.hpp"
#include "kindling/nn/tensor_util.hpp"
#include "nn_support.hpp"

using namespace kindling;
using namespace kindling::nn;
using nn_test::output_path;

namespace {

// Every entry's name, dtype, shape and bytes: equal fingerprints mean bit-identical states.
std::vector<std::string> fingerprint(const StateDict& state) {
  std::vector<std::string> out;
  for (const auto& [name, t] : state) {
    const Tensor c = t.detach().contiguous();
    std::string bytes(static_cast<const char*>(c.raw_data()),
                      static_cast<std::size_t>(c.numel()) * dtype_size(c.dtype()));
    out.push_back(name + " " + std::string(dtype_name(t.dtype())) + " " + shape_string(t.shape()) +
                  " " + bytes);
  }
  return out;
}

// A small training setup; `plateau` picks ReduceLROnPlateau (more scheduler state) over cosine.
struct Trainer {
  Generator init;
  TensorDataset data = moons_dataset(48, 0.1, 5);
  std::shared_ptr<Sequential> model;
  AdamW opt;
  std::unique_ptr<Scheduler> sched;
  DataLoader loader{data, {.batch_size = 16, .shuffle = true, .seed = 9}};
  std::int64_t step = 0;
  bool plateau;

  Trainer(std::uint64_t seed, bool use_plateau)
      : init(seed),
        model(mlp<Tanh>({2, 6, 2}, init)),
        opt(model->parameters()),
        plateau(use_plateau) {
    if (plateau)
      sched = std::make_unique<ReduceLROnPlateau>(opt, ReduceLROnPlateau::Options{.patience = 0});
    else
      sched = std::make_unique<CosineAnnealingLR>(opt, 6);
  }
  void train(int epochs) {
    for (int e = 0; e < epochs; ++e) {
      double total = 0;
      for (const Batch& b : loader) {
        opt.zero_grad();
        const Tensor loss = nn::cross_entropy((*model)(b.inputs), b.targets);
        loss.backward();
        opt.step();
        total += loss.item();
        ++step;
      }
      if (plateau)
        static_cast<ReduceLROnPlateau&>(*sched).step(total);
      else
        sched->step();
    }
  }
  Checkpoint parts() { return {model.get(), &opt, sched.get(), &loader.generator(), step}; }
  std::vector<std::string> state() const {
    auto all = fingerprint(model->state_dict());
    for (auto part : {fingerprint(opt.state_dict()), fingerprint(sched->state_dict()),
                      fingerprint(generator_state(const_cast<Trainer*>(this)->loader.generator()))})
      all.insert(all.end(), part.begin(), part.end());
    all.push_back("step " + std::to_string(step));
    return all;
  }
};

// `all` with `name` replaced by `replacement`, or dropped when it is undefined.
StateDict edited(const StateDict& all, const std::string& name, const Tensor& replacement) {
  StateDict out;
  bool found = false;
  for (const auto& [n, t] : all) {
    if (n != name) {
      out.insert(n, t);
    } else {
      found = true;
      if (replacement.defined()) out.insert(n, replacement);
    }
  }
  if (!found && replacement.defined()) out.insert(name, replacement);
  return out;
}

}  // namespace

TEST_CASE("a failed checkpoint load leaves every part bit-identical", "[nn][checkpoint][edges]") {
  for (const bool plateau : {false, true}) {
    INFO("ReduceLROnPlateau: " << plateau);
    Trainer source(21, plateau);
    source.train(2);
    const std::string good = output_path("edges_good_checkpoint.safetensors");
    save_checkpoint(good, source.parts());
    Metadata meta;
    const StateDict all = load_safetensors(good, &meta);
    std::string weight;
    for (const auto& [name, t] : all)
      if (weight.empty() && name.rfind("model.", 0) == 0) weight = name;
    const Tensor nan_f64 = scalar_tensor(std::nan(""), DType::float64);

    struct Corruption {
      const char* what;
      std::string name;
      Tensor replacement;  // undefined: the entry is dropped
      const char* message;
    };
    std::vector<Corruption> corruptions = {
        {"a model entry missing", weight, Tensor{}, "missing"},
        {"a model entry of the wrong shape", weight, zeros({1, 1}), "shape mismatch"},
        {"optimizer lr missing", "optimizer.lr", Tensor{}, "missing entry 'lr'"},
        {"optimizer step NaN", "optimizer.step", nan_f64, "entry 'step'"},
        {"optimizer state of the wrong shape", "optimizer.state.0.exp_avg", zeros({3}),
         "state.0.exp_avg"},
        {"an unexpected optimizer entry", "optimizer.state.99.exp_avg", zeros({1}), "unexpected"},
        {"scheduler last_epoch missing", "scheduler.last_epoch", Tensor{}, "last_epoch"},
        {"scheduler last_epoch 2.5", "scheduler.last_epoch", scalar_tensor(2.5, DType::float64),
         "not an integer"},
        {"generator words of the wrong shape", "generator.state", zeros({2}, DType::int64),
         "generator"},
        {"step missing", "step", Tensor{}, "step"},
        {"step 1e300", "step", scalar_tensor(1e300, DType::float64), "entry 'step'"},
    };
    if (plateau)
      corruptions.push_back({"plateau best missing", "scheduler.best", Tensor{}, "best"});

    for (const Corruption& c : corruptions) {
      INFO(c.what);
      const std::string path = output_path("edges_bad_checkpoint.safetensors");
      save_safetensors(edited(all, c.name, c.replacement), path, meta);
      Trainer target(7, plateau);  // different weights, optimizer state and generator
      target.train(1);
      target.step = 1234;
      const auto before = target.state();
      Checkpoint into = target.parts();
      CHECK_THROWS_WITH(load_checkpoint(path, into), Catch::Contains(c.message));
      target.step = into.step;
      CHECK(target.state() == before);
      // The good file still loads into the same objects.
      load_checkpoint(good, into);
      target.step = into.step;
      CHECK(target.state() == source.state());
    }
    // Not a checkpoint at all: nothing changes either.
    const std::string plain = output_path("edges_plain.safetensors");
    save_safetensors(all, plain);
    Trainer target(7, plateau);
    const auto before = target.state();
    Checkpoint into = target.parts();
    CHECK_THROWS_WITH(load_checkpoint(plain, into), Catch::Contains("not a kindling checkpoint"));
    CHECK(target.state() == before);
  }
}

TEST_CASE("checkpoint saves and loads report errno and paths", "[nn][checkpoint][edges]") {
  Generator g(2);
  auto model = mlp<ReLU>({512, 512}, g);  // 1 MiB of weights
  const std::string path = output_path("edges_checkpoint_save.safetensors");
  save_checkpoint(path, {model.get(), nullptr, nullptr, nullptr, 5});
  {
    // The file-size limit makes write() fail with EFBIG, as a full disk fails with ENOSPC.
    rlimit saved{};
    REQUIRE(getrlimit(RLIMIT_FSIZE, &saved) == 0);
    struct sigaction ignore {
    }, previous{};
    ignore.sa_handler = SIG_IGN;
    sigaction(SIGXFSZ, &ignore, &previous);
    rlimit limited = saved;
    limited.rlim_cur = 4096;
    REQUIRE(setrlimit(RLIMIT_FSIZE, &limited) == 0);
    std::string message;
    try {
      save_checkpoint(path, {model.get(), nullptr, nullptr, nullptr, 6});
    } catch (const error& e) {
      message = e.what();
    }
    setrlimit(RLIMIT_FSIZE, &saved);
    sigaction(SIGXFSZ, &previous, nullptr);
    CHECK_THAT(message, Catch::Contains(std::strerror(EFBIG)) &&
                            Catch::Contains("save_checkpoint") && Catch::Contains(path));
  }
  Checkpoint into{model.get()};
  load_checkpoint(path, into);  // the previous checkpoint is intact
  CHECK(into.step == 5);
  CHECK_THROWS_AS(load_checkpoint(KINDLING_TEST_OUTPUT_DIR, into), error);
  CHECK_THROWS_WITH(load_checkpoint(KINDLING_TEST_OUTPUT_DIR, into),
                    Catch::Contains("load_checkpoint") && Catch::Contains("directory"));
}

TEST_CASE("counters round-trip as exact int64", "[nn][checkpoint][edges]") {
  const std::int64_t big = (std::int64_t{1} << 53) + 1;
  for (const std::int64_t step : {std::int64_t{0}, big, std::numeric_limits<std::int64_t>::max()}) {
    INFO(step);
    Generator g(3);
    auto model = mlp<ReLU>({2, 2}, g);
    const std::string path = output_path("edges_step.safetensors");
    save_checkpoint(path, {model.get(), nullptr, nullptr, nullptr, step});
    CHECK(load_safetensors(path).at("step").dtype() == DType::int64);
    Checkpoint into{model.get()};
    load_checkpoint(path, into);
    CHECK(into.step == step);
    // In memory too.
    const std::string bytes = serialize_checkpoint({model.get(), nullptr, nullptr, nullptr, step});
    Checkpoint again{model.get()};
    parse_checkpoint({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()}, "m",
                     again);
    CHECK(again.step == step);
  }
  // The optimizer's and the scheduler's counters.
  Generator g(4);
  auto model = mlp<ReLU>({2, 2}, g);
  SGD opt(model->parameters(), {.lr = 0.1});
  StateDict state = opt.state_dict();
  state = edited(state, "step", int64_scalar(big));
  opt.load_state_dict(state);
  CHECK(opt.step_count() == big);
  CHECK(opt.state_dict().at("step").to_vector<std::int64_t>()[0] == big);
  StepLR sched(opt, 1000);
  StateDict s = edited(sched.state_dict(), "last_epoch", int64_scalar(big));
  sched.load_state_dict(s);
  CHECK(sched.last_epoch() == big);
  CHECK(sched.state_dict().at("last_epoch").to_vector<std::int64_t>()[0] == big);
  // Counters given as floating values load when exact, and are errors otherwise.
  CHECK(exact_int64(scalar_tensor(12.0, DType::float64), "t", "x") == 12);
  for (const double bad : {std::nan(""), HUGE_VAL, -HUGE_VAL, 2.5, 0x1p63, 1e300}) {
    INFO(bad);
    CHECK_THROWS_WITH(exact_int64(scalar_tensor(bad, DType::float64), "t", "entry 'x'"),
                      Catch::Contains("entry 'x'") && Catch::Contains("not an integer"));
  }
  CHECK_THROWS_WITH(opt.load_state_dict(edited(state, "step", int64_scalar(-1))),
                    Catch::Contains("cannot be negative"));
  CHECK(opt.step_count() == big);
}
