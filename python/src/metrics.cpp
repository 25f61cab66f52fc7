// kindling.nn's metrics: accuracy, precision / recall / F1, ConfusionMatrix, RunningMean and the
// model summary.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "kindling/engine/error.hpp"
#include "kindling/nn/metrics.hpp"
#include "kindling/tensor/creation.hpp"
#include "tensor_support.hpp"

namespace kindling::python {

namespace {
// scikit-learn's names: "macro", "micro", "weighted"; None (per class) is handled by the caller.
nn::Average parse_average(const std::string& name) {
  if (name == "macro") return nn::Average::macro;
  if (name == "micro") return nn::Average::micro;
  if (name == "weighted") return nn::Average::weighted;
  throw error("average must be 'macro', 'micro', 'weighted' or None, got '" + name + "'");
}

// A score averaged as `average` says, or the per-class list for None.
template <class PerClass, class Averaged>
py::object score(const std::optional<std::string>& average, PerClass per_class, Averaged averaged) {
  if (!average) return py::cast(per_class());
  return py::cast(averaged(parse_average(*average)));
}

nn::ConfusionMatrix filled(std::int64_t num_classes, const py::object& predictions,
                           const py::object& targets) {
  nn::ConfusionMatrix m(num_classes);
  m.update(as_tensor(predictions), as_tensor(targets));
  return m;
}
}  // namespace

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
      .def(
          "precision",
          [](const nn::ConfusionMatrix& c, const std::optional<std::string>& average) {
            return score(
                average, [&] { return c.precision_per_class(); },
                [&](nn::Average a) { return c.precision(a); });
          },
          py::arg("average") = "macro",
          "TP / (TP + FP), averaged ('macro', 'micro', 'weighted') or per class (None)")
      .def(
          "recall",
          [](const nn::ConfusionMatrix& c, const std::optional<std::string>& average) {
            return score(
                average, [&] { return c.recall_per_class(); },
                [&](nn::Average a) { return c.recall(a); });
          },
          py::arg("average") = "macro")
      .def(
          "f1",
          [](const nn::ConfusionMatrix& c, const std::optional<std::string>& average) {
            return score(
                average, [&] { return c.f1_per_class(); }, [&](nn::Average a) { return c.f1(a); });
          },
          py::arg("average") = "macro")
      .def("to_string", &nn::ConfusionMatrix::to_string,
           py::arg("labels") = std::vector<std::string>{})
      .def("__str__", [](const nn::ConfusionMatrix& c) { return c.to_string(); });
  m.def(
      "precision",
      [](const py::object& p, const py::object& t, std::int64_t n,
         const std::optional<std::string>& average) {
        const nn::ConfusionMatrix c = filled(n, p, t);
        return score(
            average, [&] { return c.precision_per_class(); },
            [&](nn::Average a) { return c.precision(a); });
      },
      py::arg("predictions"), py::arg("targets"), py::arg("num_classes"),
      py::arg("average") = "macro",
      "Precision of logits (N, C) or int64 classes (N,) against int64 targets, as "
      "sklearn.metrics.precision_score (zero_division=0)");
  m.def(
      "recall",
      [](const py::object& p, const py::object& t, std::int64_t n,
         const std::optional<std::string>& average) {
        const nn::ConfusionMatrix c = filled(n, p, t);
        return score(
            average, [&] { return c.recall_per_class(); },
            [&](nn::Average a) { return c.recall(a); });
      },
      py::arg("predictions"), py::arg("targets"), py::arg("num_classes"),
      py::arg("average") = "macro");
  m.def(
      "f1_score",
      [](const py::object& p, const py::object& t, std::int64_t n,
         const std::optional<std::string>& average) {
        const nn::ConfusionMatrix c = filled(n, p, t);
        return score(
            average, [&] { return c.f1_per_class(); }, [&](nn::Average a) { return c.f1(a); });
      },
      py::arg("predictions"), py::arg("targets"), py::arg("num_classes"),
      py::arg("average") = "macro");
  m.def(
      "summary",
      [](nn::Module& model, const py::object& input) {
        const Tensor x = py::isinstance<py::tuple>(input) || py::isinstance<py::list>(input)
                             ? zeros(to_shape(input, "summary"))
                             : as_tensor(input);
        return nn::model_summary(model, x);
      },
      py::arg("model"), py::arg("input"),
      "A table of each module call's output shape and parameter count for `input` (a tensor, or "
      "a shape for zeros), as torchinfo.summary");
  m.def(
      "summarize",
      [](nn::Module& model, const py::object& input) {
        py::list rows;
        for (const nn::LayerSummary& row : nn::summarize(model, as_tensor(input)))
          rows.append(py::dict(py::arg("name") = row.name, py::arg("type") = row.type,
                               py::arg("depth") = row.depth,
                               py::arg("output_shape") = py::tuple(py::cast(row.output_shape)),
                               py::arg("parameters") = row.parameters));
        return rows;
      },
      py::arg("model"), py::arg("input"),
      "summary's rows as dicts: name, type, depth, output_shape, parameters");
  py::class_<nn::RunningMean>(m, "RunningMean", "A weighted running mean")
      .def(py::init<>())
      .def("add", &nn::RunningMean::add, py::arg("value"), py::arg("weight") = 1.0)
      .def("mean", &nn::RunningMean::mean,
           "The weighted mean so far (Note [properties and methods] in python/src/bindings.hpp)")
      .def("reset", &nn::RunningMean::reset);
}

}  // namespace kindling::python
