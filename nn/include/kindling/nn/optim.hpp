// Optimizers (SGD, Adam, AdamW, RMSprop, Adagrad, Adamax, NAdam, RAdam) and gradient clipping, with
// PyTorch's update rules.
//
//   kindling::nn::AdamW opt(model.parameters(), {.lr = 1e-3});
//   loss.backward(); opt.step(); opt.zero_grad();
//
// Optimizer (below) says where the state goes and when an update runs fused.
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

/// The base of the optimizers, as torch.optim.Optimizer with one parameter group: it holds the
/// parameters, the learning rate, the step count and per-parameter state tensors ("slots", such
/// as Adam's exp_avg), and saves them all in state_dict(). Unlike torch there are no parameter
/// groups (one lr for every parameter; build one optimizer per group) and no closures.
/// The state (moments, momentum buffers, the step count and the hyperparameters) is in
/// state_dict(), so checkpoints resume exactly. Updates run fused when the parameter's device has
/// the kernel-table entry (Note [fused optimizer steps] in kindling/tensor/kernels.hpp), else as
/// tensor ops (Adagrad, Adamax, NAdam and RAdam are tensor ops only).
/// @code
/// using namespace kindling;
/// nn::AdamW opt(model->parameters(), {.lr = 1e-3});
/// for (const nn::Batch& batch : loader) {
///   Tensor loss = nn::cross_entropy((*model)(batch.inputs), batch.targets);
///   opt.zero_grad();
///   loss.backward();
///   opt.step();
/// }
/// @endcode
class Optimizer {
 public:
  /// An optimizer over `params`, for a subclass.
  /// @param name the optimizer's name, for messages ("SGD").
  /// @param params the parameters; each must be a floating-point leaf that requires grad.
  /// @param lr the learning rate (>= 0).
  /// @param slot_names the names of the per-parameter state tensors, for the state dict.
  /// @throws kindling::error for a negative lr or a parameter that is undefined, not a leaf,
  ///   does not require grad or is not floating-point.
  Optimizer(std::string name, std::vector<Tensor> params, double lr,
            std::vector<std::string> slot_names);
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  /// One update of every parameter that has a gradient (those without are skipped), under
  /// no_grad; advances step_count() first. The parameters change in place (their version counts
  /// the write).
  void step();
  /// Drops the gradients of the parameters, as torch's zero_grad(set_to_none=True).
  void zero_grad();

  /// The learning rate (what a scheduler sets).
  double lr() const noexcept { return lr_; }
  /// Sets the learning rate for the next step().
  void set_lr(double lr) noexcept { lr_ = lr; }
  /// The number of step() calls so far (restored by load_state_dict()).
  std::int64_t step_count() const noexcept { return step_; }
  /// The parameters, in the order given.
  const std::vector<Tensor>& params() const noexcept { return params_; }
  /// The optimizer's name ("AdamW").
  const std::string& name() const noexcept { return name_; }
  /// The momentum term a scheduler may cycle (OneCycleLR): SGD's and RMSprop's momentum, beta1
  /// of the Adam family; null for an optimizer without one (Adagrad).
  virtual double* momentum_term() noexcept { return nullptr; }
  /// Use the tensor-op form even when a fused kernel exists (for tests and comparisons) when
  /// `fused` is false.
  void set_use_fused(bool fused) noexcept { use_fused_ = fused; }

  /// "step" (int64, 0-d), "lr" and the other hyperparameters (float64, 0-d), and the state
  /// tensors as "state.i.slot" for parameter i ("state.0.exp_avg"), each once it exists. The
  /// state tensors share storage with the optimizer. A flat layout, not torch's nested
  /// {"state", "param_groups"}.
  StateDict state_dict() const;
  /// Restores a state_dict(): the step count, lr, hyperparameters and state tensors (copied in).
  /// Flags chosen at construction (SGD's nesterov, RMSprop's centered) are not in the dict:
  /// build the optimizer with the same options and parameters before loading. A state tensor
  /// the dict lacks is dropped (it starts from zeros again).
  /// @throws kindling::error (before anything changes) when "step", "lr" or a hyperparameter is
  ///   missing or not one element, an entry is not one of this optimizer's (a parameter index
  ///   past its count, an unknown slot), a state tensor's shape is not its parameter's, or the
  ///   step is not a whole number >= 0.
  void load_state_dict(const StateDict& state);

