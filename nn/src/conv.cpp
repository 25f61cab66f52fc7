// The convolutional layers (kindling/nn/conv.hpp): each forward one windowed tensor op.
#include "kindling/nn/conv.hpp"

#include <cmath>
#include <sstream>

#include "kindling/engine/error.hpp"
#include "kindling/nn/functional.hpp"
#include "kindling/nn/init.hpp"
#include "kindling/nn/tensor_util.hpp"
#include "kindling/tensor/creation.hpp"

namespace kindling::nn {

namespace {
std::ostream& operator<<(std::ostream& os, Size2 s) {
  return os << '(' << s.h << ", " << s.w << ')';
}
}  // namespace

// ---- Conv2d ------------------------------------------------------------------------------------

Conv2d::Conv2d(std::int64_t in, std::int64_t out, Size2 kernel, Generator& generator, Size2 stride_,
               Size2 padding_, Size2 dilation_, std::int64_t groups_, bool with_bias, DType dtype)
    : Module("Conv2d"),
      in_channels(in),
      out_channels(out),
      kernel_size(kernel),
      stride(stride_),
      padding(padding_),
      dilation(dilation_),
      groups(groups_) {
  KINDLING_CHECK(in > 0 && out > 0, "Conv2d: channels must be positive, got in_channels=", in,
                 " out_channels=", out);
  KINDLING_CHECK(groups > 0 && in % groups == 0 && out % groups == 0, "Conv2d: in_channels ", in,
                 " and out_channels ", out, " must be divisible by groups = ", groups);
  KINDLING_CHECK(kernel.h > 0 && kernel.w > 0, "Conv2d: kernel_size ", kernel.h, " x ", kernel.w,
                 " must be positive");
  weight = register_parameter("weight", zeros({out, in / groups, kernel.h, kernel.w}, dtype));
  // PyTorch's reset_parameters: kaiming_uniform_(a = sqrt(5)) gives bound 1 / sqrt(fan_in).
  init::kaiming_uniform_(weight, generator, std::sqrt(5.0));
  if (with_bias) {
    bias = register_parameter("bias", zeros({out}, dtype));
    const double fan_in = static_cast<double>(in / groups * kernel.h * kernel.w);
    const double bound = 1.0 / std::sqrt(fan_in);
    init::uniform_(bias, -bound, bound, generator);
  }
}

Tensor Conv2d::forward(const Tensor& x) {
  return conv2d(x, weight, bias, stride, padding, dilation, groups);
}

std::string Conv2d::extra_repr() const {
  std::ostringstream os;
  os << in_channels << ", " << out_channels << ", kernel_size=" << kernel_size
     << ", stride=" << stride;
  if (padding.h != 0 || padding.w != 0) os << ", padding=" << padding;
  if (dilation.h != 1 || dilation.w != 1) os << ", dilation=" << dilation;
  if (groups != 1) os << ", groups=" << groups;
  if (!bias.defined()) os << ", bias=False";
  return os.str();
}

// ---- pooling -----------------------------------------------------------------------------------

MaxPool2d::MaxPool2d(Size2 k, Size2 s, Size2 p, Size2 d, bool ceil)
    : Module("MaxPool2d"),
      kernel_size(k),
      stride(s.h == 0 && s.w == 0 ? k : s),
      padding(p),
      dilation(d),
      ceil_mode(ceil) {}

Tensor MaxPool2d::forward(const Tensor& x) {
  return max_pool2d(x, kernel_size, stride, padding, dilation, ceil_mode);
}

std::string MaxPool2d::extra_repr() const {
  std::ostringstream os;
  os << "kernel_size=" << kernel_size << ", stride=" << stride << ", padding=" << padding
     << ", dilation=" << dilation << ", ceil_mode=" << (ceil_mode ? "True" : "False");
  return os.str();
}

AvgPool2d::AvgPool2d(Size2 k, Size2 s, Size2 p, bool include)
    : Module("AvgPool2d"),
      kernel_size(k),
      stride(s.h == 0 && s.w == 0 ? k : s),
      padding(p),
      count_include_pad(include) {}

Tensor AvgPool2d::forward(const Tensor& x) {
  return avg_pool2d(x, kernel_size, stride, padding, false, count_include_pad);
}

std::string AvgPool2d::extra_repr() const {
  std::ostringstream os;
  os << "kernel_size=" << kernel_size << ", stride=" << stride << ", padding=" << padding;
  return os.str();
}

AdaptiveAvgPool2d::AdaptiveAvgPool2d(Size2 size) : Module("AdaptiveAvgPool2d"), output_size(size) {}

Tensor AdaptiveAvgPool2d::forward(const Tensor& x) {
  return adaptive_avg_pool2d(x, output_size);
}

std::string AdaptiveAvgPool2d::extra_repr() const {
  std::ostringstream os;
  os << "output_size=" << output_size;
  return os.str();
}

// ---- BatchNorm2d -------------------------------------------------------------------------------

Tensor BatchNorm2d::forward(const Tensor& x) {
  KINDLING_CHECK(x.dim() == 4 && x.size(1) == num_features, "BatchNorm2d(", num_features,
                 "): expected (N, ", num_features, ", H, W), got ", shape_string(x.shape()));
  return normalize(x);
}

// ---- Dropout2d ---------------------------------------------------------------------------------

Dropout2d::Dropout2d(double p_, Generator& generator)
    : Module("Dropout2d"), p(p_), generator_(&generator) {
  KINDLING_CHECK(p >= 0.0 && p <= 1.0, "Dropout2d: p must be in [0, 1], got ", p);
}

Tensor Dropout2d::forward(const Tensor& x) {
  return dropout2d(x, p, is_training(), *generator_);
}

std::string Dropout2d::extra_repr() const {
  std::ostringstream os;
  os << "p=" << p;
  return os.str();
}

}  // namespace kindling::nn
