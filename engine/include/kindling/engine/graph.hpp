// The autograd core, written once for every node type: node bookkeeping, reference handles,
// non-recursive teardown, the order in which backward() visits a graph, and its reverse sweep.
//
// Note [one backward pass]
// kindling has a scalar engine (Value) and a tensor engine (Tensor). Both are handles to graph
// nodes, and both differentiate through the functions in this file: BackwardWalk visits the nodes
// a root depends on from the root down (Note [creation order]), clearing the gradients an earlier
// pass left on interior nodes as it first reaches them, and backward() / reverse_sweep() call each
// node's local backward step in that order. A node type plugs in by deriving from NodeBase and
// satisfying GraphNode; nothing here knows what a scalar or a tensor is.
//
// Note [creation order]
// A node is made after the nodes it is computed from, so the order of creation is a topological
// order: running the backward steps in decreasing creation order runs every node's step after the
// steps of all its users, with no topological sort (PyTorch's engine orders by sequence_nr too).
// A node type says how to find the next reached node below the current one, its frontier:
//   - ValueNode keeps its records on a tape in creation order (engine/tape.hpp), so its frontier
//     scans the tape downwards and stops when no reached node is left;
//   - other node types number their nodes as they are made (sequence()), and their frontier is a
//     max-heap on that number.
// Both give the same order for the same graph: decreasing creation order.
//
// Note [no recursion]
// Graphs can be very deep (a ten-million-node chain is a test), so no walk and no teardown
// recurses: the walks keep explicit stacks, heaps or cursors, and release() frees a dying node's
// parents from a worklist instead of from the node's destructor.
#pragma once

#include <algorithm>
#include <atomic>
#include <cassert>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace kindling::engine {

/// The bookkeeping the core keeps in every node: how many handles and child nodes refer to it, and
/// the mark of the last walk that visited it (so a walk needs no visited-set allocation).
/// The count comes last so that a node type's first small members fill the padding after it.
struct NodeBase {
  std::uint64_t visit_mark = 0;  ///< The mark of the last walk that reached the node.
  std::uint32_t ref_count = 0;   ///< Handles and child nodes that refer to the node.
};

/// What a node type must provide to use the core: derive from NodeBase, and
/// - `parents()`: the nodes this one was computed from (each counted in its ref_count);
/// - `backward_step()`: the local chain rule: add this node's contribution to each parent's grad;
/// - `seed_grad()`: add d(root)/d(root) = 1 to the root's grad;
/// - `clear_grad()`: forget an interior node's grad before a new backward pass;
/// - `N::destroy(n)`: free the node's own storage; must not touch the parents' reference counts.
///
/// Optional: `N::last_reference_dropped(n)` (see release()), `N::Frontier` (see FrontierOf) and,
/// for the default frontier, `sequence()`.
template <class N>
concept GraphNode = std::derived_from<N, NodeBase> && requires(N& node, const N& const_node) {
  { const_node.parents() } -> std::convertible_to<std::span<N* const>>;
  node.backward_step();
  node.seed_grad();
  node.clear_grad();
  { N::destroy(&node) }
  noexcept;
};

/// A fresh mark for one graph walk, unique in the process; 64 bits so that it never wraps in
/// practice.
inline std::uint64_t next_visit_mark() noexcept {
  static std::atomic<std::uint64_t> counter{0};
  return counter.fetch_add(1, std::memory_order_relaxed) + 1;
}

/// A fresh number for a node being recorded, larger than every number handed out before, on any
/// thread: the sequence() of node types whose frontier is a heap (Note [creation order]).
inline std::uint64_t next_creation_sequence() noexcept {
  static std::atomic<std::uint64_t> counter{0};
  return counter.fetch_add(1, std::memory_order_relaxed) + 1;
}

/// Takes one reference to `node` (ref_count + 1); release() drops it.
inline void retain(NodeBase* node) noexcept {
  ++node->ref_count;
}

