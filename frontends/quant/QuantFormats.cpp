//===- QuantFormats.cpp - Reference weight storage formats ----------------===//
//
// Written for clarity, not speed: every decoder computes each element from the
// format's formula with operations that are exact except for one final
// rounding, so its output is the correctly rounded value of that formula.
// Layouts: docs/formats.md.
//
//===----------------------------------------------------------------------===//

#include "frontends/quant/QuantFormats.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <limits>

using namespace lmc::quant;

namespace {

constexpr int64_t kQK = 32;   // Elements per Q8_0/Q4_0/MXFP4 block.
constexpr int64_t kQKK = 256; // Elements per K-quant super-block.

// Block sizes in bytes.
constexpr int64_t kQ8_0Bytes = 2 + 32;
constexpr int64_t kQ4_0Bytes = 2 + 16;
constexpr int64_t kQ4_KBytes = 2 + 2 + 12 + 128;
constexpr int64_t kQ6_KBytes = 128 + 64 + 16 + 2;
constexpr int64_t kMXFP4Bytes = 1 + 16;

uint32_t bitsOf(float x) {
  uint32_t u;
  std::memcpy(&u, &x, sizeof(u));
  return u;
}

float floatOf(uint32_t u) {
  float x;
  std::memcpy(&x, &u, sizeof(x));
  return x;
}

// All multi-byte fields are little-endian, independent of the host.
uint16_t load16(const uint8_t *p) { return uint16_t(p[0] | (p[1] << 8)); }
uint32_t load32(const uint8_t *p) {
  return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) |
         (uint32_t(p[3]) << 24);
}
void store16(uint8_t *p, uint16_t v) {
  p[0] = uint8_t(v);
  p[1] = uint8_t(v >> 8);
}
void store32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    p[i] = uint8_t(v >> (8 * i));
}

// Round half to even, independent of the floating-point environment. `v` must
// be finite and small enough that v - floor(v) is exact (true for |v| < 2^52).
double roundHalfEven(double v) {
  double r = std::floor(v);
  double frac = v - r;
  if (frac > 0.5)
    return r + 1;
  if (frac < 0.5)
    return r;
  return std::fmod(r, 2.0) == 0 ? r : r + 1;
}

// Rounds a >= 0 (finite) to nearest even in a binary float format with
// `manBits` stored fraction bits and smallest normal exponent `eMin`, and
// returns the magnitude code (exponent field << manBits | fraction). Codes of
// consecutive representable values are consecutive integers, so a carry out
// of the fraction simply moves to the next binade. Overflow is the caller's.
uint32_t roundToMiniFloat(double a, int manBits, int eMin) {
  if (a == 0)
    return 0;
  int exp;
  std::frexp(a, &exp); // a = f * 2^exp, f in [0.5, 1).
  int e = std::max(exp - 1, eMin);
  // Units of the spacing 2^(e - manBits) in binade e; exact scaling.
  double q = roundHalfEven(std::ldexp(a, manBits - e));
  return (uint32_t(e - eMin) << manBits) + uint32_t(q);
}

bool allFinite(const float *x, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    if (!std::isfinite(x[i]))
      return false;
  return true;
}

// The element of largest magnitude, with its sign (the first one on ties).
float signedAbsMax(const float *x, int64_t n) {
  float best = 0;
  for (int64_t i = 0; i < n; ++i)
    if (std::fabs(x[i]) > std::fabs(best))
      best = x[i];
  return best;
}

// f16 nearest to `v`, saturated to the largest finite f16 (a block scale
// must stay finite).
uint16_t f16Saturating(float v) {
  uint16_t h = f32ToF16(v);
  if ((h & 0x7FFF) >= 0x7C00)
    h = uint16_t((h & 0x8000) | 0x7BFF);
  return h;
}

// Smallest f16 >= v for finite v >= 0, saturated at the largest finite f16.
uint16_t f16Ceil(double v) {
  uint16_t h = f16Saturating(float(v));
  if (double(f16ToF32(h)) < v && h < 0x7BFF)
    ++h;
  return h;
}

