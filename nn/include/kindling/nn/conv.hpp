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

/// (N, in_channels, H, W) -> (N, out_channels, Ho, Wo), as torch.nn.Conv2d (zero padding), with
/// Ho = floor((H + 2 padding - dilation (kh - 1) - 1) / stride) + 1 and Wo likewise. weight
/// (out_channels, in_channels / groups, kh, kw), PyTorch's OIHW, and bias (out_channels,), both
/// initialised as PyTorch's reset_parameters: weight ~ kaiming_uniform(a = sqrt(5)) =
/// U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = in_channels / groups * kh * kw, bias ~ the
/// same bound; drawn from `generator`, weight first. Unlike torch: no padding modes but zeros, no
/// padding="same", and no unbatched (C, H, W) input.
/// @code
/// using namespace kindling;
/// Generator g(1);
/// nn::Conv2d conv(1, 32, 3, g, 1, 1);   // 3x3 kernel, stride 1, padding 1
/// Tensor y = conv(zeros({8, 1, 28, 28}));  // (8, 32, 28, 28)
/// @endcode
class Conv2d : public Module {
 public:
  /// A convolution with weight and bias drawn from `generator`. A Size2 is one number for both
  /// sides or {height, width}, as torch's int-or-tuple arguments.
  /// @param in_channels C of the input (> 0, divisible by groups).
  /// @param out_channels O of the output (> 0, divisible by groups).
  /// @param kernel_size (kh, kw), positive.
  /// @param generator the source of the initial weight and bias.
  /// @param stride the window step (default 1).
  /// @param padding zeros added on each side (default 0).
  /// @param dilation the spacing of the kernel taps (default 1).
  /// @param groups the number of channel groups (default 1).
  /// @param bias whether the layer has a bias (default true).
  /// @param dtype the parameters' dtype (default float32).
  /// @throws kindling::error for a channel count that is not positive or not divisible by
  ///   groups, groups < 1, or a kernel size that is not positive. Stride, padding and dilation
  ///   are checked by forward().
  Conv2d(std::int64_t in_channels, std::int64_t out_channels, Size2 kernel_size,
         Generator& generator, Size2 stride = 1, Size2 padding = 0, Size2 dilation = 1,
         std::int64_t groups = 1, bool bias = true, DType dtype = DType::float32);
  /// conv2d(x, weight, bias, stride, padding, dilation, groups): (N, C, H, W) -> (N, O, Ho, Wo).
  /// @throws kindling::error (from kindling::conv2d, naming the shapes) for an input that is not
  ///   4-d and floating, has other than in_channels channels or another dtype or device than the
  ///   weight, a stride or dilation below 1, a negative padding, or an image smaller than the
  ///   dilated kernel.
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  Tensor weight;  ///< (out_channels, in_channels / groups, kh, kw), registered as "weight".
  Tensor bias;    ///< (out_channels,), registered as "bias"; undefined when built without bias.
  /// The input channels.
  std::int64_t in_channels, out_channels;  ///< The output channels.
  /// The window size (kh, kw).
  Size2 kernel_size, stride, padding, dilation;  ///< The spacing of the kernel taps.
  /// @var stride
  /// The window step.

  /// @var padding
  /// Zeros added on each side.

  std::int64_t groups;  ///< The number of channel groups.
};

/// The maximum of each window, as torch.nn.MaxPool2d: (N, C, H, W) -> (N, C, Ho, Wo), or
/// (C, H, W) -> (C, Ho, Wo), Ho as Conv2d's (rounded up with ceil_mode). NaN wins its window, as
/// in torch. No return_indices (kindling::max_pool2d_with_indices has them).
class MaxPool2d : public Module {
 public:
  /// A max pool; stride 0 (the default) means the kernel size, torch's stride=None.
  /// @param kernel_size the window (kh, kw).
  /// @param stride the window step (default 0: kernel_size).
  /// @param padding added on each side and never chosen, at most half the kernel (default 0).
  /// @param dilation the spacing of the window's taps (default 1).
  /// @param ceil_mode round the output size up rather than down (default false).
  explicit MaxPool2d(Size2 kernel_size, Size2 stride = 0, Size2 padding = 0, Size2 dilation = 1,
                     bool ceil_mode = false);
  /// max_pool2d(x, ...): (N, C, H, W) -> (N, C, Ho, Wo), or the same without N.
  /// @throws kindling::error for an input of another rank or not floating, a kernel size,
  ///   stride or dilation below 1, a padding above half the kernel, or no window that fits.
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  /// The window size (kh, kw).
  Size2 kernel_size, stride, padding, dilation;  ///< The spacing of the window's taps.
  /// @var stride
  /// The window step (the kernel size when 0 was given).

