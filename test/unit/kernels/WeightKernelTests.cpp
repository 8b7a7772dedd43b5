//===- WeightKernelTests.cpp - generated decoders and matmuls vs reference ===//
//
// Every storage format: the generated decoder (through tfm.embedding, which
// decodes whole rows) must reproduce frontends/quant's reference decoder bit
// for bit, and the generated matmul must match a double-precision product of
// the reference-decoded weights.
//
//===----------------------------------------------------------------------===//
#include "frontends/quant/QuantFormats.h"
#include "test/unit/kernels/KernelHarness.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <initializer_list>

using namespace lmc::test;
using lmc::quant::Format;

namespace {

struct FormatCase {
  const char *name;
  int64_t rowElems;
};

/// Byte ranges of a block that hold f16 scales: they get valid random
/// values, every other byte is uniformly random.
std::vector<std::pair<int, int>> scaleFields(Format f) {
  switch (f) {
  case Format::Q8_0:
  case Format::Q4_0:
    return {{0, 2}};
  case Format::Q4_K:
    return {{0, 2}, {2, 2}};
  case Format::Q6_K:
    return {{208, 2}};
  default:
    return {};
  }
}

/// A row of `n` elements in format `f` with random contents. With
/// `extremeScales`, MXFP4 exponents also take the values that overflow (255)
/// or make subnormal scales (0, 1); otherwise they stay moderate.
std::vector<uint8_t> randomRow(Format f, int64_t n, TestRandom &rng,
                               bool extremeScales = false) {
  std::vector<uint8_t> row(lmc::quant::rowBytes(f, n));
  if (f == Format::F32 || f == Format::F16 || f == Format::BF16) {
    std::vector<float> values = rng.floats(n, -4.0f, 4.0f);
    lmc::quant::quantizeRow(f, values.data(), row.data(), n);
    return row;
  }
  for (uint8_t &b : row)
    b = rng.byte();
  int64_t blockBytes = lmc::quant::blockBytes(f);
  for (int64_t block = 0; block < (int64_t)row.size() / blockBytes; ++block) {
    if (f == Format::MXFP4) {
      const uint8_t extremes[] = {0, 1, 2, 254, 255};
      uint8_t e = rng.byte();
      row[block * blockBytes] =
          extremeScales && e % 4 == 0 ? extremes[e / 4 % 5] : uint8_t(110 + e % 30);
    }
    for (auto [offset, size] : scaleFields(f)) {
      uint16_t half = lmc::quant::f32ToF16(rng.uniform(-0.05f, 0.05f));
      std::memcpy(&row[block * blockBytes + offset], &half, size);
    }
  }
  return row;
}

std::string weightType(const FormatCase &c, int64_t rows) {
  return "!tfm.weight<" + std::to_string(rows) + "x" + std::to_string(c.rowElems) +
         ", " + c.name + ">";
}

/// n random rows of k elements in format f: their bytes, one after the
/// other, and their reference-decoded values.
void randomWeight(Format f, int64_t n, int64_t k, TestRandom &rng, std::vector<uint8_t> &bytes,
                  std::vector<float> &decoded) {
  decoded.resize(n * k);
  for (int64_t r = 0; r < n; ++r) {
    std::vector<uint8_t> row = randomRow(f, k, rng);
    ASSERT_TRUE(lmc::quant::dequantizeRow(f, row.data(), &decoded[r * k], k));
    bytes.insert(bytes.end(), row.begin(), row.end());
  }
}

/// A function @run(x) = tfm.matmul x, w for a weight of `type` ([n, k]) at
/// offset 0 of the weights argument.
std::string matmulSource(const std::string &type, int64_t n, int64_t k) {
  std::string ks = std::to_string(k), ns = std::to_string(n);
  return "tfm.weight_decl @w : " + type + " at 0\n" +
         "func.func @run(%x: tensor<?x" + ks + "xf32>) -> tensor<?x" + ns +
         "xf32> attributes {llvm.emit_c_interface} {\n"
         "  %w = tfm.weight @w : " + type + "\n" +
         "  %y = tfm.matmul %x, %w : (tensor<?x" + ks + "xf32>, " + type +
         ") -> tensor<?x" + ns + "xf32>\n  return %y : tensor<?x" + ns + "xf32>\n}\n";
}

using MatmulFn = void (*)(MemRef<uint8_t, 1> *, MemRef<float, 2> *, MemRef<float, 2> *);

/// y = x w^T ([m, n]) through the compiled @run.
std::vector<float> runMatmul(MatmulFn run, std::vector<uint8_t> &weights,
                             std::vector<float> &x, int64_t m, int64_t n, int64_t k) {
  std::vector<float> y(m * n, -7.0f);
  auto w = memref<uint8_t, 1>(weights.data(), {(int64_t)weights.size()});
  auto xm = memref<float, 2>(x.data(), {m, k});
  auto ym = memref<float, 2>(y.data(), {m, n});
  run(&w, &xm, &ym);
  return y;
}

/// Row i of x times row j of the decoded weights in double precision, and
/// the sum of the terms' magnitudes.
std::pair<double, double> referenceDot(const std::vector<float> &x,
                                       const std::vector<float> &decoded, int64_t i,
                                       int64_t j, int64_t k) {
  double sum = 0, magnitude = 0;
  for (int64_t l = 0; l < k; ++l) {
    sum += (double)x[i * k + l] * decoded[j * k + l];
    magnitude += std::fabs((double)x[i * k + l] * decoded[j * k + l]);
  }
  return {sum, magnitude};
}

class WeightKernelTest : public ::testing::TestWithParam<FormatCase> {
protected:
  Format format() const { return *lmc::quant::parseFormat(GetParam().name); }
};

TEST_P(WeightKernelTest, DecodeIsBitExact) {
  const FormatCase &c = GetParam();
  const int64_t rows = 6, n = c.rowElems;
  TestRandom rng(0x5eed0000 + n);
  std::vector<uint8_t> weights;
  std::vector<std::vector<uint8_t>> rowBytes;
  for (int64_t r = 0; r < rows; ++r) {
    rowBytes.push_back(randomRow(format(), n, rng, /*extremeScales=*/true));
    weights.insert(weights.end(), rowBytes.back().begin(), rowBytes.back().end());
  }
  std::string type = weightType(c, rows);
  std::string source = "tfm.weight_decl @table : " + type + " at 0\n" +
                       "func.func @run(%ids: tensor<?xi32>) -> tensor<?x" +
                       std::to_string(n) +
                       "xf32> attributes {llvm.emit_c_interface} {\n"
                       "  %w = tfm.weight @table : " + type + "\n" +
                       "  %e = tfm.embedding %w[%ids] : (" + type +
                       ", tensor<?xi32>) -> tensor<?x" + std::to_string(n) +
                       "xf32>\n  return %e : tensor<?x" + std::to_string(n) +
                       "xf32>\n}\n";
  KernelHarness harness;
  ASSERT_TRUE(harness.compile(source)) << harness.error();
  auto run = (void (*)(MemRef<uint8_t, 1> *, MemRef<int32_t, 1> *,
                       MemRef<float, 2> *))harness.lookup("run");
  ASSERT_NE(run, nullptr);

  std::vector<int32_t> ids{3, 0, 5, 5, 1, 4, 2};
  std::vector<float> out(ids.size() * n, -7.0f);
  auto w = memref<uint8_t, 1>(weights.data(), {(int64_t)weights.size()});
  auto i = memref<int32_t, 1>(ids.data(), {(int64_t)ids.size()});
  auto o = memref<float, 2>(out.data(), {(int64_t)ids.size(), n});
  run(&w, &i, &o);

  std::vector<float> expected(n);
  for (size_t t = 0; t < ids.size(); ++t) {
    ASSERT_TRUE(lmc::quant::dequantizeRow(format(), rowBytes[ids[t]].data(),
                                          expected.data(), n));
    for (int64_t k = 0; k < n; ++k) {
      float got = out[t * n + k];
      ASSERT_EQ(std::memcmp(&got, &expected[k], sizeof(float)), 0)
          << c.name << " row " << ids[t] << " element " << k << ": " << got
          << " vs reference " << expected[k];
    }
  }
}

TEST_P(WeightKernelTest, MatmulMatchesReference) {
  const FormatCase &c = GetParam();
  const int64_t n = 72, k = c.rowElems;
  TestRandom rng(0xabc0000 + k);
  std::vector<uint8_t> weights;
  std::vector<float> decoded;
  randomWeight(format(), n, k, rng, weights, decoded);
  KernelHarness harness;
  ASSERT_TRUE(harness.compile(matmulSource(weightType(c, n), n, k))) << harness.error();
  auto run = (MatmulFn)harness.lookup("run");
  ASSERT_NE(run, nullptr);

  // Row path: 1 row (decode), and counts that exercise its 4-row groups and
  // the remainder loop. Tiled path (16 rows and more): full and partial
  // micro-kernel tiles, and several row blocks (300 > 128).
  for (int64_t m : {1, 4, 7, 16, 37, 300}) {
    std::vector<float> x = rng.floats(m * k);
    std::vector<float> y = runMatmul(run, weights, x, m, n, k);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        auto [sum, magnitude] = referenceDot(x, decoded, i, j, k);
        // Float accumulation in another order: a few ulps of the magnitude.
        EXPECT_NEAR(y[i * n + j], sum, 1e-6 * magnitude + 1e-7)
            << c.name << " m=" << m << " at (" << i << ", " << j << ")";
      }
  }
}