// Smallest integer k in [0, maxK] with step * k >= need (need, step >= 0),
// or maxK if there is none. The product check is exact in double.
int ceilMultiple(double need, double step, int maxK) {
  if (step <= 0 || need <= 0)
    return 0;
  double k = std::ceil(need / step);
  if (k > maxK)
    return maxK;
  while (k > 0 && step * (k - 1) >= need)
    --k;
  while (k < maxK && step * k < need)
    ++k;
  return int(k);
}

// Twice the E2M1 values: ggml's MXFP4 decoding multiplies these by the
// half scale 2^(e-128). Both zero codes are a plain integer 0, i.e. +0.0.
constexpr int8_t kE2M1Twice[16] = {0, 1,  2,  3,  4,  6,  8,  12,
                                   0, -1, -2, -3, -4, -6, -8, -12};

//===----------------------------------------------------------------------===//
// Block decoders: one block each.
//===----------------------------------------------------------------------===//

void decodeQ8_0(const uint8_t *b, float *y) {
  float d = f16ToF32(load16(b));
  for (int j = 0; j < 32; ++j)
    y[j] = float(int8_t(b[2 + j])) * d; // 8 x 11 bits: exact.
}

void decodeQ4_0(const uint8_t *b, float *y) {
  float d = f16ToF32(load16(b));
  const uint8_t *qs = b + 2;
  for (int j = 0; j < 16; ++j) {
    y[j] = float((qs[j] & 0xF) - 8) * d;
    y[j + 16] = float((qs[j] >> 4) - 8) * d;
  }
}

// 6-bit scale and min of sub-block j from Q4_K's 12 packed bytes.
void unpackQ4KScaleMin(const uint8_t *s, int j, int &scale, int &min) {
  if (j < 4) {
    scale = s[j] & 63;
    min = s[j + 4] & 63;
  } else {
    scale = (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4);
    min = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
  }
}

void decodeQ4_K(const uint8_t *b, float *y) {
  float d = f16ToF32(load16(b));
  float dmin = f16ToF32(load16(b + 2));
  const uint8_t *scales = b + 4;
  const uint8_t *qs = b + 16;
  for (int j = 0; j < 8; ++j) {
    int scale, min;
    unpackQ4KScaleMin(scales, j, scale, min);
    // Both products are exact (11 x 6 bits); so is ds * q (17 x 4 bits), so
    // the subtraction is the only rounding, fused or not.
    float ds = d * float(scale);
    float dm = dmin * float(min);
    const uint8_t *q = qs + 32 * (j / 2);
    int shift = 4 * (j % 2);
    for (int l = 0; l < 32; ++l)
      y[32 * j + l] = ds * float((q[l] >> shift) & 0xF) - dm;
  }
}

void decodeQ6_K(const uint8_t *b, float *y) {
  const uint8_t *ql = b;
  const uint8_t *qh = b + 128;
  const uint8_t *scales = b + 192;
  float d = f16ToF32(load16(b + 208));
  for (int half = 0; half < 2; ++half) {
    for (int k = 0; k < 4; ++k) {
      for (int l = 0; l < 32; ++l) {
        int e = 128 * half + 32 * k + l;
        int lo = (ql[64 * half + 32 * (k & 1) + l] >> (4 * (k >> 1))) & 0xF;
        int hi = (qh[32 * half + l] >> (2 * k)) & 3;
        int q = (lo | (hi << 4)) - 32;
        // d * scale is exact (11 x 8 bits); the product with q rounds once.
        y[e] = d * float(int8_t(scales[e / 16])) * float(q);
      }
    }
  }
}

void decodeMXFP4(const uint8_t *b, float *y) {
  // ggml's convention: half scale 2^(e-128) times the doubled E2M1 value.
  // This equals e2m1 * 2^(e-127) exactly (both products are exact or
  // overflow), for every e including 255, which ggml does not treat as NaN.
  float halfScale = std::ldexp(1.0f, int(b[0]) - 128);
  const uint8_t *qs = b + 1;
  for (int j = 0; j < 16; ++j) {
    y[j] = float(kE2M1Twice[qs[j] & 0xF]) * halfScale;
    y[j + 16] = float(kE2M1Twice[qs[j] >> 4]) * halfScale;
  }
}

//===----------------------------------------------------------------------===//
// Block encoders: one block each; inputs are finite.
//===----------------------------------------------------------------------===//