/// Drops one reference. A node whose count reaches zero is destroyed, and its parents lose the
/// reference it held, iteratively: release() may be re-entered from N::destroy() (a tensor node
/// releasing the tensors it saved), and the inner call only queues its node for the outer loop.
/// A node type whose nodes are not freed one by one (ValueNode's tape records) says what happens at
/// zero instead: N::last_reference_dropped(node).
/// @param node a node with ref_count > 0 (asserted).
template <GraphNode N>
void release(N* node) noexcept {
  assert(node != nullptr && node->ref_count > 0);
  if (--node->ref_count != 0) return;
  if constexpr (requires { N::last_reference_dropped(node); }) {
    N::last_reference_dropped(node);
  } else {
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
}

/// An owning, reference-counted handle to a node: what Value and Tensor hold (as an
/// intrusive_ptr does in PyTorch). Reference counts are not atomic: one graph belongs to one
/// thread at a time.
template <GraphNode N>
class NodeRef {
 public:
  /// A null handle.
  NodeRef() noexcept = default;
  /// Adopts a node and takes a reference to it (none for null).
  explicit NodeRef(N* node) noexcept : node_(node) {
    if (node_) retain(node_);
  }
  /// Another reference to the same node.
  NodeRef(const NodeRef& other) noexcept : NodeRef(other.node_) {}
  /// Takes over `other`'s reference; `other` becomes null.
  NodeRef(NodeRef&& other) noexcept : node_(std::exchange(other.node_, nullptr)) {}
  /// Refers to `other`'s node instead, releasing the old one (copy or move, by value).
  NodeRef& operator=(NodeRef other) noexcept {
    std::swap(node_, other.node_);
    return *this;
  }
  /// Drops the reference (release()).
  ~NodeRef() {
    if (node_) release(node_);
  }

  /// The node, or null.
  N* get() const noexcept { return node_; }
  /// The node's members; the handle must not be null.
  N* operator->() const noexcept { return node_; }
  /// The node; the handle must not be null.
  N& operator*() const noexcept { return *node_; }
  /// True unless the handle is null.
  explicit operator bool() const noexcept { return node_ != nullptr; }
  /// True when both refer to the same node (or both are null).
  friend bool operator==(const NodeRef& a, const NodeRef& b) noexcept { return a.node_ == b.node_; }

 private:
  N* node_ = nullptr;
};

/// Every node `root` depends on, each once, parents before children (so `root` is last), leaves
/// included: what the DOT writer draws and what a test counts. Backward does not use it (it walks
/// in creation order, BackwardWalk below). Depth-first with an explicit stack; `order` is cleared
/// first and reused to spare allocations. `on_emit(node)` is called as each node joins the order.
/// micrograd's build_topo, without its recursion.
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

/// topological_order() into `order`, with nothing called per node.
template <GraphNode N>
void topological_order(N* root, std::vector<N*>& order) {
  topological_order(root, order, [](N&) {});
}

/// topological_order() as a new vector: every node `root` depends on, parents first, `root` last.
template <GraphNode N>
std::vector<N*> topological_order(N* root) {
  std::vector<N*> order;
  topological_order(root, order);
  return order;
}

/// The frontier of node types that number their nodes (Note [creation order]): a max-heap on
/// sequence(). N::Frontier, where a node type declares one, replaces it (FrontierOf).
template <class N>
class SequenceHeapFrontier {
 public:
  /// An empty frontier; the root and the walk's mark are not needed by a heap.
  SequenceHeapFrontier(N* /*root*/, std::uint64_t /*mark*/) {}
  /// Adds a node the walk has reached for the first time.
  void push(N* node) {
    heap_.push_back(node);
    std::push_heap(heap_.begin(), heap_.end(), earlier);
  }
  /// The reached node made last among those not yet returned; null when none is left.
  N* pop() {
    if (heap_.empty()) return nullptr;
    std::pop_heap(heap_.begin(), heap_.end(), earlier);
    N* node = heap_.back();
    heap_.pop_back();
    return node;
  }

 private:
  static bool earlier(const N* a, const N* b) noexcept { return a->sequence() < b->sequence(); }
  std::vector<N*> heap_;
};

namespace detail {
template <class N>
struct frontier_of {
  using type = SequenceHeapFrontier<N>;
};
template <class N>
requires requires {
  typename N::Frontier;
}
struct frontier_of<N> {
  using type = typename N::Frontier;
};
}  // namespace detail

/// The frontier BackwardWalk uses for node type N: N::Frontier where N declares one (ValueNode's
/// TapeFrontier), else SequenceHeapFrontier<N>.
template <class N>
using FrontierOf = typename detail::frontier_of<N>::type;

namespace detail {
// BackwardWalk's default on_leaf: a named function rather than a lambda, so that the signature
// reads (and parses in the reference) as a plain default argument.
template <class N>
void ignore_leaf(N&) noexcept {}
}  // namespace detail

/// The walk of a backward pass: the interior nodes `root` depends on, each once, in decreasing
/// creation order (Note [creation order]), `root` first. Reaching a node for the first time clears
/// its grad if it is interior (Note [what a second backward does]); a leaf's grad is left to
/// accumulate, and on_leaf(leaf) is called. next() reaches a node's parents before it returns the
/// node, so the caller may run the node's backward step at once.
///
/// What backward(root) runs, here on a Value's graph:
/// @code
/// kindling::ValueNode* root = c.node();  // c: a kindling::Value
/// kindling::engine::BackwardWalk walk(root);
/// root->seed_grad();
/// while (kindling::ValueNode* node = walk.next()) node->backward_step();
/// @endcode
template <GraphNode N, class OnLeaf = void (*)(N&)>
class BackwardWalk {
 public:
  /// Starts at `root`, which is reached at once (its grad cleared if it is interior, on_leaf
  /// called if it is a leaf). The walk marks the nodes it reaches: no other walk may run on the
  /// same graph until this one is done.
  explicit BackwardWalk(N* root, OnLeaf on_leaf = detail::ignore_leaf<N>)
      : mark_(next_visit_mark()), on_leaf_(std::move(on_leaf)), frontier_(root, mark_) {
    reach(root);
  }
  /// The next interior node in decreasing creation order, its parents reached; null when the walk
  /// is done.
  N* next() {
    N* node = frontier_.pop();
    if (node != nullptr) {
      for (N* parent : node->parents()) {
        if (parent->visit_mark != mark_) reach(parent);
      }
    }
    return node;
  }

 private:
  void reach(N* node) {
    node->visit_mark = mark_;
    if (node->parents().empty()) {
      on_leaf_(*node);
    } else {
      node->clear_grad();
      frontier_.push(node);
    }
  }
  std::uint64_t mark_;
  OnLeaf on_leaf_;
  FrontierOf<N> frontier_;
};

// Note [what a second backward does]
// Every backward() adds d(root)/d(leaf) to each leaf's grad: gradients accumulate across calls, as
// in PyTorch, until zero_grad(). Interior nodes are different: their grad is cleared at the start
// of each pass, so after a pass it holds exactly that pass's d(root)/d(node). (micrograd keeps the
// old interior grads, so its second backward() double-counts them into the leaves; we do not.)

/// Starts a backward pass from `root`: fills `order` with the nodes it reaches, parents before
/// children (the leaves first, then the interior nodes in creation order, `root` last), and clears
/// every interior node's grad. The caller seeds the root (seed_grad(), or an explicit gradient for
/// a non-scalar root) and then runs reverse_sweep(order), or steps through it one node at a time.
template <GraphNode N>
void begin_backward(N* root, std::vector<N*>& order) {
  order.clear();
  std::vector<N*> interior;
  BackwardWalk walk(root, [&order](N& leaf) { order.push_back(&leaf); });
  while (N* node = walk.next())
    interior.push_back(node);
  order.insert(order.end(), interior.rbegin(), interior.rend());
}

/// How many reverse sweeps this thread has run, whatever the node type: lets a test show that the
/// scalar and the tensor engine go through the same sweep.
inline std::uint64_t& reverse_sweep_count() noexcept {
  thread_local std::uint64_t count = 0;
  return count;
}

/// Calls each node's local backward step, from the root (the end of `order`) down to the leaves
/// (which have none): the second half of a pass begin_backward() started.
template <GraphNode N>
void reverse_sweep(std::span<N* const> order) {
  ++reverse_sweep_count();
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    if (!(*it)->parents().empty()) (*it)->backward_step();
  }
}

/// backward() for a scalar root: begin, seed with 1, sweep, in one pass over the graph: the walk
/// reaches (and clears) a node's parents before its step adds to their grads. `step(node)` is
/// node.backward_step(), or a node type's inlinable form of it (ValueNode's). Value::backward()
/// and Tensor::backward() are built on it; call those, which also run hooks and refuse a
/// released graph.
template <GraphNode N, class Step>
void backward(N* root, Step&& step) {
  ++reverse_sweep_count();
  BackwardWalk walk(root);
  root->seed_grad();
  while (N* node = walk.next())
    step(*node);
}

/// backward(root, step) with each node's own backward_step():
/// @code
/// kindling::Value a(2.0), b(-3.0);
/// kindling::Value c = a * b;
/// kindling::engine::backward(c.node());  // a.grad() == -3, b.grad() == 2, as c.backward()
/// @endcode
template <GraphNode N>
void backward(N* root) {
  backward(root, [](N& node) { node.backward_step(); });
}

}  // namespace kindling::engine