 protected:
  /// The state tensor `slot_index` of parameter i, created as zeros of the parameter's shape,
  /// dtype and device the first time (`created`, when given, says whether it was).
  Tensor& slot(std::size_t i, std::size_t slot_index, bool* created = nullptr);
  /// One parameter's update (grad defined), by the subclass; the step count is already advanced.
  virtual void update(std::size_t i, const Tensor& param, const Tensor& grad) = 0;
  /// Updates every parameter with a gradient in one batched call when the subclass can, returning
  /// true; false leaves it to update() per parameter. The step count is already advanced.
  virtual bool update_all() { return false; }
  /// Hyperparameters besides lr, by name, for the state dict (pointers into the options).
  virtual std::vector<std::pair<std::string, double*>> hyperparameters() = 0;
  /// The parameter's kernel table, made current, when it has the fused `step` entry and the
  /// tensors suit it (contiguous, one dtype and device, fusing not turned off); null for the
  /// tensor-op form.
  const kernels::KernelTable* fused_for(const Tensor& param, const Tensor& grad,
                                        kernels::Kernel step) const;

  double lr_;  ///< The learning rate.

 private:
  std::string name_;
  std::vector<Tensor> params_;
  std::vector<std::string> slot_names_;
  std::vector<std::vector<Tensor>> state_;  // [param][slot], undefined until first used
  std::int64_t step_ = 0;
  bool use_fused_ = true;
};

/// SGD's options, torch.optim.SGD's arguments and defaults (lr's default, 0.01, is kindling's).
struct SgdOptions {
  double lr = 1e-2;           ///< The learning rate.
  double momentum = 0.0;      ///< The momentum factor (>= 0); 0: no momentum buffer.
  double dampening = 0.0;     ///< Scales the new gradient in the buffer by 1 - dampening.
  double weight_decay = 0.0;  ///< L2 penalty (>= 0), added to the gradient.
  bool nesterov = false;      ///< Nesterov momentum (needs momentum > 0 and dampening 0).
};

/// Stochastic gradient descent, as torch.optim.SGD. g += weight_decay p; with momentum,
/// buf = momentum buf + (1 - dampening) g (buf = g on the first step) and g = buf, or
/// g + momentum buf with nesterov; p -= lr g. State: "momentum_buffer". Not maximize.
/// @code
/// kindling::nn::SGD opt(model->parameters(), {.lr = 0.1, .momentum = 0.9});
/// @endcode
class SGD : public Optimizer {
 public:
  /// SGD over `params`.
  /// @param params the parameters (floating-point leaves that require grad).
  /// @param options lr, momentum, dampening, weight_decay, nesterov.
  /// @throws kindling::error for a negative momentum or weight_decay, nesterov without
  ///   momentum > 0 and dampening 0, or as the Optimizer constructor.
  SGD(std::vector<Tensor> params, SgdOptions options);
  SgdOptions options;  ///< The options; changes take effect at the next step().
  double* momentum_term() noexcept override { return &options.momentum; }

 protected:
  void update(std::size_t i, const Tensor& param, const Tensor& grad) override;
  std::vector<std::pair<std::string, double*>> hyperparameters() override;
};

/// Adam's options, torch.optim.Adam's defaults (betas as beta1 and beta2).
struct AdamOptions {
  double lr = 1e-3;           ///< The learning rate.
  double beta1 = 0.9;         ///< The first moment's decay, in [0, 1).
  double beta2 = 0.999;       ///< The second moment's decay, in [0, 1).
  double eps = 1e-8;          ///< Added to the denominator (>= 0).
  double weight_decay = 0.0;  ///< Adam's L2 penalty; AdamWOptions has AdamW's 0.01.
};

