// The host launchers of the CUDA kernels: each sizes a grid for its `x_kernel`, launches it on the
// default stream of the current device and checks the launch. Their signatures are those of the
// KernelTable entries (kindling/tensor/kernels.hpp), whose CPU versions in tensor/src/cpu/ are
// their CPU twins. Plain C++ here, so register.cpp and optim.cpp need no nvcc.
#pragma once

#include <cstdint>

#include "kindling/tensor/kernels.hpp"

namespace kindling::gpu {

using kernels::BinaryKernel;
using kernels::ReduceKernel;
using kernels::StridedView;
using kernels::UnaryKernel;

// Every KernelTable entry, declared from the table's list (Note [kernel table] in
// kindling/tensor/kernels.hpp): the memory entries are in runtime.cpp, the launchers in
// elementwise.cu (copy, fill, unary, binary, where), reduce.cu, gemm.cu (matmul), index.cu
// (index_select, index_add, gather, scatter_add) and softmax.cu (softmax, cross_entropy and their
// backwards). An entry CUDA lacks is on KINDLING_CUDA_MISSING in register.cpp and has no
// definition; any other without one fails to link.
#define KINDLING_X(name, kind, ret, params) ret name params;
KINDLING_KERNEL_TABLE(KINDLING_X)
#undef KINDLING_X

// Throws (and clears) the first index or target error a kernel recorded on the current device
// (Note [deferred index errors] in common.cuh).
void check_deferred_errors();
// optim.cu: contiguous buffers of n elements of `dtype`; step counts from 1. Null buffer: no
// momentum; null grad_avg: not centered.
void adam(DType dtype, void* param, const void* grad, void* exp_avg, void* exp_avg_sq,
          std::int64_t n, double lr, double beta1, double beta2, double eps, double weight_decay,
          std::int64_t step, bool decoupled);
// One Adam step over `count` parameters, in launches of up to 24 parameters each.
struct AdamSlices {
  void* param;
  const void* grad;
  void* exp_avg;
  void* exp_avg_sq;
  std::int64_t n;
};
void adam_multi(DType dtype, const AdamSlices* tensors, std::size_t count, double lr, double beta1,
                double beta2, double eps, double weight_decay, std::int64_t step, bool decoupled);
void sgd(DType dtype, void* param, const void* grad, void* momentum_buffer, std::int64_t n,
         double lr, double momentum, double dampening, double weight_decay, bool nesterov,
         bool first_step);
void rmsprop(DType dtype, void* param, const void* grad, void* square_avg, void* buffer,
             void* grad_avg, std::int64_t n, double lr, double alpha, double eps,
             double weight_decay, double momentum);

}  // namespace kindling::gpu