void encodeQ8_0(const float *x, uint8_t *b) {
  float amax = 0;
  for (int j = 0; j < 32; ++j)
    amax = std::max(amax, std::fabs(x[j]));
  // Round the scale up, so no element needs more than 127 steps, and quantize
  // with the stored scale: the error is then at most d/2 everywhere.
  uint16_t dh = f16Ceil(double(amax) / 127);
  store16(b, dh);
  double d = f16ToF32(dh);
  for (int j = 0; j < 32; ++j) {
    double q = d == 0 ? 0 : roundHalfEven(x[j] / d);
    b[2 + j] = uint8_t(int8_t(std::clamp(q, -127.0, 127.0)));
  }
}

void encodeQ4_0(const float *x, uint8_t *b) {
  // The extreme element maps to -8, so the full 16 levels are usable on its
  // side (ggml's choice; the scale is negative when the extreme is positive).
  // |d| is rounded up so the extreme stays within 8 steps.
  float extreme = signedAbsMax(x, 32);
  uint16_t dh = f16Ceil(std::fabs(double(extreme)) / 8);
  if (extreme > 0)
    dh |= 0x8000;
  store16(b, dh);
  double d = f16ToF32(dh);
  uint8_t *qs = b + 2;
  std::memset(qs, 0, 16);
  for (int j = 0; j < 32; ++j) {
    double q = d == 0 ? 8 : std::clamp(roundHalfEven(x[j] / d) + 8, 0.0, 15.0);
    qs[j % 16] |= uint8_t(int(q) << (j < 16 ? 0 : 4));
  }
}

void encodeQ4_K(const float *x, uint8_t *b) {
  // Sub-block j covers [-offset_j, -offset_j + 15 * step_j] with
  // offset_j = dmin * m_j >= 0 and step_j = d * sc_j. Both super-block scales
  // are rounded up so every sub-block range fits in 6-bit sc/m.
  double need[8], hi[8];
  double maxNeed = 0;
  for (int j = 0; j < 8; ++j) {
    const float *s = x + 32 * j;
    float lo = std::min(*std::min_element(s, s + 32), 0.0f);
    hi[j] = *std::max_element(s, s + 32);
    need[j] = -double(lo);
    maxNeed = std::max(maxNeed, need[j]);
  }
  uint16_t dminH = f16Ceil(maxNeed / 63);
  double dmin = f16ToF32(dminH);
  int m[8];
  double offset[8], width[8];
  double maxStep = 0;
  for (int j = 0; j < 8; ++j) {
    m[j] = ceilMultiple(need[j], dmin, 63);
    offset[j] = dmin * m[j];
    width[j] = std::max(hi[j] + offset[j], 0.0);
    maxStep = std::max(maxStep, width[j] / 15);
  }
  uint16_t dH = f16Ceil(maxStep / 63);
  double d = f16ToF32(dH);
  int sc[8];
  for (int j = 0; j < 8; ++j)
    sc[j] = ceilMultiple(width[j], 15 * d, 63);

  store16(b, dH);
  store16(b + 2, dminH);
  uint8_t *scales = b + 4;
  std::memset(scales, 0, 12);
  for (int j = 0; j < 8; ++j) {
    if (j < 4) {
      scales[j] |= uint8_t(sc[j]);
      scales[j + 4] |= uint8_t(m[j]);
    } else {
      scales[j + 4] = uint8_t((sc[j] & 0xF) | ((m[j] & 0xF) << 4));
      scales[j - 4] |= uint8_t((sc[j] >> 4) << 6);
      scales[j] |= uint8_t((m[j] >> 4) << 6);
    }
  }
  uint8_t *qs = b + 16;
  std::memset(qs, 0, 128);
  for (int j = 0; j < 8; ++j) {
    double step = d * sc[j];
    for (int l = 0; l < 32; ++l) {
      double q =
          step == 0
              ? 0
              : std::clamp(roundHalfEven((x[32 * j + l] + offset[j]) / step),
                           0.0, 15.0);
      qs[32 * (j / 2) + l] |= uint8_t(int(q) << (4 * (j % 2)));
    }
  }
}

