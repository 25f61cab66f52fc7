// Tensor and TensorNode: storage, layout, the handle's accessors, recording ops into the graph,
// gradient accumulation and backward() through the engine's sweep.
#include "kindling/tensor/tensor.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "forward_mode.hpp"
#include "internal.hpp"
#include "kindling/engine/pool.hpp"
#include "kindling/tensor/testing.hpp"

namespace kindling {

// ---- storage -----------------------------------------------------------------------------------

Storage::Storage(std::size_t bytes, Device device)
    : data_(kernels::kernels_for(device).allocate(device, bytes)), bytes_(bytes), device_(device) {}

Storage::Storage(void* data, std::size_t bytes, Device device, std::function<void()> release)
    : data_(data),
      bytes_(bytes),
      device_(device),
      release_(release ? std::make_unique<std::function<void()>>(std::move(release)) : nullptr) {}

Storage::~Storage() {
  if (release_) {
    (*release_)();
  } else {
    kernels::kernels_for(device_).deallocate(device_, data_, bytes_);
  }
}

// ---- the node ----------------------------------------------------------------------------------

namespace {
using Pool = engine::NodePool<TensorNode>;

TensorNode* new_node() {
  return new (Pool::this_thread().allocate()) TensorNode;
}
}  // namespace

void TensorNode::destroy(TensorNode* node) noexcept {
  // Re-entrant release (Note [no recursion] in graph.hpp): these only queue the nodes.
  if (node->grad) engine::release(node->grad);
  for (TensorNode* s : node->saved)
    engine::release(s);
  node->~TensorNode();
  Pool::this_thread().deallocate(node);
}

kernels::StridedView TensorNode::strided_view() const noexcept {
  kernels::StridedView v;
  v.data =
      static_cast<char*>(storage->data()) + offset * static_cast<std::int64_t>(dtype_size(dtype));
  v.dtype = dtype;
  v.ndim = static_cast<int>(shape.size());
  for (int d = 0; d < v.ndim; ++d) {
    v.shape[d] = shape[d];
    v.strides[d] = strides[d];
  }
  return v;
}

// Note [saved tensors]
// Inputs are reachable through parents(); what a backward needs beyond them (argmax indices, a
// where() mask, gather's index) is a "saved" tensor, a detached leaf the node references. A
// backward without retain_graph frees them and marks the node, and a second backward through it
// throws, as in PyTorch, rather than silently using freed data.
namespace {
// Note [tensor anomaly mode]: with detect_anomaly on, every recorded op checks its result and
// every backward step the gradients it produced, and the first NaN or Inf throws naming the op.
// The check itself runs tensor ops (so any device can do it) with anomaly mode off.
bool all_finite(const Tensor& t) {
  if (!is_floating(t.dtype()) || t.numel() == 0) return true;
  const detect_anomaly off(false);
  const no_grad guard;
  return std::isfinite(sum(t * 0.0).item());  // inf * 0 and NaN * 0 are NaN
}
}  // namespace

void TensorNode::backward_step() {
  if (grad == nullptr) return;  // nothing flowed here (a branch that does not reach the root)
  KINDLING_CHECK(!saved_freed, "backward of ", op_name(op),
                 ": trying to backward through the graph a second time; its saved tensors were "
                 "freed by the first backward (pass retain_graph = true to keep them)");
  // Gradients are computed with tensor ops, not recorded, unless the pass records them (Note
  // [create_graph] in autograd.cpp).
  const detail::GradModeScope mode(detail::creating_graph && detail::backward_records);
  if (detail::hooks_registered.load(std::memory_order_relaxed)) [[unlikely]] {
    if (detail::NodeAccess::has_grad_hooks(*this)) detail::NodeAccess::run_grad_hooks(*this);
  }
  const Tensor g = Tensor::from_node(grad);
  // The ops of a backward step are checked as one, below, so the error names this node's op.
  const bool anomaly = is_anomaly_enabled();
  const detect_anomaly off(false);
  if (const testing::ReplaceBackward* r = detail::replaced_backward(op)) [[unlikely]] {
    detail::NodeAccess::run_replacement(*this, g, *r);
  } else {
    switch (op) {
#define KINDLING_X(name, ...)          \
  case TensorOp::name:                 \
    detail::name##_backward(*this, g); \
    break;
      KINDLING_TENSOR_PRIMITIVES(KINDLING_X)
#undef KINDLING_X
      default:
        assert(false && "only primitives become graph nodes");
    }
  }
  if (anomaly && all_finite(g)) [[unlikely]] {
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      KINDLING_CHECK(!inputs[i]->grad || all_finite(Tensor::from_node(inputs[i]->grad)),
                     "backward of ", op_name(op), ": gradient of input ", i, " (shape ",
                     shape_string(inputs[i]->shape),
                     ") is not finite although the upstream gradient is finite");
    }
  }
}

void TensorNode::seed_grad() {
  detail::accumulate_grad(this, ones(shape, dtype, device()));
}

void TensorNode::clear_grad() noexcept {
  if (grad) engine::release(grad);
  grad = nullptr;
}

std::vector<std::string> TensorNode::dot_fields() const {
  return {extras ? extras->label : std::string{},
          shape_string(shape) + " " + std::string(dtype_name(dtype)),
          grad ? "grad " + shape_string(grad->shape) : "no grad"};
}

std::string TensorNode::dot_op() const {
  return op == TensorOp::leaf ? std::string{} : std::string(op_label(op));
}

// ---- the test seam (kindling/tensor/testing.hpp) -----------------------------------------------

namespace {
thread_local const testing::ReplaceBackward* active_replacement = nullptr;
}  // namespace

testing::ReplaceBackward::ReplaceBackward(TensorOp op, Backward backward)
    : op_(op), backward_(std::move(backward)), previous_(active_replacement) {
  active_replacement = this;
}

testing::ReplaceBackward::~ReplaceBackward() {
  active_replacement = previous_;
}

const testing::ReplaceBackward* detail::replaced_backward(TensorOp op) noexcept {
  for (const testing::ReplaceBackward* r = active_replacement; r != nullptr; r = r->previous())
    if (r->op() == op) return r;
  return nullptr;
}

