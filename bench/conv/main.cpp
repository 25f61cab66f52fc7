// bench/conv: conv2d forward and backward at the shapes of examples/fashion_mnist --model cnn
// (conv1: (64, 1, 28, 28) x (32, 1, 3, 3); conv2: (64, 32, 14, 14) x (64, 32, 3, 3); both
// padding 1), and that CNN's training step at batch 64 (forward, cross-entropy, backward, AdamW),
// on 1 and 2 threads, in kindling and in PyTorch (conv_torch.py, started without a shell) in one
// run. PyTorch runs with glibc's malloc thresholds raised and tries oneDNN on and off and both
// memory formats, keeping the fastest per case (it says which). Medians of individually timed
// calls; GFLOP/s of the convolutions (2 N O Ho Wo C kh kw per forward, twice that backward: the
// input and the weight gradients).
//
//   build/bench/conv/bench_conv [--quick] [--no-torch]
//
// The last lines are `RESULT bench=conv case=... kindling=... peer=torch peer_value=... ratio=...`
// (seconds; ratio kindling / torch).
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kindling/nn/conv.hpp"
#include "kindling/nn/layers.hpp"
#include "kindling/nn/loss.hpp"
#include "kindling/nn/optim.hpp"
#include "kindling/tensor.hpp"
#include "kindling_cli/json_line.hpp"
#include "kindling_cli/machine.hpp"
#include "kindling_cli/options.hpp"
#include "kindling_cli/spawn.hpp"
#include "kindling_cli/timing.hpp"

