// The benchmarks' clock and their statistic: seconds since a steady-clock instant, and the median
// of individually timed runs (on a shared machine a preempted run is an outlier, not a shift of
// the mean).
#pragma once

#include <algorithm>
#include <chrono>
#include <vector>

namespace kindling_cli {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The upper median (the middle element, or the higher of the two middle ones); v non-empty.
inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace kindling_cli
