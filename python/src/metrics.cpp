// kindling.nn's metrics: accuracy, ConfusionMatrix and RunningMean.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "kindling/nn/metrics.hpp"
#include "tensor_support.hpp"

namespace kindling::python {

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
      .def("mean", &nn::RunningMean::mean,
           "The weighted mean so far (Note [properties and methods] in python/src/bindings.hpp)")
      .def("reset", &nn::RunningMean::reset);
}

}  // namespace kindling::python
