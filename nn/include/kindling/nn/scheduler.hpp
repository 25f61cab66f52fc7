// Learning-rate schedulers, as torch.optim.lr_scheduler: each sets the optimizer's lr when
// step() is called (once per epoch or per iteration, as the user chooses). Their state (the
// step counter, the base lr, the plateau counters) is in state_dict() for checkpoints.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "kindling/nn/optim.hpp"
#include "kindling/nn/state_dict.hpp"

namespace kindling::nn {

/// The base of the learning-rate schedulers, as torch.optim.lr_scheduler.LRScheduler: step()
/// advances a counter and sets the optimizer's lr from a closed form of it (lr_at()), so a
/// resumed run never drifts. The base lr is the optimizer's lr at construction. Unlike torch,
/// two schedulers on one optimizer do not compose: the last one stepped sets the lr.
/// @code
/// using namespace kindling;
/// nn::SGD opt(model->parameters(), {.lr = 0.1});
/// nn::StepLR sched(opt, 30, 0.1);  // 0.1 for 30 epochs, then 0.01, then 0.001
/// for (int epoch = 0; epoch < 90; ++epoch) {
///   train_one_epoch(*model, opt);
///   sched.step();
/// }
/// @endcode
class Scheduler {
 public:
  /// A scheduler of `optimizer`'s lr, which must outlive it; last_epoch() starts at 0.
  explicit Scheduler(Optimizer& optimizer);
  virtual ~Scheduler() = default;
  /// Advances one step and sets the optimizer's lr to lr_at(last_epoch()).
  virtual void step();
  /// The optimizer's current lr (torch's get_last_lr(), one number).
  double last_lr() const noexcept { return optimizer_->lr(); }
  /// The number of steps taken (as restored by load_state_dict()).
  std::int64_t last_epoch() const noexcept { return last_epoch_; }
  /// "last_epoch" (int64, 0-d) and "base_lr" (float64, 0-d). The constructor's arguments (a
  /// step size, a gamma, a lambda) are not in it: build the scheduler with the same ones, and
  /// the optimizer's own state dict restores its lr.
  virtual StateDict state_dict() const;
  /// Restores a state_dict(); the optimizer's lr is not changed.
  /// @throws kindling::error (before anything changes) when an entry is missing or last_epoch
  ///   is not a whole number.
  virtual void load_state_dict(const StateDict& state);

 protected:
  /// The lr after `epoch` steps (closed forms, so resuming never drifts).
  virtual double lr_at(std::int64_t epoch) const = 0;
  Optimizer* optimizer_;         ///< The optimizer whose lr this sets.
  double base_lr_;               ///< The optimizer's lr at construction.
  std::int64_t last_epoch_ = 0;  ///< The number of steps taken.
};

/// lr = base * gamma^(floor(epoch / step_size)), as torch's StepLR.
class StepLR : public Scheduler {
 public:
  /// Decays by `gamma` every `step_size` steps.
  /// @param optimizer the optimizer whose lr this sets (it must outlive the scheduler).
  /// @param step_size steps between decays (> 0).
  /// @param gamma the decay factor (default 0.1).
  /// @throws kindling::error when step_size is not positive.
  StepLR(Optimizer& optimizer, std::int64_t step_size, double gamma = 0.1);

 protected:
  double lr_at(std::int64_t epoch) const override;
  std::int64_t step_size_;  ///< Steps between decays.
  double gamma_;            ///< The decay factor.
};

/// lr = eta_min + (base - eta_min) (1 + cos(pi epoch / t_max)) / 2, torch's CosineAnnealingLR
/// in its closed form (past t_max the cosine rises again, as torch's closed form does).
class CosineAnnealingLR : public Scheduler {
 public:
  /// Anneals from the base lr to `eta_min` over `t_max` steps.
  /// @param optimizer the optimizer whose lr this sets (it must outlive the scheduler).
  /// @param t_max the half period, in steps (> 0).
  /// @param eta_min the lowest lr (default 0).
  /// @throws kindling::error when t_max is not positive.
  CosineAnnealingLR(Optimizer& optimizer, std::int64_t t_max, double eta_min = 0.0);

 protected:
  double lr_at(std::int64_t epoch) const override;
  std::int64_t t_max_;  ///< The half period.
  double eta_min_;      ///< The lowest lr.
};

/// Linear warmup: lr = base * f, f going linearly from start_factor to 1 over `warmup_steps`
/// steps and staying at 1 after (torch's LinearLR with end_factor 1).
class LinearWarmup : public Scheduler {
 public:
  /// Warms up over `warmup_steps`; sets the optimizer's lr to base * start_factor at once.
  /// @param optimizer the optimizer whose lr this sets (it must outlive the scheduler).
  /// @param warmup_steps the steps to reach the base lr (> 0).
  /// @param start_factor the first lr's fraction of the base, in (0, 1] (default 1/3).
  /// @throws kindling::error for warmup_steps <= 0 or start_factor outside (0, 1].
  LinearWarmup(Optimizer& optimizer, std::int64_t warmup_steps, double start_factor = 1.0 / 3.0);

