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
  py::class_<nn::Dataset>(
      m, "Dataset",
      R"(The base of the data sets: samples of (input, target) that a DataLoader stacks into batches.

``len(dataset)`` is the sample count and ``dataset[i]`` one sample as an ``(input, target)``
tuple (negative i counts from the end). Unlike torch.utils.data.Dataset it cannot be subclassed
in Python: make a :class:`TensorDataset` from tensors.

Raises:
    kindling.IndexError: for an index out of range.

Example:
    >>> ds = kindling.nn.TensorDataset(kindling.arange(6.0).reshape(3, 2), kindling.tensor([0, 1, 0]))
    >>> isinstance(ds, kindling.nn.Dataset), len(ds)
    (True, 3)
    >>> ds[-1]
    (tensor([4.0000, 5.0000]), tensor(0, dtype=int64))
)")
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
          py::arg("indices"),
          R"(The samples at ``indices``, stacked along a new first dimension: ``(inputs, targets)``.

Args:
    indices (list of int): sample positions.

Raises:
    kindling.Error: for a position out of range.

Example:
    >>> ds = kindling.nn.TensorDataset(kindling.arange(6.0).reshape(3, 2), kindling.tensor([0, 1, 0]))
    >>> x, y = ds.get_batch([0, 2])
    >>> x.shape, y
    ((2, 2), tensor([0, 0], dtype=int64))
)");
  py::class_<nn::TensorDataset, nn::Dataset>(
      m, "TensorDataset",
      R"(A data set whose samples are the rows of two tensors, as torch.utils.data.TensorDataset (with exactly two).

Args:
    inputs (Tensor or array-like): ``(N, ...)``.
    targets (Tensor or array-like): ``(N, ...)``, the same N.

Raises:
    kindling.Error: when the first dimensions differ.

Example:
    >>> ds = kindling.nn.TensorDataset(kindling.zeros(5, 2), kindling.tensor([0, 1, 0, 1, 1]))
    >>> len(ds), ds.inputs.shape
    (5, (5, 2))
)")
      .def(py::init([](const py::object& inputs, const py::object& targets) {
             return nn::TensorDataset(as_tensor(inputs), as_tensor(targets));
           }),
           py::arg("inputs"), py::arg("targets"), "Makes the data set (see the class docstring).")
      .def_property_readonly("inputs", &nn::TensorDataset::inputs, "The inputs, ``(N, ...)``.")
      .def_property_readonly("targets", &nn::TensorDataset::targets, "The targets, ``(N, ...)``.");

  // A Subset keeps its Python data set alive through its `dataset` attribute (the C++ class holds
  // a reference), as torch's Subset has `dataset` and `indices`.
  py::class_<nn::Subset, nn::Dataset>(
      m, "Subset", py::dynamic_attr(),
      R"(The samples of a data set at the given indices, in that order, as torch.utils.data.Subset.

The subset keeps the data set alive. Those made by :func:`random_split` have a ``dataset``
attribute, as torch's; one made here does not.

Args:
    dataset (Dataset): the data set.
    indices (list of int): positions in it.

Raises:
    kindling.Error: for an index out of range.

Example:
    >>> ds = kindling.nn.TensorDataset(kindling.arange(5.0), kindling.arange(5, dtype="int64"))
    >>> sub = kindling.nn.Subset(ds, [4, 0])
    >>> len(sub), sub[0]
    (2, (tensor(4.0000), tensor(4, dtype=int64)))
)")
      .def(py::init([](const nn::Dataset& dataset, const std::vector<std::int64_t>& indices) {
             return nn::Subset(dataset, indices);
           }),
           py::arg("dataset"), py::arg("indices"), py::keep_alive<1, 2>(),
           "Makes the subset (see the class docstring).")
      .def_property_readonly("indices", &nn::Subset::indices,
                             "The positions in the data set, in order (list of int).");
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
      R"(Splits a data set into non-overlapping Subsets of the given lengths, its samples in a random order, as torch.utils.data.random_split.

Fractions adding up to 1 are taken too: each subset gets ``floor(fraction * size)`` samples and
the remainder goes one by one to the first subsets, as torch's. Each subset has a ``dataset``
attribute.

Args:
    dataset (Dataset): the data set.
    lengths (sequence of int or float): lengths adding up to ``len(dataset)``, or fractions
        adding up to 1.
    seed (int, optional): seed the order (else kindling.manual_seed's generator; torch takes a
        ``generator``).

