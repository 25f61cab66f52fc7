// bench_gemm: kindling::kernels::gemm against OpenBLAS (cblas_sgemm / cblas_dgemm) in the same
// run, at square sizes 64..2048 and at the MLP's forward and backward shapes, on 1 and 2
// threads. Prints GFLOP/s, the ratio kindling / OpenBLAS and the fraction of the FMA peak.
//
// Usage: bench_gemm [--quick] [--ghz F] [--filter TEXT] [--threads 1|2] [--raw-threads]
//   --quick   fewer repetitions (a smoke run)
//   --ghz F   core clock for the peak column (default 3.6: Zen 5 with two 512-bit FMA pipes,
//             2 x 16 lanes x 2 flops x 3.6 GHz = 230 GFLOP/s fp32 per core)
//   --filter  only rows whose label contains TEXT
//   --threads only this thread count (default: 1, then 2)
//   --raw-threads  keep 2 threads even when the machine is busy: switches off gemm's fallback
//             to one thread after a call slowed down by contention (on by default, as for users)
//
// OpenBLAS reads OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE when the library is loaded, before
// main() runs; a machine that sets OPENBLAS_CORETYPE=Haswell would make it run its AVX2 kernels
// at half speed. So when either is set, the benchmark removes them and re-executes itself,
// letting OpenBLAS detect the CPU; it prints the core OpenBLAS settled on.
#include <cblas.h>
#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "kindling/tensor/gemm.hpp"
#include "kindling/tensor/gemm_isa.hpp"
#include "kindling_cli/options.hpp"

