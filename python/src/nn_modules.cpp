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
#include <type_traits>
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
void bind_batch_norm(py::module_& m, const char* name, const char* doc) {
  py::class_<Norm, Module, std::shared_ptr<Norm>>(m, name, doc)
      .def(py::init([](std::int64_t features, double eps, double momentum, bool affine,
                       const std::string& dtype) {
             return std::make_shared<Norm>(features, eps, momentum, affine, parse_dtype(dtype));
           }),
           py::arg("num_features"), py::arg("eps") = 1e-5, py::arg("momentum") = 0.1,
           py::arg("affine") = true, py::arg("dtype") = "float32",
           "Makes the layer (see the class docstring for the arguments).")
      .def_property_readonly(
          "weight", [](const Norm& b) { return optional_tensor(b.weight); },
          "The per-channel scale, a (num_features,) parameter starting at 1; None without affine.")
      .def_property_readonly(
          "bias", [](const Norm& b) { return optional_tensor(b.bias); },
          "The per-channel shift, a (num_features,) parameter starting at 0; None without affine.")
      .def_property_readonly(
          "running_mean", [](const Norm& b) { return b.running_mean; },
          "The running mean per channel, a (num_features,) buffer starting at 0, updated in "
          "training.")
      .def_property_readonly(
          "running_var", [](const Norm& b) { return b.running_var; },
          "The running (unbiased) variance per channel, a (num_features,) buffer starting at 1, "
          "updated in training.");
}

// What BatchNorm1d and BatchNorm2d share in their docstrings.
#define KINDLING_BATCH_NORM_DOC                                                                   \
  "In training mode the batch's statistics normalise each channel (dim 1), with the biased\n"     \
  "variance, and update ``running_mean`` and ``running_var`` (the unbiased variance):\n"          \
  "``r = (1 - momentum) r + momentum s``. In eval mode the running statistics normalise. Then\n"  \
  "``y * weight + bias`` with affine. Buffers as torch's: running_mean, running_var and\n"        \
  "num_batches_tracked. torch's ``momentum=None`` (a cumulative average) and\n"                   \
  "``track_running_stats=False`` are not supported.\n\n"                                          \
  "Args:\n"                                                                                       \
  "    num_features (int): C, the number of channels.\n"                                          \
  "    eps (float): added to the variance (default 1e-5).\n"                                      \
  "    momentum (float): the running statistics' update weight (default 0.1).\n"                  \
  "    affine (bool): learn weight and bias (default True).\n"                                    \
  "    dtype (str): ``'float32'`` (default) or ``'float64'``.\n\n"                                \
  "Raises:\n"                                                                                     \
  "    kindling.Error: for num_features < 1; in forward, for an input of another shape, and in\n" \
  "        training for a batch with one value per channel.\n\n"

py::tuple pair_of(Size2 s) {
  return py::make_tuple(s.h, s.w);
}

