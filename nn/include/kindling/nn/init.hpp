// Weight initialisation from a seeded Generator, in place and outside the graph, as torch.nn.init.
// fan_in / fan_out follow PyTorch: for a (out, in, k...) weight, fan_in = in * prod(k) and
// fan_out = out * prod(k). The numbers are drawn on the host in row-major order, so a seed gives
// the same weights on every device.
#pragma once

#include "kindling/engine/random.hpp"
#include "kindling/tensor/tensor.hpp"

namespace kindling::nn::init {

enum class Nonlinearity { linear, relu, leaky_relu, tanh, sigmoid };

struct Fans {
  double fan_in;
  double fan_out;
};
Fans fans(const Tensor& weight);  // needs at least 2 dimensions
// PyTorch's calculate_gain; `param` is leaky_relu's negative slope.
double gain(Nonlinearity nonlinearity, double param = 0.01);

void uniform_(const Tensor& t, double low, double high, Generator& g);
void normal_(const Tensor& t, double mean, double stddev, Generator& g);
void constant_(const Tensor& t, double value);
void zeros_(const Tensor& t);
void ones_(const Tensor& t);

// Kaiming (He): std = gain / sqrt(fan); uniform bound = sqrt(3) * std. `fan_in` chooses fan_in
// (the default, preserving forward variance) or fan_out.
void kaiming_uniform_(const Tensor& t, Generator& g, double a = 0.0, bool fan_in = true,
                      Nonlinearity nonlinearity = Nonlinearity::leaky_relu);
void kaiming_normal_(const Tensor& t, Generator& g, double a = 0.0, bool fan_in = true,
                     Nonlinearity nonlinearity = Nonlinearity::leaky_relu);
// Xavier (Glorot): std = gain * sqrt(2 / (fan_in + fan_out)).
void xavier_uniform_(const Tensor& t, Generator& g, double gain = 1.0);
void xavier_normal_(const Tensor& t, Generator& g, double gain = 1.0);

}  // namespace kindling::nn::init
