// Generator: the seeded random source behind every random thing in kindling (initialisation, data
// shuffling, rand/randn, the moons data), so that a seed reproduces a run exactly on any platform.
// xoshiro256** for the bits (std:: distributions differ between standard libraries, so the
// conversions to uniform and normal numbers are written here).
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <numbers>

namespace kindling {

/// The seeded random source behind every random thing in kindling (xoshiro256**), the role of
/// torch.Generator: the same seed gives the same numbers on every platform and standard library.
/// Not thread-safe: one generator per thread.
/// @code
/// kindling::Generator gen(42);
/// const double u = gen.uniform();            // in [0, 1)
/// const double z = gen.normal(0.0, 2.0);     // mean 0, standard deviation 2
/// const std::uint64_t i = gen.below(10);     // 0 to 9
/// const kindling::Generator::Snapshot saved = gen.snapshot();
/// const double next = gen.uniform();
/// gen.restore(saved);                        // gen.uniform() == next again
/// @endcode
class Generator {
 public:
  /// xoshiro256**'s four words of state.
  using State = std::array<std::uint64_t, 4>;

  /// A generator seeded with `seed` (manual_seed()); the default seed is "kindling" in ASCII.
  explicit Generator(std::uint64_t seed = 0x6b696e646c696e67ull) { manual_seed(seed); }

  /// Restarts the sequence from `seed`, as torch.Generator.manual_seed: the state is the seed
  /// expanded with splitmix64, as xoshiro's authors recommend, and a kept normal is dropped.
  void manual_seed(std::uint64_t seed) noexcept {
    for (auto& word : state_) {
      seed += 0x9e3779b97f4a7c15ull;
      std::uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      word = z ^ (z >> 31);
    }
    has_spare_normal_ = false;
  }

  /// The next 64 random bits (xoshiro256**'s output).
  std::uint64_t next_u64() noexcept {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  /// Uniform in [0, 1) with 53 random bits.
  double uniform() noexcept { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  /// Uniform between `low` and `high`: low + (high - low) * uniform().
  double uniform(double low, double high) noexcept { return low + (high - low) * uniform(); }

  /// Uniform integer in [0, bound), without modulo bias (Lemire's method); 0 for a bound of 0.
  std::uint64_t below(std::uint64_t bound) noexcept {
    if (bound == 0) return 0;
    const std::uint64_t threshold = (0 - bound) % bound;
    for (;;) {
      const uint128 product = static_cast<uint128>(next_u64()) * bound;
      if (static_cast<std::uint64_t>(product) >= threshold) {
        return static_cast<std::uint64_t>(product >> 64);
      }
    }
  }

  /// Standard normal by the Box-Muller transform; the second number of each pair is kept for the
  /// next call.
  double normal() noexcept {
    if (has_spare_normal_) {
      has_spare_normal_ = false;
      return spare_normal_;
    }
    const double u1 = 1.0 - uniform();  // in (0, 1], so log(u1) is finite
    const double u2 = uniform();
    const double radius = std::sqrt(-2.0 * std::log(u1));
    const double angle = 2.0 * std::numbers::pi * u2;
    spare_normal_ = radius * std::sin(angle);
    has_spare_normal_ = true;
    return radius * std::cos(angle);
  }
  /// Normal with the given mean and standard deviation: mean + stddev * normal().
  double normal(double mean, double stddev) noexcept { return mean + stddev * normal(); }

  /// The full state, for checkpoints: restoring it continues the exact same sequence
  /// (torch.Generator's get_state and set_state).
  struct Snapshot {
    State state;            ///< xoshiro256**'s state.
    bool has_spare_normal;  ///< Whether normal() has kept the second number of a pair.
    double spare_normal;    ///< That number.
  };
  /// The generator's full state now.
  Snapshot snapshot() const noexcept { return {state_, has_spare_normal_, spare_normal_}; }
  /// Puts the generator back in a state snapshot() returned.
  void restore(const Snapshot& snapshot) noexcept {
    state_ = snapshot.state;
    has_spare_normal_ = snapshot.has_spare_normal;
    spare_normal_ = snapshot.spare_normal;
  }

 private:
  __extension__ typedef unsigned __int128 uint128;  // GCC/Clang; __extension__ quiets -Wpedantic
  static std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }

  State state_{};
  bool has_spare_normal_ = false;
  double spare_normal_ = 0.0;
};

}  // namespace kindling
