// bench/scalar_moons: the callgrind mode. The bench starts itself again under
// `valgrind --tool=callgrind` (through kindling_cli's spawn, no shell) with --callgrind-child; the
// child collects only inside the kindling steps' phases and dumps once per phase
// (CALLGRIND_DUMP_STATS_AT with the phase's name), and this side sums the dumps' instruction counts
// (Ir) by phase. Instruction counts do not depend on the load of the machine, unlike times.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace moons_bench {

// The phases' names as the child dumps them, in step order.
inline const std::vector<std::string>& callgrind_phases() {
  static const std::vector<std::string> phases = {"build", "backward", "update", "teardown"};
  return phases;
}

struct CallgrindResult {
  bool ran = false;
  std::string failure;                         // why not, when !ran
  std::map<std::string, double> instructions;  // phase -> Ir summed over the measured steps
  std::size_t nodes = 0;                       // nodes per step, as the child counted them
  int measured_steps = 0;
  double total() const;
};

// Runs this executable (`self`) under callgrind for `measured_steps` collected steps after one
// uncollected warm-up step; `extra_arguments` are passed on (e.g. --cpu N).
CallgrindResult run_under_callgrind(const std::string& self, int measured_steps,
                                    const std::vector<std::string>& extra_arguments);

}  // namespace moons_bench
