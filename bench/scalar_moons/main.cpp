// bench/scalar_moons: milliseconds per training step and nanoseconds per graph node of the moons
// MLP on Value (forward + backward + update + teardown), with the time split by phase and memory
// across steps, against ADOL-C doing the same step in the same run (adolc_peer.cpp, at its best
// options), optionally instructions per node under callgrind (callgrind_run.cpp), and the same
// training in a pure-Python scalar engine (python_peer.py, micrograd's design) as an extra line.
//
// usage: bench_scalar_moons [--steps N] [--cpu N] [--callgrind] [--callgrind-steps N]
//                           [--adolc-trial-steps N] [--no-adolc] [--python-steps N] [--no-python]
//
// The last lines are `RESULT bench=scalar_moons case=... kindling=... peer=... peer_value=...
// ratio=...`. The exit status is 1 when ADOL-C's loss curve differs from kindling's by more than
// 1e-12 relative. The peers run as child processes started without a shell
// (kindling_cli/spawn.hpp); the Python peer reads the data from a private temporary file.
#include <sched.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "callgrind_run.hpp"
#include "kindling/engine/graph.hpp"
#include "kindling/nn/moons.hpp"
#include "kindling/nn/scalar.hpp"
#include "kindling_cli/machine.hpp"
#include "kindling_cli/options.hpp"
#include "kindling_cli/spawn.hpp"
#include "moons_problem.hpp"
#if defined(KINDLING_BENCH_ADOLC)
#include "adolc_peer.hpp"
#endif

using kindling::Value;
namespace scalar = kindling::nn::scalar;
using moons_bench::median;
using Clock = std::chrono::steady_clock;

namespace {

[[maybe_unused]] constexpr double kLossTolerance =
    1e-12;  // relative, ADOL-C's loss curve against kindling's

struct Options {
  int steps = 100;
  int python_steps = 3;
  bool python = true;
  bool adolc = true;
  int adolc_trial_steps = 10;  // per try; each variant is tried four times
  bool callgrind = false;
  int callgrind_steps = 3;
  bool callgrind_child = false;      // this process runs under valgrind for a parent's --callgrind
  int callgrind_adolc_variant = -1;  // with callgrind_child: run this ADOL-C variant, not kindling
  std::optional<int> cpu;
};

// A file made by mkstemp (so no other user can plant it), removed when this goes out of scope.
class TemporaryFile {
 public:
  TemporaryFile() {
    std::string name = (std::filesystem::temp_directory_path() / "kindling_moons_XXXXXX").string();
    const int fd = ::mkstemp(name.data());
    if (fd >= 0) {
      ::close(fd);
      path_ = name;
    }
  }
  ~TemporaryFile() {
    if (!path_.empty()) std::remove(path_.c_str());
  }
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;
  const std::string& path() const noexcept { return path_; }  // empty when none could be made

