// Optimizers (SGD, Adam, AdamW, RMSprop, Adagrad, Adamax, NAdam, RAdam) and gradient clipping, with
// PyTorch's update rules.
//
//   kindling::nn::AdamW opt(model.parameters(), {.lr = 1e-3});
//   loss.backward(); opt.step(); opt.zero_grad();
//
// The state (moments, momentum buffers, the step count and the hyperparameters) is in
// state_dict(), so checkpoints resume exactly. Updates run fused when the parameter's device has
// the kernel-table entry (Note [fused optimizer steps] in kindling/tensor/kernels.hpp), else as
// tensor ops (Adagrad, Adamax, NAdam and RAdam are tensor ops only).
#pragma once

#include <concepts>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "kindling/nn/state_dict.hpp"
#include "kindling/tensor/kernels.hpp"
#include "kindling/tensor/tensor.hpp"

namespace kindling::nn {

class Optimizer {
 public:
  Optimizer(std::string name, std::vector<Tensor> params, double lr,
            std::vector<std::string> slot_names);
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // One update of every parameter that has a gradient (those without are skipped).
  void step();
  // Drops the gradients of the parameters.
  void zero_grad();

  double lr() const noexcept { return lr_; }
  void set_lr(double lr) noexcept { lr_ = lr; }
  std::int64_t step_count() const noexcept { return step_; }
  const std::vector<Tensor>& params() const noexcept { return params_; }
  const std::string& name() const noexcept { return name_; }
  // The momentum term a scheduler may cycle (OneCycleLR): SGD's and RMSprop's momentum, beta1
  // of the Adam family; null for an optimizer without one (Adagrad).
  virtual double* momentum_term() noexcept { return nullptr; }
  // Use the tensor-op form even when a fused kernel exists (for tests and comparisons).
  void set_use_fused(bool fused) noexcept { use_fused_ = fused; }

  // "step" (int64), "lr" and the other hyperparameters (float64, 0-d), and the state tensors as
  // "state.<param index>.<slot>". The state tensors share storage with the optimizer.
  StateDict state_dict() const;
  // Flags chosen at construction (SGD's nesterov, RMSprop's centered) are not in the dict: build
  // the optimizer with the same options before loading.
  // Strict: the parameter count and every hyperparameter must be present; state tensors must
  // match their parameter's shape. Values are copied.
  void load_state_dict(const StateDict& state);

 protected:
  // The state tensor `slot` of parameter i, created as zeros the first time (`created` says so).
  Tensor& slot(std::size_t i, std::size_t slot_index, bool* created = nullptr);
  // One parameter's update (grad defined), by the subclass.
  virtual void update(std::size_t i, const Tensor& param, const Tensor& grad) = 0;
  // Updates every parameter with a gradient in one batched call when the subclass can, returning
  // true; false leaves it to update() per parameter. The step count is already advanced.
  virtual bool update_all() { return false; }
  // Hyperparameters besides lr, by name, for the state dict.
  virtual std::vector<std::pair<std::string, double*>> hyperparameters() = 0;
  // The parameter's kernel table, made current, when it has the fused `step` entry and the
  // tensors suit it; null for the tensor-op form.
  const kernels::KernelTable* fused_for(const Tensor& param, const Tensor& grad,
                                        kernels::Kernel step) const;

  double lr_;

 private:
  std::string name_;
  std::vector<Tensor> params_;
  std::vector<std::string> slot_names_;
  std::vector<std::vector<Tensor>> state_;  // [param][slot], undefined until first used
  std::int64_t step_ = 0;
  bool use_fused_ = true;
};

struct SgdOptions {
  double lr = 1e-2;
  double momentum = 0.0;
  double dampening = 0.0;
  double weight_decay = 0.0;
  bool nesterov = false;
};

class SGD : public Optimizer {
 public:
  SGD(std::vector<Tensor> params, SgdOptions options);
  SgdOptions options;
  double* momentum_term() noexcept override { return &options.momentum; }

 protected:
  void update(std::size_t i, const Tensor& param, const Tensor& grad) override;
  std::vector<std::pair<std::string, double*>> hyperparameters() override;
};

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;  // Adam's; AdamWOptions has AdamW's 0.01
};

// Adam (L2 weight decay added to the gradient) and, with decoupled = true, AdamW.
class Adam : public Optimizer {
 public:
  Adam(std::vector<Tensor> params, AdamOptions options);
  AdamOptions options;
  double* momentum_term() noexcept override { return &options.beta1; }

 protected:
  Adam(std::string name, std::vector<Tensor> params, AdamOptions options, bool decoupled);
  void update(std::size_t i, const Tensor& param, const Tensor& grad) override;
  bool update_all() override;
  std::vector<std::pair<std::string, double*>> hyperparameters() override;
  kernels::AdamHyper hyper() const;
  bool decoupled_;
};

// AdamW's options: Adam's fields with AdamW's documented default weight decay, 0.01 (torch's).
// A type of its own so that the designated-initializer form keeps that default:
// AdamW(params, {.lr = 1e-3}) decays by 0.01, as AdamW(params) does.
struct AdamWOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 1e-2;
  operator AdamOptions() const { return {lr, beta1, beta2, eps, weight_decay}; }
};

