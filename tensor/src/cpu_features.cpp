// The run-time CPU feature check and the choice of an instruction-set variant (Note
// [instruction-set features] in kindling/tensor/cpu_features.hpp). Compiled without any -m flags:
// it runs before anything knows what the CPU has.
#include "kindling/tensor/cpu_features.hpp"

#include <cstring>

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

std::size_t choose_isa_variant(std::span<const IsaVariant> variants, const char* cap,
                               bool (*has)(std::string_view feature)) {
  std::size_t first = 0;
  if (cap != nullptr) {
    for (std::size_t i = 0; i < variants.size(); ++i)
      if (std::strcmp(variants[i].name, cap) == 0) first = i;
  }
  for (std::size_t i = first; i < variants.size(); ++i)
    if (has_all(variants[i].features, has)) return i;
  return variants.empty() ? 0 : variants.size() - 1;
}

std::span<const IsaVariant> cpu_simd_variants() noexcept {
  // The lists come from tensor/CMakeLists.txt, which compiles each simd_<arch>.cpp with exactly
  // these features' -m flags.
  static constexpr IsaVariant kVariants[] = {
      {"avx512f", KINDLING_SIMD_AVX512_FEATURES},
      {"avx2", KINDLING_SIMD_AVX2_FEATURES},
      {"sse2", ""},
  };
  return kVariants;
}

}  // namespace kindling::kernels
