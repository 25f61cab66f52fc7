// StateDict: named tensors in insertion order, what modules, optimizers and schedulers save and
// load (and what a safetensors file holds). Names are unique; a hash index beside the ordered
// list makes insert and find O(1), so a file of 40,000 entries loads in linear time.
#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "kindling/tensor/tensor.hpp"

namespace kindling::nn {

class StateDict {
 public:
  using Entry = std::pair<std::string, Tensor>;

  // Adds an entry; a name already present is an error naming it.
  void insert(std::string name, Tensor tensor);
  // Adds every entry of `other` with `prefix` before its name.
  void merge(const StateDict& other, const std::string& prefix = {});
  // The tensor named `name`, or null.
  const Tensor* find(const std::string& name) const noexcept;
  // The tensor named `name`; an error naming it (and `who` wants it) when absent.
  const Tensor& at(const std::string& name, const char* who = "state_dict") const;
  bool contains(const std::string& name) const noexcept { return find(name) != nullptr; }
  // The entries whose names start with `prefix`, with the prefix removed.
  StateDict with_prefix(const std::string& prefix) const;

  std::size_t size() const noexcept { return entries_.size(); }
  bool empty() const noexcept { return entries_.empty(); }
  auto begin() const noexcept { return entries_.begin(); }
  auto end() const noexcept { return entries_.end(); }
  const std::vector<Entry>& entries() const noexcept { return entries_; }

 private:
  std::vector<Entry> entries_;
  std::unordered_map<std::string, std::size_t> index_;  // name -> position in entries_
};

}  // namespace kindling::nn