class AdamW : public Adam {
 public:
  AdamW(std::vector<Tensor> params, AdamWOptions options = {});
  // An AdamOptions value is taken as it is, weight_decay included (AdamOptions' own default is
  // Adam's 0). A template so that a braced list never picks it: {.lr = 1e-3} is AdamWOptions.
  template <class Options>
  requires std::same_as<Options, AdamOptions> AdamW(std::vector<Tensor> params,
                                                    const Options& options)
      : Adam("AdamW", std::move(params), options, true) {}
  // AdamOptions with AdamW's default decay (for code that edits an AdamOptions).
  static AdamOptions with_default_decay() { return AdamWOptions{}; }
};

struct RmspropOptions {
  double lr = 1e-2;
  double alpha = 0.99;
  double eps = 1e-8;
  double weight_decay = 0.0;
  double momentum = 0.0;
  bool centered = false;
};

class RMSprop : public Optimizer {
 public:
  RMSprop(std::vector<Tensor> params, RmspropOptions options);
  RmspropOptions options;
  double* momentum_term() noexcept override { return &options.momentum; }

 protected:
  void update(std::size_t i, const Tensor& param, const Tensor& grad) override;
  std::vector<std::pair<std::string, double*>> hyperparameters() override;
};

struct AdagradOptions {
  double lr = 1e-2;
  double lr_decay = 0.0;
  double weight_decay = 0.0;
  double initial_accumulator_value = 0.0;
  double eps = 1e-10;
};

// torch.optim.Adagrad: sum += g^2; p -= lr / (1 + (t - 1) lr_decay) * g / (sqrt(sum) + eps).
class Adagrad : public Optimizer {
 public:
  Adagrad(std::vector<Tensor> params, AdagradOptions options = {});
  AdagradOptions options;

 protected:
  void update(std::size_t i, const Tensor& param, const Tensor& grad) override;
  std::vector<std::pair<std::string, double*>> hyperparameters() override;
};

struct AdamaxOptions {
  double lr = 2e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
};

// torch.optim.Adamax: m = b1 m + (1 - b1) g; u = max(b2 u, |g| + eps);
// p -= lr / (1 - b1^t) * m / u.
class Adamax : public Optimizer {
 public:
  Adamax(std::vector<Tensor> params, AdamaxOptions options = {});
  AdamaxOptions options;
  double* momentum_term() noexcept override { return &options.beta1; }

 protected:
  void update(std::size_t i, const Tensor& param, const Tensor& grad) override;
  std::vector<std::pair<std::string, double*>> hyperparameters() override;
};

struct NAdamOptions {
  double lr = 2e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
  double momentum_decay = 4e-3;
};

// torch.optim.NAdam (Dozat's Nesterov Adam with the momentum schedule
// mu_t = b1 (1 - 0.5 * 0.96^(t momentum_decay))):
//   p -= lr (1 - mu_t) / (1 - prod_{i<=t} mu_i) * g / d + lr mu_{t+1} / (1 - prod_{i<=t+1} mu_i) *
//   m / d
// with d = sqrt(v / (1 - b2^t)) + eps. Note [NAdam's product]: torch 1.13 multiplies mu_t into
// the second product twice (fixed in torch 2.0); kindling uses the paper's product, as torch 2.
class NAdam : public Optimizer {
 public:
  NAdam(std::vector<Tensor> params, NAdamOptions options = {});
  NAdamOptions options;
  double* momentum_term() noexcept override { return &options.beta1; }

 protected:
  void update(std::size_t i, const Tensor& param, const Tensor& grad) override;
  std::vector<std::pair<std::string, double*>> hyperparameters() override;

 private:
  // prod_{i<=t} mu_i for the current step, multiplied in step order (so a resumed run gets the
  // same bits as an uninterrupted one).
  double mu_product();
  double mu_product_ = 1.0;
  std::int64_t mu_product_step_ = 0;
};

struct RAdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0.0;
};

// torch.optim.RAdam: Adam's moments; while the variance's SMA length rho_t <= 5 the step is the
// bias-corrected momentum alone, then it is rectified by
// r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t)).
class RAdam : public Optimizer {
 public:
  RAdam(std::vector<Tensor> params, RAdamOptions options = {});
  RAdamOptions options;
  double* momentum_term() noexcept override { return &options.beta1; }

 protected:
  void update(std::size_t i, const Tensor& param, const Tensor& grad) override;
  std::vector<std::pair<std::string, double*>> hyperparameters() override;
};

// Scales all gradients by max_norm / (total + 1e-6) when their total p-norm (over all of them)
// exceeds max_norm, as torch.nn.utils.clip_grad_norm_; returns the total norm before clipping.
double clip_grad_norm(const std::vector<Tensor>& params, double max_norm, double norm_type = 2.0);
// Clamps every gradient element to [-clip_value, clip_value].
void clip_grad_value(const std::vector<Tensor>& params, double clip_value);

}  // namespace kindling::nn