/// Adam, as torch.optim.Adam (L2 weight decay added to the gradient; AdamW derives from it).
/// m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2,
/// p -= lr / (1 - b1^t) m / (sqrt(v) / sqrt(1 - b2^t) + eps). State: "exp_avg", "exp_avg_sq".
/// No amsgrad or maximize.
/// @code
/// kindling::nn::Adam opt(model->parameters(), {.lr = 3e-4, .beta2 = 0.99});
/// @endcode
class Adam : public Optimizer {
 public:
  /// Adam over `params`.
  /// @param params the parameters (floating-point leaves that require grad).
  /// @param options lr, beta1, beta2, eps, weight_decay.
  /// @throws kindling::error for a beta outside [0, 1), a negative eps or weight_decay, or as
  ///   the Optimizer constructor.
  Adam(std::vector<Tensor> params, AdamOptions options);
  AdamOptions options;  ///< The options; changes take effect at the next step().
  double* momentum_term() noexcept override { return &options.beta1; }

 protected:
  /// The shared constructor: `decoupled` makes it AdamW, named `name`.
  /// @param name the optimizer's name ("Adam" or "AdamW").
  /// @param params the parameters.
  /// @param options the hyperparameters.
  /// @param decoupled decay the parameter itself (AdamW) instead of adding to the gradient.
  /// @throws kindling::error as the public constructor.
  Adam(std::string name, std::vector<Tensor> params, AdamOptions options, bool decoupled);
  void update(std::size_t i, const Tensor& param, const Tensor& grad) override;
  /// All parameters in one adam_multi_step call (one launch on a GPU) when at least two have a
  /// grad and all of those can take the fused step on one device with one dtype.
  bool update_all() override;
  std::vector<std::pair<std::string, double*>> hyperparameters() override;
  /// The hyperparameters of this step, for the fused kernels.
  kernels::AdamHyper hyper() const;
  bool decoupled_;  ///< True for AdamW: p *= 1 - lr weight_decay before the Adam step.
};

/// AdamW's options: Adam's fields with AdamW's documented default weight decay, 0.01 (torch's).
/// A type of its own so that the designated-initializer form keeps that default:
/// AdamW(params, {.lr = 1e-3}) decays by 0.01, as AdamW(params) does.
struct AdamWOptions {
  double lr = 1e-3;            ///< The learning rate.
  double beta1 = 0.9;          ///< The first moment's decay, in [0, 1).
  double beta2 = 0.999;        ///< The second moment's decay, in [0, 1).
  double eps = 1e-8;           ///< Added to the denominator (>= 0).
  double weight_decay = 1e-2;  ///< Decoupled weight decay (>= 0), torch's default 0.01.
  /// The same values as AdamOptions.
  operator AdamOptions() const { return {lr, beta1, beta2, eps, weight_decay}; }
};

/// Adam with decoupled weight decay, as torch.optim.AdamW: p *= 1 - lr weight_decay, then
/// Adam's step without decay in the gradient.
/// @code
/// kindling::nn::AdamW opt(model->parameters(), {.lr = 1e-3});  // weight_decay 0.01
/// @endcode
class AdamW : public Adam {
 public:
  /// AdamW over `params` (default options: torch's, weight_decay 0.01).
  /// @throws kindling::error as Adam's constructor.
  AdamW(std::vector<Tensor> params, AdamWOptions options = {});
  /// An AdamOptions value is taken as it is, weight_decay included (AdamOptions' own default is
  /// Adam's 0). A template so that a braced list never picks it: {.lr = 1e-3} is AdamWOptions.
  template <class Options>
  requires std::same_as<Options, AdamOptions> AdamW(std::vector<Tensor> params,
                                                    const Options& options)
      : Adam("AdamW", std::move(params), options, true) {}
  /// AdamOptions with AdamW's default decay (for code that edits an AdamOptions).
  static AdamOptions with_default_decay() { return AdamWOptions{}; }
};

/// RMSprop's options, torch.optim.RMSprop's defaults.
struct RmspropOptions {
  double lr = 1e-2;           ///< The learning rate.
  double alpha = 0.99;        ///< The squared-gradient average's decay (>= 0).
  double eps = 1e-8;          ///< Added to the denominator (>= 0).
  double weight_decay = 0.0;  ///< L2 penalty (>= 0), added to the gradient.
  double momentum = 0.0;      ///< The momentum factor (>= 0); 0: no momentum buffer.
  bool centered = false;      ///< Divide by the gradient's variance estimate, not its mean square.
};

