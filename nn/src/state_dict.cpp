// StateDict: ordered named tensors.
#include "kindling/nn/state_dict.hpp"

#include "kindling/engine/error.hpp"

namespace kindling::nn {

void StateDict::insert(std::string name, Tensor tensor) {
  KINDLING_CHECK(tensor.defined(), "state_dict: entry '", name, "' is an undefined tensor");
  const auto [slot, added] = index_.try_emplace(name, entries_.size());
  KINDLING_CHECK(added, "state_dict: duplicate entry '", name, "'");
  try {
    entries_.emplace_back(std::move(name), std::move(tensor));
  } catch (...) {
    index_.erase(slot);  // keep the index and the list in step
    throw;
  }
}

void StateDict::merge(const StateDict& other, const std::string& prefix) {
  for (const auto& [name, tensor] : other)
    insert(prefix + name, tensor);
}

const Tensor* StateDict::find(const std::string& name) const noexcept {
  const auto found = index_.find(name);
  return found == index_.end() ? nullptr : &entries_[found->second].second;
}

const Tensor& StateDict::at(const std::string& name, const char* who) const {
  const Tensor* found = find(name);
  KINDLING_CHECK(found != nullptr, who, ": missing entry '", name, "'");
  return *found;
}

StateDict StateDict::with_prefix(const std::string& prefix) const {
  StateDict out;
  for (const auto& [name, tensor] : entries_)
    if (name.compare(0, prefix.size(), prefix) == 0) out.insert(name.substr(prefix.size()), tensor);
  return out;
}

}  // namespace kindling::nn
