// safetensors writer and strict reader (Note [strict safetensors reader] in safetensors.hpp).
#include "kindling/nn/safetensors.hpp"

#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "kindling/engine/error.hpp"
#include "kindling/engine/grad_mode.hpp"
#include "kindling/tensor/creation.hpp"

namespace kindling::nn {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; a big-endian port must swap bytes here");

namespace {

constexpr std::uint64_t kMaxHeader = 100'000'000;  // the format's own limit

// ---- dtypes ------------------------------------------------------------------------------------

struct FileDType {
  const char* name;
  std::size_t size;
};
// Every dtype the format defines; those kindling cannot hold are converted on load (or rejected).
constexpr FileDType kFileDTypes[] = {{"BOOL", 1},    {"U8", 1},  {"I8", 1},  {"F8_E5M2", 1},
                                     {"F8_E4M3", 1}, {"I16", 2}, {"U16", 2}, {"F16", 2},
                                     {"BF16", 2},    {"I32", 4}, {"U32", 4}, {"F32", 4},
                                     {"F64", 8},     {"I64", 8}, {"U64", 8}};

const FileDType* find_dtype(const std::string& name) {
  for (const auto& d : kFileDTypes)
    if (name == d.name) return &d;
  return nullptr;
}

const char* file_dtype_name(DType dtype) {
  switch (dtype) {
    case DType::float32:
      return "F32";
    case DType::float64:
      return "F64";
    case DType::int64:
      return "I64";
  }
  return "?";
}

std::string json_string(const std::string& s) {
  return nlohmann::json(s).dump();  // quotes and escapes
}

// ---- UTF-8 -------------------------------------------------------------------------------------

// Index of the first byte that is not part of a valid UTF-8 sequence, or npos.
std::size_t invalid_utf8_at(std::span<const std::uint8_t> s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const std::uint8_t c = s[i];
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, cp = c & 0x07;
    } else {
      return i;
    }
    if (i + len > s.size()) return i;
    for (std::size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (s[i + k] & 0x3F);
    }
    const bool overlong =
        (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
    if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
    i += len;
  }
  return std::string::npos;
}

// ---- conversions on load -----------------------------------------------------------------------

float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = (h & 0x8000u) << 16;
  std::uint32_t exponent = (h >> 10) & 0x1F, mantissa = h & 0x3FF;
  std::uint32_t bits;
  if (exponent == 0x1F) {
    bits = sign | 0x7F800000u | (mantissa << 13);
  } else if (exponent == 0) {
    if (mantissa == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      int e = -1;
      do {
        ++e;
        mantissa <<= 1;
      } while ((mantissa & 0x400) == 0);
      bits = sign | static_cast<std::uint32_t>(127 - 15 - e) << 23 | ((mantissa & 0x3FF) << 13);
    }
  } else {
    bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
  }
  return std::bit_cast<float>(bits);
}

template <class T>
T read_le(const std::uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

Tensor make_tensor(const std::string& dtype, const Shape& shape, const std::uint8_t* p,
                   std::size_t count, const std::string& where) {
  const std::string d = dtype;
  if (d == "F32") {
    std::vector<float> v(count);
    std::memcpy(v.data(), p, count * 4);
    return from_vector(v, shape);
  }
  if (d == "F64") {
    std::vector<double> v(count);
    std::memcpy(v.data(), p, count * 8);
    return from_vector(v, shape);
  }
  if (d == "F16" || d == "BF16") {
    std::vector<float> v(count);
    for (std::size_t i = 0; i < count; ++i) {
      const auto h = read_le<std::uint16_t>(p + 2 * i);
      v[i] = d == "F16" ? half_to_float(h) : std::bit_cast<float>(std::uint32_t{h} << 16);
    }
    return from_vector(v, shape);
  }
  std::vector<std::int64_t> v(count);
  for (std::size_t i = 0; i < count; ++i) {
    if (d == "I64")
      v[i] = read_le<std::int64_t>(p + 8 * i);
    else if (d == "I32")
      v[i] = read_le<std::int32_t>(p + 4 * i);
    else if (d == "I16")
      v[i] = read_le<std::int16_t>(p + 2 * i);
    else if (d == "I8")
      v[i] = read_le<std::int8_t>(p + i);
    else if (d == "U8")
      v[i] = p[i];
    else if (d == "BOOL")
      v[i] = p[i] != 0;
    else if (d == "U16")
      v[i] = read_le<std::uint16_t>(p + 2 * i);
    else if (d == "U32")
      v[i] = read_le<std::uint32_t>(p + 4 * i);
    else if (d == "U64") {
      const auto u = read_le<std::uint64_t>(p + 8 * i);
      KINDLING_CHECK(u <= static_cast<std::uint64_t>(INT64_MAX), where, ": U64 value ", u,
                     " does not fit int64");
      v[i] = static_cast<std::int64_t>(u);
    } else {
      throw error(where + ": dtype " + d + " is valid safetensors but kindling cannot load it");
    }
  }
  return from_vector(v, shape);
}

struct Entry {
  std::string name;
  std::string dtype;
  Shape shape;
  std::uint64_t begin, end;
  std::size_t count;
};

}  // namespace

