//===- BlockFormatTest.cpp - Block layouts, decoding and encoding ---------===//
//
// Three kinds of checks per block format:
//  - hand-built blocks whose bytes and expected values were written out by
//    hand from the layout in docs/formats.md;
//  - random blocks decoded by dequantizeRow and by a second, deliberately
//    naive decoder below that computes each element on its own from byte and
//    bit positions, in double (exact here), rounded once to float: the two
//    must agree bit for bit;
//  - quantize -> dequantize error bounds.
//
//===----------------------------------------------------------------------===//

#include "QuantTestUtil.h"
#include "frontends/quant/QuantFormats.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

using namespace lmc::quant;
using namespace lmc::quant::test;

namespace lmc::quant {
// Readable names in gtest messages (found by argument-dependent lookup).
void PrintTo(Format f, std::ostream *os) { *os << formatName(f); }
} // namespace lmc::quant

namespace {

const Format kAllFormats[] = {Format::F32,  Format::F16,   Format::BF16,
                              Format::Q8_0, Format::Q4_0,  Format::Q4_K,
                              Format::Q6_K, Format::MXFP4, Format::F8_E4M3};
const Format kBlockFormats[] = {Format::Q8_0, Format::Q4_0, Format::Q4_K,
                                Format::Q6_K, Format::MXFP4};

//===----------------------------------------------------------------------===//
// Naive per-element decoders. Element `i` of a row, from the row's bytes.
//===----------------------------------------------------------------------===//

double le16Half(const uint8_t *p) {
  return halfValue(uint16_t(p[0] | p[1] << 8));
}

float naiveQ8_0(const uint8_t *row, int64_t i) {
  const uint8_t *blk = row + (i / 32) * 34; // f16 d, then 32 int8.
  double d = le16Half(blk);
  int q = int8_t(blk[2 + i % 32]);
  return float(q * d);
}

float naiveQ4_0(const uint8_t *row, int64_t i) {
  const uint8_t *blk = row + (i / 32) * 18; // f16 d, then 16 bytes.
  int j = int(i % 32);
  uint8_t byte = blk[2 + j % 16];
  int nibble = j < 16 ? (byte & 0x0F) : (byte >> 4);
  return float((nibble - 8) * le16Half(blk));
}

float naiveQ4_K(const uint8_t *row, int64_t i) {
  const uint8_t *blk = row + (i / 256) * 144;
  int j = int(i % 256);
  double d = le16Half(blk), dmin = le16Half(blk + 2);
  const uint8_t *s = blk + 4;
  int sub = j / 32;
  int sc, m;
  if (sub < 4) {
    sc = s[sub] % 64;
    m = s[sub + 4] % 64;
  } else {
    // Low 4 bits in byte 8+(sub-4); high 2 bits are the top bits of the
    // bytes that hold sub-block (sub-4)'s 6-bit scale / min.
    sc = s[sub + 4] % 16 + 16 * (s[sub - 4] / 64);
    m = s[sub + 4] / 16 + 16 * (s[sub] / 64);
  }
  // 64 elements per 32 bytes: the lower 32 in low nibbles, the upper in high.
  uint8_t byte = blk[16 + 32 * (j / 64) + j % 32];
  int q = (j % 64) < 32 ? byte % 16 : byte / 16;
  return float(d * sc * q - dmin * m);
}

float naiveQ6_K(const uint8_t *row, int64_t i) {
  const uint8_t *blk = row + (i / 256) * 210;
  int j = int(i % 256);
  int half = j / 128, group = (j % 128) / 32, l = j % 32;
  const uint8_t *ql = blk, *qh = blk + 128;
  const int8_t *scales = reinterpret_cast<const int8_t *>(blk + 192);
  double d = le16Half(blk + 208);
  // Groups 0/1 use the low nibbles of ql[0..31] / ql[32..63] of this half,
  // groups 2/3 the high nibbles of the same bytes; qh holds 2 bits per group.
  uint8_t lowByte = ql[64 * half + 32 * (group % 2) + l];
  int low = group < 2 ? lowByte % 16 : lowByte / 16;
  int high = (qh[32 * half + l] / (1 << (2 * group))) % 4;
  int q = low + 16 * high - 32;
  return float(d * scales[j / 16] * q);
}

float naiveMXFP4(const uint8_t *row, int64_t i) {
  const uint8_t *blk = row + (i / 32) * 17; // E8M0 byte, then 16 bytes.
  int j = int(i % 32);
  uint8_t byte = blk[1 + j % 16];
  int code = j < 16 ? byte % 16 : byte / 16;
  const double magnitude[8] = {0, 0.5, 1, 1.5, 2, 3, 4, 6};
  double v = magnitude[code % 8] * std::ldexp(1.0, blk[0] - 127);
  // ggml's convention: e = 255 is a plain exponent, and zero is always +0.
  return code >= 8 && v != 0 ? float(-v) : float(v);
}

using NaiveDecoder = std::function<float(const uint8_t *, int64_t)>;

NaiveDecoder naiveDecoder(Format f) {
  switch (f) {
  case Format::Q8_0:
    return naiveQ8_0;
  case Format::Q4_0:
    return naiveQ4_0;
  case Format::Q4_K:
    return naiveQ4_K;
  case Format::Q6_K:
    return naiveQ6_K;
  case Format::MXFP4:
    return naiveMXFP4;
  default:
    return nullptr;
  }
}

// Offsets of the f16 fields of a block (kept finite in random blocks, since
// inf/NaN scales are not meaningful weights).
std::vector<int> halfFieldOffsets(Format f) {
  switch (f) {
  case Format::Q8_0:
  case Format::Q4_0:
    return {0};
  case Format::Q4_K:
    return {0, 2};
  case Format::Q6_K:
    return {208};
  default:
    return {};
  }
}

// Decodes with dequantizeRow, expecting success.
std::vector<float> decode(Format f, const std::vector<uint8_t> &bytes,
                          int64_t n) {
  std::vector<float> out(n);
  EXPECT_TRUE(dequantizeRow(f, bytes.data(), out.data(), n));
  return out;
}

void expectSameBits(const std::vector<float> &got,
                    const std::vector<float> &expected) {
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_EQ(bitsOf(got[i]), bitsOf(expected[i]))
        << "element " << i << ": got " << got[i] << ", expected "
        << expected[i];
}

//===----------------------------------------------------------------------===//
// Format table
//===----------------------------------------------------------------------===//

TEST(FormatTable, SizesNamesAndGgmlIds) {
  struct Row {
    Format f;
    int64_t elems, bytes;
    const char *name;
    int ggml;
  };
  const Row rows[] = {
      {Format::F32, 1, 4, "F32", 0},
      {Format::F16, 1, 2, "F16", 1},
      {Format::BF16, 1, 2, "BF16", 30},
      {Format::Q8_0, 32, 34, "Q8_0", 8},
      {Format::Q4_0, 32, 18, "Q4_0", 2},
      {Format::Q4_K, 256, 144, "Q4_K", 12},
      {Format::Q6_K, 256, 210, "Q6_K", 14},
      {Format::MXFP4, 32, 17, "MXFP4", 39},
      {Format::F8_E4M3, 1, 1, "F8_E4M3", -1},
  };
  for (const Row &r : rows) {
    SCOPED_TRACE(r.name);
    EXPECT_EQ(blockElems(r.f), r.elems);
    EXPECT_EQ(blockBytes(r.f), r.bytes);
    EXPECT_STREQ(formatName(r.f), r.name);
    EXPECT_EQ(parseFormat(r.name), r.f);
    EXPECT_EQ(ggmlTypeId(r.f), r.ggml);
    if (r.ggml >= 0)
      EXPECT_EQ(formatFromGgmlTypeId(r.ggml), r.f);
    EXPECT_EQ(rowBytes(r.f, 0), 0);
    EXPECT_EQ(rowBytes(r.f, 4096), 4096 / r.elems * r.bytes);
  }
  EXPECT_EQ(parseFormat("q4_k"), Format::Q4_K);
  EXPECT_EQ(parseFormat("mxfp4"), Format::MXFP4);
  EXPECT_EQ(parseFormat("f8_e4m3"), Format::F8_E4M3);
  EXPECT_EQ(parseFormat("Q4_1"), std::nullopt);
  EXPECT_EQ(parseFormat(""), std::nullopt);
  EXPECT_EQ(parseFormat("Q8_0 "), std::nullopt);
  EXPECT_EQ(formatFromGgmlTypeId(3), std::nullopt); // Q4_1: unsupported.
  EXPECT_EQ(formatFromGgmlTypeId(-1), std::nullopt);
}

TEST(FormatTable, RejectsRowLengthsNotMultipleOfBlock) {
  for (Format f : kBlockFormats) {
    SCOPED_TRACE(formatName(f));
    int64_t be = blockElems(f);
    for (int64_t n : {int64_t(1), be - 1, be + 1, 3 * be + 7, int64_t(-be)}) {
      EXPECT_EQ(rowBytes(f, n), 0) << n;
      std::vector<float> x(std::max<int64_t>(n, 0) + 8, 1.0f);
      std::vector<float> y(x.size(), 42.0f);
      std::vector<uint8_t> bytes(rowBytes(f, 4 * be) + 64, 0x11);
      std::vector<uint8_t> before = bytes;
      EXPECT_FALSE(quantizeRow(f, x.data(), bytes.data(), n)) << n;
      EXPECT_EQ(bytes, before) << "quantizeRow wrote on rejection";
      EXPECT_FALSE(dequantizeRow(f, bytes.data(), y.data(), n)) << n;
      for (float v : y)
        EXPECT_EQ(v, 42.0f) << "dequantizeRow wrote on rejection";
    }
  }
  EXPECT_EQ(rowBytes(Format::F32, -1), 0);
  EXPECT_EQ(rowBytes(Format::F16, 7), 14);
}

TEST(FormatTable, BlockFormatsRejectNonFiniteInput) {
  for (Format f : kBlockFormats) {
    for (float bad : {std::numeric_limits<float>::infinity(),
                      std::numeric_limits<float>::quiet_NaN()}) {
      std::vector<float> x(256, 0.5f);
      x[100] = bad;
      std::vector<uint8_t> bytes(rowBytes(f, 256));
      EXPECT_FALSE(quantizeRow(f, x.data(), bytes.data(), 256))
          << formatName(f);
    }
  }
}

//===----------------------------------------------------------------------===//
// Hand-built blocks
//===----------------------------------------------------------------------===//

TEST(HandBuilt, Q8_0) {
  // d = 0.5 (f16 0x3800, little-endian), then 32 int8 quants.
  std::vector<uint8_t> b = {
      0x00, 0x38, 0x00, 0x01, 0xFF, 0x7F, 0x80, 0x02, 0xFE, 0x10, 0xF0, 0x03,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05};
  std::vector<float> expected(32, 0.0f);
  const float head[] = {0, 0.5f, -0.5f, 63.5f, -64, 1, -1, 8, -8, 1.5f};
  std::copy(std::begin(head), std::end(head), expected.begin());
  expected[31] = 2.5f;
  expectSameBits(decode(Format::Q8_0, b, 32), expected);

  // A negative scale (d = -2, 0xC000) flips signs; zero quants give -0.
  b[1] = 0xC0;
  std::vector<float> neg = decode(Format::Q8_0, b, 32);
  EXPECT_EQ(neg[1], -2.0f);
  EXPECT_EQ(neg[3], -254.0f);
  EXPECT_EQ(neg[4], 256.0f);
  EXPECT_TRUE(std::signbit(neg[0]));
}

TEST(HandBuilt, Q4_0) {
  // d = 2 (f16 0x4000). Byte j holds element j (low nibble) and j+16 (high).
  std::vector<uint8_t> b(18, 0x88); // Nibble 8 decodes to 0.
  b[0] = 0x00;
  b[1] = 0x40;
  b[2 + 0] = 0x80;  // e0 = (0-8)*2 = -16, e16 = 0
  b[2 + 1] = 0xF9;  // e1 = (9-8)*2 = 2,   e17 = (15-8)*2 = 14
  b[2 + 15] = 0x3C; // e15 = (12-8)*2 = 8, e31 = (3-8)*2 = -10
  std::vector<float> expected(32, 0.0f);
  expected[0] = -16;
  expected[1] = 2;
  expected[17] = 14;
  expected[15] = 8;
  expected[31] = -10;
  expectSameBits(decode(Format::Q4_0, b, 32), expected);
}

TEST(HandBuilt, Q4_K) {
  // d = 1 (0x3C00), dmin = 0.5 (0x3800).
  // Sub-block scales sc = {1, 2, 3, 63, 17, 33, 48, 63},
  //            mins  m = {0, 5, 63, 1, 16, 47, 32, 2}, packed by hand:
  //   bytes 0-3: sc0..3 | (sc4..7 >> 4) << 6 = 0x41 0x82 0xC3 0xFF
  //   bytes 4-7: m0..3  | (m4..7  >> 4) << 6 = 0x40 0x85 0xBF 0x01
  //   bytes 8-11: (sc4..7 & 15) | (m4..7 & 15) << 4 = 0x01 0xF1 0x00 0x2F
  std::vector<uint8_t> b(144, 0x00);
  const uint8_t head[16] = {0x00, 0x3C, 0x00, 0x38, 0x41, 0x82, 0xC3, 0xFF,
                            0x40, 0x85, 0xBF, 0x01, 0x01, 0xF1, 0x00, 0x2F};
  std::copy(std::begin(head), std::end(head), b.begin());
  // Quants: bytes 16 + 32c + l hold element 64c + l (low nibble) and
  // 64c + 32 + l (high nibble).
  b[16 + 0] = 0x2F;       // e0 = 15 (sub 0), e32 = 2 (sub 1)
  b[16 + 64 + 5] = 0x71;  // e133 = 1 (sub 4), e165 = 7 (sub 5)
  b[16 + 96 + 31] = 0xA5; // e223 = 5 (sub 6), e255 = 10 (sub 7)
  // With q = 0 every element is -dmin * m of its sub-block.
  const float zeroValue[8] = {0, -2.5f, -31.5f, -0.5f, -8, -23.5f, -16, -1};
  std::vector<float> expected(256);
  for (int i = 0; i < 256; ++i)
    expected[i] = zeroValue[i / 32];
  expected[0] = 15;       // 1*1*15 - 0.5*0
  expected[32] = 1.5f;    // 1*2*2 - 0.5*5
  expected[133] = 9;      // 1*17*1 - 0.5*16
  expected[165] = 207.5f; // 1*33*7 - 0.5*47
  expected[223] = 224;    // 1*48*5 - 0.5*32
  expected[255] = 629;    // 1*63*10 - 0.5*2
  expectSameBits(decode(Format::Q4_K, b, 256), expected);
}

TEST(HandBuilt, Q6_K) {
  // ql[128], qh[64], int8 scales[16], f16 d = 0.25 (0x3400) at byte 208.
  std::vector<uint8_t> b(210, 0x00);
  const int8_t scales[16] = {1, -1, 2,  -2, 127, -128, 10,   0,
                             3, 5,  -7, 64, -64, 100,  -100, 1};
  for (int i = 0; i < 16; ++i)
    b[192 + i] = uint8_t(scales[i]);
  b[208] = 0x00;
  b[209] = 0x34;
  // All-zero quant bits mean q - 32 = -32: element value -8 * scale.
  std::vector<float> expected(256);
  for (int i = 0; i < 256; ++i)
    expected[i] = -8.0f * scales[i / 16];
  // e0: ql[0] low = 15, qh[0] bits 0-1 = 3 -> q = 63 -> 31 * 0.25 * 1.
  // e64: ql[0] high = 5, qh[0] bits 4-5 = 2 -> q = 37 -> 5 * 0.25 * 127.
  b[0] = 0x5F;
  b[128 + 0] = 0x23;
  expected[0] = 7.75f;
  expected[64] = 158.75f;
  // e97: ql[33] high = 12, qh[1] bits 6-7 = 2 -> q = 44 -> 12 * 0.25 * 10.
  b[33] = 0xC0;
  b[128 + 1] = 0x80;
  expected[97] = 30;
  // Second half. e191: ql[127] low = 9, qh[63] bits 2-3 = 1 -> q = 25 -> -7,
  // scale 64: -112.
  b[127] = 0x09;
  b[128 + 63] = 0x04;
  expected[191] = -112;
  // e200: ql[72] high = 15, qh[40] bits 4-5 = 3 -> q = 63 -> 31, scale -64.
  b[72] = 0xF0;
  b[128 + 40] = 0x30;
  expected[200] = -496;
  expectSameBits(decode(Format::Q6_K, b, 256), expected);
}

TEST(HandBuilt, MXFP4) {
  // Scale byte 127 (2^0). Byte j = code j (element j) | code 15-j (element
  // j+16) << 4.
  std::vector<uint8_t> b(17);
  b[0] = 127;
  for (int j = 0; j < 16; ++j)
    b[1 + j] = uint8_t(j | ((15 - j) << 4));
  const float codeValue[16] = {0, 0.5f,  1,  1.5f,  2,  3,  4,  6,
                               0, -0.5f, -1, -1.5f, -2, -3, -4, -6};
  std::vector<float> expected(32);
  for (int j = 0; j < 16; ++j) {
    expected[j] = codeValue[j];
    expected[j + 16] = codeValue[15 - j];
  }
  expectSameBits(decode(Format::MXFP4, b, 32), expected);
  // Code 8 (E2M1 -0) decodes to +0, as in ggml.
  EXPECT_FALSE(std::signbit(decode(Format::MXFP4, b, 32)[8]));

  // Scale byte 129 (2^2): code 15 -> -24, code 7 -> 24.
  std::vector<uint8_t> c(17, 0x00);
  c[0] = 129;
  c[1] = 0x7F;
  std::vector<float> got = decode(Format::MXFP4, c, 32);
  EXPECT_EQ(got[0], -24.0f);
  EXPECT_EQ(got[16], 24.0f);
  EXPECT_EQ(got[1], 0.0f);
}

// All 16 element codes under edge and ordinary scales: the value is
// e2m1 * 2^(e-127) for every e, including e = 255 (ggml has no NaN scale).
TEST(HandBuilt, MXFP4EveryCodeTimesScales) {
  for (int e : {0, 1, 2, 64, 126, 127, 128, 200, 253, 254, 255}) {
    std::vector<uint8_t> b(17);
    b[0] = uint8_t(e);
    for (int j = 0; j < 16; ++j)
      b[1 + j] = uint8_t(j | (j << 4));
    std::vector<float> got = decode(Format::MXFP4, b, 32);
    for (int j = 0; j < 32; ++j) {
      int code = j % 16;
      double v =
          std::ldexp(double(std::fabs(e2m1ToF32(uint8_t(code)))), e - 127);
      float expect = float(code >= 8 && v != 0 ? -v : v);
      EXPECT_EQ(bitsOf(got[j]), bitsOf(expect))
          << "e=" << e << " code=" << code << " got " << got[j];
    }
  }
  // Landmarks of the convention.
  std::vector<uint8_t> b(17, 0x00);
  b[1] = 0x21; // Element 0: code 1 (0.5), element 16: code 2 (1.0).
  b[0] = 0;
  EXPECT_EQ(decode(Format::MXFP4, b, 32)[0], std::ldexp(1.0f, -128));
  b[0] = 255;
  EXPECT_EQ(decode(Format::MXFP4, b, 32)[0], std::ldexp(1.0f, 127));
  EXPECT_TRUE(std::isinf(decode(Format::MXFP4, b, 32)[16]));
}

TEST(HandBuilt, PlainElementTypes) {
  // F32 little-endian 1.0, F16 -2.0, BF16 1.5, E4M3 0x7E = 448.
  std::vector<uint8_t> f32 = {0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0};
  expectSameBits(decode(Format::F32, f32, 2), {1.0f, -2.0f});
  std::vector<uint8_t> f16 = {0x00, 0xC0, 0x01, 0x00};
  expectSameBits(decode(Format::F16, f16, 2), {-2.0f, std::ldexp(1.0f, -24)});
  std::vector<uint8_t> bf16 = {0xC0, 0x3F, 0x80, 0xFF};
  expectSameBits(decode(Format::BF16, bf16, 2),
                 {1.5f, -std::numeric_limits<float>::infinity()});
  std::vector<uint8_t> fp8 = {0x7E, 0x81, 0x38};
  expectSameBits(decode(Format::F8_E4M3, fp8, 3),
                 {448.0f, -std::ldexp(1.0f, -9), 1.0f});
}

//===----------------------------------------------------------------------===//
// Random blocks vs the naive decoders
//===----------------------------------------------------------------------===//

class RandomBlocks : public ::testing::TestWithParam<Format> {};

TEST_P(RandomBlocks, MatchNaiveDecoderBitExactly) {
  Format f = GetParam();
  NaiveDecoder naive = naiveDecoder(f);
  ASSERT_TRUE(naive);
  uint64_t seed = freshSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  int64_t be = blockElems(f), bb = blockBytes(f);
  for (int iter = 0; iter < 3000; ++iter) {
    int64_t blocks = 1 + int64_t(rng() % 6);
    int64_t n = blocks * be;
    std::vector<uint8_t> bytes(blocks * bb);
    for (uint8_t &x : bytes)
      x = uint8_t(rng());
    for (int64_t blk = 0; blk < blocks; ++blk) {
      uint8_t *p = bytes.data() + blk * bb;
      for (int off : halfFieldOffsets(f)) {
        // Keep f16 scales finite: clear one exponent bit if all are set.
        if ((p[off + 1] & 0x7C) == 0x7C)
          p[off + 1] &= ~0x40;
      }
      if (iter % 7 == 0 && f == Format::MXFP4)
        p[0] = uint8_t(rng() % 2 ? rng() % 3 : 255 - rng() % 3); // Edges.
      // Never an all-zero block.
      if (std::all_of(p, p + bb, [](uint8_t x) { return x == 0; }))
        p[bb - 1] = 0x5A;
    }
    std::vector<float> got(n);
    ASSERT_TRUE(dequantizeRow(f, bytes.data(), got.data(), n));
    for (int64_t i = 0; i < n; ++i) {
      float expect = naive(bytes.data(), i);
      ASSERT_EQ(bitsOf(got[i]), bitsOf(expect))
          << formatName(f) << " element " << i << ": got " << got[i]
          << ", naive " << expect;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllBlockFormats, RandomBlocks,
                         ::testing::ValuesIn(kBlockFormats),
                         [](const ::testing::TestParamInfo<Format> &info) {
                           return std::string(formatName(info.param));
                         });

//===----------------------------------------------------------------------===//
// Quantize -> dequantize
//===----------------------------------------------------------------------===//

// Rows of varied shape: gaussian, offset uniform, one-signed, outliers,
// constant, with exact zeros.
// Row magnitudes are scaled by 2^k, k in [minLog2Scale, 7].
std::vector<float> randomRow(std::mt19937_64 &rng, int64_t n, int kind,
                             int minLog2Scale = -16) {
  std::vector<float> x(n);
  std::normal_distribution<float> normal(0, 1);
  std::uniform_real_distribution<float> uni(-1, 1);
  float scale =
      std::ldexp(1.0f, minLog2Scale + int(rng() % uint64_t(8 - minLog2Scale)));
  for (int64_t i = 0; i < n; ++i) {
    switch (kind % 6) {
    case 0:
      x[i] = normal(rng);
      break;
    case 1:
      x[i] = uni(rng) + 0.7f;
      break;
    case 2:
      x[i] = std::fabs(normal(rng)) + 2; // All positive, away from 0.
      break;
    case 3:
      x[i] = -std::fabs(normal(rng)) - 1; // All negative.
      break;
    case 4:
      x[i] = (rng() % 50 == 0) ? 30 * normal(rng) : normal(rng);
      break;
    case 5:
      x[i] = (rng() % 3 == 0) ? 0.0f : 0.75f;
      break;
    }
    x[i] *= scale;
  }
  return x;
}

// Runs `check(blockIndex, x, decoded, blockBytes)` over many random rows.
void forRandomRows(Format f,
                   const std::function<void(const float *, const float *,
                                            const uint8_t *)> &check) {
  uint64_t seed = freshSeed();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  int64_t be = blockElems(f), bb = blockBytes(f);
  for (int iter = 0; iter < 600; ++iter) {
    int64_t n = be * (1 + int64_t(rng() % 4));
    std::vector<float> x = randomRow(rng, n, iter);
    std::vector<uint8_t> bytes(rowBytes(f, n));
    ASSERT_TRUE(quantizeRow(f, x.data(), bytes.data(), n));
    std::vector<float> y(n);
    ASSERT_TRUE(dequantizeRow(f, bytes.data(), y.data(), n));
    for (int64_t blk = 0; blk < n / be; ++blk) {
      SCOPED_TRACE("iter " + std::to_string(iter) + " block " +
                   std::to_string(blk));
      check(x.data() + blk * be, y.data() + blk * be, bytes.data() + blk * bb);
      if (::testing::Test::HasFatalFailure())
        return;
    }
  }
}

TEST(QuantizeRoundTrip, Q8_0ErrorAtMostHalfStep) {
  forRandomRows(
      Format::Q8_0, [](const float *x, const float *y, const uint8_t *b) {
        double d = std::fabs(le16Half(b));
        float amax = 0;
        for (int j = 0; j < 32; ++j)
          amax = std::max(amax, std::fabs(x[j]));
        // The scale is amax / 127 rounded up to an f16.
        EXPECT_GE(d * 127, amax);
        EXPECT_LE(d, amax / 127.0 * (1 + 1.0 / 1024) + std::ldexp(1.0, -24));
        for (int j = 0; j < 32; ++j)
          ASSERT_LE(std::fabs(double(y[j]) - x[j]), d / 2 * (1 + 1e-9) + 1e-30)
              << j << ": " << x[j] << " -> " << y[j];
      });
}

TEST(QuantizeRoundTrip, Q4_0ErrorBounds) {
  forRandomRows(
      Format::Q4_0, [](const float *x, const float *y, const uint8_t *b) {
        double d = le16Half(b);
        for (int j = 0; j < 32; ++j) {
          double err = std::fabs(double(y[j]) - x[j]);
          // Within the 16 levels -8..7 the error is half a step; the one side
          // that stops at +7 (opposite the extreme) may lose up to one step.
          double bound =
              (d != 0 && x[j] / d <= 7.5) ? std::fabs(d) / 2 : std::fabs(d);
          ASSERT_LE(err, bound * (1 + 1e-9) + 1e-30)
              << j << ": " << x[j] << " -> " << y[j] << " d=" << d;
        }
      });
}

TEST(QuantizeRoundTrip, Q4_KErrorAtMostHalfSubBlockStep) {
  forRandomRows(Format::Q4_K, [](const float *x, const float *y,
                                 const uint8_t *b) {
    double d = le16Half(b), dmin = le16Half(b + 2);
    EXPECT_GE(d, 0);
    EXPECT_GE(dmin, 0);
    float amax = 0;
    for (int j = 0; j < 256; ++j)
      amax = std::max(amax, std::fabs(x[j]));
    double sumSq = 0, rangeSq = 0;
    for (int sub = 0; sub < 8; ++sub) {
      // The sub-block's 6-bit scale, read as in naiveQ4_K.
      const uint8_t *s = b + 4;
      int sc = sub < 4 ? s[sub] % 64 : s[sub + 4] % 16 + 16 * (s[sub - 4] / 64);
      double step = d * sc;
      float lo = *std::min_element(x + 32 * sub, x + 32 * sub + 32);
      float hi = *std::max_element(x + 32 * sub, x + 32 * sub + 32);
      for (int l = 0; l < 32; ++l) {
        int j = 32 * sub + l;
        double err = std::fabs(double(y[j]) - x[j]);
        // Half a step, plus float rounding of the decoded value.
        double bound = step > 0 ? step / 2 * (1 + 1e-6) + 1e-6 * amax
                                : double(hi - std::min(lo, 0.0f)) + dmin;
        ASSERT_LE(err, bound) << j << ": " << x[j] << " -> " << y[j];
        sumSq += err * err;
      }
      double width = hi - std::min(lo, 0.0f);
      rangeSq += 32 * width * width;
    }
    // Overall: rms error well under one of 15 steps of each sub-block range.
    if (rangeSq > 0)
      EXPECT_LT(std::sqrt(sumSq / rangeSq), 1.0 / 15);
  });
}

TEST(QuantizeRoundTrip, Q6_KErrorBounds) {
  forRandomRows(Format::Q6_K, [](const float *x, const float *y,
                                 const uint8_t *b) {
    double d = le16Half(b + 208);
    float amax = 0;
    for (int j = 0; j < 256; ++j)
      amax = std::max(amax, std::fabs(x[j]));
    for (int j = 0; j < 256; ++j) {
      double step = d * int8_t(b[192 + j / 16]);
      double err = std::fabs(double(y[j]) - x[j]);
      // Levels -32..31: half a step, except on the +31 side opposite the
      // sub-block's extreme (one step); plus float rounding.
      double bound = (step != 0 && x[j] / step <= 31.5) ? std::fabs(step) / 2
                                                        : std::fabs(step);
      if (step == 0)
        bound = 0;
      ASSERT_LE(err, bound * (1 + 1e-6) + 1e-6 * amax)
          << j << ": " << x[j] << " -> " << y[j] << " step " << step;
    }
  });
}

TEST(QuantizeRoundTrip, MXFP4ScaleChoiceAndErrorBounds) {
  forRandomRows(Format::MXFP4, [](const float *x, const float *y,
                                  const uint8_t *b) {
    float amax = 0;
    for (int j = 0; j < 32; ++j)
      amax = std::max(amax, std::fabs(x[j]));
    if (amax > 0) // OCP MX: shared exponent floor(log2(amax)) - 2.
      EXPECT_EQ(int(b[0]) - 127, int(std::floor(std::log2(double(amax)))) - 2);
    double scale = std::ldexp(1.0, int(b[0]) - 127);
    for (int j = 0; j < 32; ++j) {
      double a = std::fabs(x[j]) / scale;
      // Half the E2M1 spacing at that magnitude; beyond 6 it saturates.
      double bound = a < 2 ? 0.25 : a < 4 ? 0.5 : a <= 6 ? 1 : a - 6;
      double err = std::fabs(double(y[j]) - x[j]) / scale;
      ASSERT_LE(err, bound) << j << ": " << x[j] << " -> " << y[j];
      ASSERT_LT(err, 2.0);
      if (y[j] != 0)
        ASSERT_EQ(std::signbit(y[j]), std::signbit(x[j]));
    }
  });
}

TEST(QuantizeRoundTrip, PlainTypesMatchScalarConversions) {
  uint64_t seed = freshSeed();
  SCOPED_TRACE(seed);
  std::mt19937_64 rng(seed);
  std::vector<float> x(1000);
  for (float &v : x)
    v = std::ldexp(std::normal_distribution<float>(0, 1)(rng),
                   int(rng() % 40) - 20);
  x[0] = std::numeric_limits<float>::infinity();
  x[1] = -0.0f;
  for (Format f : {Format::F32, Format::F16, Format::BF16, Format::F8_E4M3}) {
    std::vector<uint8_t> bytes(rowBytes(f, 1000));
    ASSERT_TRUE(quantizeRow(f, x.data(), bytes.data(), 1000));
    std::vector<float> y = decode(f, bytes, 1000);
    for (int i = 0; i < 1000; ++i) {
      float expect = f == Format::F32    ? x[i]
                     : f == Format::F16  ? f16ToF32(f32ToF16(x[i]))
                     : f == Format::BF16 ? bf16ToF32(f32ToBf16(x[i]))
                                         : e4m3fnToF32(quantizeE4M3(x[i]));
      ASSERT_EQ(bitsOf(y[i]), bitsOf(expect)) << formatName(f) << " " << i;
    }
  }
}

// Values already on a block's grid come back exactly.
TEST(QuantizeRoundTrip, RepresentableRowsAreExact) {
  uint64_t seed = freshSeed();
  SCOPED_TRACE(seed);
  std::mt19937_64 rng(seed);
  for (int iter = 0; iter < 200; ++iter) {
    float d =
        std::ldexp(1.0f + float(rng() % 1024) / 1024, int(rng() % 20) - 10);
    float pow2 = std::ldexp(1.0f, int(rng() % 20) - 10);
    std::vector<float> q8(32), q4(32), mx(32);
    const float e2m1[8] = {0, 0.5f, 1, 1.5f, 2, 3, 4, 6};
    for (int j = 0; j < 32; ++j) {
      q8[j] = float(int(rng() % 255) - 127) * d;
      q4[j] = float(int(rng() % 16) - 8) * d;
      mx[j] = e2m1[rng() % 8] * (rng() % 2 ? -pow2 : pow2);
    }
    q8[rng() % 32] = 127 * d; // Pin the extremes that define the scale.
    q4[rng() % 32] = -8 * d;
    mx[rng() % 32] = (rng() % 2 ? -6 : 6) * pow2; // MXFP4 scale is pow2.
    for (auto [f, row] :
         {std::pair{Format::Q8_0, &q8}, std::pair{Format::Q4_0, &q4},
          std::pair{Format::MXFP4, &mx}}) {
      std::vector<uint8_t> bytes(rowBytes(f, 32));
      ASSERT_TRUE(quantizeRow(f, row->data(), bytes.data(), 32));
      std::vector<float> y = decode(f, bytes, 32);
      for (int j = 0; j < 32; ++j)
        ASSERT_EQ(y[j], (*row)[j]) << formatName(f) << " element " << j;
    }
  }
}

TEST(QuantizeRoundTrip, AllZeroRowsEncodeAsZero) {
  for (Format f : kAllFormats) {
    int64_t n = 512;
    std::vector<float> x(n, 0.0f), y(n, 1.0f);
    std::vector<uint8_t> bytes(rowBytes(f, n), 0xAB);
    ASSERT_TRUE(quantizeRow(f, x.data(), bytes.data(), n));
    ASSERT_TRUE(dequantizeRow(f, bytes.data(), y.data(), n));
    for (float v : y)
      ASSERT_EQ(v, 0.0f) << formatName(f);
  }
}

// Re-encoding a decoded row reproduces it: the encoders pick valid blocks and
// the decoded values lie on their own grid.
TEST(QuantizeRoundTrip, DecodedRowsAreFixedPointsForSimpleFormats) {
  uint64_t seed = freshSeed();
  SCOPED_TRACE(seed);
  std::mt19937_64 rng(seed);
  for (Format f : {Format::Q8_0, Format::Q4_0, Format::MXFP4}) {
    for (int iter = 0; iter < 200; ++iter) {
      // Scales large enough that the f16 block scales are normal numbers
      // (a subnormal f16 scale is too coarse to land back on itself).
      std::vector<float> x = randomRow(rng, 64, iter, -6);
      std::vector<uint8_t> bytes(rowBytes(f, 64)), again(rowBytes(f, 64));
      ASSERT_TRUE(quantizeRow(f, x.data(), bytes.data(), 64));
      std::vector<float> y = decode(f, bytes, 64);
      ASSERT_TRUE(quantizeRow(f, y.data(), again.data(), 64));
      std::vector<float> z = decode(f, again, 64);
      for (int j = 0; j < 64; ++j)
        ASSERT_EQ(z[j], y[j]) << formatName(f) << " iter " << iter << " " << j;
    }
  }
}

} // namespace
