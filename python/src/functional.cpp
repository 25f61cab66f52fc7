// kindling._kindling._autograd: the compiled half of kindling.autograd.forward_ad and
// kindling.autograd.functional. The Python package (kindling/autograd/) gives them torch's
// signatures: a tensor or a tuple of tensors in, the same structure out.
#include <pybind11/functional.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <optional>

#include "bindings.hpp"
#include "kindling/tensor/forward_ad.hpp"
#include "kindling/tensor/functional.hpp"
#include "tensor_support.hpp"

namespace kindling::python {

namespace {

namespace fwd = autograd::forward_ad;
namespace fn = autograd::functional;

fn::Strategy parse_strategy(const std::string& name, const char* who) {
  if (name == "reverse-mode") return fn::Strategy::reverse_mode;
  if (name == "forward-mode") return fn::Strategy::forward_mode;
  throw error(std::string(who) + ": strategy must be \"reverse-mode\" or \"forward-mode\", got \"" +
              name + "\"");
}

// A Python callable taking a list of tensors and returning a list of tensors (the package wraps
// the user's function into this form) as the C++ Function.
fn::Function as_function(const py::function& func, const char* who) {
  return [func, who](const fn::TensorList& inputs) {
    py::list args;
    for (const Tensor& t : inputs)
      args.append(py::cast(t));
    const py::object result = func(args);
    fn::TensorList outputs;
    for (const py::handle item : result) {
      KINDLING_CHECK(py::isinstance<Tensor>(item), who,
                     ": the function must return tensors, got a ",
                     std::string(py::str(item.get_type().attr("__name__"))));
      outputs.push_back(item.cast<Tensor>());
    }
    return outputs;
  };
}

fn::TensorList as_tensors(const py::handle& items) {
  fn::TensorList out;
  for (const py::handle item : items)
    out.push_back(as_tensor(item));
  return out;
}

py::tuple pair(const fn::OutputsAndDerivatives& r) {
  return py::make_tuple(r.outputs, r.derivatives);
}

// The C++ dual_level behind the Python context manager: made on __enter__, ended on __exit__.
struct DualLevelHolder {
  std::unique_ptr<fwd::dual_level> level;
};

}  // namespace

void bind_autograd(py::module_& m) {
  py::module_ a = m.def_submodule("_autograd", "forward_ad and functional (compiled core)");

  py::class_<DualLevelHolder>(a, "_DualLevel")
      .def(py::init<>())
      .def("enter", [](DualLevelHolder& h) { h.level = std::make_unique<fwd::dual_level>(); })
      .def("exit", [](DualLevelHolder& h) { h.level.reset(); });
  a.def("make_dual", [](const py::object& primal, const py::object& tangent) {
    return fwd::make_dual(as_tensor(primal), as_tensor(tangent));
  });
  a.def("unpack_dual", [](const Tensor& t) {
    const fwd::UnpackedDual d = fwd::unpack_dual(t);
    return py::make_tuple(d.primal, d.tangent.defined() ? py::cast(d.tangent) : py::none());
  });
  a.def("is_forward_ad_enabled", &fwd::is_forward_ad_enabled);

  // The four transforms of one shape: (func, inputs, v, create_graph, strict) -> (outputs,
  // derivatives).
  const auto bind_product = [&a](const char* name, auto transform) {
    a.def(name, [name, transform](const py::function& f, const py::list& inputs, const py::list& v,
                                  bool create_graph, bool strict) {
      return pair(
          transform(as_function(f, name), as_tensors(inputs), as_tensors(v), create_graph, strict));
    });
  };
  bind_product("vjp", &fn::vjp);
  bind_product("jvp", &fn::jvp);
  bind_product("hvp", &fn::hvp);
  bind_product("vhp", &fn::vhp);
  a.def("jacobian", [](const py::function& f, const py::list& inputs, bool create_graph,
                       bool strict, const std::string& strategy) {
    return fn::jacobian(as_function(f, "jacobian"), as_tensors(inputs), create_graph, strict,
                        parse_strategy(strategy, "jacobian"));
  });
  a.def("hessian", [](const py::function& f, const py::list& inputs, bool create_graph, bool strict,
                      const std::string& strategy) {
    return fn::hessian(as_function(f, "hessian"), as_tensors(inputs), create_graph, strict,
                       parse_strategy(strategy, "hessian"));
  });
}

}  // namespace kindling::python
