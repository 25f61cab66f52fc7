// Schedulers: closed-form lr curves (the 1cycle policy among them), and the plateau detector.
#include "kindling/nn/scheduler.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "kindling/engine/error.hpp"
#include "kindling/nn/tensor_util.hpp"
#include "kindling/tensor/creation.hpp"

namespace kindling::nn {

Scheduler::Scheduler(Optimizer& optimizer) : optimizer_(&optimizer), base_lr_(optimizer.lr()) {}

void Scheduler::step() {
  ++last_epoch_;
  optimizer_->set_lr(lr_at(last_epoch_));
}

StateDict Scheduler::state_dict() const {
  StateDict out;
  out.insert("last_epoch", int64_scalar(last_epoch_));
  out.insert("base_lr", scalar_tensor(base_lr_, DType::float64));
  return out;
}

void Scheduler::load_state_dict(const StateDict& state) {
  // Read everything, then assign: a bad dict leaves the scheduler as it was.
  const std::int64_t last_epoch =
      exact_int64(state.at("last_epoch", "scheduler"), "scheduler", "entry 'last_epoch'");
  const double base_lr = state.at("base_lr", "scheduler").item();
  last_epoch_ = last_epoch;
  base_lr_ = base_lr;
}

StepLR::StepLR(Optimizer& optimizer, std::int64_t step_size, double gamma)
    : Scheduler(optimizer), step_size_(step_size), gamma_(gamma) {
  KINDLING_CHECK(step_size > 0, "StepLR: step_size must be positive, got ", step_size);
}

double StepLR::lr_at(std::int64_t epoch) const {
  return base_lr_ * std::pow(gamma_, static_cast<double>(epoch / step_size_));
}

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, std::int64_t t_max, double eta_min)
    : Scheduler(optimizer), t_max_(t_max), eta_min_(eta_min) {
  KINDLING_CHECK(t_max > 0, "CosineAnnealingLR: t_max must be positive, got ", t_max);
}

double CosineAnnealingLR::lr_at(std::int64_t epoch) const {
  const double phase = std::numbers::pi * static_cast<double>(epoch) / static_cast<double>(t_max_);
  return eta_min_ + (base_lr_ - eta_min_) * (1.0 + std::cos(phase)) / 2.0;
}

LinearWarmup::LinearWarmup(Optimizer& optimizer, std::int64_t warmup_steps, double start_factor)
    : Scheduler(optimizer), warmup_steps_(warmup_steps), start_factor_(start_factor) {
  KINDLING_CHECK(warmup_steps > 0 && start_factor > 0.0 && start_factor <= 1.0,
                 "LinearWarmup: warmup_steps (", warmup_steps,
                 ") must be positive and "
                 "start_factor (",
                 start_factor, ") in (0, 1]");
  optimizer.set_lr(base_lr_ * start_factor_);  // as LinearLR, the first lr is already scaled
}

double LinearWarmup::lr_at(std::int64_t epoch) const {
  const double done =
      static_cast<double>(std::min(epoch, warmup_steps_)) / static_cast<double>(warmup_steps_);
  return base_lr_ * (start_factor_ + (1.0 - start_factor_) * done);
}

MultiStepLR::MultiStepLR(Optimizer& optimizer, std::vector<std::int64_t> milestones, double gamma)
    : Scheduler(optimizer), milestones_(std::move(milestones)), gamma_(gamma) {
  std::sort(milestones_.begin(), milestones_.end());
  optimizer.set_lr(lr_at(0));  // a milestone at 0 applies at once, as in torch
}

double MultiStepLR::lr_at(std::int64_t epoch) const {
  const auto passed =
      std::upper_bound(milestones_.begin(), milestones_.end(), epoch) - milestones_.begin();
  return base_lr_ * std::pow(gamma_, static_cast<double>(passed));
}

ExponentialLR::ExponentialLR(Optimizer& optimizer, double gamma)
    : Scheduler(optimizer), gamma_(gamma) {}

double ExponentialLR::lr_at(std::int64_t epoch) const {
  return base_lr_ * std::pow(gamma_, static_cast<double>(epoch));
}

LinearLR::LinearLR(Optimizer& optimizer, double start_factor, double end_factor,
                   std::int64_t total_iters)
    : Scheduler(optimizer),
      start_factor_(start_factor),
      end_factor_(end_factor),
      total_iters_(total_iters) {
  KINDLING_CHECK(start_factor > 0.0 && start_factor <= 1.0 && end_factor >= 0.0 &&
                     end_factor <= 1.0 && total_iters > 0,
                 "LinearLR: start_factor (", start_factor, ") must be in (0, 1], end_factor (",
                 end_factor, ") in [0, 1] and total_iters (", total_iters, ") positive");
  optimizer.set_lr(lr_at(0));
}

double LinearLR::lr_at(std::int64_t epoch) const {
  const double done =
      static_cast<double>(std::min(epoch, total_iters_)) / static_cast<double>(total_iters_);
  return base_lr_ * (start_factor_ + (end_factor_ - start_factor_) * done);
}

LambdaLR::LambdaLR(Optimizer& optimizer, std::function<double(std::int64_t)> lr_lambda)
    : Scheduler(optimizer), lr_lambda_(std::move(lr_lambda)) {
  KINDLING_CHECK(static_cast<bool>(lr_lambda_), "LambdaLR: lr_lambda is empty");
  optimizer.set_lr(lr_at(0));
}

double LambdaLR::lr_at(std::int64_t epoch) const {
  return base_lr_ * lr_lambda_(epoch);
}

