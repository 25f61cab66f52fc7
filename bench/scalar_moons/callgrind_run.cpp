// bench/scalar_moons: starting the bench under callgrind and reading its per-phase dumps.
#include "callgrind_run.hpp"

#include <stdlib.h>  // mkdtemp

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "kindling_cli/spawn.hpp"

namespace moons_bench {
namespace {

// A private folder made by mkdtemp, removed with what is in it when this goes out of scope.
class TemporaryFolder {
 public:
  TemporaryFolder() {
    std::string name = (std::filesystem::temp_directory_path() / "kindling_callgrind_XXXXXX");
    if (::mkdtemp(name.data()) != nullptr) path_ = name;
  }
  ~TemporaryFolder() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }
  TemporaryFolder(const TemporaryFolder&) = delete;
  TemporaryFolder& operator=(const TemporaryFolder&) = delete;
  const std::string& path() const noexcept { return path_; }  // empty when none could be made

 private:
  std::string path_;
};

// A dump's trigger ("desc: Trigger: Client Request: build") and its total Ir ("summary: 123", or
// "totals: 123" in older formats); an empty trigger when the file is not such a dump.
std::pair<std::string, double> read_dump(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string line, trigger;
  double instructions = -1;
  const std::string request = "desc: Trigger: Client Request: ";
  while (std::getline(in, line)) {
    if (line.rfind(request, 0) == 0) {
      trigger = line.substr(request.size());
    } else if (line.rfind("summary:", 0) == 0 ||
               (instructions < 0 && line.rfind("totals:", 0) == 0)) {
      std::istringstream(line.substr(line.find(':') + 1)) >> instructions;
    }
  }
  if (instructions < 0) trigger.clear();
  return {trigger, instructions};
}

}  // namespace

double CallgrindResult::total() const {
  double sum = 0;
  for (const auto& [phase, count] : instructions)
    sum += count;
  return sum;
}

CallgrindResult run_under_callgrind(const std::string& self, int measured_steps,
                                    const std::vector<std::string>& extra_arguments) {
  CallgrindResult result;
  const TemporaryFolder folder;
  if (folder.path().empty()) {
    result.failure = "no temporary folder";
    return result;
  }
  std::vector<std::string> argv = {"valgrind",
                                   "--tool=callgrind",
                                   "--collect-atstart=no",
                                   "--instr-atstart=no",
                                   "--callgrind-out-file=" + folder.path() + "/callgrind.out",
                                   self,
                                   "--callgrind-child",
                                   "--steps",
                                   std::to_string(measured_steps + 1)};
  argv.insert(argv.end(), extra_arguments.begin(), extra_arguments.end());
  kindling_cli::SpawnOptions options;
  options.capture_stdout = true;
  options.discard_stderr = true;  // valgrind's banner
  const kindling_cli::SpawnResult child = kindling_cli::run_program(argv, options);
  if (!child.started()) {
    result.failure =
        child.spawn_error == ENOENT ? "valgrind is not installed" : "valgrind could not be started";
    return result;
  }
  long nodes = 0;
  int steps = 0;
  const auto at = child.output.find("callgrind_child nodes");
  if (!child.succeeded() || at == std::string::npos ||
      std::sscanf(child.output.c_str() + at, "callgrind_child nodes %ld measured_steps %d", &nodes,
                  &steps) != 2) {
    result.failure = "the run under valgrind failed (exit " + std::to_string(child.exit_code) +
                     ", signal " + std::to_string(child.signal) + ")";
    return result;
  }
  for (const auto& entry : std::filesystem::directory_iterator(folder.path())) {
    const auto [trigger, instructions] = read_dump(entry.path());
    if (!trigger.empty()) result.instructions[trigger] += instructions;
  }
  for (const std::string& phase : callgrind_phases()) {
    if (!result.instructions.count(phase)) {
      result.failure = "no callgrind dump for the " + phase + " phase";
      return result;
    }
  }
  result.nodes = static_cast<std::size_t>(nodes);
  result.measured_steps = steps;
  result.ran = true;
  return result;
}

}  // namespace moons_bench