void detail::NodeAccess::run_replacement(TensorNode& node, const Tensor& grad,
                                         const testing::ReplaceBackward& replacement) {
  std::vector<Tensor> inputs;
  for (std::size_t i = 0; i < node.inputs.size(); ++i)
    inputs.push_back(input(node, i));
  const std::vector<Tensor> contributions = replacement.backward()(grad, inputs);
  KINDLING_CHECK(contributions.size() == node.inputs.size(), "backward of ", op_name(node.op),
                 " (replaced): ", contributions.size(), " gradients for ", node.inputs.size(),
                 " inputs");
  for (std::size_t i = 0; i < contributions.size(); ++i)
    if (contributions[i].defined()) give(node, i, contributions[i]);
}

// ---- the handle --------------------------------------------------------------------------------

void Tensor::throw_undefined(const char* method) {
  detail::throw_error(method,
                      ": the tensor is undefined (a default-constructed Tensor, or grad() before "
                      "any backward)");
}

Tensor Tensor::from_node(TensorNode* node) {
  KINDLING_CHECK(node != nullptr, "Tensor::from_node: null node");
  Tensor t;
  t.node_ = engine::NodeRef<TensorNode>(node);
  return t;
}

std::int64_t Tensor::size(std::int64_t axis) const {
  const Shape& s = checked_node("size").shape;
  return s[static_cast<std::size_t>(
      detail::normalize_axis(axis, static_cast<std::int64_t>(s.size()), "size"))];
}

bool Tensor::is_contiguous() const {
  const TensorNode& n = checked_node("is_contiguous");
  // An empty tensor has no element to misplace (as in PyTorch), and its other dimensions may be
  // so large that the running product below would overflow.
  if (shape_numel(n.shape) == 0) return true;
  std::int64_t expected = 1;
  for (std::size_t d = n.shape.size(); d-- > 0;) {
    if (n.shape[d] != 1 && n.strides[d] != expected) return false;
    expected *= n.shape[d];  // a prefix of numel, so it fits
  }
  return true;
}

void* Tensor::raw_data() const {
  return checked_node("raw_data").strided_view().data;
}

template <class T>
T* Tensor::data() const {
  checked_node("data");
  KINDLING_CHECK(dtype() == dtype_of<T>(), "data: the tensor is ", dtype_name(dtype()),
                 ", asked for ", dtype_name(dtype_of<T>()));
  KINDLING_CHECK(device().type == DeviceType::cpu, "data: the tensor is on ", to_string(device()));
  KINDLING_CHECK(is_contiguous(), "data: the tensor of shape ", shape_string(shape()),
                 " is not contiguous (call contiguous() first)");
  return static_cast<T*>(raw_data());
}
template float* Tensor::data<float>() const;
template double* Tensor::data<double>() const;
template std::int64_t* Tensor::data<std::int64_t>() const;
template bool* Tensor::data<bool>() const;

template <class T>
std::vector<T> Tensor::to_vector() const {
  checked_node("to_vector");
  const no_grad guard;
  const Tensor host = kindling::contiguous(kindling::cast(*this, dtype_of<T>()));
  std::vector<T> out(static_cast<std::size_t>(host.numel()));
  detail::kernels_of(host).copy_to_host(host.device(), out.data(), host.raw_data(),
                                        out.size() * sizeof(T));
  return out;
}
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;
template std::vector<std::int64_t> Tensor::to_vector<std::int64_t>() const;
// std::vector<bool> packs its bits, so it has no data() to copy into: unpacked from bytes.
template <>
std::vector<bool> Tensor::to_vector<bool>() const {
  const no_grad guard;
  const Tensor host = kindling::contiguous(kindling::cast(*this, DType::bool_)).to(kCPU);
  const bool* p = static_cast<const bool*>(host.raw_data());
  return std::vector<bool>(p, p + host.numel());
}

double Tensor::item() const {
  checked_node("item");
  KINDLING_CHECK(numel() == 1, "item: the tensor has shape ", shape_string(shape()), " (", numel(),
                 " elements), not one element");
  return to_vector<double>()[0];
}

Tensor& Tensor::set_requires_grad(bool requires_grad) {
  checked_node("set_requires_grad");
  KINDLING_CHECK(is_leaf(), "set_requires_grad: only leaves can change it; this tensor came from ",
                 op_name(op()), " (use detach())");
  KINDLING_CHECK(!requires_grad || is_floating(dtype()),
                 "set_requires_grad: only floating-point tensors can require grad, not ",
                 dtype_name(dtype()));
  node_->requires_grad = requires_grad;
  return *this;
}

Tensor Tensor::grad() const {
  const TensorNode& n = checked_node("grad");
  return n.grad ? from_node(n.grad) : Tensor{};
}

Tensor Tensor::detach() const {
  const TensorNode& n = checked_node("detach");
  return detail::make_view(*this, n.shape, n.strides, n.offset);
}

const std::string& Tensor::label() const {
  static const std::string empty;
  const TensorNode& n = checked_node("label");
  return n.extras ? n.extras->label : empty;
}

Tensor& Tensor::set_label(std::string label) {
  TensorNode& n = checked_node("set_label");
  if (!n.extras) {
    if (label.empty()) return *this;
    n.extras = std::make_unique<TensorNode::Extras>();
  }
  n.extras->label = std::move(label);
  return *this;
}

std::vector<Tensor> Tensor::inputs() const {
  const TensorNode& n = checked_node("inputs");
  std::vector<Tensor> out;
  out.reserve(n.inputs.size());
  for (TensorNode* in : n.inputs)
    out.push_back(from_node(in));
  return out;
}

Tensor& Tensor::claim_scope() {
  TensorNode& n = checked_node("claim_scope");
  KINDLING_CHECK(n.inputs.empty(),
                 "claim_scope: only leaves take a scope this way; this tensor "
                 "came from ",
                 op_name(n.op), " and has the scope it was made in");
  if (!n.scope) n.scope = engine::NameScope::current();
  return *this;
}

