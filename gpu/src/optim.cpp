// Argument checks of the fused optimizer steps (kindling/gpu/optim.hpp); the kernels are in
// kernels/optim.cu.
#include "kindling/gpu/optim.hpp"

#include "kernels/launchers.hpp"
#include "kindling/engine/error.hpp"

namespace kindling::gpu {

namespace {

void check_state(const char* op, const Tensor& param, const Tensor& other, const char* name) {
  KINDLING_CHECK(other.defined(), op, ": ", name, " is undefined");
  KINDLING_CHECK(other.shape() == param.shape(), op, ": ", name, " has shape ",
                 shape_string(other.shape()), ", the parameter ", shape_string(param.shape()));
  KINDLING_CHECK(other.dtype() == param.dtype(), op, ": ", name, " is ", dtype_name(other.dtype()),
                 ", the parameter ", dtype_name(param.dtype()));
  KINDLING_CHECK(other.device() == param.device(), op, ": ", name, " is on ",
                 to_string(other.device()), ", the parameter on ", to_string(param.device()));
  KINDLING_CHECK(other.is_contiguous(), op, ": ", name, " of shape ", shape_string(other.shape()),
                 " is not contiguous");
}

void check_param(const char* op, const Tensor& param) {
  KINDLING_CHECK(param.defined(), op, ": the parameter is undefined");
  KINDLING_CHECK(param.device().type == DeviceType::cuda, op, ": the parameter is on ",
                 to_string(param.device()), "; the fused steps run on CUDA tensors only");
  KINDLING_CHECK(is_floating(param.dtype()), op, ": the parameter is ", dtype_name(param.dtype()));
  KINDLING_CHECK(param.is_contiguous(), op, ": the parameter of shape ",
                 shape_string(param.shape()), " is not contiguous");
}

}  // namespace

void adamw_step(const Tensor& param, const Tensor& grad, const Tensor& exp_avg,
                const Tensor& exp_avg_sq, const AdamWOptions& o, std::int64_t step) {
  check_param("adamw_step", param);
  check_state("adamw_step", param, grad, "grad");
  check_state("adamw_step", param, exp_avg, "exp_avg");
  check_state("adamw_step", param, exp_avg_sq, "exp_avg_sq");
  KINDLING_CHECK(step >= 1, "adamw_step: step is ", step, "; the first step is 1");
  KINDLING_CHECK(o.beta1 >= 0 && o.beta1 < 1 && o.beta2 >= 0 && o.beta2 < 1, "adamw_step: betas (",
                 o.beta1, ", ", o.beta2, ") must lie in [0, 1)");
  adam(param.dtype(), param.raw_data(), grad.raw_data(), exp_avg.raw_data(), exp_avg_sq.raw_data(),
       param.numel(), o.lr, o.beta1, o.beta2, o.eps, o.weight_decay, step,
       /*decoupled=*/true);
}

void sgd_step(const Tensor& param, const Tensor& grad, const Tensor& momentum_buffer,
              const SgdOptions& o, bool first_step) {
  check_param("sgd_step", param);
  check_state("sgd_step", param, grad, "grad");
  KINDLING_CHECK(!o.nesterov || (o.momentum > 0 && o.dampening == 0),
                 "sgd_step: nesterov needs momentum > 0 and dampening 0");
  void* buffer = nullptr;
  if (o.momentum != 0.0) {
    check_state("sgd_step", param, momentum_buffer, "momentum_buffer");
    buffer = momentum_buffer.raw_data();
  }
  sgd(param.dtype(), param.raw_data(), grad.raw_data(), buffer, param.numel(), o.lr, o.momentum,
      o.dampening, o.weight_decay, o.nesterov, first_step);
}

}  // namespace kindling::gpu
