// The per-device kernel table (Note [kernel table]): memory, the forward primitives and the fused
// optimizer steps; the only place tensor ops touch memory.
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
#include <string_view>

#include "kindling/tensor/dtype.hpp"
#include "kindling/tensor/op_list.hpp"

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

// Elementwise maps y = f(x): one per row of KINDLING_TENSOR_UNARY (op_list.hpp), then the
// kernels that are no op of their own: gelu_grad (gelu's local derivative, which its backward
// cannot assemble from other primitives at the same cost). Each
// computes `formula::name::forward` (formulas.hpp). X(name, dtypes, ...).
#define KINDLING_UNARY_KERNEL_EXTRAS(X) X(gelu_grad, floating)
#define KINDLING_UNARY_KERNELS(X) KINDLING_TENSOR_UNARY(X) KINDLING_UNARY_KERNEL_EXTRAS(X)

// A UNARY_PARAM row has two kernels: `name` (its forward) and `name_grad` (its local
// derivative); both take the row's UnaryArgs (the other kernels ignore them), floating only.
#define KINDLING_X_PARAM_KERNEL_NAMES_(name, ...) name, name##_grad,
#define KINDLING_X_PARAM_KERNEL_CASES_(name, ...) \
  case UnaryKernel::name:                         \
  case UnaryKernel::name##_grad:

enum class UnaryKernel : std::uint8_t {
#define KINDLING_X(name, ...) name,
  KINDLING_UNARY_KERNELS(KINDLING_X)
#undef KINDLING_X
      KINDLING_TENSOR_UNARY_PARAM(KINDLING_X_PARAM_KERNEL_NAMES_)
};

// Whether a unary kernel takes int64 operands (the row's dtype rule).
constexpr bool accepts_integers(UnaryKernel op) noexcept {
  switch (op) {
#define KINDLING_X(name, dtypes, ...) \
  case UnaryKernel::name:             \
    return DTypeRule::dtypes == DTypeRule::numeric;
    KINDLING_UNARY_KERNELS(KINDLING_X)
#undef KINDLING_X
    KINDLING_TENSOR_UNARY_PARAM(KINDLING_X_PARAM_KERNEL_CASES_)
    return false;
  }
  return false;
}

// z = f(x, y) over operands of one shape (broadcast dims have stride 0): one per row of
// KINDLING_TENSOR_BINARY, the comparisons, then the backward kernels. Comparisons write bool
// (or, when `out` has the operands' dtype, 1 or 0 in it). On int64, add, sub, mul and pow wrap
// around and div is defined for every divisor (element.hpp); on bool, add is `or`, mul `and`.
// relu_grad is relu's backward in one pass: 0 where y <= 0, else x (the grad x masked by the
// input y; 0 even where x is NaN, and x where y is NaN, as PyTorch's threshold_backward).
// `name_backward` (x = g, y = a) is the backward of a `pointwise` unary row, floating only:
// `formula::name::backward(g, a)`. Every kernel's special values: Note [special values].
#define KINDLING_COMPARISON_KERNELS(X) \
  X(eq)                                \
  X(ne)                                \
  X(lt)                                \
  X(le)                                \
  X(gt)                                \
  X(ge)
#define KINDLING_X_POINTWISE_BACKWARD_(name, dtypes, bwd, ...) \
  KINDLING_IF_POINTWISE_##bwd(name##_backward, )
#define KINDLING_X_NAME_(name, ...) name,
#define KINDLING_BINARY_KERNELS(X) \
  KINDLING_TENSOR_BINARY(X) KINDLING_COMPARISON_KERNELS(X) X(relu_grad)

enum class BinaryKernel : std::uint8_t {
  KINDLING_BINARY_KERNELS(KINDLING_X_NAME_) KINDLING_TENSOR_UNARY(KINDLING_X_POINTWISE_BACKWARD_)
};

constexpr bool is_comparison(BinaryKernel op) noexcept {
  return op == BinaryKernel::eq || op == BinaryKernel::ne || op == BinaryKernel::lt ||
         op == BinaryKernel::le || op == BinaryKernel::gt || op == BinaryKernel::ge;
}

// Reductions over the dimensions where the output has size 1 and the input does not (the output
// is given in keepdim form). argmax/argmin reduce one dimension and write int64 indices. int64 sums
// wrap around; on bool, max is `any` and min is `all`.
enum class ReduceKernel : std::uint8_t { sum, max, min, argmax, argmin };

