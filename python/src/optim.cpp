// kindling.optim: the optimizers and the learning-rate schedulers.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>

#include <string>
#include <vector>

#include "bindings.hpp"
#include "kindling/engine/error.hpp"
#include "kindling/nn/optim.hpp"
#include "kindling/nn/scheduler.hpp"
#include "nn_support.hpp"
#include "tensor_support.hpp"

namespace kindling::python {

void bind_optim(py::module_& o) {
  py::class_<nn::Optimizer>(
      o, "Optimizer",
      R"(The base of the optimizers, which follow PyTorch's update rules, as torch.optim.Optimizer.

An optimizer holds a list of parameters (leaves that require grad), one learning rate and its
state (moment estimates, momentum buffers, the step count). Differences from torch: no parameter
groups (one lr for every parameter: pass a list of tensors, not dicts), ``lr`` is a property
instead of ``param_groups[0]['lr']``, ``step()`` takes no closure, and ``zero_grad()`` sets the
gradients to None (torch's default since 2.0). Updates run as one fused kernel where the device
has one (SGD, Adam, AdamW, RMSprop), else as tensor ops. It is not constructed directly: use
:class:`SGD`, :class:`Adam` and the others.

Example:
    >>> w = kindling.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = kindling.optim.SGD([w], lr=0.1)
    >>> (w * w).sum().backward()      # grad 2w
    >>> opt.step()
    >>> w
    tensor([ 0.8000, -1.6000], requires_grad=True)
    >>> opt.zero_grad()
    >>> w.grad is None, opt.step_count
    (True, 1)
)")
      .def(
          "step", &nn::Optimizer::step,
          R"(One update of every parameter that has a gradient (those without are skipped), as torch's ``step()`` (no closure).

The update runs under no_grad and bumps each parameter's ``_version``; ``step_count`` goes up by
one.
)")
      .def("zero_grad", &nn::Optimizer::zero_grad,
           "Drops the parameters' gradients: ``.grad`` is None until the next backward (torch's "
           "``zero_grad(set_to_none=True)``).")
      .def_property(
          "lr", &nn::Optimizer::lr, &nn::Optimizer::set_lr,
          R"(The learning rate (float), settable; the schedulers set it on each ``step()``.

torch keeps it in ``param_groups[0]['lr']``.

Example:
    >>> opt = kindling.optim.Adam([kindling.ones(1, requires_grad=True)])
    >>> opt.lr = 0.01
    >>> opt.lr
    0.01
)")
      .def_property_readonly("step_count", &nn::Optimizer::step_count,
                             "How many ``step()`` calls this optimizer has made (int); in the "
                             "state dict as ``'step'``.")
      .def_property_readonly(
          "momentum",
          [](nn::Optimizer& opt) -> std::optional<double> {
            if (const double* m = opt.momentum_term()) return *m;
            return std::nullopt;
          },
          "The momentum term OneCycleLR cycles: SGD's and RMSprop's momentum, the Adam family's "
          "beta1; None for Adagrad")
      .def_property_readonly(
          "params", [](const nn::Optimizer& opt) { return tensor_list(opt.params()); },
          "The parameters this optimizer updates, in the order given (list of Tensor).")
      .def(
          "set_use_fused", &nn::Optimizer::set_use_fused, py::arg("fused"),
          R"(Chooses between the fused update kernel (where the device has one) and the tensor-op form, for tests and comparisons.

Args:
    fused (bool): True (the default state) uses a fused kernel where one exists; False always
        runs the update as tensor ops.
)")
      .def(
          "state_dict", [](const nn::Optimizer& opt) { return to_dict(opt.state_dict()); },
          R"(The optimizer's state as a flat dict of tensors, for checkpoints (kindling.save writes it).

``'step'`` (int64), ``'lr'`` and the other hyperparameters (float64, 0-d), and the state tensors
as ``'state.<parameter index>.<slot>'``, sharing storage with the optimizer. Flags chosen at
construction (SGD's nesterov, RMSprop's centered) are not in it. torch's is a nested dict.

Example:
    >>> opt = kindling.optim.SGD([kindling.ones(1, requires_grad=True)], lr=0.1)
    >>> list(opt.state_dict())
    ['step', 'lr', 'momentum', 'dampening', 'weight_decay']
)")
      .def(
          "load_state_dict",
          [](nn::Optimizer& opt, const py::dict& state) {
            opt.load_state_dict(to_state_dict(state));
          },
          py::arg("state_dict"),
          R"(Restores a state dict from ``state_dict()``, so that training resumes exactly. Values are copied.

Build the optimizer with the same parameters and flags first.

Args:
    state_dict (dict): as state_dict() returns it.

Raises:
    kindling.Error: for a missing hyperparameter or step, an unexpected entry, a state tensor
        whose shape is not its parameter's, or a negative step.
)")
      .def("__repr__", [](const nn::Optimizer& opt) {
        return opt.name() + "(" + std::to_string(opt.params().size()) +
               " tensors, lr=" + py::str(py::float_(opt.lr())).cast<std::string>() + ")";
      });

  py::class_<nn::SGD, nn::Optimizer>(
      o, "SGD",
      R"(Stochastic gradient descent, with momentum and Nesterov momentum, as torch.optim.SGD.

``g = grad + weight_decay * p``; with momentum ``b = momentum * b + (1 - dampening) * g`` (b = g
at the first step) and ``g = b`` (Nesterov: ``g + momentum * b``); then ``p -= lr * g``.

Args:
    params (iterable of Tensor): leaves that require grad, floating (e.g. ``model.parameters()``).
    lr (float): the learning rate (default 0.01; torch requires it).
    momentum (float): default 0.
    dampening (float): default 0.
    weight_decay (float): L2 penalty added to the gradient (default 0).
    nesterov (bool): Nesterov momentum (needs momentum > 0 and dampening 0).

Raises:
    kindling.Error: for a parameter that is not a floating leaf that requires grad, a negative
        lr, momentum or weight_decay, or nesterov without momentum or with dampening.

Example:
    >>> w = kindling.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = kindling.optim.SGD([w], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     opt.zero_grad()
    ...     (w * w).sum().backward()
    ...     opt.step()
    >>> w
    tensor([ 0.4600, -0.9200], requires_grad=True)
)")
      .def(py::init([](const py::iterable& params, double lr, double momentum, double dampening,
                       double weight_decay, bool nesterov) {
             return std::make_unique<nn::SGD>(
                 to_params(params),
                 nn::SgdOptions{lr, momentum, dampening, weight_decay, nesterov});
           }),
           py::arg("params"), py::arg("lr") = 1e-2, py::arg("momentum") = 0.0,
           py::arg("dampening") = 0.0, py::arg("weight_decay") = 0.0, py::arg("nesterov") = false,
           "Makes the optimizer (see the class docstring for the arguments).");

  auto adam_options = [](double lr, std::pair<double, double> betas, double eps, double decay) {
    nn::AdamOptions options;
    options.lr = lr;
    options.beta1 = betas.first;
    options.beta2 = betas.second;
    options.eps = eps;
    options.weight_decay = decay;
    return options;
  };
  py::class_<nn::Adam, nn::Optimizer>(
      o, "Adam", R"(Adam, as torch.optim.Adam: bias-corrected first and second moment estimates.

``m = b1 m + (1 - b1) g``, ``v = b2 v + (1 - b2) g^2``,
``p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)``, with ``g = grad + weight_decay * p``
(L2 decay; see :class:`AdamW` for the decoupled form). torch's amsgrad, maximize and
capturable are not supported.

Args:
    params (iterable of Tensor): leaves that require grad, floating.
    lr (float): default 1e-3.
    betas (tuple of two floats): (b1, b2), each in [0, 1) (default (0.9, 0.999)).
    eps (float): default 1e-8.
    weight_decay (float): default 0.

Raises:
    kindling.Error: for a bad parameter, a negative lr, eps or weight_decay, or betas outside
        [0, 1).

Example:
    >>> w = kindling.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = kindling.optim.Adam([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()                   # the first step moves each weight by about lr
    >>> w
    tensor([ 0.9000, -1.9000], requires_grad=True)
)")
      .def(py::init([adam_options](const py::iterable& params, double lr,
                                   std::pair<double, double> betas, double eps, double decay) {
             return std::make_unique<nn::Adam>(to_params(params),
                                               adam_options(lr, betas, eps, decay));
           }),
           py::arg("params"), py::arg("lr") = 1e-3, py::arg("betas") = std::make_pair(0.9, 0.999),
           py::arg("eps") = 1e-8, py::arg("weight_decay") = 0.0,
           "Makes the optimizer (see the class docstring for the arguments).");
  py::class_<nn::AdamW, nn::Adam>(o, "AdamW",
                                  R"(AdamW, as torch.optim.AdamW: Adam with decoupled weight decay.

Each step first shrinks the parameter, ``p -= lr * weight_decay * p``, then takes Adam's step
without decay in the gradient. The default weight_decay is torch's 0.01.

Args:
    params (iterable of Tensor): leaves that require grad, floating.
    lr (float): default 1e-3.
    betas (tuple of two floats): default (0.9, 0.999).
    eps (float): default 1e-8.
    weight_decay (float): default 0.01.

Raises:
    kindling.Error: as :class:`Adam`.

Example:
    >>> model = kindling.nn.Linear(3, 1, seed=0)
    >>> opt = kindling.optim.AdamW(model.parameters(), lr=1e-3)
    >>> model(kindling.ones(4, 3)).sum().backward()
    >>> opt.step()
    >>> opt.zero_grad()
    >>> opt.step_count
    1
)")
      .def(py::init([adam_options](const py::iterable& params, double lr,
                                   std::pair<double, double> betas, double eps, double decay) {
             return std::make_unique<nn::AdamW>(to_params(params),
                                                adam_options(lr, betas, eps, decay));
           }),
           py::arg("params"), py::arg("lr") = 1e-3, py::arg("betas") = std::make_pair(0.9, 0.999),
           py::arg("eps") = 1e-8, py::arg("weight_decay") = 1e-2,
           "Makes the optimizer (see the class docstring for the arguments).");
  py::class_<nn::RMSprop, nn::Optimizer>(o, "RMSprop", R"(RMSprop, as torch.optim.RMSprop.

``v = alpha v + (1 - alpha) g^2``; ``p -= lr * g / (sqrt(v) + eps)`` (centered: ``v`` minus the
squared running mean of g), with optional momentum on that step and L2 ``weight_decay`` in g.

Args:
    params (iterable of Tensor): leaves that require grad, floating.
    lr (float): default 0.01.
    alpha (float): the smoothing constant (default 0.99).
    eps (float): default 1e-8.
    weight_decay (float): default 0.
    momentum (float): default 0.
    centered (bool): normalise by the estimated variance (default False).

Raises:
    kindling.Error: for a bad parameter, or a negative lr, alpha, eps, momentum or weight_decay.

Example:
    >>> w = kindling.ones(2, requires_grad=True)
    >>> kindling.optim.RMSprop([w], lr=0.01, momentum=0.9).momentum
    0.9
)")
      .def(py::init([](const py::iterable& params, double lr, double alpha, double eps,
                       double weight_decay, double momentum, bool centered) {
             return std::make_unique<nn::RMSprop>(
                 to_params(params),
                 nn::RmspropOptions{lr, alpha, eps, weight_decay, momentum, centered});
           }),
           py::arg("params"), py::arg("lr") = 1e-2, py::arg("alpha") = 0.99, py::arg("eps") = 1e-8,
           py::arg("weight_decay") = 0.0, py::arg("momentum") = 0.0, py::arg("centered") = false,
           "Makes the optimizer (see the class docstring for the arguments).");

  py::class_<nn::Adagrad, nn::Optimizer>(o, "Adagrad", R"(Adagrad, as torch.optim.Adagrad.

``sum += g^2``; ``p -= lr / (1 + (t - 1) lr_decay) * g / (sqrt(sum) + eps)``, with L2
``weight_decay`` in g. It has no momentum term (``momentum`` is None, so OneCycleLR needs
``cycle_momentum=False``).

Args:
    params (iterable of Tensor): leaves that require grad, floating.
    lr (float): default 0.01.
    lr_decay (float): default 0.
    weight_decay (float): default 0.
    initial_accumulator_value (float): the starting ``sum`` (default 0).
    eps (float): default 1e-10.

Raises:
    kindling.Error: for a bad parameter, or a negative lr, lr_decay, weight_decay,
        initial_accumulator_value or eps.

Example:
    >>> w = kindling.tensor([1.0], requires_grad=True)
    >>> opt = kindling.optim.Adagrad([w], lr=0.5)
    >>> (w * w).sum().backward()
    >>> opt.step()                   # the first step moves by lr
    >>> w
    tensor([0.5000], requires_grad=True)
)")
      .def(py::init([](const py::iterable& params, double lr, double lr_decay, double weight_decay,
                       double initial_accumulator_value, double eps) {
             return std::make_unique<nn::Adagrad>(
                 to_params(params),
                 nn::AdagradOptions{lr, lr_decay, weight_decay, initial_accumulator_value, eps});
           }),
           py::arg("params"), py::arg("lr") = 1e-2, py::arg("lr_decay") = 0.0,
           py::arg("weight_decay") = 0.0, py::arg("initial_accumulator_value") = 0.0,
           py::arg("eps") = 1e-10,
           "Makes the optimizer (see the class docstring for the arguments).");
  py::class_<nn::Adamax, nn::Optimizer>(
      o, "Adamax", R"(Adamax, Adam with the infinity norm, as torch.optim.Adamax.

``m = b1 m + (1 - b1) g``; ``u = max(b2 u, |g| + eps)``; ``p -= lr / (1 - b1^t) * m / u``, with
L2 ``weight_decay`` in g.

Args:
    params (iterable of Tensor): leaves that require grad, floating.
    lr (float): default 2e-3.
    betas (tuple of two floats): default (0.9, 0.999).
    eps (float): default 1e-8.
    weight_decay (float): default 0.

Raises:
    kindling.Error: for a bad parameter, betas outside [0, 1), or a negative lr, eps or
        weight_decay.

Example:
    >>> kindling.optim.Adamax([kindling.ones(1, requires_grad=True)]).lr
    0.002
)")
      .def(py::init([](const py::iterable& params, double lr, std::pair<double, double> betas,
                       double eps, double weight_decay) {
             return std::make_unique<nn::Adamax>(
                 to_params(params),
                 nn::AdamaxOptions{lr, betas.first, betas.second, eps, weight_decay});
           }),
           py::arg("params"), py::arg("lr") = 2e-3, py::arg("betas") = std::make_pair(0.9, 0.999),
           py::arg("eps") = 1e-8, py::arg("weight_decay") = 0.0,
           "Makes the optimizer (see the class docstring for the arguments).");
  py::class_<nn::NAdam, nn::Optimizer>(o, "NAdam",
                                       R"(NAdam, Adam with Nesterov momentum, as torch.optim.NAdam.

The momentum schedule is ``mu_t = b1 (1 - 0.5 * 0.96^(t momentum_decay))``. kindling uses the
paper's product of the mu's, as torch 2.0 does; torch 1.13 multiplies mu_t in twice, so its
steps differ slightly.

Args:
    params (iterable of Tensor): leaves that require grad, floating.
    lr (float): default 2e-3.
    betas (tuple of two floats): default (0.9, 0.999).
    eps (float): default 1e-8.
    weight_decay (float): L2, default 0.
    momentum_decay (float): default 4e-3.

Raises:
    kindling.Error: for a bad parameter, betas outside [0, 1), or a negative lr, eps,
        weight_decay or momentum_decay.

Example:
    >>> kindling.optim.NAdam([kindling.ones(1, requires_grad=True)]).momentum
    0.9
)")
      .def(py::init([](const py::iterable& params, double lr, std::pair<double, double> betas,
                       double eps, double weight_decay, double momentum_decay) {
             return std::make_unique<nn::NAdam>(to_params(params),
                                                nn::NAdamOptions{lr, betas.first, betas.second, eps,
                                                                 weight_decay, momentum_decay});
           }),
           py::arg("params"), py::arg("lr") = 2e-3, py::arg("betas") = std::make_pair(0.9, 0.999),
           py::arg("eps") = 1e-8, py::arg("weight_decay") = 0.0, py::arg("momentum_decay") = 4e-3,
           "Makes the optimizer (see the class docstring for the arguments).");
  py::class_<nn::RAdam, nn::Optimizer>(o, "RAdam", R"(Rectified Adam, as torch.optim.RAdam.

Adam's moments; while the variance estimate is unreliable (its SMA length rho_t <= 5, the first
steps) the step is plain bias-corrected momentum, afterwards Adam's step times the rectification
term.

Args:
    params (iterable of Tensor): leaves that require grad, floating.
    lr (float): default 1e-3.
    betas (tuple of two floats): default (0.9, 0.999).
    eps (float): default 1e-8.
    weight_decay (float): L2, default 0.

Raises:
    kindling.Error: for a bad parameter, betas outside [0, 1), or a negative lr, eps or
        weight_decay.

Example:
    >>> kindling.optim.RAdam([kindling.ones(1, requires_grad=True)], lr=0.01)
    RAdam(1 tensors, lr=0.01)
)")
      .def(py::init([](const py::iterable& params, double lr, std::pair<double, double> betas,
                       double eps, double weight_decay) {
             return std::make_unique<nn::RAdam>(
                 to_params(params),
                 nn::RAdamOptions{lr, betas.first, betas.second, eps, weight_decay});
           }),
           py::arg("params"), py::arg("lr") = 1e-3, py::arg("betas") = std::make_pair(0.9, 0.999),
           py::arg("eps") = 1e-8, py::arg("weight_decay") = 0.0,
           "Makes the optimizer (see the class docstring for the arguments).");

  // Schedulers keep their optimizer alive (keep_alive<1, 2>): the C++ class holds a pointer.
  py::class_<nn::Scheduler>(
      o, "LRScheduler",
      R"(The base of the learning-rate schedulers, as torch.optim.lr_scheduler.LRScheduler.

A scheduler reads its optimizer's lr at construction as the base lr and sets the optimizer's lr
on every ``step()`` (call it once per epoch or per batch, as the schedule intends), from a
closed form of the step count, so that a resumed run never drifts. Some (LinearLR, LinearWarmup,
MultiStepLR, LambdaLR, OneCycleLR) already set the first lr at construction, as torch's do. One
scheduler per optimizer; the scheduler keeps its optimizer alive.

Example:
    >>> opt = kindling.optim.SGD([kindling.ones(1, requires_grad=True)], lr=1.0)
    >>> sched = kindling.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    >>> sched.step()
    >>> sched.last_epoch, sched.get_last_lr()
    (1, [0.5])
)")
      .def("step", py::overload_cast<>(&nn::Scheduler::step),
           "Advances one step and sets the optimizer's lr (torch's ``step()``, without the "
           "deprecated epoch argument).")
      .def(
          "get_last_lr", [](const nn::Scheduler& s) { return std::vector<double>{s.last_lr()}; },
          "The optimizer's current lr as a one-element list (torch's has one per parameter "
          "group).")
      .def_property_readonly("last_epoch", &nn::Scheduler::last_epoch,
                             "How many ``step()`` calls the scheduler has made (int).")
      .def(
          "state_dict", [](const nn::Scheduler& s) { return to_dict(s.state_dict()); },
          R"(The scheduler's state as a dict of tensors for checkpoints: ``'last_epoch'`` and ``'base_lr'`` (and the plateau counters of ReduceLROnPlateau).

A LambdaLR's function is not in it (as in torch): build the scheduler with the same one before
loading.

Example:
    >>> opt = kindling.optim.SGD([kindling.ones(1, requires_grad=True)], lr=1.0)
    >>> list(kindling.optim.lr_scheduler.StepLR(opt, 2).state_dict())
    ['last_epoch', 'base_lr']
)")
      .def(
          "load_state_dict",
          [](nn::Scheduler& s, const py::dict& state) { s.load_state_dict(to_state_dict(state)); },
          py::arg("state_dict"),
          R"(Restores a state dict from ``state_dict()``. The optimizer's lr is not set until the next ``step()``.

Raises:
    kindling.Error: for a missing entry, or a last_epoch that is not a whole number; the
        scheduler is left as it was.
)");
  py::class_<nn::StepLR, nn::Scheduler>(
      o, "StepLR",
      R"(``lr = base_lr * gamma ^ floor(last_epoch / step_size)``, as torch.optim.lr_scheduler.StepLR.

Args:
    optimizer (Optimizer): the optimizer whose lr it sets.
    step_size (int): steps between decays (> 0).
    gamma (float): the factor (default 0.1).

Raises:
    kindling.Error: for a step_size <= 0.

Example:
    >>> opt = kindling.optim.SGD([kindling.ones(1, requires_grad=True)], lr=1.0)
    >>> sched = kindling.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    >>> lrs = []
    >>> for epoch in range(4):
    ...     sched.step()
    ...     lrs.append(opt.lr)
    >>> lrs
    [1.0, 0.5, 0.5, 0.25]
)")
      .def(py::init<nn::Optimizer&, std::int64_t, double>(), py::arg("optimizer"),
           py::arg("step_size"), py::arg("gamma") = 0.1, py::keep_alive<1, 2>(),
           "Makes the scheduler (see the class docstring for the arguments).");
  py::class_<nn::CosineAnnealingLR, nn::Scheduler>(
      o, "CosineAnnealingLR",
      R"(``lr = eta_min + (base_lr - eta_min) (1 + cos(pi last_epoch / T_max)) / 2``, as torch.optim.lr_scheduler.CosineAnnealingLR's closed form.

Past T_max the cosine continues (the lr rises again), as torch's closed form does.

Args:
    optimizer (Optimizer): the optimizer whose lr it sets.
    T_max (int): the steps to reach eta_min (> 0).
    eta_min (float): the lowest lr (default 0).

Raises:
    kindling.Error: for a T_max <= 0.

Example:
    >>> opt = kindling.optim.SGD([kindling.ones(1, requires_grad=True)], lr=1.0)
    >>> sched = kindling.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4)
    >>> lrs = []
    >>> for _ in range(4):
    ...     sched.step()
    ...     lrs.append(round(opt.lr, 4))
    >>> lrs
    [0.8536, 0.5, 0.1464, 0.0]
)")
      .def(py::init<nn::Optimizer&, std::int64_t, double>(), py::arg("optimizer"), py::arg("T_max"),
           py::arg("eta_min") = 0.0, py::keep_alive<1, 2>(),
           "Makes the scheduler (see the class docstring for the arguments).");
  py::class_<nn::LinearWarmup, nn::Scheduler>(
      o, "LinearWarmup",
      R"(A linear warmup: ``lr = base_lr * f``, f going from start_factor to 1 over ``warmup_steps`` steps and staying at 1 (kindling's; torch's LinearLR with end_factor 1).

The first lr, set at construction, is already ``base_lr * start_factor``.

Args:
    optimizer (Optimizer): the optimizer whose lr it sets.
    warmup_steps (int): > 0.
    start_factor (float): in (0, 1] (default 1/3).

Raises:
    kindling.Error: for warmup_steps <= 0 or a start_factor outside (0, 1].

Example:
    >>> opt = kindling.optim.SGD([kindling.ones(1, requires_grad=True)], lr=1.0)
    >>> sched = kindling.optim.lr_scheduler.LinearWarmup(opt, 2, start_factor=0.5)
    >>> opt.lr
    0.5
    >>> sched.step()
    >>> opt.lr
    0.75
)")
      .def(py::init<nn::Optimizer&, std::int64_t, double>(), py::arg("optimizer"),
           py::arg("warmup_steps"), py::arg("start_factor") = 1.0 / 3.0, py::keep_alive<1, 2>(),
           "Makes the scheduler (see the class docstring for the arguments).");
  py::class_<nn::MultiStepLR, nn::Scheduler>(
      o, "MultiStepLR",
      R"(``lr = base_lr * gamma ^ (the number of milestones <= last_epoch)``, as torch.optim.lr_scheduler.MultiStepLR.

A milestone given twice counts twice; one at 0 applies at construction.

Args:
    optimizer (Optimizer): the optimizer whose lr it sets.
    milestones (list of int): the steps where the lr drops (any order).
    gamma (float): the factor (default 0.1).

Example:
    >>> opt = kindling.optim.SGD([kindling.ones(1, requires_grad=True)], lr=1.0)
    >>> sched = kindling.optim.lr_scheduler.MultiStepLR(opt, milestones=[1, 3], gamma=0.5)
    >>> lrs = []
    >>> for _ in range(4):
    ...     sched.step()
    ...     lrs.append(opt.lr)
    >>> lrs
    [0.5, 0.5, 0.25, 0.25]
)")
      .def(py::init<nn::Optimizer&, std::vector<std::int64_t>, double>(), py::arg("optimizer"),
           py::arg("milestones"), py::arg("gamma") = 0.1, py::keep_alive<1, 2>(),
           "Makes the scheduler (see the class docstring for the arguments).");
  py::class_<nn::ExponentialLR, nn::Scheduler>(
      o, "ExponentialLR",
      R"(``lr = base_lr * gamma ^ last_epoch``, as torch.optim.lr_scheduler.ExponentialLR (a closed form; torch multiplies step by step, equal to rounding).

Args:
    optimizer (Optimizer): the optimizer whose lr it sets.
    gamma (float): the factor per step.

Example:
    >>> opt = kindling.optim.SGD([kindling.ones(1, requires_grad=True)], lr=1.0)
    >>> sched = kindling.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    >>> sched.step(); sched.step()
    >>> opt.lr
    0.25
)")
      .def(py::init<nn::Optimizer&, double>(), py::arg("optimizer"), py::arg("gamma"),
           py::keep_alive<1, 2>(), "Makes the scheduler (see the class docstring).");
  py::class_<nn::LinearLR, nn::Scheduler>(
      o, "LinearLR",
      R"(``lr = base_lr * f``, f going linearly from start_factor to end_factor over total_iters steps and staying there, as torch.optim.lr_scheduler.LinearLR.

The first lr, set at construction, is already ``base_lr * start_factor``, as torch's.

Args:
    optimizer (Optimizer): the optimizer whose lr it sets.
    start_factor (float): in (0, 1] (default 1/3).
    end_factor (float): in [0, 1] (default 1).
    total_iters (int): > 0 (default 5).

Raises:
    kindling.Error: for factors or total_iters outside those ranges.

Example:
    >>> opt = kindling.optim.SGD([kindling.ones(1, requires_grad=True)], lr=1.0)
    >>> sched = kindling.optim.lr_scheduler.LinearLR(opt, 0.5, 1.0, total_iters=2)
    >>> lrs = [opt.lr]
    >>> for _ in range(3):
    ...     sched.step()
    ...     lrs.append(opt.lr)
    >>> lrs
    [0.5, 0.75, 1.0, 1.0]
)")
      .def(py::init<nn::Optimizer&, double, double, std::int64_t>(), py::arg("optimizer"),
           py::arg("start_factor") = 1.0 / 3.0, py::arg("end_factor") = 1.0,
           py::arg("total_iters") = 5, py::keep_alive<1, 2>(),
           "Makes the scheduler (see the class docstring for the arguments).");
  // The lambda is a Python callable, called with the GIL held (step() is called from Python).
  py::class_<nn::LambdaLR, nn::Scheduler>(
      o, "LambdaLR",
      R"(``lr = base_lr * lr_lambda(last_epoch)``, as torch.optim.lr_scheduler.LambdaLR.

The first lr, ``base_lr * lr_lambda(0)``, is set at construction. The function is not in the
state dict (as in torch).

Args:
    optimizer (Optimizer): the optimizer whose lr it sets.
    lr_lambda (callable): ``int -> float``.

Example:
    >>> opt = kindling.optim.SGD([kindling.ones(1, requires_grad=True)], lr=1.0)
    >>> sched = kindling.optim.lr_scheduler.LambdaLR(opt, lambda epoch: 1 / (epoch + 1))
    >>> sched.step()
    >>> opt.lr
    0.5
)")
      .def(py::init([](nn::Optimizer& opt, const py::function& lr_lambda) {
             return std::make_unique<nn::LambdaLR>(
                 opt, [lr_lambda](std::int64_t epoch) { return lr_lambda(epoch).cast<double>(); });
           }),
           py::arg("optimizer"), py::arg("lr_lambda"), py::keep_alive<1, 2>(),
           "Makes the scheduler (see the class docstring).");
  py::class_<nn::OneCycleLR, nn::Scheduler>(
      o, "OneCycleLR",
      R"(The 1cycle policy, as torch.optim.lr_scheduler.OneCycleLR: step it once per batch.

The lr rises from ``max_lr / div_factor`` to ``max_lr`` over the first ``pct_start`` of the steps,
then falls to ``max_lr / div_factor / final_div_factor`` (three_phase: back to the start first,
then down), by cosine or linear annealing; with cycle_momentum the optimizer's momentum term
(SGD's and RMSprop's momentum, the Adam family's beta1) moves the opposite way between
base_momentum and max_momentum. Stepping more than total_steps times is an error, as in torch.

Args:
    optimizer (Optimizer): the optimizer whose lr (and momentum) it sets.
    max_lr (float): the peak lr (> 0).
    total_steps (int, optional): the cycle's length; or give epochs and steps_per_epoch.
    epochs (int, optional): with steps_per_epoch, total_steps = their product.
    steps_per_epoch (int, optional): see epochs.
    pct_start (float): the rising fraction, in [0, 1] (default 0.3).
    anneal_strategy (str): ``'cos'`` (default) or ``'linear'``.
    cycle_momentum (bool): cycle the momentum term (default True; the optimizer must have one).
    base_momentum (float): default 0.85.
    max_momentum (float): default 0.95.
    div_factor (float): default 25.
    final_div_factor (float): default 1e4.
    three_phase (bool): default False.

Raises:
    kindling.Error: without total_steps or epochs and steps_per_epoch, for a total_steps <= 0, a
        pct_start outside [0, 1], a non-positive max_lr or factor, another anneal_strategy,
        cycle_momentum with an optimizer without momentum (Adagrad), and on a step past
        total_steps.

Example:
    >>> opt = kindling.optim.SGD([kindling.ones(1, requires_grad=True)], lr=1.0, momentum=0.9)
    >>> sched = kindling.optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=4)
    >>> round(opt.lr, 4), opt.momentum
    (0.04, 0.95)
    >>> sched.step()
    >>> round(opt.lr, 4), round(opt.momentum, 4)
    (0.8117, 0.8688)
)")
      .def(py::init([](nn::Optimizer& opt, double max_lr, std::optional<std::int64_t> total_steps,
                       std::optional<std::int64_t> epochs,
                       std::optional<std::int64_t> steps_per_epoch, double pct_start,
                       const std::string& anneal_strategy, bool cycle_momentum,
                       double base_momentum, double max_momentum, double div_factor,
                       double final_div_factor, bool three_phase) {
             KINDLING_CHECK(total_steps || (epochs && steps_per_epoch),
                            "OneCycleLR: give total_steps, or epochs and steps_per_epoch");
             KINDLING_CHECK(anneal_strategy == "cos" || anneal_strategy == "linear",
                            "OneCycleLR: anneal_strategy must be 'cos' or 'linear', got '",
                            anneal_strategy, "'");
             nn::OneCycleLR::Options options;
             options.max_lr = max_lr;
             options.total_steps =
                 total_steps ? *total_steps
                             : checked_mul(*epochs, *steps_per_epoch, "OneCycleLR", "steps");
             options.pct_start = pct_start;
             options.cosine = anneal_strategy == "cos";
             options.cycle_momentum = cycle_momentum;
             options.base_momentum = base_momentum;
             options.max_momentum = max_momentum;
             options.div_factor = div_factor;
             options.final_div_factor = final_div_factor;
             options.three_phase = three_phase;
             return std::make_unique<nn::OneCycleLR>(opt, options);
           }),
           py::arg("optimizer"), py::arg("max_lr"), py::arg("total_steps") = py::none(),
           py::arg("epochs") = py::none(), py::arg("steps_per_epoch") = py::none(),
           py::arg("pct_start") = 0.3, py::arg("anneal_strategy") = "cos",
           py::arg("cycle_momentum") = true, py::arg("base_momentum") = 0.85,
           py::arg("max_momentum") = 0.95, py::arg("div_factor") = 25.0,
           py::arg("final_div_factor") = 1e4, py::arg("three_phase") = false,
           py::keep_alive<1, 2>(),
           "Makes the scheduler (see the class docstring for the arguments).");
  py::class_<nn::ReduceLROnPlateau, nn::Scheduler>(
      o, "ReduceLROnPlateau",
      R"(Multiplies the lr by ``factor`` when a metric has stopped improving, as torch.optim.lr_scheduler.ReduceLROnPlateau.

The metric improves when it beats the best so far by more than a relative ``threshold`` (torch's
threshold_mode 'rel'), in ``mode`` 'min' or 'max'. After more than ``patience`` steps without
improvement the lr is multiplied by factor (never below min_lr), then ``cooldown`` steps pass
before counting again. Call ``step(metric)``, not ``step()``. torch's threshold_mode 'abs', eps
and verbose are not supported.

Args:
    optimizer (Optimizer): the optimizer whose lr it sets.
    mode (str): ``'min'`` (default) or ``'max'``.
    factor (float): in (0, 1) (default 0.1).
    patience (int): default 10.
    threshold (float): default 1e-4.
    cooldown (int): default 0.
    min_lr (float): default 0.

Raises:
    kindling.Error: for another mode, or a factor outside (0, 1).

Example:
    >>> opt = kindling.optim.SGD([kindling.ones(1, requires_grad=True)], lr=1.0)
    >>> sched = kindling.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=1)
    >>> lrs = []
    >>> for loss in [1.0, 1.0, 1.0, 1.0]:
    ...     sched.step(loss)
    ...     lrs.append(opt.lr)
    >>> lrs
    [1.0, 1.0, 0.1, 0.1]
)")
      .def(py::init([](nn::Optimizer& opt, const std::string& mode, double factor,
                       std::int64_t patience, double threshold, std::int64_t cooldown,
                       double min_lr) {
             KINDLING_CHECK(mode == "min" || mode == "max",
                            "ReduceLROnPlateau: mode must be 'min' or 'max', got '", mode, "'");
             nn::ReduceLROnPlateau::Options options;
             options.maximize = mode == "max";
             options.factor = factor;
             options.patience = patience;
             options.threshold = threshold;
             options.cooldown = cooldown;
             options.min_lr = min_lr;
             return std::make_unique<nn::ReduceLROnPlateau>(opt, options);
           }),
           py::arg("optimizer"), py::arg("mode") = "min", py::arg("factor") = 0.1,
           py::arg("patience") = 10, py::arg("threshold") = 1e-4, py::arg("cooldown") = 0,
           py::arg("min_lr") = 0.0, py::keep_alive<1, 2>(),
           "Makes the scheduler (see the class docstring for the arguments).")
      .def(
          "step", py::overload_cast<double>(&nn::ReduceLROnPlateau::step), py::arg("metric"),
          R"(Records this epoch's metric and reduces the lr if it has plateaued (see the class docstring).

Args:
    metric (float): the monitored value, e.g. the validation loss.
)");
}

}  // namespace kindling::python
