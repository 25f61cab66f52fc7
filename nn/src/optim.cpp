// Optimizer base (state, state dict, fused-or-composite choice), the eight update rules written
// with tensor ops (the device-independent form, Note [fused optimizer steps]), and clipping.
#include "kindling/nn/optim.hpp"

#include <cmath>
#include <string>

#include "kindling/engine/error.hpp"
#include "kindling/engine/grad_mode.hpp"
#include "kindling/nn/tensor_util.hpp"
#include "kindling/tensor/creation.hpp"
#include "kindling/tensor/ops.hpp"

namespace kindling::nn {

namespace {
// The gradient with L2 decay folded in, g + weight_decay * p, as torch's `weight_decay` for every
// optimizer but AdamW (which decays the parameter itself).
Tensor with_l2_decay(const Tensor& grad, const Tensor& p, double weight_decay) {
  return weight_decay != 0.0 ? grad + p * weight_decay : grad;
}
void check_betas(const std::string& optimizer, double beta1, double beta2) {
  KINDLING_CHECK(beta1 >= 0.0 && beta1 < 1.0 && beta2 >= 0.0 && beta2 < 1.0, optimizer,
                 ": betas must be in [0, 1), got ", beta1, ", ", beta2);
}
}  // namespace

// ---- base --------------------------------------------------------------------------------------

Optimizer::Optimizer(std::string name, std::vector<Tensor> params, double lr,
                     std::vector<std::string> slot_names)
    : lr_(lr),
      name_(std::move(name)),
      params_(std::move(params)),
      slot_names_(std::move(slot_names)),
      state_(params_.size(), std::vector<Tensor>(slot_names_.size())) {
  KINDLING_CHECK(lr >= 0.0, name_, ": learning rate must be >= 0, got ", lr);
  for (std::size_t i = 0; i < params_.size(); ++i) {
    KINDLING_CHECK(params_[i].defined() && params_[i].is_leaf() && params_[i].requires_grad(),
                   name_, ": parameter ", i, " is not a leaf that requires grad");
    KINDLING_CHECK(is_floating(params_[i].dtype()), name_, ": parameter ", i, " is ",
                   dtype_name(params_[i].dtype()));
  }
}

void Optimizer::step() {
  const no_grad guard;
  ++step_;
  if (!update_all()) {
    for (std::size_t i = 0; i < params_.size(); ++i) {
      const Tensor grad = params_[i].grad();
      if (grad.defined()) update(i, params_[i], grad);
    }
  }
  // The fused steps write through raw views: a stepped parameter and its state changed in place
  // (Note [version counters] in tensor/src/tensor.cpp).
  for (std::size_t i = 0; i < params_.size(); ++i) {
    if (!params_[i].grad().defined()) continue;
    params_[i].bump_version();
    for (const Tensor& s : state_[i])
      if (s.defined()) s.bump_version();
  }
}

void Optimizer::zero_grad() {
  for (const Tensor& p : params_)
    p.zero_grad();
}

Tensor& Optimizer::slot(std::size_t i, std::size_t slot_index, bool* created) {
  Tensor& t = state_[i][slot_index];
  if (created) *created = !t.defined();
  if (!t.defined()) t = zeros(params_[i].shape(), params_[i].dtype(), params_[i].device());
  return t;
}

const kernels::KernelTable* Optimizer::fused_for(const Tensor& param, const Tensor& grad,
                                                 kernels::Kernel step) const {
  if (!use_fused_ || !param.is_contiguous() || !grad.is_contiguous() ||
      grad.dtype() != param.dtype() || grad.device() != param.device() ||
      !kernels::supports(param.device(), step))
    return nullptr;
  return &kernels::kernels_on(param.device());
}

StateDict Optimizer::state_dict() const {
  StateDict out;
  out.insert("step", int64_scalar(step_));  // exact: a double would round past 2^53
  out.insert("lr", scalar_tensor(lr_, DType::float64));
  for (auto& [name, value] : const_cast<Optimizer*>(this)->hyperparameters())
    out.insert(name, scalar_tensor(*value, DType::float64));
  for (std::size_t i = 0; i < params_.size(); ++i)
    for (std::size_t s = 0; s < slot_names_.size(); ++s)
      if (state_[i][s].defined())
        out.insert("state." + std::to_string(i) + "." + slot_names_[s], state_[i][s]);
  return out;
}

void Optimizer::load_state_dict(const StateDict& state) {
  const std::string who = name_ + ".load_state_dict";
  // Check everything before changing anything, so a bad dict leaves the optimizer as it was.
  std::vector<std::string> expected{"step", "lr"};
  for (auto& [name, value] : hyperparameters())
    expected.push_back(name);
  for (const auto& name : expected)
    KINDLING_CHECK(state.contains(name) && state.at(name).numel() == 1, who, ": missing entry '",
                   name, "'");
  for (const auto& [name, tensor] : state) {
    bool known = false;
    for (const auto& e : expected)
      known = known || e == name;
    if (known) continue;
    std::size_t i = 0, s = 0;
    bool matched = false;
    for (i = 0; i < params_.size() && !matched; ++i)
      for (s = 0; s < slot_names_.size() && !matched; ++s)
        matched = name == "state." + std::to_string(i) + "." + slot_names_[s];
    KINDLING_CHECK(matched, who, ": unexpected entry '", name, "' (", params_.size(),
                   " parameters)");
    const Tensor& p = params_[i - 1];
    KINDLING_CHECK(tensor.shape() == p.shape(), who, ": entry '", name, "' has shape ",
                   shape_string(tensor.shape()), ", its parameter ", shape_string(p.shape()));
  }
  const std::int64_t step = exact_int64(state.at("step"), who, "entry 'step'");
  KINDLING_CHECK(step >= 0, who, ": entry 'step' is ", step, ", a step count cannot be negative");
  // Nothing has changed yet; from here on nothing can fail but the copies of the state tensors.
  step_ = step;
  lr_ = state.at("lr").item();
  for (auto& [name, value] : hyperparameters())
    *value = state.at(name).item();
  for (std::size_t i = 0; i < params_.size(); ++i)
    for (std::size_t s = 0; s < slot_names_.size(); ++s) {
      const Tensor* given = state.find("state." + std::to_string(i) + "." + slot_names_[s]);
      if (given == nullptr) {
        state_[i][s] = Tensor{};
        continue;
      }
      copy_into(slot(i, s), *given, "optimizer load_state_dict");
    }
}

// ---- SGD ---------------------------------------------------------------------------------------

SGD::SGD(std::vector<Tensor> params, SgdOptions o)
    : Optimizer("SGD", std::move(params), o.lr, {"momentum_buffer"}), options(o) {
  KINDLING_CHECK(o.momentum >= 0.0 && o.weight_decay >= 0.0, "SGD: momentum ", o.momentum,
                 " and weight_decay ", o.weight_decay, " must be >= 0");
  KINDLING_CHECK(!o.nesterov || (o.momentum > 0.0 && o.dampening == 0.0),
                 "SGD: Nesterov momentum needs momentum > 0 and dampening 0");
}

std::vector<std::pair<std::string, double*>> SGD::hyperparameters() {
  return {{"momentum", &options.momentum},
          {"dampening", &options.dampening},
          {"weight_decay", &options.weight_decay}};
}

void SGD::update(std::size_t i, const Tensor& p, const Tensor& grad) {
  const SgdOptions& o = options;
  bool first = false;
  Tensor buf = o.momentum != 0.0 ? slot(i, 0, &first) : Tensor{};
  if (const auto* k = fused_for(p, grad, kernels::Kernel::sgd_step)) {
    k->sgd_step(p.strided_view(), grad.strided_view(),
                buf.defined() ? buf.strided_view() : kernels::StridedView{},
                {lr_, o.momentum, o.dampening, o.weight_decay, o.nesterov, first});
    return;
  }
  Tensor g = with_l2_decay(grad, p, o.weight_decay);
  if (o.momentum != 0.0) {
    copy_into(buf, first ? g : buf * o.momentum + g * (1.0 - o.dampening));
    g = o.nesterov ? g + buf * o.momentum : buf;
  }
  copy_into(p, p - g * lr_);
}

// ---- Adam / AdamW ------------------------------------------------------------------------------

Adam::Adam(std::vector<Tensor> params, AdamOptions o) : Adam("Adam", std::move(params), o, false) {}

Adam::Adam(std::string name, std::vector<Tensor> params, AdamOptions o, bool decoupled)
    : Optimizer(std::move(name), std::move(params), o.lr, {"exp_avg", "exp_avg_sq"}),
      options(o),
      decoupled_(decoupled) {
  check_betas(this->name(), o.beta1, o.beta2);
  KINDLING_CHECK(o.eps >= 0.0 && o.weight_decay >= 0.0, this->name(), ": eps ", o.eps,
                 " and weight_decay ", o.weight_decay, " must be >= 0");
}

AdamW::AdamW(std::vector<Tensor> params, AdamWOptions o)
    : Adam("AdamW", std::move(params), AdamOptions(o), true) {}

std::vector<std::pair<std::string, double*>> Adam::hyperparameters() {
  return {{"beta1", &options.beta1},
          {"beta2", &options.beta2},
          {"eps", &options.eps},
          {"weight_decay", &options.weight_decay}};
}

kernels::AdamHyper Adam::hyper() const {
  const AdamOptions& o = options;
  return {lr_, o.beta1, o.beta2, o.eps, o.weight_decay, step_count(), decoupled_};
}

// All parameters in one adam_multi_step call (one launch on a GPU) when every one that has a grad
// can take the fused step on one device with one dtype; otherwise per parameter.
bool Adam::update_all() {
  std::vector<kernels::AdamTensors> batch;
  const kernels::KernelTable* table = nullptr;
  DType dtype = DType::float32;
  Device device = kCPU;
  for (std::size_t i = 0; i < params().size(); ++i) {
    const Tensor& p = params()[i];
    const Tensor grad = p.grad();  // held by the parameter, so its view stays valid
    if (!grad.defined()) continue;
    const kernels::KernelTable* k = fused_for(p, grad, kernels::Kernel::adam_multi_step);
    if (k == nullptr ||
        (table != nullptr && (k != table || p.dtype() != dtype || p.device() != device)))
      return false;
    table = k;
    dtype = p.dtype();
    device = p.device();
    batch.push_back({p.strided_view(), grad.strided_view(), slot(i, 0).strided_view(),
                     slot(i, 1).strided_view()});
  }
  if (batch.size() < 2) return false;  // nothing to batch
  table->adam_multi_step(batch.data(), batch.size(), hyper());
  return true;
}

void Adam::update(std::size_t i, const Tensor& p, const Tensor& grad) {
  const AdamOptions& o = options;
  Tensor& m = slot(i, 0);
  Tensor& v = slot(i, 1);
  const kernels::AdamHyper h = hyper();
  if (const auto* k = fused_for(p, grad, kernels::Kernel::adam_step)) {
    k->adam_step(p.strided_view(), grad.strided_view(), m.strided_view(), v.strided_view(), h);
    return;
  }
  Tensor g = grad;
  Tensor base = p;
  if (decoupled_)
    base = p * (1.0 - lr_ * o.weight_decay);
  else if (o.weight_decay != 0.0)
    g = grad + p * o.weight_decay;
  copy_into(m, m * o.beta1 + g * (1.0 - o.beta1));
  copy_into(v, v * o.beta2 + g * g * (1.0 - o.beta2));
  const double t = static_cast<double>(step_count());
  const double bias1 = 1.0 - std::pow(o.beta1, t), bias2 = 1.0 - std::pow(o.beta2, t);
  const Tensor denom = sqrt(v) / std::sqrt(bias2) + o.eps;
  copy_into(p, base - m / denom * (lr_ / bias1));
}

// ---- RMSprop -----------------------------------------------------------------------------------

RMSprop::RMSprop(std::vector<Tensor> params, RmspropOptions o)
    : Optimizer("RMSprop", std::move(params), o.lr, {"square_avg", "momentum_buffer", "grad_avg"}),
      options(o) {
  KINDLING_CHECK(o.alpha >= 0.0 && o.eps >= 0.0 && o.momentum >= 0.0 && o.weight_decay >= 0.0,
                 "RMSprop: alpha, eps, momentum and weight_decay must be >= 0");
}

std::vector<std::pair<std::string, double*>> RMSprop::hyperparameters() {
  return {{"alpha", &options.alpha},
          {"eps", &options.eps},
          {"weight_decay", &options.weight_decay},
          {"momentum", &options.momentum}};
}

void RMSprop::update(std::size_t i, const Tensor& p, const Tensor& grad) {
  const RmspropOptions& o = options;
  Tensor& sq = slot(i, 0);
  Tensor buf = o.momentum > 0.0 ? slot(i, 1) : Tensor{};
  Tensor gavg = o.centered ? slot(i, 2) : Tensor{};
  if (const auto* k = fused_for(p, grad, kernels::Kernel::rmsprop_step)) {
    k->rmsprop_step(p.strided_view(), grad.strided_view(), sq.strided_view(),
                    buf.defined() ? buf.strided_view() : kernels::StridedView{},
                    gavg.defined() ? gavg.strided_view() : kernels::StridedView{},
                    {lr_, o.alpha, o.eps, o.weight_decay, o.momentum, o.centered});
    return;
  }
  const Tensor g = with_l2_decay(grad, p, o.weight_decay);
  copy_into(sq, sq * o.alpha + g * g * (1.0 - o.alpha));
  Tensor avg;
  if (o.centered) {
    copy_into(gavg, gavg * o.alpha + g * (1.0 - o.alpha));
    avg = sqrt(sq - gavg * gavg) + o.eps;
  } else {
    avg = sqrt(sq) + o.eps;
  }
  if (o.momentum > 0.0) {
    copy_into(buf, buf * o.momentum + g / avg);
    copy_into(p, p - buf * lr_);
  } else {
    copy_into(p, p - g / avg * lr_);
  }
}

// ---- Adagrad -----------------------------------------------------------------------------------

Adagrad::Adagrad(std::vector<Tensor> params, AdagradOptions o)
    : Optimizer("Adagrad", std::move(params), o.lr, {"sum"}), options(o) {
  KINDLING_CHECK(o.lr_decay >= 0.0 && o.weight_decay >= 0.0 && o.initial_accumulator_value >= 0.0 &&
                     o.eps >= 0.0,
                 "Adagrad: lr_decay ", o.lr_decay, ", weight_decay ", o.weight_decay,
                 ", initial_accumulator_value ", o.initial_accumulator_value, " and eps ", o.eps,
                 " must be >= 0");
}

std::vector<std::pair<std::string, double*>> Adagrad::hyperparameters() {
  return {{"lr_decay", &options.lr_decay},
          {"weight_decay", &options.weight_decay},
          {"initial_accumulator_value", &options.initial_accumulator_value},
          {"eps", &options.eps}};
}

void Adagrad::update(std::size_t i, const Tensor& p, const Tensor& grad) {
  const AdagradOptions& o = options;
  bool created = false;
  Tensor& sum_sq = slot(i, 0, &created);
  if (created && o.initial_accumulator_value != 0.0)
    copy_into(sum_sq, full_like(sum_sq, o.initial_accumulator_value));
  const Tensor g = with_l2_decay(grad, p, o.weight_decay);
  const double t = static_cast<double>(step_count());
  const double clr = lr_ / (1.0 + (t - 1.0) * o.lr_decay);
  copy_into(sum_sq, sum_sq + g * g);
  copy_into(p, p - g / (sqrt(sum_sq) + o.eps) * clr);
}

// ---- Adamax ------------------------------------------------------------------------------------

Adamax::Adamax(std::vector<Tensor> params, AdamaxOptions o)
    : Optimizer("Adamax", std::move(params), o.lr, {"exp_avg", "exp_inf"}), options(o) {
  check_betas("Adamax", o.beta1, o.beta2);
  KINDLING_CHECK(o.eps >= 0.0 && o.weight_decay >= 0.0, "Adamax: eps ", o.eps, " and weight_decay ",
                 o.weight_decay, " must be >= 0");
}

std::vector<std::pair<std::string, double*>> Adamax::hyperparameters() {
  return {{"beta1", &options.beta1},
          {"beta2", &options.beta2},
          {"eps", &options.eps},
          {"weight_decay", &options.weight_decay}};
}

void Adamax::update(std::size_t i, const Tensor& p, const Tensor& grad) {
  const AdamaxOptions& o = options;
  Tensor& m = slot(i, 0);
  Tensor& u = slot(i, 1);
  const Tensor g = with_l2_decay(grad, p, o.weight_decay);
  copy_into(m, m * o.beta1 + g * (1.0 - o.beta1));
  copy_into(u, maximum(u * o.beta2, abs(g) + o.eps));
  const double clr = lr_ / (1.0 - std::pow(o.beta1, static_cast<double>(step_count())));
  copy_into(p, p - m / u * clr);
}

// ---- NAdam -------------------------------------------------------------------------------------

NAdam::NAdam(std::vector<Tensor> params, NAdamOptions o)
    : Optimizer("NAdam", std::move(params), o.lr, {"exp_avg", "exp_avg_sq"}), options(o) {
  check_betas("NAdam", o.beta1, o.beta2);
  KINDLING_CHECK(o.eps >= 0.0 && o.weight_decay >= 0.0 && o.momentum_decay >= 0.0, "NAdam: eps ",
                 o.eps, ", weight_decay ", o.weight_decay, " and momentum_decay ", o.momentum_decay,
                 " must be >= 0");
}

std::vector<std::pair<std::string, double*>> NAdam::hyperparameters() {
  return {{"beta1", &options.beta1},
          {"beta2", &options.beta2},
          {"eps", &options.eps},
          {"weight_decay", &options.weight_decay},
          {"momentum_decay", &options.momentum_decay}};
}

namespace {
double nadam_mu(const NAdamOptions& o, std::int64_t t) {
  return o.beta1 * (1.0 - 0.5 * std::pow(0.96, static_cast<double>(t) * o.momentum_decay));
}
}  // namespace

double NAdam::mu_product() {
  const std::int64_t t = step_count();
  if (mu_product_step_ > t) {  // a state dict of an earlier step was loaded: start over
    mu_product_ = 1.0;
    mu_product_step_ = 0;
  }
  for (; mu_product_step_ < t; ++mu_product_step_)
    mu_product_ *= nadam_mu(options, mu_product_step_ + 1);
  return mu_product_;
}

void NAdam::update(std::size_t i, const Tensor& p, const Tensor& grad) {
  const NAdamOptions& o = options;
  Tensor& m = slot(i, 0);
  Tensor& v = slot(i, 1);
  const std::int64_t t = step_count();
  const Tensor g = with_l2_decay(grad, p, o.weight_decay);
  const double mu = nadam_mu(o, t), mu_next = nadam_mu(o, t + 1);
  const double product = mu_product(), product_next = product * mu_next;
  copy_into(m, m * o.beta1 + g * (1.0 - o.beta1));
  copy_into(v, v * o.beta2 + g * g * (1.0 - o.beta2));
  const double bias2 = 1.0 - std::pow(o.beta2, static_cast<double>(t));
  const Tensor denom = sqrt(v / bias2) + o.eps;
  const Tensor step1 = p - g / denom * (lr_ * (1.0 - mu) / (1.0 - product));
  copy_into(p, step1 - m / denom * (lr_ * mu_next / (1.0 - product_next)));
}

// ---- RAdam -------------------------------------------------------------------------------------

RAdam::RAdam(std::vector<Tensor> params, RAdamOptions o)
    : Optimizer("RAdam", std::move(params), o.lr, {"exp_avg", "exp_avg_sq"}), options(o) {
  check_betas("RAdam", o.beta1, o.beta2);
  KINDLING_CHECK(o.eps >= 0.0 && o.weight_decay >= 0.0, "RAdam: eps ", o.eps, " and weight_decay ",
                 o.weight_decay, " must be >= 0");
}

std::vector<std::pair<std::string, double*>> RAdam::hyperparameters() {
  return {{"beta1", &options.beta1},
          {"beta2", &options.beta2},
          {"eps", &options.eps},
          {"weight_decay", &options.weight_decay}};
}

void RAdam::update(std::size_t i, const Tensor& p, const Tensor& grad) {
  const RAdamOptions& o = options;
  Tensor& m = slot(i, 0);
  Tensor& v = slot(i, 1);
  const double t = static_cast<double>(step_count());
  const Tensor g = with_l2_decay(grad, p, o.weight_decay);
  copy_into(m, m * o.beta1 + g * (1.0 - o.beta1));
  copy_into(v, v * o.beta2 + g * g * (1.0 - o.beta2));
  const double bias1 = 1.0 - std::pow(o.beta1, t), bias2 = 1.0 - std::pow(o.beta2, t);
  const Tensor corrected = m / bias1;
  const double rho_inf = 2.0 / (1.0 - o.beta2) - 1.0;
  const double rho_t = rho_inf - 2.0 * t * std::pow(o.beta2, t) / bias2;
  if (rho_t > 5.0) {
    const double rect = std::sqrt((rho_t - 4.0) * (rho_t - 2.0) * rho_inf /
                                  ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t));
    const Tensor adaptive = std::sqrt(bias2) / (sqrt(v) + o.eps);
    copy_into(p, p - corrected * lr_ * adaptive * rect);
  } else {
    copy_into(p, p - corrected * lr_);
  }
}