// Note [fused optimizer steps]
// An optimizer step is one pass over each parameter that reads the gradient and the state and
// writes the parameter and the state in place. Written with tensor ops it would make several
// temporaries per parameter per step; as one loop it is memory-bound and a fraction of the time.
// The steps are kernel-table entries (sgd_step, adam_step, adam_multi_step, rmsprop_step) whose
// element arithmetic is written once for host and device (kindling/tensor/optim_formulas.hpp).
// nn's optimizers call them when the device supports() the entry and the tensors are contiguous,
// and otherwise take the same update written with tensor ops (nn/src/optim.cpp), which runs on any
// device and is the reference the fused loops are tested against. All views of one step are
// contiguous, of one dtype (float32 or float64) and of one shape.
struct SgdHyper {
  double lr, momentum, dampening, weight_decay;
  bool nesterov;
  bool first_step;  // the momentum buffer starts as the gradient, as in PyTorch
};

struct AdamHyper {
  double lr, beta1, beta2, eps, weight_decay;
  std::int64_t step;  // 1 on the first update (for the bias corrections)
  bool decoupled;     // AdamW: p *= 1 - lr * wd instead of adding wd * p to the gradient
};

struct RmspropHyper {
  double lr, alpha, eps, weight_decay, momentum;
  bool centered;
};

// The window geometry of im2col, col2im and max_pool2d (Note [convolution] in
// tensor/src/ops_conv.cpp): an (in_h, in_w) image read in (kernel_h, kernel_w) windows with the
// given stride, padding and dilation, an (out_h, out_w) grid of windows. Window (oh, ow) reads
// row oh * stride_h - pad_h + i * dilation_h for i in [0, kernel_h), and the same across.
struct ConvGeometry {
  std::int64_t in_h = 0, in_w = 0;
  std::int64_t kernel_h = 1, kernel_w = 1;
  std::int64_t stride_h = 1, stride_w = 1;
  std::int64_t pad_h = 0, pad_w = 0;
  std::int64_t dilation_h = 1, dilation_w = 1;
  std::int64_t out_h = 0, out_w = 0;
};

// The four tensors of one parameter's Adam step.
struct AdamTensors {
  StridedView param, grad, exp_avg, exp_avg_sq;
};

