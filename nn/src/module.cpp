// Module: registration, the tree walks, train/eval, state dicts, the printout and teardown. The
// walks and the destructor use explicit stacks (Note [no recursion] in engine/graph.hpp applies to
// module trees too: a generated model may nest deeply).
#include "kindling/nn/module.hpp"

#include <ostream>
#include <sstream>
#include <type_traits>
#include <utility>

#include "kindling/engine/error.hpp"
#include "kindling/engine/grad_mode.hpp"
#include "kindling/engine/scope.hpp"
#include "kindling/nn/tensor_util.hpp"

namespace kindling::nn {

namespace {

std::string join(const std::string& prefix, const std::string& name) {
  return prefix.empty() ? name : prefix + "." + name;
}

// Visits every module depth first in registration order, without recursion.
template <class M, class Visit>
void walk(M* root, Visit&& visit) {
  std::vector<M*> stack{root};
  while (!stack.empty()) {
    M* module = stack.back();
    stack.pop_back();
    visit(*module);
    const auto& kids = module->children();
    for (auto it = kids.rbegin(); it != kids.rend(); ++it)
      stack.push_back(it->second.get());
  }
}

// The same with each module's dotted name (the root's is ""), and, for a visitor that takes a
// third argument, the parent's owning handle of the module (null for the root). One prefix string
// grows and shrinks along the path, so a chain of d modules costs O(d) characters, not O(d^2).
template <class M, class Visit>
void walk_named(M* root, Visit&& visit) {
  struct Item {
    M* module;
    std::size_t depth;
    const std::string* name;                // the name under its parent; null for the root
    const std::shared_ptr<Module>* handle;  // the parent's handle; null for the root
  };
  std::vector<Item> stack{{root, 0, nullptr, nullptr}};
  std::string prefix;
  std::vector<std::size_t> prefix_length;  // [k]: the prefix's length at depth k of the path
  while (!stack.empty()) {
    const Item item = stack.back();
    stack.pop_back();
    if (item.depth > 0) {
      prefix.resize(prefix_length[item.depth - 1]);  // back to the parent's name
      if (!prefix.empty()) prefix += '.';
      prefix += *item.name;
    }
    prefix_length.resize(item.depth + 1);
    prefix_length[item.depth] = prefix.size();
    if constexpr (std::is_invocable_v<Visit&, const std::string&, M&,
                                      const std::shared_ptr<Module>*>)
      visit(std::as_const(prefix), *item.module, item.handle);
    else
      visit(std::as_const(prefix), *item.module);
    const auto& kids = item.module->children();
    for (auto it = kids.rbegin(); it != kids.rend(); ++it)
      stack.push_back({it->second.get(), item.depth + 1, &it->first, &it->second});
  }
}

}  // namespace

// Note [module teardown]
// A parent owns its children through shared_ptr, so a chain of a hundred thousand nested modules
// would be destroyed by as many nested destructor calls. Instead the destructor takes its children
// into a stack; a child this stack alone owns gives up its own children to the stack before it
// dies, so every destructor runs with no children left and nothing recurses. By the time ~Module
// runs, a subclass's own shared_ptr members to its submodules are already gone, so the stack is
// their last owner too.
Module::~Module() {
  std::vector<std::shared_ptr<Module>> pending;
  for (auto& [name, child] : children_)
    pending.push_back(std::move(child));
  children_.clear();
  while (!pending.empty()) {
    std::shared_ptr<Module> module = std::move(pending.back());
    pending.pop_back();
    if (module.use_count() == 1) {
      for (auto& [name, child] : module->children_)
        pending.push_back(std::move(child));
      module->children_.clear();
    }
  }  // `module` dies at the end of each pass, childless
}

Tensor Module::forward(const Tensor&) {
  throw error(type_name_ + ": forward(Tensor) is not implemented by this module");
}

void Module::check_new_name(const std::string& name) const {
  KINDLING_CHECK(!name.empty() && name.find('.') == std::string::npos, type_name_,
                 ": invalid name '", name, "' (non-empty, no dots)");
  bool taken = false;
  for (const auto& p : parameters_)
    taken = taken || p.first == name;
  for (const auto& b : buffers_)
    taken = taken || b.first == name;
  for (const auto& c : children_)
    taken = taken || c.first == name;
  KINDLING_CHECK(!taken, type_name_, ": the name '", name, "' is already registered");
}

Tensor Module::register_parameter(std::string name, Tensor tensor) {
  check_new_name(name);
  KINDLING_CHECK(tensor.defined() && tensor.is_leaf(), type_name_, ": parameter '", name,
                 "' must be a defined leaf tensor");
  tensor.set_requires_grad(true);
  parameters_.emplace_back(std::move(name), tensor);
  return tensor;
}

Tensor Module::register_buffer(std::string name, Tensor tensor) {
  check_new_name(name);
  KINDLING_CHECK(tensor.defined(), type_name_, ": buffer '", name, "' is undefined");
  buffers_.emplace_back(std::move(name), tensor);
  return tensor;
}

void Module::add_child(std::string name, std::shared_ptr<Module> module) {
  check_new_name(name);
  KINDLING_CHECK(module != nullptr, type_name_, ": submodule '", name, "' is null");
  module->scope_name_ = name + " (" + module->type_name_ + ")";
  children_.emplace_back(std::move(name), std::move(module));
}

namespace {
thread_local ModuleCallObserver* current_observer = nullptr;
}  // namespace

ModuleCallObserver::ModuleCallObserver() : previous_(current_observer) {
  current_observer = this;
}
ModuleCallObserver::~ModuleCallObserver() {
  current_observer = previous_;
}

Tensor Module::operator()(const Tensor& input) {
  const engine::NameScope scope(scope_name_.empty() ? type_name_ : scope_name_);
  // Parameters are made outside any forward; they take the scope of the first module that uses
  // them, and keep it when another module sharing them runs (Tensor::claim_scope).
  for (auto& [name, parameter] : parameters_)
    parameter.claim_scope();
  ModuleCallObserver* const observer = current_observer;
  if (observer == nullptr) return forward(input);
  observer->entered(*this);
  Tensor output = forward(input);
  observer->left(*this, output);
  return output;
}

std::vector<std::pair<std::string, Tensor>> Module::named_parameters() const {
  std::vector<std::pair<std::string, Tensor>> out;
  walk_named(this, [&](const std::string& prefix, const Module& m) {
    for (const auto& [name, t] : m.parameters_)
      out.emplace_back(join(prefix, name), t);
  });
  return out;
}

std::vector<std::pair<std::string, Tensor>> Module::named_buffers() const {
  std::vector<std::pair<std::string, Tensor>> out;
  walk_named(this, [&](const std::string& prefix, const Module& m) {
    for (const auto& [name, t] : m.buffers_)
      out.emplace_back(join(prefix, name), t);
  });
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  walk(this, [&](const Module& m) {
    for (const auto& [name, t] : m.parameters_)
      out.push_back(t);
  });
  return out;
}

std::vector<std::pair<std::string, Module*>> Module::named_modules() {
  std::vector<std::pair<std::string, Module*>> out;
  walk_named(this, [&](const std::string& prefix, Module& m) { out.emplace_back(prefix, &m); });
  return out;
}

std::vector<std::pair<std::string, std::shared_ptr<Module>>> Module::named_submodules() const {
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> out;
  walk_named(this,
             [&](const std::string& prefix, const Module&, const std::shared_ptr<Module>* handle) {
               if (handle != nullptr) out.emplace_back(prefix, *handle);
             });
  return out;
}

std::int64_t Module::parameter_count() const {
  std::int64_t n = 0;
  walk(this, [&](const Module& m) {
    for (const auto& [name, t] : m.parameters_)
      n += t.numel();
  });
  return n;
}

void Module::zero_grad() {
  walk(this, [](Module& m) {
    for (auto& [name, t] : m.parameters_)
      t.zero_grad();
  });
}

void Module::train(bool on) {
  walk(this, [on](Module& m) {
    m.training_ = on;
    m.on_train(on);
  });
}

void Module::to(Device device) {
  walk(this, [&](Module& m) {
    for (const auto& [name, t] : m.parameters_)
      move_to_device(t, device);
    for (const auto& [name, t] : m.buffers_)
      move_to_device(t, device);
  });
}

StateDict Module::state_dict() const {
  StateDict out;
  walk_named(this, [&](const std::string& prefix, const Module& m) {
    for (const auto& [name, t] : m.parameters_)
      out.insert(join(prefix, name), t.detach());
    for (const auto& [name, t] : m.buffers_)
      out.insert(join(prefix, name), t.detach());
  });
  return out;
}

void Module::load_state_dict(const StateDict& state, bool strict) {
  const StateDict own = state_dict();
  std::vector<std::string> missing, unexpected, mismatched;
  for (const auto& [name, t] : own) {
    const Tensor* given = state.find(name);
    if (given == nullptr)
      missing.push_back(name);
    else if (given->shape() != t.shape())
      mismatched.push_back(name + " (expected " + shape_string(t.shape()) + ", got " +
                           shape_string(given->shape()) + ")");
  }
  for (const auto& [name, t] : state)
    if (!own.contains(name)) unexpected.push_back(name);
  auto list = [](const std::vector<std::string>& names) {
    std::string s;
    for (const auto& n : names) {
      if (!s.empty()) s += ", ";
      s += n;
    }
    return s;
  };
  std::string problems;
  if (strict && !missing.empty()) problems.append("\n  missing: ").append(list(missing));
  if (strict && !unexpected.empty()) problems.append("\n  unexpected: ").append(list(unexpected));
  if (!mismatched.empty()) problems.append("\n  shape mismatch: ").append(list(mismatched));
  KINDLING_CHECK(problems.empty(), "load_state_dict (", type_name_, "):", problems);
  const no_grad guard;
  for (const auto& [name, t] : own)
    if (const Tensor* given = state.find(name)) copy_into(t, *given, "load_state_dict");
}

std::string Module::to_string() const {
  // Each module prints "Type(extra)" or, with children, "Type(\n  (name): child\n)"; written
  // top-down from a pre-order list with depths (an explicit stack, so no recursion).
  struct Item {
    const Module* module;
    std::size_t depth;
    const std::string* name;  // under its parent; null for this module
  };
  std::vector<Item> order;
  std::vector<Item> stack{{this, 0, nullptr}};
  while (!stack.empty()) {
    Item item = stack.back();
    stack.pop_back();
    order.push_back(item);
    const auto& kids = item.module->children_;
    for (auto it = kids.rbegin(); it != kids.rend(); ++it)
      stack.push_back({it->second.get(), item.depth + 1, &it->first});
  }
  // Pre-order with depths: emit lines, closing parentheses when the depth falls.
  std::ostringstream os;
  std::vector<const Module*> open;
  for (std::size_t i = 0; i < order.size(); ++i) {
    const auto [m, depth, name] = order[i];
    while (open.size() > depth) {
      open.pop_back();
      os << "\n" << std::string(2 * open.size(), ' ') << ")";
    }
    if (depth > 0) os << "\n" << std::string(2 * depth, ' ') << "(" << *name << "): ";
    os << m->type_name_ << "(" << m->extra_repr();
    if (m->children_.empty())
      os << ")";
    else
      open.push_back(m);
  }
  while (!open.empty()) {
    open.pop_back();
    os << "\n" << std::string(2 * open.size(), ' ') << ")";
  }
  return os.str();
}

std::ostream& operator<<(std::ostream& os, const Module& module) {
  return os << module.to_string();
}

}  // namespace kindling::nn
