// Helpers the libFuzzer targets share: a scratch file per process (to run the file readers on the
// same bytes as the in-memory ones), bitwise comparison of tensors and state dicts, and the one
// way a target reports a broken property (__builtin_trap, which libFuzzer records as a crash).
// Targets catch kindling::error only: any other exception escapes and is reported as well.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>

#include "kindling/nn/state_dict.hpp"
#include "kindling/tensor/tensor.hpp"

namespace fuzz {

// Reports a broken property: a crash for libFuzzer, with a line on stderr saying which.
[[noreturn]] inline void broken(const char* property) {
  std::fprintf(stderr, "fuzz property broken: %s\n", property);
  __builtin_trap();
}
inline void require(bool holds, const char* property) {
  if (!holds) broken(property);
}

// A file of this process's own (so parallel fuzzing jobs do not share one), rewritten per input.
inline const std::string& scratch_path(const char* target) {
  static const std::string path = [&] {
    const char* dir = std::getenv("TMPDIR");
    return std::string(dir && *dir ? dir : "/tmp") + "/kindling_" + target + "_" +
           std::to_string(::getpid());
  }();
  return path;
}
inline const std::string& write_scratch(const char* target, const std::uint8_t* data,
                                        std::size_t size) {
  const std::string& path = scratch_path(target);
  std::FILE* f = std::fopen(path.c_str(), "wb");
  require(f != nullptr, "the scratch file can be written");
  if (size > 0) require(std::fwrite(data, 1, size, f) == size, "the scratch file can be written");
  std::fclose(f);
  return path;
}

// Same dtype, shape and bytes (NaNs compare by their bits).
inline bool same_tensor(const kindling::Tensor& a, const kindling::Tensor& b) {
  if (a.dtype() != b.dtype() || a.shape() != b.shape()) return false;
  const kindling::Tensor ca = a.detach().contiguous(), cb = b.detach().contiguous();
  const auto bytes = static_cast<std::size_t>(ca.numel()) * kindling::dtype_size(ca.dtype());
  return bytes == 0 || std::memcmp(ca.raw_data(), cb.raw_data(), bytes) == 0;
}

// Same names in the same order, each tensor the same.
inline bool same_state(const kindling::nn::StateDict& a, const kindling::nn::StateDict& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto& [name_a, tensor_a] = a.entries()[i];
    const auto& [name_b, tensor_b] = b.entries()[i];
    if (name_a != name_b || !same_tensor(tensor_a, tensor_b)) return false;
  }
  return true;
}

inline std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace fuzz