namespace {
// The leaves with hooks in a backward pass (Note [tensor hooks]): their grad is set aside before
// the sweep, so that the sweep sums this pass's gradient alone. sweep() runs the backward steps
// and merges each such leaf as soon as its gradient is complete: it runs the leaf's gradient
// hooks on that sum, adds it to what was set aside, and runs the post-accumulate hooks. If the
// sweep throws, the destructor puts back the set-aside grads of the leaves not merged yet.
class HookedLeaves {
 public:
  HookedLeaves() = default;
  HookedLeaves(const HookedLeaves&) = delete;
  HookedLeaves& operator=(const HookedLeaves&) = delete;
  ~HookedLeaves() {
    for (const Held& h : held_)
      if (h.leaf != nullptr) detail::NodeAccess::restore_grad(*h.leaf, h.before);
  }
  void set_aside(std::span<TensorNode* const> order) {
    for (TensorNode* node : order) {
      if (node->parents().empty() && detail::NodeAccess::hooks_of(*node) != nullptr)
        held_.push_back({node, detail::NodeAccess::take_grad(*node), -1});
    }
  }
  // Note [hooks during the sweep]
  // A leaf's gradient is complete once the last of its users has run its step: the user at the
  // lowest position of `order`, as the sweep goes from the end down. The leaf is merged right
  // after that step, so its post-accumulate hooks run while the rest of the pass is still to
  // come, as PyTorch's AccumulateGrad node does; kindling::dist starts a gradient bucket's
  // all-reduce there and overlaps it with the remaining backward steps. A leaf no interior node
  // uses (the root itself) is merged after the last step. The steps are the ones
  // engine::reverse_sweep runs, in its order; it counts as one sweep.
  void sweep(std::span<TensorNode* const> order) {
    std::unordered_map<const TensorNode*, std::size_t> index;
    for (std::size_t k = 0; k < held_.size(); ++k)
      index.emplace(held_[k].leaf, k);
    for (std::size_t i = 0; i < order.size(); ++i) {  // increasing: the first user found is last
      for (TensorNode* parent : order[i]->parents()) {
        const auto found = index.find(parent);
        if (found != index.end() && held_[found->second].complete_after < 0)
          held_[found->second].complete_after = static_cast<std::int64_t>(i);
      }
    }
    std::vector<std::size_t> by_completion(held_.size());
    for (std::size_t k = 0; k < by_completion.size(); ++k)
      by_completion[k] = k;
    std::stable_sort(by_completion.begin(), by_completion.end(), [&](std::size_t a, std::size_t b) {
      return held_[a].complete_after > held_[b].complete_after;
    });
    ++engine::reverse_sweep_count();
    std::size_t next = 0;  // into by_completion
    for (std::int64_t i = static_cast<std::int64_t>(order.size()) - 1; i >= 0; --i) {
      TensorNode* node = order[static_cast<std::size_t>(i)];
      if (!node->parents().empty()) node->backward_step();
      while (next < by_completion.size() && held_[by_completion[next]].complete_after == i)
        merge(held_[by_completion[next++]]);
    }
    while (next < by_completion.size())
      merge(held_[by_completion[next++]]);
  }

 private:
  struct Held {
    TensorNode* leaf;             // null once merged
    TensorNode* before;           // its grad before the pass
    std::int64_t complete_after;  // the position in order of its last user; -1 for none
  };
  static void merge(Held& h) {
    TensorNode* leaf = std::exchange(h.leaf, nullptr);
    detail::NodeAccess::merge_pass_grad(*leaf, h.before);
  }
  std::vector<Held> held_;
};
}  // namespace

void HookHandle::remove() const {
  detail::NodeAccess::remove_hook(*this);  // by id: a second call finds nothing to remove
}

HookHandle Tensor::register_hook(GradHook hook) const {
  const TensorNode& n = checked_node("register_hook");
  KINDLING_CHECK(n.requires_grad, "register_hook: the tensor of shape ", shape_string(n.shape),
                 " does not require grad, so no gradient reaches it");
  KINDLING_CHECK(static_cast<bool>(hook), "register_hook: the hook is empty");
  return detail::NodeAccess::add_hook(*this, std::move(hook), {});
}

HookHandle Tensor::register_post_accumulate_grad_hook(PostAccumulateGradHook hook) const {
  const TensorNode& n = checked_node("register_post_accumulate_grad_hook");
  KINDLING_CHECK(n.requires_grad, "register_post_accumulate_grad_hook: the tensor of shape ",
                 shape_string(n.shape), " does not require grad, so no gradient reaches it");
  KINDLING_CHECK(n.inputs.empty(), "register_post_accumulate_grad_hook: only leaves accumulate a ",
                 "grad; this tensor (shape ", shape_string(n.shape), ") came from ", op_name(n.op));
  KINDLING_CHECK(static_cast<bool>(hook), "register_post_accumulate_grad_hook: the hook is empty");
  return detail::NodeAccess::add_hook(*this, {}, std::move(hook));
}

void Tensor::retain_grad() const {
  TensorNode& n = checked_node("retain_grad");
  KINDLING_CHECK(n.requires_grad, "retain_grad: the tensor of shape ", shape_string(n.shape),
                 " does not require grad");
  if (n.inputs.empty()) return;  // a leaf keeps its grad anyway
  if (!n.extras) n.extras = std::make_unique<TensorNode::Extras>();
  n.extras->retains_grad = true;
}

bool Tensor::retains_grad() const {
  return detail::NodeAccess::retains_grad(checked_node("retains_grad"));
}

