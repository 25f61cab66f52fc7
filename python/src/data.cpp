// kindling.nn's data sets and DataLoader, and the Fashion-MNIST reader.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "kindling/nn/data.hpp"
#include "kindling/nn/readers.hpp"
#include "nn_support.hpp"
#include "tensor_support.hpp"

namespace kindling::python {

namespace {

// One pass over a DataLoader: begin() (which reshuffles) on the first next(), then ++.
struct LoaderIterator {
  nn::DataLoader* loader;
  std::optional<nn::DataLoader::Iterator> it;
};

}  // namespace

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

}  // namespace kindling::python
