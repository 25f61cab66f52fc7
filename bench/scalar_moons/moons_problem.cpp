// bench/scalar_moons: the measuring helpers of moons_problem.hpp.
#include "moons_problem.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>

namespace moons_bench {

double median(std::vector<double> values) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

long resident_kib() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    long value;
    if (key == "VmRSS:" && status >> value) return value;
  }
  return -1;
}

double max_relative_difference(const std::vector<double>& a, const std::vector<double>& b) {
  double worst = 0;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    const double scale = std::max(std::abs(b[i]), std::numeric_limits<double>::min());
    const double difference = std::abs(a[i] - b[i]) / scale;
    if (!(difference <= worst)) worst = difference;  // NaN wins
  }
  return worst;
}

}  // namespace moons_bench
