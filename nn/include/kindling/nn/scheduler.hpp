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

class Scheduler {
 public:
  explicit Scheduler(Optimizer& optimizer);
  virtual ~Scheduler() = default;
  // Advances one step and sets the optimizer's lr.
  virtual void step();
  double last_lr() const noexcept { return optimizer_->lr(); }
  std::int64_t last_epoch() const noexcept { return last_epoch_; }
  virtual StateDict state_dict() const;
  virtual void load_state_dict(const StateDict& state);

 protected:
  // The lr after `epoch` steps (closed forms, so resuming never drifts).
  virtual double lr_at(std::int64_t epoch) const = 0;
  Optimizer* optimizer_;
  double base_lr_;
  std::int64_t last_epoch_ = 0;
};

// lr = base * gamma^(floor(epoch / step_size)).
class StepLR : public Scheduler {
 public:
  StepLR(Optimizer& optimizer, std::int64_t step_size, double gamma = 0.1);

 protected:
  double lr_at(std::int64_t epoch) const override;
  std::int64_t step_size_;
  double gamma_;
};

// lr = eta_min + (base - eta_min) (1 + cos(pi epoch / t_max)) / 2.
class CosineAnnealingLR : public Scheduler {
 public:
  CosineAnnealingLR(Optimizer& optimizer, std::int64_t t_max, double eta_min = 0.0);

 protected:
  double lr_at(std::int64_t epoch) const override;
  std::int64_t t_max_;
  double eta_min_;
};

// Linear warmup: lr = base * f, f going linearly from start_factor to 1 over `warmup_steps`
// steps and staying at 1 after (torch's LinearLR with end_factor 1).
class LinearWarmup : public Scheduler {
 public:
  LinearWarmup(Optimizer& optimizer, std::int64_t warmup_steps, double start_factor = 1.0 / 3.0);

 protected:
  double lr_at(std::int64_t epoch) const override;
  std::int64_t warmup_steps_;
  double start_factor_;
};

// lr = base * gamma^(the number of milestones <= epoch), as torch's MultiStepLR (a milestone
// given twice counts twice).
class MultiStepLR : public Scheduler {
 public:
  MultiStepLR(Optimizer& optimizer, std::vector<std::int64_t> milestones, double gamma = 0.1);

 protected:
  double lr_at(std::int64_t epoch) const override;
  std::vector<std::int64_t> milestones_;  // sorted
  double gamma_;
};

// lr = base * gamma^epoch (torch's ExponentialLR multiplies step by step; the closed form agrees
// to rounding).
class ExponentialLR : public Scheduler {
 public:
  ExponentialLR(Optimizer& optimizer, double gamma);

 protected:
  double lr_at(std::int64_t epoch) const override;
  double gamma_;
};

// lr = base * f, f going linearly from start_factor to end_factor over total_iters steps and
// staying there, as torch's LinearLR (whose first lr is already base * start_factor).
class LinearLR : public Scheduler {
 public:
  LinearLR(Optimizer& optimizer, double start_factor = 1.0 / 3.0, double end_factor = 1.0,
           std::int64_t total_iters = 5);

 protected:
  double lr_at(std::int64_t epoch) const override;
  double start_factor_, end_factor_;
  std::int64_t total_iters_;
};

// lr = base * lr_lambda(epoch), as torch's LambdaLR. The function is not in the state dict (as
// in torch): build the scheduler with the same one before loading.
class LambdaLR : public Scheduler {
 public:
  LambdaLR(Optimizer& optimizer, std::function<double(std::int64_t)> lr_lambda);

 protected:
  double lr_at(std::int64_t epoch) const override;
  std::function<double(std::int64_t)> lr_lambda_;
};

// The 1cycle policy, as torch's OneCycleLR (stepped once per batch): the lr rises from
// max_lr / div_factor to max_lr over the first pct_start of total_steps, then falls to
// max_lr / div_factor / final_div_factor (three_phase: back to the start first, then down), by
// cosine or linear annealing; with cycle_momentum the optimizer's momentum term (momentum or
// beta1) moves the opposite way between base_momentum and max_momentum. Stepping more than
// total_steps times is an error, as in torch.
class OneCycleLR : public Scheduler {
 public:
  struct Options {
    double max_lr = 0.1;
    std::int64_t total_steps = 0;  // required (> 0)
    double pct_start = 0.3;
    bool cosine = true;  // anneal_strategy 'cos'; false: 'linear'
    bool cycle_momentum = true;
    double base_momentum = 0.85;
    double max_momentum = 0.95;
    double div_factor = 25.0;
    double final_div_factor = 1e4;
    bool three_phase = false;
  };
  OneCycleLR(Optimizer& optimizer, Options options);
  void step() override;
  Options options;

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

// Multiplies lr by `factor` when the metric has not improved (by more than a relative
// `threshold`, in `mode` min or max) for more than `patience` steps, then waits `cooldown` steps;
// never below min_lr. Call step(metric) instead of step().
class ReduceLROnPlateau : public Scheduler {
 public:
  struct Options {
    bool maximize = false;
    double factor = 0.1;
    std::int64_t patience = 10;
    double threshold = 1e-4;
    std::int64_t cooldown = 0;
    double min_lr = 0.0;
  };
  ReduceLROnPlateau(Optimizer& optimizer, Options options);
  explicit ReduceLROnPlateau(Optimizer& optimizer) : ReduceLROnPlateau(optimizer, Options{}) {}
  void step(double metric);
  void step() override;  // an error: this scheduler needs the metric
  StateDict state_dict() const override;
  void load_state_dict(const StateDict& state) override;
  Options options;

 protected:
  double lr_at(std::int64_t) const override { return optimizer_->lr(); }
  bool improved(double metric) const;
  double best_;
  std::int64_t bad_epochs_ = 0;
  std::int64_t cooldown_counter_ = 0;
};

}  // namespace kindling::nn
