//===- ScalarConversionTest.cpp - Every code point of every element type --===//

#include "QuantTestUtil.h"
#include "frontends/quant/QuantFormats.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

using namespace lmc::quant;
using namespace lmc::quant::test;

namespace {

// Bitwise equality, so +0/-0 and NaN payloads are told apart.
#define EXPECT_SAME_FLOAT(actual, expected)                                    \
  EXPECT_EQ(bitsOf(actual), bitsOf(expected))                                  \
      << "actual " << (actual) << ", expected " << (expected)

//===----------------------------------------------------------------------===//
// F16
//===----------------------------------------------------------------------===//

TEST(F16, EveryCodeMatchesFormula) {
  for (uint32_t h = 0; h < 65536; ++h) {
    SCOPED_TRACE(h);
    int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
    float got = f16ToF32(uint16_t(h));
    if (e == 31) {
      if (m == 0) {
        EXPECT_TRUE(std::isinf(got));
        EXPECT_EQ(std::signbit(got), bool(s));
      } else {
        // NaN: sign kept, payload widened into the top of the mantissa.
        EXPECT_TRUE(std::isnan(got));
        EXPECT_EQ(bitsOf(got), (uint32_t(s) << 31) | 0x7F800000u | (m << 13));
      }
      continue;
    }
    EXPECT_SAME_FLOAT(got, float(halfValue(uint16_t(h))));
  }
}

TEST(F16, EveryCodeRoundTrips) {
  for (uint32_t h = 0; h < 65536; ++h) {
    uint16_t back = f32ToF16(f16ToF32(uint16_t(h)));
    if (((h >> 10) & 31) == 31 && (h & 1023) != 0) {
      // NaN stays NaN with the same sign (made quiet).
      EXPECT_EQ(back & 0xFC00, h & 0xFC00) << h;
      EXPECT_NE(back & 0x3FF, 0) << h;
      EXPECT_NE(back & 0x200, 0) << h;
    } else {
      EXPECT_EQ(back, h) << h;
    }
  }
}

// Between every pair of adjacent finite f16 values: the midpoint goes to the
// even code, one float ulp either side goes to the nearer value.
TEST(F16, RoundsToNearestEvenAtEveryMidpoint) {
  for (uint32_t h = 0; h < 0x7BFF; ++h) {
    double lo = halfValue(uint16_t(h)), hi = halfValue(uint16_t(h + 1));
    float mid = float((lo + hi) / 2); // 12 significant bits: exact.
    ASSERT_EQ(double(mid), (lo + hi) / 2);
    uint16_t even = (h % 2 == 0) ? uint16_t(h) : uint16_t(h + 1);
    for (float sign : {1.0f, -1.0f}) {
      uint16_t signBit = sign < 0 ? 0x8000 : 0;
      EXPECT_EQ(f32ToF16(sign * mid), even | signBit) << h;
      EXPECT_EQ(f32ToF16(sign * std::nextafter(mid, 0.0f)), h | signBit) << h;
      EXPECT_EQ(f32ToF16(sign * std::nextafter(mid, 1e9f)), (h + 1) | signBit)
          << h;
    }
  }
}

TEST(F16, OverflowUnderflowAndSpecials) {
  EXPECT_EQ(f32ToF16(65504.0f), 0x7BFF);
  EXPECT_EQ(f32ToF16(std::nextafter(65520.0f, 0.0f)), 0x7BFF);
  EXPECT_EQ(f32ToF16(65520.0f), 0x7C00); // Tie with 2^16 rounds to even: inf.
  EXPECT_EQ(f32ToF16(1e10f), 0x7C00);
  EXPECT_EQ(f32ToF16(-1e10f), 0xFC00);
  EXPECT_EQ(f32ToF16(std::numeric_limits<float>::infinity()), 0x7C00);
  EXPECT_EQ(f32ToF16(-std::numeric_limits<float>::infinity()), 0xFC00);
  EXPECT_EQ(f32ToF16(std::ldexp(1.0f, -24)), 0x0001); // Smallest subnormal.
  EXPECT_EQ(f32ToF16(std::ldexp(1.0f, -25)), 0x0000); // Tie with 0: even.
  EXPECT_EQ(f32ToF16(std::nextafter(std::ldexp(1.0f, -25), 1.0f)), 0x0001);
  EXPECT_EQ(f32ToF16(std::ldexp(3.0f, -26)), 0x0001);
  EXPECT_EQ(f32ToF16(-std::ldexp(1.0f, -30)), 0x8000);   // -0 keeps its sign.
  EXPECT_EQ(f32ToF16(std::ldexp(1023.0f, -24)), 0x03FF); // Largest subnormal.
  EXPECT_EQ(f32ToF16(std::ldexp(1.0f, -14)), 0x0400);    // Smallest normal.
  EXPECT_EQ(f32ToF16(0.0f), 0x0000);
  EXPECT_EQ(f32ToF16(-0.0f), 0x8000);
  EXPECT_EQ(f32ToF16(1.0f), 0x3C00);
  EXPECT_EQ(f32ToF16(-2.0f), 0xC000);
  EXPECT_EQ(f32ToF16(0.333251953125f), 0x3555);
  uint16_t nan = f32ToF16(std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(nan & 0x7C00, 0x7C00);
  EXPECT_NE(nan & 0x3FF, 0);
  EXPECT_EQ(f32ToF16(-std::numeric_limits<float>::quiet_NaN()) & 0x8000,
            0x8000);
  // A signalling NaN whose payload sits only in the low bits stays NaN.
  EXPECT_NE(f32ToF16(floatOf(0x7F800001u)) & 0x3FF, 0);
}

// Random floats over the whole f16 range against a brute-force nearest search
// over the sorted table of f16 values (and the compiler's _Float16 where the
// target has it).
TEST(F16, RandomFloatsMatchNearestSearch) {
  std::vector<double> values; // All finite non-negative f16 values, by code.
  for (uint32_t h = 0; h <= 0x7BFF; ++h)
    values.push_back(halfValue(uint16_t(h)));
  uint64_t seed = freshSeed();
  SCOPED_TRACE(seed);
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 1000000; ++i) {
    // Exponents from below the subnormals to past the overflow threshold.
    float x =
        std::ldexp(1.0f + std::uniform_real_distribution<float>(0, 1)(rng),
                   std::uniform_int_distribution<int>(-27, 16)(rng));
    if (rng() & 1)
      x = -x;
    double a = std::fabs(double(x));
    uint16_t expect;
    if (a >= 65520.0) {
      expect = 0x7C00;
    } else {
      size_t k = std::lower_bound(values.begin(), values.end(), a) -
                 values.begin(); // values[k] >= a.
      if (k == values.size()) {
        expect = 0x7BFF;
      } else if (values[k] == a || k == 0) {
        expect = uint16_t(k);
      } else {
        double up = values[k] - a, down = a - values[k - 1];
        expect = up < down      ? uint16_t(k)
                 : down < up    ? uint16_t(k - 1)
                 : (k % 2 == 0) ? uint16_t(k)
                                : uint16_t(k - 1);
      }
    }
    if (x < 0)
      expect |= 0x8000;
    ASSERT_EQ(f32ToF16(x), expect) << x;
#ifdef __FLT16_MANT_DIG__
    _Float16 oracle = static_cast<_Float16>(x);
    uint16_t oracleBits;
    std::memcpy(&oracleBits, &oracle, 2);
    ASSERT_EQ(f32ToF16(x), oracleBits) << x;
#endif
  }
}

//===----------------------------------------------------------------------===//
// BF16
//===----------------------------------------------------------------------===//

TEST(BF16, EveryCodeMatchesFormula) {
  for (uint32_t b = 0; b < 65536; ++b) {
    SCOPED_TRACE(b);
    int s = b >> 15, e = (b >> 7) & 255, m = b & 127;
    float got = bf16ToF32(uint16_t(b));
    if (e == 255) {
      EXPECT_EQ(std::isinf(got), m == 0);
      EXPECT_EQ(std::isnan(got), m != 0);
      EXPECT_EQ(bitsOf(got), b << 16);
      continue;
    }
    double mag = e == 0 ? std::ldexp(m / 128.0, -126)
                        : std::ldexp(1.0 + m / 128.0, e - 127);
    EXPECT_SAME_FLOAT(got, float(s ? -mag : mag));
  }
}

TEST(BF16, EveryCodeRoundTrips) {
  for (uint32_t b = 0; b < 65536; ++b) {
    uint16_t back = f32ToBf16(bf16ToF32(uint16_t(b)));
    if (((b >> 7) & 255) == 255 && (b & 127) != 0) {
      EXPECT_EQ(back & 0xFF80, b & 0xFF80) << b; // NaN, sign kept.
      EXPECT_NE(back & 0x40, 0) << b;            // Quiet.
    } else {
      EXPECT_EQ(back, b) << b;
    }
  }
}

TEST(BF16, RoundsToNearestEvenAtEveryMidpoint) {
  // Every finite bf16 code and its upper neighbour (including the step from
  // the largest finite value to inf).
  for (uint32_t b = 0; b < 0x7F80; ++b) {
    uint32_t lo = b << 16;
    float mid = floatOf(lo + 0x8000);
    uint16_t even = (b % 2 == 0) ? uint16_t(b) : uint16_t(b + 1);
    for (uint32_t signBit : {0u, 0x80000000u}) {
      uint16_t s16 = uint16_t(signBit >> 16);
      EXPECT_EQ(f32ToBf16(floatOf(bitsOf(mid) | signBit)), even | s16) << b;
      EXPECT_EQ(f32ToBf16(floatOf((lo + 0x7FFF) | signBit)), b | s16) << b;
      EXPECT_EQ(f32ToBf16(floatOf((lo + 0x8001) | signBit)), (b + 1) | s16)
          << b;
    }
  }
  EXPECT_EQ(f32ToBf16(std::numeric_limits<float>::max()), 0x7F80);
  EXPECT_EQ(f32ToBf16(-std::numeric_limits<float>::infinity()), 0xFF80);
  EXPECT_EQ(f32ToBf16(-0.0f), 0x8000);
}

TEST(BF16, NaNIsPreserved) {
  // Payloads that would vanish (or carry into the sign) if rounded.
  for (uint32_t u : {0x7F800001u, 0x7FC00000u, 0xFF800001u, 0x7FFFFFFFu,
                     0xFFFFFFFFu, 0x7F80FFFFu}) {
    uint16_t b = f32ToBf16(floatOf(u));
    EXPECT_TRUE(std::isnan(bf16ToF32(b))) << std::hex << u;
    EXPECT_EQ(b & 0x8000, (u >> 16) & 0x8000) << std::hex << u;
  }
}

TEST(BF16, RandomFloatsMatchNearestOfNeighbours) {
  uint64_t seed = freshSeed();
  SCOPED_TRACE(seed);
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 1000000; ++i) {
    uint32_t u = uint32_t(rng());
    float x = floatOf(u);
    if (!std::isfinite(x))
      continue;
    // The two bf16 neighbours by truncation; pick the nearer, ties to even.
    uint32_t down = (u >> 16) & 0x7FFF, up = down + 1;
    double a = std::fabs(double(x));
    double dDown = a - std::fabs(double(bf16ToF32(uint16_t(down)))),
           dUp = (up == 0x7F80 ? std::ldexp(1.0, 128)
                               : double(bf16ToF32(uint16_t(up)))) -
                 a;
    uint32_t pick = dDown < dUp   ? down
                    : dUp < dDown ? up
                                  : (down % 2 == 0 ? down : up);
    uint16_t expect = uint16_t(pick | ((u >> 16) & 0x8000));
    ASSERT_EQ(f32ToBf16(x), expect) << std::hex << u;
#ifdef __BFLT16_MANT_DIG__
    __bf16 oracle = static_cast<__bf16>(x);
    uint16_t oracleBits;
    std::memcpy(&oracleBits, &oracle, 2);
    ASSERT_EQ(f32ToBf16(x), oracleBits) << std::hex << u;
#endif
  }
}

