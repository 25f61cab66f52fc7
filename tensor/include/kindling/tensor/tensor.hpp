// Tensor: a strided view over shared storage, and a handle to a node of the one autograd graph.
//
//   kindling::Tensor w = kindling::randn({3, 2}, gen).set_requires_grad();
//   kindling::Tensor loss = kindling::sum(kindling::relu(kindling::matmul(x, w)));
//   loss.backward();  // w.grad() has shape (3, 2)
//
// A Tensor is a cheap handle (one pointer) to a TensorNode; copies share the node. TensorNode
// derives engine::NodeBase, so backward() runs engine::begin_backward and engine::reverse_sweep,
// the same walk Value uses (Note [one backward pass] in engine/graph.hpp).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "kindling/engine/graph.hpp"
#include "kindling/engine/scope.hpp"
#include "kindling/tensor/dtype.hpp"
#include "kindling/tensor/inline_vector.hpp"
#include "kindling/tensor/kernels.hpp"
#include "kindling/tensor/op_list.hpp"

namespace kindling {

class Tensor;
struct ValuesIndices;  // sort and topk's result (ops.hpp)
namespace detail {
struct NodeAccess;  // the nodes' one door for tensor/src (defined in tensor/src/internal.hpp)
struct TensorHooks;
}  // namespace detail

// Note [tensor hooks] (tensor/src/tensor.cpp) says when each kind runs.

/// A gradient hook (Tensor::register_hook): it sees the gradient reaching its tensor in a
/// backward pass; a defined return value replaces that gradient (same shape, dtype and device),
/// an undefined one keeps it. torch.Tensor.register_hook's callable.
using GradHook = std::function<Tensor(const Tensor& grad)>;
/// A post-accumulate-grad hook (Tensor::register_post_accumulate_grad_hook): it runs on a leaf
/// after a backward pass has added to its grad, with the leaf itself (its grad() is the
/// accumulated gradient).
using PostAccumulateGradHook = std::function<void(const Tensor& leaf)>;

/// What register_hook and register_post_accumulate_grad_hook return, as torch's
/// RemovableHandle. It does not keep the tensor alive.
/// @code
/// using kindling::Tensor;
/// const kindling::HookHandle h = y.register_hook([](const Tensor& g) { return g * 2.0; });
/// loss.backward();  // the gradient reaching y is doubled before it flows on
/// h.remove();
/// @endcode
class HookHandle {
 public:
  /// A handle to no hook; remove() does nothing.
  HookHandle() noexcept = default;
  /// Takes the hook off again (a no-op once done, or once the tensor is gone).
  void remove() const;

 private:
  friend struct detail::NodeAccess;
  std::weak_ptr<detail::TensorHooks> hooks_;
  std::uint64_t id_ = 0;
};

/// A block of device memory shared by a tensor and its views (torch's UntypedStorage); freed by
/// the last of them. Code outside tensor/ meets it only through Tensor (shares_storage(),
/// version()).
class Storage {
 public:
  /// `bytes` uninitialised bytes from the allocate entry of `device`'s kernel table.
  /// @throws kindling::error when no kernels are registered for the device, or it has no memory.
  Storage(std::size_t bytes, Device device);
  /// Adopts memory that kindling does not own (zero-copy from NumPy, say): `release` runs when the
  /// last tensor using it is gone, in place of the device's deallocate.
  Storage(void* data, std::size_t bytes, Device device, std::function<void()> release);
  /// Gives the memory back: runs `release` for adopted memory, else the device's deallocate.
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  /// The start of the block (device memory off the CPU).
  void* data() const noexcept { return data_; }
  /// The block's size in bytes.
  std::size_t bytes() const noexcept { return bytes_; }
  /// Where the memory is.
  Device device() const noexcept { return device_; }
  /// How many in-place writes this memory has seen (Note [version counters]).
  std::uint64_t version() const noexcept { return version_.load(std::memory_order_relaxed); }
  /// Counts one in-place write (Tensor::bump_version).
  void bump_version() noexcept { version_.fetch_add(1, std::memory_order_relaxed); }

