// bench/second_order: the Hessian-vector product of the Fashion-MNIST MLP's loss (784-256-128-10,
// ReLU, cross-entropy, batch 64) with respect to its six parameters, against a gradient of the
// same loss, in kindling (autograd::functional::hvp, and kindling::grad) and in PyTorch
// (second_order_torch.py, run from here with /usr/bin/python3, at its fastest of three hvp ways)
// in one run, on 1 and 2 threads. The target: an hvp at most 4x the time of a gradient.
//
//   build/bench/second_order/bench_second_order [--quick] [--no-torch]
//
// The last lines are `RESULT bench=second_order case=... kindling=... peer=torch peer_value=...
// ratio=...`: per thread count, the hvp / gradient ratio and the hvp's time in ms.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "kindling/tensor.hpp"
#include "kindling/tensor/autograd.hpp"
#include "kindling/tensor/functional.hpp"
#include "kindling_cli/json_line.hpp"
#include "kindling_cli/machine.hpp"
#include "kindling_cli/options.hpp"
#include "kindling_cli/spawn.hpp"

namespace {

using namespace kindling;
using kindling_cli::json_number;
using kindling_cli::json_text;
namespace fn = kindling::autograd::functional;
using Clock = std::chrono::steady_clock;

template <class F>
double median_seconds(F&& f, int steps, int repeats) {
  for (int i = 0; i < 5; ++i)
    f();
  std::vector<double> times;
  for (int i = 0; i < steps * repeats; ++i) {
    const auto start = Clock::now();
    f();
    times.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

struct Problem {
  fn::TensorList params, v;
  Tensor x, y;
};

Problem make_problem(std::int64_t batch) {
  Generator g(0);
  Problem p;
  const std::int64_t sizes[] = {784, 256, 128, 10};
  for (int i = 0; i < 3; ++i) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(sizes[i]));
    p.params.push_back((rand({sizes[i + 1], sizes[i]}, g) * 2.0 - 1.0) * bound);
    p.params.push_back((rand({sizes[i + 1]}, g) * 2.0 - 1.0) * bound);
  }
  for (const Tensor& t : p.params)
    p.v.push_back(randn(t.shape(), g));
  p.x = rand({batch, 784}, g);
  p.y = randint(0, 10, {batch}, g);
  return p;
}

Tensor mlp_loss(const fn::TensorList& w, const Tensor& x, const Tensor& y) {
  Tensor h = relu(matmul(x, w[0].transpose(0, 1)) + w[1]);
  h = relu(matmul(h, w[2].transpose(0, 1)) + w[3]);
  return cross_entropy(matmul(h, w[4].transpose(0, 1)) + w[5], y);
}

struct Timing {
  double grad_s = 0, hvp_s = 0;
};

Timing time_kindling(const Problem& p, int steps, int repeats) {
  fn::TensorList leaves;
  for (const Tensor& t : p.params) {
    Tensor leaf = t.detach().clone();
    leaf.set_requires_grad(true);
    leaves.push_back(leaf);
  }
  const fn::Function loss = [&p](const fn::TensorList& w) {
    return fn::TensorList{mlp_loss(w, p.x, p.y)};
  };
  Timing t;
  t.grad_s =
      median_seconds([&] { return grad({mlp_loss(leaves, p.x, p.y)}, leaves); }, steps, repeats);
  t.hvp_s = median_seconds([&] { return fn::hvp(loss, p.params, p.v); }, steps, repeats);
  return t;
}

std::string run_torch(int threads, std::int64_t batch, int steps, int repeats) {
  kindling_cli::SpawnOptions options;
  options.capture_stdout = options.discard_stderr = true;
  // PyTorch at its best here (bench/train_step's finding): OpenBLAS picks its own kernels.
  options.unset_env = {"OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"};
  options.set_env = {{"GLIBC_TUNABLES",
                      "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=268435456"},
                     {"OMP_NUM_THREADS", std::to_string(threads)}};
  const kindling_cli::SpawnResult result = kindling_cli::run_program(
      {"/usr/bin/python3", KINDLING_SECOND_ORDER_PY, "--threads", std::to_string(threads),
       "--batch", std::to_string(batch), "--steps", std::to_string(steps), "--repeats",
       std::to_string(repeats)},
      options);
  return result.succeeded() ? result.output : std::string{};
}

int bench(bool quick, bool torch) {
  const int steps = quick ? 10 : 40, repeats = quick ? 3 : 5;
  const std::int64_t batch = 64;
  const Problem problem = make_problem(batch);
  std::printf("second order: MLP 784-256-128-10, ReLU, cross-entropy, batch %lld, float32\n",
              static_cast<long long>(batch));
  std::printf("cpu: %s; SIMD %s; medians of %d timed calls\n", kindling_cli::cpu_model().c_str(),
              kernels::cpu_simd_arch(), steps * repeats);
  std::printf("%7s | %10s %10s %6s | %10s %10s %6s | %s\n", "threads", "grad ms", "hvp ms", "ratio",
              "torch grad", "torch hvp", "ratio", "torch's fastest hvp");
  std::vector<std::string> results;
  for (const int threads : {1, 2}) {
    omp_set_num_threads(threads);
    const Timing k = time_kindling(problem, steps, repeats);
    double tg = 0, th = 0;
    std::string way = "-";
    if (torch) {
      const std::string json = run_torch(threads, batch, steps, repeats);
      tg = json_number(json, "grad_s");
      th = json_number(json, "hvp_s");
      way = json_text(json, "hvp_way");
    }
    const double kr = k.hvp_s / k.grad_s, tr = tg > 0 ? th / tg : 0.0;
    std::printf("%7d | %10.3f %10.3f %6.2f | %10.3f %10.3f %6.2f | %s\n", threads, k.grad_s * 1e3,
                k.hvp_s * 1e3, kr, tg * 1e3, th * 1e3, tr, way.c_str());
    std::fflush(stdout);
    char line[256];
    std::snprintf(line, sizeof line,
                  "RESULT bench=second_order case=hvp_over_grad_%dt kindling=%.4g peer=torch "
                  "peer_value=%.4g ratio=%.4g",
                  threads, kr, tr, tr > 0 ? kr / tr : 0.0);
    results.emplace_back(line);
    std::snprintf(line, sizeof line,
                  "RESULT bench=second_order case=hvp_ms_%dt kindling=%.4g peer=torch "
                  "peer_value=%.4g ratio=%.4g",
                  threads, k.hvp_s * 1e3, th * 1e3, th > 0 ? k.hvp_s / th : 0.0);
    results.emplace_back(line);
  }
  std::printf("target: hvp / grad <= 4\n");
  for (const std::string& r : results)
    std::printf("%s\n", r.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return kindling_cli::run_main("bench_second_order", [&] {
    bool quick = false, torch = true;
    kindling_cli::Arguments args(argc, argv);
    while (args.next()) {
      if (args.is("--quick")) {
        quick = true;
      } else if (args.is("--no-torch")) {
        torch = false;
      } else if (args.is("--help") || args.is("-h")) {
        std::printf("usage: bench_second_order [--quick] [--no-torch]\n");
        return 0;
      } else {
        args.unknown();
      }
    }
    return bench(quick, torch);
  });
}