// Note [kernel table]
// The entries of a device's KernelTable, as one list. Each row is
//   X(name, kind, return type, (parameters))
// kind: memory (allocation, copies, the device switch: not kernel launches) or launch. The list
// generates the KernelTable struct, `enum class Kernel` with kernel_name(), the declarations of
// the CPU entries (tensor/src/cpu/cpu.hpp) and of the CUDA launchers (gpu/src/kernels/
// launchers.hpp), both registrations (tensor/src/cpu/register.cpp, gpu/src/register.cpp) and the
// counting stand-in device of tests/nn/test_fake_device.cpp. A device that lacks an entry leaves
// it null; register_kernels() fills the hole with a thunk that throws "cuda has no kernel for
// softmax", and supports() tells beforehand, so no call ever goes through a null pointer.
//
// What each entry does:
//   allocate        storage on `device` (a CUDA index selects the GPU), aligned to 64 bytes;
//                   bytes may be 0. An index past the devices there are is a kindling::error.
//   deallocate      gives back a block allocate() returned for the same device and bytes.
//   copy_from_host  host -> `device` copy of contiguous bytes (for the CPU, plain memcpy);
//   copy_to_host    `device` -> host.
//   copy_peer       between two devices of this table's type (cuda:0 -> cuda:1 directly, not
//                   through the host), ordered after the work queued on both.
//   make_current    makes `device` the one the launches that follow run on (the CUDA current
//                   device; nothing on the CPU). Every op calls it through kernels_on().
//   copy            dst = src elementwise, converting dtypes as element::convert does (element.hpp:
//                   NaN and out-of-range floats become INT64_MIN in int64, nonzero becomes true in
//                   bool); shapes equal.
//   fill            dst = value converted to dst's dtype as copy converts it.
//   unary           y = op(x).
//   binary          a, b and out share shape; a and b share dtype, and out has it too (bool for
//                   comparisons).
//   where           out = cond != 0 ? a : b; cond may have any dtype (the ops pass bool).
//   reduce          Reductions over the dimensions where out has size 1 (see ReduceKernel).
//   matmul          out (..., m, n) = a (..., m, k) x b (..., k, n); batch dims equal (broadcast
//                   ones stride 0).
//   index_select    out = x.index_select(axis, index); index is 1-D int64.
//   index_add       dst.index_select(axis, index) += src, accumulating repeated indices.
//   gather          out[i][j][k] = x[...index[i][j][k] at `axis`...]; index has out's shape.
//   scatter_add     the adjoint of gather: dst[...index[i][j][k] at `axis`...] += src[i][j][k].
//   softmax         along `axis`, x and y of one shape and floating dtype: y = exp(x -
//                   logsumexp(x)), or with `log` y = x - logsumexp(x). One kernel instead of the
//                   six a composite needs (max, sub, exp, sum, log, sub), and the max shift keeps
//                   exp from overflowing.
//   softmax_backward  from the output y and its grad dy, all of one shape:
//                     softmax      dx = y (dy - sum(dy y))
//                     log_softmax  dx = dy - exp(y) sum(dy)
//   cross_entropy   of logits (n, c) and int64 targets (n,), per sample
//                     l[i] = logsumexp(logits[i]) - logits[i][target[i]]
//                   written to `loss` (n,), or, when `loss` is 0-d, reduced in the same kernel:
//                     loss = scale * sum_i l[i]   (scale 1/n: the mean; 1: the sum)
//                   summing in an order fixed by n alone. A target outside [0, c) is an error,
//                   reported as the index kernels report theirs.
//   cross_entropy_backward  dlogits[i] = softmax(logits[i]) g - one_hot(target[i]) g, g =
//                   grad[i] scale (in that order, as PyTorch: an infinite g gives NaN at the
//                   target); grad (n,) may have stride 0 (a reduced loss hands down one value for
//                   every sample).
//   im2col          x (n, c, in_h, in_w) -> cols (n, c * kernel_h * kernel_w, out_h * out_w):
//                   cols[b][(ch * kernel_h + i) * kernel_w + j][oh * out_w + ow] is the pixel
//                   window (oh, ow) reads at (i, j), 0 where it falls in the padding. cols may
//                   have any strides (conv2d lays it out for its products).
//   col2im          the adjoint of im2col: x = 0, then every cols entry added to the pixel it
//                   was read from (entries in the padding are dropped).
//   max_pool2d      out (n, c, out_h, out_w) = the max of each window of x (padding never
//                   wins), `indices` (int64, out's shape) where it is, as row * in_w + column
//                   (torch's flat index into the plane). NaN wins (the window's last NaN, as
//                   torch's); among equal values the first in row-major order.
//   max_pool2d_backward  dx (n, c, in_h, in_w) += grad (n, c, out_h, out_w) added at `indices`
//                   (max_pool2d's): max_pool2d's backward in one pass; dx is contiguous, and
//                   the caller zeroes it.
//   sgd_step, adam_step, rmsprop_step  one optimizer step of one parameter, in place (Note [fused
//                   optimizer steps]). sgd's buf is unused (may be empty) when momentum == 0;
//                   rmsprop's buf when momentum == 0, grad_avg unless centered.
//   adam_multi_step the Adam step of `count` parameters of one dtype on one device, which a GPU
//                   does in one launch per 24 parameters instead of one per parameter (a
//                   small-batch step is launch-bound).
#define KINDLING_KERNEL_TABLE(X)                                                                   \
  X(allocate, memory, void*, (Device device, std::size_t bytes))                                   \
  X(deallocate, memory, void, (Device device, void* data, std::size_t bytes))                      \
  X(copy_from_host, memory, void, (Device device, void* dst, const void* src, std::size_t bytes))  \
  X(copy_to_host, memory, void, (Device device, void* dst, const void* src, std::size_t bytes))    \
  X(copy_peer, memory, void,                                                                       \
    (Device dst_device, void* dst, Device src_device, const void* src, std::size_t bytes))         \
  X(make_current, memory, void, (Device device))                                                   \
  X(copy, launch, void, (const StridedView& src, const StridedView& dst))                          \
  X(fill, launch, void, (const StridedView& dst, double value))                                    \
  X(unary, launch, void,                                                                           \
    (UnaryKernel op, const StridedView& x, const StridedView& y, const UnaryArgs& args))           \
  X(binary, launch, void,                                                                          \
    (BinaryKernel op, const StridedView& a, const StridedView& b, const StridedView& out))         \
  X(where, launch, void,                                                                           \
    (const StridedView& cond, const StridedView& a, const StridedView& b, const StridedView& out)) \
  X(reduce, launch, void, (ReduceKernel op, const StridedView& x, const StridedView& out))         \
  X(matmul, launch, void, (const StridedView& a, const StridedView& b, const StridedView& out))    \
  X(index_select, launch, void,                                                                    \
    (const StridedView& x, int axis, const StridedView& index, const StridedView& out))            \
  X(index_add, launch, void,                                                                       \
    (const StridedView& dst, int axis, const StridedView& index, const StridedView& src))          \
  X(gather, launch, void,                                                                          \
    (const StridedView& x, int axis, const StridedView& index, const StridedView& out))            \
  X(scatter_add, launch, void,                                                                     \
    (const StridedView& dst, int axis, const StridedView& index, const StridedView& src))          \
  X(softmax, launch, void, (const StridedView& x, int axis, bool log, const StridedView& y))       \
  X(softmax_backward, launch, void,                                                                \
    (const StridedView& y, const StridedView& dy, int axis, bool log, const StridedView& dx))      \
  X(cross_entropy, launch, void,                                                                   \
    (const StridedView& logits, const StridedView& target, double scale, const StridedView& loss)) \
  X(cross_entropy_backward, launch, void,                                                          \
    (const StridedView& logits, const StridedView& target, const StridedView& grad, double scale,  \
     const StridedView& dlogits))                                                                  \
  X(im2col, launch, void, (const StridedView& x, const ConvGeometry& g, const StridedView& cols))  \
  X(col2im, launch, void, (const StridedView& cols, const ConvGeometry& g, const StridedView& x))  \
  X(max_pool2d, launch, void,                                                                      \
    (const StridedView& x, const ConvGeometry& g, const StridedView& out,                          \
     const StridedView& indices))                                                                  \
  X(max_pool2d_backward, launch, void,                                                             \
    (const StridedView& grad, const StridedView& indices, const StridedView& dx))                  \
  X(sgd_step, launch, void,                                                                        \
    (const StridedView& param, const StridedView& grad, const StridedView& buf,                    \
     const SgdHyper& h))                                                                           \
  X(adam_step, launch, void,                                                                       \
    (const StridedView& param, const StridedView& grad, const StridedView& exp_avg,                \
     const StridedView& exp_avg_sq, const AdamHyper& h))                                           \
  X(adam_multi_step, launch, void,                                                                 \
    (const AdamTensors* tensors, std::size_t count, const AdamHyper& h))                           \
  X(rmsprop_step, launch, void,                                                                    \
    (const StridedView& param, const StridedView& grad, const StridedView& square_avg,             \
     const StridedView& buf, const StridedView& grad_avg, const RmspropHyper& h))