// The AMX path (bf16 tiles: integers exact, activations split into three
// bf16 parts) must be as accurate as the f32 tiled path on the same data,
// and tell apart a split into two parts. 320 x 4096 takes several weight
// groups; 150 rows two blocks of activation tiles, the last partial.
struct AmxCase {
  const char *name;
  Format format;
  int64_t n = 320, k = 4096;
  const char *label = "";
};

class AmxMatmul : public ::testing::TestWithParam<AmxCase> {};

std::string amxCaseSource(const AmxCase &c) {
  return matmulSource("!tfm.weight<" + std::to_string(c.n) + "x" + std::to_string(c.k) + ", " +
                          c.name + ">",
                      c.n, c.k);
}

/// Whether a kernel whose name contains `fragment` was compiled.
bool compiledKernel(const KernelHarness &harness, const std::string &fragment) {
  for (const std::string &symbol : harness.loweredSymbols())
    if (symbol.find(fragment) != std::string::npos)
      return true;
  return false;
}

TEST_P(AmxMatmul, IsAsAccurateAsF32) {
  if (!KernelHarness::amxAvailable())
    GTEST_SKIP() << "no AMX-BF16 on this machine";
  const AmxCase &c = GetParam();
  const int64_t n = c.n, k = c.k;
  TestRandom rng(0xa3c0001);
  std::vector<uint8_t> weights;
  std::vector<float> decoded;
  randomWeight(c.format, n, k, rng, weights, decoded);
  std::string source = amxCaseSource(c);
  KernelHarness amx, f32;
  amx.amx = true;
  ASSERT_TRUE(amx.compile(source)) << amx.error();
  ASSERT_TRUE(f32.compile(source)) << f32.error();
  // The AMX kernel, not the f32 fallback, is what runs.
  EXPECT_TRUE(compiledKernel(amx, "_amx")) << c.name;
  auto runAmx = (MatmulFn)amx.lookup("run"), runF32 = (MatmulFn)f32.lookup("run");
  ASSERT_TRUE(runAmx && runF32);
  double worstAmx = 0, worstF32 = 0;
  for (int64_t m : {16, 37, 150}) {
    // Activations over many binades, so all three bf16 parts matter.
    std::vector<float> x(m * k);
    for (float &v : x)
      v = rng.uniform(-1.0f, 1.0f) * std::ldexp(1.0f, int(rng.byte() % 24) - 12);
    std::vector<float> yAmx = runMatmul(runAmx, weights, x, m, n, k);
    std::vector<float> yF32 = runMatmul(runF32, weights, x, m, n, k);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        auto [sum, magnitude] = referenceDot(x, decoded, i, j, k);
        worstAmx = std::max(worstAmx, std::fabs(yAmx[i * n + j] - sum) / magnitude);
        worstF32 = std::max(worstF32, std::fabs(yF32[i * n + j] - sum) / magnitude);
      }
  }
  // Error relative to the sum of |terms|, measured (AMX / f32 path): Q8_0
  // 1.1e-7 / 9.2e-8, Q4_0 1.4e-7 / 9.7e-8, Q4_K 2.2e-7 / 1.3e-7, MXFP4
  // 5.4e-7 / 2.9e-7 (its scales span 2^-18..2^11); Q8_0 with a two-part
  // split (not exact) 6.8e-7, 7.4 times the f32 path's.
  EXPECT_LT(worstF32, 1e-6) << c.name;
  EXPECT_LT(worstAmx, 2.5 * worstF32) << c.name;
}

