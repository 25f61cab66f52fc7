// The CPU features each instruction-set variant of the CPU kernels needs, and the run-time check
// that picks a variant: shared by the SIMD loops (Note [simd dispatch] in tensor/src/cpu/simd.hpp)
// and the GEMM engines (Note [gemm dispatch] in gemm_isa.hpp).
//
// Note [instruction-set features]
// A file compiled with -mavx512dq may use AVX-512 DQ instructions anywhere in it (the compiler
// vectorises scalar tails and conversions on its own), so it may run only on a CPU that has every
// feature its flags name, not just the headline one. tensor/CMakeLists.txt keeps one list of
// feature names per such file; it makes the file's -m flags from that list and hands the same
// list to the dispatchers as a compile definition, so the run-time check below is always exactly
// the compile flags. A feature name this file does not know counts as missing.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

namespace kindling::kernels {

// One instruction-set variant of a dispatched file: its name ("avx512f") and the CPU features
// its file was compiled for, comma-separated as in the -m flags without "-m" ("avx512f,avx512dq,
// avx2,fma"); "" for the baseline, which runs everywhere.
struct IsaVariant {
  const char* name;
  const char* features;
};

// Whether this CPU, and the OS (for the AVX and AVX-512 register state), supports one x86
// feature named as in GCC's -m flags and __builtin_cpu_supports: sse2, avx, avx2, fma, avx512f,
// avx512dq, avx512bw, avx512vl, ... False for names it does not know, and off x86.
bool cpu_has_feature(std::string_view feature) noexcept;
// Whether it has every feature of a comma-separated list ("" is the baseline: true).
bool cpu_has_features(std::string_view features) noexcept;

// The first of `variants` (best first) at or after the one named `cap` (from the start when cap
// is null or names none of them) whose features all satisfy `has`; the last variant, the
// baseline, when none does. Pure, so tests can ask what a CPU without some feature would get.
std::size_t choose_isa_variant(std::span<const IsaVariant> variants, const char* cap,
                               bool (*has)(std::string_view feature));

// The variants of the CPU kernels' SIMD loops, best first: avx512f, avx2, sse2. cpu_simd_arch()
// (kernels.hpp) names the one chosen, by choose_isa_variant with cpu_has_feature and the
// KINDLING_SIMD cap.
std::span<const IsaVariant> cpu_simd_variants() noexcept;

}  // namespace kindling::kernels
