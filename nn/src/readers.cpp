// IDX, CSV and Fashion-MNIST readers. Errors name the file and the byte offset of the problem
// (or its line and column). Files and bytes in memory share one path: a source of chunks, a
// plain or gzip byte stream over it, and the parser (Note [bounded IDX reads] in readers.hpp).
#include "kindling/nn/readers.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <optional>

#include "byte_stream.hpp"
#include "file_io.hpp"
#include "kindling/engine/error.hpp"
#include "kindling/tensor/creation.hpp"
#include "text.hpp"

namespace kindling::nn {

namespace {

// ---- IDX ---------------------------------------------------------------------------------------

IdxArray parse_idx_stream(io::ByteStream& in, const std::string& name) {
  const std::string file = "IDX file '" + name + "'";
  std::uint8_t magic[4];
  const std::size_t got = in.read(magic, 4);
  KINDLING_CHECK(got == 4, file, ": ", got,
                 " bytes, too short for the 4-byte magic number at offset 0");
  KINDLING_CHECK(magic[0] == 0 && magic[1] == 0, file,
                 ": bad magic number at offset 0 (the first two bytes must be zero)");
  KINDLING_CHECK(magic[2] == 0x08, file, ": element type 0x", std::hex, static_cast<int>(magic[2]),
                 std::dec, " at offset 2; only unsigned bytes (0x08) are supported");
  const int ndim = magic[3];
  KINDLING_CHECK(ndim >= 1, file, ": zero dimensions at offset 3");
  const std::size_t header = 4 + 4 * static_cast<std::size_t>(ndim);
  std::uint8_t sizes[4 * 255];
  const std::size_t got_sizes = in.read(sizes, header - 4);
  KINDLING_CHECK(got_sizes == header - 4, file, ": truncated in the dimension list (needs ", header,
                 " bytes, the file has ", 4 + got_sizes, ")");
  IdxArray out;
  std::int64_t count = 1;
  for (int d = 0; d < ndim; ++d) {
    const std::uint8_t* p = sizes + 4 * d;
    const std::int64_t size = (std::int64_t{p[0]} << 24) | (std::int64_t{p[1]} << 16) |
                              (std::int64_t{p[2]} << 8) | std::int64_t{p[3]};
    count = checked_mul(count, size, file + ": the size at offset " + std::to_string(4 + 4 * d),
                        "bytes");
    out.shape.push_back(size);
  }
  const auto announced = static_cast<std::uint64_t>(count);
  // Plausible before a byte of data is read.
  if (const auto exact = in.exact_remaining()) {
    KINDLING_CHECK(*exact == announced, file, ": the header at offset 4 announces ", count,
                   " bytes of data after offset ", header, " but there are ", *exact);
  } else if (const auto bound = in.max_remaining()) {
    KINDLING_CHECK(announced <= *bound, file, ": the header at offset 4 announces ", count,
                   " bytes of data, more than a ", in.kind(), " of this size can hold (at most ",
                   *bound, ")");
  }
  KINDLING_CHECK(announced <= std::numeric_limits<std::size_t>::max(), file, ": ", count,
                 " bytes of data do not fit in memory");
  const auto want = static_cast<std::size_t>(announced);
  // A plain file's size is real: reserve it. A gzip file's bound is only plausible (a 100 MB
  // file may claim 100 GB), so reserve at most 64 MiB and let the vector grow as data arrives.
  const std::size_t reserve =
      in.exact_remaining() ? want : std::min<std::size_t>(want, std::size_t{1} << 26);
  constexpr std::size_t kPiece = std::size_t{1} << 16;
  try {
    out.data.reserve(reserve);
    while (out.data.size() < want) {
      const std::size_t have = out.data.size();
      const std::size_t ask = std::min(kPiece, want - have);
      out.data.resize(have + ask);
      const std::size_t n = in.read(out.data.data() + have, ask);
      out.data.resize(have + n);
      KINDLING_CHECK(n == ask, file, ": the header at offset 4 announces ", count,
                     " bytes of data after offset ", header, " but there are ", have + n);
    }
  } catch (const std::bad_alloc&) {
    throw error(file + ": out of memory after " + std::to_string(out.data.size()) + " of the " +
                std::to_string(count) + " bytes the header announces");
  }
  std::uint8_t extra = 0;
  KINDLING_CHECK(in.read(&extra, 1) == 0, file, ": the header at offset 4 announces ", count,
                 " bytes of data after offset ", header, " but there are more (from offset ",
                 header + want, ")");
  return out;
}

// ---- CSV ---------------------------------------------------------------------------------------

bool is_blank(char c) noexcept {
  return c == ' ' || c == '\t';
}

// Characters a number (as strtod reads it, or as format_csv writes it) may hold, and line breaks.
bool can_delimit(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return !(std::isalnum(u) || c == '+' || c == '-' || c == '.' || c == '\n' || c == '\r' ||
           c == '\0');
}

}  // namespace

namespace {
// The file's bytes, inflated when they start with gzip's magic bytes; `who` names the caller in
// messages about the file itself.
std::vector<std::uint8_t> read_decompressed(const std::string& path, const char* who) {
  io::FileChunks source(path, who);
  const auto stream = io::open_stream(source, path);
  return io::read_all(*stream);
}
}  // namespace

std::vector<std::uint8_t> read_maybe_gzip(const std::string& path) {
  return read_decompressed(path, "read_maybe_gzip");
}

IdxArray parse_idx(std::span<const std::uint8_t> bytes, const std::string& name) {
  io::MemoryChunks source(bytes);
  const auto stream = io::open_stream(source, name);
  return parse_idx_stream(*stream, name);
}

IdxArray read_idx(const std::string& path) {
  io::FileChunks source(path, "read_idx");
  const auto stream = io::open_stream(source, path);
  return parse_idx_stream(*stream, path);
}

std::vector<std::uint8_t> serialize_idx(const IdxArray& array) {
  KINDLING_CHECK(!array.shape.empty() && array.shape.size() <= 255,
                 "serialize_idx: an IDX file has 1 to 255 sizes, got ", array.shape.size());
  std::int64_t count = 1;
  for (const std::int64_t d : array.shape) {
    KINDLING_CHECK(d >= 0 && d <= 0xFFFFFFFFLL, "serialize_idx: size ", d,
                   " does not fit the format's 32 bits");
    count = checked_mul(count, d, "serialize_idx", "bytes");
  }
  KINDLING_CHECK(static_cast<std::uint64_t>(count) == array.data.size(), "serialize_idx: shape ",
                 shape_string(array.shape), " holds ", count, " bytes, the data ",
                 array.data.size());
  std::vector<std::uint8_t> out = {0, 0, 0x08, static_cast<std::uint8_t>(array.shape.size())};
  for (const std::int64_t d : array.shape)
    for (int shift = 24; shift >= 0; shift -= 8)
      out.push_back(static_cast<std::uint8_t>((d >> shift) & 0xFF));
  out.insert(out.end(), array.data.begin(), array.data.end());
  return out;
}

// ---- CSV ---------------------------------------------------------------------------------------

namespace {
// A field strtod reads whole (blanks around it allowed).
bool is_number_field(std::string_view field) {
  const std::string number(field);
  char* end = nullptr;
  std::strtod(number.c_str(), &end);
  const auto parsed = static_cast<std::size_t>(end - number.c_str());
  return parsed > 0 && std::all_of(field.begin() + static_cast<std::ptrdiff_t>(parsed), field.end(),
                                   [](char ch) { return is_blank(ch); });
}
}  // namespace

CsvTable parse_csv(std::string_view text, const std::string& name,
                   std::optional<bool> has_header_option, char delimiter) {
  const std::string file = "CSV file '" + name + "'";
  KINDLING_CHECK(can_delimit(delimiter), file, ": the delimiter ",
                 text::quote_for_message({&delimiter, 1}),
                 " cannot separate numbers (it may be part of one, or a line break)");
  // Compressed bytes would fail on line 1 with a quote of binary noise: say what they are.
  KINDLING_CHECK(!(text.size() >= 2 && static_cast<unsigned char>(text[0]) == 0x1f &&
                   static_cast<unsigned char>(text[1]) == 0x8b),
                 file,
                 ": this looks gzip-compressed (it starts with gzip's magic bytes 1f 8b); "
                 "read_csv(path) inflates gzip files, parse_csv takes the decompressed text");
  CsvTable table;
  table.source = name;
  std::size_t pos = 0;
  std::int64_t line_number = 0;
  std::vector<std::string_view> fields;
  std::string number;  // one field, NUL-terminated for strtod
  while (pos < text.size()) {
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    const std::size_t line_start = pos;
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    fields.clear();
    for (std::size_t start = 0;;) {
      const std::size_t cut = line.find(delimiter, start);
      fields.push_back(line.substr(start, cut == std::string_view::npos ? cut : cut - start));
      if (cut == std::string_view::npos) break;
      start = cut + 1;
    }
    // Undecided, the first row decides: a header when one of its fields is not a number.
    const bool first_row = table.header.empty() && table.rows == 0;
    if (first_row && !has_header_option)
      has_header_option = !std::all_of(fields.begin(), fields.end(), is_number_field);
    if (first_row && *has_header_option) {
      table.header.assign(fields.begin(), fields.end());
      table.cols = static_cast<std::int64_t>(fields.size());
      continue;
    }
    if (table.cols == 0) table.cols = static_cast<std::int64_t>(fields.size());
    KINDLING_CHECK(static_cast<std::int64_t>(fields.size()) == table.cols, file, ": line ",
                   line_number, " (byte offset ", line_start, ") has ", fields.size(),
                   " fields, expected ", table.cols);
    std::size_t column_offset = line_start;
    for (std::size_t c = 0; c < fields.size(); ++c) {
      const std::string_view f = fields[c];
      number.assign(f);
      char* end = nullptr;
      errno = 0;
      const double value = std::strtod(number.c_str(), &end);
      const bool overflow = errno == ERANGE && std::isinf(value);
      // Everything after the number must be blanks, to the field's real end (a NUL inside a
      // field would stop strtod early).
      const auto parsed = static_cast<std::size_t>(end - number.c_str());
      const bool blank_tail =
          parsed > 0 && std::all_of(f.begin() + static_cast<std::ptrdiff_t>(parsed), f.end(),
                                    [](char ch) { return is_blank(ch); });
      KINDLING_CHECK(blank_tail, file, ": line ", line_number, ", column ", c + 1, " (byte offset ",
                     column_offset, "): ", text::quote_for_message(f), " is not a number");
      KINDLING_CHECK(!overflow, file, ": line ", line_number, ", column ", c + 1, " (byte offset ",
                     column_offset, "): ", text::quote_for_message(f),
                     " is beyond the range of a double");
      table.values.push_back(value);
      column_offset += f.size() + 1;
    }
    table.line_numbers.push_back(line_number);
    ++table.rows;
  }
  return table;
}

CsvTable read_csv(const std::string& path, std::optional<bool> has_header, char delimiter) {
  // Plain or gzip (detected by its magic bytes, not by the name): sklearn ships digits.csv.gz.
  const std::vector<std::uint8_t> bytes = read_decompressed(path, "read_csv");
  return parse_csv({reinterpret_cast<const char*>(bytes.data()), bytes.size()}, path, has_header,
                   delimiter);
}

std::string format_csv(const CsvTable& table, char delimiter) {
  KINDLING_CHECK(can_delimit(delimiter), "format_csv: the delimiter ",
                 text::quote_for_message({&delimiter, 1}), " cannot separate numbers");
  KINDLING_CHECK(table.rows >= 0 && table.cols >= 0 &&
                     table.values.size() == static_cast<std::size_t>(checked_mul(
                                                table.rows, table.cols, "format_csv", "values")),
                 "format_csv: ", table.rows, " x ", table.cols, " table with ", table.values.size(),
                 " values");
  std::string out;
  if (!table.header.empty()) {
    KINDLING_CHECK(static_cast<std::int64_t>(table.header.size()) == table.cols || table.rows == 0,
                   "format_csv: ", table.header.size(), " header fields for ", table.cols,
                   " columns");
    // A header of one empty field would be a blank line, which a reader skips.
    KINDLING_CHECK(table.header.size() > 1 || !table.header[0].empty(),
                   "format_csv: a header of one empty field cannot be written");
    for (std::size_t c = 0; c < table.header.size(); ++c) {
      const std::string& h = table.header[c];
      KINDLING_CHECK(h.find(delimiter) == std::string::npos && h.find('\n') == std::string::npos,
                     "format_csv: header field ", text::quote_for_message(h),
                     " holds the delimiter or a line break");
      if (c > 0) out += delimiter;
      out += h;
    }
    out += "\r\n";  // a field ending in '\r' keeps it: the reader drops exactly one
  }
  char buffer[64];
  for (std::int64_t r = 0; r < table.rows; ++r) {
    for (std::int64_t c = 0; c < table.cols; ++c) {
      if (c > 0) out += delimiter;
      const double v = table.values[static_cast<std::size_t>(r * table.cols + c)];
      const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, v);
      out.append(buffer, end);
    }
    out += "\r\n";
  }
  return out;
}

