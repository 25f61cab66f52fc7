// A small program for the reader tests that need a process of their own: peak memory
// (getrusage's high-water mark belongs to the whole process, so each measurement runs in a fresh
// one) and the system calls of a save (run under strace by check_save_syscalls.cmake).
//
//   io_probe peak-bool-safetensors MIB DIR  loads a MIB-MiB BOOL file; peak growth must stay
//                                           within the loaded tensor plus one file size
//   io_probe peak-idx-gzip-bomb DIR         a 256 MiB gzip bomb behind a 16-byte IDX header is
//                                           rejected after reading little more than the header
//   io_probe idx-out-of-memory DIR          a gzip IDX file of 128 MiB of data read with too
//                                           little address space is a kindling::error
//   io_probe save PATH                      saves a small safetensors file
//
// Exits 0 when the check holds, 1 (with the figures) when it does not.
#include <sys/resource.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "kindling/engine/error.hpp"
#include "kindling/nn/readers.hpp"
#include "kindling/nn/safetensors.hpp"
#include "kindling/tensor/creation.hpp"

using namespace kindling;

namespace {

// The process's peak resident set so far, in bytes.
long long peak_rss() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<long long>(usage.ru_maxrss) * 1024;  // Linux reports KiB
}

constexpr long long kMiB = 1 << 20;

int peak_bool_safetensors(long long mib, const std::string& dir) {
  const long long n = mib * kMiB;
  const std::string path = dir + "/io_probe_bool.safetensors";
  {
    // Written in 1 MiB pieces, so writing does not raise the peak.
    std::string header = "{\"flags\":{\"dtype\":\"BOOL\",\"shape\":[" + std::to_string(n) +
                         "],\"data_offsets\":[0," + std::to_string(n) + "]}}";
    header.append((8 - header.size() % 8) % 8, ' ');
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) return std::perror("fopen"), 1;
    const std::uint64_t length = header.size();
    std::fwrite(&length, 8, 1, f);
    std::fwrite(header.data(), 1, header.size(), f);
    std::vector<unsigned char> piece(kMiB);
    for (std::size_t i = 0; i < piece.size(); ++i)
      piece[i] = static_cast<unsigned char>(i % 3 == 0 ? 0 : i % 7);
    for (long long written = 0; written < n; written += kMiB)
      std::fwrite(piece.data(), 1, piece.size(), f);
    std::fclose(f);
  }
  const long long file_bytes = n + 8;
  const long long before = peak_rss();
  const nn::StateDict loaded = nn::load_safetensors(path);
  const long long after = peak_rss();
  std::remove(path.c_str());
  const Tensor& flags = loaded.at("flags");
  const long long tensor_bytes = flags.numel() * static_cast<long long>(dtype_size(flags.dtype()));
  const long long growth = after - before;
  // The tensor itself, plus at most one more file's worth (and a little for the allocator).
  const long long allowed = tensor_bytes + file_bytes + 16 * kMiB;
  std::printf(
      "BOOL safetensors file of %lld MiB loaded as %s: tensor %lld MiB, peak RSS %lld MiB -> "
      "%lld MiB (growth %lld MiB = %.2fx the file; allowed %lld MiB)\n",
      mib, std::string(dtype_name(flags.dtype())).c_str(), tensor_bytes / kMiB, before / kMiB,
      after / kMiB, growth / kMiB, static_cast<double>(growth) / static_cast<double>(file_bytes),
      allowed / kMiB);
  // Spot-check the values: the pattern written above, as 0 / 1.
  const auto sample = flags.slice(0, 0, 21).to_vector<double>();
  for (std::size_t i = 0; i < sample.size(); ++i)
    if (sample[i] != (i % 3 == 0 || i % 7 == 0 ? 0.0 : 1.0)) {
      std::printf("wrong value at %zu\n", i);
      return 1;
    }
  return growth <= allowed ? 0 : 1;
}