// ---- writing -----------------------------------------------------------------------------------

std::string serialize_safetensors(const StateDict& state, const Metadata& metadata) {
  const no_grad guard;
  std::string header = "{";
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    bool first = true;
    for (const auto& [k, v] : metadata) {
      header.append(first ? "" : ",").append(json_string(k)).append(":").append(json_string(v));
      first = false;
    }
    header += "}";
  }
  std::uint64_t offset = 0;
  std::vector<std::pair<const Tensor*, std::uint64_t>> layout;
  for (const auto& [name, tensor] : state) {
    KINDLING_CHECK(name != "__metadata__", "save_safetensors: '__metadata__' is reserved");
    const std::uint64_t bytes =
        static_cast<std::uint64_t>(tensor.numel()) * dtype_size(tensor.dtype());
    std::string shape;
    for (const auto d : tensor.shape())
      shape.append(shape.empty() ? "" : ",").append(std::to_string(d));
    if (header.size() > 1) header += ",";
    header += json_string(name) + ":{\"dtype\":\"" + file_dtype_name(tensor.dtype()) +
              "\",\"shape\":[" + shape + "],\"data_offsets\":[" + std::to_string(offset) + "," +
              std::to_string(offset + bytes) + "]}";
    layout.emplace_back(&tensor, bytes);
    offset += bytes;
  }
  header += "}";
  header.append((8 - header.size() % 8) % 8, ' ');  // aligns the data, as the reference writer
  std::string out(8, '\0');
  const std::uint64_t n = header.size();
  std::memcpy(out.data(), &n, 8);
  out += header;
  out.reserve(out.size() + offset);
  for (const auto& [tensor, bytes] : layout) {
    std::string data;
    switch (tensor->dtype()) {
      case DType::float32: {
        const auto v = tensor->to_vector<float>();
        data.assign(reinterpret_cast<const char*>(v.data()), bytes);
        break;
      }
      case DType::float64: {
        const auto v = tensor->to_vector<double>();
        data.assign(reinterpret_cast<const char*>(v.data()), bytes);
        break;
      }
      case DType::int64: {
        const auto v = tensor->to_vector<std::int64_t>();
        data.assign(reinterpret_cast<const char*>(v.data()), bytes);
        break;
      }
    }
    out += data;
  }
  return out;
}

void save_safetensors(const StateDict& state, const std::string& path, const Metadata& metadata) {
  const std::string bytes = serialize_safetensors(state, metadata);
  // Same folder as the target, so rename() is atomic (one file system).
  const std::string temp = path + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    KINDLING_CHECK(out.good(), "save_safetensors: cannot create '", temp,
                   "': ", std::strerror(errno));
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out.good()) {
      std::remove(temp.c_str());
      throw error("save_safetensors: writing '" + temp + "' failed");
    }
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    std::remove(temp.c_str());
    throw error("save_safetensors: cannot rename '" + temp + "' to '" + path + "': " + reason);
  }
}

void save_safetensors(const Module& module, const std::string& path, const Metadata& metadata) {
  save_safetensors(module.state_dict(), path, metadata);
}

// ---- reading -----------------------------------------------------------------------------------

