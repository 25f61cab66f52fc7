// The run-time CPU feature check and the choice of an instruction-set level (Note [isa levels] and
// Note [instruction-set features] in kindling/tensor/cpu_features.hpp). Compiled without any -m
// flags: it runs before anything knows what the CPU has.
#include "kindling/tensor/cpu_features.hpp"

#include <cstdlib>

namespace kindling::kernels {

namespace {

// Every x86 feature a variant's list may name. Each check is a separate literal because
// __builtin_cpu_supports takes only string constants (written as literals here: clang-format
// would split a bare sse4.1 into two tokens).
#define KINDLING_X86_FEATURES(X) \
  X("sse2")                      \
  X("sse3")                      \
  X("ssse3")                     \
  X("sse4.1")                    \
  X("sse4.2")                    \
  X("popcnt")                    \
  X("avx")                       \
  X("avx2")                      \
  X("fma")                       \
  X("bmi")                       \
  X("bmi2")                      \
  X("avx512f")                   \
  X("avx512dq")                  \
  X("avx512cd")                  \
  X("avx512bw")                  \
  X("avx512vl")

// Whether every comma-separated feature in `features` satisfies `has` ("" is the baseline).
bool has_all(std::string_view features, bool (*has)(std::string_view)) noexcept {
  while (!features.empty()) {
    const std::size_t comma = features.find(',');
    const std::string_view feature = features.substr(0, comma);
    if (!feature.empty() && !has(feature)) return false;
    if (comma == std::string_view::npos) break;
    features.remove_prefix(comma + 1);
  }
  return true;
}

}  // namespace

bool cpu_has_feature(std::string_view feature) noexcept {
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
  // Safe to call more than once; needed when this runs before libgcc's own constructor (a static
  // initialiser that touches a tensor).
  __builtin_cpu_init();
#define KINDLING_X(name) \
  if (feature == name) return __builtin_cpu_supports(name);
  KINDLING_X86_FEATURES(KINDLING_X)
#undef KINDLING_X
#else
  (void)feature;
#endif
  return false;
}

bool cpu_has_features(std::string_view features) noexcept {
  return has_all(features, &cpu_has_feature);
}

const char* isa_level_name(IsaLevel level) noexcept {
  switch (level) {
    case IsaLevel::avx512:
      return "avx512";
    case IsaLevel::avx2:
      return "avx2";
    case IsaLevel::baseline:
      return "baseline";
  }
  return "baseline";
}

const char* isa_level_features(IsaLevel level) noexcept {
  // From tensor/CMakeLists.txt, which compiles every file of a level with exactly these
  // features' -m flags.
  switch (level) {
    case IsaLevel::avx512:
      return KINDLING_ISA_AVX512_FEATURES;
    case IsaLevel::avx2:
      return KINDLING_ISA_AVX2_FEATURES;
    case IsaLevel::baseline:
      return "";
  }
  return "";
}

std::optional<IsaLevel> parse_isa_level(std::string_view name) noexcept {
  if (name == "avx512" || name == "avx512f") return IsaLevel::avx512;
  if (name == "avx2") return IsaLevel::avx2;
  if (name == "baseline" || name == "sse2" || name == "generic") return IsaLevel::baseline;
  return std::nullopt;
}

std::optional<IsaLevel> isa_cap_from_environment(const char* alias) noexcept {
  if (const char* isa = std::getenv("KINDLING_ISA")) return parse_isa_level(isa);
  if (alias != nullptr)
    if (const char* value = std::getenv(alias)) return parse_isa_level(value);
  return std::nullopt;
}

IsaLevel choose_isa_level(std::optional<IsaLevel> cap, bool (*has)(std::string_view feature)) {
  for (IsaLevel level : {IsaLevel::avx512, IsaLevel::avx2}) {
    if (cap && *cap < level) continue;
    if (has_all(isa_level_features(level), has)) return level;
  }
  return IsaLevel::baseline;
}

}  // namespace kindling::kernels
