// Module: the base of every layer and model, and ModuleCallObserver, which sees every module call
// (model_summary's hook).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "kindling/nn/state_dict.hpp"
#include "kindling/tensor/tensor.hpp"

namespace kindling::nn {

/// The base of every layer and model, as torch.nn.Module. It owns named parameters (tensors that
/// require grad), named buffers (state that is saved but not trained, such as BatchNorm's running
/// statistics) and named submodules, and derives from them the walks PyTorch users expect:
/// parameters(), named_parameters(), zero_grad(), train()/eval(), state_dict(),
/// load_state_dict().
///
/// Names join with dots ("0.weight", "encoder.fc1.bias"), as in PyTorch, so state dicts map one
/// to one onto PyTorch's and onto safetensors files written from it. Unlike PyTorch, submodules
/// and parameters are registered explicitly (there is no attribute magic), and a module is
/// neither copyable nor movable: hold it by std::shared_ptr.
/// @code
/// using namespace kindling;
/// using namespace kindling::nn;
/// class Net : public Module {
///  public:
///   explicit Net(Generator& g) : Module("Net") {
///     fc1 = register_module("fc1", std::make_shared<Linear>(784, 10, g));
///   }
///   Tensor forward(const Tensor& x) override { return (*fc1)(x); }
///   std::shared_ptr<Linear> fc1;
/// };
/// Generator g(1);
/// auto net = std::make_shared<Net>(g);
/// Tensor logits = (*net)(zeros({64, 784}));  // (64, 10)
/// net->named_parameters();                   // "fc1.weight", "fc1.bias"
/// @endcode
class Module {
 public:
  /// A module with no parameters, buffers or children, in training mode; `type_name` is what
  /// to_string() and graph clusters call it ("Linear").
  explicit Module(std::string type_name) : type_name_(std::move(type_name)) {}
  /// Frees the tree below without recursion (Note [module teardown] in module.cpp).
  virtual ~Module();
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  /// The computation. Modules with one tensor in and one out override this; call the module
  /// through operator() rather than forward() directly, as in PyTorch.
  /// @throws kindling::error from the base version: "forward(Tensor) is not implemented by this
  ///   module" (containers such as ModuleList and ModuleDict have none).
  virtual Tensor forward(const Tensor& input);
  /// Runs forward() inside this module's name scope (Note [module scopes]), so that graphs draw
  /// the module as a cluster holding the nodes it made and its own parameters, and tells an
  /// installed ModuleCallObserver. Module calls nest at most engine::kMaxScopeDepth (10000) deep.
  /// @throws kindling::error when the call would nest deeper, rather than overflow the stack in
  ///   the nested forwards; and whatever forward() throws.
  Tensor operator()(const Tensor& input);

  // ---- walks over the module tree (depth first, registration order) ----

  /// Every parameter of this module and the modules below it, depth first in registration order,
  /// as torch's parameters(). The handles share the module's tensors (pass them to an optimizer).
  std::vector<Tensor> parameters() const;
  /// parameters() with their dotted names ("fc1.weight"), as torch's named_parameters().
  std::vector<std::pair<std::string, Tensor>> named_parameters() const;
  /// Every buffer with its dotted name ("bn.running_mean"), as torch's named_buffers().
  std::vector<std::pair<std::string, Tensor>> named_buffers() const;
  /// Every module below this one with its dotted name (this module first, named ""), as torch's
  /// named_modules().
  std::vector<std::pair<std::string, Module*>> named_modules();
  /// The same without this module, each with the owning handle its parent holds.
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> named_submodules() const;
  /// The direct submodules with their names, in registration order, as torch's
  /// named_children().
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& children() const noexcept {
    return children_;
  }
  /// Total number of parameter elements, the submodules' included.
  std::int64_t parameter_count() const;

  /// Drops every parameter's gradient (the next backward starts from zero), as torch's
  /// zero_grad(set_to_none=True).
  void zero_grad();
  /// Training mode (Dropout drops, BatchNorm uses batch statistics) for this module and below,
  /// or eval mode when `on` is false. Modules start in training mode, as in PyTorch.
  void train(bool on = true);
  /// Eval mode for this module and below: train(false).
  void eval() { train(false); }
  /// True in training mode.
  bool is_training() const noexcept { return training_; }

