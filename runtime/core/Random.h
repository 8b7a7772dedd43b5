//===- Random.h - The sampler's random stream -------------------*- C++ -*-===//
//
// xoshiro256** seeded through splitmix64. Written out here rather than taken
// from <random> so that a seed gives the same tokens with any standard
// library (libstdc++'s distributions are implementation-defined).
//
//===----------------------------------------------------------------------===//
#ifndef LMC_RUNTIME_CORE_RANDOM_H
#define LMC_RUNTIME_CORE_RANDOM_H

#include <cstdint>

namespace lmc::rt {

class Random {
public:
  explicit Random(uint64_t seed) {
    for (uint64_t &s : state_) {
      seed += 0x9e3779b97f4a7c15ull;
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      s = z ^ (z >> 31);
    }
  }

  uint64_t next() {
    uint64_t result = rotl(state_[1] * 5, 7) * 9;
    uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  /// Uniform in [0, 1), 53 random bits.
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }

private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t state_[4];
};

} // namespace lmc::rt

#endif // LMC_RUNTIME_CORE_RANDOM_H
