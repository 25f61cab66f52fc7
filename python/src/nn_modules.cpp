// kindling.nn's tensor modules: Module (subclassable from Python) and the layers.
//
// Note [module lifetimes]
// Modules are held by std::shared_ptr on both sides, so a layer put into a Sequential from Python
// is the same C++ object the Python handle names. A module *written in Python* (a subclass of
// kindling.nn.Module overriding forward) is a C++ object whose forward calls back into its Python
// half; pybind11 2.10 keeps that half alive only while a Python reference exists. So every place
// that hands a module to C++ (register_module, Sequential) also stores the Python object in the
// owner's __dict__, and the Python half lives as long as its owner does.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bindings.hpp"
#include "kindling/engine/error.hpp"
#include "kindling/nn/conv.hpp"
#include "kindling/nn/layers.hpp"
#include "kindling/nn/module.hpp"
#include "nn_support.hpp"
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

}  // namespace

namespace {
// BatchNorm1d and BatchNorm2d: torch's arguments and attributes.
template <class Norm>
void bind_batch_norm(py::module_& m, const char* name) {
  py::class_<Norm, Module, std::shared_ptr<Norm>>(m, name)
      .def(py::init([](std::int64_t features, double eps, double momentum, bool affine,
                       const std::string& dtype) {
             return std::make_shared<Norm>(features, eps, momentum, affine, parse_dtype(dtype));
           }),
           py::arg("num_features"), py::arg("eps") = 1e-5, py::arg("momentum") = 0.1,
           py::arg("affine") = true, py::arg("dtype") = "float32")
      .def_property_readonly("weight", [](const Norm& b) { return optional_tensor(b.weight); })
      .def_property_readonly("bias", [](const Norm& b) { return optional_tensor(b.bias); })
      .def_property_readonly("running_mean", [](const Norm& b) { return b.running_mean; })
      .def_property_readonly("running_var", [](const Norm& b) { return b.running_var; });
}

py::tuple pair_of(Size2 s) {
  return py::make_tuple(s.h, s.w);
}

// Conv2d, the pools, BatchNorm2d and Dropout2d with torch.nn's arguments (kernel sizes, strides,
// paddings and dilations as an int or a pair).
void bind_conv_modules(py::module_& m) {
  py::class_<nn::Conv2d, Module, std::shared_ptr<nn::Conv2d>>(
      m, "Conv2d", "2-d convolution, weight (out, in / groups, kh, kw), initialised as torch's")
      .def(py::init([](std::int64_t in, std::int64_t out, const py::object& k,
                       const py::object& stride, const py::object& padding,
                       const py::object& dilation, std::int64_t groups, bool bias,
                       const std::optional<std::uint64_t>& seed, const std::string& dtype) {
             return with_generator(seed, [&](Generator& g) {
               return std::make_shared<nn::Conv2d>(
                   in, out, to_size2(k, "Conv2d", "kernel_size"), g,
                   to_size2(stride, "Conv2d", "stride"), to_size2(padding, "Conv2d", "padding"),
                   to_size2(dilation, "Conv2d", "dilation"), groups, bias, parse_dtype(dtype));
             });
           }),
           py::arg("in_channels"), py::arg("out_channels"), py::arg("kernel_size"),
           py::arg("stride") = 1, py::arg("padding") = 0, py::arg("dilation") = 1,
           py::arg("groups") = 1, py::arg("bias") = true, py::arg("seed") = py::none(),
           py::arg("dtype") = "float32")
      .def_property_readonly("weight", [](const nn::Conv2d& c) { return c.weight; })
      .def_property_readonly("bias", [](const nn::Conv2d& c) { return optional_tensor(c.bias); })
      .def_readonly("in_channels", &nn::Conv2d::in_channels)
      .def_readonly("out_channels", &nn::Conv2d::out_channels)
      .def_readonly("groups", &nn::Conv2d::groups)
      .def_property_readonly("kernel_size",
                             [](const nn::Conv2d& c) { return pair_of(c.kernel_size); })
      .def_property_readonly("stride", [](const nn::Conv2d& c) { return pair_of(c.stride); })
      .def_property_readonly("padding", [](const nn::Conv2d& c) { return pair_of(c.padding); })
      .def_property_readonly("dilation", [](const nn::Conv2d& c) { return pair_of(c.dilation); });
  py::class_<nn::MaxPool2d, Module, std::shared_ptr<nn::MaxPool2d>>(m, "MaxPool2d")
      .def(py::init([](const py::object& k, const py::object& stride, const py::object& padding,
                       const py::object& dilation, bool ceil_mode) {
             return std::make_shared<nn::MaxPool2d>(
                 to_size2(k, "MaxPool2d", "kernel_size"), to_size2(stride, "MaxPool2d", "stride"),
                 to_size2(padding, "MaxPool2d", "padding"),
                 to_size2(dilation, "MaxPool2d", "dilation"), ceil_mode);
           }),
           py::arg("kernel_size"), py::arg("stride") = py::none(), py::arg("padding") = 0,
           py::arg("dilation") = 1, py::arg("ceil_mode") = false);
  py::class_<nn::AvgPool2d, Module, std::shared_ptr<nn::AvgPool2d>>(m, "AvgPool2d")
      .def(py::init([](const py::object& k, const py::object& stride, const py::object& padding,
                       bool count_include_pad) {
             return std::make_shared<nn::AvgPool2d>(
                 to_size2(k, "AvgPool2d", "kernel_size"), to_size2(stride, "AvgPool2d", "stride"),
                 to_size2(padding, "AvgPool2d", "padding"), count_include_pad);
           }),
           py::arg("kernel_size"), py::arg("stride") = py::none(), py::arg("padding") = 0,
           py::arg("count_include_pad") = true);
  py::class_<nn::AdaptiveAvgPool2d, Module, std::shared_ptr<nn::AdaptiveAvgPool2d>>(
      m, "AdaptiveAvgPool2d")
      .def(py::init([](const py::object& size) {
             return std::make_shared<nn::AdaptiveAvgPool2d>(
                 to_size2(size, "AdaptiveAvgPool2d", "output_size"));
           }),
           py::arg("output_size"));
  bind_batch_norm<nn::BatchNorm2d>(m, "BatchNorm2d");
  py::class_<nn::Dropout2d, Module, std::shared_ptr<nn::Dropout2d>>(
      m, "Dropout2d",
      "Zeroes whole channels with probability p in training (kindling.manual_seed seeds it)")
      .def(py::init(
               [](double p) { return std::make_shared<nn::Dropout2d>(p, default_generator()); }),
           py::arg("p") = 0.5)
      .def_readonly("p", &nn::Dropout2d::p);
}
}  // namespace

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

  // The Linear layers of nn.mlp, all drawn from one generator in order, as C++'s
  // mlp<Activation>(sizes, Generator(seed)) draws them: the same seed gives the same model in
  // both languages.
  m.def(
      "_mlp_linears",
      [](const std::vector<std::int64_t>& sizes, const std::optional<std::uint64_t>& seed) {
        KINDLING_CHECK(sizes.size() >= 2, "mlp: sizes needs at least two entries (in, out), got ",
                       sizes.size());
        return with_generator(seed, [&](Generator& g) {
          std::vector<std::shared_ptr<nn::Linear>> layers;
          for (std::size_t i = 0; i + 1 < sizes.size(); ++i)
            layers.push_back(std::make_shared<nn::Linear>(sizes[i], sizes[i + 1], g));
          return layers;
        });
      },
      py::arg("sizes"), py::arg("seed") = py::none());

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
             if (i < 0 || i >= n) raise_index_error("Sequential index out of range");
             return s.children()[static_cast<std::size_t>(i)].second;
           })
      .def("__iter__", [](const nn::Sequential& s) {
        py::list list;
        for (const auto& entry : s.children())
          list.append(entry.second);
        return py::iter(list);
      });

  py::class_<nn::ModuleList, Module, std::shared_ptr<nn::ModuleList>>(
      m, "ModuleList", "Holds modules under '0', '1', ... (no forward of its own)")
      .def(py::init([](const std::optional<py::iterable>&) {
             return std::make_shared<nn::ModuleList>();
           }),
           py::arg("modules") = py::none())
      // The modules are appended after construction, when `self` exists to keep them
      // (Note [module lifetimes]): python/kindling/nn/__init__.py's __init__ calls extend.
      .def(
          "append",
          [](py::object self, const py::object& module) {
            auto& list = self.cast<nn::ModuleList&>();
            const std::string name = std::to_string(list.size());
            list.push_back(module.cast<std::shared_ptr<Module>>());
            keep_child(self, name, module);
            return self;
          },
          py::arg("module"))
      .def("__len__", &nn::ModuleList::size)
      .def("__getitem__",
           [](const nn::ModuleList& list, std::int64_t i) {
             const auto n = static_cast<std::int64_t>(list.size());
             if (i < 0) i += n;
             if (i < 0 || i >= n) raise_index_error("ModuleList index out of range");
             return list.children()[static_cast<std::size_t>(i)].second;
           })
      .def("__iter__", [](const nn::ModuleList& list) {
        py::list modules;
        for (const auto& entry : list.children())
          modules.append(entry.second);
        return py::iter(modules);
      });

  py::class_<nn::ModuleDict, Module, std::shared_ptr<nn::ModuleDict>>(
      m, "ModuleDict", "Holds modules by name, in insertion order (no forward of its own)")
      .def(py::init(
               [](const std::optional<py::object>&) { return std::make_shared<nn::ModuleDict>(); }),
           py::arg("modules") = py::none())
      .def(
          "__setitem__",
          [](py::object self, const std::string& name, const py::object& module) {
            self.cast<nn::ModuleDict&>().insert(name, module.cast<std::shared_ptr<Module>>());
            keep_child(self, name, module);
          },
          py::arg("name"), py::arg("module"))
      .def("__getitem__",
           [](const nn::ModuleDict& dict, const std::string& name) {
             if (!dict.contains(name)) throw py::key_error(name);
             for (const auto& [key, module] : dict.children())
               if (key == name) return module;
             return std::shared_ptr<Module>();
           })
      .def("__contains__", &nn::ModuleDict::contains, py::arg("name"))
      .def("__len__", &nn::ModuleDict::size)
      .def("keys",
           [](const nn::ModuleDict& dict) {
             py::list keys;
             for (const auto& entry : dict.children())
               keys.append(entry.first);
             return keys;
           })
      .def("values",
           [](const nn::ModuleDict& dict) {
             py::list values;
             for (const auto& entry : dict.children())
               values.append(entry.second);
             return values;
           })
      .def("items", [](const nn::ModuleDict& dict) {
        py::list items;
        for (const auto& [key, module] : dict.children())
          items.append(py::make_tuple(key, module));
        return items;
      });

  py::class_<nn::Identity, Module, std::shared_ptr<nn::Identity>>(m, "Identity")
      .def(py::init(
          [](const py::args&, const py::kwargs&) { return std::make_shared<nn::Identity>(); }));
  py::class_<nn::Softmax, Module, std::shared_ptr<nn::Softmax>>(m, "Softmax")
      .def(py::init<std::optional<std::int64_t>>(), py::arg("dim") = py::none())
      .def_readonly("dim", &nn::Softmax::dim);
  py::class_<nn::LogSoftmax, Module, std::shared_ptr<nn::LogSoftmax>>(m, "LogSoftmax")
      .def(py::init<std::optional<std::int64_t>>(), py::arg("dim") = py::none())
      .def_readonly("dim", &nn::LogSoftmax::dim);
  py::class_<nn::SiLU, Module, std::shared_ptr<nn::SiLU>>(m, "SiLU").def(py::init<>());
  py::class_<nn::ReLU, Module, std::shared_ptr<nn::ReLU>>(m, "ReLU").def(py::init<>());
  py::class_<nn::GELU, Module, std::shared_ptr<nn::GELU>>(m, "GELU", "Exact GELU, x Phi(x)")
      .def(py::init<>());
  py::class_<nn::Tanh, Module, std::shared_ptr<nn::Tanh>>(m, "Tanh").def(py::init<>());
  py::class_<nn::LeakyReLU, Module, std::shared_ptr<nn::LeakyReLU>>(m, "LeakyReLU")
      .def(py::init<double>(), py::arg("negative_slope") = 0.01)
      .def_readonly("negative_slope", &nn::LeakyReLU::negative_slope);
  py::class_<nn::ELU, Module, std::shared_ptr<nn::ELU>>(m, "ELU")
      .def(py::init<double>(), py::arg("alpha") = 1.0)
      .def_readonly("alpha", &nn::ELU::alpha);
  py::class_<nn::Softplus, Module, std::shared_ptr<nn::Softplus>>(m, "Softplus")
      .def(py::init<double, double>(), py::arg("beta") = 1.0, py::arg("threshold") = 20.0)
      .def_readonly("beta", &nn::Softplus::beta)
      .def_readonly("threshold", &nn::Softplus::threshold);
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

  bind_batch_norm<nn::BatchNorm1d>(m, "BatchNorm1d");

  py::class_<nn::Embedding, Module, std::shared_ptr<nn::Embedding>>(m, "Embedding")
      .def(py::init([](std::int64_t num, std::int64_t dim,
                       const std::optional<std::uint64_t>& seed) {
             return with_generator(
                 seed, [&](Generator& g) { return std::make_shared<nn::Embedding>(num, dim, g); });
           }),
           py::arg("num_embeddings"), py::arg("embedding_dim"), py::arg("seed") = py::none())
      .def_property_readonly("weight", [](const nn::Embedding& e) { return e.weight; });

  bind_conv_modules(m);

  py::class_<nn::Flatten, Module, std::shared_ptr<nn::Flatten>>(m, "Flatten")
      .def(py::init<std::int64_t, std::int64_t>(), py::arg("start_dim") = 1,
           py::arg("end_dim") = -1);
}

}  // namespace kindling::python
