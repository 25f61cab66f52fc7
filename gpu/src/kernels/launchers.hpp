// The host launchers of the CUDA kernels: each sizes a grid for its `x_kernel`, launches it on the
// default stream and checks the launch. Their signatures are those of the KernelTable entries
// (kindling/tensor/kernels.hpp), whose CPU versions in tensor/src/cpu/ are their CPU twins.
// Plain C++ here, so register.cpp and optim.cpp need no nvcc.
#pragma once

#include <cstdint>

#include "kindling/tensor/kernels.hpp"

namespace kindling::gpu {

using kernels::BinaryKernel;
using kernels::ReduceKernel;
using kernels::StridedView;
using kernels::UnaryKernel;

// elementwise.cu
void copy(const StridedView& src, const StridedView& dst);
void fill(const StridedView& dst, double value);
void unary(UnaryKernel op, const StridedView& x, const StridedView& y);
void binary(BinaryKernel op, const StridedView& a, const StridedView& b, const StridedView& out);
void where(const StridedView& cond, const StridedView& a, const StridedView& b,
           const StridedView& out);
// reduce.cu
void reduce(ReduceKernel op, const StridedView& x, const StridedView& out);
// gemm.cu
void matmul(const StridedView& a, const StridedView& b, const StridedView& out);
// index.cu
void index_select(const StridedView& x, int axis, const StridedView& index, const StridedView& out);
void index_add(const StridedView& dst, int axis, const StridedView& index, const StridedView& src);
void gather(const StridedView& x, int axis, const StridedView& index, const StridedView& out);
void scatter_add(const StridedView& dst, int axis, const StridedView& index,
                 const StridedView& src);
// Throws (and clears) the first index or target error a kernel recorded on the current device
// (Note [deferred index errors] in common.cuh).
void check_deferred_errors();
// softmax.cu
void softmax(const StridedView& x, int axis, bool log, const StridedView& y);
void softmax_backward(const StridedView& y, const StridedView& dy, int axis, bool log,
                      const StridedView& dx);
void cross_entropy(const StridedView& logits, const StridedView& target, double scale,
                   const StridedView& loss);
void cross_entropy_backward(const StridedView& logits, const StridedView& target,
                            const StridedView& grad, double scale, const StridedView& dlogits);
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