//===----------------------------------------------------------------------===//
// FP8 E4M3FN
//===----------------------------------------------------------------------===//

double e4m3Value(int c) { // Finite codes only.
  int s = c >> 7, e = (c >> 3) & 15, m = c & 7;
  double mag =
      e == 0 ? std::ldexp(m / 8.0, -6) : std::ldexp(1 + m / 8.0, e - 7);
  return s ? -mag : mag;
}

TEST(E4M3FN, EveryCodeMatchesFormula) {
  for (int c = 0; c < 256; ++c) {
    SCOPED_TRACE(c);
    float got = e4m3fnToF32(uint8_t(c));
    if ((c & 0x7F) == 0x7F) {
      EXPECT_TRUE(std::isnan(got));
      EXPECT_EQ(std::signbit(got), c >= 0x80);
      continue;
    }
    EXPECT_SAME_FLOAT(got, float(e4m3Value(c)));
  }
  // Landmarks.
  EXPECT_EQ(e4m3fnToF32(0x7E), 448.0f);
  EXPECT_EQ(e4m3fnToF32(0xFE), -448.0f);
  EXPECT_EQ(e4m3fnToF32(0x78), 256.0f); // e = 15 is a normal binade: no inf.
  EXPECT_EQ(e4m3fnToF32(0x01), std::ldexp(1.0f, -9)); // Smallest subnormal.
  EXPECT_EQ(e4m3fnToF32(0x07), std::ldexp(7.0f, -9)); // Largest subnormal.
  EXPECT_EQ(e4m3fnToF32(0x08), std::ldexp(1.0f, -6)); // Smallest normal.
  EXPECT_EQ(e4m3fnToF32(0x38), 1.0f);
  EXPECT_SAME_FLOAT(e4m3fnToF32(0x80), -0.0f);
  for (int c = 0; c < 256; ++c)
    if ((c & 0x7F) != 0x7F)
      EXPECT_LE(std::fabs(e4m3fnToF32(uint8_t(c))), 448.0f);
}

