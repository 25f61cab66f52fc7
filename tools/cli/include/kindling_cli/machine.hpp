// What a benchmark prints about the machine it ran on: figures are only comparable within one
// machine (the guide's rule), so each run names its CPU.
#pragma once

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace kindling_cli {

// The first value of each of `keys` in /proc/cpuinfo ("model name", "flags", ...), in that order;
// empty where a key is absent. A key matches a line that starts with it ("model\t" is the model
// number's line, not "model name"'s).
inline std::vector<std::string> cpuinfo_fields(const std::vector<std::string>& keys) {
  std::vector<std::string> values(keys.size());
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    for (std::size_t i = 0; i < keys.size(); ++i)
      if (values[i].empty() && line.rfind(keys[i], 0) == 0)
        values[i] = line.substr(std::min(colon + 2, line.size()));
  }
  return values;
}

// "model name" of /proc/cpuinfo with its family and model numbers: "AMD EPYC (family 25, model 1)".
inline std::string cpu_model() {
  const std::vector<std::string> f = cpuinfo_fields({"model name", "cpu family", "model\t"});
  if (f[0].empty()) return "unknown (no /proc/cpuinfo model name)";
  std::ostringstream out;  // not operator+: GCC 12's -Wrestrict misfires on it
  out << f[0] << " (family " << f[1] << ", model " << f[2] << ")";
  return out.str();
}

// The CPU's flags ("avx2", "avx512f", ...), space separated, with a space at each end so that
// " avx2 " finds a whole flag.
inline std::string cpu_flags() {
  std::ostringstream out;
  out << ' ' << cpuinfo_fields({"flags"})[0] << ' ';
  return out.str();
}

}  // namespace kindling_cli