void Tensor::backward(const Tensor& gradient, std::optional<bool> retain_graph,
                      bool create_graph) const {
  checked_node("backward");
  KINDLING_CHECK(requires_grad(), "backward: the tensor of shape ", shape_string(shape()),
                 " does not require grad (no input of its graph does)");
  if (gradient.defined()) {
    KINDLING_CHECK(gradient.shape() == shape(), "backward: the gradient has shape ",
                   shape_string(gradient.shape()), " but the tensor has shape ",
                   shape_string(shape()));
    KINDLING_CHECK(gradient.device() == device(), "backward: the gradient is on ",
                   to_string(gradient.device()), " but the tensor is on ", to_string(device()));
  } else {
    KINDLING_CHECK(numel() == 1, "backward: the tensor has shape ", shape_string(shape()),
                   "; a non-scalar root needs an explicit gradient of that shape");
  }
  const bool retain = retain_graph.value_or(create_graph);
  std::vector<TensorNode*> order;
  engine::begin_backward(node_.get(), order);
  const detail::CreateGraphScope recording(create_graph);
  HookedLeaves hooked;
  const bool hooks = detail::hooks_registered.load(std::memory_order_relaxed);
  if (hooks) [[unlikely]]
    hooked.set_aside(order);
  if (gradient.defined()) {
    // Under create_graph the seed keeps its own graph (a gradient that depends on parameters).
    const detail::GradModeScope mode(create_graph && is_grad_enabled());
    detail::accumulate_grad(node_.get(),
                            cast(create_graph ? gradient : gradient.detach(), dtype()));
  } else {
    node_->seed_grad();
  }
  if (hooks) [[unlikely]]
    hooked.sweep(order);  // Note [hooks during the sweep]
  else
    engine::reverse_sweep<TensorNode>(order);
  if (create_graph) [[unlikely]] {
    // The interior grads are graphs that reach back through the nodes holding them: kept, they
    // would be reference cycles (Note [create_graph]). Only retain_grad() keeps one.
    for (TensorNode* n : order)
      if (!n->inputs.empty() && !detail::NodeAccess::retains_grad(*n)) n->clear_grad();
  }
  if (!retain) {
    for (TensorNode* n : order)
      if (!n->inputs.empty()) detail::NodeAccess::free_saved(*n);
  }
}

Tensor Tensor::to(DType d) const {
  checked_node("to");
  return kindling::cast(*this, d);
}
Tensor Tensor::clone() const {
  checked_node("clone");
  // contiguous() returns the tensor itself when it already is; clone always copies.
  const Tensor fresh = detail::empty(shape(), dtype(), device(), "clone");
  detail::kernels_of(*this).copy(strided_view(), fresh.strided_view());
  return detail::record(TensorOp::contiguous, fresh, {this});
}

// ---- moving a leaf between devices -------------------------------------------------------------

void move_to_device(const Tensor& t, Device device) {
  detail::NodeAccess::move_to_device(t, device);
}

void detail::NodeAccess::move_to_device(const Tensor& t, Device device) {
  KINDLING_CHECK(t.defined(), "move_to_device(", to_string(device), "): the tensor is undefined");
  if (t.device() == device) return;
  KINDLING_CHECK(t.is_leaf(), "move_to_device(", to_string(device),
                 "): only leaves can move, got a result of ", op_name(t.op()), " of shape ",
                 shape_string(t.shape()));
  KINDLING_CHECK(kernels::has_kernels(device.type), "move_to_device(", to_string(device),
                 "): no kernels are registered for that device (is the gpu module linked and a "
                 "device present?)");
  const no_grad guard;
  const Tensor moved = t.detach().to(device);
  t.zero_grad();
  TensorNode* node = t.node();
  const std::shared_ptr<Storage> old = std::move(node->storage);
  node->storage = moved.node()->storage;
  node->strides = moved.strides();
  node->offset = 0;
  // A graph that used t recorded the old storage's version; the new one must not match it.
  node->storage->version_.store(old->version() + 1, std::memory_order_relaxed);
}

// ---- recording and accumulation ----------------------------------------------------------------

Tensor empty(const Shape& shape, DType dtype, Device device, std::string_view op) {
  KINDLING_CHECK(shape.size() <= static_cast<std::size_t>(kMaxDims), op, ": shape ",
                 shape_string(shape), " has ", shape.size(), " dimensions; at most ", kMaxDims,
                 " are supported");
  // Negative sizes, and element or byte counts past int64, throw here naming `op`.
  const std::size_t bytes = checked_nbytes(shape, dtype, op);
  std::shared_ptr<Storage> storage;
  try {
    storage = std::make_shared<Storage>(bytes, device);
  } catch (const error& e) {
    // The device's "out of memory allocating N bytes ..." (or another failure), with the op and
    // the shape that asked for it.
    detail::throw_error(op, ": cannot allocate shape ", shape_string(shape), " of ",
                        dtype_name(dtype), " (", bytes, " bytes): ", e.what());
  } catch (const std::bad_alloc&) {
    detail::throw_error(op, ": out of memory allocating ", bytes, " bytes for shape ",
                        shape_string(shape), " of ", dtype_name(dtype));
  }
  return detail::leaf_over(std::move(storage), shape, dtype);
}

