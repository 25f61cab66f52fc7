// The run-time choice of instruction-set level (Note [isa levels], Note [instruction-set
// features]): every level the dispatchers may pick needs every feature its files are compiled
// with, and on this CPU the chosen ones have them all. The compile flags come from CMake, read from
// the files' own COMPILE_OPTIONS (tests/tensor/CMakeLists.txt), and the CPU's features from
// /proc/cpuinfo, so neither side of the comparison is the dispatcher's own table.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>

#include "kindling/tensor/cpu_features.hpp"
#include "kindling/tensor/gemm_isa.hpp"
#include "kindling/tensor/kernels.hpp"

namespace kindling::kernels {
namespace {

// Feature names from the flags CMake compiles a file with: "-mavx2,-mfma" -> {avx2, fma}.
std::set<std::string> features_of_flags(std::string_view flags) {
  std::set<std::string> out;
  std::stringstream in{std::string(flags)};
  std::string flag;
  while (std::getline(in, flag, ',')) {
    REQUIRE(flag.rfind("-m", 0) == 0);  // only -m flags are instruction-set flags here
    out.insert(flag.substr(2));
  }
  return out;
}

// Feature names from a comma-separated list: "avx2,fma" -> {avx2, fma}.
std::set<std::string> features_of_list(std::string_view list) {
  std::set<std::string> out;
  std::stringstream in{std::string(list)};
  std::string feature;
  while (std::getline(in, feature, ','))
    if (!feature.empty()) out.insert(feature);
  return out;
}

// The "flags" line of /proc/cpuinfo (the kernel's names, which for these features are GCC's with
// the dot dropped: sse4_1 for sse4.1); empty where there is none.
std::set<std::string> proc_cpuinfo_flags() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) != 0) continue;
    std::set<std::string> flags;
    std::stringstream words(line.substr(line.find(':') + 1));
    std::string word;
    while (words >> word)
      flags.insert(word);
    return flags;
  }
  return {};
}

std::string cpuinfo_name(std::string feature) {
  for (char& c : feature)
    if (c == '.') c = '_';
  return feature;
}

TEST_CASE("isa: each level's files are compiled with exactly the level's features",
          "[tensor][isa]") {
  // The AVX-512 loops were compiled with -mavx512dq and chosen on avx512f alone: a SIGILL waiting
  // for a CPU with F and without DQ. Now every file of a level has one list, F + DQ + BW + VL for
  // AVX-512, the SIMD loops and the GEMM alike (Note [isa levels]).
  const std::set<std::string> avx512 = features_of_list(isa_level_features(IsaLevel::avx512));
  CHECK(avx512 == features_of_flags(KINDLING_TEST_SIMD_AVX512_FLAGS));
  CHECK(avx512 == features_of_flags(KINDLING_TEST_GEMM_AVX512_FLAGS));
  for (const char* f : {"avx512f", "avx512dq", "avx512bw", "avx512vl"}) {
    INFO(f);
    CHECK(avx512.count(f) == 1);
  }
  const std::set<std::string> avx2 = features_of_list(isa_level_features(IsaLevel::avx2));
  CHECK(avx2 == features_of_flags(KINDLING_TEST_SIMD_AVX2_FLAGS));
  CHECK(avx2 == features_of_flags(KINDLING_TEST_GEMM_AVX2_FLAGS));
  CHECK(avx2 == std::set<std::string>{"avx2", "fma"});
  CHECK(std::string(isa_level_features(IsaLevel::baseline)).empty());
}

TEST_CASE("isa: the chosen variants' features are all present on this CPU", "[tensor][isa]") {
  const std::set<std::string> cpu = proc_cpuinfo_flags();
  if (cpu.empty()) {
    WARN("no /proc/cpuinfo flags line: cannot cross-check the CPU's features");
    return;
  }
  const std::string arch = cpu_simd_arch();
  INFO("SIMD level " << arch);
  const std::optional<IsaLevel> simd = parse_isa_level(arch);
  REQUIRE(simd);
  CHECK(isa_level_name(*simd) == arch);
  for (const std::string& feature : features_of_list(isa_level_features(*simd))) {
    INFO(feature);
    CHECK(cpu.count(cpuinfo_name(feature)) == 1);
    CHECK(cpu_has_feature(feature));
  }
  const IsaLevel gemm = gemm_active_isa();
  INFO("GEMM level " << isa_level_name(gemm));
  // Both dispatchers see the same CPU and the same lists: with no cap, the same level.
  if (!isa_cap_from_environment("KINDLING_SIMD") && !isa_cap_from_environment("KINDLING_GEMM_ISA"))
    CHECK(gemm == *simd);
  for (const std::string& feature : features_of_list(isa_level_features(gemm))) {
    INFO(feature);
    CHECK(cpu.count(cpuinfo_name(feature)) == 1);
  }
  // And the other way: the check agrees with the kernel on every feature either side names.
  for (const char* feature : {"sse2", "avx", "avx2", "fma", "avx512f", "avx512dq", "avx512bw",
                              "avx512vl", "sse4.1", "sse4.2"}) {
    INFO(feature);
    CHECK(cpu_has_feature(feature) == (cpu.count(cpuinfo_name(feature)) == 1));
  }
  CHECK_FALSE(cpu_has_feature("no-such-feature"));  // unknown names count as missing
}

