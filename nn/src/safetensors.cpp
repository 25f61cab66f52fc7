// safetensors writer and strict reader (Note [strict safetensors reader] in safetensors.hpp).
// Files and bytes in memory go through one reader over a ByteSource; tensor data is read
// straight into each tensor's storage (converted through a small buffer when the dtypes
// differ), so a load holds little more than the tensors it returns.
#include "kindling/nn/safetensors.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <new>
#include <vector>

#include "file_io.hpp"
#include "kindling/engine/error.hpp"
#include "kindling/engine/grad_mode.hpp"
#include "kindling/tensor/creation.hpp"
#include "safetensors_header.hpp"
#include "safetensors_internal.hpp"
#include "text.hpp"

namespace kindling::nn {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; a big-endian port must swap bytes here");

namespace {

using safetensors_detail::FileDType;
using safetensors_detail::HeaderEntry;

constexpr std::uint64_t kMaxHeader = 100'000'000;  // the format's own limit

// ---- where the bytes come from -----------------------------------------------------------------

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual std::uint64_t size() const = 0;
  // Copies out.size() bytes at `offset` (inside size()) into `out`.
  virtual void read(std::uint64_t offset, std::span<std::uint8_t> out) const = 0;
  // Calls `use(bytes, length)` over the n bytes at `offset`, in pieces whose lengths are
  // multiples of 8 (so of every element size) except perhaps the last.
  template <class Use>
  void each_piece(std::uint64_t offset, std::size_t n, Use&& use) const;
  virtual const std::uint8_t* memory() const noexcept { return nullptr; }
};

class MemorySource final : public ByteSource {
 public:
  explicit MemorySource(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  std::uint64_t size() const override { return bytes_.size(); }
  void read(std::uint64_t offset, std::span<std::uint8_t> out) const override {
    if (!out.empty()) std::memcpy(out.data(), bytes_.data() + offset, out.size());
  }
  const std::uint8_t* memory() const noexcept override { return bytes_.data(); }

 private:
  std::span<const std::uint8_t> bytes_;
};

class FileSource final : public ByteSource {
 public:
  explicit FileSource(const io::InputFile& file) : file_(file) {}
  std::uint64_t size() const override { return file_.size; }
  void read(std::uint64_t offset, std::span<std::uint8_t> out) const override {
    io::read_exactly_at(file_, offset, out, "load_safetensors");
  }

