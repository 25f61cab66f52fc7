// The CPU features each instruction-set variant of the CPU kernels needs, and the run-time check
// that picks a variant: shared by the SIMD loops (Note [simd dispatch] in tensor/src/cpu/simd.hpp)
// and the GEMM engines (Note [gemm dispatch] in gemm_isa.hpp).
//
// Note [instruction-set features]
// A file compiled with -mavx512dq may use AVX-512 DQ instructions anywhere in it (the compiler
// vectorises scalar tails and conversions on its own), so it may run only on a CPU that has every
// feature its flags name, not just the headline one. tensor/CMakeLists.txt keeps one list of
// feature names per level (Note [isa levels]); it makes the level's files' -m flags from that list
// and hands the same list to the check as a compile definition, so the run-time check below is
// always exactly the compile flags. A feature name this file does not know counts as missing.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace kindling::kernels {

// Note [isa levels]
// One vocabulary for every dispatched file: the instruction-set levels avx512, avx2 and baseline.
// Each level has one list of CPU features (tensor/CMakeLists.txt): avx512 = avx512f, avx512dq,
// avx512bw, avx512vl, avx2, fma; avx2 = avx2, fma; baseline = nothing beyond x86-64. Every file of
// a level, the SIMD loops (Note [simd dispatch] in src/cpu/simd.hpp) and the GEMM engine (Note
// [gemm dispatch] in gemm_isa.hpp) alike, is compiled with exactly that list's -m flags, and a
// level is chosen only on a CPU that has every feature on its list. KINDLING_ISA=<level> caps the
// choice for both; KINDLING_SIMD and KINDLING_GEMM_ISA, the older per-subsystem variables, still
// cap one of them when KINDLING_ISA is not set, and the old names avx512f, sse2 and generic are
// read as avx512, baseline and baseline.

/// An instruction-set level of the dispatched CPU code (Note [isa levels]), lowest first.
enum class IsaLevel : std::uint8_t {
  baseline,  ///< Nothing beyond x86-64 (and every non-x86 CPU).
  avx2,      ///< avx2 and fma.
  avx512     ///< avx512f, avx512dq, avx512bw, avx512vl, avx2 and fma.
};

/// The level's name: "avx512", "avx2", "baseline".
const char* isa_level_name(IsaLevel level) noexcept;
/// The CPU features the level's files are compiled for, comma-separated as in the -m flags
/// without "-m" ("avx2,fma"); "" for the baseline, which runs everywhere.
const char* isa_level_features(IsaLevel level) noexcept;
/// The level a name means, the old spellings included (avx512f, sse2, generic); nullopt for
/// anything else.
std::optional<IsaLevel> parse_isa_level(std::string_view name) noexcept;
/// The cap the environment asks for: KINDLING_ISA, else the variable named `alias` (null for
/// none); nullopt when neither names a level (an unknown name caps nothing).
std::optional<IsaLevel> isa_cap_from_environment(const char* alias) noexcept;
/// The best level at or below `cap` (any level when nullopt) whose features all satisfy `has`;
/// the baseline when none does. Pure, so tests can ask what a CPU without some feature would get.
IsaLevel choose_isa_level(std::optional<IsaLevel> cap, bool (*has)(std::string_view feature));

/// Whether this CPU, and the OS (for the AVX and AVX-512 register state), supports one x86
/// feature named as in GCC's -m flags and __builtin_cpu_supports: sse2, avx, avx2, fma, avx512f,
/// avx512dq, avx512bw, avx512vl, ... False for names it does not know, and off x86.
bool cpu_has_feature(std::string_view feature) noexcept;
/// Whether it has every feature of a comma-separated list ("" is the baseline: true).
bool cpu_has_features(std::string_view features) noexcept;

}  // namespace kindling::kernels
