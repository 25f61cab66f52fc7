// matmul: the primitive multiplies operands whose batch dims already agree (the composite front
// end expands them, and turns vectors into matrices), so its backward is two more matmuls and the
// expand nodes sum over broadcast batch dims. Transposes are views; the kernel hands them to
// gemm as trans_a / trans_b instead of copying.
#include "internal.hpp"

namespace kindling {

using detail::give;
using detail::input;

namespace {
// (..., m, k) x (..., k, n) -> (..., m, n), batch dims equal.
Tensor matmul_primitive(const Tensor& a, const Tensor& b) {
  Shape shape = a.shape();
  shape.back() = b.shape().back();
  Tensor out = detail::empty(shape, a.dtype(), a.device(), "matmul");
  detail::kernels_of(a).matmul(a.strided_view(), b.strided_view(), out.strided_view());
  return detail::record(TensorOp::matmul, out, {&a, &b});
}
}  // namespace

Tensor matmul(const Tensor& a_in, const Tensor& b_in) {
  KINDLING_CHECK(a_in.dim() >= 1 && b_in.dim() >= 1, "matmul: ", shape_string(a_in.shape()), " x ",
                 shape_string(b_in.shape()), ": both operands need at least 1 dimension");
  KINDLING_CHECK(a_in.device() == b_in.device(), "matmul: operands on ", to_string(a_in.device()),
                 " and ", to_string(b_in.device()));
  const std::int64_t k_a = a_in.shape().back();
  const std::int64_t k_b = b_in.dim() == 1 ? b_in.shape()[0] : b_in.shape()[b_in.dim() - 2];
  KINDLING_CHECK(k_a == k_b, "matmul: ", shape_string(a_in.shape()), " x ",
                 shape_string(b_in.shape()), ": inner dimensions ", k_a, " and ", k_b, " differ");
  const DType dtype = promote(a_in.dtype(), b_in.dtype());
  KINDLING_CHECK(is_floating(dtype), "matmul: ", shape_string(a_in.shape()), " x ",
                 shape_string(b_in.shape()), ": int64 operands are not supported");
  Tensor a = cast(a_in, dtype), b = cast(b_in, dtype);
  const bool a_vector = a.dim() == 1, b_vector = b.dim() == 1;
  if (a_vector) a = unsqueeze(a, 0);
  if (b_vector) b = unsqueeze(b, -1);
  const Shape batch_a(a.shape().begin(), a.shape().end() - 2);
  const Shape batch_b(b.shape().begin(), b.shape().end() - 2);
  Shape batch = broadcast_shapes(batch_a, batch_b, "matmul");
  Shape shape_a = batch, shape_b = batch;
  shape_a.insert(shape_a.end(), a.shape().end() - 2, a.shape().end());
  shape_b.insert(shape_b.end(), b.shape().end() - 2, b.shape().end());
  // Broadcast batch dims can make an operand, or the product, too large to address.
  checked_numel(shape_a, "matmul");
  checked_numel(shape_b, "matmul");
  Tensor out = matmul_primitive(expand(a, shape_a), expand(b, shape_b));
  if (a_vector) out = squeeze(out, -2);
  if (b_vector) out = squeeze(out, -1);
  return out;
}

// da = g b^T, db = a^T g (batched; the transposes are views)
// Note [transposed operand gradient]
// A 2-D b that is the transposed view of a contiguous matrix (Linear's x W^T: b = W^T) gets its
// gradient in that same layout, as the view (g^T a)^T: the transpose's backward then hands W a
// contiguous (out, in) gradient instead of a (in, out) product that must be copied, strided, into
// W's buffer (measured 15 ms for 784 x 256 against 0.7 ms for the product). The same products
// summed in the same order: the bits do not change.
void detail::matmul_backward(TensorNode& node, const Tensor& g) {
  const Tensor a = input(node, 0), b = input(node, 1);
  if (wants_grad(node, 0)) give(node, 0, matmul_primitive(g, transpose(b, -2, -1)));
  if (wants_grad(node, 1)) {
    const bool b_transposed = b.dim() == 2 && b.size(0) > 1 && b.size(1) > 1 &&
                              b.strides()[0] == 1 && b.strides()[1] == b.size(0);
    give(node, 1,
         b_transposed ? transpose(matmul_primitive(transpose(g, 0, 1), a), 0, 1)
                      : matmul_primitive(transpose(a, -2, -1), g));
  }
}

}  // namespace kindling
