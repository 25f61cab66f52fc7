// Name scopes: which module's forward is running on this thread, so that graph nodes can record
// where they were made and the DOT writer can draw modules as clusters (Note [DOT clusters]).
//
// Note [module scopes]
// A module's call opens a NameScope("fc1") for its forward; nested calls nest ("MLP", "MLP.fc1").
// A node created inside copies NameScope::current(), a shared immutable path, so recording it costs
// one reference count, and the path outlives the scope.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace kindling::engine {

class NameScope {
 public:
  // The cluster names from the outermost scope in, each the dotted path so far:
  // {"MLP", "MLP.fc1"}. Null outside every scope.
  using Path = std::shared_ptr<const std::vector<std::string>>;

  explicit NameScope(const std::string& name) : previous_(current_path()) {
    auto path = previous_ ? std::make_shared<std::vector<std::string>>(*previous_)
                          : std::make_shared<std::vector<std::string>>();
    path->push_back(path->empty() ? name : path->back() + "." + name);
    current_path() = std::move(path);
  }
  ~NameScope() { current_path() = std::move(previous_); }
  NameScope(const NameScope&) = delete;
  NameScope& operator=(const NameScope&) = delete;

  static const Path& current() noexcept { return current_path(); }

 private:
  static Path& current_path() noexcept {
    thread_local Path path;
    return path;
  }
  Path previous_;
};

}  // namespace kindling::engine
