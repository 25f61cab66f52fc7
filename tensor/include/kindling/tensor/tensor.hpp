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

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "kindling/engine/graph.hpp"
#include "kindling/engine/scope.hpp"
#include "kindling/explain/dot.hpp"
#include "kindling/tensor/dtype.hpp"
#include "kindling/tensor/kernels.hpp"
#include "kindling/tensor/op_list.hpp"

namespace kindling {

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

 private:
  void* data_;
  std::size_t bytes_;
  Device device_;
  std::function<void()> release_;  // set only for adopted memory
};

// The non-tensor arguments an op's backward needs (axes, a permutation, slice bounds, ...).
struct OpParams {
  std::vector<std::int64_t> ints;
  double scalar = 0.0;
};

// A node of the tensor graph: the tensor's layout and data, its grad, and how it was made.
struct TensorNode : engine::NodeBase {
  std::shared_ptr<Storage> storage;
  Shape shape;
  Shape strides;            // in elements
  std::int64_t offset = 0;  // in elements, from the start of storage
  DType dtype = DType::float32;
  TensorOp op = TensorOp::leaf;
  bool requires_grad = false;
  bool saved_freed = false;         // backward ran without retain_graph: saved tensors are gone
  std::vector<TensorNode*> inputs;  // the differentiable inputs, each holding a reference
  std::vector<TensorNode*> saved;   // extra tensors backward needs (indices, masks); referenced
  TensorNode* grad = nullptr;       // a leaf node of this node's shape, or null; referenced
  OpParams params;
  std::unique_ptr<std::string> label;
  // The modules whose forward made this node (Note [module scopes]); null outside any module.
  engine::NameScope::Path scope;

  std::span<TensorNode* const> parents() const noexcept { return inputs; }
  void backward_step();
  void seed_grad();
  void clear_grad() noexcept;
  static void destroy(TensorNode* node) noexcept;

  std::vector<std::string> dot_fields() const;
  std::string dot_op() const;

  Device device() const noexcept { return storage->device(); }
  kernels::StridedView strided_view() const noexcept;
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
  void zero_grad() const { checked_node("zero_grad").clear_grad(); }
  // Backward from this tensor: it must be a single element unless `gradient` (of its shape) is
  // given. Without retain_graph the saved tensors of the graph are freed, and a second backward
  // through the same graph throws.
  void backward(const Tensor& gradient = {}, bool retain_graph = false) const;
  // A leaf sharing this tensor's storage, outside the graph.
  Tensor detach() const;
  const std::string& label() const;
  Tensor& set_label(std::string label);

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

  // The node, or nullptr for an undefined tensor (unchecked: for code that tests it).
  TensorNode* node() const noexcept { return node_.get(); }
  bool same_node(const Tensor& other) const noexcept { return node_ == other.node_; }
  // Wraps an existing node, taking a reference.
  static Tensor from_node(TensorNode* node);

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

std::string to_string(const Tensor& tensor);  // NumPy-like, truncated past 1000 elements
std::ostream& operator<<(std::ostream& os, const Tensor& tensor);
std::string to_dot(const Tensor& root, const engine::DotOptions& options = {},
                   const engine::DotStyle<TensorNode>& style = {});

namespace detail {
// A fresh contiguous leaf of the given shape, uninitialised. The shape is checked (at most
// kMaxDims dimensions, no negative sizes, element and byte counts within int64: Note [checked
// shape arithmetic]) and an allocation failure becomes a kindling::error; both name `op`, the
// user-facing operation that asked ("zeros: shape (2147483648,2147483648) of float32 needs ...").
Tensor empty(const Shape& shape, DType dtype, Device device, std::string_view op = "empty");
// Records `result` as the output of primitive `op` on `inputs` when grad mode is on and an input
// requires grad; otherwise leaves it a leaf. Returns result.
Tensor record(TensorOp op, Tensor result, std::initializer_list<const Tensor*> inputs,
              OpParams params = {}, std::vector<Tensor> saved = {});
Tensor record(TensorOp op, Tensor result, const std::vector<Tensor>& inputs, OpParams params = {});
// Adds `contribution` to node->grad (Note [gradients accumulate]).
void accumulate_grad(TensorNode* node, Tensor contribution);
}  // namespace detail

}  // namespace kindling