TensorDataset csv_dataset(const CsvTable& table, std::int64_t target_column) {
  KINDLING_CHECK(target_column >= -table.cols && target_column < table.cols && table.rows > 0,
                 "csv_dataset: target column ", target_column, " of a table with ", table.rows,
                 " rows and ", table.cols, " columns");
  if (target_column < 0) target_column += table.cols;
  KINDLING_CHECK(table.values.size() == static_cast<std::size_t>(checked_mul(
                                            table.rows, table.cols, "csv_dataset", "values")),
                 "csv_dataset: a ", table.rows, " x ", table.cols, " table with ",
                 table.values.size(), " values");
  // "CSV file 'x.csv': line 7, column 3" when the table came from a file, else "row 5, column 3".
  auto where = [&](std::int64_t r, std::int64_t c) {
    std::string s = "csv_dataset: ";
    if (!table.source.empty()) s += "CSV file '" + table.source + "': ";
    if (static_cast<std::int64_t>(table.line_numbers.size()) == table.rows)
      s += "line " + std::to_string(table.line_numbers[static_cast<std::size_t>(r)]);
    else
      s += "row " + std::to_string(r + 1);
    return s + ", column " + std::to_string(c + 1);
  };
  std::vector<float> inputs;
  std::vector<std::int64_t> targets;
  inputs.reserve(static_cast<std::size_t>(table.rows * (table.cols - 1)));
  targets.reserve(static_cast<std::size_t>(table.rows));
  constexpr double kFloatMax = std::numeric_limits<float>::max();
  for (std::int64_t r = 0; r < table.rows; ++r)
    for (std::int64_t c = 0; c < table.cols; ++c) {
      const double v = table.values[static_cast<std::size_t>(r * table.cols + c)];
      if (c == target_column) {
        // [0, 2^63) and whole: a class index (both bounds are exact doubles).
        KINDLING_CHECK(std::isfinite(v) && v == std::trunc(v) && v >= 0.0 && v < 0x1p63,
                       where(r, c), ": the label ", v,
                       " is not a class (a whole number from 0 to 2^63 - 1)");
        targets.push_back(static_cast<std::int64_t>(v));
      } else {
        // Beyond float32 it would become infinite: say so. (NaN and infinities stay as given.)
        KINDLING_CHECK(!std::isfinite(v) || std::fabs(v) <= kFloatMax, where(r, c), ": ", v,
                       " is beyond the range of float32");
        inputs.push_back(static_cast<float>(v));
      }
    }
  return TensorDataset(from_vector(inputs, {table.rows, table.cols - 1}),
                       from_vector(targets, {table.rows}));
}

