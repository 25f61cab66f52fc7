// kindling::grad (autograd.hpp): gradients of several outputs with respect to chosen inputs,
// returned without touching any .grad, and Note [create_graph], how a backward pass records
// itself so that its results can be differentiated again.
#include "kindling/tensor/autograd.hpp"

#include <cassert>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "internal.hpp"

namespace kindling {

// Note [create_graph]
// Every backward is written with tensor ops (Note [one backward pass]), so a backward pass run
// with grad mode on records the graph of its own gradients: backward(create_graph = true) and
// grad(..., create_graph = true) do that, and the gradients they give are graph nodes, which a
// second backward differentiates (Hessian-vector products, gradient penalties, Newton steps).
// While such a pass runs, detail::creating_graph is set on its thread, and
//   - each backward step runs with grad mode on (TensorNode::backward_step);
//   - output_value() is the node itself, not a detached view of its data, so that exp's dx =
//     g * y differentiates through y = exp(x) (the view would cut that path; holding the node is
//     no cycle here, as the gradient refers to the node, not the node to the gradient);
//   - a backward that uses a fused kernel (Note [fused backward kernels] in formulas.hpp: the
//     pointwise rows' name_backward, relu_grad, gelu_grad, the UNARY_PARAM name_grad kernels,
//     softmax, log_softmax and cross_entropy's backward kernels, the index_add, scatter_add and
//     copy of index_select, gather and slice) takes its composite path, the same formula in
//     differentiable tensor ops; without create_graph nothing changes, bits included;
//   - gradients accumulate out of place and recorded, grad = grad + g, as in PyTorch.
// Saved tensors are constants of the graph (conditions, indices, targets) and stay detached.
// A first-order pass (create_graph false) pays one thread-local load per step for all this.
//   Reference cycles: a gradient that is a graph node refers, through its graph, to the nodes it
// was computed from; stored on one of those nodes it would keep itself alive. So a create_graph
// backward() drops the interior grads when it ends (except where retain_grad() asked for them),
// and kindling::grad returns its gradients without storing any. A leaf's .grad after
// backward(create_graph = true) is such a graph (d(x^2)/dx = 2x refers to x): as in PyTorch, it
// keeps the leaf's graph alive until zero_grad() (or the next first-order accumulation) drops it.

namespace {

// Each reached node's grad before the call, put back when grad() returns or throws: grad()
// touches no .grad, and interior grads are its scratch space.
class StashedGrads {
 public:
  StashedGrads() = default;
  StashedGrads(const StashedGrads&) = delete;
  StashedGrads& operator=(const StashedGrads&) = delete;
  ~StashedGrads() {
    for (auto& [node, before] : stash_)
      detail::NodeAccess::restore_grad(*node, before);
  }
  void set_aside(TensorNode* node) {
    stash_.emplace_back(node, detail::NodeAccess::take_grad(*node));
  }

 private:
  std::vector<std::pair<TensorNode*, TensorNode*>> stash_;
};

std::string shape_of(const Tensor& t) {
  return shape_string(t.shape());
}

}  // namespace

std::vector<Tensor> grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs, std::optional<bool> retain_graph,
                         bool create_graph, bool allow_unused) {
  return detail::NodeAccess::grad(outputs, inputs, grad_outputs, retain_graph, create_graph,
                                  allow_unused);
}

create_graph_mode::create_graph_mode(bool on) noexcept : previous_(detail::creating_graph) {
  detail::creating_graph = on;
}
create_graph_mode::~create_graph_mode() {
  detail::creating_graph = previous_;
}

namespace detail {

std::vector<Tensor> NodeAccess::grad(const std::vector<Tensor>& outputs,
                                     const std::vector<Tensor>& inputs,
                                     const std::vector<Tensor>& grad_outputs,
                                     std::optional<bool> retain_graph, bool create_graph,
                                     bool allow_unused) {
  // ---- the arguments ----
  KINDLING_CHECK(!outputs.empty(), "grad: no outputs given");
  KINDLING_CHECK(grad_outputs.empty() || grad_outputs.size() == outputs.size(),
                 "grad: ", grad_outputs.size(), " grad_outputs for ", outputs.size(),
                 " outputs; give one per output (an undefined one for a scalar output) or none");
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& out = outputs[i];
    KINDLING_CHECK(out.defined(), "grad: output ", i, " is an undefined tensor");
    KINDLING_CHECK(out.requires_grad(), "grad: output ", i, " (shape ", shape_of(out),
                   ") does not require grad (no input of its graph does)");
    const Tensor none;
    const Tensor& go = grad_outputs.empty() ? none : grad_outputs[i];
    if (go.defined()) {
      KINDLING_CHECK(go.shape() == out.shape(), "grad: grad_outputs[", i, "] has shape ",
                     shape_of(go), " but output ", i, " has shape ", shape_of(out));
      KINDLING_CHECK(go.device() == out.device(), "grad: grad_outputs[", i, "] is on ",
                     to_string(go.device()), " but output ", i, " is on ", to_string(out.device()));
      KINDLING_CHECK(is_floating(go.dtype()), "grad: grad_outputs[", i, "] is ",
                     dtype_name(go.dtype()), "; a gradient is floating-point");
    } else {
      KINDLING_CHECK(out.numel() == 1, "grad: output ", i, " has shape ", shape_of(out), " (",
                     out.numel(),
                     " elements); a non-scalar output needs a grad_output of its shape");
    }
  }
  for (std::size_t j = 0; j < inputs.size(); ++j) {
    KINDLING_CHECK(inputs[j].defined(), "grad: input ", j, " is an undefined tensor");
    KINDLING_CHECK(inputs[j].requires_grad(), "grad: input ", j, " (shape ", shape_of(inputs[j]),
                   ") does not require grad, so it has no gradient");
  }
  const bool retain = retain_graph.value_or(create_graph);

