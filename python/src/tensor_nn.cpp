// kindling.nn's tensor half (Module and the layers, the losses, clipping, metrics, data sets and
// the DataLoader, safetensors), kindling.optim (optimizers and learning-rate schedulers) and
// kindling.cuda. Compiled when the tensor and nn libraries are part of the build.
//
// Note [module lifetimes]
// Modules are held by std::shared_ptr on both sides, so a layer put into a Sequential from Python
// is the same C++ object the Python handle names. A module *written in Python* (a subclass of
// kindling.nn.Module overriding forward) is a C++ object whose forward calls back into its Python
// half; pybind11 2.10 keeps that half alive only while a Python reference exists. So every place
// that hands a module to C++ (register_module, Sequential) also stores the Python object in the
// owner's __dict__, and the Python half lives as long as its owner does.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bindings.hpp"
#include "kindling/engine/error.hpp"
#include "kindling/gpu/cuda.hpp"
#include "kindling/nn/data.hpp"
#include "kindling/nn/layers.hpp"
#include "kindling/nn/loss.hpp"
#include "kindling/nn/metrics.hpp"
#include "kindling/nn/module.hpp"
#include "kindling/nn/optim.hpp"
#include "kindling/nn/readers.hpp"
#include "kindling/nn/safetensors.hpp"
#include "kindling/nn/scheduler.hpp"
#include "tensor_support.hpp"