 protected:
  double lr_at(std::int64_t epoch) const override;
  std::int64_t warmup_steps_;  ///< The steps to reach the base lr.
  double start_factor_;        ///< The first lr's fraction of the base.
};

/// lr = base * gamma^(the number of milestones <= epoch), as torch's MultiStepLR (a milestone
/// given twice counts twice).
class MultiStepLR : public Scheduler {
 public:
  /// Decays by `gamma` at each milestone; a milestone at 0 applies at once, as in torch.
  /// @param optimizer the optimizer whose lr this sets (it must outlive the scheduler).
  /// @param milestones the steps at which to decay, in any order.
  /// @param gamma the decay factor (default 0.1).
  MultiStepLR(Optimizer& optimizer, std::vector<std::int64_t> milestones, double gamma = 0.1);

 protected:
  double lr_at(std::int64_t epoch) const override;
  std::vector<std::int64_t> milestones_;  ///< The milestones, sorted.
  double gamma_;                          ///< The decay factor.
};

/// lr = base * gamma^epoch (torch's ExponentialLR multiplies step by step; the closed form agrees
/// to rounding).
class ExponentialLR : public Scheduler {
 public:
  /// Decays by `gamma` every step.
  /// @param optimizer the optimizer whose lr this sets (it must outlive the scheduler).
  /// @param gamma the decay factor.
  ExponentialLR(Optimizer& optimizer, double gamma);

 protected:
  double lr_at(std::int64_t epoch) const override;
  double gamma_;  ///< The decay factor.
};

/// lr = base * f, f going linearly from start_factor to end_factor over total_iters steps and
/// staying there, as torch's LinearLR (whose first lr is already base * start_factor).
class LinearLR : public Scheduler {
 public:
  /// Scales the base lr linearly; sets the optimizer's lr to base * start_factor at once.
  /// @param optimizer the optimizer whose lr this sets (it must outlive the scheduler).
  /// @param start_factor the first factor, in (0, 1] (default 1/3).
  /// @param end_factor the last factor, in [0, 1] (default 1).
  /// @param total_iters the steps from one to the other (> 0, default 5).
  /// @throws kindling::error for a factor or total_iters out of those ranges.
  LinearLR(Optimizer& optimizer, double start_factor = 1.0 / 3.0, double end_factor = 1.0,
           std::int64_t total_iters = 5);

 protected:
  double lr_at(std::int64_t epoch) const override;
  /// The first factor.
  double start_factor_, end_factor_;  ///< The last factor.
  std::int64_t total_iters_;          ///< The steps from the first factor to the last.
};

/// lr = base * lr_lambda(epoch), as torch's LambdaLR. The function is not in the state dict (as
/// in torch): build the scheduler with the same one before loading.
class LambdaLR : public Scheduler {
 public:
  /// Scales the base lr by `lr_lambda`; sets the optimizer's lr to base * lr_lambda(0) at once.
  /// @param optimizer the optimizer whose lr this sets (it must outlive the scheduler).
  /// @param lr_lambda the factor for each step count.
  /// @throws kindling::error when lr_lambda is empty.
  LambdaLR(Optimizer& optimizer, std::function<double(std::int64_t)> lr_lambda);

