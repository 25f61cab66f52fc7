// STAND-IN (infra branch): helpers for the placeholder fuzz targets in this folder, which exist
// only so that the fuzz infrastructure (CMakeLists.txt, run_fuzzer.cmake, tools/fuzz-long.sh)
// can be built and tested before the real targets arrive from the io and cli branches. Delete
// this file with the last stand-in target.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "kindling/nn/state_dict.hpp"
#include "kindling/tensor.hpp"

namespace kindling::fuzz {

// A uniquely named temporary file holding `bytes`, removed when the object goes away; for the
// readers that only take a path.
class TempFile {
 public:
  TempFile(const std::uint8_t* data, std::size_t size, const char* suffix) {
    const char* dir = std::getenv("TMPDIR");
    std::string pattern = std::string(dir && *dir ? dir : "/tmp") + "/kindling-fuzz-XXXXXX";
    pattern += suffix;
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    const int fd = mkstemps(name.data(), static_cast<int>(std::strlen(suffix)));
    if (fd < 0) std::abort();  // the machine, not the input: nothing to fuzz without a file
    path_ = name.data();
    std::size_t written = 0;
    while (written < size) {
      const ssize_t n = ::write(fd, data + written, size - written);
      if (n <= 0) std::abort();
      written += static_cast<std::size_t>(n);
    }
    ::close(fd);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
};

// The bytes of a CPU tensor in row-major order.
inline std::vector<std::uint8_t> tensor_bytes(const Tensor& t) {
  const Tensor c = t.contiguous();
  const auto* begin = static_cast<const std::uint8_t*>(c.raw_data());
  return std::vector<std::uint8_t>(
      begin, begin + static_cast<std::size_t>(c.numel()) * dtype_size(c.dtype()));
}

// Equal names in order, dtypes, shapes and bytes.
inline bool same_state(const nn::StateDict& a, const nn::StateDict& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto& [name_a, tensor_a] = a.entries()[i];
    const auto& [name_b, tensor_b] = b.entries()[i];
    if (name_a != name_b || tensor_a.dtype() != tensor_b.dtype() ||
        tensor_a.shape() != tensor_b.shape() || tensor_bytes(tensor_a) != tensor_bytes(tensor_b))
      return false;
  }
  return true;
}

}  // namespace kindling::fuzz
