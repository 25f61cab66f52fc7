// Helpers shared by the op files: kernel calls that make fresh results, axis normalisation, and
// the accessors a backward step uses. Not installed: only tensor/src sees it.
#pragma once

#include <atomic>
#include <cassert>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "kindling/engine/error.hpp"
#include "kindling/engine/grad_mode.hpp"
#include "kindling/tensor/creation.hpp"
#include "kindling/tensor/kernels.hpp"
#include "kindling/tensor/ops.hpp"
#include "kindling/tensor/tensor.hpp"

namespace kindling::testing {
class ReplaceBackward;
}

namespace kindling::detail {

// Each primitive's backward: reads node.grad (through `grad`) and gives each input that requires
// grad its contribution with give(). Generated from the op table (Note [tensor op table]).
#define KINDLING_X(name, ...) void name##_backward(TensorNode& node, const Tensor& grad);
KINDLING_TENSOR_PRIMITIVES(KINDLING_X)
#undef KINDLING_X

// The public empty (creation.hpp), also reachable as detail::empty in the op files.
using kindling::empty;

// Note [create_graph] (autograd.cpp): true while a backward pass on this thread records its
// gradients. backward_step then runs with grad mode on, output_value() hands out the node itself,
// the fused backward kernels give way to their composite forms, and gradients accumulate out of
// place. One thread-local load where it is read; false outside such a pass.
inline thread_local bool creating_graph = false;
// True while kindling::grad runs a pass on this thread: the leaves' grads are its scratch space,
// returned rather than kept, so they are accumulated as interior grads are (adopted as they come,
// without the copy into a buffer of their own that a kept .grad gets).
inline thread_local bool returning_grads = false;
// With creating_graph: whether the pass records its gradients (grad mode on in each step). A
// pass that only carries tangents through the composite backward (functional::hvp, forward over
// reverse) clears it: the steps run the composite forms, which forward mode differentiates, and
// build no graph.
inline thread_local bool backward_records = true;
// Sets creating_graph for its lifetime.
class CreateGraphScope {
 public:
  explicit CreateGraphScope(bool on) noexcept : previous_(creating_graph) { creating_graph = on; }
  ~CreateGraphScope() { creating_graph = previous_; }
  CreateGraphScope(const CreateGraphScope&) = delete;
  CreateGraphScope& operator=(const CreateGraphScope&) = delete;

 private:
  bool previous_;
};

// Sets grad mode for its lifetime (no_grad and enable_grad fix the value it is set to).
class GradModeScope {
 public:
  explicit GradModeScope(bool enabled) noexcept : previous_(is_grad_enabled()) {
    set_grad_enabled(enabled);
  }
  ~GradModeScope() { set_grad_enabled(previous_); }
  GradModeScope(const GradModeScope&) = delete;
  GradModeScope& operator=(const GradModeScope&) = delete;

