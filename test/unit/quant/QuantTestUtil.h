//===- QuantTestUtil.h - Shared helpers for the quant tests -----*- C++ -*-===//
//
// Independent expectations: every helper here is written from the format's
// definition with double arithmetic (exact for these bit widths), never by
// calling the library under test.
//
//===----------------------------------------------------------------------===//

#ifndef LMC_TEST_UNIT_QUANT_QUANTTESTUTIL_H
#define LMC_TEST_UNIT_QUANT_QUANTTESTUTIL_H

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>

namespace lmc::quant::test {

inline uint32_t bitsOf(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  return u;
}

inline float floatOf(uint32_t u) {
  float x;
  std::memcpy(&x, &u, 4);
  return x;
}

/// Value of an IEEE binary16 code, straight from the definition:
/// (-1)^s * 2^(e-15) * (1 + m/1024), subnormals 2^-14 * (m/1024).
/// Only for finite codes.
inline double halfValue(uint16_t h) {
  int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
  double mag = e == 0 ? std::pow(2.0, -14) * (m / 1024.0)
                      : std::pow(2.0, e - 15) * (1.0 + m / 1024.0);
  return s ? -mag : mag;
}

/// A fresh seed per run; tests print it so a failure can be replayed.
inline uint64_t freshSeed() {
  std::random_device rd;
  return (uint64_t(rd()) << 32) ^ rd();
}

} // namespace lmc::quant::test

#endif // LMC_TEST_UNIT_QUANT_QUANTTESTUTIL_H