Returns:
    list of Subset: one per length.

Raises:
    kindling.Error: for lengths that do not add up to the size (or fractions to 1), or negative
        ones.

Example:
    >>> ds = kindling.nn.TensorDataset(kindling.zeros(10, 2), kindling.zeros(10, dtype="int64"))
    >>> train, val = kindling.nn.random_split(ds, [0.8, 0.2], seed=0)
    >>> len(train), len(val), sorted(train.indices + val.indices) == list(range(10))
    (8, 2, True)
)");

  py::class_<nn::CsvTable>(
      m, "CsvTable",
      R"(A CSV file of numbers, as :func:`read_csv` reads it: an optional header, then rows of one length.

Example:
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "data.csv")
    >>> with open(path, "w") as f:
    ...     _ = f.write("x,y,label\n0.5,1.0,0\n2.0,3.5,1\n")
    >>> table = kindling.nn.read_csv(path)
    >>> table.header, table.rows, table.cols, table.line_numbers
    (['x', 'y', 'label'], 2, 3, [2, 3])
)")
      .def_readonly("header", &nn::CsvTable::header,
                    "The column names (list of str); empty when the file has no header.")
      .def_readonly("rows", &nn::CsvTable::rows, "The number of data rows (int).")
      .def_readonly("cols", &nn::CsvTable::cols, "The number of columns (int).")
      .def_readonly("source", &nn::CsvTable::source, "The file the table came from (str).")
      .def_readonly("line_numbers", &nn::CsvTable::line_numbers,
                    "The 1-based line of each data row in the file (list of int).")
      .def(
          "tensor",
          [](const nn::CsvTable& t) {
            return from_vector(t.values, {t.rows, t.cols}, DType::float64);
          },
          R"(The values as a ``(rows, cols)`` float64 tensor.

Example:
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "data.csv")
    >>> with open(path, "w") as f:
    ...     _ = f.write("1,2\n3,4\n")
    >>> kindling.nn.read_csv(path).tensor()
    tensor([[1.0000, 2.0000],
            [3.0000, 4.0000]], dtype=float64)
)")
      .def("__repr__", [](const nn::CsvTable& t) {
        return "CsvTable('" + t.source + "', " + std::to_string(t.rows) + " rows x " +
               std::to_string(t.cols) + " columns)";
      });
  m.def(
      "read_csv", &nn::read_csv, py::arg("path"), py::arg("has_header") = py::none(),
      py::arg("delimiter") = ',',
      R"(A CSV file of numbers (plain, or gzip-compressed: detected by its bytes) as a :class:`CsvTable`.

Blank lines are skipped and a ``\r`` before ``\n`` is dropped; numbers are what C's strtod reads
(with blanks around them).

Args:
    path (str): the file.
    has_header (bool, optional): None (the default) detects it: the first row is a header when
        one of its fields is not a number.
    delimiter (str): one character, not part of a number nor a line break (default ``','``).

Raises:
    kindling.Error: naming the file, line and column, for a missing or unreadable file, a field
        that is not a number, a row of another length, a number beyond double's range, or a bad
        delimiter.

Example:
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "data.csv")
    >>> with open(path, "w") as f:
    ...     _ = f.write("1,2\n3,x\n")
    >>> try:
    ...     kindling.nn.read_csv(path)
    ... except kindling.Error as e:
    ...     print("line 2" in str(e))
    True
)");
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
      R"(A :class:`TensorDataset` from a CSV file: the other columns as float32 inputs, ``target_column`` as int64 classes.

Args:
    source (str or CsvTable): a path (read with :func:`read_csv`) or a table already read.
    target_column (int): the label column; negative counts from the end (default -1, the last).
    has_header (bool, optional): as read_csv's (for a path).
    delimiter (str): as read_csv's (for a path).

Raises:
    kindling.Error: naming the file, line and column, for a label that is not a whole number in
        [0, 2^63) (NaN, inf, 2.7, -1), an input beyond float32's range, a target_column out of
        range, or any read_csv error.

