// The run-time choice of instruction set (Note [instruction-set features]): every variant the
// dispatchers may pick needs every feature its file is compiled with, and on this CPU the chosen
// ones have them all. The compile flags come from CMake, read from the files' own COMPILE_OPTIONS
// (tests/tensor/CMakeLists.txt), and the CPU's features from /proc/cpuinfo, so neither side of the
// comparison is the dispatcher's own table.
#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <string_view>

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

const IsaVariant& simd_variant(std::string_view name) {
  for (const IsaVariant& v : cpu_simd_variants())
    if (name == v.name) return v;
  FAIL("no SIMD variant named " << name);
  return cpu_simd_variants().front();
}

TEST_CASE("isa: each variant needs exactly the features its file is compiled with",
          "[tensor][isa]") {
  // The AVX-512 loops are compiled with -mavx512dq, and were chosen on avx512f alone: a SIGILL
  // waiting for a CPU with F and without DQ.
  CHECK(features_of_list(simd_variant("avx512f").features) ==
        features_of_flags(KINDLING_TEST_SIMD_AVX512_FLAGS));
  CHECK(features_of_list(simd_variant("avx2").features) ==
        features_of_flags(KINDLING_TEST_SIMD_AVX2_FLAGS));
  CHECK(std::string(simd_variant("sse2").features).empty());
  CHECK(features_of_list(gemm_isa_features(gemm_isa::avx512)) ==
        features_of_flags(KINDLING_TEST_GEMM_AVX512_FLAGS));
  CHECK(features_of_list(gemm_isa_features(gemm_isa::avx2)) ==
        features_of_flags(KINDLING_TEST_GEMM_AVX2_FLAGS));
  CHECK(std::string(gemm_isa_features(gemm_isa::generic)).empty());
}

TEST_CASE("isa: the chosen variants' features are all present on this CPU", "[tensor][isa]") {
  const std::set<std::string> cpu = proc_cpuinfo_flags();
  if (cpu.empty()) {
    WARN("no /proc/cpuinfo flags line: cannot cross-check the CPU's features");
    return;
  }
  const std::string arch = cpu_simd_arch();
  INFO("SIMD variant " << arch);
  for (const std::string& feature : features_of_list(simd_variant(arch).features)) {
    INFO(feature);
    CHECK(cpu.count(cpuinfo_name(feature)) == 1);
    CHECK(cpu_has_feature(feature));
  }
  const gemm_isa gemm = gemm_active_isa();
  INFO("GEMM variant " << gemm_isa_name(gemm));
  for (const std::string& feature : features_of_list(gemm_isa_features(gemm))) {
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

// Fake CPUs for choose_isa_variant: the features each one has.
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

TEST_CASE("isa: a CPU without one of a variant's features does not get that variant",
          "[tensor][isa]") {
  const auto variants = cpu_simd_variants();
  auto pick = [&](bool (*has)(std::string_view), const char* cap = nullptr) {
    return std::string(variants[choose_isa_variant(variants, cap, has)].name);
  };
  CHECK(pick(&zen4_like) == "avx512f");
  CHECK(pick(&avx512f_without_dq) == "avx2");  // the latent SIGILL
  CHECK(pick(&avx2_without_fma) == "sse2");
  CHECK(pick(&baseline) == "sse2");
  // KINDLING_SIMD caps the choice; a name it does not know caps nothing.
  CHECK(pick(&zen4_like, "avx2") == "avx2");
  CHECK(pick(&zen4_like, "sse2") == "sse2");
  CHECK(pick(&zen4_like, "avx512f") == "avx512f");
  CHECK(pick(&zen4_like, "bogus") == "avx512f");
  CHECK(pick(&avx512f_without_dq, "avx512f") == "avx2");
  // The GEMM variants in the same way, with the lists they are compiled with.
  const IsaVariant gemm_variants[] = {
      {"avx512", gemm_isa_features(gemm_isa::avx512)},
      {"avx2", gemm_isa_features(gemm_isa::avx2)},
      {"generic", gemm_isa_features(gemm_isa::generic)},
  };
  CHECK(choose_isa_variant(gemm_variants, nullptr, &zen4_like) == 0);
  CHECK(choose_isa_variant(gemm_variants, nullptr, &avx512f_without_dq) == 1);
  CHECK(choose_isa_variant(gemm_variants, nullptr, &avx2_without_fma) == 2);
}

}  // namespace
}  // namespace kindling::kernels
