// The CPU kernel table's entries (declared here, defined across tensor/src/cpu/*.cpp).
#pragma once

#include "kindling/tensor/kernels.hpp"

namespace kindling::kernels::cpu {

void* allocate(std::size_t bytes);
void deallocate(void* data, std::size_t bytes);
void copy(const StridedView& src, const StridedView& dst);
void fill(const StridedView& dst, double value);
void unary(UnaryKernel op, const StridedView& x, const StridedView& y);
void binary(BinaryKernel op, const StridedView& a, const StridedView& b, const StridedView& out);
void where(const StridedView& cond, const StridedView& a, const StridedView& b,
           const StridedView& out);
void reduce(ReduceKernel op, const StridedView& x, const StridedView& out);
void matmul(const StridedView& a, const StridedView& b, const StridedView& out);
void index_select(const StridedView& x, int axis, const StridedView& index, const StridedView& out);
void index_add(const StridedView& dst, int axis, const StridedView& index, const StridedView& src);
void gather(const StridedView& x, int axis, const StridedView& index, const StridedView& out);
void scatter_add(const StridedView& dst, int axis, const StridedView& index,
                 const StridedView& src);
void softmax(const StridedView& x, int axis, bool log, const StridedView& y);
void softmax_backward(const StridedView& y, const StridedView& dy, int axis, bool log,
                      const StridedView& dx);
void cross_entropy(const StridedView& logits, const StridedView& target, double scale,
                   const StridedView& loss);
void cross_entropy_backward(const StridedView& logits, const StridedView& target,
                            const StridedView& grad, double scale, const StridedView& dlogits);

}  // namespace kindling::kernels::cpu
