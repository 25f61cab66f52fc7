// safetensors files: an 8-byte little-endian header length N, N bytes of UTF-8 JSON
// {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...,
//  "__metadata__": {"key": "value"}} (padded with spaces), then the tensors' bytes,
// little-endian and row-major, offsets counted from the end of the header.
//
// Note [strict safetensors reader]
// The reader enforces the format's own rules and turns every violation into kindling::error
// naming the file and the byte offset: the header length is at most 100 MB and inside the file;
// the header is valid UTF-8 and a JSON object (starting with '{'); no name appears twice (JSON
// parsers keep the last duplicate silently, so keys are tracked while parsing); dtypes are known;
// every entry has exactly dtype, shape and data_offsets; shapes have at most kMaxDims
// non-negative integer sizes whose element count, strides and byte size fit int64 (checked
// arithmetic, Note [checked shape arithmetic]) and the byte size equals end - begin; sorted by
// begin, the tensors start at 0, touch without gap or overlap, and the last one ends exactly at
// the end of the file. The header is parsed as a stream and never nested deeper than the format
// allows, so hostile headers cost linear time and no recursion (Note [bounded header parse] in
// nn/src/safetensors_header.hpp). The whole layout is checked before any tensor is allocated,
// and tensor data is read straight into the tensors' storage.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>

#include "kindling/nn/module.hpp"
#include "kindling/nn/state_dict.hpp"

namespace kindling::nn {

using Metadata = std::map<std::string, std::string>;

// Writes `state` (float32 as F32, float64 as F64, int64 as I64) to `path` through a temporary
// file in the same folder that is fsynced and renamed over `path` once complete, so a crash
// never leaves a half-written file in place of the previous one. Names and metadata must be
// valid UTF-8. A failed write (a full disk, a missing folder) is an error with errno's text and
// the paths; the previous file stays as it was and the temporary is removed.
void save_safetensors(const StateDict& state, const std::string& path,
                      const Metadata& metadata = {});
void save_safetensors(const Module& module, const std::string& path, const Metadata& metadata = {});
// The file's bytes as safetensors, without writing (the same checks as a save).
std::string serialize_safetensors(const StateDict& state, const Metadata& metadata = {});

// Reads a whole file strictly (Note [strict safetensors reader]). F32, F64 and I64 load as they
// are; the other integer dtypes (I8..I32, U8..U64, BOOL) load as int64 and F16 / BF16 as float32
// (a U64 value above 2^63 - 1 is an error); F8 dtypes are an error. A directory, an unreadable
// file or a file that shrinks while it is read is an error naming the path.
StateDict load_safetensors(const std::string& path, Metadata* metadata = nullptr);
// The same on bytes in memory (the same code path); `name` is used in error messages.
StateDict parse_safetensors(std::span<const std::uint8_t> bytes, const std::string& name,
                            Metadata* metadata = nullptr);
// Loads a file into a module (strict as load_state_dict).
void load_safetensors(Module& module, const std::string& path, bool strict = true);

}  // namespace kindling::nn
