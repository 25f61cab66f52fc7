// The two-moons toy data set (scikit-learn's make_moons), generated here from a seed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kindling::nn {

struct MoonsData {
  std::vector<double> x;   // (n, 2), row-major
  std::vector<int> label;  // (n,), 0 for the upper moon, 1 for the lower one
  std::size_t size() const noexcept { return label.size(); }
};

// n points, half on each moon (the upper one gets the odd point), Gaussian noise of standard
// deviation `noise` on both coordinates, shuffled; the same seed gives the same data everywhere.
MoonsData make_moons(std::size_t n, double noise, std::uint64_t seed);

}  // namespace kindling::nn
