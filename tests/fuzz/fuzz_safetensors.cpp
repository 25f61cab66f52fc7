// STAND-IN (infra branch), to be replaced by the io branch's target: parses arbitrary bytes as a
// safetensors file; what parses must serialize and parse back to the same entries and metadata.
#include <cstdint>
#include <span>

#include "kindling/engine/error.hpp"
#include "kindling/nn/safetensors.hpp"
#include "standin_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kindling;
  nn::StateDict state;
  nn::Metadata metadata;
  try {
    state = nn::parse_safetensors(std::span(data, size), "fuzz input", &metadata);
  } catch (const error&) {
    return 0;  // rejected with kindling's error: what a malformed file should get
  }
  const std::string saved = nn::serialize_safetensors(state, metadata);
  nn::Metadata metadata_again;
  const nn::StateDict again = nn::parse_safetensors(
      std::span(reinterpret_cast<const std::uint8_t*>(saved.data()), saved.size()), "round trip",
      &metadata_again);
  if (!fuzz::same_state(state, again) || metadata != metadata_again) __builtin_trap();
  return 0;
}
