// kindling.optim: the optimizers and the learning-rate schedulers.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "bindings.hpp"
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