 private:
  std::string path_;
};

// Runs the peer and returns its milliseconds per step, or a negative number if it failed.
double run_python_peer(const kindling::nn::MoonsData& data, int steps, int schedule) {
  const TemporaryFile input;
  if (input.path().empty()) return -1;
  {
    std::ofstream rows(input.path());
    for (std::size_t i = 0; i < data.size(); ++i) {
      rows << data.x[2 * i] << ' ' << data.x[2 * i + 1] << ' ' << (data.label[i] ? 1 : -1) << '\n';
    }
    if (!rows.good()) return -1;
  }
  kindling_cli::SpawnOptions options;
  options.capture_stdout = true;
  options.stdin_path = input.path();
  const kindling_cli::SpawnResult peer = kindling_cli::run_program(
      {"/usr/bin/python3", KINDLING_PYTHON_PEER, std::to_string(steps), std::to_string(schedule)},
      options);
  double ms = -1;
  long nodes = 0;
  if (!peer.succeeded() ||
      std::sscanf(peer.output.c_str(), "python_ms_per_step %lf nodes_per_step %ld", &ms, &nodes) !=
          2)
    ms = -1;
  if (ms > 0) std::printf("python peer: %.1f ms per step, %ld nodes per step\n", ms, nodes);
  return ms;
}

struct KindlingRun {
  moons_bench::RunResult run;
  std::size_t nodes = 0;  // per step, every node the loss reaches (parameters and inputs too)
};

// kindling's step, as micrograd's demo writes it: the graph is built, differentiated, used for the
// update and freed, every step; the losses and phase times are recorded.
KindlingRun run_kindling(const kindling::nn::MoonsData& data,
                         const moons_bench::MoonsProblem& problem, const scalar::MLP& model,
                         int steps, moons_bench::CallgrindPhases phases) {
  const auto parameters = model.parameters();
  const auto& phase_names = moons_bench::callgrind_phases();
  KindlingRun result;
  auto& ms = result.run.ms;
  for (int step = 0; step < steps; ++step) {
    phases.step(step);
    const auto t0 = Clock::now();
    phases.begin();
    Value loss;
    {
      std::vector<Value> scores;
      scores.reserve(data.size());
      for (std::size_t i = 0; i < data.size(); ++i) {
        const Value x[2] = {data.x[2 * i], data.x[2 * i + 1]};
        scores.push_back(model(x)[0]);
      }
      loss = scalar::svm_loss(scores, problem.labels, parameters, problem.alpha);
    }
    phases.end(phase_names[0].c_str());
    const auto t1 = Clock::now();
    phases.begin();
    model.zero_grad();
    loss.backward();
    phases.end(phase_names[1].c_str());
    const auto t2 = Clock::now();
    phases.begin();
    scalar::sgd_step(parameters, problem.learning_rate(step));
    phases.end(phase_names[2].c_str());
    const auto t3 = Clock::now();
    if (step == 0) result.nodes = kindling::engine::topological_order(loss.node()).size();
    result.run.losses.push_back(loss.data());
    const auto t4 = Clock::now();
    phases.begin();
    loss = Value();  // the graph is freed here
    phases.end(phase_names[3].c_str());
    const auto t5 = Clock::now();
    auto between = [](auto a, auto b) {
      return std::chrono::duration<double, std::milli>(b - a).count();
    };
    ms.build.push_back(between(t0, t1));
    ms.backward.push_back(between(t1, t2));
    ms.update.push_back(between(t2, t3));
    ms.teardown.push_back(between(t4, t5));
    ms.total.push_back(between(t0, t3) + between(t4, t5));
    if (step == 0) result.run.resident_after_first_kib = moons_bench::resident_kib();
  }
  result.run.resident_after_last_kib = moons_bench::resident_kib();
  return result;
}

void print_run(const char* name, const moons_bench::RunResult& run, std::size_t nodes) {
  const double step_ms = median(run.ms.total);
  std::printf("  %s: %.3f ms per step (median of %zu), %.1f ns per node\n", name, step_ms,
              run.ms.total.size(), step_ms * 1e6 / static_cast<double>(nodes));
  std::printf("    phases (median ms): build %.3f, backward %.3f, update %.3f, teardown %.3f\n",
              median(run.ms.build), median(run.ms.backward), median(run.ms.update),
              median(run.ms.teardown));
  std::printf(
      "    resident memory: %ld KiB after step 1, %ld KiB after step %zu, difference %+ld KiB\n",
      run.resident_after_first_kib, run.resident_after_last_kib, run.ms.total.size(),
      run.resident_after_last_kib - run.resident_after_first_kib);
}

void print_result(const char* case_name, double kindling, const char* peer, double peer_value) {
  if (peer_value > 0) {
    std::printf(
        "RESULT bench=scalar_moons case=%s kindling=%.6g peer=%s peer_value=%.6g ratio=%.4g\n",
        case_name, kindling, peer, peer_value, kindling / peer_value);
  } else {
    std::printf(
        "RESULT bench=scalar_moons case=%s kindling=%.6g peer=none peer_value=none ratio=none\n",
        case_name, kindling);
  }
}

void pin_to_cpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (::sched_setaffinity(0, sizeof set, &set) != 0)
    throw kindling_cli::usage_error("--cpu: cannot pin to CPU " + std::to_string(cpu) +
                                    " (not in this process's allowed set?)");
}

