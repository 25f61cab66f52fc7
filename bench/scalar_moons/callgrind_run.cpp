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

// A dump's trigger ("desc: Trigger: Client Request: build") and its totals by event name ("events:
// Ir Dr ..." then "summary: 123 45 ..."); an empty trigger when the file is not such a dump.
std::pair<std::string, std::map<std::string, double>> read_dump(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string line, trigger;
  std::vector<std::string> names;
  std::map<std::string, double> totals;
  const std::string request = "desc: Trigger: Client Request: ";
  while (std::getline(in, line)) {
    if (line.rfind(request, 0) == 0) {
      trigger = line.substr(request.size());
    } else if (line.rfind("events:", 0) == 0) {
      std::istringstream words(line.substr(7));
      for (std::string name; words >> name;) {
        names.push_back(name);
        totals[name] = 0;  // a summary leaves out trailing zero counts
      }
    } else if (line.rfind("summary:", 0) == 0) {
      std::istringstream numbers(line.substr(8));
      double value = 0;
      for (std::size_t i = 0; i < names.size() && numbers >> value; ++i)
        totals[names[i]] = value;
    }
  }
  if (!totals.count("Ir")) trigger.clear();
  return {trigger, totals};
}

// "--LL=size,ways,line" for this machine's level-2 cache as Linux describes it, or "" when /sys
// does not say (valgrind then models the host's last level).
std::string level2_option() {
  const std::filesystem::path caches = "/sys/devices/system/cpu/cpu0/cache";
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(caches, error)) {
    auto read = [&](const char* name) {
      std::ifstream in(entry.path() / name);
      std::string text;
      in >> text;
      return text;
    };
    if (read("level") != "2" || read("type") == "Instruction") continue;
    std::string size = read("size");  // "512K", "2048K", "1M"
    long bytes = 0;
    try {
      bytes = std::stol(size);
    } catch (const std::exception&) {
      return "";
    }
    if (size.back() == 'K') bytes *= 1024;
    if (size.back() == 'M') bytes *= 1024 * 1024;
    const std::string ways = read("ways_of_associativity"), line = read("coherency_line_size");
    if (bytes <= 0 || ways.empty() || line.empty()) return "";
    return "--LL=" + std::to_string(bytes) + "," + ways + "," + line;
  }
  return "";
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
  const std::string level2 = level2_option();
  auto command = [&](bool model_level2) {
    std::vector<std::string> argv = {"valgrind", "--tool=callgrind", "--collect-atstart=no",
                                     "--instr-atstart=no", "--cache-sim=yes"};
    if (model_level2) argv.push_back(level2);
    argv.insert(argv.end(), {"--callgrind-out-file=" + folder.path() + "/callgrind.out", self,
                             "--callgrind-child", "--steps", std::to_string(measured_steps + 1)});
    argv.insert(argv.end(), extra_arguments.begin(), extra_arguments.end());
    return argv;
  };
  kindling_cli::SpawnOptions options;
  options.capture_stdout = true;
  options.discard_stderr = true;  // valgrind's banner
  kindling_cli::SpawnResult child = kindling_cli::run_program(command(!level2.empty()), options);
  result.cache_model = level2.empty() ? "valgrind's default last level (no L2 size in /sys)"
                                      : level2 + " (this machine's L2)";
  if (child.started() && !child.succeeded() && !level2.empty()) {
    // valgrind refuses some geometries (its sets must be a power of two): model its default.
    for (const auto& entry : std::filesystem::directory_iterator(folder.path()))
      std::filesystem::remove(entry.path());
    child = kindling_cli::run_program(command(false), options);
    result.cache_model = "valgrind's default last level (it refused " + level2 + ")";
  }
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
  bool simulated = true;
  double d1 = 0, l2 = 0;
  for (const auto& entry : std::filesystem::directory_iterator(folder.path())) {
    const auto [trigger, totals] = read_dump(entry.path());
    if (trigger.empty()) continue;
    result.instructions[trigger] += totals.at("Ir");
    auto get = [&totals = totals, &simulated](const char* name) {
      const auto found = totals.find(name);
      simulated = simulated && found != totals.end();
      return found == totals.end() ? 0.0 : found->second;
    };
    d1 += get("D1mr") + get("D1mw");
    l2 += get("ILmr") + get("DLmr") + get("DLmw");
  }
  if (simulated) {
    result.d1_misses = d1;
    result.l2_misses = l2;
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
