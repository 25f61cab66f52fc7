// libFuzzer target for the IDX reader, plain and gzip (Note [bounded IDX reads]). The reader
// tells gzip from plain by the magic bytes; an input starting with 'Z' is also run with the rest
// of it gzip-compressed here, so that mutations of plain IDX reach the parser through the gzip
// stream too. Properties:
//   - bad bytes give kindling::error and nothing else;
//   - the file reader (64 KiB pieces) and the in-memory reader agree on every input;
//   - what loads writes (serialize_idx), and that loads back to the same shape and data, plain
//     and gzip-compressed.
#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "fuzz_support.hpp"
#include "kindling/engine/error.hpp"
#include "kindling/nn/readers.hpp"

using kindling::nn::IdxArray;

namespace {

std::vector<std::uint8_t> gzip(const std::uint8_t* data, std::size_t size) {
  z_stream z{};
  fuzz::require(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK,
                "zlib starts");
  std::vector<std::uint8_t> out(deflateBound(&z, size) + 32);
  z.next_in = const_cast<Bytef*>(data);
  z.avail_in = static_cast<uInt>(size);
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  fuzz::require(deflate(&z, Z_FINISH) == Z_STREAM_END, "zlib compresses");
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

template <class Load>
std::optional<IdxArray> attempt(Load&& load) {
  try {
    return load();
  } catch (const kindling::error&) {
    return std::nullopt;
  }
}

bool same(const IdxArray& a, const IdxArray& b) {
  return a.shape == b.shape && a.data == b.data;
}

void check(const std::uint8_t* data, std::size_t size) {
  const auto memory = attempt([&] { return kindling::nn::parse_idx({data, size}, "fuzz.idx"); });
  const std::string& path = fuzz::write_scratch("fuzz_idx", data, size);
  const auto file = attempt([&] { return kindling::nn::read_idx(path); });
  fuzz::require(memory.has_value() == file.has_value(),
                "the file and memory readers accept the same inputs");
  if (!memory) return;
  fuzz::require(same(*memory, *file), "the file and memory readers load the same array");
  std::vector<std::uint8_t> written;
  try {
    written = kindling::nn::serialize_idx(*memory);
  } catch (const kindling::error&) {
    fuzz::broken("what loads writes");
  }
  const auto plain = attempt([&] { return kindling::nn::parse_idx(written, "written.idx"); });
  fuzz::require(plain && same(*plain, *memory), "a plain round trip keeps shape and data");
  const auto packed = gzip(written.data(), written.size());
  const auto unpacked = attempt([&] { return kindling::nn::parse_idx(packed, "written.idx.gz"); });
  fuzz::require(unpacked && same(*unpacked, *memory), "a gzip round trip keeps shape and data");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  check(data, size);
  if (size > 0 && data[0] == 'Z') {
    const auto packed = gzip(data + 1, size - 1);
    check(packed.data(), packed.size());
  }
  return 0;
}