// ---- Fashion-MNIST -----------------------------------------------------------------------------

std::string fashion_mnist_dir(const std::string& dir) {
  if (!dir.empty()) return dir;
  if (const char* env = std::getenv("KINDLING_FASHION_MNIST"); env && *env) return env;
  return "/usr/share/datasets/fashion-mnist";
}

TensorDataset fashion_mnist(Split split, const std::string& dir) {
  const std::string folder = fashion_mnist_dir(dir);
  const std::string stem = split == Split::train ? "train" : "t10k";
  const std::string image_path = folder + "/" + stem + "-images-idx3-ubyte.gz";
  const std::string label_path = folder + "/" + stem + "-labels-idx1-ubyte.gz";
  auto load = [](const std::string& path) {
    try {
      return read_idx(path);
    } catch (const error& e) {
      throw error(std::string("Fashion-MNIST: ") + e.what() +
                  "\n  install it with `apt-get install dataset-fashion-mnist`, or point "
                  "--data / KINDLING_FASHION_MNIST at a folder holding the four "
                  "*-ubyte.gz files");
    }
  };
  const IdxArray images = load(image_path);
  const IdxArray labels = load(label_path);
  KINDLING_CHECK(images.shape.size() == 3 && images.shape[1] == 28 && images.shape[2] == 28,
                 "Fashion-MNIST: '", image_path, "' holds shape ", shape_string(images.shape),
                 ", expected (N,28,28)");
  KINDLING_CHECK(labels.shape.size() == 1 && labels.shape[0] == images.shape[0], "Fashion-MNIST: '",
                 label_path, "' holds ", shape_string(labels.shape), " labels for ",
                 images.shape[0], " images");
  const std::int64_t n = images.shape[0];
  std::vector<float> pixels(images.data.size());
  for (std::size_t i = 0; i < pixels.size(); ++i)
    pixels[i] = static_cast<float>(images.data[i]) * (1.0f / 255.0f);
  std::vector<std::int64_t> classes(labels.data.size());
  for (std::size_t i = 0; i < classes.size(); ++i) {
    KINDLING_CHECK(labels.data[i] < 10, "Fashion-MNIST: '", label_path, "': label ",
                   static_cast<int>(labels.data[i]), " at data offset ", 8 + i,
                   " is not a class in 0..9");
    classes[i] = labels.data[i];
  }
  return TensorDataset(from_vector(pixels, {n, 784}), from_vector(classes, {n}));
}

}  // namespace kindling::nn
