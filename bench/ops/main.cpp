// bench_ops: memory-bound tensor ops for 1 and 2 threads: kindling, a plain scalar loop, and
// PyTorch in the same run.
//   - add, mul, exp, log and sum on `elements` float32 values (default 1M);
//   - the slow paths issue 19 names: the sum of an expanded (stride-0) tensor of 2^24 elements, a
//     broadcast add (2000,1) + (1,2000) forward plus backward, and the sum over dim 0 of a
//     transposed 1000x1000.
// Prints the CPU model, the median time, the effective GB/s (the bytes each op must move) and the
// ratio to the machine's measured triad bandwidth on arrays far bigger than the caches; ends with
// one line per op and thread count:
//   RESULT bench=ops case=<op>_<N>thread kindling=<us>us peer=torch peer_value=<us>us ratio=<k/t>
//
//   bench_ops [elements=1048576] [repeats=200]
//
// PyTorch runs as a child process started without a shell (kindling_cli/spawn.hpp), with glibc's
// malloc as is and tuned (kindling_cli/peer_environment.hpp), keeping each op's faster time.
// These ops call no BLAS, so the peer's OpenBLAS core does not matter.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "kindling/tensor.hpp"
#include "kindling_cli/machine.hpp"
#include "kindling_cli/options.hpp"
#include "kindling_cli/peer_environment.hpp"
#include "kindling_cli/spawn.hpp"
#include "kindling_cli/timing.hpp"