INSTANTIATE_TEST_SUITE_P(Formats, AmxMatmul,
                         ::testing::Values(AmxCase{"q8_0", Format::Q8_0},
                                           AmxCase{"q4_0", Format::Q4_0},
                                           AmxCase{"q4_k", Format::Q4_K},
                                           AmxCase{"mxfp4", Format::MXFP4},
                                           // Rows too long for the stack: heap groups.
                                           AmxCase{"q8_0", Format::Q8_0, 64, 18432, "_long"}),
                         [](const ::testing::TestParamInfo<AmxCase> &info) {
                           return std::string(info.param.name) + info.param.label;
                         });

/// x rounded as the int8 AMX path rounds it (llama.cpp's Q8_0): per
/// 32-element block, d = max|x| / 127, q = round-to-even(x / d) as x * (1/d)
/// in f32, and q times d rounded to f16.
std::vector<float> roundActivationsToInt8(const std::vector<float> &x) {
  std::vector<float> rounded(x.size());
  for (size_t b = 0; b < x.size(); b += 32) {
    float amax = 0;
    for (size_t i = b; i < b + 32; ++i)
      amax = std::max(amax, std::fabs(x[i]));
    float d = amax / 127.0f;
    float inverse = d > 0 ? 1.0f / d : 0.0f;
    std::vector<float> scale{d};
    roundToHalf(scale);
    for (size_t i = b; i < b + 32; ++i)
      rounded[i] = std::nearbyint(x[i] * inverse) * scale[0];
  }
  return rounded;
}