namespace detail {

Tensor NodeAccess::leaf_over(std::shared_ptr<Storage> storage, const Shape& shape, DType dtype) {
  TensorNode* node = new_node();
  Tensor t = Tensor::from_node(node);
  node->shape = shape;
  node->strides = contiguous_strides(shape);
  node->dtype = dtype;
  node->storage = std::move(storage);
  return t;
}

Tensor NodeAccess::make_view(const Tensor& base, Shape shape, Shape strides, std::int64_t offset) {
  KINDLING_CHECK(shape.size() <= static_cast<std::size_t>(kMaxDims), "view: ", shape.size(),
                 " dimensions; at most ", kMaxDims, " are supported");
  TensorNode* node = new_node();
  Tensor t = Tensor::from_node(node);
  node->storage = base.node()->storage;
  node->shape = std::move(shape);
  node->strides = std::move(strides);
  node->offset = offset;
  node->dtype = base.dtype();
  return t;
}

Tensor NodeAccess::output_value(const TensorNode& node) {
  check_version(node, 0, node);
  if (creating_graph) [[unlikely]]
    return Tensor::from_node(const_cast<TensorNode*>(&node));  // Note [create_graph]
  return make_view(Tensor::from_node(const_cast<TensorNode*>(&node)), node.shape, node.strides,
                   node.offset);
}

Tensor NodeAccess::saved(const TensorNode& node, std::size_t i) {
  assert(i < node.saved.size());
  check_version(node, 1 + node.inputs.size() + i, *node.saved[i]);
  return Tensor::from_node(node.saved[i]);
}

// Note [version counters]
// Every Storage counts the in-place writes it has seen (Storage::version, shared by all views of
// it, as PyTorch's version counter). Writes that bump it: Tensor::copy_, fill_ and zero_ (Note
// [in-place writes]), and so nn's copy_into, fill_into and assign_host (init, load_state_dict,
// BatchNorm's running statistics, gradient clipping); optimizer steps (fused or not),
// move_to_device, gradient accumulation into an existing grad buffer, and gradcheck's
// perturbations. Code that writes through data<T>() or raw_data() calls Tensor::bump_version()
// itself; NumPy writes through numpy()'s view are not seen, as in PyTorch.
//   record() keeps the version of the output, of every input and of every saved tensor. A backward
// reads tensor data only through output_value(), input() and saved(), and each compares the
// version it finds with the recorded one: a tensor changed in place after the op used it would
// give a silently wrong gradient, so backward throws, naming the op and the tensor. Inputs that a
// backward does not read (add's, the views') may change freely, as in PyTorch, and shapes and
// dtypes (node.inputs[i]->shape) are read without the check: an in-place write cannot change them.
void NodeAccess::throw_modified(const TensorNode& node, std::size_t slot,
                                const TensorNode& tensor) {
  const std::size_t n_inputs = node.inputs.size();
  const std::string what = slot == 0 ? std::string("its output")
                           : slot <= n_inputs
                               ? "input " + std::to_string(slot - 1)
                               : "saved tensor " + std::to_string(slot - 1 - n_inputs);
  throw_error(op_name(node.op), " saved a tensor that was modified in place after it was saved (",
              what, " of shape ", shape_string(tensor.shape), ": version ",
              tensor.storage->version(), ", expected ", node.versions[slot],
              "); the gradient would be wrong. Make the in-place write (copy_, fill_, an "
              "optimizer step, ...) after backward, or on a clone");
}

// Note [gradient contract]
// Each contribution a backward gives an input must have that input's shape, dtype and device:
// accumulate_grad adds it into the input's grad without looking, and an optimizer steps with it.
// give() checks all three, in Release too (it is three comparisons per contribution), so a wrong
// backward (a new op's, a device's kernel) fails at once, naming the op and the input, rather
// than broadcasting or casting into a wrong grad, as PyTorch's validate_outputs does.
void NodeAccess::throw_bad_contribution(const TensorNode& node, std::size_t i,
                                        const Tensor& contribution) {
  const TensorNode& in = *node.inputs[i];
  const std::string head = "backward of " + std::string(op_name(node.op)) +
                           ": the gradient for input " + std::to_string(i);
  KINDLING_CHECK(contribution.defined(), head, " is undefined");
  KINDLING_CHECK(contribution.shape() == in.shape, head, " has shape ",
                 shape_string(contribution.shape()), " but the input has shape ",
                 shape_string(in.shape));
  KINDLING_CHECK(contribution.dtype() == in.dtype, head, " is ", dtype_name(contribution.dtype()),
                 " but the input is ", dtype_name(in.dtype));
  KINDLING_CHECK(contribution.device() == in.device(), head, " is on ",
                 to_string(contribution.device()), " but the input is on ", to_string(in.device()));
  throw_error(head, " breaks the gradient contract");  // unreachable: the caller saw a mismatch
}

// The one body behind both record() overloads: the anomaly check, then the node's op, inputs,
// scope, parameters and saved tensors.
Tensor NodeAccess::record(TensorOp op, Tensor result, std::span<const Tensor* const> inputs,
                          OpParams params, std::vector<Tensor> saved_tensors) {
  if (forward_mode_on) [[unlikely]] {
    // Note [forward mode]: the op is recorded as usual, then its result gets its tangent (after
    // recording, so a rule that reads the result reads the graph node).
    const OpParams kept_params = params;
    const std::vector<Tensor> kept_saved = saved_tensors;
    Tensor recorded;
    {
      const ForwardModePause pause;
      recorded = record(op, std::move(result), inputs, std::move(params), std::move(saved_tensors));
    }
    record_tangent(op, recorded, inputs, kept_params, kept_saved);
    return recorded;
  }
  if (is_anomaly_enabled()) [[unlikely]] {
    std::string shapes;
    for (const Tensor* in : inputs) {
      shapes += shapes.empty() ? "" : " and ";
      shapes += shape_string(in->shape());
    }
    KINDLING_CHECK(all_finite(result), op_name(op), ": the result is not finite (NaN or Inf) for ",
                   "inputs of shape ", shapes);
  }
  if (!is_grad_enabled()) return result;
  bool any = false;
  for (const Tensor* in : inputs)
    any = any || in->requires_grad();
  if (!any) return result;
  TensorNode* node = result.node();
  assert(node->inputs.empty());
  node->op = op;
  node->requires_grad = true;
  node->sequence_ =
      engine::next_creation_sequence();  // after every input's (Note [creation order])
  node->scope = engine::NameScope::current();
  node->inputs.reserve(inputs.size());
  for (const Tensor* in : inputs) {
    node->inputs.push_back(in->node());
    engine::retain(in->node());
  }
  if (!std::holds_alternative<std::monostate>(params)) {
    if (!node->extras) node->extras = std::make_unique<TensorNode::Extras>();
    node->extras->params = std::move(params);
  }
  node->saved.reserve(saved_tensors.size());
  for (const Tensor& s : saved_tensors) {
    const Tensor leaf = s.detach();
    node->saved.push_back(leaf.node());
    engine::retain(leaf.node());
  }
  // Note [version counters]: what backward will compare against.
  node->versions.reserve(1 + node->inputs.size() + node->saved.size());
  node->versions.push_back(node->storage->version());
  for (const TensorNode* in : node->inputs)
    node->versions.push_back(in->storage->version());
  for (const TensorNode* s : node->saved)
    node->versions.push_back(s->storage->version());
  return result;
}

Tensor record_inputs(TensorOp op, Tensor result, const std::vector<Tensor>& inputs,
                     OpParams params) {
  std::vector<const Tensor*> pointers;
  pointers.reserve(inputs.size());
  for (const Tensor& in : inputs)
    pointers.push_back(&in);
  return NodeAccess::record(op, std::move(result), pointers, std::move(params), {});
}

// Note [gradients accumulate]
// A node's grad is the sum of every contribution its children give, in whatever order the sweep
// reaches them (b = a + a gives a.grad == 2).
//   Leaves (the grads users read and optimizers step with) always own a contiguous buffer: the
//   first contribution is adopted when nothing else can see it (a fresh contiguous temporary),
//   else copied; later ones are added in place.
//   Interior grads are read only by their node's backward, which takes any layout: the first
//   contribution is adopted as it is, even a view shared with another grad (add hands one g to
//   both inputs; expand hands a stride-0 view). A later contribution is then added in place only
//   if the held buffer is exclusively its own, and otherwise into a fresh buffer, so a shared one
//   is never written. This saves a copy kernel per shared or strided grad, which on a GPU is a
//   launch: several per layer of an MLP step.
// Whether t's buffer is contiguous and seen by nothing but the `handles` references to its node.
bool NodeAccess::exclusive_contiguous(const Tensor& t, std::uint32_t handles) {
  const TensorNode* n = t.node();
  return n->ref_count == handles && n->storage.use_count() == 1 && n->offset == 0 &&
         n->inputs.empty() && t.is_contiguous();
}

void NodeAccess::accumulate_grad(TensorNode* node, Tensor contribution) {
  // give() checked the contribution (Note [gradient contract]); the root's seed is made to fit.
  assert(contribution.shape() == node->shape);
  assert(contribution.dtype() == node->dtype);
  if (creating_graph) [[unlikely]] {
    accumulate_recorded(node, std::move(contribution));
    return;
  }
  // Backward runs under no_grad, so a contribution is never itself part of the graph.
  assert(contribution.node()->inputs.empty());
  const bool leaf = node->inputs.empty() && !returning_grads;
  if (node->grad == nullptr) {
    const bool adopt = !leaf || exclusive_contiguous(contribution, 1);
    Tensor owned = adopt ? contribution : empty(node->shape, node->dtype, node->device());
    if (!adopt) kernels_of(owned).copy(contribution.strided_view(), owned.strided_view());
    owned.node()->requires_grad = false;
    node->grad = owned.node();
    engine::retain(node->grad);
    return;
  }
  const Tensor held = Tensor::from_node(node->grad);
  // The node and `held` are the two references an exclusively held grad has here. A leaf's grad
  // that a create_graph pass recorded is a graph node: never written in place.
  if ((leaf && !node->grad->requires_grad) || exclusive_contiguous(held, 2)) {
    const kernels::StridedView acc = node->grad->strided_view();
    kernels_of(contribution)
        .binary(kernels::BinaryKernel::add, acc, contribution.strided_view(), acc);
    node->grad->storage
        ->bump_version();  // a graph may have used the grad (Note [version counters])
    return;
  }
  Tensor sum = empty(node->shape, node->dtype, node->device());
  kernels_of(sum).binary(kernels::BinaryKernel::add, held.strided_view(),
                         contribution.strided_view(), sum.strided_view());
  sum.node()->requires_grad = false;
  engine::release(node->grad);
  node->grad = sum.node();
  engine::retain(node->grad);
}

// Under create_graph (Note [create_graph]): out of place and recorded, grad = grad + g, as
// PyTorch accumulates then. A leaf's first gradient is adopted only when nothing else can see
// its buffer (a later first-order pass adds into a leaf's grad in place), else cloned, in the
// graph.
void NodeAccess::accumulate_recorded(TensorNode* node, Tensor contribution) {
  const enable_grad recording;
  if (node->grad == nullptr) {
    const TensorNode* c = contribution.node();
    const bool own = c->ref_count == 1 && c->storage.use_count() == 1 && c->offset == 0 &&
                     contribution.is_contiguous();
    Tensor owned = !node->inputs.empty() || own || returning_grads ? std::move(contribution)
                                                                   : contribution.clone();
    node->grad = owned.node();
    engine::retain(node->grad);
    return;
  }
  Tensor sum = Tensor::from_node(node->grad) + contribution;
  engine::release(node->grad);
  node->grad = sum.node();
  engine::retain(node->grad);
}

void NodeAccess::free_saved(TensorNode& node) noexcept {
  for (TensorNode* s : node.saved)
    engine::release(s);
  node.saved.clear();
  node.saved_freed = true;
}

TensorNode* NodeAccess::take_grad(TensorNode& node) noexcept {
  return std::exchange(node.grad, nullptr);
}

void NodeAccess::restore_grad(TensorNode& node, TensorNode* before) noexcept {
  if (node.grad) engine::release(node.grad);
  node.grad = before;
}

void NodeAccess::merge_pass_grad(TensorNode& leaf, TensorNode* before) {
  if (leaf.grad == nullptr) {  // nothing reached the leaf in this pass: no hooks run
    leaf.grad = before;
    return;
  }
  if (has_grad_hooks(leaf)) run_grad_hooks(leaf);
  const Tensor pass = Tensor::from_node(leaf.grad);
  engine::release(leaf.grad);
  leaf.grad = before;
  accumulate_grad(&leaf, pass);
  if (const TensorHooks* h = hooks_of(leaf); h != nullptr && !h->post_accumulate_hooks.empty())
    run_post_accumulate_hooks(leaf);
}

// ---- hooks -------------------------------------------------------------------------------------

// Note [tensor hooks]
// PyTorch's three, stored in the node's Extras (a small node does not grow):
//   register_hook(fn): fn(grad) runs on the gradient reaching the tensor in each backward pass,
//     once it is complete: for an interior tensor just before its node's backward step, for a
//     leaf on the sum of that pass's contributions, before it is added to .grad (so a leaf's
//     .grad accumulates what the hooks return). A defined return replaces the gradient; hooks
//     run in registration order, each on the previous one's result. kindling::grad runs them too
//     (on the inputs' gradients as well), as torch.autograd.grad does.
//   register_post_accumulate_grad_hook(fn), leaves only: fn(leaf) after the pass has added to
//     leaf.grad, as soon as the leaf's last user has run its step (Note [hooks during the
//     sweep]), where a data-parallel step starts its all-reduce.
//   retain_grad(): interior grads are kept after a first-order backward anyway (Note [what a
//     second backward does]); after a create_graph one they are dropped (Note [create_graph]),
//     except on the tensors marked here.
// Each register_* returns a HookHandle, whose remove() takes the hook off. Hooks run with the
// pass's grad mode (off, or on under create_graph); without create_graph, a hook's result is
// detached. Until the first hook is registered in the process, backward does not look for them.
HookHandle NodeAccess::add_hook(const Tensor& t, GradHook grad_hook,
                                PostAccumulateGradHook post_hook) {
  TensorNode& node = *t.node();
  if (!node.extras) node.extras = std::make_unique<TensorNode::Extras>();
  if (!node.extras->hooks) node.extras->hooks = std::make_shared<TensorHooks>();
  TensorHooks& hooks = *node.extras->hooks;
  HookHandle handle;
  handle.hooks_ = node.extras->hooks;
  handle.id_ = hooks.next_id++;
  if (grad_hook) hooks.grad_hooks.emplace_back(handle.id_, std::move(grad_hook));
  if (post_hook) hooks.post_accumulate_hooks.emplace_back(handle.id_, std::move(post_hook));
  hooks_registered.store(true, std::memory_order_relaxed);
  return handle;
}

void NodeAccess::remove_hook(const HookHandle& handle) {
  const std::shared_ptr<TensorHooks> hooks = handle.hooks_.lock();
  if (!hooks) return;
  std::erase_if(hooks->grad_hooks, [&](const auto& h) { return h.first == handle.id_; });
  std::erase_if(hooks->post_accumulate_hooks, [&](const auto& h) { return h.first == handle.id_; });
}

void NodeAccess::run_grad_hooks(TensorNode& node) {
  assert(node.grad != nullptr && node.extras && node.extras->hooks);
  // A copy: a hook may add or remove hooks.
  const auto hooks = node.extras->hooks->grad_hooks;
  Tensor g = Tensor::from_node(node.grad);
  for (const auto& [id, hook] : hooks) {
    Tensor replaced = hook(g);
    if (!replaced.defined()) continue;
    KINDLING_CHECK(replaced.shape() == node.shape && replaced.dtype() == node.dtype &&
                       replaced.device() == node.device(),
                   "register_hook: a hook on the tensor of shape ", shape_string(node.shape), " (",
                   dtype_name(node.dtype), ", ", to_string(node.device()),
                   ") returned a gradient of shape ", shape_string(replaced.shape()), " (",
                   dtype_name(replaced.dtype()), ", ", to_string(replaced.device()),
                   "); it must match the tensor");
    g = creating_graph ? std::move(replaced) : replaced.detach();
  }
  if (g.node() == node.grad) return;
  engine::retain(g.node());
  engine::release(node.grad);
  node.grad = g.node();
}

void NodeAccess::run_post_accumulate_hooks(TensorNode& node) {
  const auto hooks = node.extras->hooks->post_accumulate_hooks;
  const Tensor leaf = Tensor::from_node(&node);
  for (const auto& [id, hook] : hooks)
    hook(leaf);
}

}  // namespace detail

}  // namespace kindling