 private:
  const io::InputFile& file_;
};

template <class Use>
void ByteSource::each_piece(std::uint64_t offset, std::size_t n, Use&& use) const {
  if (const std::uint8_t* p = memory()) {
    if (n > 0) use(p + offset, n);
    return;
  }
  // 64 KiB pieces through one buffer.
  constexpr std::size_t kPiece = std::size_t{1} << 16;
  static_assert(kPiece % 8 == 0);
  std::vector<std::uint8_t> buffer(std::min(n, kPiece));
  for (std::size_t done = 0; done < n;) {
    const std::size_t len = std::min(kPiece, n - done);
    read(offset + done, {buffer.data(), len});
    use(buffer.data(), len);
    done += len;
  }
}

// ---- reading -----------------------------------------------------------------------------------

StateDict read_safetensors(const ByteSource& source, const std::string& name, Metadata* metadata) {
  const std::string file = "safetensors file '" + name + "'";
  const std::uint64_t file_size = source.size();
  KINDLING_CHECK(file_size >= 8, file, ": ", file_size,
                 " bytes, too short for the 8-byte header length at offset 0");
  std::uint8_t length_bytes[8];
  source.read(0, length_bytes);
  std::uint64_t n = 0;
  std::memcpy(&n, length_bytes, 8);
  KINDLING_CHECK(n <= kMaxHeader, file, ": header length ", n, " at offset 0 exceeds the limit of ",
                 kMaxHeader, " bytes");
  KINDLING_CHECK(n <= file_size - 8, file, ": header length ", n,
                 " at offset 0 runs past the end of the file (", file_size, " bytes)");
  std::string json(static_cast<std::size_t>(n), '\0');
  source.read(8, {reinterpret_cast<std::uint8_t*>(json.data()), json.size()});
  if (const auto bad = text::invalid_utf8_at(json); bad != text::npos)
    throw error(file + ": the header is not valid UTF-8 at offset " + std::to_string(8 + bad));
  KINDLING_CHECK(n >= 2 && json[0] == '{', file,
                 ": the header at offset 8 does not start a JSON object ('{')");
  safetensors_detail::Header header = safetensors_detail::parse_header(json, file);
  json = std::string();  // the header text is no longer needed

  // Contiguous and in order once sorted by offset: no gaps, no overlaps, nothing after the end.
  // Stable, so that empty tensors sharing an offset keep the header's order.
  std::vector<HeaderEntry>& entries = header.entries;
  std::stable_sort(entries.begin(), entries.end(), [](const HeaderEntry& a, const HeaderEntry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  const std::uint64_t data_start = 8 + n;
  const std::uint64_t data_size = file_size - data_start;
  std::uint64_t expected = 0;
  for (const HeaderEntry& e : entries) {
    KINDLING_CHECK(e.begin == expected, file, ", entry ", text::quote_for_message(e.name),
                   ": data_offsets begin at ", e.begin, " but the previous tensor ends at ",
                   expected, e.begin < expected ? " (overlap)" : " (gap)");
    expected = e.end;
  }
  KINDLING_CHECK(expected == data_size, file, ": the tensors end at data offset ", expected,
                 " (file offset ", data_start + expected, ") but the file has ", data_size,
                 " data bytes", expected < data_size ? " (trailing bytes)" : " (truncated)");

  // Every byte is accounted for: allocate each tensor and read its data into place, in the
  // file's order.
  StateDict out;
  for (HeaderEntry& e : entries) {
    const FileDType& dtype = *e.dtype;
    // Uninitialised storage: every byte is written below. The layout is checked, so the size is
    // what the file holds (times the widening of its dtype); memory can still run out.
    Tensor t;
    try {
      t = kindling::empty(e.shape, dtype.dtype, kCPU);
    } catch (const std::bad_alloc&) {
      throw error(file + ", entry " + text::quote_for_message(e.name) + ": out of memory for " +
                  shape_string(e.shape) + " " + std::string(dtype_name(dtype.dtype)));
    }
    const auto bytes = static_cast<std::size_t>(e.end - e.begin);
    const std::uint64_t at = data_start + e.begin;
    if (bytes > 0) {
      auto* dst = static_cast<std::uint8_t*>(t.raw_data());
      if (dtype.convert == nullptr) {
        source.read(at, {dst, bytes});
      } else {
        const std::string where = file + ", entry " + text::quote_for_message(e.name);
        const std::size_t out_size = dtype_size(dtype.dtype);
        std::size_t done = 0;  // elements
        source.each_piece(at, bytes, [&](const std::uint8_t* p, std::size_t len) {
          const std::size_t count = len / dtype.size;
          dtype.convert(p, count, dst + done * out_size, where);
          done += count;
        });
      }
    }
    out.insert(std::move(e.name), std::move(t));
  }
  if (metadata)
    for (auto& [key, value] : header.metadata)
      (*metadata)[key] = std::move(value);
  return out;
}

// ---- writing -----------------------------------------------------------------------------------

// The safetensors name of each dtype kindling can save. A new DType needs its case here.
const char* file_dtype_name(DType dtype, const std::string& name, std::string_view who) {
  switch (dtype) {
    case DType::float32:
      return "F32";
    case DType::float64:
      return "F64";
    case DType::int64:
      return "I64";
    case DType::bool_:
      return "BOOL";
  }
  throw error(std::string(who) + ": entry " + text::quote_for_message(name) + " has dtype " +
              std::string(dtype_name(dtype)) + ", which safetensors files cannot hold");
}

void check_text(std::string_view what, const std::string& value, std::string_view who) {
  const std::size_t bad = text::invalid_utf8_at(value);
  KINDLING_CHECK(bad == text::npos, who, ": ", what, " ", text::quote_for_message(value),
                 " is not valid UTF-8 (byte ", bad, "); safetensors headers are UTF-8 JSON");
}

// The header (padded), the tensors in order, and their byte counts; checks everything a reader
// would reject before a byte is written.
struct Plan {
  std::string head;  // the 8-byte length and the header
  std::vector<std::pair<const Tensor*, std::uint64_t>> tensors;
  std::uint64_t data_bytes = 0;
};

Plan plan(const StateDict& state, const Metadata& metadata, std::string_view who) {
  Plan p;
  std::string header = "{";
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    bool first = true;
    for (const auto& [k, v] : metadata) {
      check_text("metadata key", k, who);
      check_text("metadata value", v, who);
      if (!first) header += ',';
      text::append_json_string(header, k);
      header += ':';
      text::append_json_string(header, v);
      first = false;
    }
    header += "}";
  }
  for (const auto& [name, tensor] : state) {
    KINDLING_CHECK(name != "__metadata__", who, ": the name '__metadata__' is reserved");
    check_text("tensor name", name, who);
    const std::string op = std::string(who) + ", entry " + text::quote_for_message(name);
    const auto bytes =
        static_cast<std::uint64_t>(checked_nbytes(tensor.shape(), tensor.dtype(), op));
    const char* dtype = file_dtype_name(tensor.dtype(), name, who);
    if (header.size() > 1) header += ",";
    text::append_json_string(header, name);
    header.append(":{\"dtype\":\"").append(dtype).append("\",\"shape\":[");
    for (std::size_t i = 0; i < tensor.shape().size(); ++i)
      header.append(i ? "," : "").append(std::to_string(tensor.shape()[i]));
    const auto end = static_cast<std::uint64_t>(checked_add(
        static_cast<std::int64_t>(p.data_bytes), static_cast<std::int64_t>(bytes), op, "bytes"));
    header.append("],\"data_offsets\":[")
        .append(std::to_string(p.data_bytes))
        .append(",")
        .append(std::to_string(end))
        .append("]}");
    p.tensors.emplace_back(&tensor, bytes);
    p.data_bytes = end;
  }
  header += "}";
  header.append((8 - header.size() % 8) % 8, ' ');  // aligns the data, as the reference writer
  KINDLING_CHECK(header.size() <= kMaxHeader, who, ": the header would be ", header.size(),
                 " bytes, more than the format's limit of ", kMaxHeader);
  const std::uint64_t n = header.size();
  p.head.assign(8, '\0');
  std::memcpy(p.head.data(), &n, 8);
  p.head += header;
  return p;
}

void write(const Plan& p, io::ByteSink& sink) {
  const no_grad guard;
  sink.write(p.head.data(), p.head.size());
  for (const auto& [tensor, bytes] : p.tensors) {
    if (bytes == 0) continue;
    // Contiguous host bytes: the tensor itself when it already is, else a packed copy.
    Tensor host = tensor->device() == kCPU ? tensor->detach() : tensor->detach().to(kCPU);
    if (!host.is_contiguous()) host = host.contiguous();
    sink.write(host.raw_data(), static_cast<std::size_t>(bytes));
  }
}

}  // namespace

namespace safetensors_detail {

void save_file(const StateDict& state, const std::string& path, const Metadata& metadata,
               std::string_view who) {
  const Plan p = plan(state, metadata, who);  // every check before the temporary file exists
  io::write_file_atomically(path, who, [&](io::ByteSink& sink) { write(p, sink); });
}

StateDict load_file(const std::string& path, Metadata* metadata, std::string_view who) {
  io::InputFile file = io::open_for_reading(path, who);
  if (file.regular) return read_safetensors(FileSource(file), path, metadata);
  // A pipe or a device has no size to check the header against: read it whole first.
  const std::vector<std::uint8_t> bytes = io::read_whole_file(file, who);
  return read_safetensors(MemorySource(bytes), path, metadata);
}

}  // namespace safetensors_detail

std::string serialize_safetensors(const StateDict& state, const Metadata& metadata) {
  const Plan p = plan(state, metadata, "save_safetensors");
  std::string out;
  out.reserve(static_cast<std::size_t>(p.head.size() + p.data_bytes));
  io::StringSink sink(out);
  write(p, sink);
  return out;
}

void save_safetensors(const StateDict& state, const std::string& path, const Metadata& metadata) {
  safetensors_detail::save_file(state, path, metadata, "save_safetensors");
}

void save_safetensors(const Module& module, const std::string& path, const Metadata& metadata) {
  save_safetensors(module.state_dict(), path, metadata);
}

StateDict parse_safetensors(std::span<const std::uint8_t> bytes, const std::string& name,
                            Metadata* metadata) {
  return read_safetensors(MemorySource(bytes), name, metadata);
}

StateDict load_safetensors(const std::string& path, Metadata* metadata) {
  return safetensors_detail::load_file(path, metadata, "load_safetensors");
}

void load_safetensors(Module& module, const std::string& path, bool strict) {
  module.load_state_dict(load_safetensors(path), strict);
}

}  // namespace kindling::nn
