// The backward stepper for Python: kindling.ValueStepper walks root.backward() one node at a time
// (explain/value_stepper.hpp), each step described with its numbers; kindling.parse_expression
// builds a graph from a formula; kindling._html_player assembles explain's HTML player page.
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

}  // namespace

void bind_stepper(py::module_& m) {
  py::class_<GradContribution>(m, "GradContribution", "What one input of a stepped node received")
      .def_readonly("parent", &GradContribution::parent, "The input Value")
      .def_readonly("name", &GradContribution::name)
      .def_readonly("input_index", &GradContribution::input_index, "0 for a, 1 for b")
      .def_readonly("formula", &GradContribution::formula, "d(node)/d(input) in names")
      .def_readonly("local_derivative", &GradContribution::local_derivative)
      .def_readonly("contribution", &GradContribution::contribution,
                    "local_derivative * upstream: what was added to the input's grad")
      .def_readonly("grad_before", &GradContribution::grad_before)
      .def_readonly("grad_after", &GradContribution::grad_after)
      .def("__repr__", [](const GradContribution& c) {
        return "GradContribution(" + c.name + ".grad += " + std::to_string(c.contribution) + ")";
      });

  py::class_<BackwardStep>(m, "BackwardStep", "One step of the backward pass")
      .def_readonly("number", &BackwardStep::number, "1 for the first step")
      .def_readonly("total", &BackwardStep::total, "The pass's step count")
      .def_readonly("node", &BackwardStep::node, "The Value whose local backward step ran")
      .def_readonly("name", &BackwardStep::name)
      .def_readonly("expression", &BackwardStep::expression, "e.g. 'c = a * b'")
      .def_readonly("upstream", &BackwardStep::upstream, "The node's grad when its step ran")
      .def_readonly("contributions", &BackwardStep::contributions)
      .def("text", &BackwardStep::text,
           "One line per input: the chain rule with its numbers, the first tagged [number/total]; "
           "no newline at the end")
      .def("__str__", &BackwardStep::text)
      .def("__repr__", [](const BackwardStep& s) {
        return "BackwardStep(" + std::to_string(s.number) + ", '" + s.expression + "')";
      });

  py::class_<ValueStepper>(m, "ValueStepper", R"(root.backward(), one node at a time.

ValueStepper(root) starts the pass as backward() does (interior grads cleared, root seeded with
1); each step() runs the engine's own backward step of the next node and returns what it did.
Stepping to the end leaves exactly the gradients backward() leaves. Iterating yields the steps.)")
      .def(py::init<const Value&>(), py::arg("root"))
      .def("step", &ValueStepper::step, py::return_value_policy::copy,
           "Runs the next node's backward step and describes it; kindling.Error when done")
      .def("run_to_end", &ValueStepper::run_to_end)
      .def("reset", &ValueStepper::reset,
           "Back to the start: interior grads cleared, leaves as they were, root seeded")
      .def("done", &ValueStepper::done,
           "Whether every step has run (Note [properties and methods])")
      .def_property_readonly("position", &ValueStepper::position, "Steps taken so far")
      .def_property_readonly("step_count", &ValueStepper::step_count,
                             "Steps in the whole pass: one per node that has inputs")
      .def_property_readonly("root", &ValueStepper::root)
      .def_property_readonly("current", &ValueStepper::current,
                             "The Value the last step processed, or None")
      .def_property_readonly(
          "next",
          [](const ValueStepper& s) -> py::object {
            ValueNode* node = s.engine_stepper().next();
            return node ? py::cast(Value::from_node(node)) : py::none();
          },
          "The Value the next step will process, or None when done")
      .def_property_readonly("done_nodes", &ValueStepper::done_nodes)
      .def_property_readonly("last_step",
                             [](const ValueStepper& s) -> py::object {
                               return s.last_step() ? py::cast(*s.last_step()) : py::none();
                             })
      .def("state_text", &ValueStepper::state_text,
           "The seed line before the first step, then the last step's text")
      .def(
          "name", [](const ValueStepper& s, const Value& v) { return s.name(v); }, py::arg("value"),
          "The name step texts use: the label, or n<i> (i = place in the topological order)")
      .def(
          "is_done",
          [](const ValueStepper& s, const Value& v) {
            return s.engine_stepper().is_done(v.node());
          },
          py::arg("value"), "True once the Value's own backward step has run")
      .def(
          "is_grad_final",
          [](const ValueStepper& s, const Value& v) {
            return s.engine_stepper().is_grad_final(v.node());
          },
          py::arg("value"), "True when nothing more will be added to the Value's grad")
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
                                   "What one input's gradient received in a GradGraphStep")
      .def_readonly("name", &GradGraphStep::Input::name)
      .def_readonly("formula", &GradGraphStep::Input::formula, "d(node)/d(input) in names")
      .def_readonly("contribution", &GradGraphStep::Input::contribution,
                    "What was added to the input's gradient")
      .def_readonly("gradient", &GradGraphStep::Input::gradient,
                    "The input's gradient after the step");
  py::class_<GradGraphStep>(m, "GradGraphStep", "One step of a create_graph backward")
      .def_readonly("number", &GradGraphStep::number)
      .def_readonly("total", &GradGraphStep::total)
      .def_readonly("node", &GradGraphStep::node, "The forward Value whose chain rule ran")
      .def_readonly("name", &GradGraphStep::name)
      .def_readonly("expression", &GradGraphStep::expression)
      .def_readonly("inputs", &GradGraphStep::inputs)
      .def_readonly("new_nodes", &GradGraphStep::new_nodes,
                    "Nodes of the gradient graph this step made")
      .def("text", &GradGraphStep::text)
      .def("__str__", &GradGraphStep::text);
  py::class_<GradGraphStepper>(m, "GradGraphStepper",
                               R"(A create_graph backward, one node at a time.

GradGraphStepper(output, inputs) steps through kindling.grad(output, inputs, create_graph=True):
each step writes one forward node's chain rule as new Values, the gradient graph, which the frames
draw in blue beside the forward graph. gradients() (once done) are those Values, ready to be
differentiated again: a ValueStepper on one of them steps through the second derivative.)")
      .def(py::init([](const Value& output, py::handle inputs) {
             return new GradGraphStepper(output, to_values(inputs));
           }),
           py::arg("output"), py::arg("inputs"))
      .def("step", &GradGraphStepper::step, py::return_value_policy::copy)
      .def("run_to_end", &GradGraphStepper::run_to_end)
      .def("done", &GradGraphStepper::done)
      .def_property_readonly("position", &GradGraphStepper::position)
      .def_property_readonly("step_count", &GradGraphStepper::step_count)
      .def("state_text", &GradGraphStepper::state_text)
      .def(
          "gradients", [](const GradGraphStepper& s) { return to_list(s.gradients()); },
          "Once done: d(output)/d(input) for each input, as graph Values")
      .def(
          "is_forward",
          [](const GradGraphStepper& s, const Value& v) { return s.is_forward(v.node()); },
          py::arg("value"), "True for Values of the forward graph, False for the gradient graph")
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
      [](const std::string& text, py::dict variables) {
        ExpressionVariables named;
        for (auto [key, item] : variables) {
          auto name = key.cast<std::string>();
          Value value = to_value(item);
          // A number given for a variable becomes a leaf named after it, as in the step texts.
          if (!py::isinstance<Value>(item)) value.set_label(name);
          named.emplace(std::move(name), std::move(value));
        }
        return parse_expression(text, named);
      },
      py::arg("text"), py::arg("variables") = py::dict(),
      "The graph of a formula such as 'tanh(x1*w1 + x2*w2 + b)' over the given variables "
      "(Values, or numbers that become labelled leaves)");

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