 private:
  void* data_;
  std::size_t bytes_;
  Device device_;
  // Set only for adopted memory; a pointer, as few storages have one (a std::function member
  // would add 32 bytes to every small tensor's storage).
  std::unique_ptr<std::function<void()>> release_;
  std::atomic<std::uint64_t> version_{0};
  friend struct detail::NodeAccess;  // move_to_device carries the version on
};

// Note [typed op parameters]
// The non-tensor arguments an op's backward needs, one struct per kind. Which op records which is
// one list, KINDLING_OP_PARAMS in tensor/src/internal.hpp, and record<op>() checks it at compile
// time; an op not on the list records none (std::monostate).

/// The recorded parameter of index_select, gather, scatter_add, concat, softmax and log_softmax
/// (Note [typed op parameters]).
struct AxisParams {
  std::int64_t axis = 0;  ///< The normalised axis (0 .. dim - 1).
};
/// permute's recorded parameter (Note [typed op parameters]).
struct PermuteParams {
  Shape order;  ///< The normalised order: output dimension i is input dimension order[i].
};
/// slice's recorded parameters (Note [typed op parameters]).
struct SliceParams {
  std::int64_t axis = 0;   ///< The normalised axis.
  std::int64_t start = 0;  ///< The start, clamped into [0, size].
  std::int64_t step = 1;   ///< The step (positive).
};
/// The recorded parameters of sum, max and min (Note [typed op parameters]).
struct ReduceParams {
  Shape keep;          ///< The result's shape with keepdim (reduced dimensions of size 1).
  bool whole = false;  ///< No axes were given: max(x) against max(x, axes) (Note [max of NaN]).
};
/// cross_entropy's recorded parameter (Note [typed op parameters]).
struct ScaleParams {
  double scale = 1.0;  ///< The reduction's factor: 1/N for a mean, 1 otherwise.
};
/// The window geometry unfold, fold, conv2d and max_pool2d record (Note [convolution] in
/// ops_conv.cpp). kernels::ConvGeometry is this with the image and output sizes added. Each pair
/// is (height, width).
struct ConvParams {
  std::int32_t kernel[2] = {1, 1};    ///< The window's size.
  std::int32_t stride[2] = {1, 1};    ///< The step between windows.
  std::int32_t padding[2] = {0, 0};   ///< Implicit zeros (max_pool2d: never chosen) on each side.
  std::int32_t dilation[2] = {1, 1};  ///< The spacing of a window's taps.
  std::int32_t groups = 1;            ///< conv2d's channel groups.
  std::int32_t image[2] = {0, 0};     ///< The input's (H, W) (fold: the output's).
  bool ceil_mode = false;             ///< max_pool2d: windows may start in the right padding.
};
/// An op's recorded non-tensor parameters, one alternative per kind (Note [typed op
/// parameters]); UnaryArgs (op_list.hpp) are those of a UNARY_PARAM row.
using OpParams = std::variant<std::monostate, AxisParams, PermuteParams, SliceParams, ReduceParams,
                              ScaleParams, UnaryArgs, ConvParams>;

/// A node of the tensor graph: the tensor's layout and data, its grad, and how it was made. Its
/// fields are private to tensor/ (the Tensor handle and detail::NodeAccess): code outside reads a
/// node through Tensor (Tensor::from_node, then shape(), inputs(), scope(), ...), and only the
/// engine's hooks below are public. Nodes are made by the ops, never by hand.
class TensorNode : public engine::NodeBase {
 public:
  /// @name Engine hooks
  /// What engine::begin_backward and engine::reverse_sweep call (Note [one backward pass] in
  /// engine/graph.hpp); not for other code.
  //@{
  /// The differentiable inputs, in the op's order.
  std::span<TensorNode* const> parents() const noexcept { return {inputs.data(), inputs.size()}; }
  /// Runs the op's backward on this node's grad, adding each input's share to its grad.
  /// @throws kindling::error when an earlier backward freed the saved tensors, a saved tensor was
  ///         modified in place since, or (anomaly mode) a gradient is not finite.
  void backward_step();
  /// Sets this node's grad to ones of its shape: the seed of a backward from it.
  void seed_grad();
  /// Forgets this node's grad (Tensor::zero_grad).
  void clear_grad() noexcept;
  /// Frees a node whose last reference went away.
  static void destroy(TensorNode* node) noexcept;
  /// When the op was recorded (engine::next_creation_sequence): backward visits nodes in
  /// decreasing sequence (Note [creation order] in engine/graph.hpp). 0 for a leaf.
  std::uint64_t sequence() const noexcept { return sequence_; }
  //@}

  /// The DOT record's fields (kindling::explain's to_dot): the label, "shape dtype", and
  /// "grad (shape)" or "no grad".
  std::vector<std::string> dot_fields() const;
  /// The DOT label of the op that made the node ("" for a leaf).
  std::string dot_op() const;

  /// Where the node's storage is.
  Device device() const noexcept { return storage->device(); }
  /// The node's data as a kernel operand (Tensor::strided_view).
  kernels::StridedView strided_view() const noexcept;

 private:
  friend class Tensor;
  friend struct detail::NodeAccess;