namespace {

using namespace kindling;
using namespace kindling::nn;
using kindling_cli::Clock;
using kindling_cli::median;
using kindling_cli::seconds_since;

// The median of `reps` timed calls of `timed`, which returns the seconds it measured itself.
double median_of(int reps, const std::function<double()>& timed) {
  for (int i = 0; i < 5; ++i)
    timed();
  std::vector<double> t;
  for (int i = 0; i < reps; ++i)
    t.push_back(timed());
  return median(t);
}

struct ConvCase {
  const char* name;
  Shape x, w;
  double flops() const {  // of one forward
    return 2.0 * static_cast<double>(x[0] * w[0] * x[2] * x[3] * w[1] * w[2] * w[3]);
  }
};

std::shared_ptr<Sequential> cnn(Generator& g) {
  return std::make_shared<Sequential>(
      std::make_shared<Conv2d>(1, 32, 3, g, 1, 1), std::make_shared<ReLU>(),
      std::make_shared<MaxPool2d>(2), std::make_shared<Conv2d>(32, 64, 3, g, 1, 1),
      std::make_shared<ReLU>(), std::make_shared<MaxPool2d>(2), std::make_shared<Flatten>(),
      std::make_shared<Dropout>(0.25, g), std::make_shared<Linear>(64 * 7 * 7, 128, g),
      std::make_shared<ReLU>(), std::make_shared<Linear>(128, 10, g));
}

struct Row {
  std::string name;
  double kindling = 0, torch = 0, flops = 0;  // flops 0: not a convolution
  std::string variant = "-";
};

std::vector<Row> time_kindling(int reps) {
  std::vector<Row> rows;
  Generator g(0);
  for (const ConvCase& c : {ConvCase{"conv1", {64, 1, 28, 28}, {32, 1, 3, 3}},
                            ConvCase{"conv2", {64, 32, 14, 14}, {64, 32, 3, 3}}}) {
    const Tensor x = randn(c.x, g).set_requires_grad();
    const Tensor w = randn(c.w, g).set_requires_grad();
    const Tensor b = randn({c.w[0]}, g).set_requires_grad();
    const Tensor up = randn({c.x[0], c.w[0], c.x[2], c.x[3]}, g);
    rows.push_back({std::string(c.name) + "_forward",
                    median_of(reps,
                              [&] {
                                const auto start = Clock::now();
                                const Tensor y = conv2d(x, w, b, 1, 1);
                                return seconds_since(start);
                              }),
                    0, c.flops()});
    rows.push_back({std::string(c.name) + "_backward",
                    median_of(reps,
                              [&] {
                                const Tensor y = conv2d(x, w, b, 1, 1);
                                const auto start = Clock::now();
                                y.backward(up);
                                return seconds_since(start);
                              }),
                    0, 2 * c.flops()});
  }
  auto model = cnn(g);
  AdamOptions o = AdamW::with_default_decay();
  o.lr = 1e-3;
  AdamW optimizer(model->parameters(), o);
  const Tensor x = randn({64, 1, 28, 28}, g);
  const Tensor y = randint(0, 10, {64}, g);
  rows.push_back({"train_step_b64", median_of(reps, [&] {
                    const auto start = Clock::now();
                    optimizer.zero_grad();
                    nn::cross_entropy((*model)(x), y).backward();
                    optimizer.step();
                    return seconds_since(start);
                  })});
  return rows;
}

std::string run_torch(int threads, int reps) {
  kindling_cli::SpawnOptions options;
  options.capture_stdout = options.discard_stderr = true;
  options.set_env = {{"GLIBC_TUNABLES",
                      "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=268435456"},
                     {"OMP_NUM_THREADS", std::to_string(threads)}};
  const kindling_cli::SpawnResult result =
      kindling_cli::run_program({"/usr/bin/python3", KINDLING_CONV_TORCH_PY, "--threads",
                                 std::to_string(threads), "--reps", std::to_string(reps)},
                                options);
  return result.succeeded() ? result.output : std::string{};
}

int bench(bool quick, bool torch) {
  const int reps = quick ? 10 : 50;
  std::printf("cpu: %s; SIMD %s; medians of %d timed calls\n", kindling_cli::cpu_model().c_str(),
              kernels::cpu_simd_arch(), reps);
  std::printf("%7s %-16s | %10s %10s %6s | %9s %9s | %s\n", "threads", "case", "kindling", "torch",
              "ratio", "kindling", "torch", "torch variant");
  std::printf("%7s %-16s | %10s %10s %6s | %9s %9s |\n", "", "", "ms", "ms", "k/t", "GFLOP/s",
              "GFLOP/s");
  std::vector<std::pair<int, Row>> all;
  for (const int threads : {1, 2}) {
    omp_set_num_threads(threads);
    std::vector<Row> rows = time_kindling(reps);
    const std::string peer = torch ? run_torch(threads, reps) : std::string{};
    for (Row& r : rows) {
      r.torch = kindling_cli::json_number(peer, r.name + "_s");
      r.variant = peer.empty() ? "-" : kindling_cli::json_text(peer, r.name + "_variant");
      const double kg = r.flops > 0 ? r.flops / r.kindling / 1e9 : 0;
      const double tg = r.flops > 0 && r.torch > 0 ? r.flops / r.torch / 1e9 : 0;
      std::printf("%7d %-16s | %10.3f %10.3f %6.2f | %9.1f %9.1f | %s\n", threads, r.name.c_str(),
                  r.kindling * 1e3, r.torch * 1e3, r.torch > 0 ? r.kindling / r.torch : 0.0, kg, tg,
                  r.variant.c_str());
      all.emplace_back(threads, r);
    }
    std::fflush(stdout);
  }
  std::printf("target: train_step_b64 on 1 thread at most 0.80x PyTorch's\n");
  for (const auto& [threads, r] : all) {
    if (r.torch > 0)
      std::printf(
          "RESULT bench=conv case=%s_%dthread kindling=%.6g peer=torch peer_value=%.6g "
          "ratio=%.4g\n",
          r.name.c_str(), threads, r.kindling, r.torch, r.kindling / r.torch);
    else
      std::printf(
          "RESULT bench=conv case=%s_%dthread kindling=%.6g peer=none peer_value=none "
          "ratio=none\n",
          r.name.c_str(), threads, r.kindling);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return kindling_cli::run_main("bench_conv", [&] {
    bool quick = false, torch = true;
    kindling_cli::Arguments args(argc, argv);
    while (args.next()) {
      if (args.is("--quick")) {
        quick = true;
      } else if (args.is("--no-torch")) {
        torch = false;
      } else if (args.is("--help") || args.is("-h")) {
        std::printf("usage: bench_conv [--quick] [--no-torch]\n");
        return 0;
      } else {
        args.unknown();
      }
    }
    return bench(quick, torch);
  });
}
