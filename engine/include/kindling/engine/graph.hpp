// The autograd core, written once for every node type: node bookkeeping, reference handles,
// non-recursive teardown, the topological order of a graph and the reverse sweep of backward().
//
// Note [one backward pass]
// kindling has a scalar engine (Value) and a tensor engine (Tensor). Both are handles to graph
// nodes, and both differentiate through the functions in this file: topological_order() finds the
// nodes a root depends on (parents before children), begin_backward() clears the gradients left on
// interior nodes by an earlier pass, and reverse_sweep() calls each node's local backward step from
// the root down. A node type plugs in by deriving from NodeBase and satisfying GraphNode; nothing
// here knows what a scalar or a tensor is.
//
// Note [no recursion]
// Graphs can be very deep (a million-node chain is a test), so no walk and no teardown recurses:
// topological_order() keeps an explicit stack, and release() frees a dying node's parents from a
// worklist instead of from the node's destructor.
#pragma once

#include <atomic>
#include <cassert>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace kindling::engine {

// The bookkeeping the core keeps in every node: how many handles and child nodes refer to it, and
// the mark of the last walk that visited it (so a walk needs no visited-set allocation).
// The count comes last so that a node type's first small members fill the padding after it.
struct NodeBase {
  std::uint64_t visit_mark = 0;
  std::uint32_t ref_count = 0;
};

// What a node type must provide to use the core.
//   parents()        the nodes this one was computed from (each counted in its ref_count)
//   backward_step()  the local chain rule: add this node's contribution to each parent's grad
//   seed_grad()      add d(root)/d(root) = 1 to the root's grad
//   clear_grad()     forget an interior node's grad before a new backward pass
//   N::destroy(n)    free the node's own storage; must not touch the parents' reference counts
template <class N>
concept GraphNode = std::derived_from<N, NodeBase> && requires(N& node, const N& const_node) {
  { const_node.parents() } -> std::convertible_to<std::span<N* const>>;
  node.backward_step();
  node.seed_grad();
  node.clear_grad();
  { N::destroy(&node) }
  noexcept;
};

// A fresh mark for one graph walk; 64 bits so that it never wraps in practice.
inline std::uint64_t next_visit_mark() noexcept {
  static std::atomic<std::uint64_t> counter{0};
  return counter.fetch_add(1, std::memory_order_relaxed) + 1;
}

inline void retain(NodeBase* node) noexcept {
  ++node->ref_count;
}

// Drops one reference. A node whose count reaches zero is destroyed, and its parents lose the
// reference it held, iteratively: release() may be re-entered from N::destroy() (a tensor node
// releasing the tensors it saved), and the inner call only queues its node for the outer loop.
template <GraphNode N>
void release(N* node) noexcept {
  assert(node != nullptr && node->ref_count > 0);
  if (--node->ref_count != 0) return;
  thread_local std::vector<N*> dying;
  thread_local bool draining = false;
  dying.push_back(node);
  if (draining) return;
  draining = true;
  while (!dying.empty()) {
    N* dead = dying.back();
    dying.pop_back();
    for (N* parent : dead->parents()) {
      assert(parent->ref_count > 0);
      if (--parent->ref_count == 0) dying.push_back(parent);
    }
    N::destroy(dead);
  }
  draining = false;
}

// An owning, reference-counted handle to a node: what Value and Tensor hold.
// Reference counts are not atomic: one graph belongs to one thread at a time.
template <GraphNode N>
class NodeRef {
 public:
  NodeRef() noexcept = default;
  // Adopts a node and takes a reference to it.
  explicit NodeRef(N* node) noexcept : node_(node) {
    if (node_) retain(node_);
  }
  NodeRef(const NodeRef& other) noexcept : NodeRef(other.node_) {}
  NodeRef(NodeRef&& other) noexcept : node_(std::exchange(other.node_, nullptr)) {}
  NodeRef& operator=(NodeRef other) noexcept {
    std::swap(node_, other.node_);
    return *this;
  }
  ~NodeRef() {
    if (node_) release(node_);
  }

  N* get() const noexcept { return node_; }
  N* operator->() const noexcept { return node_; }
  N& operator*() const noexcept { return *node_; }
  explicit operator bool() const noexcept { return node_ != nullptr; }
  friend bool operator==(const NodeRef& a, const NodeRef& b) noexcept { return a.node_ == b.node_; }

 private:
  N* node_ = nullptr;
};

// Every node `root` depends on, each once, parents before children (so `root` is last).
// Depth-first with an explicit stack; `order` is cleared first and reused to spare allocations.
// `on_emit(node)` is called as each node joins the order (begin_backward clears grads there,
// saving a second pass over a large graph).
template <GraphNode N, class OnEmit>
void topological_order(N* root, std::vector<N*>& order, OnEmit&& on_emit) {
  struct Frame {
    N* node;
    std::size_t next_parent;
  };
  thread_local std::vector<Frame> stack;
  order.clear();
  stack.clear();
  const std::uint64_t mark = next_visit_mark();
  root->visit_mark = mark;
  stack.push_back({root, 0});
  while (!stack.empty()) {
    Frame& top = stack.back();
    const std::span<N* const> parents = top.node->parents();
    if (top.next_parent < parents.size()) {
      N* parent = parents[top.next_parent++];
      if (parent->visit_mark != mark) {
        parent->visit_mark = mark;
        stack.push_back({parent, 0});  // invalidates `top`, which is not used again
      }
    } else {
      order.push_back(top.node);
      on_emit(*top.node);
      stack.pop_back();
    }
  }
}

template <GraphNode N>
void topological_order(N* root, std::vector<N*>& order) {
  topological_order(root, order, [](N&) {});
}

template <GraphNode N>
std::vector<N*> topological_order(N* root) {
  std::vector<N*> order;
  topological_order(root, order);
  return order;
}

// Note [what a second backward does]
// Every backward() adds d(root)/d(leaf) to each leaf's grad: gradients accumulate across calls, as
// in PyTorch, until zero_grad(). Interior nodes are different: their grad is cleared at the start
// of each pass, so after a pass it holds exactly that pass's d(root)/d(node). (micrograd keeps the
// old interior grads, so its second backward() double-counts them into the leaves; we do not.)

// Starts a backward pass from `root`: fills `order` and clears every interior node's grad. The
// caller seeds the root (seed_grad(), or an explicit gradient for a non-scalar root) and then runs
// reverse_sweep(order), or steps through it one node at a time.
template <GraphNode N>
void begin_backward(N* root, std::vector<N*>& order) {
  topological_order(root, order, [](N& node) {
    if (!node.parents().empty()) node.clear_grad();
  });
}

// How many reverse sweeps this thread has run, whatever the node type: lets a test show that the
// scalar and the tensor engine go through the same sweep.
inline std::uint64_t& reverse_sweep_count() noexcept {
  thread_local std::uint64_t count = 0;
  return count;
}

// Calls each node's local backward step, from the root (the end of `order`) down to the leaves.
template <GraphNode N>
void reverse_sweep(std::span<N* const> order) {
  ++reverse_sweep_count();
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    if (!(*it)->parents().empty()) (*it)->backward_step();
  }
}

// backward() for a scalar root: begin, seed with 1, sweep.
template <GraphNode N>
void backward(N* root) {
  thread_local std::vector<N*> order;
  begin_backward(root, order);
  root->seed_grad();
  reverse_sweep<N>(order);
}

}  // namespace kindling::engine
