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

/// What a kernel sees of a tensor operand: a pointer, a dtype, a shape and strides in elements.
///
/// Only the first `ndim` entries of `shape` and `strides` are meaningful (at most kMaxDims). A
/// stride of 0 repeats one element along a broadcast dimension; outputs are views too, so a
/// kernel may write into a slice of a larger tensor.
struct StridedView {
  void* data = nullptr;          ///< The element at index (0, ..., 0): storage plus offset.
  DType dtype = DType::float32;  ///< The dtype of the elements `data` points to.
  int ndim = 0;                  ///< The number of dimensions; 0 for a scalar (one element).
  std::array<std::int64_t, kMaxDims> shape{};    ///< The sizes of the first `ndim` dimensions.
  std::array<std::int64_t, kMaxDims> strides{};  ///< Strides in elements, 0 where broadcast.
  /// The number of elements: the product of the sizes, 1 for a 0-d view, 0 if any size is 0.
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

// The tables are expanded outside the braces of each declaration: Doxygen's preprocessor skips a
// #define that sits inside one, and would document the rows as variables.
#define KINDLING_X(name, ...) name,
/// The elementwise map a KernelTable::unary call computes, y = f(x).
///
/// One value per row of KINDLING_TENSOR_UNARY (op_list.hpp: neg, exp, log, ..., log10), then
/// gelu_grad (gelu's local derivative), then for each UNARY_PARAM row `name` and `name_grad`
/// (leaky_relu, leaky_relu_grad, elu, elu_grad, softplus, softplus_grad), which read the call's
/// UnaryArgs. Each computes its scalar formula `formula::name` (formulas.hpp).
enum class UnaryKernel : std::uint8_t {
  KINDLING_UNARY_KERNELS(KINDLING_X) KINDLING_TENSOR_UNARY_PARAM(KINDLING_X_PARAM_KERNEL_NAMES_)
};
#undef KINDLING_X

#define KINDLING_X(name, dtypes, ...) \
  case UnaryKernel::name:             \
    return DTypeRule::dtypes == DTypeRule::numeric;
/// Whether a unary kernel takes int64 operands: true for the `numeric` rows of
/// KINDLING_TENSOR_UNARY (neg, abs, relu, sign, floor, round), false for the floating-only ones.
constexpr bool accepts_integers(UnaryKernel op) noexcept {
  switch (op) {
    KINDLING_UNARY_KERNELS(KINDLING_X)
    KINDLING_TENSOR_UNARY_PARAM(KINDLING_X_PARAM_KERNEL_CASES_)
    return false;
  }
  return false;
}
#undef KINDLING_X

// The rows of BinaryKernel (documented below): the binary ops, the comparisons, relu_grad.
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

/// The map a KernelTable::binary call computes, z = f(x, y), over operands of one shape
/// (broadcast dimensions have stride 0).
///
/// One value per row of KINDLING_TENSOR_BINARY (add, sub, mul, div, pow, maximum, minimum), the
/// comparisons (eq, ne, lt, le, gt, ge), relu_grad, then the backward kernels. Comparisons write
/// bool (or, when `out` has the operands' dtype, 1 or 0 in it). On int64, add, sub, mul and pow
/// wrap around and div is defined for every divisor (element.hpp); on bool, add is `or`, mul
/// `and`. relu_grad is relu's backward in one pass: 0 where y <= 0, else x (the grad x masked by
/// the input y; 0 even where x is NaN, and x where y is NaN, as PyTorch's threshold_backward).
/// `name_backward` (x = g, y = a) is the backward of a `pointwise` unary row (silu_backward, ...,
/// log10_backward), floating only: `formula::name::backward(g, a)`. Every kernel's special
/// values: Note [special values] (special_values.hpp).
enum class BinaryKernel : std::uint8_t {
  KINDLING_BINARY_KERNELS(KINDLING_X_NAME_) KINDLING_TENSOR_UNARY(KINDLING_X_POINTWISE_BACKWARD_)
};

/// Whether `op` is one of the comparisons eq, ne, lt, le, gt, ge.
constexpr bool is_comparison(BinaryKernel op) noexcept {
  return op == BinaryKernel::eq || op == BinaryKernel::ne || op == BinaryKernel::lt ||
         op == BinaryKernel::le || op == BinaryKernel::gt || op == BinaryKernel::ge;
}

/// The reduction a KernelTable::reduce call computes, over the dimensions where the output has
/// size 1 and the input does not (the output is given in keepdim form).
///
/// argmax/argmin reduce one dimension and write int64 indices. A NaN makes max and min NaN, and
/// argmax/argmin give the first NaN's index. int64 sums wrap around; on bool, max is `any` and min
/// is `all`.
enum class ReduceKernel : std::uint8_t {
  sum,     ///< The sum of the reduced elements.
  max,     ///< The largest reduced element (NaN if there is one).
  min,     ///< The smallest reduced element (NaN if there is one).
  argmax,  ///< The index of the largest element along the one reduced dimension, as int64.
  argmin   ///< The index of the smallest element along the one reduced dimension, as int64.
};

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

/// The hyperparameters of one KernelTable::sgd_step, torch.optim.SGD's (Note [fused optimizer
/// steps]).
///
/// d = grad + weight_decay * param; with momentum, buf = d on the first step and
/// momentum * buf + (1 - dampening) * d after, and d = nesterov ? d + momentum * buf : buf; then
/// param -= lr * d (optim_formula::sgd_element).
struct SgdHyper {
  double lr,         ///< The learning rate.
      momentum,      ///< The momentum factor; 0 for plain SGD (the buffer is then unused).
      dampening,     ///< Dampening of the momentum: buf = momentum * buf + (1 - dampening) * d.
      weight_decay;  ///< The L2 penalty: weight_decay * param is added to the gradient.
  bool nesterov;     ///< Nesterov momentum: step along d + momentum * buf instead of buf.
  /// Whether this is the first step: the momentum buffer starts as d (the gradient with its
  /// weight decay), as in PyTorch, instead of being read.
  bool first_step;
};

/// The hyperparameters of one KernelTable::adam_step or adam_multi_step, torch.optim.Adam's and
/// AdamW's (Note [fused optimizer steps]; the update is optim_formula::adam_element).
struct AdamHyper {
  double lr,          ///< The learning rate.
      beta1,          ///< The decay of exp_avg, the running mean of the gradient.
      beta2,          ///< The decay of exp_avg_sq, the running mean of its square.
      eps,            ///< Added to the bias-corrected sqrt(exp_avg_sq), for numerical stability.
      weight_decay;   ///< The weight decay: L2 (Adam) or decoupled (AdamW), as `decoupled` says.
  std::int64_t step;  ///< The step count t, 1 on the first update (for the bias corrections).
  bool decoupled;     ///< AdamW: p *= 1 - lr * wd instead of adding wd * p to the gradient.
};

/// The hyperparameters of one KernelTable::rmsprop_step, torch.optim.RMSprop's (Note [fused
/// optimizer steps]; the update is optim_formula::rmsprop_element).
struct RmspropHyper {
  double lr,         ///< The learning rate.
      alpha,         ///< The smoothing constant of square_avg, the running mean of grad^2.
      eps,           ///< Added to the root of the mean square, for numerical stability.
      weight_decay,  ///< The L2 penalty: weight_decay * param is added to the gradient.
      momentum;      ///< The momentum factor; 0 for none (the buffer is then unused).
  /// Centered RMSprop: divide by the root of the variance, square_avg - grad_avg^2, instead of
  /// the mean square (grad_avg is unused otherwise).
  bool centered;
};

/// The window geometry of im2col, col2im and max_pool2d (Note [convolution] in
/// tensor/src/ops_conv.cpp).
///
/// An (in_h, in_w) image read in (kernel_h, kernel_w) windows with the given stride, padding and
/// dilation, an (out_h, out_w) grid of windows. Window (oh, ow) reads row
/// oh * stride_h - pad_h + i * dilation_h for i in [0, kernel_h), and the same across.
struct ConvGeometry {
  std::int64_t in_h = 0,        ///< The height of the input image.
      in_w = 0;                 ///< The width of the input image.
  std::int64_t kernel_h = 1,    ///< The height of a window.
      kernel_w = 1;             ///< The width of a window.
  std::int64_t stride_h = 1,    ///< The step between windows, down.
      stride_w = 1;             ///< The step between windows, across.
  std::int64_t pad_h = 0,       ///< The zero rows added above and below the image.
      pad_w = 0;                ///< The zero columns added left and right of the image.
  std::int64_t dilation_h = 1,  ///< The step between the rows a window reads.
      dilation_w = 1;           ///< The step between the columns a window reads.
  std::int64_t out_h = 0,       ///< The number of window rows.
      out_w = 0;                ///< The number of window columns.
};

/// The four tensors of one parameter's Adam step (an element of KernelTable::adam_multi_step's
/// array).
struct AdamTensors {
  StridedView param,  ///< The parameter, updated in place.
      grad,           ///< Its gradient.
      exp_avg,        ///< The running mean of the gradient, updated in place.
      exp_avg_sq;     ///< The running mean of the squared gradient, updated in place.
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
// What each entry does: the documentation of its KernelTable member, after the struct.
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

/// What a kernel-table entry does (the table's kind column).
enum class KernelKind : std::uint8_t {
  memory,  ///< Allocation, copies or the device switch: not a kernel launch.
  launch   ///< A kernel launch (on the CPU, a loop over the elements).
};

// The table is expanded outside the braces of each declaration (see UnaryKernel).
#define KINDLING_X(name, kind, ret, params) name,
/// One value per KernelTable entry, in table order (the rows of KINDLING_KERNEL_TABLE): the
/// argument of supports(), kernel_name() and kernel_kind().
enum class Kernel : std::uint8_t { KINDLING_KERNEL_TABLE(KINDLING_X) };
#undef KINDLING_X

#define KINDLING_X(name, kind, ret, params) +1
/// How many entries a KernelTable has: the rows of KINDLING_KERNEL_TABLE.
inline constexpr std::size_t kKernelCount = 0 KINDLING_KERNEL_TABLE(KINDLING_X);
#undef KINDLING_X

#define KINDLING_X(name, kind, ret, params) #name,
/// Each entry's name ("allocate", ..., "rmsprop_step"), indexed by Kernel.
inline constexpr std::array<std::string_view, kKernelCount> kKernelNames{
    KINDLING_KERNEL_TABLE(KINDLING_X)};
#undef KINDLING_X

#define KINDLING_X(name, kind, ret, params) KernelKind::kind,
/// Each entry's KernelKind, indexed by Kernel.
inline constexpr std::array<KernelKind, kKernelCount> kKernelKinds{
    KINDLING_KERNEL_TABLE(KINDLING_X)};
#undef KINDLING_X

/// The entry's name: "softmax" for Kernel::softmax (what the missing-kernel error says).
constexpr std::string_view kernel_name(Kernel kernel) noexcept {
  return kKernelNames[static_cast<std::size_t>(kernel)];
}
/// The entry's kind: KernelKind::memory for Kernel::allocate, launch for Kernel::softmax.
constexpr KernelKind kernel_kind(Kernel kernel) noexcept {
  return kKernelKinds[static_cast<std::size_t>(kernel)];
}

#define KINDLING_X(name, kind, ret, params) ret(*name) params = nullptr;
/// A device's kernels: one function pointer per row of KINDLING_KERNEL_TABLE (Note [kernel
/// table]).
///
/// A device leaves null the entries it lacks; the registry's copy (register_kernels()) has a
/// thunk there instead, which throws kindling::error ("cuda has no kernel for softmax"), and
/// supports() tells beforehand.
struct KernelTable {
  KINDLING_KERNEL_TABLE(KINDLING_X)
};
#undef KINDLING_X

// The entries' documentation: they are generated from the table, so it cannot sit at each one.

/// @var KernelTable::allocate
/// Storage of `bytes` bytes on `device` (a CUDA index selects the GPU); `bytes` may be 0.
/// Aligned to 64 bytes, except that the CPU serves a request of at most 256 bytes from a slab,
/// aligned to min(its size class, 64) (Note [small blocks] in caching_allocator.hpp). Throws
/// kindling::error for an index past the devices there are, and when the device is out of memory
/// even after its cache was released.
/// @var KernelTable::deallocate
/// Gives back a block allocate() returned for the same `device` and `bytes`.
/// @var KernelTable::copy_from_host
/// Copies `bytes` contiguous bytes from the host to `device` (for the CPU, plain memcpy).
/// @var KernelTable::copy_to_host
/// Copies `bytes` contiguous bytes from `device` to the host.
/// @var KernelTable::copy_peer
/// Copies `bytes` contiguous bytes between two devices of this table's type (cuda:0 to cuda:1
/// directly, not through the host), ordered after the work queued on both.
/// @var KernelTable::make_current
/// Makes `device` the one the launches that follow run on (the CUDA current device; nothing on
/// the CPU). Every op calls it through kernels_on().
/// @var KernelTable::copy
/// dst = src elementwise, shapes equal, converting dtypes as element::convert does: NaN and
/// out-of-range floats become INT64_MIN in int64, nonzero becomes true in bool.
/// @var KernelTable::fill
/// Sets every element of dst to `value`, converted to dst's dtype as copy converts it.
/// @var KernelTable::unary
/// y = op(x) elementwise (UnaryKernel), x and y of one shape; `args` are the parameters of a
/// UNARY_PARAM kernel, which the other kernels ignore.
/// @var KernelTable::binary
/// out = op(a, b) elementwise (BinaryKernel): a, b and out share a shape; a and b share a dtype,
/// and out has it too (a comparison writes bool, or 1 and 0 in the operands' dtype).
/// @var KernelTable::where
/// out = cond != 0 ? a : b elementwise; cond may have any dtype (the ops pass bool).
/// @var KernelTable::reduce
/// Reduces x into out over the dimensions where out has size 1 and x does not (ReduceKernel).
/// @var KernelTable::matmul
/// out (..., m, n) = a (..., m, k) x b (..., k, n); the batch dimensions are equal (broadcast
/// ones have stride 0).
/// @var KernelTable::index_select
/// out = x.index_select(axis, index); index is 1-D int64. An index outside the dimension is a
/// kindling::error (on CUDA raised at a later synchronisation: Note [deferred index errors] in
/// gpu/src/kernels/common.cuh), as for every index kernel.
/// @var KernelTable::index_add
/// dst.index_select(axis, index) += src, accumulating repeated indices.
/// @var KernelTable::gather
/// out[i][j][k] = x[...index[i][j][k] at `axis`...]; index has out's shape.
/// @var KernelTable::scatter_add
/// The adjoint of gather: dst[...index[i][j][k] at `axis`...] += src[i][j][k].
/// @var KernelTable::softmax
/// Softmax along `axis`, x and y of one shape and floating dtype: y = exp(x - logsumexp(x)), or
/// with `log` y = x - logsumexp(x). One kernel instead of the six a composite needs (max, sub,
/// exp, sum, log, sub), and the max shift keeps exp from overflowing.
/// @var KernelTable::softmax_backward
/// dx from softmax's output y and its grad dy, all of one shape: dx = y (dy - sum(dy y)) for
/// softmax, dx = dy - exp(y) sum(dy) for log_softmax (`log`), the sums along `axis`.
/// @var KernelTable::cross_entropy
/// Cross entropy of logits (n, c) and int64 targets (n,): per sample
/// l[i] = logsumexp(logits[i]) - logits[i][target[i]], written to `loss` (n,), or, when `loss`
/// is 0-d, reduced in the same kernel to loss = scale * sum_i l[i] (scale 1/n: the mean; 1: the
/// sum), summing in an order fixed by n alone. A target outside [0, c) is a kindling::error,
/// reported as the index kernels report theirs.
/// @var KernelTable::cross_entropy_backward
/// dlogits[i] = softmax(logits[i]) g - one_hot(target[i]) g, with g = grad[i] scale (in that
/// order, as PyTorch: an infinite g gives NaN at the target); grad (n,) may have stride 0 (a
/// reduced loss hands down one value for every sample).
/// @var KernelTable::im2col
/// x (n, c, in_h, in_w) to cols (n, c * kernel_h * kernel_w, out_h * out_w):
/// cols[b][(ch * kernel_h + i) * kernel_w + j][oh * out_w + ow] is the pixel window (oh, ow)
/// reads at (i, j), 0 where it falls in the padding. cols may have any strides (conv2d lays it
/// out for its products).
/// @var KernelTable::col2im
/// The adjoint of im2col: x = 0, then every cols entry added to the pixel it was read from
/// (entries in the padding are dropped).
/// @var KernelTable::max_pool2d
/// out (n, c, out_h, out_w) = the max of each window of x (padding never wins), and `indices`
/// (int64, out's shape) where it is, as row * in_w + column (torch's flat index into the plane).
/// NaN wins (the window's last NaN, as torch's); among equal values the first in row-major
/// order.
/// @var KernelTable::max_pool2d_backward
/// dx (n, c, in_h, in_w) += grad (n, c, out_h, out_w) added at `indices` (max_pool2d's):
/// max_pool2d's backward in one pass; dx is contiguous, and the caller zeroes it.
/// @var KernelTable::sgd_step
/// One SGD step of one parameter, in place (Note [fused optimizer steps], SgdHyper); buf is
/// unused (may be empty) when momentum == 0.
/// @var KernelTable::adam_step
/// One Adam or AdamW step of one parameter, in place (Note [fused optimizer steps], AdamHyper).
/// @var KernelTable::adam_multi_step
/// The Adam step of `count` parameters of one dtype on one device (the array `tensors`), which a
/// GPU does in one launch per 24 parameters instead of one per parameter (a small-batch step is
/// launch-bound).
/// @var KernelTable::rmsprop_step
/// One RMSprop step of one parameter, in place (Note [fused optimizer steps], RmspropHyper); buf
/// is unused when momentum == 0, grad_avg unless centered.

/// Registers (or replaces) the table for a device type.
///
/// The registry keeps its own copy, with every null entry replaced by a thunk that throws
/// kindling::error naming the device type and the kernel. Registering the entries already
/// registered does nothing (gpu::init() is idempotent); nullptr removes the device's table
/// (has_kernels() is false again; for the CPU, whose own table is built in, that table is used
/// again). The table itself may go away after the call; the functions it points to must outlive
/// every tensor.
void register_kernels(DeviceType type, const KernelTable* table) noexcept;
/// The table for a device (for the CPU, its built-in one unless another is registered).
/// @throws kindling::error when the device type has no table ("no kernels are registered for
///   device cuda:0 (is kindling built with CUDA and the gpu module linked?)").
const KernelTable& kernels_for(Device device);
/// kernels_for(device) with `device` made current (make_current; skipped for the CPU): what an op
/// calls before it launches, so that the kernels of a tensor on cuda:1 run on GPU 1.
/// @throws kindling::error as kernels_for().
const KernelTable& kernels_on(Device device);
/// Whether the device type has a table: always for the CPU (its own is built in), for CUDA once
/// the gpu module registered one.
bool has_kernels(DeviceType type) noexcept;
/// Whether the device's table has a real entry for `kernel` (as ggml's supports_op): false for an
/// entry it left null, and for every entry of a device type with no table.
bool supports(Device device, Kernel kernel) noexcept;

/// The level the CPU kernels' SIMD loops chose at run time: "avx512", "avx2" or "baseline" (Note
/// [isa levels] in cpu_features.hpp). KINDLING_ISA=avx2 (or baseline) caps it, so tests cover
/// each.
const char* cpu_simd_arch() noexcept;

}  // namespace kindling::kernels