namespace kindling::python {

namespace {

using nn::Module;
using nn::StateDict;

// Lets Python classes derive from Module and override forward / extra_repr.
class PyModule : public Module {
 public:
  using Module::Module;
  Tensor forward(const Tensor& input) override {
    PYBIND11_OVERRIDE(Tensor, Module, forward, input);
  }
  std::string extra_repr() const override { PYBIND11_OVERRIDE(std::string, Module, extra_repr, ); }
};

// Module's registration functions are protected (a module registers its own members); Python
// subclasses call them on themselves, through these pointers.
struct ModuleAccess : Module {
  using Module::add_child;
  using Module::register_buffer;
  using Module::register_parameter;
};

py::dict to_dict(const StateDict& state) {
  py::dict dict;
  for (const auto& [name, tensor] : state)
    dict[py::str(name)] = tensor;
  return dict;
}

// A mapping of names to tensors (or anything kindling.tensor takes) as a StateDict, in the
// mapping's order.
StateDict to_state_dict(const py::handle& mapping) {
  StateDict state;
  for (auto item : py::reinterpret_borrow<py::dict>(mapping))
    state.insert(item.first.cast<std::string>(), as_tensor(item.second));
  return state;
}

py::list tensor_list(const std::vector<Tensor>& tensors) {
  py::list list;
  for (const Tensor& t : tensors)
    list.append(py::cast(t));
  return list;
}

py::list named_list(const std::vector<std::pair<std::string, Tensor>>& named) {
  py::list list;
  for (const auto& [name, tensor] : named)
    list.append(py::make_tuple(name, tensor));
  return list;
}

// Parameters for an optimizer: any iterable of tensors (a list, model.parameters()).
std::vector<Tensor> to_params(const py::iterable& params) {
  std::vector<Tensor> result;
  for (py::handle p : params)
    result.push_back(p.cast<Tensor>());
  return result;
}

// Depth first, registration order, this module first as "" (Module::named_modules, but with
// owning handles: Python may keep a submodule after dropping the model). No recursion: the walk
// is Module::named_submodules'.
void collect_modules(const std::shared_ptr<Module>& module, py::list& out) {
  out.append(py::make_tuple(std::string(), module));
  for (auto& [name, child] : module->named_submodules())
    out.append(py::make_tuple(std::move(name), std::move(child)));
}

// Keeps a Python module object alive as long as `owner` (Note [module lifetimes]).
void keep_child(const py::object& owner, const std::string& name, const py::object& child) {
  py::object dict = owner.attr("__dict__");
  if (!dict.contains("_kindling_children")) dict["_kindling_children"] = py::dict();
  dict["_kindling_children"][py::str(name)] = child;
}

py::object optional_tensor(const Tensor& t) {
  return t.defined() ? py::cast(t) : py::none();
}

void bind_modules(py::module_& m) {
  py::class_<Module, PyModule, std::shared_ptr<Module>>(m, "Module", py::dynamic_attr(), R"(
The base of every tensor layer and model, as torch.nn.Module. Subclass it in Python, call
super().__init__(), register parameters and submodules with register_parameter /
register_module (they also become attributes), and override forward(x).)")
      .def(py::init(
               [](const std::string& type_name) { return std::make_shared<PyModule>(type_name); }),
           py::arg("type_name") = "Module")
      .def("forward", &Module::forward, py::arg("input"))
      .def(
          "__call__", [](Module& module, const py::object& x) { return module(as_tensor(x)); },
          py::arg("input"))
      .def("parameters", [](const Module& module) { return tensor_list(module.parameters()); })
      .def("named_parameters",
           [](const Module& module) { return named_list(module.named_parameters()); })
      .def("buffers",
           [](const Module& module) {
             std::vector<Tensor> buffers;
             for (const auto& entry : module.named_buffers())
               buffers.push_back(entry.second);
             return tensor_list(buffers);
           })
      .def("named_buffers", [](const Module& module) { return named_list(module.named_buffers()); })
      .def("children",
           [](const Module& module) {
             py::list list;
             for (const auto& entry : module.children())
               list.append(entry.second);
             return list;
           })
      .def("named_children",
           [](const Module& module) {
             py::list list;
             for (const auto& [name, child] : module.children())
               list.append(py::make_tuple(name, child));
             return list;
           })
      .def("named_modules",
           [](const std::shared_ptr<Module>& module) {
             py::list list;
             collect_modules(module, list);
             return list;
           })
      .def("num_parameters", &Module::parameter_count, "The total number of parameter elements")
      .def("zero_grad", &Module::zero_grad)
      .def(
          "train",
          [](const std::shared_ptr<Module>& module, bool mode) {
            module->train(mode);
            return module;
          },
          py::arg("mode") = true)
      .def("eval",
           [](const std::shared_ptr<Module>& module) {
             module->eval();
             return module;
           })
      .def_property_readonly("training", &Module::is_training)
      .def(
          "to",
          [](const std::shared_ptr<Module>& module, const std::string& device) {
            module->to(parse_device(device));
            return module;
          },
          py::arg("device"), "Moves parameters and buffers in place; returns the module")
      .def("state_dict", [](const Module& module) { return to_dict(module.state_dict()); })
      .def(
          "load_state_dict",
          [](Module& module, const py::dict& state, bool strict) {
            module.load_state_dict(to_state_dict(state), strict);
          },
          py::arg("state_dict"), py::arg("strict") = true)
      .def(
          "register_parameter",
          [](py::object self, const std::string& name, const py::object& value) {
            Module& module = self.cast<Module&>();
            Tensor registered = (module.*&ModuleAccess::register_parameter)(name, as_tensor(value));
            self.attr("__dict__")[py::str(name)] = registered;
            return registered;
          },
          py::arg("name"), py::arg("tensor"))
      .def(
          "register_buffer",
          [](py::object self, const std::string& name, const py::object& value) {
            Module& module = self.cast<Module&>();
            Tensor registered = (module.*&ModuleAccess::register_buffer)(name, as_tensor(value));
            self.attr("__dict__")[py::str(name)] = registered;
            return registered;
          },
          py::arg("name"), py::arg("tensor"))
      .def(
          "register_module",
          [](py::object self, const std::string& name, const py::object& child) {
            Module& module = self.cast<Module&>();
            (module.*&ModuleAccess::add_child)(name, child.cast<std::shared_ptr<Module>>());
            keep_child(self, name, child);
            self.attr("__dict__")[py::str(name)] = child;
            return child;
          },
          py::arg("name"), py::arg("module"))
      .def_property_readonly("type_name", &Module::type_name)
      .def("extra_repr", &Module::extra_repr)
      .def("__repr__", &Module::to_string);

  py::class_<nn::Linear, Module, std::shared_ptr<nn::Linear>>(
      m, "Linear", "y = x W^T + b, W (out, in), initialised as torch.nn.Linear")
      .def(py::init([](std::int64_t in, std::int64_t out, bool bias,
                       const std::optional<std::uint64_t>& seed, const std::string& dtype) {
             return with_generator(seed, [&](Generator& g) {
               return std::make_shared<nn::Linear>(in, out, g, bias, parse_dtype(dtype));
             });
           }),
           py::arg("in_features"), py::arg("out_features"), py::arg("bias") = true,
           py::arg("seed") = py::none(), py::arg("dtype") = "float32")
      .def_property_readonly("weight", [](const nn::Linear& l) { return l.weight; })
      .def_property_readonly("bias", [](const nn::Linear& l) { return optional_tensor(l.bias); })
      .def_readonly("in_features", &nn::Linear::in_features)
      .def_readonly("out_features", &nn::Linear::out_features);

  py::class_<nn::Sequential, Module, std::shared_ptr<nn::Sequential>>(
      m, "Sequential", "Runs its modules in order; they are named '0', '1', ...")
      .def(py::init([](const py::args& modules) {
        auto sequential = std::make_shared<nn::Sequential>();
        for (py::handle module : modules)
          sequential->push_back(module.cast<std::shared_ptr<Module>>());
        return sequential;
      }))
      // The Python objects are kept after construction, when `self` exists
      // (Note [module lifetimes]).
      .def("_keep",
           [](py::object self, const py::args& modules) {
             std::size_t i = 0;
             for (py::handle module : modules)
               keep_child(self, std::to_string(i++), py::reinterpret_borrow<py::object>(module));
           })
      .def(
          "append",
          [](py::object self, const py::object& module) {
            auto& sequential = self.cast<nn::Sequential&>();
            const std::string name = std::to_string(sequential.size());
            sequential.push_back(module.cast<std::shared_ptr<Module>>());
            keep_child(self, name, module);
            return self;
          },
          py::arg("module"))
      .def("__len__", &nn::Sequential::size)
      .def("__getitem__",
           [](const nn::Sequential& s, std::int64_t i) {
             const auto n = static_cast<std::int64_t>(s.size());
             if (i < 0) i += n;
             if (i < 0 || i >= n) throw py::index_error("Sequential index out of range");
             return s.children()[static_cast<std::size_t>(i)].second;
           })
      .def("__iter__", [](const nn::Sequential& s) {
        py::list list;
        for (const auto& entry : s.children())
          list.append(entry.second);
        return py::iter(list);
      });

  py::class_<nn::ReLU, Module, std::shared_ptr<nn::ReLU>>(m, "ReLU").def(py::init<>());
  py::class_<nn::GELU, Module, std::shared_ptr<nn::GELU>>(m, "GELU", "Exact GELU, x Phi(x)")
      .def(py::init<>());
  py::class_<nn::Tanh, Module, std::shared_ptr<nn::Tanh>>(m, "Tanh").def(py::init<>());
  py::class_<nn::Sigmoid, Module, std::shared_ptr<nn::Sigmoid>>(m, "Sigmoid").def(py::init<>());

  // Dropout draws from the process-wide generator (kindling.manual_seed), which outlives every
  // module, as the C++ class requires of its generator.
  py::class_<nn::Dropout, Module, std::shared_ptr<nn::Dropout>>(
      m, "Dropout",
      "Zeroes elements with probability p in training (kindling.manual_seed seeds it)")
      .def(py::init([](double p) { return std::make_shared<nn::Dropout>(p, default_generator()); }),
           py::arg("p") = 0.5)
      .def_readonly("p", &nn::Dropout::p);

  py::class_<nn::LayerNorm, Module, std::shared_ptr<nn::LayerNorm>>(m, "LayerNorm")
      .def(py::init([](const py::object& shape, double eps, bool affine, const std::string& dtype) {
             return std::make_shared<nn::LayerNorm>(to_shape(shape, "LayerNorm"), eps, affine,
                                                    parse_dtype(dtype));
           }),
           py::arg("normalized_shape"), py::arg("eps") = 1e-5, py::arg("elementwise_affine") = true,
           py::arg("dtype") = "float32")
      .def_property_readonly("weight",
                             [](const nn::LayerNorm& l) { return optional_tensor(l.weight); })
      .def_property_readonly("bias",
                             [](const nn::LayerNorm& l) { return optional_tensor(l.bias); });

  py::class_<nn::BatchNorm1d, Module, std::shared_ptr<nn::BatchNorm1d>>(m, "BatchNorm1d")
      .def(py::init([](std::int64_t features, double eps, double momentum, bool affine,
                       const std::string& dtype) {
             return std::make_shared<nn::BatchNorm1d>(features, eps, momentum, affine,
                                                      parse_dtype(dtype));
           }),
           py::arg("num_features"), py::arg("eps") = 1e-5, py::arg("momentum") = 0.1,
           py::arg("affine") = true, py::arg("dtype") = "float32")
      .def_property_readonly("weight",
                             [](const nn::BatchNorm1d& b) { return optional_tensor(b.weight); })
      .def_property_readonly("bias",
                             [](const nn::BatchNorm1d& b) { return optional_tensor(b.bias); })
      .def_property_readonly("running_mean",
                             [](const nn::BatchNorm1d& b) { return b.running_mean; })
      .def_property_readonly("running_var", [](const nn::BatchNorm1d& b) { return b.running_var; });

  py::class_<nn::Embedding, Module, std::shared_ptr<nn::Embedding>>(m, "Embedding")
      .def(py::init([](std::int64_t num, std::int64_t dim,
                       const std::optional<std::uint64_t>& seed) {
             return with_generator(
                 seed, [&](Generator& g) { return std::make_shared<nn::Embedding>(num, dim, g); });
           }),
           py::arg("num_embeddings"), py::arg("embedding_dim"), py::arg("seed") = py::none())
      .def_property_readonly("weight", [](const nn::Embedding& e) { return e.weight; });

  py::class_<nn::Flatten, Module, std::shared_ptr<nn::Flatten>>(m, "Flatten")
      .def(py::init<std::int64_t, std::int64_t>(), py::arg("start_dim") = 1,
           py::arg("end_dim") = -1);
}

void bind_functional(py::module_& f) {
  f.def(
      "mse_loss",
      [](const py::object& p, const py::object& t, const std::string& r) {
        return nn::mse_loss(as_tensor(p), as_tensor(t), parse_reduction(r));
      },
      py::arg("input"), py::arg("target"), py::arg("reduction") = "mean");
  f.def(
      "l1_loss",
      [](const py::object& p, const py::object& t, const std::string& r) {
        return nn::l1_loss(as_tensor(p), as_tensor(t), parse_reduction(r));
      },
      py::arg("input"), py::arg("target"), py::arg("reduction") = "mean");
  f.def(
      "cross_entropy",
      [](const py::object& logits, const py::object& t, double smoothing, const std::string& r) {
        return nn::cross_entropy(as_tensor(logits), as_tensor(t), smoothing, parse_reduction(r));
      },
      py::arg("input"), py::arg("target"), py::arg("label_smoothing") = 0.0,
      py::arg("reduction") = "mean");
  f.def(
      "nll_loss",
      [](const py::object& p, const py::object& t, const std::string& r) {
        return nn::nll_loss(as_tensor(p), as_tensor(t), parse_reduction(r));
      },
      py::arg("input"), py::arg("target"), py::arg("reduction") = "mean");
  f.def(
      "binary_cross_entropy_with_logits",
      [](const py::object& p, const py::object& t, const std::string& r) {
        return nn::binary_cross_entropy_with_logits(as_tensor(p), as_tensor(t), parse_reduction(r));
      },
      py::arg("input"), py::arg("target"), py::arg("reduction") = "mean");
  f.def(
      "hinge_loss",
      [](const py::object& s, const py::object& y, double margin, const std::string& r) {
        return nn::hinge_loss(as_tensor(s), as_tensor(y), margin, parse_reduction(r));
      },
      py::arg("scores"), py::arg("labels"), py::arg("margin") = 1.0, py::arg("reduction") = "mean");
  f.def(
      "clip_grad_norm",
      [](const py::iterable& params, double max_norm, double norm_type) {
        return nn::clip_grad_norm(to_params(params), max_norm, norm_type);
      },
      py::arg("parameters"), py::arg("max_norm"), py::arg("norm_type") = 2.0,
      "Scales the gradients so that their total norm is at most max_norm; returns the norm before");
  f.def(
      "clip_grad_value",
      [](const py::iterable& params, double clip_value) {
        nn::clip_grad_value(to_params(params), clip_value);
      },
      py::arg("parameters"), py::arg("clip_value"));
}

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

// One pass over a DataLoader: begin() (which reshuffles) on the first next(), then ++.
struct LoaderIterator {
  nn::DataLoader* loader;
  std::optional<nn::DataLoader::Iterator> it;
};

void bind_data(py::module_& m) {
  py::class_<nn::Dataset>(m, "Dataset", "Samples stacked into batches of (inputs, targets)")
      .def("__len__", &nn::Dataset::size)
      .def("__getitem__",
           [](const nn::Dataset& d, std::int64_t i) {
             const auto n = static_cast<std::int64_t>(d.size());
             if (i < 0) i += n;
             if (i < 0 || i >= n) throw py::index_error("dataset index out of range");
             nn::Batch b = d.get(i);
             return py::make_tuple(b.inputs.squeeze(0), b.targets.squeeze(0));
           })
      .def(
          "get_batch",
          [](const nn::Dataset& d, const std::vector<std::int64_t>& indices) {
            nn::Batch b = d.get_batch(indices);
            return py::make_tuple(b.inputs, b.targets);
          },
          py::arg("indices"));
  py::class_<nn::TensorDataset, nn::Dataset>(m, "TensorDataset",
                                             "Samples are the rows of two tensors")
      .def(py::init([](const py::object& inputs, const py::object& targets) {
             return nn::TensorDataset(as_tensor(inputs), as_tensor(targets));
           }),
           py::arg("inputs"), py::arg("targets"))
      .def_property_readonly("inputs", &nn::TensorDataset::inputs)
      .def_property_readonly("targets", &nn::TensorDataset::targets);

  py::class_<nn::DataLoader>(m, "DataLoader", R"(Batches of (inputs, targets) from a Dataset.
Each iteration is one epoch; with shuffle=True each epoch draws a new order from a generator
seeded with `seed`, so two loaders with the same seed give the same batches.)")
      .def(py::init([](const nn::Dataset& dataset, std::int64_t batch_size, bool shuffle,
                       bool drop_last, std::uint64_t seed) {
             return std::make_unique<nn::DataLoader>(
                 dataset, nn::LoaderOptions{batch_size, shuffle, drop_last, seed});
           }),
           py::arg("dataset"), py::arg("batch_size") = 32, py::arg("shuffle") = false,
           py::arg("drop_last") = false, py::arg("seed") = 0, py::keep_alive<1, 2>())
      .def("__len__", &nn::DataLoader::size)
      .def(
          "__iter__",
          [](nn::DataLoader& loader) {
            return LoaderIterator{&loader, std::nullopt};
          },
          py::keep_alive<0, 1>())
      .def_property_readonly("order", &nn::DataLoader::order,
                             "The sample order of the current epoch");
  py::class_<LoaderIterator>(m, "_DataLoaderIterator")
      .def("__iter__", [](py::object self) { return self; })
      .def("__next__", [](LoaderIterator& state) {
        if (!state.it) {
          state.it.emplace(state.loader->begin());
        } else {
          ++*state.it;
        }
        if (*state.it == state.loader->end()) throw py::stop_iteration();
        const nn::Batch& batch = **state.it;
        return py::make_tuple(batch.inputs, batch.targets);
      });

  m.def(
      "fashion_mnist",
      [](const std::string& split, const std::optional<std::string>& dir) {
        KINDLING_CHECK(split == "train" || split == "test",
                       "fashion_mnist: split must be 'train' or 'test', got '", split, "'");
        return nn::fashion_mnist(split == "train" ? nn::Split::train : nn::Split::test,
                                 dir.value_or(""));
      },
      py::arg("split") = "train", py::arg("dir") = py::none(),
      "Fashion-MNIST as a TensorDataset: (N, 784) float32 in [0, 1] and (N,) int64 labels");
  m.def(
      "fashion_mnist_dir",
      [](const std::optional<std::string>& dir) { return nn::fashion_mnist_dir(dir.value_or("")); },
      py::arg("dir") = py::none());
  py::list labels;
  for (const char* label : nn::kFashionMnistLabels)
    labels.append(label);
  m.attr("FASHION_MNIST_LABELS") = labels;
}

void bind_metrics(py::module_& m) {
  m.def(
      "accuracy",
      [](const py::object& logits, const py::object& targets) {
        return nn::accuracy(as_tensor(logits), as_tensor(targets));
      },
      py::arg("logits"), py::arg("targets"));
  py::class_<nn::ConfusionMatrix>(m, "ConfusionMatrix",
                                  "Counts (true class, predicted class); rows are true classes")
      .def(py::init<std::int64_t>(), py::arg("num_classes"))
      .def(
          "update",
          [](nn::ConfusionMatrix& c, const py::object& predictions, const py::object& targets) {
            c.update(as_tensor(predictions), as_tensor(targets));
          },
          py::arg("predictions"), py::arg("targets"))
      .def("count", &nn::ConfusionMatrix::count, py::arg("truth"), py::arg("predicted"))
      .def_property_readonly("total", &nn::ConfusionMatrix::total)
      .def_property_readonly("num_classes", &nn::ConfusionMatrix::num_classes)
      .def("accuracy", &nn::ConfusionMatrix::accuracy)
      .def("numpy",
           [](const nn::ConfusionMatrix& c) {
             const std::int64_t n = c.num_classes();
             py::array_t<std::int64_t> result({n, n});
             auto view = result.mutable_unchecked<2>();
             for (std::int64_t i = 0; i < n; ++i)
               for (std::int64_t j = 0; j < n; ++j)
                 view(i, j) = c.count(i, j);
             return result;
           })
      .def("to_string", &nn::ConfusionMatrix::to_string,
           py::arg("labels") = std::vector<std::string>{})
      .def("__str__", [](const nn::ConfusionMatrix& c) { return c.to_string(); });
  py::class_<nn::RunningMean>(m, "RunningMean", "A weighted running mean")
      .def(py::init<>())
      .def("add", &nn::RunningMean::add, py::arg("value"), py::arg("weight") = 1.0)
      .def_property_readonly("mean", &nn::RunningMean::mean)
      .def("reset", &nn::RunningMean::reset);
}

void bind_safetensors(py::module_& m) {
  m.def(
      "save",
      [](const py::object& obj, const std::string& path,
         const std::optional<nn::Metadata>& metadata) {
        const nn::Metadata meta = metadata.value_or(nn::Metadata{});
        if (py::isinstance<Module>(obj)) {
          nn::save_safetensors(obj.cast<const Module&>(), path, meta);
        } else if (py::isinstance<py::dict>(obj)) {
          nn::save_safetensors(to_state_dict(obj), path, meta);
        } else {
          throw py::type_error("save: expected a kindling.nn.Module or a dict of tensors");
        }
      },
      py::arg("obj"), py::arg("path"), py::arg("metadata") = py::none(),
      "Writes a module's state dict (or a dict of tensors) as a safetensors file");
  m.def(
      "load",
      [](const std::string& path, bool with_metadata) -> py::object {
        nn::Metadata metadata;
        py::dict state = to_dict(nn::load_safetensors(path, &metadata));
        if (with_metadata) return py::make_tuple(state, metadata);
        return state;
      },
      py::arg("path"), py::arg("with_metadata") = false,
      "Reads a safetensors file (strictly) as a dict of tensors");
}

void bind_cuda(py::module_& c) {
  c.def("is_available", &gpu::is_available, "True when a CUDA device can be used now");
  c.def("device_count", &gpu::device_count);
  c.def("built_with_cuda", &gpu::built_with_cuda, "True when kindling was compiled with nvcc");
  c.def("unavailable_reason", &gpu::unavailable_reason,
        "Why is_available() is False ('' when it is True)");
  c.def("synchronize", &gpu::synchronize, "Waits for the queued device work; reports its errors");
  c.def("current_device", &gpu::current_device);
  c.def("set_device", &gpu::set_device, py::arg("index"));
  c.def("memory_stats", []() {
    const gpu::MemoryStats s = gpu::memory_stats();
    py::dict d;
    d["allocated_bytes"] = s.allocated_bytes;
    d["cached_bytes"] = s.cached_bytes;
    d["peak_allocated_bytes"] = s.peak_allocated_bytes;
    d["device_allocations"] = s.device_allocations;
    d["cache_hits"] = s.cache_hits;
    return d;
  });
  c.def("empty_cache", &gpu::release_cached_memory,
        "Returns the cached device blocks to the driver; the number of bytes released");
}

}  // namespace

void bind_tensor_nn(py::module_& m, py::module_& nn_module) {
  bind_modules(nn_module);
  py::module_ functional =
      nn_module.def_submodule("functional", "Losses and gradient clipping on tensors");
  bind_functional(functional);
  bind_data(nn_module);
  bind_metrics(nn_module);
  py::module_ optim = m.def_submodule("optim", "Optimizers and learning-rate schedulers");
  bind_optim(optim);
  bind_safetensors(m);
  py::module_ cuda = m.def_submodule("cuda", "The CUDA device, when kindling has one");
  bind_cuda(cuda);
}

}  // namespace kindling::python
