// Initialisers: draws from the Generator into a float64 host tensor, copied into the tensor.
#include "kindling/nn/init.hpp"

#include <cmath>

#include "kindling/engine/error.hpp"
#include "kindling/nn/tensor_util.hpp"
#include "kindling/tensor/creation.hpp"

namespace kindling::nn::init {

Fans fans(const Tensor& weight) {
  KINDLING_CHECK(weight.dim() >= 2,
                 "init: fan in and fan out need a weight of at least 2 "
                 "dimensions, got shape ",
                 shape_string(weight.shape()));
  double receptive = 1.0;
  for (std::int64_t d = 2; d < weight.dim(); ++d)
    receptive *= static_cast<double>(weight.shape()[d]);
  return {static_cast<double>(weight.shape()[1]) * receptive,
          static_cast<double>(weight.shape()[0]) * receptive};
}

double gain(Nonlinearity nonlinearity, double param) {
  switch (nonlinearity) {
    case Nonlinearity::linear:
    case Nonlinearity::sigmoid:
      return 1.0;
    case Nonlinearity::relu:
      return std::sqrt(2.0);
    case Nonlinearity::leaky_relu:
      return std::sqrt(2.0 / (1.0 + param * param));
    case Nonlinearity::tanh:
      return 5.0 / 3.0;
  }
  return 1.0;
}

namespace {
// Draws t.numel() doubles from `draw` into a float64 host tensor (its size checked and its memory
// from the allocator, so a huge shape is a kindling::error naming `who`), then copies them into t.
template <class Draw>
void fill_drawn(const Tensor& t, const char* who, Draw&& draw) {
  const Tensor host = zeros(t.shape(), DType::float64);
  double* values = host.data<double>();
  for (std::int64_t i = 0, n = host.numel(); i < n; ++i)
    values[i] = draw();
  copy_into(t, host, who);
}
}  // namespace

void uniform_(const Tensor& t, double low, double high, Generator& g) {
  fill_drawn(t, "init.uniform_", [&] { return g.uniform(low, high); });
}

void normal_(const Tensor& t, double mean, double stddev, Generator& g) {
  fill_drawn(t, "init.normal_", [&] { return g.normal(mean, stddev); });
}

void constant_(const Tensor& t, double value) {
  fill_into(t, value);
}
void zeros_(const Tensor& t) {
  fill_into(t, 0.0);
}
void ones_(const Tensor& t) {
  fill_into(t, 1.0);
}

namespace {
double kaiming_std(const Tensor& t, double a, bool fan_in, Nonlinearity nonlinearity) {
  const Fans f = fans(t);
  return gain(nonlinearity, a) / std::sqrt(fan_in ? f.fan_in : f.fan_out);
}
}  // namespace

void kaiming_uniform_(const Tensor& t, Generator& g, double a, bool fan_in,
                      Nonlinearity nonlinearity) {
  const double bound = std::sqrt(3.0) * kaiming_std(t, a, fan_in, nonlinearity);
  uniform_(t, -bound, bound, g);
}

void kaiming_normal_(const Tensor& t, Generator& g, double a, bool fan_in,
                     Nonlinearity nonlinearity) {
  normal_(t, 0.0, kaiming_std(t, a, fan_in, nonlinearity), g);
}

void xavier_uniform_(const Tensor& t, Generator& g, double gain_value) {
  const Fans f = fans(t);
  const double bound = gain_value * std::sqrt(6.0 / (f.fan_in + f.fan_out));
  uniform_(t, -bound, bound, g);
}

void xavier_normal_(const Tensor& t, Generator& g, double gain_value) {
  const Fans f = fans(t);
  normal_(t, 0.0, gain_value * std::sqrt(2.0 / (f.fan_in + f.fan_out)), g);
}

}  // namespace kindling::nn::init
