// The safetensors header parser (internal, not installed): a streaming (SAX) parse of the JSON
// header into entries, enforcing the schema as it goes (Note [strict safetensors reader] in
// safetensors.hpp, Note [bounded header parse] below).
//
// Note [bounded header parse]
// The header is untrusted: 100 MB of "[[[[..." must not reach a recursive parser, a recursive
// destructor or a dump() into a message. nlohmann's SAX parser is iterative, and this handler
// builds no JSON values: it knows the only shapes a header may have (an object of objects whose
// fields are a string and arrays of integers; depth 3 at most) and rejects the first token that
// leaves them, so the parse costs time linear in the header and memory linear in what it keeps.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "kindling/tensor/dtype.hpp"

namespace kindling::nn::safetensors_detail {

// How one of the format's dtypes loads. `convert` is null when kindling holds the file's bytes
// as they are (F32, F64, I64); otherwise it converts `count` elements from `src` (unaligned,
// little-endian) into `dst` (aligned, of type `dtype`), or throws naming `where`.
using Convert = void (*)(const std::uint8_t* src, std::size_t count, void* dst,
                         const std::string& where);
struct FileDType {
  const char* name;
  std::size_t size;  // bytes per element in the file
  bool loadable;     // false: valid safetensors that kindling cannot hold (F8 formats)
  DType dtype;       // what it loads as
  Convert convert;
};
// The row for `name`, or null when the format defines no such dtype.
const FileDType* find_file_dtype(std::string_view name) noexcept;

struct HeaderEntry {
  std::string name;
  const FileDType* dtype = nullptr;
  Shape shape;
  std::uint64_t begin = 0, end = 0;  // data offsets, from the end of the header
};

struct Header {
  std::vector<HeaderEntry> entries;  // in the header's order
  std::map<std::string, std::string> metadata;
};

// Parses `json` (the header's bytes, at file offset 8, already checked to be UTF-8 starting with
// '{') and checks every entry on its own: fields, dtype, shape, and that data_offsets span the
// shape's byte size. The layout across entries is the caller's to check. `file` begins every
// message ("safetensors file 'x.safetensors'").
Header parse_header(std::string_view json, const std::string& file);

}  // namespace kindling::nn::safetensors_detail
