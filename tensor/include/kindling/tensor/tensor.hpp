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
// A gradient hook sees the gradient reaching its tensor in a backward pass; a defined return
// value replaces that gradient (same shape, dtype and device), an undefined one keeps it.
using GradHook = std::function<Tensor(const Tensor& grad)>;
// A post-accumulate-grad hook runs on a leaf after a backward pass has added to its grad, with
// the leaf itself (its grad() is the accumulated gradient).
using PostAccumulateGradHook = std::function<void(const Tensor& leaf)>;

// What register_hook returns: remove() takes the hook off again (a no-op once done, or once the
// tensor is gone). It does not keep the tensor alive.
class HookHandle {
 public:
  HookHandle() noexcept = default;
  void remove() const;

 private:
  friend struct detail::NodeAccess;
  std::weak_ptr<detail::TensorHooks> hooks_;
  std::uint64_t id_ = 0;
};

// A block of device memory shared by a tensor and its views; freed by the last of them.
class Storage {
 public:
  Storage(std::size_t bytes, Device device);
  // Adopts memory that kindling does not own (zero-copy from NumPy, say): `release` runs when the
  // last tensor using it is gone, in place of the device's deallocate.
  Storage(void* data, std::size_t bytes, Device device, std::function<void()> release);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  void* data() const noexcept { return data_; }
  std::size_t bytes() const noexcept { return bytes_; }
  Device device() const noexcept { return device_; }
  // How many in-place writes this memory has seen (Note [version counters]).
  std::uint64_t version() const noexcept { return version_.load(std::memory_order_relaxed); }
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
struct AxisParams {  // index_select, gather, concat, softmax, log_softmax: the normalised axis
  std::int64_t axis = 0;
};
struct PermuteParams {  // permute: the normalised order
  Shape order;
};
struct SliceParams {  // slice: the normalised axis, the clamped start, the step
  std::int64_t axis = 0;
  std::int64_t start = 0;
  std::int64_t step = 1;
};
struct ReduceParams {  // sum, max, min: the keepdim shape; whether it was the whole tensor
  Shape keep;
  bool whole = false;  // max(x) against max(x, axes) (Note [max of NaN])
};
struct ScaleParams {  // cross_entropy: the reduction's factor (1/N for a mean, 1 otherwise)
  double scale = 1.0;
};
// unfold, fold, conv2d, max_pool2d: the window geometry (Note [convolution] in ops_conv.cpp).
// kernels::ConvGeometry is this with the image and output sizes added.
struct ConvParams {
  std::int32_t kernel[2] = {1, 1};
  std::int32_t stride[2] = {1, 1};
  std::int32_t padding[2] = {0, 0};
  std::int32_t dilation[2] = {1, 1};
  std::int32_t groups = 1;
  std::int32_t image[2] = {0, 0};  // the input's (H, W) (fold: the output's)
  bool ceil_mode = false;          // max_pool2d
};
// UnaryArgs (op_list.hpp): the recorded parameters of a UNARY_PARAM row.
using OpParams = std::variant<std::monostate, AxisParams, PermuteParams, SliceParams, ReduceParams,
                              ScaleParams, UnaryArgs, ConvParams>;

// A node of the tensor graph: the tensor's layout and data, its grad, and how it was made. Its
// fields are private to tensor/ (the Tensor handle and detail::NodeAccess): code outside reads a
// node through Tensor (Tensor::from_node, then shape(), inputs(), scope(), ...), and only the
// engine's hooks below are public.
class TensorNode : public engine::NodeBase {
 public:
  // The engine's hooks (Note [one backward pass] in engine/graph.hpp).
  std::span<TensorNode* const> parents() const noexcept { return {inputs.data(), inputs.size()}; }
  void backward_step();
  void seed_grad();
  void clear_grad() noexcept;
  static void destroy(TensorNode* node) noexcept;
  // When the op was recorded (engine::next_creation_sequence): backward visits nodes in
  // decreasing sequence (Note [creation order] in engine/graph.hpp). 0 for a leaf.
  std::uint64_t sequence() const noexcept { return sequence_; }

  std::vector<std::string> dot_fields() const;
  std::string dot_op() const;

  Device device() const noexcept { return storage->device(); }
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
class Tensor {
 public:
  // An undefined tensor (no node): what grad() returns before any backward.
  Tensor() noexcept = default;

