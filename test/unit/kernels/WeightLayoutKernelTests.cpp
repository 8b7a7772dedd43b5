//===- WeightLayoutKernelTests.cpp - weights read in place, every layout --===//
//
// The layouts of Hugging Face checkpoints, read where they lie: FP8 E4M3
// with 128 x 128 block scales, OpenAI-ordered MXFP4 with separate E8M0
// scales and interleaved rows, experts stored apart (slice tables). Decoding
// is checked bit for bit on every code point against frontends/quant's
// scalar definitions, and the products against double-precision references
// of the same decoded values.
//
//===----------------------------------------------------------------------===//
#include "frontends/quant/QuantFormats.h"
#include "test/unit/kernels/KernelHarness.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

using namespace lmc::test;

namespace {

std::string str(int64_t v) { return std::to_string(v); }

/// Bitwise equality, any NaN equal to any NaN.
bool sameFloat(float a, float b) {
  if (std::isnan(a) || std::isnan(b))
    return std::isnan(a) && std::isnan(b);
  return std::memcmp(&a, &b, sizeof(float)) == 0;
}

/// A byte buffer the declarations' offsets index.
struct Mapping {
  std::vector<uint8_t> bytes;
  /// Appends `data` at the next multiple of `align`; returns its offset.
  int64_t add(const void *data, size_t n, size_t align = 64) {
    bytes.resize((bytes.size() + align - 1) / align * align);
    int64_t at = int64_t(bytes.size());
    const auto *p = static_cast<const uint8_t *>(data);
    bytes.insert(bytes.end(), p, p + n);
    return at;
  }
  MemRef<uint8_t, 1> memref() { return lmc::test::memref<uint8_t, 1>(bytes.data(), {(int64_t)bytes.size()}); }
};

/// `tfm.embedding` of every row of `type` (ids 0..rows-1 in the order
/// given), so the generated decoder's output can be compared whole.
std::string embeddingSource(const std::string &decls, const std::string &type, int64_t cols) {
  std::string out = "tensor<?x" + str(cols) + "xf32>";
  return decls + "func.func @run(%ids: tensor<?xi32>) -> " + out +
         " attributes {llvm.emit_c_interface} {\n"
         "  %w = tfm.weight @w : " + type + "\n"
         "  %e = tfm.embedding %w[%ids] : (" + type + ", tensor<?xi32>) -> " + out + "\n"
         "  return %e : " + out + "\n}\n";
}

using EmbeddingFn = void (*)(MemRef<uint8_t, 1> *, MemRef<int32_t, 1> *, MemRef<float, 2> *);

std::vector<float> runEmbedding(KernelHarness &h, Mapping &m, std::vector<int32_t> ids,
                                int64_t cols) {
  auto run = (EmbeddingFn)h.lookup("run");
  std::vector<float> out(ids.size() * cols, -7.0f);
  if (!run)
    return {};
  auto w = m.memref();
  auto i = memref<int32_t, 1>(ids.data(), {(int64_t)ids.size()});
  auto o = memref<float, 2>(out.data(), {(int64_t)ids.size(), cols});
  run(&w, &i, &o);
  return out;
}

// FP8 E4M3, 200 x 352: two row blocks of scales (the second partial) and
// three column blocks (the third partial). Every row holds all 256 codes.
TEST(WeightLayouts, E4M3DecodeIsExactOnEveryCode) {
  const int64_t rows = 200, cols = 352, scaleRows = 2, scaleCols = 3;
  TestRandom rng(0xe4e3);
  std::vector<uint8_t> codes(rows * cols);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      codes[r * cols + c] = c < 256 ? uint8_t((c * 37 + r * 11) % 256) : rng.byte();
  std::vector<float> scales(scaleRows * scaleCols);
  for (float &s : scales)
    s = rng.uniform(-3.0f, 3.0f) * std::ldexp(1.0f, int(rng.byte() % 40) - 30);
  Mapping m;
  int64_t w = m.add(codes.data(), codes.size(), 1);
  int64_t s = m.add(scales.data(), scales.size() * 4, 1); // unaligned on purpose
  std::string type = "!tfm.weight<" + str(rows) + "x" + str(cols) + ", e4m3>";
  std::string decls = "tfm.weight_decl @w : " + type + " at " + str(w) +
                      " {scales = @s}\ntfm.weight_decl @s : !tfm.weight<2x3, f32> at " +
                      str(s) + "\n";
  KernelHarness h;
  ASSERT_TRUE(h.compile(embeddingSource(decls, type, cols))) << h.error();
  std::vector<int32_t> ids;
  for (int32_t r = rows - 1; r >= 0; --r)
    ids.push_back(r);
  std::vector<float> out = runEmbedding(h, m, ids, cols);
  ASSERT_EQ(out.size(), ids.size() * cols);
  for (size_t t = 0; t < ids.size(); ++t)
    for (int64_t c = 0; c < cols; ++c) {
      int64_t r = ids[t];
      uint8_t code = codes[r * cols + c];
      float expected = lmc::quant::e4m3fnToF32(code) * scales[(r / 128) * scaleCols + c / 128];
      ASSERT_TRUE(sameFloat(out[t * cols + c], expected))
          << "row " << r << " col " << c << " code " << int(code) << ": "
          << out[t * cols + c] << " vs " << expected;
    }
}

/// MXFP4 value of E2M1 `code` with E8M0 `e`, as lmc decodes both MXFP4
/// orders (ggml's rule: 2^(e-127) for every e, zero codes +0).
float mxfp4Value(uint8_t code, uint8_t e) {
  float v = lmc::quant::e2m1ToF32(code);
  return v == 0.0f ? 0.0f : std::ldexp(v, int(e) - 127);
}

// OpenAI-ordered MXFP4 experts [2, 2 * 4 rows, 64] whose odd rows are one
// weight ("up": offset one row, row_stride 2), scales likewise. All 16 codes
// in every block position, exponents including 0, 1, 254 and 255.
TEST(WeightLayouts, MXFP4OpenAIDecodeIsExactOnEveryCode) {
  const int64_t experts = 2, rows = 4, cols = 64, groups = cols / 32;
  const int64_t storedRows = 2 * rows;
  TestRandom rng(0x0a1);
  std::vector<uint8_t> blocks(experts * storedRows * groups * 16), exps(experts * storedRows * groups);
  for (size_t i = 0; i < blocks.size(); ++i)
    blocks[i] = uint8_t((i * 16 + i / 16) % 256 ^ (i % 7));
  const uint8_t special[] = {0, 1, 2, 126, 127, 128, 254, 255};
  for (size_t i = 0; i < exps.size(); ++i)
    exps[i] = i % 3 == 0 ? special[i / 3 % 8] : uint8_t(100 + rng.byte() % 50);
  Mapping m;
  int64_t b = m.add(blocks.data(), blocks.size());
  int64_t s = m.add(exps.data(), exps.size());
  int64_t rowBytes = groups * 16;
  std::string type = "!tfm.weight<2x4x64, mxfp4_oai>";
  std::string decls = "tfm.weight_decl @w : " + type + " at " + str(b + rowBytes) +
                      " {row_stride = 2, scales = @s}\n"
                      "tfm.weight_decl @s : !tfm.weight<2x4x2, e8m0> at " + str(s + groups) +
                      " {row_stride = 2}\n";
  // tfm.dequantize decodes the whole [2, 4, 64] weight.
  std::string out3 = "tensor<2x4x64xf32>";
  std::string src = decls + "func.func @run() -> " + out3 +
                    " attributes {llvm.emit_c_interface} {\n"
                    "  %w = tfm.weight @w : " + type + "\n"
                    "  %d = tfm.dequantize %w : " + type + " -> " + out3 + "\n"
                    "  return %d : " + out3 + "\n}\n";
  KernelHarness h;
  ASSERT_TRUE(h.compile(src)) << h.error();
  auto run = (void (*)(MemRef<uint8_t, 1> *, MemRef<float, 3> *))h.lookup("run");
  ASSERT_NE(run, nullptr);
  std::vector<float> out(experts * rows * cols, -7.0f);
  auto wm = m.memref();
  auto om = memref<float, 3>(out.data(), {experts, rows, cols});
  run(&wm, &om);
  for (int64_t t = 0; t < experts * rows; ++t) {
    int64_t e = t / rows, r = t % rows, stored = e * storedRows + 2 * r + 1;
    for (int64_t c = 0; c < cols; ++c) {
      int64_t g = c / 32, j = c % 32;
      uint8_t byte = blocks[(stored * groups + g) * 16 + j / 2];
      uint8_t code = j % 2 == 0 ? byte & 0xF : byte >> 4;
      float expected = mxfp4Value(code, exps[stored * groups + g]);
      ASSERT_TRUE(sameFloat(out[t * cols + c], expected))
          << "expert " << e << " row " << r << " col " << c << ": " << out[t * cols + c]
          << " vs " << expected;
    }
  }
}

// Experts stored apart, FP8 with their own scale tensors, also apart: an
// expert product through slice tables against a double-precision reference.
TEST(WeightLayouts, SlicedFP8ExpertMatmul) {
  const int64_t experts = 3, n = 136, k = 160, slots = 2;
  const int64_t scaleRows = 2, scaleCols = 2;
  TestRandom rng(0x51ce);
  Mapping m;
  // Expert e's tensors are added in the order 2, 0, 1 with padding between,
  // so offsets are neither sorted nor evenly spaced.
  std::vector<std::vector<uint8_t>> codes(experts);
  std::vector<std::vector<float>> scales(experts);
  std::vector<int64_t> at(experts), scaleAt(experts);
  for (int64_t e : {2, 0, 1}) {
    codes[e].resize(n * k);
    for (uint8_t &c : codes[e]) {
      c = rng.byte();
      if ((c & 0x7F) == 0x7F) // no NaN weights here
        c ^= 1;
    }
    scales[e].resize(scaleRows * scaleCols);
    for (float &s : scales[e])
      s = rng.uniform(0.001f, 0.01f);
    at[e] = m.add(codes[e].data(), codes[e].size(), 1 + 63 * e);
    scaleAt[e] = m.add(scales[e].data(), scales[e].size() * 4, 4);
  }
  int64_t base = std::min({at[0], at[1], at[2]});
  int64_t scaleBase = std::min({scaleAt[0], scaleAt[1], scaleAt[2]});
  auto table = [](const std::vector<int64_t> &offsets, int64_t from) {
    std::string s = "array<i64: ";
    for (size_t i = 0; i < offsets.size(); ++i)
      s += (i ? ", " : "") + str(offsets[i] - from);
    return s + ">";
  };
  std::string type = "!tfm.weight<3x136x160, e4m3>", scaleType = "!tfm.weight<3x2x2, f32>";
  std::string x = "tensor<?x160xf32>", ids = "tensor<?x2xi32>", y = "tensor<?x2x136xf32>";
  std::string src =
      "tfm.weight_decl @w : " + type + " at " + str(base) + " {slice_offsets = " +
      table(at, base) + ", scales = @s}\n" + "tfm.weight_decl @s : " + scaleType + " at " +
      str(scaleBase) + " {slice_offsets = " + table(scaleAt, scaleBase) + "}\n" +
      "func.func @run(%x: " + x + ", %ids: " + ids + ") -> " + y +
      " attributes {llvm.emit_c_interface} {\n"
      "  %w = tfm.weight @w : " + type + "\n"
      "  %y = tfm.expert_matmul %x, %w[%ids] : (" + x + ", " + type + ", " + ids + ") -> " + y +
      "\n  return %y : " + y + "\n}\n";
  KernelHarness h;
  ASSERT_TRUE(h.compile(src)) << h.error();
  using Fn = void (*)(MemRef<uint8_t, 1> *, MemRef<float, 2> *, MemRef<int32_t, 2> *,
                      MemRef<float, 3> *);
  auto run = (Fn)h.lookup("run");
  ASSERT_NE(run, nullptr);
  for (int64_t tokens : {1, 5}) {
    std::vector<float> input = rng.floats(tokens * k);
    std::vector<int32_t> chosen(tokens * slots);
    for (int64_t i = 0; i < tokens * slots; ++i)
      chosen[i] = int32_t((i * 2 + tokens) % experts);
    std::vector<float> out(tokens * slots * n, -7.0f);
    auto wm = m.memref();
    auto xm = memref<float, 2>(input.data(), {tokens, k});
    auto im = memref<int32_t, 2>(chosen.data(), {tokens, slots});
    auto ym = memref<float, 3>(out.data(), {tokens, slots, n});
    run(&wm, &xm, &im, &ym);
    for (int64_t t = 0; t < tokens; ++t)
      for (int64_t sl = 0; sl < slots; ++sl) {
        int64_t e = chosen[t * slots + sl];
        for (int64_t row = 0; row < n; ++row) {
          double sum = 0, magnitude = 0;
          for (int64_t c = 0; c < k; ++c) {
            double wv = double(lmc::quant::e4m3fnToF32(codes[e][row * k + c]) *
                               scales[e][(row / 128) * scaleCols + c / 128]);
            sum += wv * input[t * k + c];
            magnitude += std::fabs(wv * input[t * k + c]);
          }
          EXPECT_NEAR(out[(t * slots + sl) * n + row], sum, 1e-6 * magnitude + 1e-9)
              << "tokens " << tokens << " token " << t << " expert " << e << " row " << row;
        }
      }
  }
}

} // namespace
