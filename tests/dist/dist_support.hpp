// What the distributed tests share: the process group, started by the first test that needs it
// and finalized when dist_main.cpp's main returns, and a small model with its data.
#pragma once

#include <cstdint>
#include <memory>

#include "kindling/dist.hpp"
#include "kindling/nn.hpp"

namespace kindling::test {

// init() once per process (MPI cannot start twice), with a timeout short enough for CI.
void ensure_dist();

// Linear(6, hidden) -> Tanh -> Linear(hidden, 3), initialised from `seed`.
inline std::shared_ptr<nn::Sequential> make_mlp(std::uint64_t seed, std::int64_t hidden = 16,
                                                bool last_bias = true) {
  Generator g(seed);
  return std::make_shared<nn::Sequential>(std::make_shared<nn::Linear>(6, hidden, g),
                                          std::make_shared<nn::Tanh>(),
                                          std::make_shared<nn::Linear>(hidden, 3, g, last_bias));
}

// The largest elementwise difference of two models' parameters, in their common order.
inline double max_parameter_difference(const nn::Module& a, const nn::Module& b) {
  const auto pa = a.parameters();
  const auto pb = b.parameters();
  double worst = pa.size() == pb.size() ? 0.0 : 1e300;
  for (std::size_t i = 0; i < pa.size() && i < pb.size(); ++i)
    worst = std::max(worst, max(abs(pa[i].detach() - pb[i].detach())).item());
  return worst;
}

}  // namespace kindling::test