  /// @var padding
  /// The padding on each side.

  bool ceil_mode;  ///< Whether the output size is rounded up.
};

/// The mean of each window, as torch.nn.AvgPool2d: (N, C, H, W) -> (N, C, Ho, Wo), or
/// (C, H, W) -> (C, Ho, Wo). Unlike torch: no ceil_mode and no divisor_override (the function
/// kindling::avg_pool2d has divisor_override).
class AvgPool2d : public Module {
 public:
  /// An average pool; stride 0 (the default) means the kernel size, torch's stride=None.
  /// @param kernel_size the window (kh, kw).
  /// @param stride the window step (default 0: kernel_size).
  /// @param padding zeros added on each side, at most half the kernel (default 0).
  /// @param count_include_pad whether the padding counts in each window's divisor (default
  ///   true, torch's).
  explicit AvgPool2d(Size2 kernel_size, Size2 stride = 0, Size2 padding = 0,
                     bool count_include_pad = true);
  /// avg_pool2d(x, ...): (N, C, H, W) -> (N, C, Ho, Wo), or the same without N.
  /// @throws kindling::error for an input of another rank or not floating, a kernel size or
  ///   stride below 1, a padding above half the kernel, or no window that fits.
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  /// The window size (kh, kw).
  Size2 kernel_size, stride, padding;  ///< The padding on each side.
  /// @var stride
  /// The window step (the kernel size when 0 was given).

  bool count_include_pad;  ///< Whether the padding counts in the divisor.
};

/// Average pooling to a fixed output size, as torch.nn.AdaptiveAvgPool2d: (N, C, H, W) ->
/// (N, C, oh, ow), or (C, H, W) -> (C, oh, ow), output row i averaging input rows
/// [floor(i H / oh), ceil((i + 1) H / oh)), torch's bins. Unlike torch, a size cannot be None.
class AdaptiveAvgPool2d : public Module {
 public:
  /// An adaptive pool to `output_size`, checked by forward().
  /// @param output_size (oh, ow), positive; one number for a square output.
  explicit AdaptiveAvgPool2d(Size2 output_size);
  /// adaptive_avg_pool2d(x, output_size).
  /// @throws kindling::error for an input of another rank or not floating, an empty plane, or
  ///   an output size below 1.
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  Size2 output_size;  ///< (oh, ow).
};

/// Batch normalisation of (N, C, H, W) per channel, as torch.nn.BatchNorm2d (BatchNorm in
/// layers.hpp).
class BatchNorm2d : public BatchNorm {
 public:
  /// A BatchNorm2d over `num_features` channels.
  /// @param num_features the number of channels C (> 0).
  /// @param eps added to the variance (default 1e-5).
  /// @param momentum the running statistics' update weight (default 0.1).
  /// @param affine whether there are weight and bias (default true).
  /// @param dtype the dtype of the parameters and buffers (default float32).
  /// @throws kindling::error when num_features is not positive.
  explicit BatchNorm2d(std::int64_t num_features, double eps = 1e-5, double momentum = 0.1,
                       bool affine = true, DType dtype = DType::float32)
      : BatchNorm("BatchNorm2d", num_features, eps, momentum, affine, dtype) {}
  /// (N, C, H, W) -> the same shape.
  /// @throws kindling::error for another shape, or in training with one value per channel.
  Tensor forward(const Tensor& x) override;
};

/// In training, zeroes whole channels with probability p and scales the rest by 1 / (1 - p)
/// (nn::dropout2d); the identity in eval, as torch.nn.Dropout2d. Inputs (N, C, H, W) or
/// (C, H, W).
class Dropout2d : public Module {
 public:
  /// A channel dropout drawing its masks from `generator`.
  /// @param p the probability of zeroing a channel, in [0, 1].
  /// @param generator the mask's source; it must outlive the module.
  /// @throws kindling::error when p is outside [0, 1].
  Dropout2d(double p, Generator& generator);
  /// dropout2d(x, p, is_training()), the shape of x.
  /// @throws kindling::error for an input that is not 3-d or 4-d.
  Tensor forward(const Tensor& x) override;
  std::string extra_repr() const override;
  double p;  ///< The probability of zeroing a channel.

 private:
  Generator* generator_;
};

}  // namespace kindling::nn
