// bench_ops: memory-bound tensor ops on 1M float32 elements (add, mul, exp, log, sum) for 1 and 2
// threads: kindling, a plain scalar loop, and PyTorch in the same run. Prints the median time,
// the effective GB/s (bytes each op must move) and the ratio to the machine's measured triad
// bandwidth on arrays far bigger than the caches.
//
//   bench_ops [elements=1048576] [repeats=200]
//
// PyTorch runs as a child process started without a shell (kindling_cli/spawn.hpp).
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "kindling/tensor.hpp"
#include "kindling_cli/options.hpp"
#include "kindling_cli/spawn.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double median_seconds(int repeats, const std::function<void()>& body) {
  body();  // warm-up: caches, page faults, the allocator's free lists
  std::vector<double> times;
  for (int r = 0; r < repeats; ++r) {
    const auto start = Clock::now();
    body();
    times.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  std::nth_element(times.begin(), times.begin() + repeats / 2, times.end());
  return times[repeats / 2];
}

// STREAM-style triad a = b + s * c on 3 x 128 MiB: what the memory system sustains.
double triad_bandwidth(int threads) {
  const std::int64_t n = 32 << 20;
  std::vector<float> a(n), b(n, 1.0f), c(n, 2.0f);
  const double t = median_seconds(5, [&] {
#pragma omp parallel for num_threads(threads) schedule(static)
    for (std::int64_t i = 0; i < n; ++i)
      a[i] = b[i] + 0.5f * c[i];
  });
  return 3.0 * 4.0 * static_cast<double>(n) / t / 1e9;
}

// Median seconds per op for PyTorch, one line per op: "add 0.000123".
std::vector<double> torch_seconds(std::int64_t n, int repeats, int threads) {
  const std::string script =
      "import torch, time\n"
      "torch.set_num_threads(" +
      std::to_string(threads) +
      ")\n"
      "n, r = " +
      std::to_string(n) + ", " + std::to_string(repeats) +
      "\n"
      "a = torch.randn(n); b = torch.randn(n)\n"
      "pos = a.abs() + 0.5\n"
      "ops = [lambda: a + b, lambda: a * b, lambda: torch.exp(a), lambda: torch.log(pos),\n"
      "       lambda: a.sum()]\n"
      "for op in ops:\n"
      "    op()\n"
      "    ts = []\n"
      "    for _ in range(r):\n"
      "        t0 = time.perf_counter(); op(); ts.append(time.perf_counter() - t0)\n"
      "    ts.sort(); print(ts[len(ts) // 2])\n";
  // The peer detects the CPU itself (PLATFORM.md: OPENBLAS_CORETYPE may force AVX2 kernels).
  kindling_cli::SpawnOptions options;
  options.capture_stdout = options.discard_stderr = true;
  options.unset_env = {"OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"};
  options.set_env = {{"OMP_NUM_THREADS", std::to_string(threads)}};
  const kindling_cli::SpawnResult peer =
      kindling_cli::run_program({KINDLING_PYTHON, "-c", script}, options);
  std::vector<double> out;
  if (!peer.succeeded()) return out;
  std::istringstream lines(peer.output);
  for (double v = 0; lines >> v;)
    out.push_back(v);
  return out;
}

int bench(std::int64_t n, int repeats) {
  using namespace kindling;
  std::printf("bench_ops: %lld float32 elements, median of %d runs, kindling SIMD %s\n",
              static_cast<long long>(n), repeats, kernels::cpu_simd_arch());

  Generator gen(1);
  const Tensor a = randn({n}, gen), b = randn({n}, gen);
  const Tensor positive = abs(a) + 0.5;  // log's input: away from 0, as a loss's argument is
  const std::vector<float> va = a.to_vector<float>(), vb = b.to_vector<float>(),
                           vp = positive.to_vector<float>();
  std::vector<float> vc(static_cast<std::size_t>(n));
  volatile float sink = 0;

  struct Op {
    const char* name;
    double bytes_per_element;  // what the op must read and write
    std::function<void()> kindling_op;
    std::function<void()> loop;
  };
  const std::vector<Op> ops = {
      {"add", 12, [&] { const Tensor c = a + b; },
       [&] {
         for (std::int64_t i = 0; i < n; ++i)
           vc[i] = va[i] + vb[i];
       }},
      {"mul", 12, [&] { const Tensor c = a * b; },
       [&] {
         for (std::int64_t i = 0; i < n; ++i)
           vc[i] = va[i] * vb[i];
       }},
      {"exp", 8, [&] { const Tensor c = exp(a); },
       [&] {
         for (std::int64_t i = 0; i < n; ++i)
           vc[i] = std::exp(va[i]);
       }},
      {"log", 8, [&] { const Tensor c = log(positive); },
       [&] {
         for (std::int64_t i = 0; i < n; ++i)
           vc[i] = std::log(vp[i]);
       }},
      {"sum", 4, [&] { sink = static_cast<float>(sum(a).item()); },
       [&] {
         float s = 0;
         for (std::int64_t i = 0; i < n; ++i)
           s += va[i];
         sink = s;
       }},
  };

  for (int threads : {1, 2}) {
    omp_set_num_threads(threads);
    const double bandwidth = triad_bandwidth(threads);
    const std::vector<double> torch = torch_seconds(n, repeats, threads);
    std::printf("\n%d thread%s: triad bandwidth %.1f GB/s\n", threads, threads > 1 ? "s" : "",
                bandwidth);
    std::printf("%-4s %12s %9s %7s %12s %9s %12s %9s %14s\n", "op", "kindling us", "GB/s", "/triad",
                "loop us", "GB/s", "torch us", "GB/s", "kindling/torch");
    for (std::size_t i = 0; i < ops.size(); ++i) {
      const Op& op = ops[i];
      const double tk = median_seconds(repeats, op.kindling_op);
      const double tl = median_seconds(repeats, op.loop);
      const double bytes = op.bytes_per_element * static_cast<double>(n);
      const double tt = i < torch.size() ? torch[i] : NAN;
      std::printf("%-4s %12.1f %9.1f %7.2f %12.1f %9.1f %12.1f %9.1f %14.2f\n", op.name, tk * 1e6,
                  bytes / tk / 1e9, bytes / tk / 1e9 / bandwidth, tl * 1e6, bytes / tl / 1e9,
                  tt * 1e6, bytes / tt / 1e9, tt / tk);
    }
    if (torch.size() < ops.size()) std::printf("(PyTorch peer unavailable)\n");
  }
  std::printf(
      "\nkindling/torch > 1 means kindling is faster. 1M floats (4 MiB per array) fit "
      "in the L3 cache, so GB/s can exceed the triad bandwidth.\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return kindling_cli::run_main("bench_ops", [&] {
    using kindling_cli::parse_integer;
    if (argc > 1 && (std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h")) {
      std::printf(
          "usage: bench_ops [elements (1..2^30, default 2^20)] [repeats (1..100000, default "
          "200)]\n");
      return 0;
    }
    if (argc > 3) throw kindling_cli::usage_error("at most two arguments (see --help)");
    const std::int64_t n =
        argc > 1 ? parse_integer<std::int64_t>("elements", argv[1], 1, std::int64_t{1} << 30)
                 : (1 << 20);
    const int repeats = argc > 2 ? parse_integer<int>("repeats", argv[2], 1, 100000) : 200;
    return bench(n, repeats);
  });
}