// ---- clipping ----------------------------------------------------------------------------------

double clip_grad_norm(const std::vector<Tensor>& params, double max_norm, double norm_type) {
  KINDLING_CHECK(max_norm >= 0.0 && norm_type > 0.0, "clip_grad_norm: max_norm ", max_norm,
                 " and norm_type ", norm_type, " must be positive");
  const no_grad guard;
  const bool inf_norm = std::isinf(norm_type);
  // Accumulated on the gradients' device and read once: item() per parameter would wait for the
  // device once per parameter.
  Tensor accumulated;
  for (const Tensor& p : params) {
    const Tensor g = p.grad();
    if (!g.defined() || g.numel() == 0) continue;
    const Tensor a = abs(g.to(DType::float64));
    Tensor part = inf_norm ? max(a) : sum(pow(a, norm_type));
    if (accumulated.defined()) {
      part = part.to(accumulated.device());
      accumulated = inf_norm ? maximum(accumulated, part) : accumulated + part;
    } else {
      accumulated = part;
    }
  }
  double total = accumulated.defined() ? accumulated.item() : 0.0;
  if (!inf_norm) total = std::pow(total, 1.0 / norm_type);
  const double coef = max_norm / (total + 1e-6);
  if (coef < 1.0) {
    for (const Tensor& p : params) {
      const Tensor g = p.grad();
      if (g.defined()) copy_into(g, g * coef, "clip_grad_norm");
    }
  }
  return total;
}

void clip_grad_value(const std::vector<Tensor>& params, double clip_value) {
  KINDLING_CHECK(clip_value >= 0.0, "clip_grad_value: clip_value must be >= 0, got ", clip_value);
  const no_grad guard;
  for (const Tensor& p : params) {
    const Tensor g = p.grad();
    if (g.defined()) copy_into(g, clamp(g, -clip_value, clip_value), "clip_grad_value");
  }
}

}  // namespace kindling::nn
