// The two-moons toy data set (scikit-learn's make_moons), generated here from a seed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kindling::nn {

/// The two-moons points and labels, as make_moons returns them (moons_dataset in data.hpp makes
/// tensors of them).
struct MoonsData {
  std::vector<double> x;   ///< (n, 2), row-major: point i is (x[2 i], x[2 i + 1]).
  std::vector<int> label;  ///< (n,), 0 for the upper moon, 1 for the lower one.
  /// The number of points, n.
  std::size_t size() const noexcept { return label.size(); }
};

/// Two interleaving half circles, as scikit-learn's make_moons(n, shuffle=True, noise): n points,
/// half on each moon (the upper one gets the odd point), Gaussian noise of standard deviation
/// `noise` on both coordinates, shuffled; the same seed gives the same data everywhere (but not
/// scikit-learn's numbers: the generator is kindling's).
/// @throws kindling::error when n < 2 or noise < 0.
MoonsData make_moons(std::size_t n, double noise, std::uint64_t seed);

}  // namespace kindling::nn