Example:
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "data.csv")
    >>> with open(path, "w") as f:
    ...     _ = f.write("x,y,label\n0.5,1.0,0\n2.0,3.5,1\n")
    >>> ds = kindling.nn.csv_dataset(path)
    >>> ds.inputs.shape, ds.targets
    ((2, 2), tensor([0, 1], dtype=int64))
)");

  py::class_<nn::DataLoader>(
      m, "DataLoader",
      R"(Batches of ``(inputs, targets)`` from a Dataset, as torch.utils.data.DataLoader.

Each pass over the loader is one epoch; ``len(loader)`` is the batches per epoch. With
``shuffle=True`` each epoch draws a new order (a Fisher-Yates shuffle) from the loader's own
generator, seeded with ``seed``, so two loaders with the same seed give the same batches.
Batches are made on the calling thread (torch's num_workers, collate_fn, samplers and
pin_memory are not supported); the loader keeps its data set alive.

Args:
    dataset (Dataset): the samples.
    batch_size (int): samples per batch (> 0; default 32).
    shuffle (bool): a new order each epoch (default False).
    drop_last (bool): drop a last batch smaller than batch_size (default False).
    seed (int): the shuffling generator's seed (default 0).

Raises:
    kindling.Error: for a batch_size <= 0.

Example:
    >>> ds = kindling.nn.TensorDataset(kindling.arange(10.0).reshape(5, 2), kindling.tensor([0, 1, 0, 1, 1]))
    >>> loader = kindling.nn.DataLoader(ds, batch_size=2)
    >>> len(loader)
    3
    >>> for x, y in loader:
    ...     print(x.shape, y.tolist())
    (2, 2) [0, 1]
    (2, 2) [0, 1]
    (1, 2) [1]
    >>> def epoch(seed):
    ...     return [y.tolist() for _, y in kindling.nn.DataLoader(ds, 2, shuffle=True, seed=seed)]
    >>> epoch(1) == epoch(1)
    True
)")
      .def(py::init([](const nn::Dataset& dataset, std::int64_t batch_size, bool shuffle,
                       bool drop_last, std::uint64_t seed) {
             return std::make_unique<nn::DataLoader>(
                 dataset, nn::LoaderOptions{batch_size, shuffle, drop_last, seed});
           }),
           py::arg("dataset"), py::arg("batch_size") = 32, py::arg("shuffle") = false,
           py::arg("drop_last") = false, py::arg("seed") = 0, py::keep_alive<1, 2>(),
           "Makes the loader (see the class docstring for the arguments).")
      .def("__len__", &nn::DataLoader::size)
      .def(
          "__iter__",
          [](nn::DataLoader& loader) {
            return LoaderIterator{&loader, std::nullopt};
          },
          py::keep_alive<0, 1>())
      .def_property_readonly("order", &nn::DataLoader::order,
                             "The sample order of the current (or last) epoch, a list of "
                             "indices; ``range(len(dataset))`` before the first epoch.");
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
      R"(Fashion-MNIST as a :class:`TensorDataset`: inputs ``(N, 784)`` float32 in [0, 1], labels ``(N,)`` int64.

60000 training or 10000 test images, read from the gzipped IDX files of Debian's
dataset-fashion-mnist package (``FASHION_MNIST_LABELS`` names the ten classes).

Args:
    split (str): ``'train'`` (default) or ``'test'``.
    dir (str, optional): the folder; else $KINDLING_FASHION_MNIST, else
        /usr/share/datasets/fashion-mnist (see :func:`fashion_mnist_dir`).

Raises:
    kindling.Error: for another split, or a missing or corrupt file (the message names it and
        says what to install).

Example (needs the data set installed, so not run here)::

    train = kindling.nn.fashion_mnist("train")
    len(train), train.inputs.shape      # 60000, (60000, 784)
)");
  m.def(
      "fashion_mnist_dir",
      [](const std::optional<std::string>& dir) { return nn::fashion_mnist_dir(dir.value_or("")); },
      py::arg("dir") = py::none(),
      R"(The folder :func:`fashion_mnist` reads: ``dir`` if given, else $KINDLING_FASHION_MNIST, else /usr/share/datasets/fashion-mnist.

Example:
    >>> kindling.nn.fashion_mnist_dir("/data/fmnist")
    '/data/fmnist'
)");

  py::list labels;
  for (const char* label : nn::kFashionMnistLabels)
    labels.append(label);
  m.attr("FASHION_MNIST_LABELS") = labels;
}

}  // namespace kindling::python
