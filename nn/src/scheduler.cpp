// Schedulers: closed-form lr curves, and the plateau detector.
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
