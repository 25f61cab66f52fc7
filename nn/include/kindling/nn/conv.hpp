// The layers of a convolutional network, as torch.nn's: Conv2d, MaxPool2d, AvgPool2d,
// AdaptiveAvgPool2d, BatchNorm2d and Dropout2d (Flatten is in layers.hpp). Each forward is one of
// the tensor library's windowed ops (kindling/tensor/ops.hpp, Note [convolution]).
#pragma once

#include <cstdint>
#include <string>

#include "kindling/engine/random.hpp"
#include "kindling/nn/layers.hpp"
#include "kindling/nn/module.hpp"
#include "kindling/tensor/ops.hpp"
#include "kindling/tensor/tensor.hpp"

namespace kindling::nn {

// (N, in_channels, H, W) -> (N, out_channels, Ho, Wo), as torch.nn.Conv2d (zero padding). weight
// (out_channels, in_channels / groups, kh, kw), PyTorch's OIHW, and bias (out_channels,), both
// initialised as PyTorch's reset_parameters: weight ~ kaiming_uniform(a = sqrt(5)) =
// U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = in_channels / groups * kh * kw, bias ~ the
// same bound; drawn from `generator`, weight first.
class Conv2d : public Module {
 public:
  Conv2d(std::int64_t in_channels, std::int64_t out_channels, Size2 kernel_size,
         Generator& generator, Size2 stride = 1, Size2 padding = 0, Size2 dilation = 1,
         std::int64_t groups = 1, bool bias = true, DType dtype = DType::float32);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  Tensor weight;
  Tensor bias;  // undefined when built without bias
  std::int64_t in_channels, out_channels;
  Size2 kernel_size, stride, padding, dilation;
  std::int64_t groups;
};

// stride 0: the kernel size (torch's stride=None).
class MaxPool2d : public Module {
 public:
  explicit MaxPool2d(Size2 kernel_size, Size2 stride = 0, Size2 padding = 0, Size2 dilation = 1,
                     bool ceil_mode = false);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  Size2 kernel_size, stride, padding, dilation;
  bool ceil_mode;
};

class AvgPool2d : public Module {
 public:
  explicit AvgPool2d(Size2 kernel_size, Size2 stride = 0, Size2 padding = 0,
                     bool count_include_pad = true);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  Size2 kernel_size, stride, padding;
  bool count_include_pad;
};

class AdaptiveAvgPool2d : public Module {
 public:
  explicit AdaptiveAvgPool2d(Size2 output_size);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  Size2 output_size;
};

// Batch normalisation of (N, C, H, W) per channel, as torch.nn.BatchNorm2d (BatchNorm in
// layers.hpp).
class BatchNorm2d : public BatchNorm {
 public:
  explicit BatchNorm2d(std::int64_t num_features, double eps = 1e-5, double momentum = 0.1,
                       bool affine = true, DType dtype = DType::float32)
      : BatchNorm("BatchNorm2d", num_features, eps, momentum, affine, dtype) {}
  Tensor forward(const Tensor& x) override;
};

// In training, zeroes whole channels with probability p (nn::dropout2d); the identity in eval.
// Draws from `generator`, which must outlive the module.
class Dropout2d : public Module {
 public:
  Dropout2d(double p, Generator& generator);
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  double p;

 private:
  Generator* generator_;
};

}  // namespace kindling::nn