OneCycleLR::OneCycleLR(Optimizer& optimizer, Options o) : Scheduler(optimizer), options(o) {
  KINDLING_CHECK(o.total_steps > 0, "OneCycleLR: total_steps must be positive, got ",
                 o.total_steps);
  KINDLING_CHECK(o.pct_start >= 0.0 && o.pct_start <= 1.0,
                 "OneCycleLR: pct_start must be in [0, 1], got ", o.pct_start);
  KINDLING_CHECK(o.max_lr > 0.0 && o.div_factor > 0.0 && o.final_div_factor > 0.0,
                 "OneCycleLR: max_lr (", o.max_lr, "), div_factor (", o.div_factor,
                 ") and final_div_factor (", o.final_div_factor, ") must be positive");
  KINDLING_CHECK(!o.cycle_momentum || optimizer.momentum_term() != nullptr,
                 "OneCycleLR: ", optimizer.name(),
                 " has no momentum to cycle; pass cycle_momentum = false (torch: "
                 "optimizer must support momentum with `cycle_momentum` option enabled)");
  // torch's phases: the end step of each is a (fractional) step index.
  const double total = static_cast<double>(o.total_steps);
  const double initial = o.max_lr / o.div_factor, min_lr = initial / o.final_div_factor;
  const double lo = o.base_momentum, hi = o.max_momentum;
  if (o.three_phase) {
    phases_ = {{o.pct_start * total - 1.0, initial, o.max_lr, hi, lo},
               {2.0 * o.pct_start * total - 2.0, o.max_lr, initial, lo, hi},
               {total - 1.0, initial, min_lr, hi, hi}};
  } else {
    phases_ = {{o.pct_start * total - 1.0, initial, o.max_lr, hi, lo},
               {total - 1.0, o.max_lr, min_lr, lo, hi}};
  }
  const auto [lr, momentum] = at(0);
  optimizer.set_lr(lr);
  if (o.cycle_momentum) *optimizer.momentum_term() = momentum;
}

std::pair<double, double> OneCycleLR::at(std::int64_t epoch) const {
  const auto step = static_cast<double>(epoch);
  auto anneal = [&](double start, double end, double pct) {
    return options.cosine ? end + (start - end) / 2.0 * (std::cos(std::numbers::pi * pct) + 1.0)
                          : (end - start) * pct + start;
  };
  double start_step = 0.0;
  for (std::size_t i = 0; i < phases_.size(); ++i) {
    const Phase& phase = phases_[i];
    if (step <= phase.end_step || i + 1 == phases_.size()) {
      const double pct = (step - start_step) / (phase.end_step - start_step);
      return {anneal(phase.start_lr, phase.end_lr, pct),
              anneal(phase.start_momentum, phase.end_momentum, pct)};
    }
    start_step = phase.end_step;
  }
  return {0.0, 0.0};  // unreachable: the last phase always answers
}

double OneCycleLR::lr_at(std::int64_t epoch) const {
  return at(epoch).first;
}

void OneCycleLR::step() {
  KINDLING_CHECK(last_epoch_ + 1 <= options.total_steps, "OneCycleLR: tried to step ",
                 last_epoch_ + 2, " times; the specified number of total steps is ",
                 options.total_steps);
  ++last_epoch_;
  const auto [lr, momentum] = at(last_epoch_);
  optimizer_->set_lr(lr);
  if (options.cycle_momentum) *optimizer_->momentum_term() = momentum;
}

ReduceLROnPlateau::ReduceLROnPlateau(Optimizer& optimizer, Options o)
    : Scheduler(optimizer),
      options(o),
      best_(o.maximize ? -std::numeric_limits<double>::infinity()
                       : std::numeric_limits<double>::infinity()) {
  KINDLING_CHECK(o.factor > 0.0 && o.factor < 1.0,
                 "ReduceLROnPlateau: factor must be in (0, 1), "
                 "got ",
                 o.factor);
}

bool ReduceLROnPlateau::improved(double metric) const {
  // PyTorch's default threshold_mode 'rel'.
  return options.maximize ? metric > best_ * (1.0 + options.threshold)
                          : metric < best_ * (1.0 - options.threshold);
}

void ReduceLROnPlateau::step(double metric) {
  ++last_epoch_;
  if (improved(metric)) {
    best_ = metric;
    bad_epochs_ = 0;
  } else {
    ++bad_epochs_;
  }
  if (cooldown_counter_ > 0) {
    --cooldown_counter_;
    bad_epochs_ = 0;
  }
  if (bad_epochs_ > options.patience) {
    optimizer_->set_lr(std::max(optimizer_->lr() * options.factor, options.min_lr));
    cooldown_counter_ = options.cooldown;
    bad_epochs_ = 0;
  }
}

void ReduceLROnPlateau::step() {
  throw error("ReduceLROnPlateau: call step(metric) with the monitored value");
}

StateDict ReduceLROnPlateau::state_dict() const {
  StateDict out = Scheduler::state_dict();
  out.insert("best", scalar_tensor(best_, DType::float64));
  out.insert("num_bad_epochs", int64_scalar(bad_epochs_));
  out.insert("cooldown_counter", int64_scalar(cooldown_counter_));
  return out;
}

void ReduceLROnPlateau::load_state_dict(const StateDict& state) {
  // Read everything before the base class assigns its part: all or nothing.
  const double best = state.at("best", "scheduler").item();
  const std::int64_t bad_epochs =
      exact_int64(state.at("num_bad_epochs", "scheduler"), "scheduler", "entry 'num_bad_epochs'");
  const std::int64_t cooldown_counter = exact_int64(state.at("cooldown_counter", "scheduler"),
                                                    "scheduler", "entry 'cooldown_counter'");
  Scheduler::load_state_dict(state);
  best_ = best;
  bad_epochs_ = bad_epochs;
  cooldown_counter_ = cooldown_counter;
}

}  // namespace kindling::nn