/// How far `run`'s products of random activations (m rows for each m of
/// `rowCounts`, one all-zero 32-element block from element `zeroAt`) are
/// from the product of the activations rounded to int8 (worst over all) and
/// from the exact product (least over the row counts of each count's
/// worst), relative to the sum of |terms|.
std::pair<double, double> roundedErrors(MatmulFn run, std::vector<uint8_t> &weights,
                                        const std::vector<float> &decoded, TestRandom &rng,
                                        std::initializer_list<int64_t> rowCounts, int64_t n,
                                        int64_t k, int64_t zeroAt) {
  double worstRounded = 0, leastExact = 1;
  for (int64_t m : rowCounts) {
    std::vector<float> x(m * k);
    for (float &v : x)
      v = rng.uniform(-1.0f, 1.0f) * std::ldexp(1.0f, int(rng.byte() % 8) - 4);
    // Its factor is 0, not a division by zero.
    std::fill(x.begin() + zeroAt, x.begin() + zeroAt + 32, 0.0f);
    std::vector<float> rounded = roundActivationsToInt8(x);
    std::vector<float> y = runMatmul(run, weights, x, m, n, k);
    double worstExact = 0;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        auto [sum, magnitude] = referenceDot(rounded, decoded, i, j, k);
        worstRounded = std::max(worstRounded, std::fabs(y[i * n + j] - sum) / magnitude);
        auto [exact, exactMagnitude] = referenceDot(x, decoded, i, j, k);
        worstExact = std::max(worstExact, std::fabs(y[i * n + j] - exact) / exactMagnitude);
      }
    leastExact = std::min(leastExact, worstExact);
  }
  return {worstRounded, leastExact};
}

// The int8 AMX path (--prefill-activations int8) computes exactly the
// product of the activations rounded as roundActivationsToInt8 says with the
// decoded weights, up to f32 summation: a wrong tile layout, factor or
// minimum is off by the size of the terms, and not rounding at all is off
// by the rounding (~1e-2 of the magnitude).
// The VNNI path (the same without AMX) likewise, its weight bytes biased by
// 128 and the activations' sums taking the bias off: a wrong bias sum is off
// by the size of the terms too.
class AmxInt8Matmul : public ::testing::TestWithParam<AmxCase> {};

/// Compiles case `c` with `configure`'s options, checks that its kernel
/// has `suffix`, and holds it to the product of the rounded activations.
void expectRoundedProducts(const AmxCase &c, const std::function<void(KernelHarness &)> &configure,
                           const char *suffix) {
  const int64_t n = c.n, k = c.k;
  TestRandom rng(0xa3c0002);
  std::vector<uint8_t> weights;
  std::vector<float> decoded;
  randomWeight(c.format, n, k, rng, weights, decoded);
  KernelHarness harness;
  configure(harness);
  ASSERT_TRUE(harness.compile(amxCaseSource(c))) << harness.error();
  EXPECT_TRUE(compiledKernel(harness, suffix)) << c.name;
  auto run = (MatmulFn)harness.lookup("run");
  ASSERT_TRUE(run);
  auto [worstRounded, leastExact] =
      roundedErrors(run, weights, decoded, rng, {16, 37, 150}, n, k, /*zeroAt=*/k);
  // Measured (relative to the sum of |terms|): 6e-8..1.8e-7 from the
  // product of the rounded activations, 4e-4..4e-3 from the exact one.
  EXPECT_LT(worstRounded, 1e-6) << c.name;
  EXPECT_GT(leastExact, 1e-4) << c.name;
}

TEST_P(AmxInt8Matmul, MatchesRoundedActivations) {
  if (!KernelHarness::amxInt8Available())
    GTEST_SKIP() << "no AMX-INT8 on this machine";
  expectRoundedProducts(
      GetParam(), [](KernelHarness &h) { h.amx = h.amxInt8 = true; }, "_amx8");
}

