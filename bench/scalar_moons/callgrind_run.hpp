// bench/scalar_moons: the callgrind mode. The bench starts itself again under
// `valgrind --tool=callgrind` (through kindling_cli's spawn, no shell) with --callgrind-child; the
// child collects only inside the measured steps' phases (kindling's, or one ADOL-C variant's with
// --callgrind-adolc-variant) and dumps once per phase
// (CALLGRIND_DUMP_STATS_AT with the phase's name), and this side sums the dumps' instruction counts
// (Ir) by phase, and the simulated D1 and L2 misses. Instruction counts do not depend on the load
// of the machine, unlike times.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#if defined(KINDLING_BENCH_CALLGRIND)
#include <valgrind/callgrind.h>
#endif

namespace moons_bench {

// The phases' names as the child dumps them, in step order.
inline const std::vector<std::string>& callgrind_phases() {
  static const std::vector<std::string> phases = {"build", "backward", "update", "teardown"};
  return phases;
}

// Collection under callgrind, only inside the phases of the steps from `first_step` on; one dump
// per phase, named after it. Does nothing unless this process is a --callgrind child.
class CallgrindPhases {
 public:
  CallgrindPhases(bool enabled, int first_step) : enabled_(enabled), first_step_(first_step) {}
  void step(int step) {
    collecting_ = enabled_ && step >= first_step_;
#if defined(KINDLING_BENCH_CALLGRIND)
    if (collecting_ && step == first_step_) CALLGRIND_START_INSTRUMENTATION;
#endif
  }
  void begin() {
#if defined(KINDLING_BENCH_CALLGRIND)
    if (collecting_) CALLGRIND_TOGGLE_COLLECT;
#endif
  }
  void end([[maybe_unused]] const char* phase) {
#if defined(KINDLING_BENCH_CALLGRIND)
    if (collecting_) {
      CALLGRIND_TOGGLE_COLLECT;
      CALLGRIND_DUMP_STATS_AT(phase);
    }
#endif
  }

 private:
  bool enabled_;
  int first_step_;
  bool collecting_ = false;
};

struct CallgrindResult {
  bool ran = false;
  std::string failure;                         // why not, when !ran
  std::map<std::string, double> instructions;  // phase -> Ir summed over the measured steps
  // With the cache simulation: misses summed over the phases and steps, in the first level's data
  // cache (D1mr + D1mw) and in the simulated last level (ILmr + DLmr + DLmw), which is set to this
  // machine's L2 (from /sys) so that these are L2 misses; -1 when not simulated.
  double d1_misses = -1, l2_misses = -1;
  std::string cache_model;  // "--LL=524288,8,64 (this machine's L2)" or why it is the default
  std::size_t nodes = 0;    // nodes per step, as the child counted them
  int measured_steps = 0;
  double total() const;
};

// Runs this executable (`self`) under callgrind (with its cache simulation) for `measured_steps`
// collected steps after one uncollected warm-up step; `extra_arguments` are passed on (--cpu N).
CallgrindResult run_under_callgrind(const std::string& self, int measured_steps,
                                    const std::vector<std::string>& extra_arguments);

}  // namespace moons_bench
