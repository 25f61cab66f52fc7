// bench/train_step: one training step (forward, cross-entropy, backward, AdamW step) of the
// 784-256-128-10 MLP at batch 64 and 256 on 1 and 2 threads, in kindling and in PyTorch
// (train_step_torch.py, run from here with /usr/bin/python3) in one run. PyTorch runs twice: at
// its best on this machine (OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE unset so OpenBLAS picks its
// AVX-512 kernels, glibc malloc thresholds raised) and as installed (the environment as is).
// Prints medians per step, the ratio kindling / best PyTorch, where kindling's time goes, and
// the time of one epoch over Fashion-MNIST in both.
//
//   build/bench/train_step/bench_train_step [--quick] [--no-torch] [--no-epoch] [--data DIR]
//
// PyTorch runs as a child process started without a shell (kindling_cli/spawn.hpp), so --data
// may hold any characters.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "kindling/nn/data.hpp"
#include "kindling/nn/layers.hpp"
#include "kindling/nn/loss.hpp"
#include "kindling/nn/optim.hpp"
#include "kindling/nn/readers.hpp"
#include "kindling/tensor.hpp"
#include "kindling_cli/json_line.hpp"
#include "kindling_cli/options.hpp"
#include "kindling_cli/spawn.hpp"
#include "kindling_cli/timing.hpp"

namespace {

using namespace kindling;
using kindling_cli::json_number;
using kindling_cli::json_text;
using namespace kindling::nn;
using kindling_cli::Clock;
using kindling_cli::median;
using kindling_cli::seconds_since;

struct Trainer {
  Generator generator{0};
  std::shared_ptr<Sequential> model = mlp<ReLU>({784, 256, 128, 10}, generator);
  AdamW optimizer{model->parameters(), [] {
                    AdamOptions o = AdamW::with_default_decay();
                    o.lr = 1e-3;
                    return o;
                  }()};
  void step(const Tensor& x, const Tensor& y) {
    optimizer.zero_grad();
    nn::cross_entropy((*model)(x), y).backward();
    optimizer.step();
  }
};

struct Phases {
  double forward = 0, backward = 0, optimizer = 0;
};

struct KindlingResult {
  double step_s;
  Phases phases;
};

KindlingResult time_kindling(std::int64_t batch, int steps, int repeats) {
  Trainer t;
  Generator g(1);
  const Tensor x = rand({batch, 784}, g);
  const Tensor y = randint(0, 10, {batch}, g);
  for (int i = 0; i < 20; ++i)
    t.step(x, y);
  // Each step timed on its own and the median taken: on a shared machine a preempted step is an
  // outlier, not a shift of the mean.
  std::vector<double> per_step;
  for (int i = 0; i < steps * repeats; ++i) {
    const auto start = Clock::now();
    t.step(x, y);
    per_step.push_back(seconds_since(start));
  }
  // The same steps again with a clock between the phases (medians per phase).
  std::vector<double> f, b, o;
  for (int i = 0; i < steps; ++i) {
    t.optimizer.zero_grad();
    auto s0 = Clock::now();
    const Tensor loss = nn::cross_entropy((*t.model)(x), y);
    auto s1 = Clock::now();
    loss.backward();
    auto s2 = Clock::now();
    t.optimizer.step();
    auto s3 = Clock::now();
    f.push_back(std::chrono::duration<double>(s1 - s0).count());
    b.push_back(std::chrono::duration<double>(s2 - s1).count());
    o.push_back(std::chrono::duration<double>(s3 - s2).count());
  }
  return {median(per_step), {median(f), median(b), median(o)}};
}

double kindling_epoch(const TensorDataset& train, std::int64_t batch) {
  Trainer t;
  DataLoader loader(train, {.batch_size = batch, .shuffle = true, .seed = 1});
  const auto start = Clock::now();
  for (const Batch& b : loader)
    t.step(b.inputs, b.targets);
  return seconds_since(start);
}

// Runs the PyTorch script and returns its JSON line (empty when it failed).
std::string run_torch(bool best, int threads, std::int64_t batch, int steps, int repeats,
                      const std::string& epoch_dir) {
  kindling_cli::SpawnOptions options;
  options.capture_stdout = options.discard_stderr = true;
  if (best) {
    options.unset_env = {"OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"};
    options.set_env = {
        {"GLIBC_TUNABLES",
         "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=268435456"}};
  }
  options.set_env.emplace_back("OMP_NUM_THREADS", std::to_string(threads));
  std::vector<std::string> argv = {
      "/usr/bin/python3", KINDLING_TRAIN_STEP_PY, "--threads", std::to_string(threads),
      "--batch",          std::to_string(batch),  "--steps",   std::to_string(steps),
      "--repeats",        std::to_string(repeats)};
  if (!epoch_dir.empty()) {
    argv.emplace_back("--epoch");
    argv.push_back(epoch_dir);
  }
  const kindling_cli::SpawnResult result = kindling_cli::run_program(std::move(argv), options);
  return result.succeeded() ? result.output : std::string{};
}

int bench(bool quick, bool torch, bool epoch, const std::string& data);

}  // namespace

