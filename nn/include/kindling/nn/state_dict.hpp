// StateDict: named tensors in insertion order, what modules, optimizers and schedulers save and
// load (and what a safetensors file holds).
#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "kindling/tensor/tensor.hpp"

namespace kindling::nn {

/// Named tensors in insertion order: what Module, Optimizer and Scheduler save and load, and what
/// a safetensors file holds; PyTorch's state_dict() OrderedDict. Names are unique; a hash index
/// beside the ordered list makes insert and find O(1), so a file of 40,000 entries loads in
/// linear time. Entries are tensor handles: a module's state dict shares storage with the module.
/// @code
/// kindling::nn::StateDict state = model->state_dict();
/// for (const auto& [name, tensor] : state) std::cout << name << "\n";  // "0.weight", ...
/// const kindling::Tensor& w = state.at("0.weight");
/// @endcode
class StateDict {
 public:
  /// One entry: its name and its tensor.
  using Entry = std::pair<std::string, Tensor>;

  /// Adds an entry at the end.
  /// @throws kindling::error when `tensor` is undefined or `name` is already present (naming it).
  void insert(std::string name, Tensor tensor);
  /// Adds every entry of `other` with `prefix` before its name ("model." + "0.weight").
  /// @throws kindling::error as insert(), for a prefixed name already present.
  void merge(const StateDict& other, const std::string& prefix = {});
  /// The tensor named `name`, or null.
  const Tensor* find(const std::string& name) const noexcept;
  /// The tensor named `name`.
  /// @throws kindling::error "who: missing entry 'name'" when it is absent.
  const Tensor& at(const std::string& name, const char* who = "state_dict") const;
  /// True when an entry is named `name`.
  bool contains(const std::string& name) const noexcept { return find(name) != nullptr; }
  /// The entries whose names start with `prefix`, with the prefix removed, in order
  /// (with_prefix("model.") undoes merge(model_state, "model.")).
  StateDict with_prefix(const std::string& prefix) const;

  /// The number of entries.
  std::size_t size() const noexcept { return entries_.size(); }
  /// True when there are no entries.
  bool empty() const noexcept { return entries_.empty(); }
  /// The first entry, in insertion order (iterates over Entry).
  auto begin() const noexcept { return entries_.begin(); }
  /// Past the last entry.
  auto end() const noexcept { return entries_.end(); }
  /// The entries in insertion order.
  const std::vector<Entry>& entries() const noexcept { return entries_; }

 private:
  std::vector<Entry> entries_;
  std::unordered_map<std::string, std::size_t> index_;  // name -> position in entries_
};

}  // namespace kindling::nn
