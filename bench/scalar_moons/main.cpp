// bench/scalar_moons: milliseconds per training step and nanoseconds per graph node of the moons
// MLP on Value (forward + backward + update + teardown), with the time split by phase, memory
// across steps, and the same training in a pure-Python scalar engine (python_peer.py) as the peer.
//
// usage: bench_scalar_moons [--steps N] [--python-steps N] [--no-python]
//
// The peer runs as a child process started without a shell (kindling_cli/spawn.hpp); the data
// reach it through a private temporary file as its standard input.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "kindling/engine/graph.hpp"
#include "kindling/nn/moons.hpp"
#include "kindling/nn/scalar.hpp"
#include "kindling_cli/options.hpp"
#include "kindling_cli/spawn.hpp"

using kindling::Value;
namespace scalar = kindling::nn::scalar;
using Clock = std::chrono::steady_clock;

namespace {

long resident_kib() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    long value;
    if (key == "VmRSS:" && status >> value) return value;
  }
  return -1;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

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
double run_python_peer(const kindling::nn::MoonsData& data, int steps) {
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
      {"/usr/bin/python3", KINDLING_PYTHON_PEER, std::to_string(steps)}, options);
  double ms = -1;
  long nodes = 0;
  if (!peer.succeeded() ||
      std::sscanf(peer.output.c_str(), "python_ms_per_step %lf nodes_per_step %ld", &ms, &nodes) !=
          2)
    ms = -1;
  if (ms > 0) std::printf("python peer: %.1f ms per step, %ld nodes per step\n", ms, nodes);
  return ms;
}

int bench(int steps, int python_steps, bool python);

}  // namespace

int main(int argc, char** argv) {
  return kindling_cli::run_main("bench_scalar_moons", [&] {
    using kindling_cli::parse_integer;
    int steps = 100, python_steps = 3;
    bool python = true;
    kindling_cli::Arguments args(argc, argv);
    while (args.next()) {
      if (args.is("--steps")) {
        steps = parse_integer<int>("--steps", args.value(), 1, 1000000);
      } else if (args.is("--python-steps")) {
        python_steps = parse_integer<int>("--python-steps", args.value(), 1, 10000);
      } else if (args.is("--no-python")) {
        python = false;
      } else if (args.is("--help") || args.is("-h")) {
        std::printf("usage: bench_scalar_moons [--steps N] [--python-steps N] [--no-python]\n");
        return 0;
      } else {
        args.unknown();
      }
    }
    return bench(steps, python_steps, python);
  });
}

namespace {

int bench(int steps, int python_steps, bool python) {
  const auto data = kindling::nn::make_moons(100, 0.1, 1337);
  std::vector<double> labels;
  for (int label : data.label)
    labels.push_back(label == 1 ? 1.0 : -1.0);
  kindling::Generator generator(1337);
  scalar::MLP model(2, {16, 16, 1}, generator);
  const auto parameters = model.parameters();

  std::vector<double> total_ms, forward_ms, backward_ms, update_ms, teardown_ms;
  std::size_t nodes = 0;
  long rss_after_first = 0;
  for (int step = 0; step < steps; ++step) {
    const auto t0 = Clock::now();
    Value loss;
    {
      std::vector<Value> scores;
      scores.reserve(data.size());
      for (std::size_t i = 0; i < data.size(); ++i) {
        const Value x[2] = {data.x[2 * i], data.x[2 * i + 1]};
        scores.push_back(model(x)[0]);
      }
      loss = scalar::svm_loss(scores, labels, parameters, 1e-4);
    }
    const auto t1 = Clock::now();
    model.zero_grad();
    loss.backward();
    const auto t2 = Clock::now();
    scalar::sgd_step(parameters, 1.0 - 0.9 * step / steps);
    const auto t3 = Clock::now();
    if (step == 0) nodes = kindling::engine::topological_order(loss.node()).size();
    const auto t4 = Clock::now();
    loss = Value();  // the graph is freed here
    const auto t5 = Clock::now();
    auto ms = [](auto a, auto b) {
      return std::chrono::duration<double, std::milli>(b - a).count();
    };
    forward_ms.push_back(ms(t0, t1));
    backward_ms.push_back(ms(t1, t2));
    update_ms.push_back(ms(t2, t3));
    teardown_ms.push_back(ms(t4, t5));
    total_ms.push_back(ms(t0, t3) + ms(t4, t5));
    if (step == 0) rss_after_first = resident_kib();
  }
  const long rss_end = resident_kib();
  const double step_ms = median(total_ms);
  std::printf("kindling scalar moons: MLP(2, {16, 16, 1}), 100 samples, %d steps\n", steps);
  std::printf("  %.3f ms per step (median), %zu nodes per step, %.1f ns per node\n", step_ms, nodes,
              step_ms * 1e6 / static_cast<double>(nodes));
  std::printf("  phases (median ms): forward %.3f, backward %.3f, update %.3f, teardown %.3f\n",
              median(forward_ms), median(backward_ms), median(update_ms), median(teardown_ms));
  std::printf("  resident memory: %ld KiB after step 1, %ld KiB after step %d\n", rss_after_first,
              rss_end, steps);
  if (python) {
    const double python_ms = run_python_peer(data, python_steps);
    if (python_ms > 0) {
      std::printf("ratio: kindling is %.0fx faster per step than the pure-Python engine\n",
                  python_ms / step_ms);
    } else {
      std::printf("python peer did not run\n");
    }
  }
  return 0;
}

}  // namespace