int peak_idx_gzip_bomb(const std::string& dir) {
  const std::string path = dir + "/io_probe_bomb.idx.gz";
  {
    gzFile f = gzopen(path.c_str(), "wb1");
    if (!f) return std::perror("gzopen"), 1;
    // A valid header announcing 16 bytes, then 256 MiB of zeros.
    const unsigned char header[8] = {0, 0, 8, 1, 0, 0, 0, 16};
    gzwrite(f, header, sizeof header);
    std::vector<unsigned char> zeros(kMiB, 0);
    for (int i = 0; i < 256; ++i)
      gzwrite(f, zeros.data(), static_cast<unsigned>(zeros.size()));
    gzclose(f);
  }
  const long long before = peak_rss();
  std::string message;
  try {
    nn::read_idx(path);
  } catch (const error& e) {
    message = e.what();
  }
  const long long growth = peak_rss() - before;
  std::remove(path.c_str());
  std::printf(
      "gzip bomb (256 MiB of zeros behind a 16-byte IDX header): peak RSS growth %lld KiB; "
      "error: %s\n",
      growth / 1024, message.c_str());
  return message.find("but there are more") != std::string::npos && growth < 8 * kMiB ? 0 : 1;
}

// The process's virtual size now, in bytes (/proc/self/statm counts pages).
long long virtual_size() {
  long long pages = 0;
  if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%lld", &pages) != 1) pages = 0;
    std::fclose(f);
  }
  return pages * sysconf(_SC_PAGESIZE);
}

int idx_out_of_memory(const std::string& dir) {
  const std::string path = dir + "/io_probe_large.idx.gz";
  {
    gzFile f = gzopen(path.c_str(), "wb1");
    if (!f) return std::perror("gzopen"), 1;
    const unsigned char header[8] = {0, 0, 8, 1, 0x08, 0, 0, 0};  // 2^27 bytes, all present
    gzwrite(f, header, sizeof header);
    std::vector<unsigned char> zeros(kMiB, 0);
    for (int i = 0; i < 128; ++i)
      gzwrite(f, zeros.data(), static_cast<unsigned>(zeros.size()));
    gzclose(f);
  }
  // Room for 96 MiB more: the 128 MiB of data cannot fit.
  rlimit limit{};
  getrlimit(RLIMIT_AS, &limit);
  const rlimit saved = limit;
  limit.rlim_cur = static_cast<rlim_t>(virtual_size() + 96 * kMiB);
  setrlimit(RLIMIT_AS, &limit);
  std::string message;
  try {
    nn::read_idx(path);
  } catch (const error& e) {
    message = e.what();
  }
  setrlimit(RLIMIT_AS, &saved);
  std::remove(path.c_str());
  std::printf("128 MiB of IDX data with 96 MiB of address space to spare: %s\n",
              message.empty() ? "(no error)" : message.c_str());
  return message.find("out of memory") != std::string::npos ? 0 : 1;
}

int save(const std::string& path) {
  nn::StateDict state;
  state.insert("w", tensor({1, 2, 3}));
  nn::save_safetensors(state, path);
  return nn::load_safetensors(path).size() == 1 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  try {
    if (mode == "peak-bool-safetensors" && argc == 4)
      return peak_bool_safetensors(std::atoll(argv[2]), argv[3]);
    if (mode == "peak-idx-gzip-bomb" && argc == 3) return peak_idx_gzip_bomb(argv[2]);
    if (mode == "idx-out-of-memory" && argc == 3) return idx_out_of_memory(argv[2]);
    if (mode == "save" && argc == 3) return save(argv[2]);
  } catch (const std::exception& e) {
    std::printf("error: %s\n", e.what());
    return 1;
  }
  std::fprintf(stderr,
               "usage: io_probe peak-bool-safetensors MIB DIR | peak-idx-gzip-bomb DIR | "
               "idx-out-of-memory DIR | save PATH\n");
  return 2;
}