  // Note [small tensor nodes]
  // A node's members are laid out for the small tensors of long chains (issue 14): the one-byte
  // fields fill NodeBase's padding, the inputs, saved tensors and versions are inline up to the
  // usual counts (an InlineVector moves to the heap past them), and what few nodes have (an op's
  // parameters, a label) is behind one pointer. The probe tests/tensor/node_memory_probe.cpp
  // prints what a node costs; tests/tensor/test_node_memory.cpp bounds it.
  DType dtype = DType::float32;
  TensorOp op = TensorOp::leaf;
  bool requires_grad = false;
  bool saved_freed = false;  // backward ran without retain_graph: saved tensors are gone
  std::uint64_t sequence_ = 0;
  std::shared_ptr<Storage> storage;
  Shape shape;
  Shape strides;                                // in elements
  std::int64_t offset = 0;                      // in elements, from the start of storage
  detail::InlineVector<TensorNode*, 2> inputs;  // the differentiable inputs, each referenced
  detail::InlineVector<TensorNode*, 1> saved;   // extra tensors backward needs; referenced
  // The storage versions when the op was recorded: the output's, then each input's, then each
  // saved tensor's (Note [version counters]).
  detail::InlineVector<std::uint64_t, 3> versions;
  TensorNode* grad = nullptr;  // a leaf node of this node's shape, or null; referenced
  // The op's parameters (none: std::monostate) and the label; null while both are empty.
  struct Extras {
    OpParams params;
    std::string label;
    // Hooks, shared with the HookHandles that can remove them (Note [tensor hooks]).
    std::shared_ptr<detail::TensorHooks> hooks;
    bool retains_grad = false;  // retain_grad() was called on this interior tensor
  };
  std::unique_ptr<Extras> extras;
  // The modules whose forward made this node (Note [module scopes]); null outside any module.
  engine::NameScope::Path scope;
};

// Note [undefined tensors]
// A default-constructed Tensor has no node: it is what grad() returns before any backward, and
// what an optional tensor argument holds when absent. defined() says which; every other method
// throws kindling::error naming itself on an undefined tensor ("numel: the tensor is undefined
// ..."), rather than dereferencing null. The free functions and ops reach their operands through
// these methods, so they throw the same error. The check is one branch on the node pointer.

/// A tensor: a strided view over shared storage and a handle to a node of the autograd graph, as
/// torch.Tensor. Copies are cheap (one pointer) and share the node, so `Tensor b = a;` is `b = a`
/// in Python, not a copy of the data (clone() copies). Ops are free functions (ops.hpp,
/// creation.hpp) and, for the common ones, methods named as PyTorch's; they broadcast, promote
/// dtypes (Note [type promotion] in dtype.hpp) and record the graph while grad mode is on and an
/// input requires grad. A default-constructed Tensor is undefined (Note [undefined tensors]):
/// every method but defined(), node() and same_node() throws kindling::error on it.
/// @code
/// using namespace kindling;
/// Generator gen(0);
/// const Tensor x = randn({4, 3}, gen);
/// Tensor w = randn({3, 2}, gen).set_requires_grad();
/// const Tensor loss = sum(relu(matmul(x, w)));
/// loss.backward();         // w.grad() has shape (3, 2)
/// const Tensor v = w.t();  // a view: v.shares_storage(w)
/// @endcode
class Tensor {
 public:
  /// An undefined tensor (no node): what grad() returns before any backward.
  Tensor() noexcept = default;

  /// @name Layout
  /// The tensor's dtype, device, shape and strides (torch's dtype, device, shape, stride(), ...).
  //@{
  /// Whether the tensor has a node; false for a default-constructed Tensor.
  bool defined() const noexcept { return static_cast<bool>(node_); }
  /// The element type.
  DType dtype() const { return checked_node("dtype").dtype; }
  /// Where the data lives.
  Device device() const { return checked_node("device").device(); }
  /// The sizes, outermost first; {} for a 0-d tensor.
  const Shape& shape() const { return checked_node("shape").shape; }
  /// The strides in elements, one per dimension (0 for a broadcast dimension).
  const Shape& strides() const { return checked_node("strides").strides; }
  /// The position of element (0, ..., 0) in the storage, in elements (torch's storage_offset()).
  std::int64_t offset() const { return checked_node("offset").offset; }
  /// The number of dimensions (torch's dim()).
  std::int64_t dim() const { return static_cast<std::int64_t>(checked_node("dim").shape.size()); }
  /// The size of dimension `axis`; negative axes count from the end.
  /// @throws kindling::error when axis is outside [-dim(), dim()).
  std::int64_t size(std::int64_t axis) const;
  /// The element count (torch's numel()); 1 for a 0-d tensor.
  std::int64_t numel() const { return shape_numel(checked_node("numel").shape); }
  /// Whether the elements are in row-major order without gaps (size-1 dimensions may have any
  /// stride, and an empty tensor always is).
  bool is_contiguous() const;
  /// True when both tensors use the same storage (a view and its base).
  bool shares_storage(const Tensor& other) const {
    return checked_node("shares_storage").storage == other.checked_node("shares_storage").storage;
  }
  //@}