 protected:
  double lr_at(std::int64_t epoch) const override;
  std::function<double(std::int64_t)> lr_lambda_;  ///< The factor for each step count.
};

/// The 1cycle policy, as torch's OneCycleLR (stepped once per batch): the lr rises from
/// max_lr / div_factor to max_lr over the first pct_start of total_steps, then falls to
/// max_lr / div_factor / final_div_factor (three_phase: back to the start first, then down), by
/// cosine or linear annealing; with cycle_momentum the optimizer's momentum term (momentum or
/// beta1) moves the opposite way between base_momentum and max_momentum. Stepping more than
/// total_steps times is an error, as in torch. The optimizer's own lr is not used.
/// @code
/// kindling::nn::SGD opt(model->parameters(), {.lr = 0.1, .momentum = 0.9});
/// kindling::nn::OneCycleLR sched(opt, {.max_lr = 0.1, .total_steps = 5000});
/// // after each batch's opt.step():
/// sched.step();
/// @endcode
class OneCycleLR : public Scheduler {
 public:
  /// torch's OneCycleLR arguments and defaults (epochs and steps_per_epoch as total_steps).
  struct Options {
    double max_lr = 0.1;            ///< The peak lr (> 0); torch requires it.
    std::int64_t total_steps = 0;   ///< The steps of the whole cycle; required (> 0).
    double pct_start = 0.3;         ///< The rising part's share of the cycle, in [0, 1].
    bool cosine = true;             ///< anneal_strategy 'cos'; false: 'linear'.
    bool cycle_momentum = true;     ///< Move the momentum term against the lr.
    double base_momentum = 0.85;    ///< The momentum at the lr's peak.
    double max_momentum = 0.95;     ///< The momentum at the lr's start and end.
    double div_factor = 25.0;       ///< The first lr is max_lr / div_factor (> 0).
    double final_div_factor = 1e4;  ///< The last lr is the first / final_div_factor (> 0).
    bool three_phase = false;       ///< Back to the first lr before the final descent.
  };
  /// A 1cycle schedule; sets the optimizer's lr (and momentum term) for step 0 at once.
  /// @param optimizer the optimizer whose lr this sets (it must outlive the scheduler).
  /// @param options the cycle.
  /// @throws kindling::error for total_steps <= 0, pct_start outside [0, 1], a max_lr,
  ///   div_factor or final_div_factor that is not positive, or cycle_momentum with an optimizer
  ///   that has no momentum term (Adagrad).
  OneCycleLR(Optimizer& optimizer, Options options);
  /// Advances one step and sets the lr and, with cycle_momentum, the momentum term.
  /// @throws kindling::error when it would step past total_steps.
  void step() override;
  Options options;  ///< The cycle, as given.

 protected:
  double lr_at(std::int64_t epoch) const override;

 private:
  struct Phase {
    double end_step, start_lr, end_lr, start_momentum, end_momentum;
  };
  // The lr (first) and momentum (second) at `epoch`.
  std::pair<double, double> at(std::int64_t epoch) const;
  std::vector<Phase> phases_;
};

/// Multiplies lr by `factor` when the metric has not improved (by more than a relative
/// `threshold`, in `mode` min or max) for more than `patience` steps, then waits `cooldown` steps;
/// never below min_lr. Call step(metric) instead of step(). As torch's ReduceLROnPlateau with
/// threshold_mode 'rel'; unlike torch there is no 'abs' mode and no eps.
/// @code
/// kindling::nn::ReduceLROnPlateau sched(opt, {.factor = 0.5, .patience = 3});
/// sched.step(validation_loss);  // once per epoch
/// @endcode
class ReduceLROnPlateau : public Scheduler {
 public:
  /// torch's ReduceLROnPlateau arguments and defaults.
  struct Options {
    bool maximize = false;       ///< torch's mode: false 'min' (a loss), true 'max' (accuracy).
    double factor = 0.1;         ///< The lr's multiplier on a plateau, in (0, 1).
    std::int64_t patience = 10;  ///< Steps without improvement tolerated before a reduction.
    double threshold = 1e-4;     ///< The relative change that counts as an improvement.
    std::int64_t cooldown = 0;   ///< Steps after a reduction during which bad steps don't count.
    double min_lr = 0.0;         ///< The lowest lr a reduction goes to.
  };
  /// A plateau detector with `options`.
  /// @param optimizer the optimizer whose lr this sets (it must outlive the scheduler).
  /// @param options the detector's settings.
  /// @throws kindling::error when factor is outside (0, 1).
  ReduceLROnPlateau(Optimizer& optimizer, Options options);
  /// A plateau detector with torch's defaults.
  explicit ReduceLROnPlateau(Optimizer& optimizer) : ReduceLROnPlateau(optimizer, Options{}) {}
  /// Records this step's `metric` and reduces the lr when it has plateaued.
  void step(double metric);
  /// Always an error: this scheduler needs the metric, step(metric).
  /// @throws kindling::error always.
  void step() override;
  /// The base entries and "best" (float64), "num_bad_epochs" and "cooldown_counter" (int64).
  StateDict state_dict() const override;
  /// Restores a state_dict().
  /// @throws kindling::error (before anything changes) when an entry is missing or a counter is
  ///   not a whole number.
  void load_state_dict(const StateDict& state) override;
  Options options;  ///< The detector's settings.

 protected:
  /// The optimizer's current lr (step(metric) sets it directly).
  double lr_at(std::int64_t) const override { return optimizer_->lr(); }
  /// Whether `metric` beats the best so far by the relative threshold.
  bool improved(double metric) const;
  double best_;                        ///< The best metric so far (+-inf at the start).
  std::int64_t bad_epochs_ = 0;        ///< Steps since the last improvement.
  std::int64_t cooldown_counter_ = 0;  ///< Cooldown steps left.
};

}  // namespace kindling::nn