 private:
  bool previous_;
};

// A tensor's hooks (Note [tensor hooks] in tensor.cpp), in registration order, each with the id
// its HookHandle removes it by.
struct TensorHooks {
  std::vector<std::pair<std::uint64_t, GradHook>> grad_hooks;
  std::vector<std::pair<std::uint64_t, PostAccumulateGradHook>> post_accumulate_hooks;
  std::uint64_t next_id = 1;
};
// Set once any hook has been registered in the process: until then backward never looks for
// hooks (a relaxed load per pass).
inline std::atomic<bool> hooks_registered{false};

// The only code outside Tensor that reads or writes a TensorNode's private fields: recording,
// accumulation, the accessors a backward uses, and the checks behind them. The op files go
// through the free functions below, so no op touches a field itself.
struct NodeAccess {
  // The body of both record() overloads.
  static Tensor record(TensorOp op, Tensor result, std::span<const Tensor* const> inputs,
                       OpParams params, std::vector<Tensor> saved_tensors);
  static void accumulate_grad(TensorNode* node, Tensor contribution);
  static void accumulate_recorded(TensorNode* node, Tensor contribution);
  // Takes node.grad out of the node (null after), handing its reference to the caller.
  static TensorNode* take_grad(TensorNode& node) noexcept;
  // Drops node.grad's reference and puts `before` (whose reference it takes) in its place.
  static void restore_grad(TensorNode& node, TensorNode* before) noexcept;
  // A leaf whose grad a pass summed alone (HookedLeaves in tensor.cpp): runs its gradient hooks
  // on that sum, adds it to `before` (the grad it had, whose reference this takes), then runs its
  // post-accumulate hooks.
  static void merge_pass_grad(TensorNode& leaf, TensorNode* before);
  static bool exclusive_contiguous(const Tensor& t, std::uint32_t handles);
  static Tensor leaf_over(std::shared_ptr<Storage> storage, const Shape& shape, DType dtype);
  static Tensor make_view(const Tensor& base, Shape shape, Shape strides, std::int64_t offset);
  static Tensor output_value(const TensorNode& node);
  static Tensor saved(const TensorNode& node, std::size_t i);
  static void run_replacement(TensorNode& node, const Tensor& grad,
                              const testing::ReplaceBackward& replacement);
  static void move_to_device(const Tensor& t, Device device);
  // kindling::grad (autograd.cpp).
  static std::vector<Tensor> grad(const std::vector<Tensor>& outputs,
                                  const std::vector<Tensor>& inputs,
                                  const std::vector<Tensor>& grad_outputs,
                                  std::optional<bool> retain_graph, bool create_graph,
                                  bool allow_unused);
  // ---- hooks (Note [tensor hooks]) ----
  static TensorHooks* hooks_of(const TensorNode& node) noexcept {
    return node.extras ? node.extras->hooks.get() : nullptr;
  }
  static bool has_grad_hooks(const TensorNode& node) noexcept {
    const TensorHooks* h = hooks_of(node);
    return h != nullptr && !h->grad_hooks.empty();
  }
  // Runs node's gradient hooks on node.grad, replacing it with what they return.
  static void run_grad_hooks(TensorNode& node);
  static void run_post_accumulate_hooks(TensorNode& node);
  static HookHandle add_hook(const Tensor& t, GradHook grad_hook, PostAccumulateGradHook post_hook);
  static void remove_hook(const HookHandle& handle);
  static bool retains_grad(const TensorNode& node) noexcept {
    return node.extras && node.extras->retains_grad;
  }
  // Frees the saved tensors of an interior node and marks it (backward without retain_graph).
  static void free_saved(TensorNode& node) noexcept;
  [[noreturn]] static void throw_modified(const TensorNode& node, std::size_t slot,
                                          const TensorNode& tensor);
  [[noreturn]] static void throw_bad_contribution(const TensorNode& node, std::size_t i,
                                                  const Tensor& contribution);