  /// @name Data
  //@{
  /// The single value of a one-element tensor, as double (torch's item()).
  /// @throws kindling::error when numel() is not 1.
  double item() const;
  /// All values in row-major order, converted to T (float, double, std::int64_t or bool; the
  /// conversions of cast()), copied to the host from any device (torch's tolist(), flattened).
  /// @code
  /// const std::vector<float> v = kindling::tensor({1, 2, 3}).to_vector<float>();
  /// @endcode
  template <class T>
  std::vector<T> to_vector() const;
  /// The first element of a contiguous CPU tensor of dtype T (float, double, std::int64_t or
  /// bool), for reading and writing in place; call bump_version() after a write.
  /// @throws kindling::error when the dtype is not T's, the tensor is not on the CPU, or it is not
  ///         contiguous.
  template <class T>
  T* data() const;
  /// Element (0, ..., 0), whatever the device and layout (torch's data_ptr()); unchecked.
  void* raw_data() const;
  /// The tensor as a kernel operand: data pointer, dtype, shape and strides (kernels.hpp).
  kernels::StridedView strided_view() const { return checked_node("strided_view").strided_view(); }
  //@}

  /// @name Autograd
  //@{
  /// Whether gradients flow to this tensor: set on leaves, inherited by results of ops recorded
  /// in grad mode.
  bool requires_grad() const { return checked_node("requires_grad").requires_grad; }
  /// Makes a leaf require grad (torch's requires_grad_()); returns *this so creation can chain
  /// it: `Tensor w = randn({3, 2}, gen).set_requires_grad();`.
  /// @throws kindling::error for a non-leaf (use detach()), or for requires_grad on a tensor
  ///         that is not floating-point.
  Tensor& set_requires_grad(bool requires_grad = true);
  /// Whether no recorded op made this tensor (creation functions, detach(), results made under
  /// no_grad or from inputs that do not require grad).
  bool is_leaf() const { return checked_node("is_leaf").inputs.empty(); }
  /// The op that made this tensor; TensorOp::leaf for a leaf.
  TensorOp op() const { return checked_node("op").op; }
  /// The gradient from the last backward pass (accumulated across passes for leaves); undefined
  /// before any. See Note [what a second backward does] in engine/graph.hpp. An interior tensor
  /// keeps its last pass's gradient (without retain_grad(), unlike PyTorch), except after a
  /// create_graph pass, which keeps it only with retain_grad().
  Tensor grad() const;
  /// Forgets this node's gradient (Note [zero_grad] in engine/value.hpp), so the next backward
  /// pass starts it from nothing instead of adding to it; grad() is undefined afterwards, as
  /// torch's `x.grad = None`.
  void zero_grad() const { checked_node("zero_grad").clear_grad(); }
  /// Backward from this tensor, as torch.Tensor.backward: adds d(this)/d(leaf), weighted by
  /// `gradient`, to the grad() of every leaf that requires grad.
  /// @param gradient The seed, of this tensor's shape and device (converted to its dtype); may be
  ///        omitted only for a one-element tensor (a seed of 1).
  /// @param retain_graph Keep the graph's saved tensors for another backward through it; without
  ///        it they are freed and a second backward throws. Defaults to create_graph, as in
  ///        PyTorch.
  /// @param create_graph Record the backward itself (Note [create_graph] in
  ///        tensor/src/autograd.cpp), so the gradients can be differentiated again.
  /// @throws kindling::error when this tensor does not require grad, `gradient` has another shape
  ///         or device, it is omitted for a tensor of more than one element, or the graph's saved
  ///         tensors were freed or modified in place.
  /// @code
  /// kindling::Tensor x = kindling::tensor({1, 2, 3}).set_requires_grad();
  /// const kindling::Tensor y = x * x;
  /// y.backward(kindling::ones({3}));  // x.grad() is 2 x: (2, 4, 6)
  /// @endcode
  void backward(const Tensor& gradient = {}, std::optional<bool> retain_graph = std::nullopt,
                bool create_graph = false) const;
  //@}
  /// @name Hooks
  /// Note [tensor hooks] in tensor.cpp says when each kind runs.
  //@{
  /// Registers a hook that sees (and may replace) the gradient reaching this tensor in every
  /// backward pass, as torch.Tensor.register_hook.
  /// @throws kindling::error when the tensor does not require grad or the hook is empty; a hook
  ///         whose result has another shape, dtype or device throws during backward.
  HookHandle register_hook(GradHook hook) const;
  /// Registers a hook that runs on this leaf once a backward pass has added to its grad, as
  /// torch.Tensor.register_post_accumulate_grad_hook.
  /// @throws kindling::error when the tensor does not require grad, is not a leaf, or the hook is
  ///         empty.
  HookHandle register_post_accumulate_grad_hook(PostAccumulateGradHook hook) const;
  /// Marks an interior tensor so that its grad is kept after every backward, create_graph ones
  /// included (a no-op on a leaf, whose grad is always kept); is_leaf() stays false.
  /// torch.Tensor.retain_grad.
  /// @throws kindling::error when the tensor does not require grad.
  void retain_grad() const;
  /// Whether retain_grad() was called on this interior tensor (false for leaves).
  bool retains_grad() const;
  //@}
  /// A leaf sharing this tensor's storage, outside the graph (torch's detach()): it does not
  /// require grad, and in-place writes through it are seen by this tensor.
  Tensor detach() const;
  /// How many in-place writes this tensor's storage has seen; views share it (torch's _version).
  /// Every in-place write of the library bumps it (Note [version counters]). Code that writes
  /// through data<T>() or raw_data() itself calls bump_version() after writing.
  std::uint64_t version() const { return checked_node("version").storage->version(); }
  /// Counts one in-place write to the storage, so that a backward that saved it throws.
  void bump_version() const { checked_node("bump_version").storage->bump_version(); }
  /// The name DOT graphs and the stepper show for this tensor; "" when none was set.
  const std::string& label() const;
  /// Sets label(); returns *this, so creation can chain it.
  Tensor& set_label(std::string label);
  /// @name In-place writes
  /// PyTorch's copy_, fill_ and zero_ (Note [in-place writes]). They write into this tensor's
  /// storage, so every view of it sees the change, and bump its version. They are not recorded
  /// in the graph: with grad mode on, writing into a tensor that requires grad, or copying from
  /// one, is an error (use no_grad, or detach()); so is writing into an expanded view (a
  /// stride-0 dimension of size > 1). Each returns a handle to this tensor.
  //@{
  /// Copies `src` into this tensor: broadcast to this shape, its dtype and device converted as
  /// cast() and to() do. An overlapping source is read before it is overwritten.
  /// @throws kindling::error when src is undefined, does not broadcast to this shape, or the
  ///         write is refused (see above).
  Tensor copy_(const Tensor& src) const;
  /// Sets every element to `value` converted to this dtype.
  /// @throws kindling::error when value does not fit the dtype (fits_dtype: NaN, inf or an
  ///         out-of-range number into int64), or the write is refused (see above).
  Tensor fill_(const Scalar& value) const;
  /// fill_(0).
  Tensor zero_() const;
  /// torch's put_: source's elements (converted to this dtype) written at the row-major positions
  /// `index` (int64, negative from the end) of this tensor, as if it were 1-D; index and source
  /// have one element count. Where a position repeats, the last write wins (as NumPy's
  /// assignment). Off the CPU it goes through a host copy of the tensor. Python's item assignment
  /// t[mask] = v uses it.
  /// @throws kindling::error when index or source is undefined, index is not int64, the counts
  ///         differ, a position is out of range, source requires grad in grad mode, or the write
  ///         is refused (see above).
  Tensor put_(const Tensor& index, const Tensor& source) const;
  //@}
  /// The differentiable inputs of the op that made this tensor, in the op's order; none for a
  /// leaf (or a result made outside the graph: no_grad, or no input requiring grad).
  std::vector<Tensor> inputs() const;
  /// The modules whose forward made this tensor (Note [module scopes]); null outside any module.
  const engine::NameScope::Path& scope() const { return checked_node("scope").scope; }
  /// For leaves: takes NameScope::current() when the tensor has no scope yet, and keeps the one it
  /// has otherwise. Module calls it on its parameters as its forward begins, so a parameter is
  /// drawn in the cluster of the first module that used it, and a second module sharing it (tied
  /// weights) does not move it there.
  /// @throws kindling::error for a non-leaf.
  Tensor& claim_scope();

