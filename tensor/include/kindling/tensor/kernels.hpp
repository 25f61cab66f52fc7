// The per-device table of forward primitives: the only place tensor ops touch memory.
//
// Note [device dispatch]
// Every differentiable op in tensor/ is written with the primitives below (backward too, since
// gradients are computed with tensor ops), so a device that fills a KernelTable runs the whole
// library. The CPU table is built in tensor/src/cpu/; the gpu module registers its CUDA table at
// static initialisation with register_kernels(DeviceType::cuda, ...). Views (reshape, permute,
// slice, expand) never reach a kernel: they only change shape, strides and offset.
//
// Kernels receive StridedViews: a data pointer at element (0, ..., 0), the dtype, the shape and
// the strides in elements (0 for a broadcast dimension). Outputs are views too, so a kernel can
// write into a slice of a larger tensor (the backward of slice does).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "kindling/tensor/dtype.hpp"

namespace kindling::kernels {

struct StridedView {
  void* data = nullptr;
  DType dtype = DType::float32;
  int ndim = 0;
  std::array<std::int64_t, kMaxDims> shape{};
  std::array<std::int64_t, kMaxDims> strides{};
  std::int64_t numel() const noexcept {
    // A zero size first: the other sizes of an empty tensor may multiply past int64.
    for (int i = 0; i < ndim; ++i)
      if (shape[i] == 0) return 0;
    std::int64_t n = 1;
    for (int i = 0; i < ndim; ++i)
      n *= shape[i];
    return n;
  }
};

// Elementwise maps y = f(x). The grad_* entries are the local derivatives some backward passes
// need and cannot assemble from other primitives at the same cost.
#define KINDLING_UNARY_KERNELS(X) \
  X(neg)                          \
  X(exp)                          \
  X(log)                          \
  X(sqrt)                         \
  X(abs)                          \
  X(sign)                         \
  X(tanh)                         \
  X(sigmoid)                      \
  X(relu)                         \
  X(gelu)                         \
  X(gelu_grad)

enum class UnaryKernel : std::uint8_t {
#define KINDLING_X(name) name,
  KINDLING_UNARY_KERNELS(KINDLING_X)
#undef KINDLING_X
};

// z = f(x, y) over operands of one shape (broadcast dims have stride 0). Comparisons write bool
// (or, when `out` has the operands' dtype, 1 or 0 in it). On int64, add, sub, mul and pow wrap
// around and div is defined for every divisor (element.hpp); on bool, add is `or`, mul `and`.
// relu_grad is relu's backward in one pass: 0 where y <= 0, else x (the grad x masked by the
// input y; 0 even where x is NaN, and x where y is NaN, as PyTorch's threshold_backward). Every
// kernel's special values: Note [special values].
#define KINDLING_BINARY_KERNELS(X) \
  X(add)                           \
  X(sub)                           \
  X(mul)                           \
  X(div)                           \
  X(pow)                           \
  X(maximum)                       \
  X(minimum)                       \
  X(eq)                            \
  X(ne)                            \
  X(lt)                            \
  X(le)                            \
  X(gt)                            \
  X(ge)                            \
  X(relu_grad)

enum class BinaryKernel : std::uint8_t {
#define KINDLING_X(name) name,
  KINDLING_BINARY_KERNELS(KINDLING_X)
#undef KINDLING_X
};

constexpr bool is_comparison(BinaryKernel op) noexcept {
  return op == BinaryKernel::eq || op == BinaryKernel::ne || op == BinaryKernel::lt ||
         op == BinaryKernel::le || op == BinaryKernel::gt || op == BinaryKernel::ge;
}

// Reductions over the dimensions where the output has size 1 and the input does not (the output
// is given in keepdim form). argmax/argmin reduce one dimension and write int64 indices. int64 sums
// wrap around; on bool, max is `any` and min is `all`.
enum class ReduceKernel : std::uint8_t { sum, max, min, argmax, argmin };

struct KernelTable {
  // Memory. allocate() returns storage aligned to 64 bytes; bytes may be 0.
  void* (*allocate)(std::size_t bytes) = nullptr;
  void (*deallocate)(void* data, std::size_t bytes) = nullptr;
  // Host <-> device copies of contiguous bytes (for the CPU, plain memcpy).
  void (*copy_from_host)(void* dst, const void* src, std::size_t bytes) = nullptr;
  void (*copy_to_host)(void* dst, const void* src, std::size_t bytes) = nullptr;

