// libFuzzer target for the safetensors reader (Note [strict safetensors reader]). Properties:
//   - bad bytes give kindling::error and nothing else (anything else escapes and is reported);
//   - the file reader (pread, 64 KiB pieces) and the in-memory reader agree on every input;
//   - what loads saves, the saved bytes load back to the same names, dtypes, shapes and bits,
//     with the same metadata, and saving that again gives the same bytes.
#include <cstddef>
#include <cstdint>

#include "fuzz_support.hpp"
#include "kindling/engine/error.hpp"
#include "kindling/nn/safetensors.hpp"

using kindling::nn::Metadata;
using kindling::nn::StateDict;

namespace {

struct Loaded {
  bool ok = false;
  StateDict state;
  Metadata metadata;
};

template <class Load>
Loaded attempt(Load&& load) {
  Loaded out;
  try {
    out.state = load(&out.metadata);
    out.ok = true;
  } catch (const kindling::error&) {
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Loaded memory = attempt([&](Metadata* m) {
    return kindling::nn::parse_safetensors({data, size}, "fuzz.safetensors", m);
  });
  const std::string& path = fuzz::write_scratch("fuzz_safetensors", data, size);
  const Loaded file = attempt([&](Metadata* m) { return kindling::nn::load_safetensors(path, m); });
  fuzz::require(memory.ok == file.ok, "the file and memory readers accept the same inputs");
  if (!memory.ok) return 0;
  fuzz::require(fuzz::same_state(memory.state, file.state) && memory.metadata == file.metadata,
                "the file and memory readers load the same tensors");

  // Anything that loads saves (a loaded name is valid UTF-8, a loaded dtype savable).
  std::string saved;
  try {
    saved = kindling::nn::serialize_safetensors(memory.state, memory.metadata);
  } catch (const kindling::error&) {
    fuzz::broken("what loads saves");
  }
  const Loaded again = attempt([&](Metadata* m) {
    return kindling::nn::parse_safetensors(fuzz::bytes_of(saved), "saved.safetensors", m);
  });
  fuzz::require(again.ok, "what saves loads");
  fuzz::require(fuzz::same_state(memory.state, again.state), "a round trip keeps every tensor");
  fuzz::require(memory.metadata == again.metadata, "a round trip keeps the metadata");
  fuzz::require(kindling::nn::serialize_safetensors(again.state, again.metadata) == saved,
                "saving is deterministic");
  return 0;
}