  /// @name Views and shape ops
  /// Method forms of the movement ops of ops.hpp, with the same semantics and errors (views share
  /// storage with this tensor).
  //@{
  /// view(*this, shape): the same elements in another shape, sharing storage; -1 is inferred.
  Tensor view(const Shape& shape) const;
  /// reshape(*this, shape): a view when the strides allow, else a contiguous copy.
  Tensor reshape(const Shape& shape) const;
  /// permute(*this, order).
  Tensor permute(const Shape& order) const;
  /// transpose(*this, a, b); the defaults swap the last two dimensions (torch's needs both).
  Tensor transpose(std::int64_t a = -2, std::int64_t b = -1) const;
  /// expand(*this, shape).
  Tensor expand(const Shape& shape) const;
  /// squeeze(*this, axis).
  Tensor squeeze(std::int64_t axis) const;
  /// unsqueeze(*this, axis).
  Tensor unsqueeze(std::int64_t axis) const;
  /// flatten(*this, start, end).
  Tensor flatten(std::int64_t start = 0, std::int64_t end = -1) const;
  /// slice(*this, axis, start, stop, step): Python's x[start:stop:step] along `axis`.
  Tensor slice(std::int64_t axis, std::int64_t start, std::int64_t stop,
               std::int64_t step = 1) const;
  /// contiguous(*this): this tensor when it is contiguous, else a row-major copy.
  Tensor contiguous() const;
  /// cast(*this, dtype): this tensor itself when it already has the dtype.
  Tensor to(DType dtype) const;
  /// A copy on `device` (this tensor itself when it is already there); see Note [device copies]
  /// in tensor.cpp. Unlike PyTorch's, the copy is not recorded: a leaf that requires grad gives a
  /// new leaf that requires grad (so parameters moved with to() stay parameters), and moving a
  /// result that requires grad in grad mode is an error (detach() it, or move the leaves).
  /// @throws kindling::error as just said, or when `device` has no kernels or memory.
  Tensor to(Device device) const;
  /// A contiguous copy that stays in the graph (torch's clone()): gradients flow back to this
  /// tensor.
  Tensor clone() const;
  //@}

