// bench/gpu_mlp: the time and the kernel launches of one training step of the Fashion-MNIST MLP
// on the GPU (784-256-128-10, ReLU, cross-entropy, AdamW through nn's fused step; the recipe of
// examples/fashion_mnist), at batch 64 (launch-bound) and 1024, with PyTorch CUDA's time for the
// same step from torch_peer.py in the same run.
//
//   bench_gpu_mlp            both batch sizes, with the PyTorch peer when it runs
//   bench_gpu_mlp --no-peer  kindling only
//
// The peer runs as a child process started without a shell (kindling_cli/spawn.hpp).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "kindling/gpu/cuda.hpp"
#include "kindling/nn.hpp"
#include "kindling_cli/machine.hpp"
#include "kindling_cli/options.hpp"
#include "kindling_cli/spawn.hpp"

using namespace kindling;

namespace {

const Device kCuda = Device::cuda(0);

struct Result {
  double ms_per_step;
  double launches_per_step;
  double loss;
};

Result run(std::int64_t batch, int steps) {
  Generator gen(5);
  const Tensor x = rand({batch, 784}, gen).to(kCuda);
  const Tensor y = randint(0, 10, {batch}, gen).to(kCuda);
  auto model = nn::mlp<nn::ReLU>({784, 256, 128, 10}, gen);
  model->to(kCuda);
  nn::AdamOptions options = nn::AdamW::with_default_decay();
  options.lr = 1e-3;
  nn::AdamW optimizer(model->parameters(), options);
  auto step = [&] {
    optimizer.zero_grad();
    Tensor loss = nn::cross_entropy((*model)(x), y);
    loss.backward();
    optimizer.step();
    return loss;
  };
  for (int i = 0; i < 10; ++i)
    step();  // warm-up: optimizer state, the caching allocator's blocks
  gpu::synchronize();
  const std::uint64_t launches = gpu::launch_count();
  const auto start = std::chrono::steady_clock::now();
  Tensor last;
  for (int i = 0; i < steps; ++i)
    last = step();
  gpu::synchronize();
  const auto stop = std::chrono::steady_clock::now();
  const double ms = std::chrono::duration<double, std::milli>(stop - start).count();
  return {ms / steps, double(gpu::launch_count() - launches) / steps, last.item()};
}

// "ms_per_step <x>" from the PyTorch peer, or a negative number when it does not run.
double torch_peer(std::int64_t batch, int steps) {
  kindling_cli::SpawnOptions options;
  options.capture_stdout = true;
  const kindling_cli::SpawnResult result = kindling_cli::run_program(
      {KINDLING_PYTHON, KINDLING_TORCH_PEER, std::to_string(batch), std::to_string(steps)},
      options);
  double ms = -1;
  std::istringstream lines(result.output);
  for (std::string line; std::getline(lines, line);) {
    std::printf("  torch: %s\n", line.c_str());
    std::sscanf(line.c_str(), "ms_per_step %lf", &ms);
  }
  return result.succeeded() ? ms : -1;
}

int bench(bool peer) {
  if (!gpu::is_available()) {
    std::printf("bench_gpu_mlp: no CUDA device (%s); nothing to measure\n",
                gpu::unavailable_reason().c_str());
    return 0;
  }
  std::printf(
      "Fashion-MNIST MLP 784-256-128-10 training step on cuda:0 (forward, cross-entropy, "
      "backward, AdamW)\ncpu: %s\n",
      kindling_cli::cpu_model().c_str());
  std::vector<std::tuple<std::int64_t, double, double>> results;  // batch, kindling, torch (ms)
  for (std::int64_t batch : {64, 1024}) {
    const int steps = batch == 64 ? 500 : 200;
    const Result r = run(batch, steps);
    std::printf("batch %5lld: kindling %8.3f ms/step, %6.1f launches/step (loss %.4f)\n",
                static_cast<long long>(batch), r.ms_per_step, r.launches_per_step, r.loss);
    double t = 0;
    if (peer) {
      t = torch_peer(batch, steps);
      if (t > 0)
        std::printf("batch %5lld: pytorch  %8.3f ms/step  -> kindling is %.2fx %s\n",
                    static_cast<long long>(batch), t,
                    t > r.ms_per_step ? t / r.ms_per_step : r.ms_per_step / t,
                    t > r.ms_per_step ? "faster" : "slower");
      else
        std::printf("batch %5lld: PyTorch CUDA peer did not run\n", static_cast<long long>(batch));
    }
    results.push_back({batch, r.ms_per_step, t});
  }
  for (const auto& [batch, k, t] : results) {
    if (t > 0)
      std::printf(
          "RESULT bench=gpu_mlp case=step_b%lld kindling=%.4gms peer=torch peer_value=%.4gms "
          "ratio=%.3f\n",
          static_cast<long long>(batch), k, t, k / t);
    else
      std::printf(
          "RESULT bench=gpu_mlp case=step_b%lld kindling=%.4gms peer=none peer_value=none "
          "ratio=none\n",
          static_cast<long long>(batch), k);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return kindling_cli::run_main("bench_gpu_mlp", [&] {
    bool peer = true;
    kindling_cli::Arguments args(argc, argv);
    while (args.next()) {
      if (args.is("--no-peer")) {
        peer = false;
      } else if (args.is("--help") || args.is("-h")) {
        std::printf("usage: bench_gpu_mlp [--no-peer]\n");
        return 0;
      } else {
        args.unknown();
      }
    }
    return bench(peer);
  });
}