  // ---- layout ----
  bool defined() const noexcept { return static_cast<bool>(node_); }
  DType dtype() const { return checked_node("dtype").dtype; }
  Device device() const { return checked_node("device").device(); }
  const Shape& shape() const { return checked_node("shape").shape; }
  const Shape& strides() const { return checked_node("strides").strides; }
  std::int64_t offset() const { return checked_node("offset").offset; }
  std::int64_t dim() const { return static_cast<std::int64_t>(checked_node("dim").shape.size()); }
  std::int64_t size(std::int64_t axis) const;  // negative axes count from the end
  std::int64_t numel() const { return shape_numel(checked_node("numel").shape); }
  bool is_contiguous() const;
  // True when both tensors use the same storage (a view and its base).
  bool shares_storage(const Tensor& other) const {
    return checked_node("shares_storage").storage == other.checked_node("shares_storage").storage;
  }

  // ---- data ----
  // The single value of a one-element tensor, as double.
  double item() const;
  // All values in row-major order, converted to T (float, double, std::int64_t or bool; the
  // conversions of cast()).
  template <class T>
  std::vector<T> to_vector() const;
  // The first element of a contiguous CPU tensor of dtype T (checked).
  template <class T>
  T* data() const;
  void* raw_data() const;  // element (0, ..., 0), whatever the device
  kernels::StridedView strided_view() const { return checked_node("strided_view").strided_view(); }

  // ---- autograd ----
  bool requires_grad() const { return checked_node("requires_grad").requires_grad; }
  // Only leaves may change it; returns *this so creation can chain it.
  Tensor& set_requires_grad(bool requires_grad = true);
  bool is_leaf() const { return checked_node("is_leaf").inputs.empty(); }
  TensorOp op() const { return checked_node("op").op; }
  // The gradient from the last backward pass (accumulated across passes for leaves); undefined
  // before any. See Note [what a second backward does] in engine/graph.hpp.
  Tensor grad() const;
  // Note [zero_grad] in engine/value.hpp: forgets this node's gradient, so the next backward
  // pass starts it from nothing instead of adding to it; grad() is undefined afterwards.
  void zero_grad() const { checked_node("zero_grad").clear_grad(); }
  // Backward from this tensor: it must be a single element unless `gradient` (of its shape) is
  // given. Without retain_graph the saved tensors of the graph are freed, and a second backward
  // through the same graph throws. With create_graph the gradients are themselves recorded
  // (Note [create_graph] in tensor/src/autograd.cpp), so they can be differentiated again;
  // retain_graph defaults to create_graph, as in PyTorch.
  void backward(const Tensor& gradient = {}, std::optional<bool> retain_graph = std::nullopt,
                bool create_graph = false) const;
  // ---- hooks (Note [tensor hooks] in tensor.cpp); the tensor must require grad ----
  HookHandle register_hook(GradHook hook) const;
  // Leaves only.
  HookHandle register_post_accumulate_grad_hook(PostAccumulateGradHook hook) const;
  // Marks an interior tensor so that its grad is kept after every backward, create_graph ones
  // included (a no-op on a leaf, whose grad is always kept); is_leaf() stays false.
  void retain_grad() const;
  bool retains_grad() const;
  // A leaf sharing this tensor's storage, outside the graph.
  Tensor detach() const;
  // How many in-place writes this tensor's storage has seen; views share it (torch's _version).
  // Every in-place write of the library bumps it (Note [version counters]). Code that writes
  // through data<T>() or raw_data() itself calls bump_version() after writing.
  std::uint64_t version() const { return checked_node("version").storage->version(); }
  void bump_version() const { checked_node("bump_version").storage->bump_version(); }
  const std::string& label() const;
  Tensor& set_label(std::string label);
  // ---- in-place writes, PyTorch's copy_, fill_ and zero_ (Note [in-place writes]) ----
  // They write into this tensor's storage, so every view of it sees the change, and bump its
  // version. copy_ broadcasts src to this shape and converts its dtype and device as cast() and
  // to() do. They are not recorded in the graph: with grad mode on, writing into a tensor that
  // requires grad, or copying from one, is an error (use no_grad, or detach()). Each returns a
  // handle to this tensor.
  Tensor copy_(const Tensor& src) const;
  Tensor fill_(const Scalar& value) const;
  Tensor zero_() const;
  // torch's put_: source's elements (converted to this dtype) written at the row-major positions
  // `index` (int64, negative from the end) of this tensor, as if it were 1-D; index and source
  // have one element count. Where a position repeats, the last write wins (as NumPy's
  // assignment). Off the CPU it goes through a host copy of the tensor. Python's item assignment
  // t[mask] = v uses it.
  Tensor put_(const Tensor& index, const Tensor& source) const;
  // The differentiable inputs of the op that made this tensor, in the op's order; none for a
  // leaf (or a result made outside the graph: no_grad, or no input requiring grad).
  std::vector<Tensor> inputs() const;
  // The modules whose forward made this tensor (Note [module scopes]); null outside any module.
  const engine::NameScope::Path& scope() const { return checked_node("scope").scope; }
  // For leaves: takes NameScope::current() when the tensor has no scope yet, and keeps the one it
  // has otherwise. Module calls it on its parameters as its forward begins, so a parameter is
  // drawn in the cluster of the first module that used it, and a second module sharing it (tied
  // weights) does not move it there.
  Tensor& claim_scope();

