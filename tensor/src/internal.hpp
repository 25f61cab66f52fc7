// Helpers shared by the op files: kernel calls that make fresh results, axis normalisation, and
// the accessors a backward step uses. Not installed: only tensor/src sees it.
#pragma once

#include <cassert>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kindling/engine/error.hpp"
#include "kindling/engine/grad_mode.hpp"
#include "kindling/tensor/creation.hpp"
#include "kindling/tensor/kernels.hpp"
#include "kindling/tensor/ops.hpp"
#include "kindling/tensor/tensor.hpp"

namespace kindling::detail {

// Each primitive's backward: reads node.grad (through `grad`) and gives each input that requires
// grad its contribution with give(). Generated from the op table (Note [tensor op table]).
#define KINDLING_X(name, ...) void name##_backward(TensorNode& node, const Tensor& grad);
KINDLING_TENSOR_PRIMITIVES(KINDLING_X)
#undef KINDLING_X

// The table of t's device, made current (kernels_on): the kernels then run where t lives.
inline const kernels::KernelTable& kernels_of(const Tensor& t) {
  return kernels::kernels_on(t.device());
}

// Input i of a node, as a handle (sharing the node).
inline Tensor input(const TensorNode& node, std::size_t i) {
  assert(i < node.inputs.size());
  return Tensor::from_node(node.inputs[i]);
}
// The node's own value, as a leaf sharing its storage (holding the node itself would make a
// reference cycle).
Tensor output_value(const TensorNode& node);
// Saved tensor i; throws if backward already freed it (Note [saved tensors]).
Tensor saved(const TensorNode& node, std::size_t i);
// Adds `contribution` to input i's grad if that input requires grad.
inline void give(const TensorNode& node, std::size_t i, Tensor contribution) {
  if (node.inputs[i]->requires_grad) accumulate_grad(node.inputs[i], std::move(contribution));
}
inline bool wants_grad(const TensorNode& node, std::size_t i) {
  return node.inputs[i]->requires_grad;
}

// Axis in [-ndim, ndim) to [0, ndim); throws naming `op` otherwise.
std::int64_t normalize_axis(std::int64_t axis, std::int64_t ndim, const char* op);
// Contiguous strides of a shape.
Shape contiguous_strides(const Shape& shape);
// A contiguous leaf of `shape` over `storage`, which the caller has checked holds that many bytes
// (detail::empty, from_blob).
Tensor leaf_over(std::shared_ptr<Storage> storage, const Shape& shape, DType dtype);
// A new tensor node over `base`'s storage with another layout (for views).
Tensor make_view(const Tensor& base, Shape shape, Shape strides, std::int64_t offset);

// Fresh results of single kernels, outside the graph (the ops record them).
Tensor unary_kernel(kernels::UnaryKernel op, const Tensor& x);
// a and b of one shape and dtype; the result has it too, or is bool for a comparison.
Tensor binary_kernel(kernels::BinaryKernel op, const Tensor& a, const Tensor& b);
// The same with the result dtype given: a comparison may write 1 or 0 in the operands' dtype (a
// mask that is multiplied straight away, without a cast).
Tensor binary_kernel(kernels::BinaryKernel op, const Tensor& a, const Tensor& b, DType out_dtype);
// Reduction into a keepdim-shaped result.
Tensor reduce_kernel(kernels::ReduceKernel op, const Tensor& x, const Shape& keep_shape,
                     DType out_dtype);
// Throws naming `op` and the operand when a or b is undefined (Note [undefined tensors]).
void check_defined(const Tensor& a, const Tensor& b, std::string_view op);
// Both operands broadcast (by expand) to a common shape and converted to result_type(a, b), or to
// `dtype` when given.
std::pair<Tensor, Tensor> broadcast_pair(const Tensor& a, const Tensor& b, const char* op);
std::pair<Tensor, Tensor> broadcast_pair(const Tensor& a, const Tensor& b, DType dtype,
                                         const char* op);
// A 0-d tensor of like's dtype and device holding `value` (converted as a fill converts it).
Tensor scalar_like(const Tensor& like, const Scalar& value);
// The 0-d tensor a wrapped number becomes once the result dtype is known (Note [wrapped
// numbers]): `value` in `dtype` on `device`, exact for integers.
Tensor number_tensor(const Scalar& value, DType dtype, Device device);
// Sums `grad` down to `shape` (the adjoint of expand).
Tensor sum_to(const Tensor& grad, const Shape& shape);

}  // namespace kindling::detail