  static void check_version(const TensorNode& node, std::size_t slot, const TensorNode& tensor) {
    assert(slot < node.versions.size());
    if (tensor.storage->version() != node.versions[slot]) [[unlikely]]
      throw_modified(node, slot, tensor);
  }
  static Tensor input(const TensorNode& node, std::size_t i) {
    assert(i < node.inputs.size());
    check_version(node, 1 + i, *node.inputs[i]);
    return Tensor::from_node(node.inputs[i]);
  }
  static void give(const TensorNode& node, std::size_t i, Tensor contribution) {
    const TensorNode& in = *node.inputs[i];
    if (!in.requires_grad) return;
    if (!contribution.defined() || contribution.dtype() != in.dtype ||
        contribution.shape() != in.shape || contribution.device() != in.device()) [[unlikely]]
      throw_bad_contribution(node, i, contribution);
    accumulate_grad(node.inputs[i], std::move(contribution));
  }
  static bool wants_grad(const TensorNode& node, std::size_t i) {
    return node.inputs[i]->requires_grad;
  }
  static std::size_t input_count(const TensorNode& node) { return node.inputs.size(); }
  static const Shape& input_shape(const TensorNode& node, std::size_t i) {
    return node.inputs[i]->shape;
  }
  static DType input_dtype(const TensorNode& node, std::size_t i) { return node.inputs[i]->dtype; }
  template <class P>
  static const P& params(const TensorNode& node) {
    const P* p = node.extras ? std::get_if<P>(&node.extras->params) : nullptr;
    assert(p != nullptr && "the op recorded other parameters");
    return *p;
  }
};

// Which ops record parameters, and of which type (Note [typed op parameters]); the rest record
// none.
// clang-format off: one row per line (clang-format 14 reflows this macro differently each run)
#define KINDLING_OP_PARAMS(X)   \
  X(index_select, AxisParams)   \
  X(gather, AxisParams)         \
  X(scatter_add, AxisParams)    \
  X(concat, AxisParams)         \
  X(softmax, AxisParams)        \
  X(log_softmax, AxisParams)    \
  X(permute, PermuteParams)     \
  X(slice, SliceParams)         \
  X(sum, ReduceParams)          \
  X(max, ReduceParams)          \
  X(min, ReduceParams)          \
  X(cross_entropy, ScaleParams) \
  X(unfold, ConvParams)         \
  X(fold, ConvParams)           \
  X(conv2d, ConvParams)         \
  X(max_pool2d, ConvParams)
// clang-format on

template <TensorOp op>
struct ParamsOf {
  using type = std::monostate;
};
#define KINDLING_X(name, P)         \
  template <>                       \
  struct ParamsOf<TensorOp::name> { \
    using type = P;                 \
  };
KINDLING_OP_PARAMS(KINDLING_X)
#undef KINDLING_X
// The UNARY_PARAM rows record their UnaryArgs (op_list.hpp).
#define KINDLING_X(name, ...)       \
  template <>                       \
  struct ParamsOf<TensorOp::name> { \
    using type = UnaryArgs;         \
  };
KINDLING_TENSOR_UNARY_PARAM(KINDLING_X)
#undef KINDLING_X
template <TensorOp op>
using params_of = typename ParamsOf<op>::type;

// Whether op records parameters, for the run-time op overload of record().
constexpr bool op_has_params(TensorOp op) noexcept {
  switch (op) {
#define KINDLING_X(name, P) \
  case TensorOp::name:      \
    return true;
    KINDLING_OP_PARAMS(KINDLING_X)
#undef KINDLING_X
#define KINDLING_X(name, ...) case TensorOp::name:
    KINDLING_TENSOR_UNARY_PARAM(KINDLING_X)
#undef KINDLING_X
    return true;
    default:
      return false;
  }
}

// Records `result` as the output of primitive `op` on `inputs` when grad mode is on and an input
// requires grad; otherwise leaves it a leaf. Returns result. `saved`: extra tensors the backward
// reads (Note [saved tensors]).
//   record<TensorOp::slice>(out, {&x}, SliceParams{axis, start, step})
// The parameters' type must be the op's (KINDLING_OP_PARAMS), checked at compile time.
template <TensorOp op, class P>
Tensor record(Tensor result, std::initializer_list<const Tensor*> inputs, P params,
              std::vector<Tensor> saved = {}) {
  static_assert(std::is_same_v<P, params_of<op>>,
                "these are not the parameters this op records (KINDLING_OP_PARAMS)");
  return NodeAccess::record(op, std::move(result), {inputs.begin(), inputs.size()},
                            OpParams(std::move(params)), std::move(saved));
}
Tensor record_inputs(TensorOp op, Tensor result, const std::vector<Tensor>& inputs,
                     OpParams params);
template <TensorOp op, class P>
Tensor record(Tensor result, const std::vector<Tensor>& inputs, P params) {
  static_assert(std::is_same_v<P, params_of<op>>,
                "these are not the parameters this op records (KINDLING_OP_PARAMS)");
  return record_inputs(op, std::move(result), inputs, OpParams(std::move(params)));
}
// The parameter-less form, for the ops that record none (unary, binary, views, ...).
inline Tensor record(TensorOp op, Tensor result, std::initializer_list<const Tensor*> inputs,
                     std::monostate = {}, std::vector<Tensor> saved = {}) {
  assert(!op_has_params(op) && "this op records parameters: record<op>(..., params)");
  return NodeAccess::record(op, std::move(result), {inputs.begin(), inputs.size()}, {},
                            std::move(saved));
}
// Adds `contribution` to node->grad (Note [gradients accumulate]). The caller has checked that it
// fits (give(), Note [gradient contract]).
inline void accumulate_grad(TensorNode* node, Tensor contribution) {
  NodeAccess::accumulate_grad(node, std::move(contribution));
}

// The ReplaceBackward active on this thread for op, or null (kindling/tensor/testing.hpp).
const testing::ReplaceBackward* replaced_backward(TensorOp op) noexcept;

// The table of t's device, made current (kernels_on): the kernels then run where t lives.
inline const kernels::KernelTable& kernels_of(const Tensor& t) {
  return kernels::kernels_on(t.device());
}

// ---- what a backward reads (Note [saved tensors], Note [version counters]) ----
// Input i of a node, as a handle (sharing the node), for a backward that reads its values: throws
// if it changed in place since the op used it. Its shape and dtype: input_shape, input_dtype.
inline Tensor input(const TensorNode& node, std::size_t i) {
  return NodeAccess::input(node, i);
}
inline std::size_t input_count(const TensorNode& node) {
  return NodeAccess::input_count(node);
}
inline const Shape& input_shape(const TensorNode& node, std::size_t i) {
  return NodeAccess::input_shape(node, i);
}
inline DType input_dtype(const TensorNode& node, std::size_t i) {
  return NodeAccess::input_dtype(node, i);
}
// The non-tensor arguments the op recorded, of the type KINDLING_OP_PARAMS gives it.
template <class P>
const P& params(const TensorNode& node) {
  return NodeAccess::params<P>(node);
}
// The node's own value, as a leaf sharing its storage (holding the node itself would make a
// reference cycle); checked as input() is. Under create_graph it is the node itself, so that the
// gradient's graph reaches through it (Note [create_graph]).
inline Tensor output_value(const TensorNode& node) {
  return NodeAccess::output_value(node);
}
// Saved tensor i; throws if backward already freed it (Note [saved tensors]) or if it changed in
// place since it was saved.
inline Tensor saved(const TensorNode& node, std::size_t i) {
  return NodeAccess::saved(node, i);
}
// Adds `contribution` to input i's grad if that input requires grad, after checking that it has
// the input's shape, dtype and device (Note [gradient contract]).
inline void give(const TensorNode& node, std::size_t i, Tensor contribution) {
  NodeAccess::give(node, i, std::move(contribution));
}
inline bool wants_grad(const TensorNode& node, std::size_t i) {
  return NodeAccess::wants_grad(node, i);
}

// Axis in [-ndim, ndim) to [0, ndim); throws naming `op` otherwise (always for a 0-d tensor).
std::int64_t normalize_axis(std::int64_t axis, std::int64_t ndim, const char* op);
// As normalize_axis, except that a 0-d tensor takes -1 and 0, both giving 0, as torch's dim
// wrapping for the ops that accept a dim there (Note [0-d axes]).
std::int64_t normalize_wrapped_axis(std::int64_t axis, std::int64_t ndim, const char* op);
// Contiguous strides of a shape.
Shape contiguous_strides(const Shape& shape);
// A contiguous leaf of `shape` over `storage`, which the caller has checked holds that many bytes
// (detail::empty, from_blob).
inline Tensor leaf_over(std::shared_ptr<Storage> storage, const Shape& shape, DType dtype) {
  return NodeAccess::leaf_over(std::move(storage), shape, dtype);
}
// A new tensor node over `base`'s storage with another layout (for views).
inline Tensor make_view(const Tensor& base, Shape shape, Shape strides, std::int64_t offset) {
  return NodeAccess::make_view(base, std::move(shape), std::move(strides), offset);
}

// Fresh results of single kernels, outside the graph (the ops record them).
Tensor unary_kernel(kernels::UnaryKernel op, const Tensor& x, const UnaryArgs& args = {});
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
// The adjoint of taking positions `positions` (int64, 1-D) along `axis`: zeros of `shape` with
// g's slices added at those positions, by the differentiable scatter_add (the composite path of
// index_select's and slice's backward under create_graph, Note [create_graph]).
Tensor scatter_positions(const Tensor& g, const Shape& shape, std::int64_t axis,
                         const Tensor& positions);

}  // namespace kindling::detail