// ---- device copies (added for the gpu module) --------------------------------------------------

namespace kindling {

// Note [device copies]
// to(device) makes a contiguous copy on the source device, then moves its bytes with one
// kernel-table entry: copy_from_host or copy_to_host when one side is the CPU, copy_peer between
// two devices of one type (cuda:0 -> cuda:1 directly). Every KernelTable knows the host and its
// own devices, so no pair of devices needs a path of its own. It is not a graph op (no primitive
// has a cross-device backward yet): a tensor with a graph behind it must be detached first, rather
// than silently losing its gradient.
Tensor Tensor::to(Device device) const {
  if (checked_node("to").device() == device) return *this;
  KINDLING_CHECK(is_leaf() || !requires_grad() || !is_grad_enabled(), "to(", to_string(device),
                 "): the tensor of shape ", shape_string(shape()), " on ",
                 to_string(this->device()), " came from ", op_name(op()),
                 " and requires grad; moving it between devices is not differentiable (move the "
                 "leaves, or detach() it)");
  const no_grad guard;
  const Tensor src = kindling::contiguous(*this);
  const std::size_t bytes = static_cast<std::size_t>(numel()) * dtype_size(dtype());
  Tensor out = detail::empty(shape(), dtype(), device, "to");
  const kernels::KernelTable& from = detail::kernels_of(src);
  const kernels::KernelTable& to = detail::kernels_of(out);
  if (src.device().type == DeviceType::cpu) {
    to.copy_from_host(device, out.raw_data(), src.raw_data(), bytes);
  } else if (device.type == DeviceType::cpu) {
    from.copy_to_host(src.device(), out.raw_data(), src.raw_data(), bytes);
  } else if (device.type == src.device().type) {
    from.copy_peer(device, out.raw_data(), src.device(), src.raw_data(), bytes);
  } else {  // two device types: through the host (no such pair exists yet)
    std::vector<unsigned char> host(bytes);
    from.copy_to_host(src.device(), host.data(), src.raw_data(), bytes);
    to.copy_from_host(device, out.raw_data(), host.data(), bytes);
  }
  if (is_leaf() && requires_grad()) out.node()->requires_grad = true;
  return out;
}

// Note [in-place writes]
// copy_, fill_ and zero_ are the public in-place writes; nn's copy_into and fill_into (parameters,
// optimizer state, loaded weights) are them under no_grad. kindling has no in-place autograd, so a
// write that PyTorch would record (into a tensor that requires grad, or copy_ from one) is refused
// while grad mode is on rather than leaving a graph whose gradients no longer match its values;
// with a leaf the message is PyTorch's. The destination must not be an expanded view (a stride-0
// dimension of size > 1 would be written once per alias, as torch refuses too). A source that
// shares the destination's storage is copied first, so an overlapping copy (x[1:].copy_(x[:-1]))
// reads every value before it is overwritten, as NumPy's assignment does (torch 1.13 refuses the
// contiguous case and gives loop-order garbage for a strided one).
namespace {
void check_in_place_target(const Tensor& dst, const char* who) {
  if (is_grad_enabled() && dst.requires_grad()) {
    KINDLING_CHECK(!dst.is_leaf(), who, ": a leaf tensor that requires grad (shape ",
                   shape_string(dst.shape()),
                   ") is being used in an in-place operation; wrap it in no_grad, or write into "
                   "detach()");
    detail::throw_error(who, ": the tensor of shape ", shape_string(dst.shape()), " came from ",
                        op_name(dst.op()),
                        " and requires grad; in-place writes are not recorded in the graph "
                        "(write under no_grad, into detach(), or make a new tensor)");
  }
  for (std::size_t d = 0; d < dst.shape().size(); ++d)
    KINDLING_CHECK(dst.strides()[d] != 0 || dst.shape()[d] <= 1, who, ": the tensor of shape ",
                   shape_string(dst.shape()), " is an expanded view (dimension ", d,
                   " has stride 0); writing into it would write each element several times; "
                   "clone() it first");
}
}  // namespace

Tensor Tensor::copy_(const Tensor& src) const {
  checked_node("copy_");
  KINDLING_CHECK(src.defined(), "copy_: src is an undefined tensor");
  check_in_place_target(*this, "copy_");
  KINDLING_CHECK(!is_grad_enabled() || !src.requires_grad(), "copy_: src (shape ",
                 shape_string(src.shape()),
                 ") requires grad, and in-place copies are not recorded in the graph; copy "
                 "src.detach(), or copy under no_grad");
  KINDLING_CHECK(broadcast_shapes(shape(), src.shape(), "copy_") == shape(), "copy_: src of shape ",
                 shape_string(src.shape()), " cannot be broadcast to the destination's shape ",
                 shape_string(shape()));
  const no_grad guard;
  Tensor from = src.device() == device() ? src : src.detach().to(device());
  if (from.shares_storage(*this)) from = from.detach().clone();  // contiguous, own storage
  if (from.shape() != shape()) from = kindling::expand(from, shape());
  bump_version();
  detail::kernels_of(*this).copy(from.strided_view(), strided_view());
  return *this;
}

Tensor Tensor::fill_(const Scalar& value) const {
  checked_node("fill_");
  check_in_place_target(*this, "fill_");
  KINDLING_CHECK(fits_dtype(value, dtype()), "fill_: value ", to_string(value),
                 " cannot be converted to ", dtype_name(dtype()), " without overflow");
  // The fill entry takes a double, exact for integers up to 2^53; a larger int64 goes through an
  // exact 0-d tensor instead.
  constexpr std::int64_t kExactInDouble = std::int64_t{1} << 53;
  if (dtype() == DType::int64 && !value.is_floating() &&
      (value.to_int64() > kExactInDouble || value.to_int64() < -kExactInDouble)) {
    const no_grad guard;
    return copy_(full({}, value, DType::int64, device()));
  }
  bump_version();
  detail::kernels_of(*this).fill(strided_view(), value.to_double());
  return *this;
}

Tensor Tensor::zero_() const {
  return fill_(0);
}

Tensor Tensor::put_(const Tensor& index, const Tensor& source) const {
  checked_node("put_");
  KINDLING_CHECK(index.defined() && source.defined(), "put_: index or source is undefined");
  check_in_place_target(*this, "put_");
  KINDLING_CHECK(index.dtype() == DType::int64, "put_: the index must be int64, got ",
                 dtype_name(index.dtype()), " of shape ", shape_string(index.shape()));
  KINDLING_CHECK(index.numel() == source.numel(), "put_: index ", shape_string(index.shape()),
                 " and source ", shape_string(source.shape()),
                 " must have the same number of elements");
  KINDLING_CHECK(!is_grad_enabled() || !source.requires_grad(), "put_: source (shape ",
                 shape_string(source.shape()),
                 ") requires grad, and in-place writes are not recorded in the graph; put "
                 "source.detach(), or write under no_grad");
  const no_grad guard;
  const std::int64_t n = numel();
  std::vector<std::int64_t> positions = index.to_vector<std::int64_t>();
  for (std::int64_t& p : positions) {
    KINDLING_CHECK(p >= -n && p < n, "put_: index ", p, " is out of range for a tensor of ", n,
                   " elements (shape ", shape_string(shape()), ")");
    if (p < 0) p += n;
  }
  // The values in this dtype, in their own memory (the source may share this storage), on the CPU.
  const Tensor values = kindling::cast(source.detach().to(kCPU), dtype()).clone();
  const Tensor target = device() == kCPU ? *this : detach().to(kCPU);
  // The element offset of row-major position p in target's layout.
  auto offset_of = [&target](std::int64_t p) {
    std::int64_t offset = 0;
    for (std::int64_t d = target.dim() - 1; d >= 0; --d) {
      const std::int64_t size = target.shape()[d];
      offset += (p % size) * target.strides()[d];
      p /= size;
    }
    return offset;
  };
  auto write = [&](auto* out, const auto* in) {
    for (std::size_t i = 0; i < positions.size(); ++i)
      out[offset_of(positions[i])] = in[i];
  };
  if (!positions.empty()) {
    switch (dtype()) {
      case DType::float32:
        write(static_cast<float*>(target.raw_data()), values.data<float>());
        break;
      case DType::float64:
        write(static_cast<double*>(target.raw_data()), values.data<double>());
        break;
      case DType::int64:
        write(static_cast<std::int64_t*>(target.raw_data()), values.data<std::int64_t>());
        break;
      case DType::bool_:
        write(static_cast<bool*>(target.raw_data()), values.data<bool>());
        break;
    }
  }
  if (device() == kCPU)
    bump_version();
  else
    copy_(target);  // bumps the version
  return *this;
}

}  // namespace kindling
