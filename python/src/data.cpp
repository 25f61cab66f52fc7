// kindling.nn's data sets (TensorDataset, Subset, random_split) and DataLoader, and the CSV and
// Fashion-MNIST readers.
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
#include "kindling/tensor/creation.hpp"
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
             if (i < 0 || i >= n) raise_index_error("dataset index out of range");
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

  // A Subset keeps its Python data set alive through its `dataset` attribute (the C++ class holds
  // a reference), as torch's Subset has `dataset` and `indices`.
  py::class_<nn::Subset, nn::Dataset>(m, "Subset", py::dynamic_attr(),
                                      "The samples of a data set at the given indices")
      .def(py::init([](const nn::Dataset& dataset, const std::vector<std::int64_t>& indices) {
             return nn::Subset(dataset, indices);
           }),
           py::arg("dataset"), py::arg("indices"), py::keep_alive<1, 2>())
      .def_property_readonly("indices", &nn::Subset::indices);
  m.def(
      "random_split",
      [](const py::object& dataset, const py::sequence& lengths,
         const std::optional<std::uint64_t>& seed) {
        const auto& data = dataset.cast<const nn::Dataset&>();
        bool fractions = false;
        for (py::handle length : lengths)
          fractions = fractions || py::isinstance<py::float_>(length);
        std::vector<nn::Subset> parts = with_generator(seed, [&](Generator& g) {
          return fractions
                     ? nn::random_split_fractions(data, lengths.cast<std::vector<double>>(), g)
                     : nn::random_split(data, lengths.cast<std::vector<std::int64_t>>(), g);
        });
        py::list out;
        for (nn::Subset& part : parts) {
          py::object subset = py::cast(std::move(part));
          subset.attr("dataset") = dataset;
          out.append(subset);
        }
        return out;
      },
      py::arg("dataset"), py::arg("lengths"), py::arg("seed") = py::none(),
      "Subsets of the given lengths (or fractions adding up to 1) in a random order, as "
      "torch.utils.data.random_split; `seed` seeds the order (else kindling.manual_seed's "
      "generator)");

  py::class_<nn::CsvTable>(m, "CsvTable", "A CSV file of numbers: header, then rows")
      .def_readonly("header", &nn::CsvTable::header)
      .def_readonly("rows", &nn::CsvTable::rows)
      .def_readonly("cols", &nn::CsvTable::cols)
      .def_readonly("source", &nn::CsvTable::source)
      .def_readonly("line_numbers", &nn::CsvTable::line_numbers)
      .def(
          "tensor",
          [](const nn::CsvTable& t) {
            return from_vector(t.values, {t.rows, t.cols}, DType::float64);
          },
          "The values as a (rows, cols) float64 tensor")
      .def("__repr__", [](const nn::CsvTable& t) {
        return "CsvTable('" + t.source + "', " + std::to_string(t.rows) + " rows x " +
               std::to_string(t.cols) + " columns)";
      });
  m.def("read_csv", &nn::read_csv, py::arg("path"), py::arg("has_header") = py::none(),
        py::arg("delimiter") = ',',
        "A CSV file of numbers (plain or gzip-compressed) as a CsvTable; errors name the file, "
        "line and column. has_header=None detects the header: the first row is one when a field "
        "of it is not a number");
  m.def(
      "csv_dataset",
      [](const py::object& source, std::int64_t target_column, std::optional<bool> has_header,
         char delimiter) {
        if (py::isinstance<nn::CsvTable>(source))
          return nn::csv_dataset(source.cast<const nn::CsvTable&>(), target_column);
        return nn::csv_dataset(
            nn::read_csv(py::str(source).cast<std::string>(), has_header, delimiter),
            target_column);
      },
      py::arg("source"), py::arg("target_column") = -1, py::arg("has_header") = py::none(),
      py::arg("delimiter") = ',',
      "A TensorDataset from a CSV file (a path or a CsvTable): the other columns as float32 "
      "inputs, target_column (default -1: the last) as int64 classes (a label that is not a whole "
      "number, such as 2.7, "
      "is an error naming the file, line and column)");

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