  // dst = src elementwise, converting dtypes as element::convert does (element.hpp: NaN and
  // out-of-range floats become INT64_MIN in int64, nonzero becomes true in bool); shapes equal.
  void (*copy)(const StridedView& src, const StridedView& dst) = nullptr;
  // dst = value converted to dst's dtype as copy converts it.
  void (*fill)(const StridedView& dst, double value) = nullptr;
  void (*unary)(UnaryKernel op, const StridedView& x, const StridedView& y) = nullptr;
  // a, b and out share shape; a and b share dtype, and out has it too (bool for comparisons).
  void (*binary)(BinaryKernel op, const StridedView& a, const StridedView& b,
                 const StridedView& out) = nullptr;
  // out = cond != 0 ? a : b; cond may have any dtype (the ops pass bool).
  void (*where)(const StridedView& cond, const StridedView& a, const StridedView& b,
                const StridedView& out) = nullptr;
  void (*reduce)(ReduceKernel op, const StridedView& x, const StridedView& out) = nullptr;
  // out (..., m, n) = a (..., m, k) x b (..., k, n); batch dims equal (broadcast ones stride 0).
  void (*matmul)(const StridedView& a, const StridedView& b, const StridedView& out) = nullptr;
  // out = x.index_select(axis, index); index is 1-D int64.
  void (*index_select)(const StridedView& x, int axis, const StridedView& index,
                       const StridedView& out) = nullptr;
  // dst.index_select(axis, index) += src, accumulating repeated indices.
  void (*index_add)(const StridedView& dst, int axis, const StridedView& index,
                    const StridedView& src) = nullptr;
  // out[i][j][k] = x[...index[i][j][k] at `axis`...]; index has out's shape.
  void (*gather)(const StridedView& x, int axis, const StridedView& index,
                 const StridedView& out) = nullptr;
  // The adjoint of gather: dst[...index[i][j][k] at `axis`...] += src[i][j][k].
  void (*scatter_add)(const StridedView& dst, int axis, const StridedView& index,
                      const StridedView& src) = nullptr;

  // Softmax along `axis`, x and y of one shape and floating dtype: y = exp(x - logsumexp(x)), or
  // with `log` y = x - logsumexp(x). One kernel instead of the six a composite needs (max, sub,
  // exp, sum, log, sub), and the max shift keeps exp from overflowing.
  void (*softmax)(const StridedView& x, int axis, bool log, const StridedView& y) = nullptr;
  // Its backward from the output y and the output's grad dy, all of one shape:
  //   softmax      dx = y (dy - sum(dy y))
  //   log_softmax  dx = dy - exp(y) sum(dy)
  void (*softmax_backward)(const StridedView& y, const StridedView& dy, int axis, bool log,
                           const StridedView& dx) = nullptr;
  // Cross entropy of logits (n, c) and int64 targets (n,), per sample
  //   l[i] = logsumexp(logits[i]) - logits[i][target[i]]
  // written to `loss` (n,), or, when `loss` is 0-d, reduced in the same kernel:
  //   loss = scale * sum_i l[i]   (scale 1/n: the mean; 1: the sum)
  // summing in an order fixed by n alone. A target outside [0, c) is an error, reported as the
  // index kernels report theirs.
  void (*cross_entropy)(const StridedView& logits, const StridedView& target, double scale,
                        const StridedView& loss) = nullptr;
  // dlogits[i] = softmax(logits[i]) g - one_hot(target[i]) g, g = grad[i] scale (in that order, as
  // PyTorch: an infinite g gives NaN at the target); grad (n,) may have
  // stride 0 (a reduced loss hands down one value for every sample).
  void (*cross_entropy_backward)(const StridedView& logits, const StridedView& target,
                                 const StridedView& grad, double scale,
                                 const StridedView& dlogits) = nullptr;
};

// Registers (or replaces) the table for a device type; the table must outlive every tensor.
void register_kernels(DeviceType type, const KernelTable* table) noexcept;
// The table for a device; throws kindling::error when no module registered one.
const KernelTable& kernels_for(Device device);
bool has_kernels(DeviceType type) noexcept;

// The level the CPU kernels' SIMD loops chose at run time ("avx512", "avx2", "baseline"; Note
// [isa levels] in cpu_features.hpp). KINDLING_ISA=avx2 (or baseline) caps it, so tests cover each.
const char* cpu_simd_arch() noexcept;

}  // namespace kindling::kernels
