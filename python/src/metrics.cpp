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
      py::arg("logits"), py::arg("targets"),
      R"(The fraction of rows of ``logits`` whose argmax equals the target (a float).

Args:
    logits (Tensor): ``(N, C)`` scores.
    targets (Tensor): ``(N,)`` int64 classes.

Raises:
    kindling.Error: for shapes that do not fit, or targets that are not int64.

Example:
    >>> logits = kindling.tensor([[2.0, 0.0], [0.0, 1.0], [3.0, 1.0]])
    >>> kindling.nn.accuracy(logits, kindling.tensor([0, 1, 1]))
    0.6666666666666666
)");
  py::class_<nn::ConfusionMatrix>(
      m, "ConfusionMatrix",
      R"(Counts of (true class, predicted class) pairs over batches, with accuracy, precision, recall and F1 from them.

Rows are true classes, columns predicted ones. The averaged scores follow scikit-learn's
``average`` ('macro', 'micro', 'weighted', or None for the per-class list) with
``zero_division=0``.

Args:
    num_classes (int): the number of classes (> 0).

Example:
    >>> cm = kindling.nn.ConfusionMatrix(2)
    >>> cm.update(kindling.tensor([[2.0, 0.0], [0.0, 1.0], [3.0, 1.0]]), kindling.tensor([0, 1, 1]))
    >>> cm.numpy().tolist(), cm.total, cm.accuracy()
    ([[1, 0], [1, 1]], 3, 0.6666666666666666)
    >>> cm.precision(), cm.precision(None), cm.recall("micro")
    (0.75, [0.5, 1.0], 0.6666666666666666)
)")
      .def(py::init<std::int64_t>(), py::arg("num_classes"),
           "Makes an empty matrix (see the class docstring).")
      .def(
          "update",
          [](nn::ConfusionMatrix& c, const py::object& predictions, const py::object& targets) {
            c.update(as_tensor(predictions), as_tensor(targets));
          },
          py::arg("predictions"), py::arg("targets"),
          R"(Adds a batch.

Args:
    predictions (Tensor): logits ``(N, C)`` (their argmax is taken) or int64 classes ``(N,)``.
    targets (Tensor): int64 classes ``(N,)``.

Raises:
    kindling.Error: for shapes that do not fit, or a class outside ``0..num_classes-1``.
)")
      .def("count", &nn::ConfusionMatrix::count, py::arg("truth"), py::arg("predicted"),
           "How many samples of true class ``truth`` were predicted as ``predicted`` (int).")
      .def_property_readonly("total", &nn::ConfusionMatrix::total,
                             "The number of samples counted (int).")
      .def_property_readonly("num_classes", &nn::ConfusionMatrix::num_classes,
                             "The number of classes (int).")
      .def("accuracy", &nn::ConfusionMatrix::accuracy,
           "The fraction of samples on the diagonal (float; 0 when empty).")
      .def(
          "numpy",
          [](const nn::ConfusionMatrix& c) {
            const std::int64_t n = c.num_classes();
            py::array_t<std::int64_t> result({n, n});
            auto view = result.mutable_unchecked<2>();
            for (std::int64_t i = 0; i < n; ++i)
              for (std::int64_t j = 0; j < n; ++j)
                view(i, j) = c.count(i, j);
            return result;
          },
          "The counts as a new ``(num_classes, num_classes)`` int64 NumPy array, rows true "
          "classes.")
      .def(
          "precision",
          [](const nn::ConfusionMatrix& c, const std::optional<std::string>& average) {
            return score(
                average, [&] { return c.precision_per_class(); },
                [&](nn::Average a) { return c.precision(a); });
          },
          py::arg("average") = "macro",
          R"(Precision, ``TP / (TP + FP)`` per class (a column), averaged or per class.

Args:
    average (str or None): ``'macro'`` (the mean over classes, the default), ``'micro'`` (from
        the pooled counts: the accuracy, for single-label classes), ``'weighted'`` (weighted by
        each class's true count) or None (the per-class list). 0 where TP + FP is 0.

Raises:
    kindling.Error: for another average.
)")
      .def(
          "recall",
          [](const nn::ConfusionMatrix& c, const std::optional<std::string>& average) {
            return score(
                average, [&] { return c.recall_per_class(); },
                [&](nn::Average a) { return c.recall(a); });
          },
          py::arg("average") = "macro",
          R"(Recall, ``TP / (TP + FN)`` per class (a row), averaged as ``precision``'s ``average`` says, or per class for None.

Raises:
    kindling.Error: for another average.
)")
      .def(
          "f1",
          [](const nn::ConfusionMatrix& c, const std::optional<std::string>& average) {
            return score(
                average, [&] { return c.f1_per_class(); }, [&](nn::Average a) { return c.f1(a); });
          },
          py::arg("average") = "macro",
          R"(F1, the harmonic mean of precision and recall per class, averaged as ``precision``'s ``average`` says, or per class for None.

Raises:
    kindling.Error: for another average.
)")
      .def(
          "to_string", &nn::ConfusionMatrix::to_string,
          py::arg("labels") = std::vector<std::string>{},
          R"(The matrix as a text table (also ``str(matrix)``): a header row of predicted classes, then one row per true class.

Args:
    labels (list of str): class names; rows then read ``'3 Dress'``.

Example:
    >>> cm = kindling.nn.ConfusionMatrix(2)
    >>> cm.update(kindling.tensor([0, 1]), kindling.tensor([0, 0]))
    >>> print(cm.to_string(["no", "yes"]))
    true \ predicted
                         0      1
    0 no                 1      1
    1 yes                0      0
    <BLANKLINE>
)")
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
      R"(Precision of predictions against targets, as sklearn.metrics.precision_score (zero_division=0).

Args:
    predictions (Tensor): logits ``(N, C)`` or int64 classes ``(N,)``.
    targets (Tensor): int64 classes ``(N,)``.
    num_classes (int): the number of classes.
    average (str or None): as :meth:`ConfusionMatrix.precision`.

Raises:
    kindling.Error: as :meth:`ConfusionMatrix.update`, or for another average.

Example:
    >>> kindling.nn.precision(kindling.tensor([0, 1, 1]), kindling.tensor([0, 1, 0]), 2)
    0.75
)");
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
      py::arg("average") = "macro",
      R"(Recall of predictions against targets, as sklearn.metrics.recall_score (zero_division=0).