TEST(E4M3FN, EveryCodeRoundTrips) {
  for (int c = 0; c < 256; ++c) {
    if ((c & 0x7F) == 0x7F)
      continue;
    EXPECT_EQ(quantizeE4M3(e4m3fnToF32(uint8_t(c))), c) << c;
  }
}

TEST(E4M3FN, QuantizeTiesSaturationAndNaN) {
  for (int c = 0; c < 0x7E; ++c) {
    double lo = e4m3Value(c), hi = e4m3Value(c + 1);
    float mid = float((lo + hi) / 2);
    int even = c % 2 == 0 ? c : c + 1;
    EXPECT_EQ(quantizeE4M3(mid), even) << c;
    EXPECT_EQ(quantizeE4M3(-mid), even | 0x80) << c;
    EXPECT_EQ(quantizeE4M3(std::nextafter(mid, 0.0f)), c) << c;
    EXPECT_EQ(quantizeE4M3(std::nextafter(mid, 1e9f)), c + 1) << c;
  }
  // Saturation, never NaN, for everything beyond 448.
  for (float x : {448.0f, 449.0f, 464.0f, 480.0f, 500.0f, 1e30f,
                  std::numeric_limits<float>::infinity()}) {
    EXPECT_EQ(quantizeE4M3(x), 0x7E) << x;
    EXPECT_EQ(quantizeE4M3(-x), 0xFE) << x;
  }
  EXPECT_EQ(quantizeE4M3(std::ldexp(1.0f, -10)), 0x00); // Tie with 0: even.
  EXPECT_EQ(quantizeE4M3(std::ldexp(1.5f, -10)), 0x01);
  EXPECT_EQ(quantizeE4M3(-0.0f), 0x80);
  EXPECT_EQ(quantizeE4M3(std::numeric_limits<float>::quiet_NaN()), 0x7F);
  EXPECT_EQ(quantizeE4M3(-std::numeric_limits<float>::quiet_NaN()), 0xFF);
}

