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

/// A safetensors file's "__metadata__": string keys to string values.
using Metadata = std::map<std::string, std::string>;

/// Writes `state` as a safetensors file (float32 as F32, float64 as F64, int64 as I64, bool as
/// BOOL), as safetensors.torch.save_file, through a temporary file in the same folder that is
/// fsynced and renamed over `path` once complete, so a crash never leaves a half-written file in
/// place of the previous one. Tensors on any device are copied to the host; the header is
/// padded to a multiple of 8 bytes, as the reference writer pads it.
/// @code
/// using namespace kindling::nn;
/// save_safetensors(*model, "model.safetensors", {{"epoch", "5"}});
/// load_safetensors(*model, "model.safetensors");  // strict, into the model's tensors
/// Metadata metadata;
/// StateDict state = load_safetensors("model.safetensors", &metadata);  // CPU tensors
/// @endcode
/// @throws kindling::error (before a byte is written) for a name or metadata that is not valid
///   UTF-8, the reserved name "__metadata__", a tensor whose byte size overflows, or a header
///   over 100 MB; and for a failed write (a full disk, a missing folder), with errno's text and
///   the paths, leaving the previous file as it was and removing the temporary.
void save_safetensors(const StateDict& state, const std::string& path,
                      const Metadata& metadata = {});
/// Writes module.state_dict() (parameters and buffers by dotted name) as save_safetensors does.
/// @throws kindling::error as the StateDict form.
void save_safetensors(const Module& module, const std::string& path, const Metadata& metadata = {});
/// The file's bytes as safetensors, without writing (the same checks as a save).
/// @throws kindling::error as save_safetensors, but for the write.
std::string serialize_safetensors(const StateDict& state, const Metadata& metadata = {});

/// Reads a whole file strictly (Note [strict safetensors reader]) into CPU tensors, in the order
/// of their data in the file, as safetensors.torch.load_file. F32, F64 and I64 load as they are,
/// BOOL as bool; the other integer dtypes (I8..I32, U8..U64) load as int64 and F16 / BF16 as
/// float32. The metadata, when `metadata` is given, is added to it.
/// @throws kindling::error naming the file and the byte offset for any violation of the format
///   (Note [strict safetensors reader]), a U64 value above 2^63 - 1, an F8 dtype, and naming the
///   path for a directory, an unreadable file or a file that shrinks while it is read.
StateDict load_safetensors(const std::string& path, Metadata* metadata = nullptr);
/// The same on bytes in memory (the same code path); `name` is used in error messages.
/// @throws kindling::error as load_safetensors.
StateDict parse_safetensors(std::span<const std::uint8_t> bytes, const std::string& name,
                            Metadata* metadata = nullptr);
/// Loads a file into a module: load_safetensors, then module.load_state_dict(state, strict)
/// (values copied into the module's tensors, converted to their dtype and device), as
/// safetensors.torch.load_model.
/// @throws kindling::error as load_safetensors and Module::load_state_dict.
void load_safetensors(Module& module, const std::string& path, bool strict = true);

}  // namespace kindling::nn