void encodeQ6_K(const float *x, uint8_t *b) {
  // Per sub-block of 16, the extreme element maps to -32 (as in Q4_0); the
  // signed 8-bit sub-scales share one f16 super-scale, rounded up so that
  // every |sub-scale| fits in 127 steps.
  double s[16];
  double maxAbs = 0;
  for (int i = 0; i < 16; ++i) {
    s[i] = double(signedAbsMax(x + 16 * i, 16)) / -32;
    maxAbs = std::max(maxAbs, std::fabs(s[i]));
  }
  uint16_t dH = f16Ceil(maxAbs / 127);
  double d = f16ToF32(dH);
  uint8_t *ql = b;
  uint8_t *qh = b + 128;
  uint8_t *scales = b + 192;
  std::memset(b, 0, kQ6_KBytes);
  int sc[16];
  for (int i = 0; i < 16; ++i) {
    int mag = ceilMultiple(std::fabs(s[i]), d, 127);
    sc[i] = s[i] < 0 ? -mag : mag;
    scales[i] = uint8_t(int8_t(sc[i]));
  }
  store16(b + 208, dH);
  for (int e = 0; e < 256; ++e) {
    double step = d * sc[e / 16];
    int q = step == 0
                ? 32
                : int(std::clamp(roundHalfEven(x[e] / step) + 32, 0.0, 63.0));
    int half = e / 128, k = (e % 128) / 32, l = e % 32;
    ql[64 * half + 32 * (k & 1) + l] |= uint8_t((q & 0xF) << (4 * (k >> 1)));
    qh[32 * half + l] |= uint8_t((q >> 4) << (2 * k));
  }
}

void encodeMXFP4(const float *x, uint8_t *b) {
  // OCP MX conversion (also ggml's): the shared exponent is
  // floor(log2(amax)) - 2, the largest E2M1 exponent, so amax / scale lies in
  // [4, 8) and values above 6 * scale saturate.
  float amax = 0;
  for (int j = 0; j < 32; ++j)
    amax = std::max(amax, std::fabs(x[j]));
  int e = 0;
  if (amax > 0) {
    int exp;
    std::frexp(amax, &exp); // floor(log2(amax)) == exp - 1, exactly.
    e = std::clamp(exp - 1 - 2 + 127, 0, 254);
  }
  b[0] = uint8_t(e);
  uint8_t *qs = b + 1;
  std::memset(qs, 0, 16);
  for (int j = 0; j < 32; ++j) {
    double a = std::ldexp(std::fabs(double(x[j])), 127 - e);
    uint32_t code = std::min<uint32_t>(roundToMiniFloat(a, 1, 0), 7);
    if (code != 0 && x[j] < 0)
      code |= 8; // Zero is always written as code 0.
    qs[j % 16] |= uint8_t(code << (j < 16 ? 0 : 4));
  }
}

} // namespace

//===----------------------------------------------------------------------===//
// Format properties
//===----------------------------------------------------------------------===//

int64_t lmc::quant::blockElems(Format f) {
  switch (f) {
  case Format::F32:
  case Format::F16:
  case Format::BF16:
  case Format::F8_E4M3:
    return 1;
  case Format::Q8_0:
  case Format::Q4_0:
  case Format::MXFP4:
    return kQK;
  case Format::Q4_K:
  case Format::Q6_K:
    return kQKK;
  }
  return 0;
}

int64_t lmc::quant::blockBytes(Format f) {
  switch (f) {
  case Format::F32:
    return 4;
  case Format::F16:
  case Format::BF16:
    return 2;
  case Format::F8_E4M3:
    return 1;
  case Format::Q8_0:
    return kQ8_0Bytes;
  case Format::Q4_0:
    return kQ4_0Bytes;
  case Format::Q4_K:
    return kQ4_KBytes;
  case Format::Q6_K:
    return kQ6_KBytes;
  case Format::MXFP4:
    return kMXFP4Bytes;
  }
  return 0;
}

static bool isValidRowLength(Format f, int64_t n) {
  int64_t be = blockElems(f);
  return be > 0 && n >= 0 && n % be == 0;
}

int64_t lmc::quant::rowBytes(Format f, int64_t n) {
  if (!isValidRowLength(f, n))
    return 0;
  return n / blockElems(f) * blockBytes(f);
}

