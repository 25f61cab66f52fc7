// make_moons: two interleaving half circles, as scikit-learn draws them.
#include "kindling/nn/moons.hpp"

#include <cmath>
#include <numbers>
#include <utility>

#include "kindling/engine/error.hpp"
#include "kindling/engine/random.hpp"

namespace kindling::nn {

MoonsData make_moons(std::size_t n, double noise, std::uint64_t seed) {
  KINDLING_CHECK(n >= 2, "make_moons: need at least 2 points, got ", n);
  KINDLING_CHECK(noise >= 0.0, "make_moons: noise must be >= 0, got ", noise);
  Generator generator(seed);
  const std::size_t upper = n - n / 2;
  const std::size_t lower = n / 2;
  MoonsData data;
  data.x.reserve(2 * n);
  data.label.reserve(n);
  // Angles evenly spaced over [0, pi] on each moon, endpoints included.
  auto angle = [](std::size_t i, std::size_t count) {
    return count > 1 ? std::numbers::pi * static_cast<double>(i) / static_cast<double>(count - 1)
                     : 0.0;
  };
  for (std::size_t i = 0; i < upper; ++i) {
    data.x.push_back(std::cos(angle(i, upper)));
    data.x.push_back(std::sin(angle(i, upper)));
    data.label.push_back(0);
  }
  for (std::size_t i = 0; i < lower; ++i) {
    data.x.push_back(1.0 - std::cos(angle(i, lower)));
    data.x.push_back(0.5 - std::sin(angle(i, lower)));
    data.label.push_back(1);
  }
  for (double& coordinate : data.x)
    coordinate += noise * generator.normal();
  // Fisher-Yates shuffle of the rows.
  for (std::size_t i = n - 1; i > 0; --i) {
    const std::size_t j = generator.below(i + 1);
    std::swap(data.x[2 * i], data.x[2 * j]);
    std::swap(data.x[2 * i + 1], data.x[2 * j + 1]);
    std::swap(data.label[i], data.label[j]);
  }
  return data;
}

}  // namespace kindling::nn