int main(int argc, char** argv) {
  return kindling_cli::run_main("bench_train_step", [&] {
    bool quick = false, torch = true, epoch = true;
    std::string data;
    kindling_cli::Arguments args(argc, argv);
    while (args.next()) {
      if (args.is("--quick")) {
        quick = true;
      } else if (args.is("--no-torch")) {
        torch = false;
      } else if (args.is("--no-epoch")) {
        epoch = false;
      } else if (args.is("--data")) {
        data = args.value();
      } else if (args.is("--help") || args.is("-h")) {
        std::printf("usage: bench_train_step [--quick] [--no-torch] [--no-epoch] [--data DIR]\n");
        return 0;
      } else {
        args.unknown();
      }
    }
    return bench(quick, torch, epoch, data);
  });
}

namespace {

int bench(bool quick, bool torch, bool epoch, const std::string& data) {
  const int repeats = quick ? 3 : 7;
  TensorDataset train;
  if (epoch) {
    try {
      train = fashion_mnist(Split::train, data);
    } catch (const error& e) {
      std::printf("no epoch timing: %s\n", e.what());
      epoch = false;
    }
  }
  std::printf(
      "MLP 784-256-128-10, ReLU, cross-entropy, AdamW; median time of a step (%d x steps "
      "each timed); SIMD %s\n",
      repeats, kernels::cpu_simd_arch());
  std::printf("%7s %5s | %9s %9s %9s %6s | %8s %8s %8s | %s\n", "threads", "batch", "kindling",
              "torch", "torch", "ratio", "forward", "backward", "AdamW", "torch kernel");
  std::printf("%7s %5s | %9s %9s %9s %6s | %8s %8s %8s |\n", "", "", "us", "best us", "as-is us",
              "k/best", "us", "us", "us");
  struct EpochRow {
    int threads;
    double kindling, torch_best;
  };
  std::vector<EpochRow> epochs;
  for (const int threads : {1, 2}) {
    omp_set_num_threads(threads);
    for (const std::int64_t batch : {64, 256}) {
      const int steps = static_cast<int>((quick ? 40 : 200) * 64 / batch);
      const KindlingResult k = time_kindling(batch, steps, repeats);
      double best = 0, as_is = 0;
      std::string core = "-";
      if (torch) {
        const std::string b = run_torch(true, threads, batch, steps, repeats, "");
        const std::string a = run_torch(false, threads, batch, steps, repeats, "");
        best = json_number(b, "step_s");
        as_is = json_number(a, "step_s");
        core = json_text(b, "openblas_core") + " (as-is " + json_text(a, "openblas_core") + ")";
      }
      std::printf("%7d %5lld | %9.1f %9.1f %9.1f %6.2f | %8.1f %8.1f %8.1f | %s\n", threads,
                  static_cast<long long>(batch), k.step_s * 1e6, best * 1e6, as_is * 1e6,
                  best > 0 ? k.step_s / best : 0.0, k.phases.forward * 1e6, k.phases.backward * 1e6,
                  k.phases.optimizer * 1e6, core.c_str());
      std::fflush(stdout);
    }
    if (epoch) {
      const double ke = kindling_epoch(train, 64);
      double te = 0;
      if (torch)
        te = json_number(run_torch(true, threads, 64, 1, 1, fashion_mnist_dir(data)), "epoch_s");
      epochs.push_back({threads, ke, te});
    }
  }
  for (const auto& e : epochs)
    std::printf(
        "one epoch of Fashion-MNIST (60000 images, batch 64, %d thread%s): kindling %.2f s, "
        "PyTorch (best) %.2f s, ratio %.2f\n",
        e.threads, e.threads > 1 ? "s" : "", e.kindling, e.torch_best,
        e.torch_best > 0 ? e.kindling / e.torch_best : 0.0);
  std::printf("targets: ratio <= 0.80 at batch 64, <= 0.90 at batch 256\n");
  return 0;
}

}  // namespace