namespace {
struct FormatInfo {
  Format format;
  const char *name;
  int ggmlId;
};
constexpr FormatInfo kFormats[] = {
    {Format::F32, "F32", 0},          {Format::F16, "F16", 1},
    {Format::BF16, "BF16", 30},       {Format::Q8_0, "Q8_0", 8},
    {Format::Q4_0, "Q4_0", 2},        {Format::Q4_K, "Q4_K", 12},
    {Format::Q6_K, "Q6_K", 14},       {Format::MXFP4, "MXFP4", 39},
    {Format::F8_E4M3, "F8_E4M3", -1},
};

const FormatInfo *infoOf(Format f) {
  for (const FormatInfo &info : kFormats)
    if (info.format == f)
      return &info;
  return nullptr;
}
} // namespace

const char *lmc::quant::formatName(Format f) {
  const FormatInfo *info = infoOf(f);
  return info ? info->name : "unknown";
}

std::optional<Format> lmc::quant::parseFormat(std::string_view name) {
  for (const FormatInfo &info : kFormats) {
    std::string_view canon(info.name);
    if (canon.size() != name.size())
      continue;
    bool same = true;
    for (size_t i = 0; i < name.size() && same; ++i)
      same = std::toupper(static_cast<unsigned char>(name[i])) == canon[i];
    if (same)
      return info.format;
  }
  return std::nullopt;
}

int lmc::quant::ggmlTypeId(Format f) {
  const FormatInfo *info = infoOf(f);
  return info ? info->ggmlId : -1;
}

