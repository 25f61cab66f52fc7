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
  py::class_<nn::Optimizer>(o, "Optimizer", "The base of the optimizers (PyTorch's update rules)")
      .def("step", &nn::Optimizer::step)
      .def("zero_grad", &nn::Optimizer::zero_grad)
      .def_property("lr", &nn::Optimizer::lr, &nn::Optimizer::set_lr)
      .def_property_readonly("step_count", &nn::Optimizer::step_count)
      .def_property_readonly(
          "momentum",
          [](nn::Optimizer& opt) -> std::optional<double> {
            if (const double* m = opt.momentum_term()) return *m;
            return std::nullopt;
          },
          "The momentum term OneCycleLR cycles: SGD's and RMSprop's momentum, the Adam family's "
          "beta1; None for Adagrad")
      .def_property_readonly("params",
                             [](const nn::Optimizer& opt) { return tensor_list(opt.params()); })
      .def("set_use_fused", &nn::Optimizer::set_use_fused, py::arg("fused"),
           "Use the tensor-op form of the update even where a fused kernel exists")
      .def("state_dict", [](const nn::Optimizer& opt) { return to_dict(opt.state_dict()); })
      .def(
          "load_state_dict",
          [](nn::Optimizer& opt, const py::dict& state) {
            opt.load_state_dict(to_state_dict(state));
          },
          py::arg("state_dict"))
      .def("__repr__", [](const nn::Optimizer& opt) {
        return opt.name() + "(" + std::to_string(opt.params().size()) +
               " tensors, lr=" + py::str(py::float_(opt.lr())).cast<std::string>() + ")";
      });

  py::class_<nn::SGD, nn::Optimizer>(o, "SGD").def(
      py::init([](const py::iterable& params, double lr, double momentum, double dampening,
                  double weight_decay, bool nesterov) {
        return std::make_unique<nn::SGD>(
            to_params(params), nn::SgdOptions{lr, momentum, dampening, weight_decay, nesterov});
      }),
      py::arg("params"), py::arg("lr") = 1e-2, py::arg("momentum") = 0.0,
      py::arg("dampening") = 0.0, py::arg("weight_decay") = 0.0, py::arg("nesterov") = false);

  auto adam_options = [](double lr, std::pair<double, double> betas, double eps, double decay) {
    nn::AdamOptions options;
    options.lr = lr;
    options.beta1 = betas.first;
    options.beta2 = betas.second;
    options.eps = eps;
    options.weight_decay = decay;
    return options;
  };
  py::class_<nn::Adam, nn::Optimizer>(o, "Adam").def(
      py::init([adam_options](const py::iterable& params, double lr,
                              std::pair<double, double> betas, double eps, double decay) {
        return std::make_unique<nn::Adam>(to_params(params), adam_options(lr, betas, eps, decay));
      }),
      py::arg("params"), py::arg("lr") = 1e-3, py::arg("betas") = std::make_pair(0.9, 0.999),
      py::arg("eps") = 1e-8, py::arg("weight_decay") = 0.0);
  py::class_<nn::AdamW, nn::Adam>(o, "AdamW")
      .def(py::init([adam_options](const py::iterable& params, double lr,
                                   std::pair<double, double> betas, double eps, double decay) {
             return std::make_unique<nn::AdamW>(to_params(params),
                                                adam_options(lr, betas, eps, decay));
           }),
           py::arg("params"), py::arg("lr") = 1e-3, py::arg("betas") = std::make_pair(0.9, 0.999),
           py::arg("eps") = 1e-8, py::arg("weight_decay") = 1e-2);
  py::class_<nn::RMSprop, nn::Optimizer>(o, "RMSprop")
      .def(py::init([](const py::iterable& params, double lr, double alpha, double eps,
                       double weight_decay, double momentum, bool centered) {
             return std::make_unique<nn::RMSprop>(
                 to_params(params),
                 nn::RmspropOptions{lr, alpha, eps, weight_decay, momentum, centered});
           }),
           py::arg("params"), py::arg("lr") = 1e-2, py::arg("alpha") = 0.99, py::arg("eps") = 1e-8,
           py::arg("weight_decay") = 0.0, py::arg("momentum") = 0.0, py::arg("centered") = false);

  py::class_<nn::Adagrad, nn::Optimizer>(o, "Adagrad")
      .def(py::init([](const py::iterable& params, double lr, double lr_decay, double weight_decay,
                       double initial_accumulator_value, double eps) {
             return std::make_unique<nn::Adagrad>(
                 to_params(params),
                 nn::AdagradOptions{lr, lr_decay, weight_decay, initial_accumulator_value, eps});
           }),
           py::arg("params"), py::arg("lr") = 1e-2, py::arg("lr_decay") = 0.0,
           py::arg("weight_decay") = 0.0, py::arg("initial_accumulator_value") = 0.0,
           py::arg("eps") = 1e-10);
  py::class_<nn::Adamax, nn::Optimizer>(o, "Adamax")
      .def(py::init([](const py::iterable& params, double lr, std::pair<double, double> betas,
                       double eps, double weight_decay) {
             return std::make_unique<nn::Adamax>(
                 to_params(params),
                 nn::AdamaxOptions{lr, betas.first, betas.second, eps, weight_decay});
           }),
           py::arg("params"), py::arg("lr") = 2e-3, py::arg("betas") = std::make_pair(0.9, 0.999),
           py::arg("eps") = 1e-8, py::arg("weight_decay") = 0.0);
  py::class_<nn::NAdam, nn::Optimizer>(o, "NAdam",
                                       "Nesterov Adam (the paper's momentum product, as torch 2)")
      .def(py::init([](const py::iterable& params, double lr, std::pair<double, double> betas,
                       double eps, double weight_decay, double momentum_decay) {
             return std::make_unique<nn::NAdam>(to_params(params),
                                                nn::NAdamOptions{lr, betas.first, betas.second, eps,
                                                                 weight_decay, momentum_decay});
           }),
           py::arg("params"), py::arg("lr") = 2e-3, py::arg("betas") = std::make_pair(0.9, 0.999),
           py::arg("eps") = 1e-8, py::arg("weight_decay") = 0.0, py::arg("momentum_decay") = 4e-3);
  py::class_<nn::RAdam, nn::Optimizer>(o, "RAdam")
      .def(py::init([](const py::iterable& params, double lr, std::pair<double, double> betas,
                       double eps, double weight_decay) {
             return std::make_unique<nn::RAdam>(
                 to_params(params),
                 nn::RAdamOptions{lr, betas.first, betas.second, eps, weight_decay});
           }),
           py::arg("params"), py::arg("lr") = 1e-3, py::arg("betas") = std::make_pair(0.9, 0.999),
           py::arg("eps") = 1e-8, py::arg("weight_decay") = 0.0);

  // Schedulers keep their optimizer alive (keep_alive<1, 2>): the C++ class holds a pointer.
  py::class_<nn::Scheduler>(o, "LRScheduler", "The base of the learning-rate schedulers")
      .def("step", py::overload_cast<>(&nn::Scheduler::step))
      .def("get_last_lr", [](const nn::Scheduler& s) { return std::vector<double>{s.last_lr()}; })
      .def_property_readonly("last_epoch", &nn::Scheduler::last_epoch)
      .def("state_dict", [](const nn::Scheduler& s) { return to_dict(s.state_dict()); })
      .def(
          "load_state_dict",
          [](nn::Scheduler& s, const py::dict& state) { s.load_state_dict(to_state_dict(state)); },
          py::arg("state_dict"));
  py::class_<nn::StepLR, nn::Scheduler>(o, "StepLR")
      .def(py::init<nn::Optimizer&, std::int64_t, double>(), py::arg("optimizer"),
           py::arg("step_size"), py::arg("gamma") = 0.1, py::keep_alive<1, 2>());
  py::class_<nn::CosineAnnealingLR, nn::Scheduler>(o, "CosineAnnealingLR")
      .def(py::init<nn::Optimizer&, std::int64_t, double>(), py::arg("optimizer"), py::arg("T_max"),
           py::arg("eta_min") = 0.0, py::keep_alive<1, 2>());
  py::class_<nn::LinearWarmup, nn::Scheduler>(o, "LinearWarmup")
      .def(py::init<nn::Optimizer&, std::int64_t, double>(), py::arg("optimizer"),
           py::arg("warmup_steps"), py::arg("start_factor") = 1.0 / 3.0, py::keep_alive<1, 2>());
  py::class_<nn::MultiStepLR, nn::Scheduler>(o, "MultiStepLR")
      .def(py::init<nn::Optimizer&, std::vector<std::int64_t>, double>(), py::arg("optimizer"),
           py::arg("milestones"), py::arg("gamma") = 0.1, py::keep_alive<1, 2>());
  py::class_<nn::ExponentialLR, nn::Scheduler>(o, "ExponentialLR")
      .def(py::init<nn::Optimizer&, double>(), py::arg("optimizer"), py::arg("gamma"),
           py::keep_alive<1, 2>());
  py::class_<nn::LinearLR, nn::Scheduler>(o, "LinearLR")
      .def(py::init<nn::Optimizer&, double, double, std::int64_t>(), py::arg("optimizer"),
           py::arg("start_factor") = 1.0 / 3.0, py::arg("end_factor") = 1.0,
           py::arg("total_iters") = 5, py::keep_alive<1, 2>());
  // The lambda is a Python callable, called with the GIL held (step() is called from Python).
  py::class_<nn::LambdaLR, nn::Scheduler>(o, "LambdaLR")
      .def(py::init([](nn::Optimizer& opt, const py::function& lr_lambda) {
             return std::make_unique<nn::LambdaLR>(
                 opt, [lr_lambda](std::int64_t epoch) { return lr_lambda(epoch).cast<double>(); });
           }),
           py::arg("optimizer"), py::arg("lr_lambda"), py::keep_alive<1, 2>());
  py::class_<nn::OneCycleLR, nn::Scheduler>(o, "OneCycleLR")
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
           py::keep_alive<1, 2>());
  py::class_<nn::ReduceLROnPlateau, nn::Scheduler>(o, "ReduceLROnPlateau")
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
           py::arg("min_lr") = 0.0, py::keep_alive<1, 2>())
      .def("step", py::overload_cast<double>(&nn::ReduceLROnPlateau::step), py::arg("metric"));
}

}  // namespace kindling::python
