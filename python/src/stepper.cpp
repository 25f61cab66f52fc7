// The backward stepper for Python: kindling.ValueStepper walks root.backward() one node at a time
// (explain/value_stepper.hpp), each step described with its numbers; kindling.parse_expression
// and kindling.parse_program build a graph from a formula or a program; kindling._html_player
// assembles explain's HTML player page.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <utility>

#include "bindings.hpp"
#include "kindling/explain/expression.hpp"
#include "kindling/explain/html_player.hpp"
#include "kindling/explain/stepper.hpp"
#include "kindling/explain/value_stepper.hpp"

namespace kindling::python {

namespace {

// kindling.ExpressionError (a translator is a plain function pointer, so it cannot capture it).
py::exception<expression_error>* expression_error_type = nullptr;

engine::DotOptions dot_options(const std::string& rankdir) {
  KINDLING_CHECK(rankdir == "LR" || rankdir == "TB",
                 "frame_dot: rankdir must be 'LR' or 'TB', got '", rankdir, "'");
  engine::DotOptions options;
  options.rankdir = rankdir == "LR" ? engine::RankDir::LR : engine::RankDir::TB;
  return options;
}

// parse_expression's and parse_program's variables: name -> Value, or a number, which becomes a
// leaf named after it, as in the step texts.
ExpressionVariables expression_variables(const py::dict& variables) {
  ExpressionVariables named;
  for (auto [key, item] : variables) {
    auto name = key.cast<std::string>();
    Value value = to_value(item);
    if (!py::isinstance<Value>(item)) value.set_label(name);
    named.emplace(std::move(name), std::move(value));
  }
  return named;
}

}  // namespace

void bind_stepper(py::module_& m) {
  py::class_<GradContribution>(
      m, "GradContribution",
      R"(What one input of a stepped node received: an item of ``BackwardStep.contributions``.

Example:
    >>> a, b = kindling.Value(2.0, "a"), kindling.Value(-3.0, "b")
    >>> c = a * b
    >>> c.label = "c"
    >>> first = kindling.ValueStepper(c).step().contributions[0]
    >>> first.name, first.formula, first.local_derivative, first.grad_after
    ('a', 'b', -3.0, -3.0)
)")
      .def_readonly("parent", &GradContribution::parent, "The input Value.")
      .def_readonly("name", &GradContribution::name,
                    "The input's name in the step texts: its label, or ``n<i>`` (str).")
      .def_readonly("input_index", &GradContribution::input_index,
                    "Which input: 0 for a, 1 for b (int).")
      .def_readonly("formula", &GradContribution::formula,
                    "d(node)/d(input) in names, e.g. ``'b'`` for a in ``c = a * b`` (str).")
      .def_readonly("local_derivative", &GradContribution::local_derivative,
                    "The value of ``formula`` when the step ran (float).")
      .def_readonly("contribution", &GradContribution::contribution,
                    "``local_derivative * upstream``: what was added to the input's grad (float).")
      .def_readonly("grad_before", &GradContribution::grad_before,
                    "The input's grad before this contribution (float).")
      .def_readonly("grad_after", &GradContribution::grad_after,
                    "The input's grad after it, as the engine left it (float).")
      .def("__repr__", [](const GradContribution& c) {
        return "GradContribution(" + c.name + ".grad += " + std::to_string(c.contribution) + ")";
      });

  py::class_<BackwardStep>(m, "BackwardStep",
                           R"(One step of a backward pass: what ``ValueStepper.step()`` returns.

``str(step)`` is its ``text()``.

Example:
    >>> a, b = kindling.Value(2.0, "a"), kindling.Value(-3.0, "b")
    >>> c = a * b
    >>> c.label = "c"
    >>> step = kindling.ValueStepper(c).step()
    >>> step.number, step.total, step.expression, step.upstream
    (1, 1, 'c = a * b', 1.0)
    >>> print(step)
    [1/1] c = a * b: a.grad += b * c.grad = (-3.0000) * 1.0000 -> -3.0000
          c = a * b: b.grad += a * c.grad = 2.0000 * 1.0000 -> 2.0000
)")
      .def_readonly("number", &BackwardStep::number, "The step's number, 1 for the first (int).")
      .def_readonly("total", &BackwardStep::total, "The pass's step count (int).")
      .def_readonly("node", &BackwardStep::node, "The Value whose local backward step ran.")
      .def_readonly("name", &BackwardStep::name,
                    "That node's name: its label, or ``n<i>`` when unlabeled (str).")
      .def_readonly("expression", &BackwardStep::expression,
                    "The node's op in names, e.g. ``'c = a * b'`` (str).")
      .def_readonly("upstream", &BackwardStep::upstream,
                    "The node's grad when its step ran: d(root)/d(node) (float).")
      .def_readonly("contributions", &BackwardStep::contributions,
                    "One :class:`GradContribution` per input, in input order (list).")
      .def(
          "text", &BackwardStep::text,
          R"(The step as text: one line per input, the chain rule with its numbers, the first tagged ``[number/total]``, later lines indented to match.

No newline at the end. When the input already held a gradient the line ends with
``(a.grad now ...)``.

Example:
    >>> x = kindling.Value(3.0, "x")
    >>> y = x * 2
    >>> y.label = "y"
    >>> print(kindling.ValueStepper(y).step().text())
    [1/1] y = x * n1: x.grad += n1 * y.grad = 2.0000 * 1.0000 -> 2.0000
          y = x * n1: n1.grad += x * y.grad = 3.0000 * 1.0000 -> 3.0000
)")
      .def("__str__", &BackwardStep::text)
      .def("__repr__", [](const BackwardStep& s) {
        return "BackwardStep(" + std::to_string(s.number) + ", '" + s.expression + "')";
      });

  py::class_<ValueStepper>(
      m, "ValueStepper",
      R"(``root.backward()``, one node at a time, each step described with its numbers.

``ValueStepper(root)`` starts the pass as backward() does (interior grads cleared, the root
seeded with 1, leaf grads kept to accumulate onto) without sweeping yet; each ``step()`` runs
the engine's own backward step of the next node and returns a :class:`BackwardStep`. Stepping to
the end leaves exactly the gradients backward() leaves. Iterating yields the remaining steps.
``frame()`` draws the current state (kindling.FRAME_LEGEND explains its colours) and
:func:`kindling.player` makes the whole pass an HTML player.

Args:
    root (Value): the Value to differentiate.

Example:
    >>> a, b = kindling.Value(2.0, "a"), kindling.Value(-3.0, "b")
    >>> c = a * b
    >>> c.label = "c"
    >>> stepper = kindling.ValueStepper(c)
    >>> print(stepper.state_text())
    [0/1] start: c.grad = 1.0000 (the seed, dc/dc); interior grads cleared, 1 step to go
    >>> for step in stepper:
    ...     print(step)
    [1/1] c = a * b: a.grad += b * c.grad = (-3.0000) * 1.0000 -> -3.0000
          c = a * b: b.grad += a * c.grad = 2.0000 * 1.0000 -> 2.0000
    >>> stepper.done(), a.grad, b.grad
    (True, -3.0, 2.0)
)")
      .def(py::init<const Value&>(), py::arg("root"),
           "Starts the stepped backward pass of ``root`` (see the class docstring).")
      .def("step", &ValueStepper::step, py::return_value_policy::copy,
           R"(Runs the next node's backward step and describes it.

Returns:
    BackwardStep: what the step did.

Raises:
    kindling.Error: when the pass is done (``reset()`` starts again).

Example:
    >>> x = kindling.Value(3.0, "x")
    >>> y = x * x
    >>> kindling.ValueStepper(y).step().upstream
    1.0
)")
      .def("run_to_end", &ValueStepper::run_to_end,
           R"(Runs the remaining steps; afterwards the gradients are those backward() leaves.

Example:
    >>> x = kindling.Value(3.0)
    >>> s = kindling.ValueStepper(x * x)
    >>> s.run_to_end()
    >>> s.done(), x.grad
    (True, 6.0)
)")
      .def(
          "reset", &ValueStepper::reset,
          R"(Back to the state right after construction: interior grads cleared, the leaves' grads as they were then, the root seeded.

Example:
    >>> x = kindling.Value(3.0)
    >>> s = kindling.ValueStepper(x * x)
    >>> s.run_to_end()
    >>> s.reset()
    >>> s.position, x.grad
    (0, 0.0)
)")
      .def("done", &ValueStepper::done,
           R"(Whether every step has run (a method, as it is worked out when asked).

Example:
    >>> kindling.ValueStepper(kindling.Value(1.0) * 2).done()
    False
)")
      .def_property_readonly("position", &ValueStepper::position,
                             "The number of steps taken so far (int).")
      .def_property_readonly("step_count", &ValueStepper::step_count,
                             "The number of steps in the whole pass: one per node that has "
                             "inputs (int).")
      .def_property_readonly("root", &ValueStepper::root, "The Value the pass started from.")
      .def_property_readonly("current", &ValueStepper::current,
                             "The Value the last step processed, or None before the first step.")
      .def_property_readonly(
          "next",
          [](const ValueStepper& s) -> py::object {
            ValueNode* node = s.engine_stepper().next();
            return node ? py::cast(Value::from_node(node)) : py::none();
          },
          "The Value the next step will process, or None when done.")
      .def_property_readonly("done_nodes", &ValueStepper::done_nodes,
                             "The Values whose step has run, in order (list).")
      .def_property_readonly(
          "last_step",
          [](const ValueStepper& s) -> py::object {
            return s.last_step() ? py::cast(*s.last_step()) : py::none();
          },
          "The :class:`BackwardStep` of the last step, or None before the first.")
      .def(
          "state_text", &ValueStepper::state_text,
          R"(What happened so far, as text: the seed line before the first step (saying when leaves already hold gradients from an earlier backward), then the last step's text.

Example:
    >>> x = kindling.Value(3.0, "x")
    >>> y = x * x
    >>> y.label = "y"
    >>> print(kindling.ValueStepper(y).state_text())
    [0/1] start: y.grad = 1.0000 (the seed, dy/dy); interior grads cleared, 1 step to go
)")
      .def(
          "name", [](const ValueStepper& s, const Value& v) { return s.name(v); }, py::arg("value"),
          R"(The name the step texts use for a Value of this graph: its label, or ``n<i>`` (i its place in the topological order, also its id in the DOT frames).

Args:
    value (Value): a Value of this graph.

Raises:
    kindling.Error: for an unlabeled Value that is not part of this graph.

Example:
    >>> x = kindling.Value(3.0, "x")
    >>> y = x * 2
    >>> s = kindling.ValueStepper(y)
    >>> s.name(x), s.name(y)
    ('x', 'n2')
)")
      .def(
          "is_done",
          [](const ValueStepper& s, const Value& v) {
            return s.engine_stepper().is_done(v.node());
          },
          py::arg("value"),
          "Whether the Value's own backward step has run (bool); leaves never step.")
      .def(
          "is_grad_final",
          [](const ValueStepper& s, const Value& v) {
            return s.engine_stepper().is_grad_final(v.node());
          },
          py::arg("value"),
          "Whether nothing more will be added to the Value's grad in this pass (bool): every "
          "node that uses it has stepped.")
      .def(
          "_frame_dot",
          [](const ValueStepper& s, const std::string& rankdir) {
            return s.frame_dot(dot_options(rankdir));
          },
          py::arg("rankdir") = "LR")
      .def("__iter__", [](py::object self) { return self; })
      .def("__next__", [](ValueStepper& s) {
        if (s.done()) throw py::stop_iteration();
        return s.step();
      });
  m.attr("FRAME_LEGEND") = std::string(engine::kFrameLegend);

  // Note [gradient graph stepper] in explain/value_stepper.hpp.
  py::class_<GradGraphStep::Input>(m, "GradGraphInput",
                                   "What one input's gradient received in a GradGraphStep.")
      .def_readonly("name", &GradGraphStep::Input::name, "The input's name (str).")
      .def_readonly("formula", &GradGraphStep::Input::formula, "d(node)/d(input) in names (str).")
      .def_readonly("contribution", &GradGraphStep::Input::contribution,
                    "What was added to the input's gradient: the new node's data (float).")
      .def_readonly("gradient", &GradGraphStep::Input::gradient,
                    "The input's gradient after the step (float).");
  py::class_<GradGraphStep>(
      m, "GradGraphStep",
      R"(One step of a create_graph backward: what ``GradGraphStepper.step()`` returns.

``str(step)`` is its ``text()``.

Example:
    >>> x, w = kindling.Value(0.5, "x"), kindling.Value(2.0, "w")
    >>> y = x * w
    >>> y.label = "y"
    >>> step = kindling.GradGraphStepper(y, [x, w]).step()
    >>> step.expression, step.new_nodes, [(i.name, i.gradient) for i in step.inputs]
    ('y = x * w', 2, [('x', 2.0), ('w', 0.5)])
    >>> print(step)
    [1/1] y = x * w: grad x += w * grad y -> 2.0000 (grad x now 2.0000)
          y = x * w: grad w += x * grad y -> 0.5000 (grad w now 0.5000) [2 new nodes]
)")
      .def_readonly("number", &GradGraphStep::number, "The step's number, 1 for the first (int).")
      .def_readonly("total", &GradGraphStep::total, "The pass's step count (int).")
      .def_readonly("node", &GradGraphStep::node, "The forward Value whose chain rule ran.")
      .def_readonly("name", &GradGraphStep::name, "Its name, as ValueStepper names it (str).")
      .def_readonly("expression", &GradGraphStep::expression,
                    "Its op in names, e.g. ``'c = a * b'`` (str).")
      .def_readonly("inputs", &GradGraphStep::inputs,
                    "One GradGraphInput per input that gets a gradient (list); leaves that are "
                    "not among the pass's inputs get none.")
      .def_readonly("new_nodes", &GradGraphStep::new_nodes,
                    "How many nodes of the gradient graph this step made (int).")
      .def("text", &GradGraphStep::text,
           "The step as text: a line per input (``grad a += b * grad out -> ...``), later lines "
           "indented to match, the last ending with the new-node count; no newline at the end.")
      .def("__str__", &GradGraphStep::text);
  py::class_<GradGraphStepper>(m, "GradGraphStepper",
                               R"(A create_graph backward, one node at a time.

``GradGraphStepper(output, inputs)`` steps through ``kindling.autograd.grad(output, inputs,
create_graph=True)``: each step writes one forward node's chain rule as new Values, the gradient
graph, which the frames draw in blue beside the forward graph (kindling.GRAD_FRAME_LEGEND).
``gradients()`` (once done) are those Values, ready to be differentiated again: a ValueStepper on
one of them steps through the second derivative. The leaves' own grads are not touched.

Args:
    output (Value): the Value to differentiate.
    inputs (iterable of Value): the Values to differentiate by.

Example:
    >>> x = kindling.Value(0.5, "x")
    >>> f = x * x.exp()
    >>> g = kindling.GradGraphStepper(f, [x])
    >>> g.run_to_end()
    >>> (dx,) = g.gradients()           # (1 + x) e^x as a graph
    >>> round(dx.data, 4), g.is_forward(x), g.is_forward(dx)
    (2.4731, True, False)
)")
      .def(py::init([](const Value& output, py::handle inputs) {
             return new GradGraphStepper(output, to_values(inputs));
           }),
           py::arg("output"), py::arg("inputs"),
           "Starts the stepped create_graph backward (see the class docstring).")
      .def("step", &GradGraphStepper::step, py::return_value_policy::copy,
           R"(Runs the next forward node's chain rule, recording it as gradient-graph nodes.

Returns:
    GradGraphStep: what the step did.

Raises:
    kindling.Error: when the pass is done.
)")
      .def("run_to_end", &GradGraphStepper::run_to_end, "Runs the remaining steps.")
      .def("done", &GradGraphStepper::done, "Whether every step has run (bool).")
      .def_property_readonly("position", &GradGraphStepper::position,
                             "The number of steps taken so far (int).")
      .def_property_readonly("step_count", &GradGraphStepper::step_count,
                             "The number of steps in the whole pass: one per forward node that "
                             "is not a leaf (int).")
      .def("state_text", &GradGraphStepper::state_text,
           "The seed line before the first step (``[0/5] start: grad out = 1 ...``), then the "
           "last step's text.")
      .def(
          "gradients", [](const GradGraphStepper& s) { return to_list(s.gradients()); },
          R"(Once done: d(output)/d(input) for each input, as graph Values (a constant 0 for an input the output does not depend on).

Raises:
    kindling.Error: when steps are still to run.
)")
      .def(
          "is_forward",
          [](const GradGraphStepper& s, const Value& v) { return s.is_forward(v.node()); },
          py::arg("value"),
          "True for Values of the forward graph, False for those of the gradient graph.")
      .def(
          "_frame_dot",
          [](const GradGraphStepper& s, const std::string& rankdir) {
            return s.frame_dot(dot_options(rankdir));
          },
          py::arg("rankdir") = "LR")
      .def("__iter__", [](py::object self) { return self; })
      .def("__next__", [](GradGraphStepper& s) {
        if (s.done()) throw py::stop_iteration();
        return s.step();
      });
  m.attr("GRAD_FRAME_LEGEND") = std::string(kGradFrameLegend);

  // Note [expression errors]: a parse error is a kindling::error with a caret under the column;
  // it arrives as kindling.ExpressionError (a kindling.Error) carrying that column.
  // The type object is leaked on purpose: a static py::object would be released after the
  // interpreter has shut down. Translators registered later are tried first, so this one sees
  // expression_error before the kindling::error translator of module.cpp does.
  expression_error_type =
      new py::exception<expression_error>(m, "ExpressionError", m.attr("Error"));
  expression_error_type->attr("__doc__") =
      R"(A formula that :func:`parse_expression` cannot read: a kindling.Error with a ``column``.

The message names the problem and ends with the text and a caret under the column at fault;
``column`` is that 1-based column (one past the end for an unexpected end).

Example:
    >>> try:
    ...     kindling.parse_expression("a*+", {"a": 1.0})
    ... except kindling.ExpressionError as e:
    ...     print(e)
    parse_expression: expected a number, a variable or '(' but found end of input at column 4
      a*+
         ^
)";