  /// @name Method forms of the primitives
  /// x.exp() is exp(x); x.leaky_relu(0.2) is leaky_relu(x, 0.2), with the same defaults;
  /// x.sum(axes, keepdim) is sum(x, axes, keepdim) (ops.hpp). One per row of the op table.
  //@{
#define KINDLING_X(name, ...) Tensor name() const;
  /// The op of the same name applied to this tensor (this group's text says how).
  KINDLING_TENSOR_UNARY(KINDLING_X)
#undef KINDLING_X
#define KINDLING_X(name, label, formula, ps) Tensor name(KINDLING_PARAMS_METHOD_DECL(ps)) const;
  /// The op of the same name applied to this tensor, with the row's parameters.
  KINDLING_TENSOR_UNARY_PARAM(KINDLING_X)
#undef KINDLING_X
#define KINDLING_X(name, ...) \
  Tensor name(const std::vector<std::int64_t>& axes = {}, bool keepdim = false) const;
  /// The reduction of the same name over `axes` of this tensor (all of them when empty).
  KINDLING_TENSOR_REDUCE(KINDLING_X)
#undef KINDLING_X
  //@}
  /// @name Other method forms
  /// The other methods Python's Tensor has, and PyTorch's method names (issue 13): each is the
  /// free function of ops.hpp or creation.hpp with this tensor first, with its semantics and
  /// errors. float(), double() and long() are C++ keywords: use to(DType::float32).
  //@{
  /// mean(*this, axes, keepdim).
  Tensor mean(const std::vector<std::int64_t>& axes = {}, bool keepdim = false) const;
  /// any(*this, axes, keepdim).
  Tensor any(const std::vector<std::int64_t>& axes = {}, bool keepdim = false) const;
  /// all(*this, axes, keepdim).
  Tensor all(const std::vector<std::int64_t>& axes = {}, bool keepdim = false) const;
  /// matmul(*this, other).
  Tensor matmul(const Tensor& other) const;
  /// masked_fill(*this, mask, value).
  Tensor masked_fill(const Tensor& mask, const Scalar& value) const;
  /// masked_fill(*this, mask, value) with a 0-d tensor value.
  Tensor masked_fill(const Tensor& mask, const Tensor& value) const;
  /// logical_not(*this).
  Tensor logical_not() const;
  /// add(*this, other), *this + other.
  Tensor add(const Tensor& other) const;
  /// *this + other.
  Tensor add(const Scalar& other) const;
  /// sub(*this, other), *this - other.
  Tensor sub(const Tensor& other) const;
  /// *this - other.
  Tensor sub(const Scalar& other) const;
  /// mul(*this, other), *this * other.
  Tensor mul(const Tensor& other) const;
  /// *this * other.
  Tensor mul(const Scalar& other) const;
  /// div(*this, other), *this / other (true division).
  Tensor div(const Tensor& other) const;
  /// *this / other (true division).
  Tensor div(const Scalar& other) const;
  /// pow(*this, exponent).
  Tensor pow(const Tensor& exponent) const;
  /// pow(*this, exponent).
  Tensor pow(const Scalar& exponent) const;
  /// eq(*this, other): a bool mask.
  Tensor eq(const Tensor& other) const;
  /// eq(*this, other): a bool mask.
  Tensor eq(const Scalar& other) const;
  /// ne(*this, other): a bool mask.
  Tensor ne(const Tensor& other) const;
  /// ne(*this, other): a bool mask.
  Tensor ne(const Scalar& other) const;
  /// lt(*this, other): a bool mask.
  Tensor lt(const Tensor& other) const;
  /// lt(*this, other): a bool mask.
  Tensor lt(const Scalar& other) const;
  /// le(*this, other): a bool mask.
  Tensor le(const Tensor& other) const;
  /// le(*this, other): a bool mask.
  Tensor le(const Scalar& other) const;
  /// gt(*this, other): a bool mask.
  Tensor gt(const Tensor& other) const;
  /// gt(*this, other): a bool mask.
  Tensor gt(const Scalar& other) const;
  /// ge(*this, other): a bool mask.
  Tensor ge(const Tensor& other) const;
  /// ge(*this, other): a bool mask.
  Tensor ge(const Scalar& other) const;
  /// maximum(*this, other).
  Tensor maximum(const Tensor& other) const;
  /// minimum(*this, other).
  Tensor minimum(const Tensor& other) const;
  /// torch's x.where(cond, other): where(cond, x, other).
  Tensor where(const Tensor& cond, const Tensor& other) const;
  /// torch's x.where(cond, other): where(cond, x, other).
  Tensor where(const Tensor& cond, const Scalar& other) const;
  /// clamp(*this, low, high).
  Tensor clamp(double low, double high) const;
  /// softmax(*this, axis).
  Tensor softmax(std::int64_t axis = -1) const;
  /// log_softmax(*this, axis).
  Tensor log_softmax(std::int64_t axis = -1) const;
  /// logsumexp(*this, axes, keepdim).
  Tensor logsumexp(const std::vector<std::int64_t>& axes = {}, bool keepdim = false) const;
  /// argmax(*this): the index into the flattened tensor.
  Tensor argmax() const;
  /// argmax(*this, axis, keepdim).
  Tensor argmax(std::int64_t axis, bool keepdim = false) const;
  /// argmin(*this): the index into the flattened tensor.
  Tensor argmin() const;
  /// argmin(*this, axis, keepdim).
  Tensor argmin(std::int64_t axis, bool keepdim = false) const;
  /// amax(*this, axes, keepdim).
  Tensor amax(const std::vector<std::int64_t>& axes = {}, bool keepdim = false) const;
  /// amin(*this, axes, keepdim).
  Tensor amin(const std::vector<std::int64_t>& axes = {}, bool keepdim = false) const;
  /// var(*this, axes, correction, keepdim).
  Tensor var(const std::vector<std::int64_t>& axes = {}, std::int64_t correction = 1,
             bool keepdim = false) const;
  /// stddev(*this, axes, correction, keepdim) (ops.hpp), torch's x.std(); a member may be named
  /// std: `std::` lookup ignores functions.
  Tensor std(const std::vector<std::int64_t>& axes = {}, std::int64_t correction = 1,
             bool keepdim = false) const;
  /// prod(*this, axes, keepdim).
  Tensor prod(const std::vector<std::int64_t>& axes = {}, bool keepdim = false) const;
  /// cumsum(*this, axis).
  Tensor cumsum(std::int64_t axis) const;
  /// norm(*this, p, axes, keepdim).
  Tensor norm(double p = 2.0, const std::vector<std::int64_t>& axes = {},
              bool keepdim = false) const;
  /// gather(*this, axis, index).
  Tensor gather(std::int64_t axis, const Tensor& index) const;
  /// index_select(*this, axis, index).
  Tensor index_select(std::int64_t axis, const Tensor& index) const;
  /// scatter_add(*this, axis, index, src): a new tensor (not torch's in-place scatter_add_).
  Tensor scatter_add(std::int64_t axis, const Tensor& index, const Tensor& src) const;
  /// sort(*this, axis, descending).
  ValuesIndices sort(std::int64_t axis = -1, bool descending = false) const;
  /// topk(*this, k, axis, largest).
  ValuesIndices topk(std::int64_t k, std::int64_t axis = -1, bool largest = true) const;
  /// repeat(*this, reps).
  Tensor repeat(const Shape& reps) const;
  /// tile(*this, reps).
  Tensor tile(const Shape& reps) const;
  /// flip(*this, axes).
  Tensor flip(const std::vector<std::int64_t>& axes) const;
  /// chunk(*this, chunks, axis).
  std::vector<Tensor> chunk(std::int64_t chunks, std::int64_t axis = 0) const;
  /// split(*this, size, axis): pieces of `size`.
  std::vector<Tensor> split(std::int64_t size, std::int64_t axis = 0) const;
  /// split(*this, sizes, axis): pieces of the given sizes.
  std::vector<Tensor> split(const Shape& sizes, std::int64_t axis = 0) const;
  /// unbind(*this, axis).
  std::vector<Tensor> unbind(std::int64_t axis = 0) const;
  /// t(*this).
  Tensor t() const;
  /// expand(*this, other.shape()).
  Tensor expand_as(const Tensor& other) const;
  /// reshape(*this, other.shape()).
  Tensor reshape_as(const Tensor& other) const;
  /// view(*this, other.shape()).
  Tensor view_as(const Tensor& other) const;
  /// mm(*this, other).
  Tensor mm(const Tensor& other) const;
  /// bmm(*this, other).
  Tensor bmm(const Tensor& other) const;
  /// dot(*this, other).
  Tensor dot(const Tensor& other) const;
  /// outer(*this, other).
  Tensor outer(const Tensor& other) const;
  /// tril(*this, diagonal).
  Tensor tril(std::int64_t diagonal = 0) const;
  /// triu(*this, diagonal).
  Tensor triu(std::int64_t diagonal = 0) const;
  /// diag(*this, diagonal).
  Tensor diag(std::int64_t diagonal = 0) const;
  /// square(*this).
  Tensor square() const;
  /// isnan(*this).
  Tensor isnan() const;
  /// isinf(*this).
  Tensor isinf() const;
  /// to(kCPU).
  Tensor cpu() const;
  /// zeros of `shape` in this tensor's dtype and on its device (torch's new_zeros).
  Tensor new_zeros(const Shape& shape) const;
  /// zeros of `shape` in `dtype`, on this tensor's device.
  Tensor new_zeros(const Shape& shape, DType dtype) const;
  //@}

