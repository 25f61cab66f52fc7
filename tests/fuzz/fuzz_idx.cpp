// STAND-IN (infra branch), to be replaced by the io branch's target: reads arbitrary bytes as an
// IDX file (gzipped when they start with gzip's magic, through the path-based reader); what reads
// must write back as IDX and parse to the same shape and data.
#include <cstdint>
#include <vector>

#include "kindling/engine/error.hpp"
#include "kindling/nn/readers.hpp"
#include "standin_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kindling;
  nn::IdxArray array;
  try {
    const fuzz::TempFile file(data, size, ".idx");
    array = nn::read_idx(file.path());
  } catch (const error&) {
    return 0;
  }
  std::vector<std::uint8_t> written = {0, 0, 0x08, static_cast<std::uint8_t>(array.shape.size())};
  for (const std::int64_t n : array.shape)
    for (int shift = 24; shift >= 0; shift -= 8)
      written.push_back(static_cast<std::uint8_t>(n >> shift));
  written.insert(written.end(), array.data.begin(), array.data.end());
  const nn::IdxArray again = nn::parse_idx(written, "round trip");
  if (again.shape != array.shape || again.data != array.data) __builtin_trap();
  return 0;
}
