// bench/scalar_moons: what kindling's run and its ADOL-C peer share: the one training problem
// (data, labels, initial weights read from kindling's MLP, the learning-rate schedule), the
// per-phase timings of a run, and the small measuring helpers (median, resident memory, CPU model).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace moons_bench {

// MLP(2, {16, 16, 1}) trained on 100 moons points with micrograd's SVM loss and plain SGD.
struct MoonsProblem {
  std::vector<std::size_t> layer_sizes;    // {2, 16, 16, 1}: inputs, then each layer's width
  std::vector<double> inputs;              // 2 per sample, row-major
  std::vector<double> labels;              // -1 or +1 per sample
  std::vector<double> initial_parameters;  // in MLP::parameters() order: per layer, per neuron,
                                           // its weights then its bias
  double alpha = 1e-4;                     // the L2 term's weight
  int steps = 100;                         // the schedule's length
  std::size_t sample_count() const noexcept { return labels.size(); }
  // The schedule of main.cpp's loop, written once so every implementation uses the same numbers.
  double learning_rate(int step) const noexcept { return 1.0 - 0.9 * step / steps; }
};

// Milliseconds per step, one entry per step, by phase. `build` is the forward pass that records the
// graph (ADOL-C: trace_on .. trace_off); `teardown` is freeing it (ADOL-C: none, the next trace_on
// overwrites the tape).
struct PhaseTimes {
  std::vector<double> total, build, backward, update, teardown;
};

struct RunResult {
  PhaseTimes ms;
  std::vector<double> losses;  // the loss of each step, before that step's update
  long resident_after_first_kib = 0;
  long resident_after_last_kib = 0;
};

double median(std::vector<double> values);
long resident_kib();  // VmRSS of this process, -1 when /proc/self/status cannot be read
// The largest |a_i - b_i| / max(|b_i|, tiny) over the first min(a.size(), b.size()) entries.
double max_relative_difference(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace moons_bench