  // ---- the walk: every node the outputs depend on, interior ones in decreasing creation order
  // (Note [creation order] in engine/graph.hpp), from all the outputs at once ----
  const std::uint64_t reached = engine::next_visit_mark();
  engine::SequenceHeapFrontier<TensorNode> frontier(nullptr, reached);
  std::vector<TensorNode*> interior, leaves;
  auto reach = [&](TensorNode* n) {
    n->visit_mark = reached;
    if (n->inputs.empty())
      leaves.push_back(n);
    else
      frontier.push(n);
  };
  for (const Tensor& out : outputs)
    if (out.node()->visit_mark != reached) reach(out.node());
  while (TensorNode* n = frontier.pop()) {
    interior.push_back(n);
    for (TensorNode* p : n->inputs)
      if (p->visit_mark != reached) reach(p);
  }

  // Only the steps on a path to an input need to run: a node runs when one of its inputs is an
  // input of grad() or runs itself (parents come first in increasing creation order).
  const std::uint64_t needed = engine::next_visit_mark();
  for (const Tensor& in : inputs)
    in.node()->visit_mark = needed;
  std::vector<char> runs(interior.size(), 0);
  for (std::size_t k = interior.size(); k-- > 0;) {
    TensorNode* n = interior[k];
    for (TensorNode* p : n->inputs) {
      if (p->visit_mark == needed) {
        runs[k] = 1;
        break;
      }
    }
    if (runs[k]) n->visit_mark = needed;
  }
  // Which inputs are interior nodes whose step runs (their hooks run there, the others' at the
  // end), read now: a hook may call grad() itself, which marks nodes anew.
  const std::uint64_t running = engine::next_visit_mark();
  for (std::size_t k = 0; k < interior.size(); ++k)
    if (runs[k]) interior[k]->visit_mark = running;
  std::vector<char> input_runs(inputs.size(), 0);
  for (std::size_t j = 0; j < inputs.size(); ++j)
    input_runs[j] = inputs[j].node()->visit_mark == running;

  // ---- the pass, on grads set aside and put back afterwards ----
  StashedGrads stash;
  for (TensorNode* n : interior)
    stash.set_aside(n);
  for (TensorNode* n : leaves)
    stash.set_aside(n);
  const CreateGraphScope recording(create_graph);
  struct ReturningGrads {  // sets returning_grads for the pass
    bool previous = std::exchange(returning_grads, true);
    ~ReturningGrads() { returning_grads = previous; }
  } returning;
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const Tensor& out = outputs[i];
    const Tensor& go = grad_outputs.empty() ? Tensor{} : grad_outputs[i];
    Tensor seed;
    if (go.defined()) {
      // Under create_graph the seed keeps its own graph (the vector of a double-vjp).
      seed = create_graph ? go : go.detach();
      if (seed.dtype() != out.dtype()) {
        const GradModeScope mode(create_graph);
        seed = cast(seed, out.dtype());
      }
    } else {
      seed = ones(out.shape(), out.dtype(), out.device());
    }
    accumulate_grad(out.node(), std::move(seed));
  }
  for (std::size_t k = 0; k < interior.size(); ++k)
    if (runs[k]) interior[k]->backward_step();

  // ---- the results ----
  std::vector<Tensor> result(inputs.size());
  for (std::size_t j = 0; j < inputs.size(); ++j) {
    TensorNode* in = inputs[j].node();
    if (in->grad != nullptr && !input_runs[j] && has_grad_hooks(*in)) {
      const GradModeScope mode(create_graph);
      run_grad_hooks(*in);
    }
    if (in->grad != nullptr) {
      result[j] = Tensor::from_node(in->grad);
    } else {
      KINDLING_CHECK(allow_unused, "grad: input ", j, " (shape ", shape_string(in->shape),
                     ") is not used to compute the outputs, so it has no gradient (pass "
                     "allow_unused = true to get an undefined tensor for it)");
    }
  }
  if (!retain) {
    for (std::size_t k = 0; k < interior.size(); ++k)
      if (runs[k]) free_saved(*interior[k]);
  }
  return result;
}

}  // namespace detail
}  // namespace kindling