int bench(const Options& options) {
  if (options.cpu) pin_to_cpu(*options.cpu);
  const auto data = kindling::nn::make_moons(100, 0.1, 1337);
  kindling::Generator generator(1337);
  const scalar::MLP model(2, {16, 16, 1}, generator);
  moons_bench::MoonsProblem problem;
  problem.layer_sizes = {2, 16, 16, 1};
  problem.inputs = data.x;
  for (int label : data.label)
    problem.labels.push_back(label == 1 ? 1.0 : -1.0);
  for (const Value& p : model.parameters())
    problem.initial_parameters.push_back(p.data());
  problem.steps = options.steps;

  if (options.callgrind_child) {
    std::size_t nodes = 0;
    if (options.callgrind_adolc_variant >= 0) {
#if defined(KINDLING_BENCH_ADOLC)
      KINDLING_CHECK(options.callgrind_adolc_variant < moons_bench::adolc_variant_count(),
                     "--callgrind-adolc-variant: ", options.callgrind_adolc_variant, " of ",
                     moons_bench::adolc_variant_count());
      moons_bench::run_adolc_variant(problem, options.callgrind_adolc_variant, options.steps,
                                     moons_bench::CallgrindPhases(true, 1));
#else
      throw kindling_cli::usage_error("--callgrind-adolc-variant: built without ADOL-C");
#endif
    } else {
      nodes =
          run_kindling(data, problem, model, options.steps, moons_bench::CallgrindPhases(true, 1))
              .nodes;
    }
    std::printf("callgrind_child nodes %zu measured_steps %d\n", nodes, options.steps - 1);
    return 0;
  }

  std::printf("bench_scalar_moons: MLP(2, {16, 16, 1}), %zu samples, SVM loss + L2 %g, %d steps\n",
              problem.sample_count(), problem.alpha, options.steps);
  std::printf("  cpu: %s, %s\n", kindling_cli::cpu_model().c_str(),
              options.cpu ? ("pinned to CPU " + std::to_string(*options.cpu)).c_str()
                          : "not pinned (--cpu N pins)");
  const KindlingRun kindling =
      run_kindling(data, problem, model, options.steps, moons_bench::CallgrindPhases(false, 0));
  const double kindling_ms = median(kindling.run.ms.total);
  const double kindling_ns_per_node = kindling_ms * 1e6 / static_cast<double>(kindling.nodes);
  std::printf("  %zu nodes per step; loss %.6f at step 1, %.6f at step %d\n", kindling.nodes,
              kindling.run.losses.front(), kindling.run.losses.back(), options.steps);
  print_run("kindling", kindling.run, kindling.nodes);

  bool losses_agree = true;
  double adolc_ms = -1;
  [[maybe_unused]] int adolc_variant = -1;  // the fastest, for the callgrind run
#if defined(KINDLING_BENCH_ADOLC)
  if (options.adolc) {
    const moons_bench::AdolcPeerResult adolc = moons_bench::run_adolc_peer(
        problem, kindling.run.losses, std::min(options.adolc_trial_steps, options.steps),
        kLossTolerance);
    std::printf("  ADOL-C 2.7 peer, every option tried 4 times for %d steps (fastest step):\n",
                std::min(options.adolc_trial_steps, options.steps));
    for (const auto& trial : adolc.trials)
      std::printf("    %.3f ms  loss difference %.1e  %s\n", trial.ms_per_step,
                  trial.max_loss_difference, trial.variant.c_str());
    std::printf("    fastest: %s\n", adolc.variant.c_str());
    std::printf("    tape per step: %zu operations, %zu locations, %zu values%s\n",
                adolc.tape_operations, adolc.tape_locations, adolc.tape_values,
                adolc.tape_spilled_to_file ? " (spilled to a tape file)" : ", all in memory");
    print_run("adolc (ns per kindling node)", adolc.run, kindling.nodes);
    const double difference =
        moons_bench::max_relative_difference(adolc.run.losses, kindling.run.losses);
    losses_agree = difference <= kLossTolerance;
    std::printf("    loss curve: max relative difference to kindling %.3g over %zu steps (%s %g)\n",
                difference, adolc.run.losses.size(), losses_agree ? "within" : "FAILS, above",
                kLossTolerance);
    adolc_ms = median(adolc.run.ms.total);
    adolc_variant = adolc.variant_index;
    std::printf("  ratio: kindling takes %.2fx ADOL-C's time per step\n", kindling_ms / adolc_ms);
  } else {
    std::printf("  ADOL-C peer: skipped (--no-adolc)\n");
  }
#else
  std::printf(
      "  ADOL-C peer: missing (not built: libadolc-dev not found, or "
      "KINDLING_BENCH_WITH_ADOLC=OFF)\n");
#endif

  double python_ms = -1;
  if (options.python) {
    python_ms = run_python_peer(data, options.python_steps, problem.steps);
    if (python_ms > 0) {
      std::printf("  ratio: kindling is %.0fx faster per step than the pure-Python engine\n",
                  python_ms / kindling_ms);
    } else {
      std::printf("  python peer did not run\n");
    }
  }

  // Per kindling node: {instructions, simulated L2 misses}; -1 where not measured.
  std::pair<double, double> kindling_counts{-1, -1}, adolc_counts{-1, -1};
  if (options.callgrind) {
#if defined(KINDLING_BENCH_CALLGRIND)
    std::vector<std::string> extra;
    if (options.cpu) extra = {"--cpu", std::to_string(*options.cpu)};
    const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
    // Instructions per node of one implementation's steps, printed by phase; -1 when it failed.
    auto count = [&](const char* name, const std::vector<std::string>& arguments) {
      const moons_bench::CallgrindResult counts =
          moons_bench::run_under_callgrind(self, options.callgrind_steps, arguments);
      if (!counts.ran) {
        std::printf("  callgrind (%s): %s\n", name, counts.failure.c_str());
        return std::pair<double, double>{-1, -1};
      }
      const double per_step_nodes =
          static_cast<double>(kindling.nodes) * static_cast<double>(counts.measured_steps);
      std::printf(
          "  callgrind (%s), %d measured steps after a warm-up: %.1f instructions per node (%.0f "
          "per "
          "step)\n    per node by phase:",
          name, counts.measured_steps, counts.total() / per_step_nodes,
          counts.total() / counts.measured_steps);
      for (const std::string& phase : moons_bench::callgrind_phases())
        std::printf(" %s %.1f", phase.c_str(), counts.instructions.at(phase) / per_step_nodes);
      std::printf("\n");
      if (counts.l2_misses >= 0)
        std::printf("    per node: %.2f D1 misses, %.2f L2 misses (simulated, %s)\n",
                    counts.d1_misses / per_step_nodes, counts.l2_misses / per_step_nodes,
                    counts.cache_model.c_str());
      return std::pair<double, double>{
          counts.total() / per_step_nodes,
          counts.l2_misses >= 0 ? counts.l2_misses / per_step_nodes : -1};
    };
    kindling_counts = count("kindling", extra);
    if (adolc_variant >= 0) {
      std::vector<std::string> arguments = extra;
      arguments.insert(arguments.end(),
                       {"--callgrind-adolc-variant", std::to_string(adolc_variant)});
      adolc_counts = count("adolc, per kindling node", arguments);
    }
#else
    std::printf("  callgrind: not built in (valgrind/callgrind.h was not found)\n");
#endif
  }

  print_result("ms_per_step", kindling_ms, "adolc", adolc_ms);
  print_result("ns_per_node", kindling_ns_per_node, "adolc",
               adolc_ms > 0 ? adolc_ms * 1e6 / static_cast<double>(kindling.nodes) : -1);
  if (kindling_counts.first > 0)
    print_result("instructions_per_node", kindling_counts.first,
                 adolc_counts.first > 0 ? "adolc" : "none", adolc_counts.first);
  if (kindling_counts.second >= 0)
    print_result("l2_misses_per_node", kindling_counts.second,
                 adolc_counts.second > 0 ? "adolc" : "none", adolc_counts.second);
  if (python_ms > 0) print_result("ms_per_step_python", kindling_ms, "python", python_ms);
  return losses_agree ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  return kindling_cli::run_main("bench_scalar_moons", [&] {
    using kindling_cli::parse_integer;
    Options options;
    kindling_cli::Arguments args(argc, argv);
    while (args.next()) {
      if (args.is("--steps")) {
        options.steps = parse_integer<int>("--steps", args.value(), 1, 1000000);
      } else if (args.is("--python-steps")) {
        options.python_steps = parse_integer<int>("--python-steps", args.value(), 1, 10000);
      } else if (args.is("--no-python")) {
        options.python = false;
      } else if (args.is("--no-adolc")) {
        options.adolc = false;
      } else if (args.is("--adolc-trial-steps")) {
        options.adolc_trial_steps =
            parse_integer<int>("--adolc-trial-steps", args.value(), 1, 10000);
      } else if (args.is("--callgrind")) {
        options.callgrind = true;
      } else if (args.is("--callgrind-steps")) {
        options.callgrind_steps = parse_integer<int>("--callgrind-steps", args.value(), 1, 100);
      } else if (args.is("--callgrind-child")) {
        options.callgrind_child = true;
      } else if (args.is("--callgrind-adolc-variant")) {
        options.callgrind_adolc_variant =
            parse_integer<int>("--callgrind-adolc-variant", args.value(), 0, 1000);
      } else if (args.is("--cpu")) {
        options.cpu = parse_integer<int>("--cpu", args.value(), 0, CPU_SETSIZE - 1);
      } else if (args.is("--help") || args.is("-h")) {
        std::printf(
            "usage: bench_scalar_moons [--steps N] [--cpu N] [--callgrind] [--callgrind-steps N]\n"
            "                          [--adolc-trial-steps N] [--no-adolc] [--python-steps N]\n"
            "                          [--no-python]\n");
        return 0;
      } else {
        args.unknown();
      }
    }
    if (options.callgrind_child && options.steps < 2)
      throw kindling_cli::usage_error("--callgrind-child: needs --steps 2 or more (one warm-up)");
    return bench(options);
  });
}