/// RMSprop, as torch.optim.RMSprop. sq = alpha sq + (1 - alpha) g^2; d = sqrt(sq) + eps
/// (centered: sqrt(sq - avg^2) + eps with avg the gradient's running mean); with momentum,
/// buf = momentum buf + g / d and p -= lr buf, else p -= lr g / d. State: "square_avg",
/// "momentum_buffer", "grad_avg".
class RMSprop : public Optimizer {
 public:
  /// RMSprop over `params`.
  /// @param params the parameters (floating-point leaves that require grad).
  /// @param options lr, alpha, eps, weight_decay, momentum, centered.
  /// @throws kindling::error for a negative alpha, eps, momentum or weight_decay, or as the
  ///   Optimizer constructor.
  RMSprop(std::vector<Tensor> params, RmspropOptions options);
  RmspropOptions options;  ///< The options; changes take effect at the next step().
  double* momentum_term() noexcept override { return &options.momentum; }

 protected:
  void update(std::size_t i, const Tensor& param, const Tensor& grad) override;
  std::vector<std::pair<std::string, double*>> hyperparameters() override;
};

/// Adagrad's options, torch.optim.Adagrad's defaults.
struct AdagradOptions {
  double lr = 1e-2;                        ///< The learning rate.
  double lr_decay = 0.0;                   ///< lr / (1 + (t - 1) lr_decay) at step t (>= 0).
  double weight_decay = 0.0;               ///< L2 penalty (>= 0), added to the gradient.
  double initial_accumulator_value = 0.0;  ///< The sum's starting value (>= 0).
  double eps = 1e-10;                      ///< Added to the denominator (>= 0).
};

/// Adagrad, as torch.optim.Adagrad. sum += g^2; p -= lr / (1 + (t - 1) lr_decay) * g / (sqrt(sum) +
/// eps). State: "sum". Tensor ops only.
class Adagrad : public Optimizer {
 public:
  /// Adagrad over `params`.
  /// @param params the parameters (floating-point leaves that require grad).
  /// @param options lr, lr_decay, weight_decay, initial_accumulator_value, eps (default: torch's).
  /// @throws kindling::error for a negative option, or as the Optimizer constructor.
  Adagrad(std::vector<Tensor> params, AdagradOptions options = {});
  AdagradOptions options;  ///< The options; changes take effect at the next step().

 protected:
  void update(std::size_t i, const Tensor& param, const Tensor& grad) override;
  std::vector<std::pair<std::string, double*>> hyperparameters() override;
};

/// Adamax's options, torch.optim.Adamax's defaults.
struct AdamaxOptions {
  double lr = 2e-3;           ///< The learning rate.
  double beta1 = 0.9;         ///< The first moment's decay, in [0, 1).
  double beta2 = 0.999;       ///< The infinity norm's decay, in [0, 1).
  double eps = 1e-8;          ///< Added to |g| (>= 0).
  double weight_decay = 0.0;  ///< L2 penalty (>= 0), added to the gradient.
};

/// Adamax, as torch.optim.Adamax. m = b1 m + (1 - b1) g; u = max(b2 u, |g| + eps);
/// p -= lr / (1 - b1^t) * m / u. State: "exp_avg", "exp_inf". Tensor ops only.
class Adamax : public Optimizer {
 public:
  /// Adamax over `params`.
  /// @param params the parameters (floating-point leaves that require grad).
  /// @param options lr, beta1, beta2, eps, weight_decay (default: torch's).
  /// @throws kindling::error for a beta outside [0, 1), a negative eps or weight_decay, or as
  ///   the Optimizer constructor.
  Adamax(std::vector<Tensor> params, AdamaxOptions options = {});
  AdamaxOptions options;  ///< The options; changes take effect at the next step().
  double* momentum_term() noexcept override { return &options.beta1; }

 protected:
  void update(std::size_t i, const Tensor& param, const Tensor& grad) override;
  std::vector<std::pair<std::string, double*>> hyperparameters() override;
};

