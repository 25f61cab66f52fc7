// Module: the base of every layer and model. It owns named parameters (tensors that require
// grad), named buffers (state that is saved but not trained, such as BatchNorm's running
// statistics) and named submodules, and derives from them the walks PyTorch users expect:
// parameters(), named_parameters(), zero_grad(), train()/eval(), state_dict(), load_state_dict().
//
//   class Net : public kindling::nn::Module {
//    public:
//     explicit Net(Generator& g) : Module("Net") {
//       fc1 = register_module("fc1", std::make_shared<Linear>(784, 10, g));
//     }
//     Tensor forward(const Tensor& x) override { return (*fc1)(x); }
//     std::shared_ptr<Linear> fc1;
//   };
//
// Names join with dots ("0.weight", "encoder.fc1.bias"), as in PyTorch, so state dicts map one to
// one onto PyTorch's and onto safetensors files written from it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "kindling/nn/state_dict.hpp"
#include "kindling/tensor/tensor.hpp"

namespace kindling::nn {

class Module {
 public:
  explicit Module(std::string type_name) : type_name_(std::move(type_name)) {}
  // Frees the tree below without recursion (Note [module teardown] in module.cpp).
  virtual ~Module();
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  // The computation. Modules with one tensor in and one out override this.
  virtual Tensor forward(const Tensor& input);
  // Runs forward() inside this module's name scope (Note [module scopes]), so that graphs draw
  // the module as a cluster holding the nodes it made and its own parameters. Module calls nest at
  // most engine::kMaxScopeDepth (10000) deep: a deeper call throws kindling::error rather than
  // overflow the stack in the nested forwards.
  Tensor operator()(const Tensor& input);

  // ---- walks over the module tree (depth first, registration order) ----
  std::vector<Tensor> parameters() const;
  std::vector<std::pair<std::string, Tensor>> named_parameters() const;
  std::vector<std::pair<std::string, Tensor>> named_buffers() const;
  // Every module below this one with its dotted name (this module first, named "").
  std::vector<std::pair<std::string, Module*>> named_modules();
  // The same without this module, each with the owning handle its parent holds.
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_submodules() const;
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& children() const noexcept {
    return children_;
  }
  // Total number of parameter elements.
  std::int64_t parameter_count() const;

  // Drops every parameter's gradient (the next backward starts from zero).
  void zero_grad();
  // Training mode (Dropout drops, BatchNorm uses batch statistics) for this module and below.
  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const noexcept { return training_; }

  // Moves every parameter and buffer to `device` in place (handles stay valid; grads are dropped).
  void to(Device device);

  // Parameters and buffers by dotted name; the tensors share storage with the module.
  StateDict state_dict() const;
  // Copies values into the module's tensors (their storage is kept, so optimizers holding them
  // stay valid). Strict: a missing, unexpected or mis-shaped entry is an error naming every one of
  // them. Not strict: only matching names are copied (shapes must still agree).
  void load_state_dict(const StateDict& state, bool strict = true);

  // A readable printout, PyTorch style: "Sequential(\n  (0): Linear(in=784, out=256) ...".
  std::string to_string() const;
  const std::string& type_name() const noexcept { return type_name_; }
  // What goes between the parentheses of this module's line ("in=784, out=256, bias=true").
  virtual std::string extra_repr() const { return {}; }

 protected:
  // Registers a parameter (it is made to require grad); returns it for assignment to a member.
  Tensor register_parameter(std::string name, Tensor tensor);
  Tensor register_buffer(std::string name, Tensor tensor);
  template <class M>
  std::shared_ptr<M> register_module(std::string name, std::shared_ptr<M> module) {
    add_child(std::move(name), module);
    return module;
  }
  void add_child(std::string name, std::shared_ptr<Module> module);
  // Called by train(); a module that caches mode-dependent state may override it.
  virtual void on_train(bool) {}

 private:
  void check_new_name(const std::string& name) const;

  std::string type_name_;
  std::string scope_name_;  // "fc1 (Linear)" once registered in a parent; else the type name
  bool training_ = true;
  std::vector<std::pair<std::string, Tensor>> parameters_;
  std::vector<std::pair<std::string, Tensor>> buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
};

std::ostream& operator<<(std::ostream& os, const Module& module);

// Note [module call observer]
// Sees every Module::operator() call on this thread while installed (RAII: installing one keeps
// the previous and restores it): entered before forward runs, left with its output after (not
// when forward throws). model_summary (metrics.hpp) records output shapes with it, as torchinfo's
// hooks do.
class ModuleCallObserver {
 public:
  ModuleCallObserver();
  virtual ~ModuleCallObserver();
  ModuleCallObserver(const ModuleCallObserver&) = delete;
  ModuleCallObserver& operator=(const ModuleCallObserver&) = delete;
  virtual void entered(const Module& module) = 0;
  virtual void left(const Module& module, const Tensor& output) = 0;

 private:
  ModuleCallObserver* previous_;
};

}  // namespace kindling::nn