  // ---- views and shape ops (methods for the common ones; free functions in ops.hpp) ----
  Tensor view(const Shape& shape) const;
  Tensor reshape(const Shape& shape) const;
  Tensor permute(const Shape& order) const;
  Tensor transpose(std::int64_t a = -2, std::int64_t b = -1) const;
  Tensor expand(const Shape& shape) const;
  Tensor squeeze(std::int64_t axis) const;
  Tensor unsqueeze(std::int64_t axis) const;
  Tensor flatten(std::int64_t start = 0, std::int64_t end = -1) const;
  Tensor slice(std::int64_t axis, std::int64_t start, std::int64_t stop,
               std::int64_t step = 1) const;
  Tensor contiguous() const;
  Tensor to(DType dtype) const;
  // A copy on `device` (this tensor itself when it is already there); see Note [device copies]
  // in tensor.cpp. Leaves keep requires_grad, so parameters moved with to() stay parameters.
  Tensor to(Device device) const;
  Tensor clone() const;  // a contiguous copy that stays in the graph

  // ---- method forms of the elementwise and reduction primitives (op_list.hpp) ----
  // x.exp() is exp(x); x.sum(axes, keepdim) is sum(x, axes, keepdim) (ops.hpp).
#define KINDLING_X(name, ...) Tensor name() const;
  KINDLING_TENSOR_UNARY(KINDLING_X)
#undef KINDLING_X
  // The rows with parameters: x.name(p...) is name(x, p...), with the same defaults.
#define KINDLING_X(name, label, formula, ps) Tensor name(KINDLING_PARAMS_METHOD_DECL(ps)) const;
  KINDLING_TENSOR_UNARY_PARAM(KINDLING_X)
#undef KINDLING_X
#define KINDLING_X(name, ...) \
  Tensor name(const std::vector<std::int64_t>& axes = {}, bool keepdim = false) const;
  KINDLING_TENSOR_REDUCE(KINDLING_X)
#undef KINDLING_X
  // The other method forms Python's Tensor has (ops.hpp has each as a free function).
  Tensor mean(const std::vector<std::int64_t>& axes = {}, bool keepdim = false) const;
  Tensor any(const std::vector<std::int64_t>& axes = {}, bool keepdim = false) const;
  Tensor all(const std::vector<std::int64_t>& axes = {}, bool keepdim = false) const;
  Tensor matmul(const Tensor& other) const;
  Tensor masked_fill(const Tensor& mask, const Scalar& value) const;
  Tensor masked_fill(const Tensor& mask, const Tensor& value) const;
  Tensor logical_not() const;
  // PyTorch's method names (issue 13); each is the free function of ops.hpp or creation.hpp with
  // this tensor first. float(), double() and long() are C++ keywords: use to(DType::float32).
  Tensor add(const Tensor& other) const;
  Tensor add(const Scalar& other) const;
  Tensor sub(const Tensor& other) const;
  Tensor sub(const Scalar& other) const;
  Tensor mul(const Tensor& other) const;
  Tensor mul(const Scalar& other) const;
  Tensor div(const Tensor& other) const;
  Tensor div(const Scalar& other) const;
  Tensor pow(const Tensor& exponent) const;
  Tensor pow(const Scalar& exponent) const;
  Tensor eq(const Tensor& other) const;
  Tensor eq(const Scalar& other) const;
  Tensor ne(const Tensor& other) const;
  Tensor ne(const Scalar& other) const;
  Tensor lt(const Tensor& other) const;
  Tensor lt(const Scalar& other) const;
  Tensor le(const Tensor& other) const;
  Tensor le(const Scalar& other) const;
  Tensor gt(const Tensor& other) const;
  Tensor gt(const Scalar& other) const;
  Tensor ge(const Tensor& other) const;
  Tensor ge(const Scalar& other) const;
  Tensor maximum(const Tensor& other) const;
  Tensor minimum(const Tensor& other) const;
  // torch's x.where(cond, other): where(cond, x, other).
  Tensor where(const Tensor& cond, const Tensor& other) const;
  Tensor where(const Tensor& cond, const Scalar& other) const;
  Tensor clamp(double low, double high) const;
  Tensor softmax(std::int64_t axis = -1) const;
  Tensor log_softmax(std::int64_t axis = -1) const;
  Tensor logsumexp(const std::vector<std::int64_t>& axes = {}, bool keepdim = false) const;
  Tensor argmax() const;
  Tensor argmax(std::int64_t axis, bool keepdim = false) const;
  Tensor argmin() const;
  Tensor argmin(std::int64_t axis, bool keepdim = false) const;
  Tensor amax(const std::vector<std::int64_t>& axes = {}, bool keepdim = false) const;
  Tensor amin(const std::vector<std::int64_t>& axes = {}, bool keepdim = false) const;
  Tensor var(const std::vector<std::int64_t>& axes = {}, std::int64_t correction = 1,
             bool keepdim = false) const;
  // stddev (ops.hpp); a member may be named std: `std::` lookup ignores functions.
  Tensor std(const std::vector<std::int64_t>& axes = {}, std::int64_t correction = 1,
             bool keepdim = false) const;
  Tensor prod(const std::vector<std::int64_t>& axes = {}, bool keepdim = false) const;
  Tensor cumsum(std::int64_t axis) const;
  Tensor norm(double p = 2.0, const std::vector<std::int64_t>& axes = {},
              bool keepdim = false) const;
  Tensor gather(std::int64_t axis, const Tensor& index) const;
  Tensor index_select(std::int64_t axis, const Tensor& index) const;
  Tensor scatter_add(std::int64_t axis, const Tensor& index, const Tensor& src) const;
  ValuesIndices sort(std::int64_t axis = -1, bool descending = false) const;
  ValuesIndices topk(std::int64_t k, std::int64_t axis = -1, bool largest = true) const;
  Tensor repeat(const Shape& reps) const;
  Tensor tile(const Shape& reps) const;
  Tensor flip(const std::vector<std::int64_t>& axes) const;
  std::vector<Tensor> chunk(std::int64_t chunks, std::int64_t axis = 0) const;
  std::vector<Tensor> split(std::int64_t size, std::int64_t axis = 0) const;
  std::vector<Tensor> split(const Shape& sizes, std::int64_t axis = 0) const;
  std::vector<Tensor> unbind(std::int64_t axis = 0) const;
  Tensor t() const;
  Tensor expand_as(const Tensor& other) const;   // expand(other.shape())
  Tensor reshape_as(const Tensor& other) const;  // reshape(other.shape())
  Tensor view_as(const Tensor& other) const;     // view(other.shape())
  Tensor mm(const Tensor& other) const;
  Tensor bmm(const Tensor& other) const;
  Tensor dot(const Tensor& other) const;
  Tensor outer(const Tensor& other) const;
  Tensor tril(std::int64_t diagonal = 0) const;
  Tensor triu(std::int64_t diagonal = 0) const;
  Tensor diag(std::int64_t diagonal = 0) const;
  Tensor square() const;
  Tensor isnan() const;
  Tensor isinf() const;
  Tensor cpu() const;  // to(kCPU)
  // zeros of `shape` in this tensor's dtype (or `dtype`) and on its device.
  Tensor new_zeros(const Shape& shape) const;
  Tensor new_zeros(const Shape& shape, DType dtype) const;

  // The node, or nullptr for an undefined tensor (unchecked: for code that tests it).
  TensorNode* node() const noexcept {
    return node_.get();
  }
  bool same_node(const Tensor& other) const noexcept {
    return node_ == other.node_;
  }
  // Wraps an existing node, taking a reference (a handle to what the engine, a DOT style or a
  // stepper hands out as a TensorNode).
  static Tensor from_node(TensorNode* node);
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

template <>
std::vector<bool> Tensor::to_vector<bool>() const;

// Moves a leaf to `device` in place (what Module::to does to parameters and buffers): its node
// gets new contiguous storage there holding the same values, so every handle to it (module
// members, optimizer lists) follows. Its grad is dropped. Views of the old storage (a state dict,
// a graph's saved copy) keep the old memory, as in PyTorch. The move counts as an in-place write
// (Note [version counters]). Throws for an undefined tensor, a non-leaf, or a device without
// kernels.
void move_to_device(const Tensor& t, Device device);

std::string to_string(const Tensor& tensor);  // NumPy-like, truncated past 1000 elements
std::ostream& operator<<(std::ostream& os, const Tensor& tensor);

}  // namespace kindling
