// The environments a benchmark tries its peer in, so that the peer runs at its true best on this
// machine (issue 19). Debian's OpenBLAS 0.3.21 does not recognise every CPU these machines have
// and may fall back to its SSE3 kernels when OPENBLAS_CORETYPE is unset (PLATFORM.md), and
// glibc's default malloc thresholds return a large tensor's pages to the system after each step.
// So a benchmark runs its peer once per environment, keeps the fastest and prints which it was.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "kindling_cli/machine.hpp"
#include "kindling_cli/spawn.hpp"

namespace kindling_cli {

// glibc malloc thresholds raised, so freed tensors stay mapped between steps.
inline constexpr const char* kTunedMalloc =
    "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=268435456";

struct PeerEnvironment {
  std::string openblas_core;  // OPENBLAS_CORETYPE; empty: unset, OpenBLAS detects the CPU
  bool tuned_malloc = false;  // GLIBC_TUNABLES=kTunedMalloc

  std::string name() const {
    return "OPENBLAS_CORETYPE=" + (openblas_core.empty() ? std::string("(unset)") : openblas_core) +
           (tuned_malloc ? " malloc=tuned" : " malloc=default");
  }
  // Sets (and first clears) the variables in a child's environment.
  void apply(SpawnOptions& options) const {
    options.unset_env.insert(options.unset_env.end(),
                             {"OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "GLIBC_TUNABLES"});
    if (!openblas_core.empty()) options.set_env.emplace_back("OPENBLAS_CORETYPE", openblas_core);
    if (tuned_malloc) options.set_env.emplace_back("GLIBC_TUNABLES", kTunedMalloc);
  }
};

// OpenBLAS's kernel sets this CPU can run: unset (its own detection) first, then SkylakeX and
// Cooperlake where the CPU has AVX-512 (and BF16), then Haswell (AVX2 + FMA). Forcing a set the
// CPU lacks would end the peer with SIGILL, so those are left out.
inline std::vector<std::string> openblas_core_candidates() {
  const std::string flags = cpu_flags();
  auto has = [&flags](const char* flag) {
    std::string word(1, ' ');  // appends, not operator+: GCC 12's -Wrestrict misfires on it
    word.append(flag).push_back(' ');
    return flags.find(word) != std::string::npos;
  };
  std::vector<std::string> cores = {""};
  if (has("avx512f") && has("avx512bw") && has("avx512vl") && has("avx512dq"))
    cores.emplace_back("SkylakeX");
  if (has("avx512_bf16")) cores.emplace_back("Cooperlake");
  if (has("avx2") && has("fma")) cores.emplace_back("Haswell");
  return cores;
}

// Every OpenBLAS kernel set with default and with tuned malloc.
inline std::vector<PeerEnvironment> peer_environments() {
  std::vector<PeerEnvironment> out;
  for (const std::string& core : openblas_core_candidates())
    for (bool tuned : {false, true})
      out.push_back({core, tuned});
  return out;
}

// The environment whose run of `measure` (seconds; <= 0 for a failed run) is the shortest, and
// that time; {{}, 0} when every run failed.
template <class Measure>
std::pair<PeerEnvironment, double> fastest_environment(Measure&& measure) {
  std::pair<PeerEnvironment, double> best{{}, 0.0};
  for (const PeerEnvironment& environment : peer_environments()) {
    const double s = measure(environment);
    if (s > 0 && (best.second == 0 || s < best.second)) best = {environment, s};
  }
  return best;
}

}  // namespace kindling_cli