// Fake CPUs for choose_isa_level: the features each one has.
bool zen4_like(std::string_view f) {
  return f == "avx512f" || f == "avx512dq" || f == "avx512bw" || f == "avx512vl" || f == "avx2" ||
         f == "fma" || f == "sse2";
}
bool avx512f_without_dq(std::string_view f) {
  return f == "avx512f" || f == "avx2" || f == "fma" || f == "sse2";
}
bool avx2_without_fma(std::string_view f) {
  return f == "avx2" || f == "sse2";
}
bool baseline(std::string_view f) {
  return f == "sse2";
}

bool avx512_without_bw(std::string_view f) {
  return f == "avx512f" || f == "avx512dq" || f == "avx512vl" || f == "avx2" || f == "fma" ||
         f == "sse2";
}
bool avx512_without_vl(std::string_view f) {
  return f == "avx512f" || f == "avx512dq" || f == "avx512bw" || f == "avx2" || f == "fma" ||
         f == "sse2";
}

TEST_CASE("isa: a CPU without one of a level's features does not get that level", "[tensor][isa]") {
  auto pick = [](bool (*has)(std::string_view), std::optional<IsaLevel> cap = std::nullopt) {
    return std::string(isa_level_name(choose_isa_level(cap, has)));
  };
  CHECK(pick(&zen4_like) == "avx512");
  CHECK(pick(&avx512f_without_dq) == "avx2");  // the latent SIGILL
  CHECK(pick(&avx512_without_bw) == "avx2");
  CHECK(pick(&avx512_without_vl) == "avx2");
  CHECK(pick(&avx2_without_fma) == "baseline");
  CHECK(pick(&baseline) == "baseline");
  // A cap lowers the choice, never raises it.
  CHECK(pick(&zen4_like, IsaLevel::avx2) == "avx2");
  CHECK(pick(&zen4_like, IsaLevel::baseline) == "baseline");
  CHECK(pick(&zen4_like, IsaLevel::avx512) == "avx512");
  CHECK(pick(&avx512f_without_dq, IsaLevel::avx512) == "avx2");
  CHECK(pick(&avx2_without_fma, IsaLevel::avx2) == "baseline");
}

TEST_CASE("isa: one vocabulary, the old names are read as the levels they meant", "[tensor][isa]") {
  CHECK(parse_isa_level("avx512") == IsaLevel::avx512);
  CHECK(parse_isa_level("avx512f") == IsaLevel::avx512);  // KINDLING_SIMD's old name
  CHECK(parse_isa_level("avx2") == IsaLevel::avx2);
  CHECK(parse_isa_level("baseline") == IsaLevel::baseline);
  CHECK(parse_isa_level("sse2") == IsaLevel::baseline);     // KINDLING_SIMD's old name
  CHECK(parse_isa_level("generic") == IsaLevel::baseline);  // KINDLING_GEMM_ISA's old name
  CHECK_FALSE(parse_isa_level("bogus"));
  CHECK_FALSE(parse_isa_level(""));
  for (IsaLevel level : {IsaLevel::avx512, IsaLevel::avx2, IsaLevel::baseline})
    CHECK(parse_isa_level(isa_level_name(level)) == level);
}

TEST_CASE("isa: KINDLING_ISA caps both dispatchers, the old variables one each", "[tensor][isa]") {
  // Restores the environment the test started with, whatever happens.
  struct Saved {
    std::string name;
    std::optional<std::string> value;
    explicit Saved(std::string n) : name(std::move(n)) {
      if (const char* v = std::getenv(name.c_str())) value = v;
    }
    ~Saved() {
      if (value)
        setenv(name.c_str(), value->c_str(), 1);
      else
        unsetenv(name.c_str());
    }
  };
  const Saved isa("KINDLING_ISA"), simd("KINDLING_SIMD"), gemm("KINDLING_GEMM_ISA");
  unsetenv("KINDLING_ISA");
  unsetenv("KINDLING_SIMD");
  unsetenv("KINDLING_GEMM_ISA");
  CHECK_FALSE(isa_cap_from_environment("KINDLING_SIMD"));
  setenv("KINDLING_SIMD", "sse2", 1);
  CHECK(isa_cap_from_environment("KINDLING_SIMD") == IsaLevel::baseline);
  CHECK_FALSE(isa_cap_from_environment("KINDLING_GEMM_ISA"));
  setenv("KINDLING_GEMM_ISA", "avx2", 1);
  CHECK(isa_cap_from_environment("KINDLING_GEMM_ISA") == IsaLevel::avx2);
  setenv("KINDLING_ISA", "avx512", 1);  // KINDLING_ISA wins over either alias
  CHECK(isa_cap_from_environment("KINDLING_SIMD") == IsaLevel::avx512);
  CHECK(isa_cap_from_environment("KINDLING_GEMM_ISA") == IsaLevel::avx512);
  setenv("KINDLING_ISA", "bogus", 1);  // an unknown name caps nothing
  CHECK_FALSE(isa_cap_from_environment("KINDLING_SIMD"));
}

}  // namespace
}  // namespace kindling::kernels