// Conv2d, the pools, BatchNorm2d and Dropout2d with torch.nn's arguments (kernel sizes, strides,
// paddings and dilations as an int or a pair).
void bind_conv_modules(py::module_& m) {
  py::class_<nn::Conv2d, Module, std::shared_ptr<nn::Conv2d>>(
      m, "Conv2d",
      R"(2-d convolution (cross-correlation), as torch.nn.Conv2d: ``(N, C_in, H, W) -> (N, C_out, H_out, W_out)``.

``H_out = floor((H + 2 padding - dilation (kh - 1) - 1) / stride) + 1`` (the same for W), zero
padding. ``weight`` is ``(out_channels, in_channels / groups, kh, kw)`` (torch's OIHW) and
``bias`` ``(out_channels,)``, both initialised as torch's: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with
``fan_in = in_channels / groups * kh * kw``. Built on unfold (im2col) and a matrix product.
torch's ``padding='same'`` and ``padding_mode`` are not supported.

Args:
    in_channels (int): C_in.
    out_channels (int): C_out.
    kernel_size (int or (int, int)): the window (kh, kw).
    stride (int or (int, int)): default 1.
    padding (int or (int, int)): zeros on each side (default 0).
    dilation (int or (int, int)): spacing of the window's taps (default 1).
    groups (int): channel groups; both channel counts must divide by it (default 1).
    bias (bool): learn a bias (default True).
    seed (int, optional): seed a generator for the initialisation (else kindling.manual_seed's).
    dtype (str): ``'float32'`` (default) or ``'float64'``.

Raises:
    kindling.Error: for non-positive channels or kernel sizes, channels that groups does not
        divide, or a size that is not an int or a pair; in forward, for an input that is not 4-d,
        not floating, of the wrong channel count, or too small for the window.

Example:
    >>> conv = kindling.nn.Conv2d(3, 8, 3, padding=1, seed=0)
    >>> conv
    Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
    >>> conv.weight.shape, conv(kindling.zeros(2, 3, 28, 28)).shape
    ((8, 3, 3, 3), (2, 8, 28, 28))
)")
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
           py::arg("dtype") = "float32",
           "Makes the layer (see the class docstring for the arguments).")
      .def_property_readonly(
          "weight", [](const nn::Conv2d& c) { return c.weight; },
          "The filters, a parameter of shape (out_channels, in_channels / groups, kh, kw).")
      .def_property_readonly(
          "bias", [](const nn::Conv2d& c) { return optional_tensor(c.bias); },
          "The bias, a parameter of shape (out_channels,); None when built with bias=False.")
      .def_readonly("in_channels", &nn::Conv2d::in_channels, "C_in (int).")
      .def_readonly("out_channels", &nn::Conv2d::out_channels, "C_out (int).")
      .def_readonly("groups", &nn::Conv2d::groups, "The number of channel groups (int).")
      .def_property_readonly(
          "kernel_size", [](const nn::Conv2d& c) { return pair_of(c.kernel_size); },
          "The window (kh, kw), a pair of ints.")
      .def_property_readonly(
          "stride", [](const nn::Conv2d& c) { return pair_of(c.stride); },
          "The stride, a pair of ints.")
      .def_property_readonly(
          "padding", [](const nn::Conv2d& c) { return pair_of(c.padding); },
          "The zero padding on each side, a pair of ints.")
      .def_property_readonly(
          "dilation", [](const nn::Conv2d& c) { return pair_of(c.dilation); },
          "The dilation, a pair of ints.");
  py::class_<nn::MaxPool2d, Module, std::shared_ptr<nn::MaxPool2d>>(
      m, "MaxPool2d",
      R"(The maximum of each window, as torch.nn.MaxPool2d, on ``(N, C, H, W)`` or ``(C, H, W)``.

A NaN wins its window (as torch's). The gradient goes to each window's maximum.

Args:
    kernel_size (int or (int, int)): the window.
    stride (int or (int, int), optional): default the kernel size.
    padding (int or (int, int)): padding on each side, never chosen as a maximum; at most half
        the kernel (default 0).
    dilation (int or (int, int)): default 1.
    ceil_mode (bool): round the output size up (default False).

Raises:
    kindling.Error: in forward, for an input that is not 3-d or 4-d or not floating, a padding
        above half the kernel, or a window that does not fit.

Example:
    >>> pool = kindling.nn.MaxPool2d(2)
    >>> pool(kindling.arange(16.0).reshape(1, 1, 4, 4))
    tensor([[[[ 5.0000,  7.0000],
              [13.0000, 15.0000]]]])
)")
      .def(py::init([](const py::object& k, const py::object& stride, const py::object& padding,
                       const py::object& dilation, bool ceil_mode) {
             return std::make_shared<nn::MaxPool2d>(
                 to_size2(k, "MaxPool2d", "kernel_size"), to_size2(stride, "MaxPool2d", "stride"),
                 to_size2(padding, "MaxPool2d", "padding"),
                 to_size2(dilation, "MaxPool2d", "dilation"), ceil_mode);
           }),
           py::arg("kernel_size"), py::arg("stride") = py::none(), py::arg("padding") = 0,
           py::arg("dilation") = 1, py::arg("ceil_mode") = false,
           "Makes the layer (see the class docstring for the arguments).");
  py::class_<nn::AvgPool2d, Module, std::shared_ptr<nn::AvgPool2d>>(
      m, "AvgPool2d",
      R"(The mean of each window, as torch.nn.AvgPool2d, on ``(N, C, H, W)`` or ``(C, H, W)``.

torch's ``ceil_mode=True`` and ``divisor_override`` are not taken here
(kindling.nn.functional.avg_pool2d takes divisor_override).

Args:
    kernel_size (int or (int, int)): the window.
    stride (int or (int, int), optional): default the kernel size.
    padding (int or (int, int)): zero padding, at most half the kernel (default 0).
    count_include_pad (bool): count the padding in each window's divisor (default True).

Raises:
    kindling.Error: in forward, for an input that is not 3-d or 4-d or not floating, or a padding
        above half the kernel.

Example:
    >>> kindling.nn.AvgPool2d(2, stride=1)(kindling.arange(9.0).reshape(1, 1, 3, 3))
    tensor([[[[2.0000, 3.0000],
              [5.0000, 6.0000]]]])
)")
      .def(py::init([](const py::object& k, const py::object& stride, const py::object& padding,
                       bool count_include_pad) {
             return std::make_shared<nn::AvgPool2d>(
                 to_size2(k, "AvgPool2d", "kernel_size"), to_size2(stride, "AvgPool2d", "stride"),
                 to_size2(padding, "AvgPool2d", "padding"), count_include_pad);
           }),
           py::arg("kernel_size"), py::arg("stride") = py::none(), py::arg("padding") = 0,
           py::arg("count_include_pad") = true,
           "Makes the layer (see the class docstring for the arguments).");
  py::class_<nn::AdaptiveAvgPool2d, Module, std::shared_ptr<nn::AdaptiveAvgPool2d>>(
      m, "AdaptiveAvgPool2d",
      R"(Averages over torch's bins so that the output is ``output_size``, as torch.nn.AdaptiveAvgPool2d.

Bin i of an axis of size H covers ``[floor(i H / oh), ceil((i + 1) H / oh))``. torch's None in
output_size (keep that size) is not supported.

Args:
    output_size (int or (int, int)): (oh, ow), each >= 1.

Raises:
    kindling.Error: for an output size below 1; in forward, for an input that is not 3-d or 4-d.

Example:
    >>> kindling.nn.AdaptiveAvgPool2d(1)(kindling.ones(2, 3, 5, 5)).shape
    (2, 3, 1, 1)
)")
      .def(py::init([](const py::object& size) {
             return std::make_shared<nn::AdaptiveAvgPool2d>(
                 to_size2(size, "AdaptiveAvgPool2d", "output_size"));
           }),
           py::arg("output_size"), "Makes the layer (see the class docstring).");
  bind_batch_norm<nn::BatchNorm2d>(m, "BatchNorm2d",
                                   "Batch normalisation of ``(N, C, H, W)`` per channel, as "
                                   "torch.nn.BatchNorm2d.\n\n" KINDLING_BATCH_NORM_DOC
                                   "Example:\n"
                                   "    >>> bn = kindling.nn.BatchNorm2d(3)\n"
                                   "    >>> bn(kindling.randn(4, 3, 5, 5, seed=0)).shape\n"
                                   "    (4, 3, 5, 5)\n"
                                   "    >>> bn.running_mean.shape, bn.training\n"
                                   "    ((3,), True)\n");
  py::class_<nn::Dropout2d, Module, std::shared_ptr<nn::Dropout2d>>(
      m, "Dropout2d",
      R"(In training, zeroes whole channels with probability p and scales the rest by ``1 / (1 - p)``, as torch.nn.Dropout2d; the identity in eval mode.

Takes ``(N, C, H, W)`` or ``(C, H, W)``. The masks come from the generator
:func:`kindling.manual_seed` reseeds.

Args:
    p (float): the probability of zeroing a channel, in [0, 1] (default 0.5).

Raises:
    kindling.Error: for p outside [0, 1].

Example:
    >>> drop = kindling.nn.Dropout2d(0.5).eval()
    >>> drop(kindling.ones(1, 2, 2, 2)).sum()
    tensor(8.0000)
)")
      .def(py::init(
               [](double p) { return std::make_shared<nn::Dropout2d>(p, default_generator()); }),
           py::arg("p") = 0.5, "Makes the layer (see the class docstring).")
      .def_readonly("p", &nn::Dropout2d::p, "The probability of zeroing a channel (float).");
}
}  // namespace

void bind_modules(py::module_& m) {
  py::class_<Module, PyModule, std::shared_ptr<Module>>(
      m, "Module", py::dynamic_attr(),
      R"(The base of every tensor layer and model, as torch.nn.Module.

A module owns named parameters (tensors that require grad), buffers (state that is saved but not
trained, such as BatchNorm's running statistics) and submodules, and derives from them the walks
PyTorch users expect: parameters(), named_parameters(), zero_grad(), train()/eval(),
state_dict() and load_state_dict(). Names join with dots (``'0.weight'``, ``'fc.bias'``), as in
torch, so state dicts map one to one onto PyTorch's.

Subclass it in Python: call ``super().__init__(type_name)``, assign submodules as attributes
(``self.fc = nn.Linear(...)`` registers them, as in torch) or call register_module; register
tensors with register_parameter / register_buffer (they become attributes too), and override
``forward(x)``. Calling the module runs forward inside its name scope, so graph drawings show it
as a cluster. Differences from torch: forward takes one tensor; there is no nn.Parameter (a
tensor becomes a parameter through register_parameter); modules have no forward or backward
hooks; the repr's name is ``type_name``, not the Python class name.

Args:
    type_name (str): the name repr and graph drawings show (default ``'Module'``).

Example:
    >>> from kindling import nn
    >>> class Net(nn.Module):
    ...     def __init__(self):
    ...         super().__init__("Net")
    ...         self.fc = nn.Linear(4, 2, seed=0)
    ...         self.scale = self.register_parameter("scale", kindling.ones(1))
    ...     def forward(self, x):
    ...         return self.fc(x) * self.scale
    >>> net = Net()
    >>> net
    Net(
      (fc): Linear(in_features=4, out_features=2, bias=True)
    )
    >>> [name for name, _ in net.named_parameters()]
    ['scale', 'fc.weight', 'fc.bias']
    >>> net(kindling.ones(3, 4)).shape
    (3, 2)
)")
      .def(py::init(
               [](const std::string& type_name) { return std::make_shared<PyModule>(type_name); }),
           py::arg("type_name") = "Module",
           "Makes an empty module named ``type_name`` (for subclasses written in Python).")
      .def(
          "forward", &Module::forward, py::arg("input"),
          R"(The computation, ``input -> output``; a subclass overrides it. Call the module itself (``model(x)``) rather than forward, as in torch.

Args:
    input (Tensor): the input.

Raises:
    kindling.Error: for the base class's own forward ("forward(Tensor) is not implemented by
        this module"), as for containers without one (ModuleList, ModuleDict).
)")
      .def(
          "__call__", [](Module& module, const py::object& x) { return module(as_tensor(x)); },
          py::arg("input"))
      .def(
          "parameters", [](const Module& module) { return tensor_list(module.parameters()); },
          R"(Every parameter of this module and its submodules, depth first in registration order, as a list (torch's is an iterator).

The tensors are the module's own (an optimizer updates them in place).

Example:
    >>> [p.shape for p in kindling.nn.Linear(3, 2).parameters()]
    [(2, 3), (2,)]
)")
      .def(
          "named_parameters",
          [](const Module& module) { return named_list(module.named_parameters()); },
          R"(``(dotted name, parameter)`` pairs of this module and its submodules, as a list.

Example:
    >>> model = kindling.nn.Sequential(kindling.nn.Linear(3, 2), kindling.nn.ReLU())
    >>> [name for name, _ in model.named_parameters()]
    ['0.weight', '0.bias']
)")
      .def(
          "buffers",
          [](const Module& module) {
            std::vector<Tensor> buffers;
            for (const auto& entry : module.named_buffers())
              buffers.push_back(entry.second);
            return tensor_list(buffers);
          },
          R"(Every buffer (saved state that is not trained) of this module and its submodules, as a list.

Example:
    >>> len(kindling.nn.BatchNorm1d(3).buffers())   # running_mean, running_var, num_batches_tracked
    3
)")
      .def(
          "named_buffers", [](const Module& module) { return named_list(module.named_buffers()); },
          R"(``(dotted name, buffer)`` pairs of this module and its submodules, as a list.

Example:
    >>> [name for name, _ in kindling.nn.BatchNorm1d(3).named_buffers()]
    ['running_mean', 'running_var', 'num_batches_tracked']
)")
      .def(
          "children",
          [](const Module& module) {
            py::list list;
            for (const auto& entry : module.children())
              list.append(entry.second);
            return list;
          },
          R"(The direct submodules, in registration order, as a list.

Example:
    >>> kindling.nn.Sequential(kindling.nn.Linear(2, 2), kindling.nn.ReLU()).children()[1]
    ReLU()
)")
      .def(
          "named_children",
          [](const Module& module) {
            py::list list;
            for (const auto& [name, child] : module.children())
              list.append(py::make_tuple(name, child));
            return list;
          },
          R"(``(name, submodule)`` pairs of the direct submodules, as a list.

Example:
    >>> [n for n, _ in kindling.nn.Sequential(kindling.nn.ReLU(), kindling.nn.Tanh()).named_children()]
    ['0', '1']
)")
      .def(
          "named_modules",
          [](const std::shared_ptr<Module>& module) {
            py::list list;
            collect_modules(module, list);
            return list;
          },
          R"(``(dotted name, module)`` for this module (named ``''``) and every module below it, depth first, as a list.

Example:
    >>> model = kindling.nn.Sequential(kindling.nn.Sequential(kindling.nn.ReLU()))
    >>> [name for name, _ in model.named_modules()]
    ['', '0', '0.0']
)")
      .def(
          "num_parameters", &Module::parameter_count,
          R"(The total number of parameter elements (torch's ``sum(p.numel() for p in m.parameters())``).

Example:
    >>> kindling.nn.Linear(784, 10).num_parameters()
    7850
)")
      .def(
          "zero_grad", &Module::zero_grad,
          R"(Drops every parameter's gradient: ``.grad`` is None until the next backward, as torch's ``zero_grad(set_to_none=True)``.

Example:
    >>> layer = kindling.nn.Linear(2, 1)
    >>> layer(kindling.ones(1, 2)).sum().backward()
    >>> layer.zero_grad()
    >>> layer.weight.grad is None
    True
)")
      .def(
          "train",
          [](const std::shared_ptr<Module>& module, bool mode) {
            module->train(mode);
            return module;
          },
          py::arg("mode") = true,
          R"(Sets training mode (Dropout drops, BatchNorm uses batch statistics) on this module and below; returns the module.

Args:
    mode (bool): True for training (the default), False for eval.

Example:
    >>> kindling.nn.Dropout().train(False).training
    False
)")
      .def(
          "eval",
          [](const std::shared_ptr<Module>& module) {
            module->eval();
            return module;
          },
          R"(``train(False)``: evaluation mode for this module and below; returns the module.

Example:
    >>> kindling.nn.Dropout().eval().training
    False
)")
      .def_property_readonly("training", &Module::is_training,
                             R"(Whether the module is in training mode (True after construction).

Example:
    >>> kindling.nn.ReLU().training
    True
)")
      .def(
          "to",
          [](const std::shared_ptr<Module>& module, const std::string& device) {
            module->to(parse_device(device));
            return module;
          },
          py::arg("device"),
          R"(Moves every parameter and buffer to ``device`` in place and returns the module, as torch's ``to(device)``.

The tensor handles stay valid (an optimizer built before keeps working); gradients are dropped.
Unlike torch, dtypes are not converted here.

Args:
    device (str): ``'cpu'``, ``'cuda'`` or ``'cuda:<index>'``.

Raises:
    kindling.Error: for an unknown device string, or a device this build or machine lacks.

Example:
    >>> kindling.nn.Linear(2, 2).to("cpu").weight.device
    'cpu'
)")
      .def(
          "state_dict", [](const Module& module) { return to_dict(module.state_dict()); },
          R"(Every parameter and buffer by dotted name, as a dict in registration order.

The tensors are detached and share storage with the module (as torch's). :func:`kindling.save`
writes them to a safetensors file.

Example:
    >>> list(kindling.nn.Linear(2, 1).state_dict())
    ['weight', 'bias']
)")
      .def(
          "load_state_dict",
          [](Module& module, const py::dict& state, bool strict) {
            module.load_state_dict(to_state_dict(state), strict);
          },
          py::arg("state_dict"), py::arg("strict") = true,
          R"(Copies the values of a state dict into the module's tensors, as torch's.

The module's storage is kept (an optimizer holding the parameters stays valid); values are
converted to each tensor's dtype and device. Unlike torch, nothing is returned: problems raise.

Args:
    state_dict (dict): name -> tensor (or anything kindling.tensor takes).
    strict (bool): every name must match (default True); with False only the names present in
        both are copied.

Raises:
    kindling.Error: naming every missing and unexpected entry (strict), and every shape mismatch
        (always), before anything is copied.

Example:
    >>> a, b = kindling.nn.Linear(2, 1, seed=0), kindling.nn.Linear(2, 1, seed=1)
    >>> b.load_state_dict(a.state_dict())
    >>> b.weight.tolist() == a.weight.tolist()
    True
)")
      .def(
          "register_parameter",
          [](py::object self, const std::string& name, const py::object& value) {
            Module& module = self.cast<Module&>();
            Tensor registered = (module.*&ModuleAccess::register_parameter)(name, as_tensor(value));
            self.attr("__dict__")[py::str(name)] = registered;
            return registered;
          },
          py::arg("name"), py::arg("tensor"),
          R"(Registers ``tensor`` as a parameter called ``name`` and sets it as an attribute; returns it.

The tensor is made to require grad. It appears in parameters(), state_dict() and the optimizer
lists.

Args:
    name (str): non-empty, no dots, not already used by a parameter, buffer or submodule.
    tensor (Tensor or array-like): a floating-point leaf.

Raises:
    kindling.Error: for an invalid or taken name, or a tensor that is not a leaf.

Example:
    >>> m = kindling.nn.Module("Scale")
    >>> s = m.register_parameter("s", kindling.ones(1))
    >>> s.requires_grad, m.s.requires_grad, [name for name, _ in m.named_parameters()]
    (True, True, ['s'])
)")
      .def(
          "register_buffer",
          [](py::object self, const std::string& name, const py::object& value) {
            Module& module = self.cast<Module&>();
            Tensor registered = (module.*&ModuleAccess::register_buffer)(name, as_tensor(value));
            self.attr("__dict__")[py::str(name)] = registered;
            return registered;
          },
          py::arg("name"), py::arg("tensor"),
          R"(Registers ``tensor`` as a buffer called ``name`` (saved in state_dict, not trained) and sets it as an attribute; returns it.

Args:
    name (str): non-empty, no dots, not already used.
    tensor (Tensor or array-like): the state.

Raises:
    kindling.Error: for an invalid or taken name.

Example:
    >>> m = kindling.nn.Module("Counter")
    >>> _ = m.register_buffer("count", kindling.zeros(1))
    >>> list(m.state_dict())
    ['count']
)")
      .def(
          "register_module",
          [](py::object self, const std::string& name, const py::object& child) {
            Module& module = self.cast<Module&>();
            (module.*&ModuleAccess::add_child)(name, child.cast<std::shared_ptr<Module>>());
            keep_child(self, name, child);
            self.attr("__dict__")[py::str(name)] = child;
            return child;
          },
          py::arg("name"), py::arg("module"),
          R"(Registers ``module`` as a submodule called ``name`` and sets it as an attribute; returns it.

Assigning a Module to an attribute (``self.fc = nn.Linear(...)``) calls this, as in torch.

Args:
    name (str): non-empty, no dots, not already used.
    module (Module): the submodule (a Python subclass is kept alive by its owner).

Raises:
    kindling.Error: for an invalid or taken name (assigning a second module to the same
        attribute included).

Example:
    >>> m = kindling.nn.Module("Model")
    >>> m.encoder = kindling.nn.Linear(2, 2)
    >>> [name for name, _ in m.named_children()]
    ['encoder']
)")
      .def_property_readonly(
          "type_name", &Module::type_name,
          R"(The module's name as repr and graph drawings show it: ``'Linear'``, or what a Python subclass passed to ``Module.__init__``.

Example:
    >>> kindling.nn.Linear(2, 2).type_name
    'Linear'
)")
      .def(
          "extra_repr", &Module::extra_repr,
          R"(What goes between the parentheses of this module's line in repr (``'in_features=3, out_features=2, bias=True'``); a subclass may override it, as in torch.

Example:
    >>> kindling.nn.Linear(3, 2).extra_repr()
    'in_features=3, out_features=2, bias=True'
)")
      .def("__repr__", &Module::to_string);

  py::class_<nn::Linear, Module, std::shared_ptr<nn::Linear>>(
      m, "Linear",
      R"(``y = x W^T + b``, as torch.nn.Linear: ``(..., in_features) -> (..., out_features)``.

``weight`` is ``(out_features, in_features)`` and ``bias`` ``(out_features,)``, both initialised
as torch's: U(-1/sqrt(in), 1/sqrt(in)), drawn weight first from the generator.

Args:
    in_features (int): the input size.
    out_features (int): the output size.
    bias (bool): learn a bias (default True).
    seed (int, optional): seed a generator for the initialisation (else kindling.manual_seed's).
    dtype (str): ``'float32'`` (default) or ``'float64'``.

Raises:
    kindling.Error: for non-positive sizes; in forward, for an input whose last dimension is not
        in_features, or whose dtype is not the weight's (no silent conversion, as torch).

Example:
    >>> layer = kindling.nn.Linear(784, 10, seed=0)
    >>> layer
    Linear(in_features=784, out_features=10, bias=True)
    >>> layer(kindling.zeros(32, 784)).shape
    (32, 10)
)")
      .def(py::init([](std::int64_t in, std::int64_t out, bool bias,
                       const std::optional<std::uint64_t>& seed, const std::string& dtype) {
             return with_generator(seed, [&](Generator& g) {
               return std::make_shared<nn::Linear>(in, out, g, bias, parse_dtype(dtype));
             });
           }),
           py::arg("in_features"), py::arg("out_features"), py::arg("bias") = true,
           py::arg("seed") = py::none(), py::arg("dtype") = "float32",
           "Makes the layer (see the class docstring for the arguments).")
      .def_property_readonly(
          "weight", [](const nn::Linear& l) { return l.weight; },
          "W, a parameter of shape (out_features, in_features).")
      .def_property_readonly(
          "bias", [](const nn::Linear& l) { return optional_tensor(l.bias); },
          "b, a parameter of shape (out_features,); None when built with bias=False.")
      .def_readonly("in_features", &nn::Linear::in_features, "The input size (int).")
      .def_readonly("out_features", &nn::Linear::out_features, "The output size (int).");

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
      m, "Sequential",
      R"(Runs its modules in order, each on the output of the one before, as torch.nn.Sequential.

The modules are named ``'0'``, ``'1'``, ...; ``len()``, indexing (negative too) and iteration
work as in torch (slicing does not).

Args:
    *modules (Module): the layers, in order.

Raises:
    kindling.IndexError: for an index out of range.

Example:
    >>> from kindling import nn
    >>> model = nn.Sequential(nn.Linear(4, 8, seed=0), nn.ReLU(), nn.Linear(8, 2, seed=1))
    >>> len(model), model[1], model(kindling.ones(5, 4)).shape
    (3, ReLU(), (5, 2))
)")
      .def(py::init([](const py::args& modules) {
             auto sequential = std::make_shared<nn::Sequential>();
             for (py::handle module : modules)
               sequential->push_back(module.cast<std::shared_ptr<Module>>());
             return sequential;
           }),
           "Makes the container from the modules, in order (see the class docstring).")
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
          py::arg("module"),
          R"(Adds ``module`` at the end (named by its position) and returns the Sequential, as torch's.

Example:
    >>> model = kindling.nn.Sequential(kindling.nn.Linear(2, 2))
    >>> len(model.append(kindling.nn.ReLU()))
    2
)")
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
      m, "ModuleList",
      R"(Holds modules under ``'0'``, ``'1'``, ... without a forward of its own, as torch.nn.ModuleList.

Their parameters are the list's; a model's forward calls them as it likes. ``len()``,
indexing (negative too), iteration, append and extend work as in torch.

Args:
    modules (iterable of Module, optional): the initial modules.

Raises:
    kindling.IndexError: for an index out of range; kindling.Error when called (no forward).

Example:
    >>> from kindling import nn
    >>> layers = nn.ModuleList([nn.Linear(2, 2), nn.ReLU()])
    >>> len(layers), [name for name, _ in layers.named_parameters()]
    (2, ['0.weight', '0.bias'])
)")
      .def(py::init([](const std::optional<py::iterable>&) {
             return std::make_shared<nn::ModuleList>();
           }),
           py::arg("modules") = py::none(),
           "Makes the list from ``modules`` (see the class docstring).")
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
          py::arg("module"),
          R"(Adds ``module`` at the end (named by its position) and returns the list, as torch's.

Example:
    >>> len(kindling.nn.ModuleList().append(kindling.nn.ReLU()))
    1
)")
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
      m, "ModuleDict",
      R"(Holds modules by name, in insertion order, without a forward of its own, as torch.nn.ModuleDict.

``d[name]``, ``d[name] = module``, ``in``, ``len()``, iteration over the names, keys(), values(),
items() and update() work as in torch (keys, values and items return lists). A name cannot be
assigned twice (torch replaces the module).

Args:
    modules (dict or iterable of (str, Module) pairs, optional): the initial modules.

Raises:
    KeyError: for a missing name; kindling.Error for a name that is taken, empty or has a dot.

Example:
    >>> from kindling import nn
    >>> blocks = nn.ModuleDict({"enc": nn.Linear(2, 3), "act": nn.ReLU()})
    >>> blocks.keys(), "enc" in blocks, blocks["act"]
    (['enc', 'act'], True, ReLU())
)")
      .def(py::init(
               [](const std::optional<py::object>&) { return std::make_shared<nn::ModuleDict>(); }),
           py::arg("modules") = py::none(),
           "Makes the dict from ``modules`` (see the class docstring).")
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
      .def(
          "keys",
          [](const nn::ModuleDict& dict) {
            py::list keys;
            for (const auto& entry : dict.children())
              keys.append(entry.first);
            return keys;
          },
          "The names, in insertion order, as a list.")
      .def(
          "values",
          [](const nn::ModuleDict& dict) {
            py::list values;
            for (const auto& entry : dict.children())
              values.append(entry.second);
            return values;
          },
          "The modules, in insertion order, as a list.")
      .def(
          "items",
          [](const nn::ModuleDict& dict) {
            py::list items;
            for (const auto& [key, module] : dict.children())
              items.append(py::make_tuple(key, module));
            return items;
          },
          "``(name, module)`` pairs, in insertion order, as a list.");

  // The parameter-free activations: y = f(x) elementwise, x's shape.
  const auto activation = [&m](auto tag, const char* name, const char* doc) {
    using Layer = typename decltype(tag)::type;
    py::class_<Layer, Module, std::shared_ptr<Layer>>(m, name, doc)
        .def(py::init<>(), "Makes the layer (it has no parameters).");
  };
  py::class_<nn::Identity, Module, std::shared_ptr<nn::Identity>>(
      m, "Identity",
      R"(Returns its input, as torch.nn.Identity: a placeholder where a model may have a layer.

Any constructor arguments are accepted and ignored, as torch's.

Example:
    >>> kindling.nn.Identity(3, anything=1)(kindling.ones(2))
    tensor([1.0000, 1.0000])
)")
      .def(py::init(
               [](const py::args&, const py::kwargs&) { return std::make_shared<nn::Identity>(); }),
           "Makes the layer; the arguments are ignored.");
  py::class_<nn::Softmax, Module, std::shared_ptr<nn::Softmax>>(
      m, "Softmax", R"(``softmax`` along ``dim``, as torch.nn.Softmax.

Without a dim it takes torch's implicit one (0 for inputs of 0, 1 or 3 dimensions, else 1) and,
called from Python, warns as torch does.

Args:
    dim (int, optional): the dimension that sums to 1.

Raises:
    kindling.Error: in forward, for an int64 or bool input or a dim out of range.

Example:
    >>> kindling.nn.Softmax(dim=0)(kindling.tensor([1.0, 1.0]))
    tensor([0.5000, 0.5000])
)")
      .def(py::init<std::optional<std::int64_t>>(), py::arg("dim") = py::none(),
           "Makes the layer (see the class docstring).")
      .def_readonly("dim", &nn::Softmax::dim, "The dimension, or None for torch's implicit one.");
  py::class_<nn::LogSoftmax, Module, std::shared_ptr<nn::LogSoftmax>>(
      m, "LogSoftmax", R"(``log_softmax`` along ``dim``, as torch.nn.LogSoftmax.

Without a dim it takes torch's implicit one (0 for inputs of 0, 1 or 3 dimensions, else 1) and,
called from Python, warns as torch does.

Args:
    dim (int, optional): the dimension.

Raises:
    kindling.Error: in forward, for an int64 or bool input or a dim out of range.

Example:
    >>> kindling.nn.LogSoftmax(dim=1)(kindling.zeros(1, 2))
    tensor([[-0.6931, -0.6931]])
)")
      .def(py::init<std::optional<std::int64_t>>(), py::arg("dim") = py::none(),
           "Makes the layer (see the class docstring).")
      .def_readonly("dim", &nn::LogSoftmax::dim,
                    "The dimension, or None for torch's implicit one.");
  activation(std::type_identity<nn::SiLU>{}, "SiLU",
             R"(``x * sigmoid(x)`` elementwise, as torch.nn.SiLU (kindling.silu).

Example:
    >>> kindling.nn.SiLU()(kindling.tensor([-1.0, 1.0]))
    tensor([-0.2689,  0.7311])
)");
  activation(std::type_identity<nn::ReLU>{}, "ReLU",
             R"(``max(x, 0)`` elementwise, as torch.nn.ReLU (kindling.relu; gradient 0 at 0).

Example:
    >>> kindling.nn.ReLU()(kindling.tensor([-1.0, 1.0]))
    tensor([0.0000, 1.0000])
)");
  activation(std::type_identity<nn::GELU>{}, "GELU",
             R"(The exact GELU, ``x * Phi(x)``, elementwise, as torch.nn.GELU() (kindling.gelu).

torch's ``approximate='tanh'`` is kindling.nn.functional.gelu's, not this module's.

Example:
    >>> kindling.nn.GELU()(kindling.tensor([-1.0, 1.0]))
    tensor([-0.1587,  0.8413])
)");
  activation(std::type_identity<nn::Tanh>{}, "Tanh", R"(``tanh(x)`` elementwise, as torch.nn.Tanh.

Example:
    >>> kindling.nn.Tanh()(kindling.tensor([-1.0, 1.0]))
    tensor([-0.7616,  0.7616])
)");
  py::class_<nn::LeakyReLU, Module, std::shared_ptr<nn::LeakyReLU>>(
      m, "LeakyReLU",
      R"(``x`` where ``x > 0``, else ``negative_slope * x``, as torch.nn.LeakyReLU (kindling.leaky_relu).

Args:
    negative_slope (float): default 0.01.

Example:
    >>> kindling.nn.LeakyReLU(0.2)(kindling.tensor([-1.0, 1.0]))
    tensor([-0.2000,  1.0000])
)")
      .def(py::init<double>(), py::arg("negative_slope") = 0.01,
           "Makes the layer (see the class docstring).")
      .def_readonly("negative_slope", &nn::LeakyReLU::negative_slope,
                    "The slope for negative inputs (float).");
  py::class_<nn::ELU, Module, std::shared_ptr<nn::ELU>>(
      m, "ELU",
      R"(``x`` where ``x > 0``, else ``alpha * (e^x - 1)``, as torch.nn.ELU (kindling.elu).

Args:
    alpha (float): default 1.0.

Example:
    >>> kindling.nn.ELU()(kindling.tensor([-1.0, 1.0]))
    tensor([-0.6321,  1.0000])
)")
      .def(py::init<double>(), py::arg("alpha") = 1.0, "Makes the layer (see the class docstring).")
      .def_readonly("alpha", &nn::ELU::alpha, "The value approached as x goes to -inf is -alpha.");
  py::class_<nn::Softplus, Module, std::shared_ptr<nn::Softplus>>(
      m, "Softplus",
      R"(``log(1 + e^(beta x)) / beta``, linear above the threshold, as torch.nn.Softplus (kindling.softplus).

Args:
    beta (float): default 1.0.
    threshold (float): where ``beta * x > threshold`` the result is x (default 20.0).

Example:
    >>> kindling.nn.Softplus()(kindling.tensor([-1.0, 1.0]))
    tensor([0.3133, 1.3133])
)")
      .def(py::init<double, double>(), py::arg("beta") = 1.0, py::arg("threshold") = 20.0,
           "Makes the layer (see the class docstring).")
      .def_readonly("beta", &nn::Softplus::beta, "The sharpness (float).")
      .def_readonly("threshold", &nn::Softplus::threshold,
                    "Above ``beta * x > threshold`` the layer is the identity (float).");
  activation(std::type_identity<nn::Sigmoid>{}, "Sigmoid",
             R"(``1 / (1 + e^-x)`` elementwise, as torch.nn.Sigmoid.

Example:
    >>> kindling.nn.Sigmoid()(kindling.tensor([-1.0, 1.0]))
    tensor([0.2689, 0.7311])
)");

  // Dropout draws from the process-wide generator (kindling.manual_seed), which outlives every
  // module, as the C++ class requires of its generator.
  py::class_<nn::Dropout, Module, std::shared_ptr<nn::Dropout>>(
      m, "Dropout",
      R"(In training, zeroes each element with probability p and scales the rest by ``1 / (1 - p)``, as torch.nn.Dropout; the identity in eval mode.

The masks come from the generator :func:`kindling.manual_seed` reseeds. torch's ``inplace`` is
not supported.

Args:
    p (float): the probability of zeroing an element, in [0, 1] (default 0.5).

Raises:
    kindling.Error: for p outside [0, 1].

Example:
    >>> drop = kindling.nn.Dropout(0.5)
    >>> sorted(set(drop(kindling.ones(1000)).tolist()))   # training: 0 or 1 / (1 - p)
    [0.0, 2.0]
    >>> drop.eval()(kindling.ones(3))
    tensor([1.0000, 1.0000, 1.0000])
)")
      .def(py::init([](double p) { return std::make_shared<nn::Dropout>(p, default_generator()); }),
           py::arg("p") = 0.5, "Makes the layer (see the class docstring).")
      .def_readonly("p", &nn::Dropout::p, "The probability of zeroing an element (float).");

  py::class_<nn::LayerNorm, Module, std::shared_ptr<nn::LayerNorm>>(
      m, "LayerNorm",
      R"(Normalises over the trailing ``normalized_shape`` dimensions, as torch.nn.LayerNorm.

``(x - mean) / sqrt(var + eps) * weight + bias`` with the biased variance; weight starts at 1
and bias at 0. torch's ``bias=False`` (weight without bias) is not supported.

Args:
    normalized_shape (int or sequence of ints): the trailing shape to normalise over.
    eps (float): added to the variance (default 1e-5).
    elementwise_affine (bool): learn weight and bias of that shape (default True).
    dtype (str): ``'float32'`` (default) or ``'float64'``.

Raises:
    kindling.Error: for an empty normalized_shape; in forward, for an input that does not end in
        it.

Example:
    >>> norm = kindling.nn.LayerNorm(4)
    >>> norm(kindling.arange(8.0).reshape(2, 4))
    tensor([[-1.3416, -0.4472,  0.4472,  1.3416],
            [-1.3416, -0.4472,  0.4472,  1.3416]], grad_fn=<add>)
)")
      .def(py::init([](const py::object& shape, double eps, bool affine, const std::string& dtype) {
             return std::make_shared<nn::LayerNorm>(to_shape(shape, "LayerNorm"), eps, affine,
                                                    parse_dtype(dtype));
           }),
           py::arg("normalized_shape"), py::arg("eps") = 1e-5, py::arg("elementwise_affine") = true,
           py::arg("dtype") = "float32", "Makes the layer (see the class docstring).")
      .def_property_readonly(
          "weight", [](const nn::LayerNorm& l) { return optional_tensor(l.weight); },
          "The scale, a parameter of shape normalized_shape starting at 1; None without affine.")
      .def_property_readonly(
          "bias", [](const nn::LayerNorm& l) { return optional_tensor(l.bias); },
          "The shift, a parameter of shape normalized_shape starting at 0; None without affine.");

  bind_batch_norm<nn::BatchNorm1d>(m, "BatchNorm1d",
                                   "Batch normalisation of ``(N, C)`` or ``(N, C, L)`` per "
                                   "channel, as torch.nn.BatchNorm1d.\n\n" KINDLING_BATCH_NORM_DOC
                                   "Example:\n"
                                   "    >>> bn = kindling.nn.BatchNorm1d(2)\n"
                                   "    >>> bn(kindling.tensor([[1.0, 2.0], [3.0, 6.0]]))\n"
                                   "    tensor([[-1.0000, -1.0000],\n"
                                   "            [ 1.0000,  1.0000]], grad_fn=<add>)\n"
                                   "    >>> bn.running_mean, bn.running_var\n"
                                   "    (tensor([0.2000, 0.4000]), tensor([1.1000, 1.7000]))\n");

  py::class_<nn::Embedding, Module, std::shared_ptr<nn::Embedding>>(
      m, "Embedding",
      R"(A table of ``num_embeddings`` vectors of size ``embedding_dim``, looked up by int64 indices, as torch.nn.Embedding: ``(...) -> (..., embedding_dim)``.

The weight starts N(0, 1), as torch's. torch's padding_idx, max_norm and sparse are not
supported.

Args:
    num_embeddings (int): the table's rows.
    embedding_dim (int): each vector's size.
    seed (int, optional): seed a generator for the initialisation (else kindling.manual_seed's).

Raises:
    kindling.Error: for non-positive sizes; in forward, for indices that are not int64 or out of
        range.

Example:
    >>> emb = kindling.nn.Embedding(10, 3, seed=0)
    >>> emb(kindling.tensor([[1, 2], [3, 4]])).shape
    (2, 2, 3)
)")
      .def(py::init([](std::int64_t num, std::int64_t dim,
                       const std::optional<std::uint64_t>& seed) {
             return with_generator(
                 seed, [&](Generator& g) { return std::make_shared<nn::Embedding>(num, dim, g); });
           }),
           py::arg("num_embeddings"), py::arg("embedding_dim"), py::arg("seed") = py::none(),
           "Makes the layer (see the class docstring).")
      .def_property_readonly(
          "weight", [](const nn::Embedding& e) { return e.weight; },
          "The table, a parameter of shape (num_embeddings, embedding_dim).");

  bind_conv_modules(m);

  py::class_<nn::Flatten, Module, std::shared_ptr<nn::Flatten>>(
      m, "Flatten",
      R"(Flattens dimensions ``start_dim`` to ``end_dim`` into one, as torch.nn.Flatten (by default all but the batch dimension).

Args:
    start_dim (int): default 1.
    end_dim (int): default -1.

Example:
    >>> kindling.nn.Flatten()(kindling.zeros(2, 3, 4)).shape
    (2, 12)
)")
      .def(py::init<std::int64_t, std::int64_t>(), py::arg("start_dim") = 1,
           py::arg("end_dim") = -1, "Makes the layer (see the class docstring).");
}

}  // namespace kindling::python