  py::register_exception_translator([](std::exception_ptr pointer) {
    try {
      if (pointer) std::rethrow_exception(pointer);
    } catch (const expression_error& e) {
      const py::object type = *expression_error_type;  // call the type, not exception::operator()
      py::object error = type(e.what());
      error.attr("column") = e.column();
      PyErr_SetObject(expression_error_type->ptr(), error.ptr());
    }
  });

  m.def(
      "parse_expression",
      [](const std::string& text, const py::dict& variables) {
        return parse_expression(text, expression_variables(variables));
      },
      py::arg("text"), py::arg("variables") = py::dict(),
      R"doc(The Value graph of a formula such as ``'tanh(x1*w1 + x2*w2 + b)'``.

The grammar has ``+ - * /``, ``^`` with a constant exponent (``x^2``, ``x^(1/2)``; ``x^y`` is an
error), unary signs, parentheses, decimal numbers (number literals become leaves labelled with
their text) and the functions ``exp``, ``log``, ``tanh``, ``relu`` and ``sigmoid``; usual
precedence, ``^`` right-associative and tighter than unary minus. A variable used twice is the
same node.

Args:
    text (str): the formula.
    variables (dict): name -> Value, or a number, which becomes a leaf labelled with the name.

Returns:
    Value: the formula's root (unlabeled unless it is a variable).

Raises:
    kindling.ExpressionError: for a syntax error, an unknown variable, a variable exponent or
        nesting deeper than 256; the message ends with the text and a caret under the column at
        fault, and the exception's ``column`` attribute is that 1-based column.

Example:
    >>> y = kindling.parse_expression("tanh(x*w + b)", {"x": 1.0, "w": 0.5, "b": 0.0})
    >>> round(y.data, 4)
    0.4621
    >>> try:
    ...     kindling.parse_expression("x + y", {"x": 1.0})
    ... except kindling.ExpressionError as e:
    ...     print(e.column)
    5
)doc");