Arguments and errors as :func:`precision`'s.

Example:
    >>> kindling.nn.recall(kindling.tensor([0, 1, 0]), kindling.tensor([0, 1, 1]), 2, average=None)
    [1.0, 0.5]
)");
  m.def(
      "f1_score",
      [](const py::object& p, const py::object& t, std::int64_t n,
         const std::optional<std::string>& average) {
        const nn::ConfusionMatrix c = filled(n, p, t);
        return score(
            average, [&] { return c.f1_per_class(); }, [&](nn::Average a) { return c.f1(a); });
      },
      py::arg("predictions"), py::arg("targets"), py::arg("num_classes"),
      py::arg("average") = "macro",
      R"(F1 of predictions against targets, as sklearn.metrics.f1_score (zero_division=0).

Arguments and errors as :func:`precision`'s.

Example:
    >>> kindling.nn.f1_score(kindling.tensor([0, 1, 1]), kindling.tensor([0, 1, 1]), 2)
    1.0
)");
  m.def(
      "summary",
      [](nn::Module& model, const py::object& input) {
        const Tensor x = py::isinstance<py::tuple>(input) || py::isinstance<py::list>(input)
                             ? zeros(to_shape(input, "summary"))
                             : as_tensor(input);
        return nn::model_summary(model, x);
      },
      py::arg("model"), py::arg("input"),
      R"(A table of each module call's output shape and parameter count, as torchinfo.summary.

The model runs once on ``input`` without gradients, in its current mode.

Args:
    model (Module): the model.
    input (Tensor or shape): a tensor, or a shape (tuple or list) for a tensor of zeros.

Returns:
    str: the table, one line per call indented by depth, then the parameter totals.

Example:
    >>> from kindling import nn
    >>> print(nn.summary(nn.Sequential(nn.Linear(4, 8), nn.ReLU()), (1, 4)))
    ================================================
    Layer (type)  Output shape               Param #
    ================================================
    Sequential    (1,8)                           40
      0 (Linear)  (1,8)                           40
      1 (ReLU)    (1,8)                            0
    ================================================
    Total params: 40
    Trainable params: 40
    Input shape: (1,4)
    ================================================
    <BLANKLINE>
)");
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
      R"(:func:`summary`'s rows as dicts: ``name`` (dotted, ``''`` for the model), ``type``, ``depth``, ``output_shape`` (tuple) and ``parameters`` (including the submodules').

Args:
    model (Module): the model.
    input (Tensor): the input to run it on.

Example:
    >>> from kindling import nn
    >>> rows = nn.summarize(nn.Sequential(nn.Linear(4, 8), nn.ReLU()), kindling.zeros(1, 4))
    >>> [(r["name"], r["type"], r["output_shape"], r["parameters"]) for r in rows]
    [('', 'Sequential', (1, 8), 40), ('0', 'Linear', (1, 8), 40), ('1', 'ReLU', (1, 8), 0)]
)");
  py::class_<nn::RunningMean>(
      m, "RunningMean",
      R"(A weighted running mean, e.g. of the loss over an epoch weighted by batch size.

Example:
    >>> loss = kindling.nn.RunningMean()
    >>> loss.add(1.0)
    >>> loss.add(3.0, weight=3.0)
    >>> loss.mean()
    2.5
)")
      .def(py::init<>(), "Makes an empty mean.")
      .def("add", &nn::RunningMean::add, py::arg("value"), py::arg("weight") = 1.0,
           "Adds ``value`` with ``weight`` (default 1).")
      .def("mean", &nn::RunningMean::mean,
           "The weighted mean so far (0.0 when nothing was added); a method, as it is worked "
           "out when asked.")
      .def("reset", &nn::RunningMean::reset, "Forgets every value added.");
}

}  // namespace kindling::python