/// NAdam's options, torch.optim.NAdam's defaults.
struct NAdamOptions {
  double lr = 2e-3;              ///< The learning rate.
  double beta1 = 0.9;            ///< The first moment's decay, in [0, 1).
  double beta2 = 0.999;          ///< The second moment's decay, in [0, 1).
  double eps = 1e-8;             ///< Added to the denominator (>= 0).
  double weight_decay = 0.0;     ///< L2 penalty (>= 0), added to the gradient.
  double momentum_decay = 4e-3;  ///< psi in the momentum schedule mu_t (>= 0).
};

/// Adam with Nesterov momentum, as torch.optim.NAdam. Dozat's algorithm with the momentum
/// schedule mu_t = b1 (1 - 0.5 * 0.96^(t momentum_decay)):
///   p -= lr (1 - mu_t) / (1 - prod_{i<=t} mu_i) * g / d + lr mu_{t+1} / (1 - prod_{i<=t+1} mu_i) *
///   m / d
/// with d = sqrt(v / (1 - b2^t)) + eps. Note [NAdam's product]: torch 1.13 multiplies mu_t into
/// the second product twice (fixed in torch 2.0); kindling uses the paper's product, as torch 2.
/// State: "exp_avg", "exp_avg_sq". Tensor ops only.
class NAdam : public Optimizer {
 public:
  /// NAdam over `params`.
  /// @param params the parameters (floating-point leaves that require grad).
  /// @param options lr, beta1, beta2, eps, weight_decay, momentum_decay (default: torch's).
  /// @throws kindling::error for a beta outside [0, 1), a negative eps, weight_decay or
  ///   momentum_decay, or as the Optimizer constructor.
  NAdam(std::vector<Tensor> params, NAdamOptions options = {});
  NAdamOptions options;  ///< The options; changes take effect at the next step().
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

/// RAdam's options, torch.optim.RAdam's defaults.
struct RAdamOptions {
  double lr = 1e-3;           ///< The learning rate.
  double beta1 = 0.9;         ///< The first moment's decay, in [0, 1).
  double beta2 = 0.999;       ///< The second moment's decay, in [0, 1).
  double eps = 1e-8;          ///< Added to the denominator (>= 0).
  double weight_decay = 0.0;  ///< L2 penalty (>= 0), added to the gradient.
};

/// Rectified Adam, as torch.optim.RAdam. Adam's moments; while the variance's SMA length rho_t <= 5
/// the step is the bias-corrected momentum alone, then it is rectified by r_t = sqrt((rho_t -
/// 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t)). State: "exp_avg", "exp_avg_sq".
/// Tensor ops only.
class RAdam : public Optimizer {
 public:
  /// RAdam over `params`.
  /// @param params the parameters (floating-point leaves that require grad).
  /// @param options lr, beta1, beta2, eps, weight_decay (default: torch's).
  /// @throws kindling::error for a beta outside [0, 1), a negative eps or weight_decay, or as
  ///   the Optimizer constructor.
  RAdam(std::vector<Tensor> params, RAdamOptions options = {});
  RAdamOptions options;  ///< The options; changes take effect at the next step().
  double* momentum_term() noexcept override { return &options.beta1; }

 protected:
  void update(std::size_t i, const Tensor& param, const Tensor& grad) override;
  std::vector<std::pair<std::string, double*>> hyperparameters() override;
};

/// Clips the gradients' total norm, as torch.nn.utils.clip_grad_norm_; returns the total norm
/// before clipping. It scales all gradients by max_norm / (total + 1e-6) when their total p-norm
/// (over all of them, accumulated in float64; norm_type may be infinity) exceeds max_norm.
/// Parameters without a gradient are skipped. Unlike torch, a NaN total leaves the gradients
/// unscaled.
/// @throws kindling::error when max_norm < 0 or norm_type <= 0.
double clip_grad_norm(const std::vector<Tensor>& params, double max_norm, double norm_type = 2.0);
/// Clamps every gradient element to [-clip_value, clip_value], as
/// torch.nn.utils.clip_grad_value_.
/// @throws kindling::error when clip_value < 0.
void clip_grad_value(const std::vector<Tensor>& params, double clip_value);

}  // namespace kindling::nn