namespace {

using clock_type = std::chrono::steady_clock;
namespace kk = kindling::kernels;

struct shape {
  std::string label;
  bool trans_a, trans_b;
  std::int64_t m, n, k;
};

struct options {
  bool quick = false;
  double ghz = 3.6;
  std::string filter;
  int threads = 0;  // 0: both 1 and 2
  bool raw_threads = false;
  bool help = false;
};

// printf into a std::string (GCC 12 warns falsely on `"literal" + std::to_string(...)`).
template <class... Args>
std::string format(const char* fmt, Args... args) {
  char buf[128];
  std::snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}

// Re-executes the benchmark without the OpenBLAS variables that override CPU detection.
void drop_openblas_overrides(char** argv) {
  const bool coretype = std::getenv("OPENBLAS_CORETYPE") != nullptr;
  const bool l2 = std::getenv("OPENBLAS_L2_SIZE") != nullptr;
  if (!coretype && !l2) return;
  std::fprintf(stderr, "bench_gemm: removing%s%s from the environment and re-executing\n",
               coretype ? " OPENBLAS_CORETYPE" : "", l2 ? " OPENBLAS_L2_SIZE" : "");
  unsetenv("OPENBLAS_CORETYPE");
  unsetenv("OPENBLAS_L2_SIZE");
  execv("/proc/self/exe", argv);
  std::perror("bench_gemm: execv failed; OpenBLAS keeps the overridden core");
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

template <class T>
void blas_gemm(const shape& s, T alpha, const T* a, std::int64_t lda, const T* b, std::int64_t ldb,
               T beta, T* c, std::int64_t ldc) {
  const auto ta = s.trans_a ? CblasTrans : CblasNoTrans;
  const auto tb = s.trans_b ? CblasTrans : CblasNoTrans;
  if constexpr (std::is_same_v<T, float>) {
    cblas_sgemm(CblasRowMajor, ta, tb, static_cast<int>(s.m), static_cast<int>(s.n),
                static_cast<int>(s.k), alpha, a, static_cast<int>(lda), b, static_cast<int>(ldb),
                beta, c, static_cast<int>(ldc));
  } else {
    cblas_dgemm(CblasRowMajor, ta, tb, static_cast<int>(s.m), static_cast<int>(s.n),
                static_cast<int>(s.k), alpha, a, static_cast<int>(lda), b, static_cast<int>(ldb),
                beta, c, static_cast<int>(ldc));
  }
}

// Seconds per call: the call is repeated until a sample lasts about `sample_s`, and the median
// of the samples is returned.
template <class F>
std::vector<double> samples(F&& call, int count, double sample_s) {
  call();  // warm caches, thread pools and packing buffers
  const auto t0 = clock_type::now();
  call();
  const double once = std::chrono::duration<double>(clock_type::now() - t0).count();
  const int iters = std::max(1, static_cast<int>(sample_s / std::max(once, 1e-9)));
  std::vector<double> out;
  for (int s = 0; s < count; ++s) {
    const auto start = clock_type::now();
    for (int i = 0; i < iters; ++i)
      call();
    out.push_back(std::chrono::duration<double>(clock_type::now() - start).count() / iters);
  }
  return out;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t h = v.size() / 2;
  return v.size() % 2 ? v[h] : 0.5 * (v[h - 1] + v[h]);
}

template <class T>
void run_shape(const shape& s, int threads, const options& opt) {
  // Stored shapes: A is (m, k) or, transposed, (k, m); B is (k, n) or (n, k).
  const std::int64_t a_rows = s.trans_a ? s.k : s.m, a_cols = s.trans_a ? s.m : s.k;
  const std::int64_t b_rows = s.trans_b ? s.n : s.k, b_cols = s.trans_b ? s.k : s.n;
  std::vector<T> a(static_cast<std::size_t>(a_rows * a_cols));
  std::vector<T> b(static_cast<std::size_t>(b_rows * b_cols));
  std::vector<T> c1(static_cast<std::size_t>(s.m * s.n)), c2(c1.size());
  std::mt19937 rng(42);
  std::uniform_real_distribution<T> dist(-1, 1);
  for (auto& x : a)
    x = dist(rng);
  for (auto& x : b)
    x = dist(rng);

  omp_set_num_threads(threads);
  openblas_set_num_threads(threads);

  auto ours = [&] {
    kk::gemm<T>(s.trans_a, s.trans_b, s.m, s.n, s.k, T(1), a.data(), a_cols, b.data(), b_cols, T(0),
                c1.data(), s.n);
  };
  auto theirs = [&] {
    blas_gemm<T>(s, T(1), a.data(), a_cols, b.data(), b_cols, T(0), c2.data(), s.n);
  };

  // Agreement check (relative to the size of the entries), so a fast wrong kernel cannot pass.
  ours();
  theirs();
  double err = 0, scale = 1e-30;
  for (std::size_t i = 0; i < c1.size(); ++i) {
    err = std::max(err, static_cast<double>(std::abs(c1[i] - c2[i])));
    scale = std::max(scale, static_cast<double>(std::abs(c2[i])));
  }

  // Alternate the two libraries in rounds, so slow drifts of the machine (other processes,
  // clocks) hit both. Pause between them: OpenBLAS's idle workers busy-wait for up to about
  // 2^28 cycles after a call, and would otherwise take a core from kindling's second thread
  // (libgomp's workers spin far shorter).
  const int rounds = opt.quick ? 1 : 3, per_round = opt.quick ? 3 : 7;
  const double sample_s = opt.quick ? 0.002 : 0.005;
  const auto pause = std::chrono::milliseconds(opt.quick ? 100 : 200);
  std::vector<double> t_ours, t_theirs;
  for (int r = 0; r < rounds; ++r) {
    std::this_thread::sleep_for(pause);
    for (double t : samples(theirs, per_round, sample_s))
      t_theirs.push_back(t);
    std::this_thread::sleep_for(pause);
    for (double t : samples(ours, per_round, sample_s))
      t_ours.push_back(t);
  }
  const double flops =
      2.0 * static_cast<double>(s.m) * static_cast<double>(s.n) * static_cast<double>(s.k);
  // Medians are the headline; the best sample shows what the code does when the shared machine
  // leaves it alone (other processes only ever slow a sample down).
  const double g_ours = flops / median(t_ours) * 1e-9;
  const double g_theirs = flops / median(t_theirs) * 1e-9;
  const double b_ours = flops / *std::min_element(t_ours.begin(), t_ours.end()) * 1e-9;
  const double b_theirs = flops / *std::min_element(t_theirs.begin(), t_theirs.end()) * 1e-9;
  // Two FMA pipes x (64 bytes / sizeof(T)) lanes x 2 flops per core per cycle.
  const double peak = threads * opt.ghz * 2.0 * (64.0 / sizeof(T)) * 2.0;
  const std::string mnk = format("%lldx%lldx%lld", static_cast<long long>(s.m),
                                 static_cast<long long>(s.n), static_cast<long long>(s.k));
  std::printf(
      "%-17s %c%c %-14s %-3s %2d %8.1f %8.1f %6.2f %6.1f%% %6.1f%% | %7.1f %7.1f %6.2f | %7.1e\n",
      s.label.c_str(), s.trans_a ? 'T' : 'N', s.trans_b ? 'T' : 'N', mnk.c_str(),
      sizeof(T) == 4 ? "f32" : "f64", threads, g_ours, g_theirs, g_ours / g_theirs,
      100.0 * g_ours / peak, 100.0 * g_theirs / peak, b_ours, b_theirs, b_ours / b_theirs,
      err / scale);
  std::fflush(stdout);
}

std::vector<shape> float_shapes() {
  std::vector<shape> v;
  for (std::int64_t n : {64, 128, 256, 384, 512, 768, 1024, 1536, 2048}) {
    v.push_back({format("square %lld", static_cast<long long>(n)), false, false, n, n, n});
  }
  // Transposed operands (the op column says which) go through the packing only.
  v.push_back({"square 1024", true, false, 1024, 1024, 1024});
  v.push_back({"square 1024", false, true, 1024, 1024, 1024});
  v.push_back({"square 1024", true, true, 1024, 1024, 1024});
  // The MLP 784 -> 256 -> 128 -> 10 at batch sizes 64 and 256. W is (in, out).
  //   forward  Y = X W:        (B, in) x (in, out)
  //   backward dW = X^T dY:    (in, B) x (B, out), X^T read through trans_a
  //            dX = dY W^T:    (B, out) x (out, in), W^T read through trans_b
  const std::int64_t layers[3][2] = {{784, 256}, {256, 128}, {128, 10}};
  for (std::int64_t batch : {64, 256}) {
    for (const auto& l : layers) {
      const std::int64_t in = l[0], out = l[1];
      const auto label = [&](const char* what) {
        return format("B%lld %s %lldx%lld", static_cast<long long>(batch), what,
                      static_cast<long long>(in), static_cast<long long>(out));
      };
      v.push_back({label("fwd"), false, false, batch, out, in});
      v.push_back({label("dW "), true, false, in, out, batch});
      v.push_back({label("dX "), false, true, batch, in, out});
    }
  }
  return v;
}

std::vector<shape> double_shapes() {
  std::vector<shape> v;
  for (std::int64_t n : {64, 256, 1024}) {
    v.push_back({format("square %lld", static_cast<long long>(n)), false, false, n, n, n});
  }
  v.push_back({"B64 fwd 784x256", false, false, 64, 256, 784});
  return v;
}

options parse(int argc, char** argv) {
  options opt;
  kindling_cli::Arguments args(argc, argv);
  while (args.next()) {
    if (args.is("--quick")) {
      opt.quick = true;
    } else if (args.is("--ghz")) {
      opt.ghz = kindling_cli::parse_real("--ghz", args.value(), 0.0, 100.0, true);
    } else if (args.is("--filter")) {
      opt.filter = args.value();
    } else if (args.is("--raw-threads")) {
      opt.raw_threads = true;
    } else if (args.is("--threads")) {
      opt.threads = kindling_cli::parse_integer<int>("--threads", args.value(), 1, 2);
    } else if (args.is("--help") || args.is("-h")) {
      opt.help = true;
    } else {
      args.unknown();
    }
  }
  return opt;
}

int bench(const options& opt);

}  // namespace

int main(int argc, char** argv) {
  drop_openblas_overrides(argv);
  return kindling_cli::run_main("bench_gemm", [&] {
    const options opt = parse(argc, argv);
    if (opt.help) {
      std::printf(
          "usage: bench_gemm [--quick] [--ghz F] [--filter TEXT] [--threads 1|2] "
          "[--raw-threads]\n");
      return 0;
    }
    return bench(opt);
  });
}

namespace {

int bench(const options& opt) {
  kk::gemm_set_contention_fallback(!opt.raw_threads);
  std::printf("kindling: contention fallback %s\n", opt.raw_threads ? "off" : "on");
  std::printf("OpenBLAS: core %s; config %s\n", openblas_get_corename(), openblas_get_config());
  std::printf("kindling: gemm instruction set %s\n", kk::isa_level_name(kk::gemm_active_isa()));
  std::printf("load average at start: %s\n", load_average().c_str());
  std::printf("peak: %.1f GFLOP/s fp32 per core (%.2f GHz x 2 FMA pipes x 16 lanes x 2)\n\n",
              opt.ghz * 64, opt.ghz);
  std::printf("GFLOP/s from the median of %s samples (headline) and from the best sample\n",
              opt.quick ? "3" : "21");
  std::printf("%-17s %-2s %-14s %-3s %2s %8s %8s %6s %7s %7s | %7s %7s %6s | %7s\n", "shape", "op",
              "m x n x k", "dt", "th", "kindling", "openblas", "ratio", "k%peak", "o%peak",
              "k best", "o best", "ratio", "rel.err");
  auto wanted = [&](const shape& s) {
    return opt.filter.empty() || s.label.find(opt.filter) != std::string::npos;
  };
  for (int threads : {1, 2}) {
    if (opt.threads != 0 && threads != opt.threads) continue;
    for (const shape& s : float_shapes()) {
      if (wanted(s)) run_shape<float>(s, threads, opt);
    }
    for (const shape& s : double_shapes()) {
      if (wanted(s)) run_shape<double>(s, threads, opt);
    }
  }
  std::printf("\nload average at end: %s\n", load_average().c_str());
  return 0;
}

}  // namespace