  /// The node, or nullptr for an undefined tensor (unchecked: for code that tests it).
  TensorNode* node() const noexcept {
    return node_.get();
  }
  /// Whether both handles refer to the same node: identity, as Python's `is` (eq() compares
  /// elements).
  bool same_node(const Tensor& other) const noexcept {
    return node_ == other.node_;
  }
  /// Wraps an existing node, taking a reference (a handle to what the engine, a DOT style or a
  /// stepper hands out as a TensorNode).
  /// @throws kindling::error for a null node.
  static Tensor from_node(TensorNode* node);
  /// Wraps an existing node, taking a reference; handles are shallow-const, as Tensor's.
  static Tensor from_node(const TensorNode& node) {
    return from_node(const_cast<TensorNode*>(&node));  // handles are shallow-const, as Tensor's
  }

 private:
  // The node; kindling::error naming `method` when there is none (Note [undefined tensors]).
  TensorNode& checked_node(const char* method) const {
    if (!node_) [[unlikely]]
      throw_undefined(method);
    return *node_;
  }
  [[noreturn]] static void throw_undefined(const char* method);

  engine::NodeRef<TensorNode> node_;
};

/// to_vector for bool: unpacked into `std::vector<bool>` (nonzero is true).
template <>
std::vector<bool> Tensor::to_vector<bool>() const;

/// Moves a leaf to `device` in place (what Module::to does to parameters and buffers): its node
/// gets new contiguous storage there holding the same values, so every handle to it (module
/// members, optimizer lists) follows. Its grad is dropped. Views of the old storage (a state
/// dict, a graph's saved copy) keep the old memory, as in PyTorch. The move counts as an in-place
/// write (Note [version counters]). Nothing happens when it is already there.
/// @throws kindling::error for an undefined tensor, a non-leaf, or a device without kernels.
void move_to_device(const Tensor& t, Device device);

/// The tensor as text, NumPy-like, truncated past 1000 elements.
std::string to_string(const Tensor& tensor);
/// Writes to_string(tensor).
std::ostream& operator<<(std::ostream& os, const Tensor& tensor);

}  // namespace kindling