namespace {

using kindling_cli::Clock;

double median_seconds(int repeats, const std::function<void()>& body) {
  body();  // warm-up: caches, page faults, the allocator's free lists
  std::vector<double> times;
  for (int r = 0; r < repeats; ++r) {
    const auto start = Clock::now();
    body();
    times.push_back(kindling_cli::seconds_since(start));
  }
  return kindling_cli::median(times);
}

// STREAM-style triad a = b + s * c on 3 x 128 MiB: what the memory system sustains. The arrays
// are kindling tensors, so they get the huge pages kindling's allocator asks for (Note [huge
// pages] in tensor/src/cpu/memory.cpp), as the ops' tensors do.
double triad_bandwidth(int threads) {
  const std::int64_t n = 32 << 20;
  const kindling::Tensor ta = kindling::zeros({n}), tb = kindling::full({n}, 1.0),
                         tc = kindling::full({n}, 2.0);
  float* a = static_cast<float*>(ta.raw_data());
  const float* b = static_cast<const float*>(tb.raw_data());
  const float* c = static_cast<const float*>(tc.raw_data());
  const double t = median_seconds(5, [&] {
#pragma omp parallel for num_threads(threads) schedule(static)
    for (std::int64_t i = 0; i < n; ++i)
      a[i] = b[i] + 0.5f * c[i];
  });
  return 3.0 * 4.0 * static_cast<double>(n) / t / 1e9;
}

constexpr std::int64_t kExpanded = std::int64_t{1} << 24;  // the expanded sum's elements
constexpr std::int64_t kBroadcast = 2000;                  // (2000,1) + (1,2000)
constexpr std::int64_t kTransposed = 1000;                 // sum(t(1000x1000), dim 0)

// Median seconds per op for PyTorch in `environment`, by op name ("add" -> 0.000123); empty if it
// did not run.
std::map<std::string, double> torch_seconds(std::int64_t n, int repeats, int threads,
                                            const kindling_cli::PeerEnvironment& environment) {
  std::ostringstream script;
  script << "import torch, time\n"
         << "torch.set_num_threads(" << threads << ")\n"
         << "n, r = " << n << ", " << repeats << "\n"
         << "a = torch.randn(n); b = torch.randn(n)\n"
         << "pos = a.abs() + 0.5\n"
         << "e = torch.randn(1).expand(" << kExpanded << ")\n"
         << "p = torch.randn(" << kBroadcast << ", 1, requires_grad=True)\n"
         << "q = torch.randn(1, " << kBroadcast << ", requires_grad=True)\n"
         << "m = torch.randn(" << kTransposed << ", " << kTransposed << ").t()\n"
         << "def broadcast():\n"
         << "    p.grad = q.grad = None\n"
         << "    (p + q).sum().backward()\n"
         << "ops = {'add': lambda: a + b, 'mul': lambda: a * b, 'exp': lambda: torch.exp(a),\n"
         << "       'log': lambda: torch.log(pos), 'sum': lambda: a.sum(),\n"
         << "       'expanded_sum': lambda: e.sum(), 'broadcast_add_fwd_bwd': broadcast,\n"
         << "       'transposed_sum0': lambda: m.sum(0)}\n"
         << "for name, op in ops.items():\n"
         << "    op()\n"
         << "    ts = []\n"
         << "    for _ in range(r if name != 'expanded_sum' else max(3, r // 20)):\n"
         << "        t0 = time.perf_counter(); op(); ts.append(time.perf_counter() - t0)\n"
         << "    ts.sort(); print(name, ts[len(ts) // 2])\n";
  kindling_cli::SpawnOptions options;
  options.capture_stdout = options.discard_stderr = true;
  environment.apply(options);
  options.set_env.emplace_back("OMP_NUM_THREADS", std::to_string(threads));
  const kindling_cli::SpawnResult peer =
      kindling_cli::run_program({KINDLING_PYTHON, "-c", script.str()}, options);
  std::map<std::string, double> out;
  if (!peer.succeeded()) return out;
  std::istringstream lines(peer.output);
  std::string name;
  for (double v = 0; lines >> name >> v;)
    out[name] = v;
  return out;
}

struct Result {
  std::string name;
  int threads;
  double kindling_s, torch_s;
};

int bench(std::int64_t n, int repeats) {
  using namespace kindling;
  std::printf("bench_ops: %lld float32 elements, median of %d runs\ncpu: %s; kindling SIMD %s\n",
              static_cast<long long>(n), repeats, kindling_cli::cpu_model().c_str(),
              kernels::cpu_simd_arch());

  Generator gen(1);
  const Tensor a = randn({n}, gen), b = randn({n}, gen);
  const Tensor positive = abs(a) + 0.5;  // log's input: away from 0, as a loss's argument is
  const std::vector<float> va = a.to_vector<float>(), vb = b.to_vector<float>(),
                           vp = positive.to_vector<float>();
  std::vector<float> vc(static_cast<std::size_t>(n));
  volatile float sink = 0;

  const Tensor expanded = randn({1}, gen).expand({kExpanded});
  Tensor p = randn({kBroadcast, 1}, gen), q = randn({1, kBroadcast}, gen);
  p.set_requires_grad();
  q.set_requires_grad();
  const Tensor transposed = randn({kTransposed, kTransposed}, gen).t();
  const std::vector<float> vt = transposed.contiguous().to_vector<float>();
  std::vector<float> vcol(static_cast<std::size_t>(kTransposed));

  struct Op {
    const char* name;
    double bytes;  // what the op must read and write
    std::function<void()> kindling_op;
    std::function<void()> loop;  // the same arithmetic as a plain loop; none for autograd
    bool long_running = false;   // timed fewer times
  };
  const double dn = static_cast<double>(n);
  const double square = static_cast<double>(kBroadcast * kBroadcast);
  const std::vector<Op> ops = {
      {"add", 12 * dn, [&] { const Tensor c = a + b; },
       [&] {
         for (std::int64_t i = 0; i < n; ++i)
           vc[i] = va[i] + vb[i];
       }},
      {"mul", 12 * dn, [&] { const Tensor c = a * b; },
       [&] {
         for (std::int64_t i = 0; i < n; ++i)
           vc[i] = va[i] * vb[i];
       }},
      {"exp", 8 * dn, [&] { const Tensor c = exp(a); },
       [&] {
         for (std::int64_t i = 0; i < n; ++i)
           vc[i] = std::exp(va[i]);
       }},
      {"log", 8 * dn, [&] { const Tensor c = log(positive); },
       [&] {
         for (std::int64_t i = 0; i < n; ++i)
           vc[i] = std::log(vp[i]);
       }},
      {"sum", 4 * dn, [&] { sink = static_cast<float>(sum(a).item()); },
       [&] {
         float s = 0;
         for (std::int64_t i = 0; i < n; ++i)
           s += va[i];
         sink = s;
       }},
      // One element to read: a sum over copies is a product, so no bandwidth figure applies.
      {"expanded_sum", 4, [&] { sink = static_cast<float>(sum(expanded).item()); }, nullptr, true},
      // The (2000,2000) result written and its gradient's two sums read back: 2 x 16 MB.
      {"broadcast_add_fwd_bwd", 8 * square,
       [&] {
         p.zero_grad();
         q.zero_grad();
         sum(p + q).backward();
       },
       nullptr},
      {"transposed_sum0", 4.0 * kTransposed * kTransposed,
       [&] { const Tensor c = sum(transposed, {0}); },
       [&] {
         for (std::int64_t j = 0; j < kTransposed; ++j) {
           float s = 0;
           for (std::int64_t i = 0; i < kTransposed; ++i)
             s += vt[static_cast<std::size_t>(j * kTransposed + i)];
           vcol[static_cast<std::size_t>(j)] = s;
         }
       }},
  };

  std::vector<Result> results;
  for (int threads : {1, 2}) {
    omp_set_num_threads(threads);
    const double bandwidth = triad_bandwidth(threads);
    // The peer at its best per op: with glibc's malloc as is and tuned (these ops call no BLAS,
    // so OpenBLAS's kernel set is left to its own detection).
    std::map<std::string, double> torch;
    for (bool tuned : {false, true})
      for (const auto& [name, seconds] : torch_seconds(n, repeats, threads, {"", tuned}))
        if (!torch.count(name) || seconds < torch[name]) torch[name] = seconds;
    std::printf("\n%d thread%s: triad bandwidth %.1f GB/s\n", threads, threads > 1 ? "s" : "",
                bandwidth);
    std::printf("%-22s %12s %9s %7s %12s %12s %9s %15s\n", "op", "kindling us", "GB/s", "/triad",
                "loop us", "torch us", "GB/s", "kindling/torch");
    for (const Op& op : ops) {
      const int reps = op.long_running ? std::max(3, repeats / 20) : repeats;
      const double tk = median_seconds(reps, op.kindling_op);
      const double tl = op.loop ? median_seconds(reps, op.loop) : NAN;
      const auto peer = torch.find(op.name);
      const double tt = peer == torch.end() ? NAN : peer->second;
      std::printf("%-22s %12.1f %9.1f %7.2f %12.1f %12.1f %9.1f %15.2f\n", op.name, tk * 1e6,
                  op.bytes / tk / 1e9, op.bytes / tk / 1e9 / bandwidth, tl * 1e6, tt * 1e6,
                  op.bytes / tt / 1e9, tk / tt);
      results.push_back({op.name, threads, tk, tt});
    }
    if (torch.empty()) std::printf("(PyTorch peer unavailable)\n");
  }
  std::printf(
      "\nkindling/torch is the time ratio: below 1 kindling is faster. %lld floats (%.0f MiB per "
      "array) may fit in the L3 cache, so GB/s can exceed the triad bandwidth.\n",
      static_cast<long long>(n), 4.0 * dn / (1 << 20));
  for (const Result& r : results) {
    if (std::isnan(r.torch_s))
      std::printf(
          "RESULT bench=ops case=%s_%dthread kindling=%.2fus peer=none peer_value=none "
          "ratio=none\n",
          r.name.c_str(), r.threads, r.kindling_s * 1e6);
    else
      std::printf(
          "RESULT bench=ops case=%s_%dthread kindling=%.2fus peer=torch peer_value=%.2fus "
          "ratio=%.3f\n",
          r.name.c_str(), r.threads, r.kindling_s * 1e6, r.torch_s * 1e6, r.kindling_s / r.torch_s);
  }
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