StateDict parse_safetensors(std::span<const std::uint8_t> bytes, const std::string& name,
                            Metadata* metadata) {
  const std::string file = "safetensors file '" + name + "'";
  KINDLING_CHECK(bytes.size() >= 8, file, ": ", bytes.size(),
                 " bytes, too short for the 8-byte header length at offset 0");
  const auto n = read_le<std::uint64_t>(bytes.data());
  KINDLING_CHECK(n <= kMaxHeader, file, ": header length ", n, " at offset 0 exceeds the limit of ",
                 kMaxHeader, " bytes");
  KINDLING_CHECK(n <= bytes.size() - 8, file, ": header length ", n,
                 " at offset 0 runs past the "
                 "end of the file (",
                 bytes.size(), " bytes)");
  const auto header_bytes = bytes.subspan(8, n);
  if (const auto bad = invalid_utf8_at(header_bytes); bad != std::string::npos)
    throw error(file + ": the header is not valid UTF-8 at offset " + std::to_string(8 + bad));
  KINDLING_CHECK(n >= 2 && header_bytes[0] == '{', file,
                 ": the header at offset 8 does not start a JSON object ('{')");
  const std::string header(header_bytes.begin(), header_bytes.end());

  // Parse with a callback that tracks the keys of each open object: nlohmann keeps the last of
  // duplicate keys without a word, the format forbids them.
  std::vector<std::set<std::string>> open_keys;
  auto track = [&](int, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using E = nlohmann::json::parse_event_t;
    if (event == E::object_start) open_keys.emplace_back();
    if (event == E::object_end) open_keys.pop_back();
    if (event == E::key) {
      const std::string key = parsed.get<std::string>();
      if (!open_keys.back().insert(key).second) {
        const std::string quoted = json_string(key);
        const std::size_t at = header.find(quoted, header.find(quoted) + 1);
        throw error(file + ": duplicate key " + quoted + " in the header at offset " +
                    std::to_string(8 + (at == std::string::npos ? 0 : at)));
      }
    }
    return true;
  };
  nlohmann::json root;
  try {
    root = nlohmann::json::parse(header, track);
  } catch (const nlohmann::json::parse_error& e) {
    throw error(file + ": the header is not valid JSON at offset " +
                std::to_string(8 + (e.byte > 0 ? e.byte - 1 : 0)) + ": " + e.what());
  }
  KINDLING_CHECK(root.is_object(), file, ": the header at offset 8 is not a JSON object");

  std::vector<Entry> entries;
  for (auto it = root.begin(); it != root.end(); ++it) {
    const std::string& key = it.key();
    const std::string where = file + ", entry '" + key + "'";
    if (key == "__metadata__") {
      KINDLING_CHECK(it->is_object(), where, ": must be an object of strings");
      for (auto m = it->begin(); m != it->end(); ++m) {
        KINDLING_CHECK(m->is_string(), where, ": value of '", m.key(), "' is not a string");
        if (metadata) (*metadata)[m.key()] = m->get<std::string>();
      }
      continue;
    }
    const nlohmann::json& info = *it;
    KINDLING_CHECK(info.is_object() && info.size() == 3 && info.contains("dtype") &&
                       info.contains("shape") && info.contains("data_offsets"),
                   where, ": needs exactly the fields dtype, shape and data_offsets");
    KINDLING_CHECK(info["dtype"].is_string(), where, ": dtype is not a string");
    Entry e{key, info["dtype"].get<std::string>(), {}, 0, 0, 0};
    const FileDType* dtype = find_dtype(e.dtype);
    KINDLING_CHECK(dtype != nullptr, where, ": unknown dtype '", e.dtype, "'");
    KINDLING_CHECK(info["shape"].is_array() && info["shape"].size() <= kMaxDims, where,
                   ": shape must be an array of at most ", kMaxDims, " sizes");
    std::uint64_t bytes_needed = dtype->size;
    for (const auto& d : info["shape"]) {
      KINDLING_CHECK(d.is_number_unsigned(), where,
                     ": shape entries must be non-negative "
                     "integers, got ",
                     d.dump());
      const auto size = d.get<std::uint64_t>();
      KINDLING_CHECK(!__builtin_mul_overflow(bytes_needed, size, &bytes_needed) &&
                         size <= static_cast<std::uint64_t>(INT64_MAX),
                     where, ": the byte size of shape ", info["shape"].dump(), " overflows");
      e.shape.push_back(static_cast<std::int64_t>(size));
    }
    const auto& offsets = info["data_offsets"];
    KINDLING_CHECK(offsets.is_array() && offsets.size() == 2 && offsets[0].is_number_unsigned() &&
                       offsets[1].is_number_unsigned(),
                   where, ": data_offsets must be two non-negative integers");
    e.begin = offsets[0].get<std::uint64_t>();
    e.end = offsets[1].get<std::uint64_t>();
    KINDLING_CHECK(e.begin <= e.end, where, ": data_offsets [", e.begin, ", ", e.end,
                   "] end before they begin");
    KINDLING_CHECK(e.end - e.begin == bytes_needed, where, ": shape ", info["shape"].dump(), " of ",
                   e.dtype, " needs ", bytes_needed, " bytes but data_offsets [", e.begin, ", ",
                   e.end, "] hold ", e.end - e.begin);
    e.count = static_cast<std::size_t>(bytes_needed / dtype->size);
    entries.push_back(std::move(e));
  }
  // Contiguous and in order once sorted by offset: no gaps, no overlaps, nothing after the end.
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  const std::uint64_t data_start = 8 + n;
  const std::uint64_t data_size = bytes.size() - data_start;
  std::uint64_t expected = 0;
  for (const Entry& e : entries) {
    KINDLING_CHECK(e.begin == expected, file, ", entry '", e.name, "': data_offsets begin at ",
                   e.begin, " but the previous tensor ends at ", expected,
                   e.begin < expected ? " (overlap)" : " (gap)");
    expected = e.end;
  }
  KINDLING_CHECK(expected == data_size, file, ": the tensors end at data offset ", expected,
                 " (file offset ", data_start + expected, ") but the file has ", data_size,
                 " data bytes", expected < data_size ? " (trailing bytes)" : " (truncated)");

  // Entries in the order of the file's data.
  StateDict out;
  for (const Entry& e : entries)
    out.insert(e.name, make_tensor(e.dtype, e.shape, bytes.data() + data_start + e.begin, e.count,
                                   file + ", entry '" + e.name + "'"));
  return out;
}

StateDict load_safetensors(const std::string& path, Metadata* metadata) {
  std::ifstream in(path, std::ios::binary);
  KINDLING_CHECK(in.good(), "load_safetensors: cannot open '", path, "': ", std::strerror(errno));
  const std::vector<std::uint8_t> bytes(std::istreambuf_iterator<char>(in), {});
  return parse_safetensors(bytes, path, metadata);
}

void load_safetensors(Module& module, const std::string& path, bool strict) {
  module.load_state_dict(load_safetensors(path), strict);
}

}  // namespace kindling::nn