  /// Moves every parameter and buffer to `device` in place (move_to_device: handles stay valid,
  /// so an optimizer built before keeps working; grads are dropped), as torch's to(device).
  /// @throws kindling::error for a device without kernels.
  void to(Device device);

  /// Parameters and buffers by dotted name, parameters before buffers within each module, as
  /// torch's state_dict(). The tensors are detached but share storage with the module.
  StateDict state_dict() const;
  /// Copies values into the module's tensors (their storage is kept, so optimizers holding them
  /// stay valid), converting dtypes, from any device, as torch's load_state_dict.
  /// @param state the entries, named as state_dict() names them.
  /// @param strict when true, every entry must be there and no other; when false, only the
  ///   entries whose names match are copied.
  /// @throws kindling::error naming every problem at once (missing and unexpected entries when
  ///   strict; shape mismatches always), before anything is copied.
  void load_state_dict(const StateDict& state, bool strict = true);

  /// A readable printout, PyTorch style: one line per module, "Type(extra_repr())", children
  /// indented under their parent as "(name): ...", as torch's repr of a module.
  std::string to_string() const;
  /// The name given at construction ("Linear", "Sequential").
  const std::string& type_name() const noexcept { return type_name_; }
  /// What goes between the parentheses of this module's line in to_string(), as torch's
  /// extra_repr ("in_features=784, out_features=256, bias=True"); empty by default.
  virtual std::string extra_repr() const { return {}; }

 protected:
  /// Registers a parameter (it is made to require grad); returns it for assignment to a member,
  /// as torch's register_parameter.
  /// @throws kindling::error for an empty name, one with a dot, one already taken by a parameter,
  ///   buffer or submodule of this module, or a tensor that is undefined or not a leaf.
  Tensor register_parameter(std::string name, Tensor tensor);
  /// Registers a buffer: saved in state_dict() and moved by to(), but not a parameter, as torch's
  /// register_buffer; returns it.
  /// @throws kindling::error for a bad or taken name (as register_parameter) or an undefined
  ///   tensor.
  Tensor register_buffer(std::string name, Tensor tensor);
  /// Registers a submodule (add_child()) and returns it, typed, for assignment to a member.
  /// @throws kindling::error as add_child().
  template <class M>
  std::shared_ptr<M> register_module(std::string name, std::shared_ptr<M> module) {
    add_child(std::move(name), module);
    return module;
  }
  /// Registers a submodule under `name`; its graph scope becomes "name (Type)".
  /// @throws kindling::error for a bad or taken name (as register_parameter) or a null module.
  void add_child(std::string name, std::shared_ptr<Module> module);
  /// Called by train() on each module with the new mode; a module that caches mode-dependent
  /// state may override it.
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

/// Writes module.to_string().
std::ostream& operator<<(std::ostream& os, const Module& module);

// Note [module call observer]
/// Sees every Module::operator() call on this thread while installed (RAII: constructing one
/// installs it and keeps the previous one, destroying it restores that): entered before forward
/// runs, left with its output after (not when forward throws). model_summary (metrics.hpp)
/// records output shapes with it, as torchinfo's forward hooks do; PyTorch's nearest equivalent
/// is register_module_forward_hook.
class ModuleCallObserver {
 public:
  /// Installs this observer on the calling thread.
  ModuleCallObserver();
  /// Puts back the observer that was installed before.
  virtual ~ModuleCallObserver();
  ModuleCallObserver(const ModuleCallObserver&) = delete;
  ModuleCallObserver& operator=(const ModuleCallObserver&) = delete;
  /// Called as `module`'s operator() begins, before its forward runs.
  virtual void entered(const Module& module) = 0;
  /// Called when `module`'s forward has returned `output`.
  virtual void left(const Module& module, const Tensor& output) = 0;

 private:
  ModuleCallObserver* previous_;
};

}  // namespace kindling::nn