  m.def(
      "parse_program",
      [](const std::string& text, const py::dict& variables) {
        return parse_program(text, expression_variables(variables));
      },
      py::arg("text"), py::arg("variables") = py::dict(),
      R"doc(The Value graph of a program: statements separated by ``;``, each an expression or
``name = expression``, such as micrograd's README example
``'c = a + b; d = a * b + b^3; c = c + (c + 1); e = c - d; e^2'``.

The expressions are :func:`parse_expression`'s. A name bound by ``=`` stands for its node in later
statements (shadowing a variable or an earlier binding of the same name), and an op result takes
the name as its label. The value of the last statement is the result; a ``;`` after it is allowed.

Args:
    text (str): the program.
    variables (dict): name -> Value, or a number, which becomes a leaf labelled with the name.

Returns:
    Value: the last statement's value, the root of the program's graph.

Raises:
    kindling.ExpressionError: as :func:`parse_expression` raises it (columns counted from the
        start of the whole text), also for an empty program or a function name on the left of
        ``=``.

Example:
    >>> a, b = kindling.Value(-4.0, label="a"), kindling.Value(2.0, label="b")
    >>> out = kindling.parse_program(
    ...     "c = a + b; d = a * b + b^3; c = c + (c + 1); e = c - d; e^2", {"a": a, "b": b})
    >>> out.backward()
    >>> out.data, a.grad, b.grad
    (9.0, 0.0, 36.0)
    >>> try:
    ...     kindling.parse_program("c = ; c", {})
    ... except kindling.ExpressionError as e:
    ...     print(e.column)
    5
)doc");

  m.def(
      "_html_player",
      [](const std::vector<std::pair<std::string, std::string>>& frames, const std::string& title,
         const std::string& notes) {
        std::vector<engine::PlayerFrame> player_frames;
        for (const auto& [svg, text] : frames)
          player_frames.push_back({svg, text});
        return engine::html_player(player_frames, title, notes);
      },
      py::arg("frames"), py::arg("title"), py::arg("notes") = "");
}

}  // namespace kindling::python
