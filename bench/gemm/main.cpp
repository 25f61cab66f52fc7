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
// OpenBLAS at its best: it reads OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE when the library is
// loaded, before main() runs, and its own detection may miss this CPU (Debian's 0.3.21 runs SSE3
// kernels on some Xeons, PLATFORM.md). So the benchmark first runs itself once per kernel set the
// CPU supports (kindling_cli/peer_environment.hpp) with --probe-openblas, which times OpenBLAS's
// sgemm at 1024 and at the MLP's batch-64 forward shape on one thread, then re-executes itself
// with the fastest set; it prints each probe and the core OpenBLAS settled on. Ends with
//   RESULT bench=gemm case=<shape>_<dtype>_<N>thread kindling=<GFLOP/s>GFLOPs peer=openblas-<core>
//          peer_value=<GFLOP/s>GFLOPs ratio=<kindling/peer> (above 1: kindling is faster)
#include <cblas.h>
#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <array>
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
#include "kindling_cli/machine.hpp"
#include "kindling_cli/options.hpp"
#include "kindling_cli/peer_environment.hpp"
#include "kindling_cli/spawn.hpp"

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

// Set in the re-executed benchmark: the probes are done and OpenBLAS runs the chosen kernel set.
constexpr const char* kChosenMarker = "KINDLING_BENCH_GEMM_OPENBLAS_CHOSEN";

// Probes every OpenBLAS kernel set in a child and re-executes the benchmark with the fastest.
void choose_openblas_core(char** argv) {
  if (std::getenv(kChosenMarker) != nullptr) return;
  kindling_cli::PeerEnvironment best;
  double best_gflops = 0;
  for (const std::string& core : kindling_cli::openblas_core_candidates()) {
    const kindling_cli::PeerEnvironment environment{core, false};
    kindling_cli::SpawnOptions options;
    options.capture_stdout = options.discard_stderr = true;
    environment.apply(options);
    const kindling_cli::SpawnResult r =
        kindling_cli::run_program({"/proc/self/exe", "--probe-openblas"}, options);
    const double gflops = r.succeeded() ? std::atof(r.output.c_str()) : 0.0;
    std::printf("OpenBLAS probe: %-40s %6.1f GFLOP/s\n", environment.name().c_str(), gflops);
    if (gflops > best_gflops) best_gflops = gflops, best = environment;
  }
  std::printf("OpenBLAS: keeping %s\n", best.name().c_str());
  std::fflush(stdout);
  unsetenv("OPENBLAS_CORETYPE");
  unsetenv("OPENBLAS_L2_SIZE");
  if (!best.openblas_core.empty()) setenv("OPENBLAS_CORETYPE", best.openblas_core.c_str(), 1);
  setenv(kChosenMarker, "1", 1);
  execv("/proc/self/exe", argv);
  std::perror("bench_gemm: execv failed; OpenBLAS keeps the core it detected");
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

// --probe-openblas: GFLOP/s of OpenBLAS's sgemm, the geometric mean of a 1024 square and the
// MLP's forward at batch 64, on one thread (the best of 5 samples of about 20 ms).
double probe_openblas() {
  openblas_set_num_threads(1);
  double product = 1;
  for (const auto& [m, n, k] : {std::array<int, 3>{1024, 1024, 1024}, {64, 256, 784}}) {
    std::vector<float> a(static_cast<std::size_t>(m) * k, 0.5f);
    std::vector<float> b(static_cast<std::size_t>(k) * n, 0.25f);
    std::vector<float> c(static_cast<std::size_t>(m) * n);
    const std::vector<double> t = samples(
        [&] {
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a.data(), k,
                      b.data(), n, 0.0f, c.data(), n);
        },
        5, 0.02);
    product *= 2.0 * m * n * k / *std::min_element(t.begin(), t.end()) * 1e-9;
  }
  return std::sqrt(product);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t h = v.size() / 2;
  return v.size() % 2 ? v[h] : 0.5 * (v[h - 1] + v[h]);
}

struct Row {
  std::string name;  // "square_1024_NN_f32_1thread"
  double kindling_gflops, openblas_gflops;
};

template <class T>
Row run_shape(const shape& s, int threads, const options& opt) {
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
  std::string name = s.label + "_" + (s.trans_a ? "T" : "N") + (s.trans_b ? "T" : "N") + "_" +
                     (sizeof(T) == 4 ? "f32" : "f64") + "_" + std::to_string(threads) + "thread";
  std::string compact;  // "B64 dW  784x256" -> "B64_dW_784x256"
  for (char ch : name)
    if (ch != ' ' || (!compact.empty() && compact.back() != '_'))
      compact.push_back(ch == ' ' ? '_' : ch);
  return {compact, g_ours, g_theirs};
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
  if (argc == 2 && std::strcmp(argv[1], "--probe-openblas") == 0) {
    std::printf("%.3f\n", probe_openblas());
    return 0;
  }
  return kindling_cli::run_main("bench_gemm", [&] {
    const options opt = parse(argc, argv);
    if (opt.help) {
      std::printf(
          "usage: bench_gemm [--quick] [--ghz F] [--filter TEXT] [--threads 1|2] "
          "[--raw-threads]\n");
      return 0;
    }
    choose_openblas_core(argv);
    return bench(opt);
  });
}

namespace {

int bench(const options& opt) {
  kk::gemm_set_contention_fallback(!opt.raw_threads);
  std::printf("cpu: %s\n", kindling_cli::cpu_model().c_str());
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
  std::vector<Row> rows;
  for (int threads : {1, 2}) {
    if (opt.threads != 0 && threads != opt.threads) continue;
    for (const shape& s : float_shapes()) {
      if (wanted(s)) rows.push_back(run_shape<float>(s, threads, opt));
    }
    for (const shape& s : double_shapes()) {
      if (wanted(s)) rows.push_back(run_shape<double>(s, threads, opt));
    }
  }
  std::printf("\nload average at end: %s\n", load_average().c_str());
  for (const Row& r : rows)
    std::printf(
        "RESULT bench=gemm case=%s kindling=%.1fGFLOPs peer=openblas-%s peer_value=%.1fGFLOPs "
        "ratio=%.3f\n",
        r.name.c_str(), r.kindling_gflops, openblas_get_corename(), r.openblas_gflops,
        r.kindling_gflops / r.openblas_gflops);
  return 0;
}

}  // namespace
