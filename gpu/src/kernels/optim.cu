// The fused optimizer steps of the kernel table (Note [fused optimizer steps] in
// kindling/tensor/kernels.hpp): one kernel updates a parameter and its state in place, with the
// element formulas shared with the CPU (kindling/tensor/optim_formulas.hpp). CPU twins: the loops
// of tensor/src/cpu/optim.cpp, which the GPU tests run on the same inputs.
#include "common.cuh"
#include "kindling/tensor/optim_formulas.hpp"
#include "launchers.hpp"

namespace kindling::gpu {

using namespace device;
namespace f = optim_formula;

namespace {

// param, grad, exp_avg, exp_avg_sq: (n,) contiguous.
template <class T>
__global__ void adam_kernel(index_t n, T* param, const T* grad, T* exp_avg, T* exp_avg_sq,
                            f::AdamConstants<T> c) {
  for (index_t i = blockIdx.x * index_t(blockDim.x) + threadIdx.x; i < n;
       i += index_t(gridDim.x) * blockDim.x)
    f::adam_element(c, param[i], grad[i], exp_avg[i], exp_avg_sq[i]);
}

// Several parameters in one launch, their pointers passed by value in the kernel's arguments
// (kMultiTensors of them fit well inside the 4 KB argument space). The elements of all of them
// are one range, tensor j holding [end[j - 1], end[j]); a thread's index only grows in the
// grid-stride loop, so its tensor number only moves forward.
constexpr int kMultiTensors = 24;

template <class T>
struct AdamBatch {
  int count = 0;
  index_t end[kMultiTensors] = {};
  T* param[kMultiTensors] = {};
  const T* grad[kMultiTensors] = {};
  T* exp_avg[kMultiTensors] = {};
  T* exp_avg_sq[kMultiTensors] = {};
};

template <class T>
__global__ void adam_multi_kernel(AdamBatch<T> b, f::AdamConstants<T> c) {
  const index_t total = b.end[b.count - 1];
  int j = 0;
  for (index_t i = blockIdx.x * index_t(blockDim.x) + threadIdx.x; i < total;
       i += index_t(gridDim.x) * blockDim.x) {
    while (i >= b.end[j])
      ++j;
    const index_t k = i - (j == 0 ? 0 : b.end[j - 1]);
    f::adam_element(c, b.param[j][k], b.grad[j][k], b.exp_avg[j][k], b.exp_avg_sq[j][k]);
  }
}

// param, grad, square_avg: (n,) contiguous; buffer null without momentum, grad_avg null unless
// centered.
template <class T>
__global__ void rmsprop_kernel(index_t n, T* param, const T* grad, T* square_avg, T* buffer,
                               T* grad_avg, f::RmspropConstants<T> c) {
  for (index_t i = blockIdx.x * index_t(blockDim.x) + threadIdx.x; i < n;
       i += index_t(gridDim.x) * blockDim.x)
    f::rmsprop_element(c, param[i], grad[i], square_avg[i], buffer ? buffer + i : nullptr,
                       grad_avg ? grad_avg + i : nullptr);
}

// param, grad, buffer: (n,) contiguous; buffer is null without momentum.
template <class T>
__global__ void sgd_kernel(index_t n, T* param, const T* grad, T* buffer, f::SgdConstants<T> c) {
  for (index_t i = blockIdx.x * index_t(blockDim.x) + threadIdx.x; i < n;
       i += index_t(gridDim.x) * blockDim.x)
    f::sgd_element(c, param[i], grad[i], buffer ? buffer + i : nullptr);
}

template <class T>
T* data_of(const StridedView& v) {
  return static_cast<T*>(v.data);
}

}  // namespace

void adam_step(const StridedView& param, const StridedView& grad, const StridedView& exp_avg,
               const StridedView& exp_avg_sq, const kernels::AdamHyper& h) {
  const index_t n = param.numel();
  if (n == 0) return;
  with_float_dtype(param.dtype, "adam step", [&]<class T>() {
    adam_kernel<T><<<grid_for(n), kThreads>>>(n, data_of<T>(param), data_of<const T>(grad),
                                              data_of<T>(exp_avg), data_of<T>(exp_avg_sq),
                                              f::adam_constants<T>(h));
  });
  KINDLING_CUDA_CHECK_LAUNCH("adam_kernel");
}

void adam_multi_step(const kernels::AdamTensors* tensors, std::size_t count,
                     const kernels::AdamHyper& h) {
  if (count == 0) return;
  with_float_dtype(tensors[0].param.dtype, "adam step", [&]<class T>() {
    const f::AdamConstants<T> c = f::adam_constants<T>(h);
    // Batches of up to kMultiTensors parameters: one launch each.
    for (std::size_t first = 0; first < count; first += kMultiTensors) {
      AdamBatch<T> b;
      index_t total = 0;
      for (std::size_t i = first; i < count && b.count < kMultiTensors; ++i, ++b.count) {
        const kernels::AdamTensors& t = tensors[i];
        total += t.param.numel();
        b.end[b.count] = total;
        b.param[b.count] = data_of<T>(t.param);
        b.grad[b.count] = data_of<const T>(t.grad);
        b.exp_avg[b.count] = data_of<T>(t.exp_avg);
        b.exp_avg_sq[b.count] = data_of<T>(t.exp_avg_sq);
      }
      if (total == 0) continue;
      adam_multi_kernel<T><<<grid_for(total), kThreads>>>(b, c);
      KINDLING_CUDA_CHECK_LAUNCH("adam_multi_kernel");
    }
  });
}

void rmsprop_step(const StridedView& param, const StridedView& grad, const StridedView& square_avg,
                  const StridedView& buffer, const StridedView& grad_avg,
                  const kernels::RmspropHyper& h) {
  const index_t n = param.numel();
  if (n == 0) return;
  with_float_dtype(param.dtype, "rmsprop step", [&]<class T>() {
    rmsprop_kernel<T><<<grid_for(n), kThreads>>>(
        n, data_of<T>(param), data_of<const T>(grad), data_of<T>(square_avg),
        h.momentum > 0.0 ? data_of<T>(buffer) : nullptr,
        h.centered ? data_of<T>(grad_avg) : nullptr, f::rmsprop_constants<T>(h));
  });
  KINDLING_CUDA_CHECK_LAUNCH("rmsprop_kernel");
}

void sgd_step(const StridedView& param, const StridedView& grad, const StridedView& buffer,
              const kernels::SgdHyper& h) {
  const index_t n = param.numel();
  if (n == 0) return;
  with_float_dtype(param.dtype, "sgd step", [&]<class T>() {
    sgd_kernel<T><<<grid_for(n), kThreads>>>(n, data_of<T>(param), data_of<const T>(grad),
                                             h.momentum != 0.0 ? data_of<T>(buffer) : nullptr,
                                             f::sgd_constants<T>(h));
  });
  KINDLING_CUDA_CHECK_LAUNCH("sgd_kernel");
}

}  // namespace kindling::gpu
