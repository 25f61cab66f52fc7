// bench/scalar_moons: the ADOL-C peer. The same moons step (MLP(2, {16, 16, 1}) from kindling's
// initial weights, the SVM loss with its L2 term, SGD with main.cpp's schedule), re-taped every
// step with adoubles (trace_on .. trace_off) and differentiated by a reverse sweep over the tape,
// as kindling rebuilds its graph every step. Built only when CMake finds ADOL-C
// (KINDLING_BENCH_ADOLC).
#pragma once

#include <string>
#include <vector>

#include "callgrind_run.hpp"
#include "moons_problem.hpp"

namespace moons_bench {

struct AdolcTrial {
  std::string variant;
  double ms_per_step;          // its fastest step over all rounds
  double max_loss_difference;  // against kindling's loss curve, relative
};

struct AdolcPeerResult {
  int variant_index = 0;            // for run_adolc_variant
  std::string variant;              // the fastest set of options, as "relu=... sum=... ..."
  RunResult run;                    // that variant over all the problem's steps
  std::vector<AdolcTrial> trials;   // every variant tried, in the order tried
  std::size_t tape_operations = 0;  // one step's tape (tapestats)
  std::size_t tape_locations = 0;
  std::size_t tape_values = 0;
  bool tape_spilled_to_file = false;  // a buffer overflowed and ADOL-C wrote a tape file
};

// Tries every variant of the peer's options for `trial_steps` steps (four rounds), keeps the
// fastest (by its fastest step, the figure least moved by load) whose losses agree with
// `reference_losses`, and runs it for problem.steps steps.
AdolcPeerResult run_adolc_peer(const MoonsProblem& problem,
                               const std::vector<double>& reference_losses, int trial_steps,
                               double tolerance);

// How many variants there are; run_adolc_variant(index) runs one of them for `steps` steps, with
// callgrind collection inside its phases when `phases` is enabled (the --callgrind child).
int adolc_variant_count();
RunResult run_adolc_variant(const MoonsProblem& problem, int variant_index, int steps,
                            CallgrindPhases phases);

}  // namespace moons_bench
