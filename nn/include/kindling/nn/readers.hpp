// File readers: IDX (MNIST's format, plain or gzipped, read through zlib), CSV, and the
// Fashion-MNIST data set as Debian's dataset-fashion-mnist package installs it.
// Every malformed file gives kindling::error naming the file and the byte offset (or line and
// column); each reader has an in-memory twin (parse_*) on the same code path, for tests and
// fuzzing.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kindling/nn/data.hpp"

namespace kindling::nn {

// The decompressed bytes of a file; gzip is detected by its magic bytes (concatenated gzip
// members are read in turn, as gunzip does), anything else is read as is.
std::vector<std::uint8_t> read_maybe_gzip(const std::string& path);

// An IDX array of unsigned bytes (type code 0x08): big-endian magic 0x00 0x00 0x08 ndim, then
// ndim big-endian uint32 sizes, then the data.
//
// Note [bounded IDX reads]
// The header is read and checked first, gzip or not: the magic, the sizes (multiplied with
// checked_mul, so 2^31 x 4 x 2^31 is an error rather than 0), and that the announced byte count
// is plausible: exactly the rest of a plain file, at most 1032 times the size of a gzip file
// (deflate's largest ratio). Only then is the data read, in pieces, stopping with an error when
// it ends early or at the first byte past the announced count. A small hostile file therefore
// costs memory in proportion to the data it really holds, never to what it claims or inflates to.
struct IdxArray {
  std::vector<std::int64_t> shape;
  std::vector<std::uint8_t> data;
};
IdxArray read_idx(const std::string& path);
// The same on a file's bytes in memory, plain or gzip; `name` is for messages.
IdxArray parse_idx(std::span<const std::uint8_t> bytes, const std::string& name);
// An IDX file (plain) holding `array`; its shape must have 1 to 255 sizes below 2^32 whose
// product is data.size().
std::vector<std::uint8_t> serialize_idx(const IdxArray& array);

// A CSV file of numbers: an optional header row, then rows with the same number of fields. The
// header is detected unless has_header says: the first row is a header when one of its fields is
// not a number (sklearn's digits.csv.gz has none, and its first row is data).
// Blank lines are skipped; a "\r" before "\n" is dropped. Numbers are what strtod reads (with
// blanks around them); one that overflows double is an error naming the line and column.
struct CsvTable {
  std::vector<std::string> header;  // empty when has_header is false
  std::vector<double> values;       // (rows, cols), row-major
  std::int64_t rows = 0, cols = 0;
  std::string source;                      // the file (for messages); may be empty
  std::vector<std::int64_t> line_numbers;  // the 1-based line of each row; may be empty
};
// The file may be gzip-compressed (detected by its magic bytes, e.g. sklearn's digits.csv.gz).
CsvTable read_csv(const std::string& path, std::optional<bool> has_header = std::nullopt,
                  char delimiter = ',');
// The same on text in memory; `name` is for messages. The delimiter cannot be a character of a
// number (a letter, a digit, + - .) nor a line break. Gzip-compressed bytes are an error that
// says they look gzip-compressed (read_csv inflates them).
CsvTable parse_csv(std::string_view text, const std::string& name,
                   std::optional<bool> has_header = std::nullopt, char delimiter = ',');
// CSV text that parse_csv reads back to the same table (header, shape and values, each value
// written with the fewest digits that round-trip). Lines end in "\r\n".
std::string format_csv(const CsvTable& table, char delimiter = ',');
// Columns other than target_column become float32 inputs; target_column (negative counts from the
// end: -1, the default, is the last column) becomes int64 class targets. A target that is not a
// whole number in [0, 2^63) (NaN, infinite, 2.5, -1) and an input beyond float32's range are errors
// naming the file, line and column.
TensorDataset csv_dataset(const CsvTable& table, std::int64_t target_column = -1);

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
