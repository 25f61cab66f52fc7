// The CUDA entries of nn's OptimizerKernels table (Note [fused optimizer steps] in
// kindling/nn/optim_kernels.hpp), registered at static initialisation. This object is the only
// place gpu/ knows nn/ exists; it lives in its own target, kindling::gpu_nn, so that kindling::gpu
// keeps depending on the tensor library alone. Programs that train on CUDA with nn's optimizers
// link kindling::gpu_nn (whole archive, like kindling::gpu: Note [gpu registration]).
#include <vector>

#include "kernels/launchers.hpp"
#include "kindling/nn/optim_kernels.hpp"

namespace kindling::gpu {

namespace {

void sgd_cuda(const kernels::StridedView& p, const kernels::StridedView& g,
              const kernels::StridedView& buf, const nn::SgdHyper& h) {
  sgd(p.dtype, p.data, g.data, h.momentum != 0.0 ? buf.data : nullptr, p.numel(), h.lr, h.momentum,
      h.dampening, h.weight_decay, h.nesterov, h.first_step);
}

void adam_cuda(const kernels::StridedView& p, const kernels::StridedView& g,
               const kernels::StridedView& m, const kernels::StridedView& v,
               const nn::AdamHyper& h) {
  adam(p.dtype, p.data, g.data, m.data, v.data, p.numel(), h.lr, h.beta1, h.beta2, h.eps,
       h.weight_decay, h.step, h.decoupled);
}

void adam_multi_cuda(const nn::AdamTensors* tensors, std::size_t count, const nn::AdamHyper& h) {
  std::vector<AdamSlices> slices;
  slices.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    const nn::AdamTensors& t = tensors[i];
    slices.push_back(
        {t.param.data, t.grad.data, t.exp_avg.data, t.exp_avg_sq.data, t.param.numel()});
  }
  adam_multi(count == 0 ? DType::float32 : tensors[0].param.dtype, slices.data(), count, h.lr,
             h.beta1, h.beta2, h.eps, h.weight_decay, h.step, h.decoupled);
}

void rmsprop_cuda(const kernels::StridedView& p, const kernels::StridedView& g,
                  const kernels::StridedView& square_avg, const kernels::StridedView& buf,
                  const kernels::StridedView& grad_avg, const nn::RmspropHyper& h) {
  rmsprop(p.dtype, p.data, g.data, square_avg.data, h.momentum > 0.0 ? buf.data : nullptr,
          h.centered ? grad_avg.data : nullptr, p.numel(), h.lr, h.alpha, h.eps, h.weight_decay,
          h.momentum);
}

const nn::OptimizerKernels kCudaOptimizers{&sgd_cuda, &adam_cuda, &rmsprop_cuda, &adam_multi_cuda};

const bool g_registered = [] {
  nn::register_optimizer_kernels(DeviceType::cuda, &kCudaOptimizers);
  return true;
}();

}  // namespace

}  // namespace kindling::gpu
