// IDX, CSV and Fashion-MNIST readers. Errors name the file and the byte offset of the problem.
#include "kindling/nn/readers.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "kindling/engine/error.hpp"
#include "kindling/tensor/creation.hpp"

namespace kindling::nn {

namespace {

struct GzCloser {
  void operator()(gzFile_s* f) const noexcept { gzclose(f); }
};

std::vector<std::uint8_t> read_plain(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  KINDLING_CHECK(in.good(), "cannot open '", path, "': ", std::strerror(errno));
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(in.tellg()));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  KINDLING_CHECK(in.good() || bytes.empty(), "cannot read '", path, "'");
  return bytes;
}

}  // namespace

std::vector<std::uint8_t> read_maybe_gzip(const std::string& path) {
  std::vector<std::uint8_t> raw = read_plain(path);
  if (raw.size() < 2 || raw[0] != 0x1f || raw[1] != 0x8b) return raw;
  // gzip: decompress with zlib (windowBits 15 + 16 asks for the gzip wrapper).
  z_stream stream{};
  KINDLING_CHECK(inflateInit2(&stream, 15 + 16) == Z_OK, "cannot start zlib for '", path, "'");
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&stream, inflateEnd);
  std::vector<std::uint8_t> out;
  // The last 4 bytes of a gzip file hold the uncompressed size (mod 2^32): a reservation hint.
  const std::size_t n = raw.size();
  // Capped, so that a corrupt trailer cannot ask for gigabytes.
  if (n >= 18) {
    const std::size_t hint =
        raw[n - 4] | raw[n - 3] << 8 | raw[n - 2] << 16 | std::size_t{raw[n - 1]} << 24;
    out.reserve(std::min<std::size_t>(hint, std::size_t{1} << 28));
  }
  std::uint8_t chunk[1 << 16];
  stream.next_in = raw.data();
  stream.avail_in = static_cast<uInt>(raw.size());
  int status = Z_OK;
  while (status != Z_STREAM_END) {
    stream.next_out = chunk;
    stream.avail_out = sizeof chunk;
    status = inflate(&stream, Z_NO_FLUSH);
    const bool ok = status == Z_OK || status == Z_STREAM_END;
    KINDLING_CHECK(ok && !(status == Z_OK && stream.avail_in == 0 && stream.avail_out != 0),
                   "corrupt gzip data in '", path, "' at compressed byte offset ", stream.total_in,
                   " (", stream.total_out, " bytes decompressed): ",
                   stream.msg ? stream.msg : (ok ? "truncated file" : "inflate error"));
    out.insert(out.end(), chunk, chunk + (sizeof chunk - stream.avail_out));
  }
  return out;
}

IdxArray parse_idx(const std::vector<std::uint8_t>& bytes, const std::string& path) {
  KINDLING_CHECK(bytes.size() >= 4, "IDX file '", path, "': ", bytes.size(),
                 " bytes, too short for the 4-byte magic number at offset 0");
  KINDLING_CHECK(bytes[0] == 0 && bytes[1] == 0, "IDX file '", path,
                 "': bad magic number at offset 0 (the first two bytes must be zero)");
  KINDLING_CHECK(bytes[2] == 0x08, "IDX file '", path, "': element type 0x", std::hex,
                 static_cast<int>(bytes[2]), std::dec,
                 " at offset 2; only unsigned bytes (0x08) are supported");
  const int ndim = bytes[3];
  KINDLING_CHECK(ndim >= 1, "IDX file '", path, "': zero dimensions at offset 3");
  const std::size_t header = 4 + 4 * static_cast<std::size_t>(ndim);
  KINDLING_CHECK(bytes.size() >= header, "IDX file '", path,
                 "': truncated in the dimension list "
                 "(needs ",
                 header, " bytes, the file has ", bytes.size(), ")");
  IdxArray out;
  std::uint64_t count = 1;
  for (int d = 0; d < ndim; ++d) {
    const std::uint8_t* p = bytes.data() + 4 + 4 * d;
    const std::uint64_t size = (std::uint64_t{p[0]} << 24) | (std::uint64_t{p[1]} << 16) |
                               (std::uint64_t{p[2]} << 8) | std::uint64_t{p[3]};
    count *= size;
    KINDLING_CHECK(count <= (std::uint64_t{1} << 40), "IDX file '", path,
                   "': implausible size at offset ", 4 + 4 * d);
    out.shape.push_back(static_cast<std::int64_t>(size));
  }
  KINDLING_CHECK(bytes.size() - header == count, "IDX file '", path,
                 "': the header at offset 4 "
                 "announces ",
                 count, " bytes of data after offset ", header, " but there are ",
                 bytes.size() - header);
  out.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header), bytes.end());
  return out;
}

IdxArray read_idx(const std::string& path) {
  return parse_idx(read_maybe_gzip(path), path);
}

// ---- CSV ---------------------------------------------------------------------------------------

CsvTable read_csv(const std::string& path, bool has_header, char delimiter) {
  const std::vector<std::uint8_t> bytes = read_plain(path);
  const std::string text(bytes.begin(), bytes.end());
  CsvTable table;
  std::size_t pos = 0, line_number = 0;
  while (pos < text.size()) {
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    const std::size_t line_start = pos;
    std::string line = text.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> fields;
    std::size_t start = 0;
    for (;;) {
      const std::size_t cut = line.find(delimiter, start);
      fields.push_back(line.substr(start, cut - start));
      if (cut == std::string::npos) break;
      start = cut + 1;
    }
    if (has_header && table.header.empty()) {
      table.header = fields;
      table.cols = static_cast<std::int64_t>(fields.size());
      continue;
    }
    if (table.cols == 0) table.cols = static_cast<std::int64_t>(fields.size());
    KINDLING_CHECK(static_cast<std::int64_t>(fields.size()) == table.cols, "CSV file '", path,
                   "': line ", line_number, " (byte offset ", line_start, ") has ", fields.size(),
                   " fields, expected ", table.cols);
    std::size_t column_offset = line_start;
    for (std::size_t c = 0; c < fields.size(); ++c) {
      const std::string& f = fields[c];
      char* end = nullptr;
      const double value = std::strtod(f.c_str(), &end);
      const bool blank_tail =
          end != f.c_str() && std::string(end).find_first_not_of(" \t") == std::string::npos;
      KINDLING_CHECK(blank_tail, "CSV file '", path, "': line ", line_number, ", column ", c + 1,
                     " (byte offset ", column_offset, "): '", f, "' is not a number");
      table.values.push_back(value);
      column_offset += f.size() + 1;
    }
    ++table.rows;
  }
  return table;
}

TensorDataset csv_dataset(const CsvTable& table, std::int64_t target_column) {
  KINDLING_CHECK(target_column >= 0 && target_column < table.cols && table.rows > 0,
                 "csv_dataset: target column ", target_column, " of a table with ", table.rows,
                 " rows and ", table.cols, " columns");
  std::vector<float> inputs;
  std::vector<std::int64_t> targets;
  for (std::int64_t r = 0; r < table.rows; ++r)
    for (std::int64_t c = 0; c < table.cols; ++c) {
      const double v = table.values[static_cast<std::size_t>(r * table.cols + c)];
      if (c == target_column)
        targets.push_back(static_cast<std::int64_t>(v));
      else
        inputs.push_back(static_cast<float>(v));
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
