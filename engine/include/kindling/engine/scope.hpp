// Name scopes: which module's forward is running on this thread, so that graph nodes can record
// where they were made and the DOT writer can draw modules as clusters (Note [DOT clusters] in
// explain/src/dot.cpp).
//
// Note [module scopes]
// A module's call opens a NameScope("fc1") for its forward; nested calls nest ("MLP", then
// "MLP.fc1"). A scope is one immutable node holding its own name, its depth and a shared pointer
// to the scope around it, so opening one costs one small allocation whatever the depth, and a
// chain of d scopes holds d names, not the d^2 characters of its dotted names (which are built
// only when asked: ScopeNode::dotted_name(), and the DOT writer once per cluster). A graph node
// made inside copies NameScope::current(), so recording it costs one reference count, and the
// path outlives the scope. A chain is freed without recursion (~ScopeNode).
//
// Note [scope depth limit]
// A module's forward calls its submodules' forwards, so a deep model recurses as deep as it nests,
// and past a few tens of thousands of levels it would overflow the stack. Opening a scope is where
// each level begins, so NameScope refuses, with kindling::error, to open one deeper than
// kMaxScopeDepth, or one that would leave less than a reserve (a quarter of the thread's stack, at
// most 1 MiB) of the thread's stack for the forward that follows: a module with big frames, a
// sanitizer build (AddressSanitizer at -O0: about 1.2 KB per Sequential level, against 0.3 KB
// optimised) or a thread with a small stack then still gets the error instead of a crash.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "kindling/engine/error.hpp"

namespace kindling::engine {

/// How deep scopes (module calls) may nest on one thread (Note [scope depth limit]).
inline constexpr std::size_t kMaxScopeDepth = 10000;

namespace detail {
// Throws kindling::error when a scope at `depth` may not open (Note [scope depth limit]);
// `name` is the scope's, for the message.
void check_scope_room(std::size_t depth, const std::string& name);
}  // namespace detail

/// One scope: its own name ("fc1 (Linear)"), its depth (1 for an outermost scope) and the scope
/// around it (null for an outermost one). Immutable; shared by the scope while it is open and by
/// every graph node made inside it (Note [module scopes]).
class ScopeNode {
 public:
  /// A scope named `name` inside `parent` (null: an outermost scope). NameScope makes these.
  ScopeNode(std::string name, std::shared_ptr<const ScopeNode> parent)
      : name_(std::move(name)),
        depth_(parent ? parent->depth_ + 1 : 1),
        parent_(std::move(parent)) {
    live_.fetch_add(1, std::memory_order_relaxed);
  }
  /// Frees the chain of parents this node alone kept alive one by one, without recursion (a chain
  /// of a million scopes must not need a million stack frames).
  ~ScopeNode() {
    std::shared_ptr<const ScopeNode> next = std::move(parent_);
    // use_count() == 1: ours is the last reference, so the parent dies when `next` lets go;
    // detach its own parent first, so that its destructor has nothing left to free.
    while (next && next.use_count() == 1) {
      std::shared_ptr<const ScopeNode> after = std::move(next->parent_);
      next.reset();
      next = std::move(after);
    }
    live_.fetch_sub(1, std::memory_order_relaxed);
  }
  ScopeNode(const ScopeNode&) = delete;
  ScopeNode& operator=(const ScopeNode&) = delete;

  /// The scope's own name, without its parents': "fc1".
  const std::string& name() const noexcept { return name_; }
  /// 1 for an outermost scope, its parent's depth + 1 otherwise.
  std::size_t depth() const noexcept { return depth_; }
  /// The scope around this one; null for an outermost scope.
  const std::shared_ptr<const ScopeNode>& parent() const noexcept { return parent_; }

  /// The names from the outermost scope in, joined with dots: "MLP.fc1". O(depth).
  std::string dotted_name() const {
    std::vector<const ScopeNode*> chain;
    chain.reserve(depth_);
    std::size_t length = 0;
    for (const ScopeNode* s = this; s != nullptr; s = s->parent_.get()) {
      chain.push_back(s);
      length += s->name_.size() + 1;
    }
    std::string out;
    out.reserve(length);
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      if (!out.empty()) out += '.';
      out += (*it)->name_;
    }
    return out;
  }
  /// Every prefix of dotted_name(), outermost first: {"MLP", "MLP.fc1"}. O(depth^2) characters,
  /// for tests and small graphs.
  std::vector<std::string> dotted_path() const {
    std::vector<const ScopeNode*> chain;
    for (const ScopeNode* s = this; s != nullptr; s = s->parent_.get())
      chain.push_back(s);
    std::vector<std::string> out;
    out.reserve(chain.size());
    for (auto it = chain.rbegin(); it != chain.rend(); ++it)
      out.push_back(out.empty() ? (*it)->name_ : out.back() + "." + (*it)->name_);
    return out;
  }

  /// Scope nodes alive in the process: a test counts them to see that a path's storage is
  /// linear in its depth.
  static std::size_t live_count() noexcept { return live_.load(std::memory_order_relaxed); }

 private:
  std::string name_;
  std::size_t depth_;
  // Mutable only for ~ScopeNode above, which detaches it from a node it is the last owner of.
  mutable std::shared_ptr<const ScopeNode> parent_;
  static inline std::atomic<std::size_t> live_{0};
};

/// An RAII guard that opens a name scope on this thread for its lifetime (Note [module scopes]):
/// nn::Module's call opens one named after the module for its forward, and every graph node made
/// inside records NameScope::current(). PyTorch has no equivalent (its profiler's
/// record_function is the closest).
/// @code
/// {
///   const kindling::engine::NameScope outer("MLP");
///   const kindling::engine::NameScope inner("fc1");
///   kindling::engine::NameScope::current()->dotted_name();  // "MLP.fc1"
/// }  // closed again: current() is null outside every scope
/// @endcode
class NameScope {
 public:
  /// The innermost open scope; its parents are the scopes around it. Null outside every scope.
  using Path = std::shared_ptr<const ScopeNode>;

  /// Opens scope `name` inside the current one, until the guard goes.
  /// @throws kindling::error when the scope would nest deeper than kMaxScopeDepth, or when less
  ///   than a reserve (a quarter of the thread's stack, at most 1 MiB) is left of the thread's
  ///   stack (Note [scope depth limit]).
  explicit NameScope(std::string name) : previous_(current_path()) {
    detail::check_scope_room(previous_ ? previous_->depth() + 1 : 1, name);
    current_path() = std::make_shared<const ScopeNode>(std::move(name), previous_);
  }
  ~NameScope() { current_path() = std::move(previous_); }
  NameScope(const NameScope&) = delete;
  NameScope& operator=(const NameScope&) = delete;

  /// The innermost scope open on this thread; null outside every scope.
  static const Path& current() noexcept { return current_path(); }

 private:
  static Path& current_path() noexcept {
    thread_local Path path;
    return path;
  }
  Path previous_;
};

}  // namespace kindling::engine
