// Weight initialisation from a seeded Generator, in place and outside the graph, as torch.nn.init.
// fan_in / fan_out follow PyTorch: for a (out, in, k...) weight, fan_in = in * prod(k) and
// fan_out = out * prod(k). The numbers are drawn on the host in row-major order, so a seed gives
// the same weights on every device.
#pragma once

#include "kindling/engine/random.hpp"
#include "kindling/tensor/tensor.hpp"

namespace kindling::nn::init {

/// The nonlinearities gain() knows, as torch.nn.init.calculate_gain's names.
enum class Nonlinearity {
  linear,      ///< Gain 1 (also for convolutions without an activation).
  relu,        ///< Gain sqrt(2).
  leaky_relu,  ///< Gain sqrt(2 / (1 + slope^2)).
  tanh,        ///< Gain 5/3.
  sigmoid      ///< Gain 1.
};

/// A weight's fan in and fan out (fans()).
struct Fans {
  double fan_in;   ///< in * prod(k) for a (out, in, k...) weight.
  double fan_out;  ///< out * prod(k) for a (out, in, k...) weight.
};
/// fan_in and fan_out of a (out, in, k...) weight, as torch's _calculate_fan_in_and_fan_out.
/// @throws kindling::error for a tensor of fewer than 2 dimensions.
Fans fans(const Tensor& weight);
/// PyTorch's calculate_gain; `param` is leaky_relu's negative slope (ignored otherwise).
double gain(Nonlinearity nonlinearity, double param = 0.01);

// The fillers: each writes into t in place, outside the graph, whatever t's dtype and device.

/// t ~ U(low, high), as torch.nn.init.uniform_.
void uniform_(const Tensor& t, double low, double high, Generator& g);
/// t ~ N(mean, stddev^2), as torch.nn.init.normal_.
void normal_(const Tensor& t, double mean, double stddev, Generator& g);
/// t = value everywhere, as torch.nn.init.constant_.
/// @throws kindling::error for a value that does not fit t's dtype (NaN into int64).
void constant_(const Tensor& t, double value);
/// t = 0, as torch.nn.init.zeros_.
void zeros_(const Tensor& t);
/// t = 1, as torch.nn.init.ones_.
void ones_(const Tensor& t);

/// Kaiming (He) uniform, as torch.nn.init.kaiming_uniform_: std = gain / sqrt(fan); uniform
/// bound = sqrt(3) * std. `fan_in` chooses fan_in (the default, preserving forward variance) or
/// fan_out (torch's mode), `a` is leaky_relu's negative slope.
/// @throws kindling::error for a tensor of fewer than 2 dimensions.
void kaiming_uniform_(const Tensor& t, Generator& g, double a = 0.0, bool fan_in = true,
                      Nonlinearity nonlinearity = Nonlinearity::leaky_relu);
/// Kaiming (He) normal, as torch.nn.init.kaiming_normal_: N(0, std^2), std as
/// kaiming_uniform_'s.
/// @throws kindling::error for a tensor of fewer than 2 dimensions.
void kaiming_normal_(const Tensor& t, Generator& g, double a = 0.0, bool fan_in = true,
                     Nonlinearity nonlinearity = Nonlinearity::leaky_relu);
/// Xavier (Glorot) uniform, as torch.nn.init.xavier_uniform_: std = gain * sqrt(2 / (fan_in +
/// fan_out)), bound sqrt(3) * std.
/// @throws kindling::error for a tensor of fewer than 2 dimensions.
void xavier_uniform_(const Tensor& t, Generator& g, double gain = 1.0);
/// Xavier (Glorot) normal, as torch.nn.init.xavier_normal_: N(0, std^2), std as
/// xavier_uniform_'s.
/// @throws kindling::error for a tensor of fewer than 2 dimensions.
void xavier_normal_(const Tensor& t, Generator& g, double gain = 1.0);

}  // namespace kindling::nn::init
