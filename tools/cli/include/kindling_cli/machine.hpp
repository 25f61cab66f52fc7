// What a benchmark prints about the machine it ran on: figures are only comparable within one
// machine (the guide's rule), so each run names its CPU.
#pragma once

#include <algorithm>
#include <fstream>
#include <string>

namespace kindling_cli {

// "model name" of /proc/cpuinfo with its family and model numbers: "AMD EPYC (family 25, model 1)".
inline std::string cpu_model() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line, name, family, model;
  auto field = [&line](const char* key, std::string& out) {
    if (!out.empty() || line.rfind(key, 0) != 0) return;
    const auto colon = line.find(':');
    if (colon != std::string::npos) out = line.substr(std::min(colon + 2, line.size()));
  };
  while (std::getline(cpuinfo, line)) {
    field("model name", name);
    field("cpu family", family);
    field("model\t", model);  // "model\t\t: 207", not "model name"
  }
  if (name.empty()) return "unknown (no /proc/cpuinfo model name)";
  return name + " (family " + family + ", model " + model + ")";
}

}  // namespace kindling_cli
