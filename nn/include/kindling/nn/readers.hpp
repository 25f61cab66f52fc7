// File readers: IDX (MNIST's format, plain or gzipped, read through zlib), CSV, and the
// Fashion-MNIST data set as Debian's dataset-fashion-mnist package installs it.
// Every malformed file gives kindling::error naming the file and the byte offset.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kindling/nn/data.hpp"

namespace kindling::nn {

// The decompressed bytes of a file; gzip is detected by its magic bytes, anything else is read
// as is.
std::vector<std::uint8_t> read_maybe_gzip(const std::string& path);

// An IDX array of unsigned bytes (type code 0x08): big-endian magic 0x00 0x00 0x08 ndim, then
// ndim big-endian uint32 sizes, then the data.
struct IdxArray {
  std::vector<std::int64_t> shape;
  std::vector<std::uint8_t> data;
};
IdxArray read_idx(const std::string& path);
IdxArray parse_idx(const std::vector<std::uint8_t>& bytes, const std::string& path);

// A CSV file of numbers: an optional header row, then rows with the same number of fields.
struct CsvTable {
  std::vector<std::string> header;  // empty when has_header is false
  std::vector<double> values;       // (rows, cols), row-major
  std::int64_t rows = 0, cols = 0;
};
CsvTable read_csv(const std::string& path, bool has_header = true, char delimiter = ',');
// Columns other than target_column become float32 inputs; target_column becomes int64 targets.
TensorDataset csv_dataset(const CsvTable& table, std::int64_t target_column);

// Fashion-MNIST: 60000 training or 10000 test images as (N, 784) float32 in [0, 1] and labels
// (N,) int64. The folder is `dir` if given, else $KINDLING_FASHION_MNIST, else
// /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist). A missing or corrupt file
// is an error that names it and says what to install.
enum class Split { train, test };
std::string fashion_mnist_dir(const std::string& dir = {});
TensorDataset fashion_mnist(Split split, const std::string& dir = {});
inline constexpr const char* kFashionMnistLabels[10] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

}  // namespace kindling::nn
