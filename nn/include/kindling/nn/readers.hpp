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

/// The decompressed bytes of a file; gzip is detected by its magic bytes (concatenated gzip
/// members are read in turn, as gunzip does), anything else is read as is.
/// @throws kindling::error naming the path when it cannot be opened or read (a folder, a missing
///   file), or when the gzip data is corrupt or truncated.
std::vector<std::uint8_t> read_maybe_gzip(const std::string& path);

// Note [bounded IDX reads]
// The header is read and checked first, gzip or not: the magic, the sizes (multiplied with
// checked_mul, so 2^31 x 4 x 2^31 is an error rather than 0), and that the announced byte count
// is plausible: exactly the rest of a plain file, at most 1032 times the size of a gzip file
// (deflate's largest ratio). Only then is the data read, in pieces, stopping with an error when
// it ends early or at the first byte past the announced count. A small hostile file therefore
// costs memory in proportion to the data it really holds, never to what it claims or inflates to.

/// An IDX array of unsigned bytes (type code 0x08), as MNIST ships: big-endian magic
/// 0x00 0x00 0x08 ndim, then ndim big-endian uint32 sizes, then the data (Note [bounded IDX
/// reads] above says how a read is checked).
struct IdxArray {
  std::vector<std::int64_t> shape;  ///< The sizes, 1 to 255 of them.
  std::vector<std::uint8_t> data;   ///< The elements, row-major: the product of the sizes.
};
/// Reads an IDX file, plain or gzip (by its magic bytes), with the checks of Note [bounded IDX
/// reads].
/// @throws kindling::error naming the file and the byte offset for a bad magic number, an element
///   type other than 0x08, zero dimensions, a truncated header, sizes whose product overflows,
///   data shorter or longer than announced, or a file that cannot be read.
IdxArray read_idx(const std::string& path);
/// The same on a file's bytes in memory, plain or gzip; `name` is for messages.
/// @throws kindling::error as read_idx.
IdxArray parse_idx(std::span<const std::uint8_t> bytes, const std::string& name);
/// An IDX file (plain) holding `array`.
/// @throws kindling::error unless its shape has 1 to 255 sizes below 2^32 whose product is
///   data.size().
std::vector<std::uint8_t> serialize_idx(const IdxArray& array);

/// A CSV file of numbers, as read_csv and parse_csv return it: an optional header row, then rows
/// with the same number of fields. The header is detected unless has_header says: the first row
/// is a header when one of its fields is not a number (sklearn's digits.csv.gz has none, and its
/// first row is data). Blank lines are skipped; a `\r` before `\n` is dropped. Numbers are what
/// strtod reads (with blanks around them); one that overflows double is an error naming the line
/// and column.
struct CsvTable {
  std::vector<std::string> header;  ///< The header's fields; empty when there is none.
  std::vector<double> values;       ///< (rows, cols), row-major.
  /// The number of data rows (the header not counted).
  std::int64_t rows = 0, cols = 0;         ///< The number of fields per row.
  std::string source;                      ///< The file (for messages); may be empty.
  std::vector<std::int64_t> line_numbers;  ///< The 1-based line of each row; may be empty.
};
/// Reads a CSV file of numbers (CsvTable). The file may be gzip-compressed (detected by its
/// magic bytes, e.g. sklearn's digits.csv.gz).
/// @throws kindling::error as parse_csv, or naming the path when it cannot be read.
CsvTable read_csv(const std::string& path, std::optional<bool> has_header = std::nullopt,
                  char delimiter = ',');
/// The same on text in memory; `name` is for messages. The delimiter cannot be a character of a
/// number (a letter, a digit, + - .) nor a line break.
/// @throws kindling::error naming the line, column and byte offset for a row with another number
///   of fields, a field that is not a number or overflows double; and for a bad delimiter or
///   gzip-compressed bytes (it says they look gzip-compressed: read_csv inflates them).
CsvTable parse_csv(std::string_view text, const std::string& name,
                   std::optional<bool> has_header = std::nullopt, char delimiter = ',');
/// CSV text that parse_csv reads back to the same table (header, shape and values, each value
/// written with the fewest digits that round-trip). Lines end in `\r\n`.
/// @throws kindling::error for a bad delimiter, values that are not rows x cols, a header of
///   another width, a header of one empty field, or a header field holding the delimiter or a
///   line break.
std::string format_csv(const CsvTable& table, char delimiter = ',');
/// A classification data set from a table: columns other than target_column become float32
/// inputs (rows, cols - 1); target_column (negative counts from the end: -1, the default, is the
/// last column) becomes int64 class targets (rows,).
/// @throws kindling::error for a target column outside the table or an empty table, a target
///   that is not a whole number in [0, 2^63) (NaN, infinite, 2.5, -1), and an input beyond
///   float32's range, naming the file, line and column.
TensorDataset csv_dataset(const CsvTable& table, std::int64_t target_column = -1);

/// Which half of a data set: the training or the test images.
enum class Split {
  train,  ///< Fashion-MNIST's 60000 training images (train-*-ubyte.gz).
  test    ///< Fashion-MNIST's 10000 test images (t10k-*-ubyte.gz).
};
/// The Fashion-MNIST folder: `dir` if given, else $KINDLING_FASHION_MNIST, else
/// /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist).
std::string fashion_mnist_dir(const std::string& dir = {});
/// Fashion-MNIST: 60000 training or 10000 test images as (N, 784) float32 in [0, 1] and labels
/// (N,) int64, read from the folder fashion_mnist_dir(dir) gives (the `*-idx3-ubyte.gz` and
/// `*-idx1-ubyte.gz` files). torchvision.datasets.FashionMNIST with ToTensor, flattened.
/// @throws kindling::error that names a missing or corrupt file and says what to install, for
///   images that are not (N, 28, 28), a label count that differs, or a label above 9.
TensorDataset fashion_mnist(Split split, const std::string& dir = {});
/// The names of Fashion-MNIST's ten classes, by label.
inline constexpr const char* kFashionMnistLabels[10] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

}  // namespace kindling::nn
