// kindling.Value and the engine-wide switches (grad mode, anomaly mode), the topological order
// and the DOT text, bound for Python.
//
// Python's number protocol wants each operator both ways: `a + 2` calls Value.__add__, `2 + a`
// calls Value.__radd__ once float.__add__ has given up. Each operator therefore has a Value-Value
// overload, a Value-number overload and a reflected number-Value overload. py::is_operator() makes
// a failed overload return NotImplemented, so `a + "x"` raises Python's own TypeError.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "bindings.hpp"
#include "kindling/engine/error.hpp"
#include "kindling/engine/grad_mode.hpp"
#include "kindling/engine/graph.hpp"
#include "kindling/engine/value.hpp"
#include "kindling/engine/value_forward_ad.hpp"
#include "kindling/engine/value_grad.hpp"
#include "kindling/explain/dot.hpp"

namespace kindling::python {

Value to_value(py::handle object) {
  if (py::isinstance<Value>(object)) return object.cast<Value>();
  // PyFloat_AsDouble takes anything with __float__ or __index__ (int, bool, NumPy scalars) and
  // sets Python's own TypeError for the rest.
  const double number = PyFloat_AsDouble(object.ptr());
  if (number == -1.0 && PyErr_Occurred()) throw py::error_already_set();
  return Value(number);
}

std::vector<Value> to_values(py::handle iterable) {
  std::vector<Value> values;
  for (py::handle item : py::iter(iterable))
    values.push_back(to_value(item));
  return values;
}

py::list to_list(const std::vector<Value>& values) {
  py::list list;
  for (const Value& value : values)
    list.append(py::cast(value));
  return list;
}

namespace {

// Value.backward(gradient=None, retain_graph=None, create_graph=False). With no argument given it
// is micrograd's backward(), which keeps the graph (notebook 01 calls it twice); otherwise
// PyTorch's, whose retain_graph defaults to create_graph.
void value_backward(const Value& v, const py::object& gradient, std::optional<bool> retain_graph,
                    bool create_graph) {
  if (gradient.is_none() && !retain_graph && !create_graph) return v.backward();
  std::optional<Value> seed;
  if (!gradient.is_none()) seed = to_value(gradient);
  v.backward(seed, retain_graph, create_graph);
}

// kindling._ValueDualLevel: a value_dual_level entered and left by forward_ad.dual_level.
struct ValueDualLevelHolder {
  std::unique_ptr<autograd::forward_ad::value_dual_level> level;
};

// A Python callable (Value -> str or None) as one of DotStyle's hooks.
std::string call_style_hook(const py::function& hook, py::object node_value,
                            py::object extra = py::none()) {
  py::object result = extra.is_none() ? hook(node_value) : hook(node_value, extra);
  return result.is_none() ? std::string{} : py::str(result).cast<std::string>();
}

Value node_as_value(const ValueNode& node) {
  // The DOT writer hands out const nodes; the Value handle only reads them in the hook.
  return Value::from_node(const_cast<ValueNode*>(&node));
}

std::string value_to_dot(const Value& root, const std::string& rankdir,
                         const py::object& node_attributes, const py::object& edge_label) {
  engine::DotOptions options;
  if (rankdir == "LR") {
    options.rankdir = engine::RankDir::LR;
  } else {
    KINDLING_CHECK(rankdir == "TB", "to_dot: rankdir must be 'LR' or 'TB', got '", rankdir, "'");
    options.rankdir = engine::RankDir::TB;
  }
  engine::DotStyle<ValueNode> style;
  if (!node_attributes.is_none()) {
    auto hook = node_attributes.cast<py::function>();
    style.node_attributes = [hook](const ValueNode& node) {
      return call_style_hook(hook, py::cast(node_as_value(node)));
    };
  }
  if (!edge_label.is_none()) {
    auto hook = edge_label.cast<py::function>();
    style.edge_label = [hook](const ValueNode& child, std::size_t parent_index) {
      return call_style_hook(hook, py::cast(node_as_value(child)), py::int_(parent_index));
    };
  }
  return to_dot(root, options, style);
}

// A Value, or any iterable of Values and numbers, as a list: grad()'s outputs, inputs and
// grad_outputs take either, as torch.autograd.grad does.
std::vector<Value> one_or_many(py::handle object) {
  if (py::isinstance<Value>(object) || PyNumber_Check(object.ptr())) return {to_value(object)};
  return to_values(object);
}

// kindling._value_grad: torch.autograd.grad's signature for Values (engine/value_grad.hpp); a
// tuple, with None for an input the outputs do not reach when allow_unused.
py::tuple value_grad(py::handle outputs, py::handle inputs, py::handle grad_outputs,
                     const py::object& retain_graph, bool create_graph, bool allow_unused) {
  const std::vector<Value> out = one_or_many(outputs);
  const std::vector<Value> in = one_or_many(inputs);
  const std::vector<Value> seeds =
      grad_outputs.is_none() ? std::vector<Value>{} : one_or_many(grad_outputs);
  std::optional<bool> retain;
  if (!retain_graph.is_none()) retain = retain_graph.cast<bool>();
  if (!allow_unused) {
    return py::cast(kindling::grad(out, in, seeds, retain, create_graph, false));
  }
  std::vector<bool> reached;
  const std::vector<Value> grads = detail::value_grad(out, in, seeds, create_graph, reached);
  py::tuple result(grads.size());
  for (std::size_t k = 0; k < grads.size(); ++k)
    result[k] = reached[k] ? py::cast(grads[k]) : py::none();
  return result;
}

// A Python callable as a ValueHook: fn(grad) returns None (keep the gradient), a Value or a number
// (replace it). The callable is released with the GIL held, wherever the node dies.
ValueHook python_hook(py::function fn) {
  std::shared_ptr<py::function> held(new py::function(std::move(fn)), [](py::function* f) {
    py::gil_scoped_acquire gil;
    delete f;
  });
  return [held](const Value& grad) -> std::optional<Value> {
    py::gil_scoped_acquire gil;
    py::object result = (*held)(grad);
    if (result.is_none()) return std::nullopt;
    return to_value(result);
  };
}

}  // namespace

void bind_value(py::module_& m) {
  py::class_<Value> value(m, "Value",
                          R"(A scalar (a double) in an autograd graph, as micrograd's Value.

``Value(data, label='')`` makes a leaf. Arithmetic with Values and numbers (``+ - * /``, ``**``
with a number exponent, unary ``-``) and the methods ``exp``, ``log``, ``tanh``, ``relu``,
``sigmoid`` and ``pow`` build the graph; ``backward()`` fills ``.grad`` of every Value the root
depends on. Comparisons (``<`` ...) read ``.data``; ``==`` is node identity, so Values can key
dicts and sets. A Value is a handle: two Values for the same node compare equal and share
``.data`` and ``.grad``. ``x += y`` makes a new Value that keeps x's label.

Args:
    data (float): the number (default 0.0).
    label (str): a name for graph drawings and the stepper's texts (default ``''``).

Example:
    >>> a, b = kindling.Value(2.0, "a"), kindling.Value(-3.0, "b")
    >>> c = a * b + 1
    >>> c
    Value(data=-5.0000, grad=0.0000)
    >>> c.backward()
    >>> a.grad, b.grad
    (-3.0, 2.0)
)");

  value
      .def(py::init<double, std::string>(), py::arg("data") = 0.0, py::arg("label") = "",
           "Makes a leaf holding ``data``, named ``label`` (see the class docstring).")
      .def_property(
          "data", &Value::data, &Value::set_data,
          R"(The number this node holds (a float); settable, as micrograd's ``p.data -= lr * p.grad``.

Setting it does not recompute the Values computed from this one.

Example:
    >>> v = kindling.Value(2.0)
    >>> v.data = 0.5
    >>> v.data
    0.5
)")
      .def_property("grad", &Value::grad, &Value::set_grad,
                    R"(d(root)/d(this node) after ``root.backward()``, a float; settable.

Leaves add to it on every backward pass (set it to 0, or call ``zero_grad()``, between steps);
interior nodes get this pass's value.

Example:
    >>> x = kindling.Value(3.0)
    >>> (x * x).backward()
    >>> x.grad
    6.0
)")
      .def_property(
          "label", [](const Value& v) { return v.label(); },
          [](Value& v, std::string label) { v.set_label(std::move(label)); },
          R"(A name shown in graph drawings and in the stepper's texts (``''`` by default).

Example:
    >>> v = kindling.Value(1.0, "w")
    >>> v.label
    'w'
)")
      .def_property_readonly(
          "op", [](const Value& v) { return std::string(op_name(v.op())); },
          R"(The name of the op that produced this Value: ``'add'``, ``'mul'``, ``'pow'``, ``'exp'`` ...; ``'leaf'`` for a leaf.

Example:
    >>> a = kindling.Value(2.0)
    >>> a.op, (a * 3).op
    ('leaf', 'mul')
)")
      .def_property_readonly(
          "op_symbol", [](const Value& v) { return std::string(op_symbol(v.op())); },
          R"(The op's symbol as graph drawings show it (``'*'``, ``'+'``, ``'^'`` ...); ``''`` for a leaf.

Example:
    >>> (kindling.Value(2.0) * 3).op_symbol
    '*'
)")
      .def_property_readonly(
          "exponent", &Value::exponent,
          R"(The constant exponent k of a pow node (``x ** k``); 0.0 for any other op.

Example:
    >>> (kindling.Value(2.0) ** 3).exponent
    3.0
)")
      .def_property_readonly(
          "inputs", [](const Value& v) { return to_list(v.inputs()); },
          R"(The Values this one was computed from, in order (micrograd's ``_prev``); ``[]`` for a leaf.

A number operand appears as a constant leaf.

Example:
    >>> a, b = kindling.Value(2.0, "a"), kindling.Value(3.0, "b")
    >>> [v.label for v in (a * b).inputs]
    ['a', 'b']
)")
      .def("backward", &value_backward, py::arg("gradient") = py::none(),
           py::arg("retain_graph") = py::none(), py::arg("create_graph") = false,
           R"(Computes d(this)/d(v) for every Value v this one depends on, into ``v.grad``.

Seeds this Value's grad with ``gradient`` (1 when None) and walks the graph in reverse
topological order (iteratively: graphs of millions of nodes are fine). Leaf gradients accumulate
across calls; interior ones are recomputed each pass.

Called with no argument it is micrograd's backward(), which keeps the graph for another call.
With any argument it is torch's: ``retain_graph`` defaults to ``create_graph``, and without it
the graph is released, so another backward through it raises kindling.Error naming the op.

Args:
    gradient (float or Value, optional): the seed, d(something)/d(this Value).
    retain_graph (bool, optional): keep the graph for another backward.
    create_graph (bool): record the backward itself, so the leaves' gradients are Values of
        their own graph (``grad_value``) that can be differentiated again.

Raises:
    kindling.Error: for a graph released by an earlier ``backward(retain_graph=False)``, and,
        under anomaly mode, at the first gradient that is not finite.

Example:
    >>> x = kindling.Value(3.0, "x")
    >>> y = x * x + x
    >>> y.backward()
    >>> x.grad
    7.0
    >>> x.zero_grad()
    >>> y.backward(create_graph=True)
    >>> x.grad_value.backward()     # d(2x + 1)/dx = 2, added to x.grad (7.0)
    >>> x.grad
    9.0
)")
      .def_property_readonly(
          "grad_value", &Value::grad_value,
          R"(The gradient as a Value: after ``backward(create_graph=True)`` a node of its own graph (torch's ``x.grad``, differentiable again); otherwise a constant leaf holding ``grad``.

Example:
    >>> x = kindling.Value(3.0)
    >>> (x ** 3).backward(create_graph=True)
    >>> g = x.grad_value        # 3 x^2 = 27, as a graph node
    >>> g.data, g.op
    (27.0, 'mul')
)")
      .def(
          "register_hook",
          [](const Value& v, py::function fn) {
            return v.register_hook(python_hook(std::move(fn)));
          },
          py::arg("hook"),
          R"(Calls ``hook(grad)`` with this Value's gradient in every later backward() and grad() pass that reaches it.

The hook runs once the gradient is complete and before it flows on (for a leaf, before it is
added to ``.grad``), as torch's Tensor.register_hook. It receives the gradient as a Value; a
Value or number it returns replaces the gradient, None keeps it.

Args:
    hook (callable): ``hook(grad: Value) -> Value, float or None``.

Returns:
    ValueHookHandle: ``remove()`` takes the hook off (it is also a context manager).

Example:
    >>> v = kindling.Value(2.0)
    >>> handle = v.register_hook(lambda g: g * 10)
    >>> (v * 3).backward()
    >>> v.grad
    30.0
    >>> handle.remove()
)")
      .def(
          "zero_grad", &Value::zero_grad,
          R"(Forgets this node's gradient, so the next backward pass starts it from nothing instead of adding to it.

``grad`` reads 0.0 afterwards. :func:`kindling.zero_grads` does it for a whole graph.

Example:
    >>> v = kindling.Value(1.0)
    >>> (v * 2).backward()
    >>> v.zero_grad()
    >>> v.grad
    0.0
)")
      .def("exp", &Value::exp, R"(e^x, a new Value (its local derivative is e^x).

Example:
    >>> kindling.Value(1.0).exp()
    Value(data=2.7183, grad=0.0000)
)")
      .def("log", &Value::log, R"(The natural logarithm, a new Value (local derivative 1/x).

A negative input gives NaN (``-inf`` at 0) rather than an error, unless anomaly mode is on.

Raises:
    kindling.Error: under anomaly mode, when the result is not finite.

Example:
    >>> kindling.Value(1.0).log()
    Value(data=0.0000, grad=0.0000)
)")
      .def("tanh", &Value::tanh,
           R"(The hyperbolic tangent, a new Value (local derivative 1 - tanh^2).

Example:
    >>> kindling.Value(0.5).tanh()
    Value(data=0.4621, grad=0.0000)
)")
      .def("relu", &Value::relu,
           R"(``max(x, 0)``, a new Value (local derivative 1 where x > 0, else 0).

Example:
    >>> kindling.Value(-1.0).relu().data, kindling.Value(2.0).relu().data
    (0.0, 2.0)
)")
      .def("sigmoid", &Value::sigmoid,
           R"(``1 / (1 + e^-x)``, a new Value (local derivative s (1 - s)).

Example:
    >>> kindling.Value(0.0).sigmoid()
    Value(data=0.5000, grad=0.0000)
)")
      .def("pow", &Value::pow, py::arg("exponent"),
           R"(x to a constant power, a new Value: the same as ``x ** exponent``.

Only the base is differentiated (local derivative ``k x^(k-1)``), as in micrograd.

Args:
    exponent (float): the constant k.

Example:
    >>> kindling.Value(2.0).pow(3)
    Value(data=8.0000, grad=0.0000)
)")
      .def(
          "local_derivative",
          [](const Value& v, int input_index) { return local_derivative(*v.node(), input_index); },
          py::arg("input_index"),
          R"(d(this)/d(inputs[i]) at the current values: the factor the chain rule multiplies this node's grad by.

Args:
    input_index (int): 0 for the first input, 1 for the second.

Raises:
    kindling.Error: for an index past the node's inputs ("mul has 2 inputs, asked for input 2").

Example:
    >>> a, b = kindling.Value(2.0), kindling.Value(-3.0)
    >>> (a * b).local_derivative(0)
    -3.0
)")
      .def(
          "derivative_formula",
          [](const Value& v, int input_index) {
            return std::string(derivative_formula(v.op(), input_index));
          },
          py::arg("input_index"),
          R"(``local_derivative`` as a formula in ``a``, ``b`` (the inputs), ``c`` (this node) and ``k`` (the exponent).

Args:
    input_index (int): 0 for the first input, 1 for the second.

Example:
    >>> (kindling.Value(2.0) ** 3).derivative_formula(0)
    'k * a^(k-1)'
)")
      .def(
          "backward_step", [](const Value& v) { v.node()->backward_step(); },
          R"(This node's share of backward(): adds ``local_derivative(i) * grad`` to each input's grad.

What the stepper runs one node at a time; nothing else is touched.

Example:
    >>> a = kindling.Value(1.0)
    >>> c = a * 2
    >>> c.grad = 5.0
    >>> c.backward_step()
    >>> a.grad
    10.0
)")
      .def("__repr__", [](const Value& v) { return to_string(v); })
      .def("__float__", &Value::data)
      // Equality is node identity, so Values can key dicts and sets in graph walks.
      .def(
          "__eq__", [](const Value& a, const Value& b) { return a.same_node(b); },
          py::is_operator())
      .def(
          "__ne__", [](const Value& a, const Value& b) { return !a.same_node(b); },
          py::is_operator())
      .def("__hash__", [](const Value& v) { return std::hash<const void*>{}(v.node()); });

  // Arithmetic, both ways round (see the banner).
  value
      .def(
          "__add__", [](const Value& a, const Value& b) { return a + b; }, py::is_operator())
      .def(
          "__add__", [](const Value& a, double b) { return a + b; }, py::is_operator())
      .def(
          "__radd__", [](const Value& a, double b) { return b + a; }, py::is_operator())
      .def(
          "__sub__", [](const Value& a, const Value& b) { return a - b; }, py::is_operator())
      .def(
          "__sub__", [](const Value& a, double b) { return a - b; }, py::is_operator())
      .def(
          "__rsub__", [](const Value& a, double b) { return b - a; }, py::is_operator())
      .def(
          "__mul__", [](const Value& a, const Value& b) { return a * b; }, py::is_operator())
      .def(
          "__mul__", [](const Value& a, double b) { return a * b; }, py::is_operator())
      .def(
          "__rmul__", [](const Value& a, double b) { return b * a; }, py::is_operator())
      .def(
          "__truediv__", [](const Value& a, const Value& b) { return a / b; }, py::is_operator())
      .def(
          "__truediv__", [](const Value& a, double b) { return a / b; }, py::is_operator())
      .def(
          "__rtruediv__", [](const Value& a, double b) { return b / a; }, py::is_operator())
      // Only a constant exponent, as in micrograd: pow's derivative is taken for the base alone.
      // A Value exponent is refused outright; otherwise __float__ would quietly turn it into a
      // constant and its gradient would be lost.
      .def(
          "__pow__",
          [](const Value&, const Value&) -> Value {
            throw py::type_error("Value ** Value: the exponent must be a number, not a Value");
          },
          py::is_operator())
      .def(
          "__pow__", [](const Value& a, double k) { return a.pow(k); }, py::is_operator())
      // 2 ** v: a number base, written as exp(v * ln 2) (kindling::pow(double, Value)).
      .def(
          "__rpow__", [](const Value& a, double base) { return pow(base, a); }, py::is_operator())
      .def("__neg__", [](const Value& a) { return -a; });

  // x += y makes a new Value and gives it x's label: C++'s compound assignment on a copy of the
  // handle (Note [compound assignment keeps the label] in engine/src/value.cpp). Python rebinds x;
  // the Value another name refers to is never changed in place.
  value
      .def(
          "__iadd__", [](Value a, const Value& b) { return a += b; }, py::is_operator())
      .def(
          "__iadd__", [](Value a, double b) { return a += b; }, py::is_operator())
      .def(
          "__isub__", [](Value a, const Value& b) { return a -= b; }, py::is_operator())
      .def(
          "__isub__", [](Value a, double b) { return a -= b; }, py::is_operator())
      .def(
          "__imul__", [](Value a, const Value& b) { return a *= b; }, py::is_operator())
      .def(
          "__imul__", [](Value a, double b) { return a *= b; }, py::is_operator())
      .def(
          "__itruediv__", [](Value a, const Value& b) { return a /= b; }, py::is_operator())
      .def(
          "__itruediv__", [](Value a, double b) { return a /= b; }, py::is_operator());

  // Comparisons read .data and give a bool, as Python's numbers do; == stays "the same node".
  value
      .def(
          "__lt__", [](const Value& a, const Value& b) { return a < b; }, py::is_operator())
      .def(
          "__le__", [](const Value& a, const Value& b) { return a <= b; }, py::is_operator())
      .def(
          "__gt__", [](const Value& a, const Value& b) { return a > b; }, py::is_operator())
      .def(
          "__ge__", [](const Value& a, const Value& b) { return a >= b; }, py::is_operator())
      .def(
          "__lt__", [](const Value& a, double b) { return a.data() < b; }, py::is_operator())
      .def(
          "__le__", [](const Value& a, double b) { return a.data() <= b; }, py::is_operator())
      .def(
          "__gt__", [](const Value& a, double b) { return a.data() > b; }, py::is_operator())
      .def(
          "__ge__", [](const Value& a, double b) { return a.data() >= b; }, py::is_operator());

  py::class_<ValueHookHandle>(
      m, "ValueHookHandle",
      R"(The handle ``Value.register_hook`` returns; ``remove()`` takes the hook off.

It is also a context manager that removes the hook on exit.

Example:
    >>> v = kindling.Value(2.0)
    >>> with v.register_hook(lambda g: 0.0):
    ...     (v * 3).backward()
    >>> v.grad
    0.0
)")
      .def("remove", &ValueHookHandle::remove,
           "Takes the hook off (nothing happens if it is already off or the Value is gone).")
      .def("__enter__", [](ValueHookHandle& h) -> ValueHookHandle& { return h; })
      .def("__exit__", [](ValueHookHandle& h, py::args) { h.remove(); });

  m.def("_value_grad", &value_grad, py::arg("outputs"), py::arg("inputs"),
        py::arg("grad_outputs") = py::none(), py::arg("retain_graph") = py::none(),
        py::arg("create_graph") = false, py::arg("allow_unused") = false,
        "torch.autograd.grad for Values: the gradients of sum(outputs[k] * grad_outputs[k]) with "
        "respect to each input, as a tuple, without touching any .grad. With create_graph they "
        "are Values of their own graph, so grad can be taken again (second derivatives). An input "
        "the outputs do not use raises kindling.Error, or gives None with allow_unused. "
        "retain_graph changes nothing (grad never releases a graph; Value.backward with "
        "retain_graph=False does); it is accepted for torch's signature. kindling.autograd.grad "
        "dispatches here for Values.");

  namespace fwd = autograd::forward_ad;
  py::class_<ValueDualLevelHolder>(m, "_ValueDualLevel")
      .def(py::init<>())
      .def("enter",
           [](ValueDualLevelHolder& h) { h.level = std::make_unique<fwd::value_dual_level>(); })
      .def("exit", [](ValueDualLevelHolder& h) { h.level.reset(); });
  m.def("_value_make_dual", &fwd::make_dual, py::arg("primal"), py::arg("tangent"),
        "A new leaf with primal's data and label carrying tangent (forward mode)");
  m.def(
      "_value_unpack_dual",
      [](const Value& v) {
        const fwd::UnpackedValueDual d = fwd::unpack_dual(v);
        return py::make_tuple(d.primal, d.tangent ? py::cast(*d.tangent) : py::none());
      },
      py::arg("value"), "(primal, tangent); tangent is None when the Value carries none");
  m.def("_is_value_forward_ad_enabled", &fwd::is_value_forward_ad_enabled);

  m.def(
      "zero_grads", &zero_grads, py::arg("root"),
      R"(Sets ``.grad`` to 0 on ``root`` and on every Value it was computed from, leaves and constants included.

A fresh start before a second backward() or a stepper on the same graph.

Args:
    root (Value): the graph's root.

Example:
    >>> a = kindling.Value(2.0)
    >>> b = a * a
    >>> b.backward()
    >>> kindling.zero_grads(b)
    >>> a.grad, b.grad
    (0.0, 0.0)
)");

  m.def(
      "is_grad_enabled", &is_grad_enabled,
      R"(Whether new operations on this thread record a graph (tensors and Values), as torch.is_grad_enabled.

True unless turned off by :class:`no_grad` or :func:`set_grad_enabled`; the mode is
thread-local.

Example:
    >>> kindling.is_grad_enabled()
    True
    >>> with kindling.no_grad():
    ...     kindling.is_grad_enabled()
    False
)");
  m.def(
      "set_grad_enabled", &set_grad_enabled, py::arg("enabled"),
      R"(Turns graph recording on or off for this thread, as torch.set_grad_enabled (a plain function here, not a context manager).

Prefer the context managers :class:`no_grad` and :class:`enable_grad`, which restore the mode
they found.

Args:
    enabled (bool): record the graph.

Example:
    >>> kindling.set_grad_enabled(False)
    >>> (kindling.ones(1, requires_grad=True) * 2).requires_grad
    False
    >>> kindling.set_grad_enabled(True)
)");
  m.def(
      "is_anomaly_enabled", &is_anomaly_enabled,
      R"(Whether ops on this thread raise kindling.Error on the first NaN or Inf they produce (anomaly mode), as torch.is_anomaly_enabled.

Example:
    >>> kindling.is_anomaly_enabled()
    False
)");
  m.def("set_anomaly_enabled", &set_anomaly_enabled, py::arg("enabled"),
        R"(Turns anomaly mode on or off for this thread, as torch.set_anomaly_enabled.

With it on, every op (forward and backward, tensors and Values) raises kindling.Error naming
itself at the first NaN or Inf it produces. :class:`detect_anomaly` is the context manager.

Args:
    enabled (bool): the new mode.

Example:
    >>> kindling.set_anomaly_enabled(True)
    >>> try:
    ...     kindling.Value(-1.0).log()
    ... except kindling.Error as e:
    ...     print("raised")
    raised
    >>> kindling.set_anomaly_enabled(False)
)");

  m.def(
      "topological_order",
      [](const Value& root) {
        std::vector<Value> order;
        for (ValueNode* node : engine::topological_order(root.node()))
          order.push_back(Value::from_node(node));
        return to_list(order);
      },
      py::arg("root"),
      R"(Every Value ``root`` depends on, each once, inputs before the Values computed from them (root last).

The order backward() walks in reverse; computed without recursion.

Args:
    root (Value): the graph's root.

Returns:
    list of Value: the nodes.

Example:
    >>> a, b = kindling.Value(2.0, "a"), kindling.Value(3.0, "b")
    >>> c = a * b
    >>> c.label = "c"
    >>> [v.label for v in kindling.topological_order(c)]
    ['a', 'b', 'c']
)");

  m.def("_to_dot", &value_to_dot, py::arg("root"), py::arg("rankdir") = "LR",
        py::arg("node_attributes") = py::none(), py::arg("edge_label") = py::none(),
        "The DOT text of the graph `root` depends on; the hooks return extra DOT attributes for "
        "a node and an edge label for (child, input index)");
  m.def("_write_text_file", &engine::write_text_file, py::arg("path"), py::arg("text"));
}

}  // namespace kindling::python