TEST(E4M3FN, RandomFloatsMatchNearestSearch) {
  uint64_t seed = freshSeed();
  SCOPED_TRACE(seed);
  std::mt19937_64 rng(seed);
  for (int i = 0; i < 200000; ++i) {
    float x =
        std::ldexp(1.0f + std::uniform_real_distribution<float>(0, 1)(rng),
                   std::uniform_int_distribution<int>(-12, 9)(rng));
    if (rng() & 1)
      x = -x;
    // Nearest of the 127 non-negative finite values, ties to the even code.
    double a = std::fabs(double(x));
    int best = 0;
    for (int c = 1; c <= 0x7E; ++c) {
      double dc = std::fabs(e4m3Value(c) - a),
             db = std::fabs(e4m3Value(best) - a);
      if (dc < db || (dc == db && c % 2 == 0))
        best = c;
    }
    ASSERT_EQ(quantizeE4M3(x), best | (x < 0 ? 0x80 : 0)) << x;
  }
}

//===----------------------------------------------------------------------===//
// E2M1 and E8M0 (MXFP4's element and scale types)
//===----------------------------------------------------------------------===//

TEST(E2M1, EveryCodeMatchesFormula) {
  const float expected[8] = {0, 0.5f, 1, 1.5f, 2, 3, 4, 6};
  for (int c = 0; c < 16; ++c) {
    int s = c >> 3, e = (c >> 1) & 3, m = c & 1;
    // Bias 1; exponent field 0 is subnormal with value m/2.
    double mag = e == 0 ? m * 0.5 : std::ldexp(1 + m / 2.0, e - 1);
    EXPECT_SAME_FLOAT(e2m1ToF32(uint8_t(c)), float(s ? -mag : mag));
    EXPECT_EQ(std::fabs(e2m1ToF32(uint8_t(c))), expected[c & 7]) << c;
  }
  EXPECT_SAME_FLOAT(e2m1ToF32(8), -0.0f);
  EXPECT_EQ(e2m1ToF32(15), -6.0f);
}

