// bench/gpu_mlp: the time and the kernel launches of one MLP training step on the GPU (forward,
// backward, fused SGD step), at batch 64 (launch-bound) and 1024, with PyTorch CUDA's time for the
// same step from torch_peer.py in the same run.
//
//   bench_gpu_mlp            both batch sizes, with the PyTorch peer when it runs
//   bench_gpu_mlp --no-peer  kindling only
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "kindling/gpu/cuda.hpp"
#include "kindling/gpu/optim.hpp"
#include "kindling/tensor.hpp"

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
  const Tensor x = randn({batch, 784}, gen).to(kCuda);
  const Tensor y = randint(0, 10, {batch}, gen).to(kCuda);
  std::vector<Tensor> params = {(randn({784, 256}, gen) * 0.05).detach(), zeros({256}),
                                (randn({256, 10}, gen) * 0.05).detach(), zeros({10})};
  for (Tensor& p : params) {
    p.set_requires_grad();
    p = p.to(kCuda);
  }
  double loss = 0;
  auto step = [&](bool first) {
    const Tensor h = relu(matmul(x, params[0]) + params[1]);
    const Tensor l = cross_entropy(matmul(h, params[2]) + params[3], y);
    l.backward();
    for (Tensor& p : params) {
      gpu::sgd_step(p, p.grad(), Tensor{}, gpu::SgdOptions{0.05}, first);
      p.zero_grad();
    }
    return l;
  };
  for (int i = 0; i < 5; ++i)
    step(i == 0);  // warm-up: the caching allocator fills
  gpu::synchronize();
  const std::uint64_t launches = gpu::launch_count();
  const auto start = std::chrono::steady_clock::now();
  Tensor last;
  for (int i = 0; i < steps; ++i)
    last = step(false);
  gpu::synchronize();
  const auto stop = std::chrono::steady_clock::now();
  loss = last.item();
  const double ms = std::chrono::duration<double, std::milli>(stop - start).count();
  return {ms / steps, double(gpu::launch_count() - launches) / steps, loss};
}

// "ms_per_step <x>" from the PyTorch peer, or a negative number when it does not run.
double torch_peer(std::int64_t batch, int steps) {
  const std::string command =
      std::string(KINDLING_TORCH_PEER) + " " + std::to_string(batch) + " " + std::to_string(steps);
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  char line[256];
  double ms = -1;
  while (std::fgets(line, sizeof line, pipe) != nullptr) {
    std::fputs(("  torch: " + std::string(line)).c_str(), stdout);
    std::sscanf(line, "ms_per_step %lf", &ms);
  }
  return pclose(pipe) == 0 ? ms : -1;
}

}  // namespace

int main(int argc, char** argv) {
  const bool peer = !(argc > 1 && std::strcmp(argv[1], "--no-peer") == 0);
  if (!gpu::is_available()) {
    std::printf("bench_gpu_mlp: no CUDA device (%s); nothing to measure\n",
                gpu::unavailable_reason().c_str());
    return 0;
  }
  std::printf("MLP 784-256-10 training step on cuda:0 (forward, backward, fused SGD)\n");
  for (std::int64_t batch : {64, 1024}) {
    const int steps = batch == 64 ? 500 : 200;
    const Result r = run(batch, steps);
    std::printf("batch %5lld: kindling %8.3f ms/step, %6.1f launches/step (loss %.4f)\n",
                static_cast<long long>(batch), r.ms_per_step, r.launches_per_step, r.loss);
    if (peer) {
      const double t = torch_peer(batch, steps);
      if (t > 0)
        std::printf("batch %5lld: pytorch  %8.3f ms/step  -> kindling is %.2fx %s\n",
                    static_cast<long long>(batch), t,
                    t > r.ms_per_step ? t / r.ms_per_step : r.ms_per_step / t,
                    t > r.ms_per_step ? "faster" : "slower");
      else
        std::printf("batch %5lld: PyTorch CUDA peer did not run\n", static_cast<long long>(batch));
    }
  }
  return 0;
}