TEST_P(AmxInt8Matmul, OnVnniMatchesRoundedActivations) {
  if (!KernelHarness::int8RowsAvailable())
    GTEST_SKIP() << "no AVX-512 VNNI on this machine";
  expectRoundedProducts(GetParam(), [](KernelHarness &h) { h.vnniInt8 = true; }, "_vnnimm8");
}

INSTANTIATE_TEST_SUITE_P(Formats, AmxInt8Matmul,
                         ::testing::Values(AmxCase{"q8_0", Format::Q8_0},
                                           AmxCase{"q4_0", Format::Q4_0},
                                           AmxCase{"q4_k", Format::Q4_K},
                                           AmxCase{"mxfp4", Format::MXFP4},
                                           // 16-element sub-blocks.
                                           AmxCase{"q6_k", Format::Q6_K},
                                           // An odd number of 32-element blocks.
                                           AmxCase{"q8_0", Format::Q8_0, 64, 4064, "_odd"},
                                           // Rows too long for the stack: heap groups.
                                           AmxCase{"q8_0", Format::Q8_0, 64, 18432, "_long"}),
                         [](const ::testing::TestParamInfo<AmxCase> &info) {
                           return std::string(info.param.name) + info.param.label;
                         });

// The int8 row path (--decode-activations int8) computes the product of
// the activations rounded as roundActivationsToInt8 says with the decoded
// weights, up to f32 summation, for 1 row and for 4-row groups with a
// remainder; a wrong lane factor, correction or group sum is off by the size
// of the terms.
class Int8RowMatmul : public ::testing::TestWithParam<AmxCase> {};

TEST_P(Int8RowMatmul, MatchesRoundedActivations) {
  if (!KernelHarness::int8RowsAvailable())
    GTEST_SKIP() << "no AVX-512 VNNI on this machine";
  const AmxCase &c = GetParam();
  const int64_t n = c.n, k = c.k;
  TestRandom rng(0x1e80003);
  std::vector<uint8_t> weights;
  std::vector<float> decoded;
  randomWeight(c.format, n, k, rng, weights, decoded);
  KernelHarness harness;
  harness.int8Rows = true;
  ASSERT_TRUE(harness.compile(amxCaseSource(c))) << harness.error();
  EXPECT_TRUE(compiledKernel(harness, "_vnni8")) << c.name;
  auto run = (MatmulFn)harness.lookup("run");
  ASSERT_TRUE(run);
  auto [worstRounded, leastExact] =
      roundedErrors(run, weights, decoded, rng, {1, 7}, n, k, /*zeroAt=*/32);
  // Measured (relative to the sum of |terms|): 3.5e-8..7.9e-8 from the
  // product of the rounded activations, 7e-4..2.1e-3 from the exact one.
  EXPECT_LT(worstRounded, 1e-6) << c.name;
  EXPECT_GT(leastExact, 1e-4) << c.name;
}

INSTANTIATE_TEST_SUITE_P(Formats, Int8RowMatmul,
                         ::testing::Values(AmxCase{"q8_0", Format::Q8_0, 72, 1024},
                                           AmxCase{"q4_0", Format::Q4_0, 72, 1024},
                                           AmxCase{"q4_k", Format::Q4_K, 72, 1024},
                                           AmxCase{"q6_k", Format::Q6_K, 72, 1024},
                                           // Blocks left over after the unrolled loop.
                                           AmxCase{"q8_0", Format::Q8_0, 40, 4064, "_odd"},
                                           AmxCase{"q4_0", Format::Q4_0, 40, 4064, "_odd"},
                                           AmxCase{"q6_k", Format::Q6_K, 40, 2816, "_odd"}),
                         [](const ::testing::TestParamInfo<AmxCase> &info) {
                           return std::string(info.param.name) + info.param.label;
                         });

INSTANTIATE_TEST_SUITE_P(
    Formats, WeightKernelTest,
    ::testing::Values(FormatCase{"f32", 96}, FormatCase{"f32", 40},
                      FormatCase{"f16", 64}, FormatCase{"bf16", 64},
                      FormatCase{"q8_0", 96}, FormatCase{"q4_0", 64},
                      FormatCase{"q4_k", 512}, FormatCase{"q6_k", 256},
                      FormatCase{"mxfp4", 96}),
    [](const ::testing::TestParamInfo<FormatCase> &info) {
      return std::string(info.param.name) + "_" + std::to_string(info.param.rowElems);
    });

} // namespace