std::optional<Format> lmc::quant::formatFromGgmlTypeId(int id) {
  if (id < 0)
    return std::nullopt;
  for (const FormatInfo &info : kFormats)
    if (info.ggmlId == id)
      return info.format;
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Scalar conversions
//===----------------------------------------------------------------------===//

float lmc::quant::f16ToF32(uint16_t h) {
  uint32_t sign = uint32_t(h >> 15) << 31;
  int exp = (h >> 10) & 0x1F;
  uint32_t man = h & 0x3FF;
  if (exp == 0x1F) // Inf or NaN: widen the payload.
    return floatOf(sign | 0x7F800000u | (man << 13));
  float mag = exp == 0 ? std::ldexp(float(man), -24)
                       : std::ldexp(float(1024 + man), exp - 25);
  return floatOf(sign | bitsOf(mag));
}

uint16_t lmc::quant::f32ToF16(float x) {
  uint32_t u = bitsOf(x);
  uint16_t sign = uint16_t((u >> 16) & 0x8000);
  if (std::isnan(x))
    return uint16_t(sign | 0x7E00 | ((u >> 13) & 0x3FF));
  if (std::isinf(x))
    return uint16_t(sign | 0x7C00);
  uint32_t code = roundToMiniFloat(std::fabs(double(x)), 10, -14);
  return uint16_t(sign | std::min<uint32_t>(code, 0x7C00)); // 0x7C00 = inf.
}

float lmc::quant::bf16ToF32(uint16_t b) { return floatOf(uint32_t(b) << 16); }

uint16_t lmc::quant::f32ToBf16(float x) {
  uint32_t u = bitsOf(x);
  if (std::isnan(x))
    return uint16_t((u >> 16) | 0x0040);
  // Adding 0x7FFF plus the lowest kept bit rounds to nearest, ties to even;
  // a carry may ripple into the exponent (up to inf), which is correct.
  return uint16_t((u + 0x7FFF + ((u >> 16) & 1)) >> 16);
}

float lmc::quant::e8m0ToF32(uint8_t e) {
  if (e == 0xFF)
    return std::numeric_limits<float>::quiet_NaN();
  return std::ldexp(1.0f, int(e) - 127); // e == 0 is the subnormal 2^-127.
}

float lmc::quant::e2m1ToF32(uint8_t code) {
  int exp = (code >> 1) & 3;
  int man = code & 1;
  float mag = exp == 0 ? 0.5f * float(man)
                       : std::ldexp(1.0f + 0.5f * float(man), exp - 1);
  return (code & 8) ? -mag : mag;
}

float lmc::quant::e4m3fnToF32(uint8_t code) {
  bool negative = code & 0x80;
  if ((code & 0x7F) == 0x7F)
    return negative ? -std::numeric_limits<float>::quiet_NaN()
                    : std::numeric_limits<float>::quiet_NaN();
  int exp = (code >> 3) & 0xF;
  int man = code & 7;
  float mag = exp == 0 ? std::ldexp(float(man), -9)
                       : std::ldexp(float(8 + man), exp - 10);
  return negative ? -mag : mag;
}

uint8_t lmc::quant::quantizeE4M3(float x) {
  uint8_t sign = std::signbit(x) ? 0x80 : 0;
  if (std::isnan(x))
    return uint8_t(sign | 0x7F);
  double a = std::fabs(double(x));
  uint32_t code = a > 448 ? 0x7E : roundToMiniFloat(a, 3, -6);
  return uint8_t(sign | std::min<uint32_t>(code, 0x7E)); // 0x7E = 448.
}

//===----------------------------------------------------------------------===//
// Rows
//===----------------------------------------------------------------------===//

namespace {
using BlockDecoder = void (*)(const uint8_t *, float *);
using BlockEncoder = void (*)(const float *, uint8_t *);

// The plain element types as one-element "blocks".
void decodeF32(const uint8_t *b, float *y) { *y = floatOf(load32(b)); }
void decodeF16(const uint8_t *b, float *y) { *y = f16ToF32(load16(b)); }
void decodeBF16(const uint8_t *b, float *y) { *y = bf16ToF32(load16(b)); }
void decodeF8E4M3(const uint8_t *b, float *y) { *y = e4m3fnToF32(*b); }
void encodeF32(const float *x, uint8_t *b) { store32(b, bitsOf(*x)); }
void encodeF16(const float *x, uint8_t *b) { store16(b, f32ToF16(*x)); }
void encodeBF16(const float *x, uint8_t *b) { store16(b, f32ToBf16(*x)); }
void encodeF8E4M3(const float *x, uint8_t *b) { *b = quantizeE4M3(*x); }

// The format is dispatched once per row through a function pointer. Besides
// being simpler, this keeps the block encoders out of one big inlined loop:
// clang 22 at -O3 spends ~8 minutes in LoopIdiomRecognize on quantizeRow
// when the per-block switch inlines all encoders into the row loop.
BlockDecoder blockDecoder(Format f) {
  switch (f) {
  case Format::F32:
    return decodeF32;
  case Format::F16:
    return decodeF16;
  case Format::BF16:
    return decodeBF16;
  case Format::F8_E4M3:
    return decodeF8E4M3;
  case Format::Q8_0:
    return decodeQ8_0;
  case Format::Q4_0:
    return decodeQ4_0;
  case Format::Q4_K:
    return decodeQ4_K;
  case Format::Q6_K:
    return decodeQ6_K;
  case Format::MXFP4:
    return decodeMXFP4;
  }
  return nullptr;
}

BlockEncoder blockEncoder(Format f) {
  switch (f) {
  case Format::F32:
    return encodeF32;
  case Format::F16:
    return encodeF16;
  case Format::BF16:
    return encodeBF16;
  case Format::F8_E4M3:
    return encodeF8E4M3;
  case Format::Q8_0:
    return encodeQ8_0;
  case Format::Q4_0:
    return encodeQ4_0;
  case Format::Q4_K:
    return encodeQ4_K;
  case Format::Q6_K:
    return encodeQ6_K;
  case Format::MXFP4:
    return encodeMXFP4;
  }
  return nullptr;
}
} // namespace

bool lmc::quant::dequantizeRow(Format f, const uint8_t *src, float *dst,
                               int64_t n) {
  BlockDecoder decode = blockDecoder(f);
  if (!decode || !isValidRowLength(f, n))
    return false;
  int64_t be = blockElems(f), bb = blockBytes(f);
  for (int64_t i = 0; i < n / be; ++i)
    decode(src + i * bb, dst + i * be);
  return true;
}

bool lmc::quant::quantizeRow(Format f, const float *src, uint8_t *dst,
                             int64_t n) {
  BlockEncoder encode = blockEncoder(f);
  if (!encode || !isValidRowLength(f, n))
    return false;
  int64_t be = blockElems(f), bb = blockBytes(f);
  // Scales of block formats are computed from finite ranges only; the plain
  // types encode inf/NaN themselves.
  if (be > 1 && !allFinite(src, n))
    return false;
  for (int64_t i = 0; i < n / be; ++i)
    encode(src + i * be, dst + i * bb);
  return true;
}