enum class KernelKind : std::uint8_t { memory, launch };

// One value per entry, in table order.
enum class Kernel : std::uint8_t {
#define KINDLING_X(name, kind, ret, params) name,
  KINDLING_KERNEL_TABLE(KINDLING_X)
#undef KINDLING_X
};

inline constexpr std::size_t kKernelCount = 0
#define KINDLING_X(name, kind, ret, params) +1
    KINDLING_KERNEL_TABLE(KINDLING_X)
#undef KINDLING_X
    ;

inline constexpr std::array<std::string_view, kKernelCount> kKernelNames{
#define KINDLING_X(name, kind, ret, params) #name,
    KINDLING_KERNEL_TABLE(KINDLING_X)
#undef KINDLING_X
};

inline constexpr std::array<KernelKind, kKernelCount> kKernelKinds{
#define KINDLING_X(name, kind, ret, params) KernelKind::kind,
    KINDLING_KERNEL_TABLE(KINDLING_X)
#undef KINDLING_X
};

constexpr std::string_view kernel_name(Kernel kernel) noexcept {
  return kKernelNames[static_cast<std::size_t>(kernel)];
}
constexpr KernelKind kernel_kind(Kernel kernel) noexcept {
  return kKernelKinds[static_cast<std::size_t>(kernel)];
}

// A device's entries; null for one the device lacks (filled by register_kernels, see above).
struct KernelTable {
#define KINDLING_X(name, kind, ret, params) ret(*name) params = nullptr;
  KINDLING_KERNEL_TABLE(KINDLING_X)
#undef KINDLING_X
};

// Registers (or replaces) the table for a device type: the registry keeps its own copy, with
// every null entry replaced by a thunk that throws kindling::error naming the device type and the
// kernel. Registering the entries already registered does nothing (gpu::init() is idempotent);
// nullptr removes the device's table (has_kernels() is false again). The table itself may go away
// after the call; the functions it points to must outlive every tensor.
void register_kernels(DeviceType type, const KernelTable* table) noexcept;
// The table for a device; throws kindling::error when no module registered one.
const KernelTable& kernels_for(Device device);
// kernels_for(device) with `device` made current (make_current): what an op calls before it
// launches, so that the kernels of a tensor on cuda:1 run on GPU 1.
const KernelTable& kernels_on(Device device);
bool has_kernels(DeviceType type) noexcept;
// Whether the device's table has a real entry for `kernel` (as ggml's supports_op): false for an
// entry it left null, and for every entry of a device type with no table.
bool supports(Device device, Kernel kernel) noexcept;

// The level the CPU kernels' SIMD loops chose at run time ("avx512", "avx2", "baseline"; Note
// [isa levels] in cpu_features.hpp). KINDLING_ISA=avx2 (or baseline) caps it, so tests cover each.
const char* cpu_simd_arch() noexcept;

}  // namespace kindling::kernels