TEST(E8M0, EveryCodeMatchesFormula) {
  for (int e = 0; e < 255; ++e)
    EXPECT_SAME_FLOAT(e8m0ToF32(uint8_t(e)), float(std::ldexp(1.0, e - 127)));
  EXPECT_EQ(bitsOf(e8m0ToF32(0)), 0x00400000u); // 2^-127: a float subnormal.
  EXPECT_EQ(e8m0ToF32(1), std::ldexp(1.0f, -126));
  EXPECT_EQ(e8m0ToF32(127), 1.0f);
  EXPECT_EQ(e8m0ToF32(128), 2.0f);
  EXPECT_EQ(e8m0ToF32(254), std::ldexp(1.0f, 127));
  EXPECT_TRUE(std::isnan(e8m0ToF32(255)));
}

TEST(E2M1, TimesE8M0Scales) {
  // Every element value under several scales: exact products (or inf).
  for (int e : {0, 1, 2, 100, 126, 127, 128, 130, 200, 253, 254}) {
    for (int c = 0; c < 16; ++c) {
      double expect = double(e2m1ToF32(uint8_t(c))) * std::ldexp(1.0, e - 127);
      float got = e2m1ToF32(uint8_t(c)) * e8m0ToF32(uint8_t(e));
      EXPECT_SAME_FLOAT(got, float(expect)) << "e=" << e << " c=" << c;
    }
  }
}

} // namespace
