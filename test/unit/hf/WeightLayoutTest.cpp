//===- WeightLayoutTest.cpp - the layout transformations, element by element
//
// Each transformation of WeightLayout.h is checked against an independent
// formulation: row selection and block transposes against explicit index
// formulas, FP8 dequantization against the block-scale definition (partial
// edge blocks included), and the MXFP4 repack against a decoder written the
// way OpenAI's gpt_oss/torch/weights.py and transformers' mxfp4.py decode
// checkpoint blocks (a 16-entry FP4 table, element 2m from the low nibble of
// byte m, element 2m+1 from the high nibble, times 2^(scale - 127)), read
// back through lmc::quant's ggml MXFP4 decoder.
//
//===----------------------------------------------------------------------===//

#include "CheckpointBuilder.h"

#include "frontends/hf/WeightLayout.h"

#include <cmath>

using namespace lmc;
using namespace lmc::hf;
using namespace lmc::hf::test;

namespace {

/// OpenAI's FP4 (E2M1) table, indexed by the 4-bit code.
const double kFp4[16] = {+0.0, 0.5,  1.0,  1.5,  2.0,  3.0,  4.0,  6.0,
                         -0.0, -0.5, -1.0, -1.5, -2.0, -3.0, -4.0, -6.0};

/// The checkpoint's 32 values of one block, decoded the OpenAI way.
std::vector<double> decodeOpenAiBlock(const uint8_t *block, uint8_t scale) {
  std::vector<double> out(32);
  for (int m = 0; m < 16; ++m) {
    out[2 * m] = std::ldexp(kFp4[block[m] & 0x0F], int(scale) - 127);
    out[2 * m + 1] = std::ldexp(kFp4[block[m] >> 4], int(scale) - 127);
  }
  return out;
}

std::vector<float> decodeGgmlMxfp4(const uint8_t *blocks, uint64_t n) {
  std::vector<float> out(n);
  EXPECT_TRUE(quant::dequantizeRow(quant::Format::MXFP4, blocks, out.data(),
                                   int64_t(n)));
  return out;
}

TEST(Mxfp4Repack, ExplicitNibbleOrder) {
  // HF byte m holds elements 2m (low nibble) and 2m+1 (high nibble).
  uint8_t hf[16] = {};
  hf[0] = 0x21;  // element 0 = code 1, element 1 = code 2
  hf[8] = 0x43;  // element 16 = code 3, element 17 = code 4
  hf[15] = 0xF5; // element 30 = code 5, element 31 = code 15
  uint8_t g[17];
  repackMxfp4Block(hf, 130, g);
  EXPECT_EQ(g[0], 130) << "scale byte first";
  // ggml byte j: element j low, element j + 16 high.
  EXPECT_EQ(g[1 + 0], 0x31) << "elements 0 and 16";
  EXPECT_EQ(g[1 + 1], 0x42) << "elements 1 and 17";
  EXPECT_EQ(g[1 + 14], 0x50) << "elements 14 and 30";
  EXPECT_EQ(g[1 + 15], 0xF0) << "elements 15 and 31";
  std::vector<float> v = decodeGgmlMxfp4(g, 32);
  EXPECT_EQ(v[0], 0.5f * 8);
  EXPECT_EQ(v[1], 1.0f * 8);
  EXPECT_EQ(v[16], 1.5f * 8);
  EXPECT_EQ(v[17], 2.0f * 8);
  EXPECT_EQ(v[30], 3.0f * 8);
  EXPECT_EQ(v[31], -6.0f * 8);
}

TEST(Mxfp4Repack, MatchesTheCheckpointDecoderOnRandomBlocks) {
  std::mt19937 rng(7);
  for (int iter = 0; iter < 20000; ++iter) {
    uint8_t hf[16], g[17];
    for (uint8_t &b : hf)
      b = uint8_t(rng());
    // Every exponent whose products stay finite in f32 (6 * 2^(e-127)).
    uint8_t scale = uint8_t(iter < 253 ? iter : rng() % 253);
    repackMxfp4Block(hf, scale, g);
    std::vector<double> want = decodeOpenAiBlock(hf, scale);
    std::vector<float> got = decodeGgmlMxfp4(g, 32);
    for (int k = 0; k < 32; ++k)
      ASSERT_EQ(double(got[k]), want[k])
          << "element " << k << " scale " << int(scale) << " iter " << iter;
  }
}

/// A [rows, cols] F32 source whose element i has value i.
void addIota(CheckpointBuilder &b, const std::string &name, uint64_t rows,
             uint64_t cols) {
  std::vector<uint8_t> bytes(rows * cols * 4);
  for (uint64_t i = 0; i < rows * cols; ++i) {
    float v = float(i);
    std::memcpy(&bytes[i * 4], &v, 4);
  }
  b.addBytes(name, DType::F32, {rows, cols}, bytes);
}

std::vector<float> asFloats(const std::vector<uint8_t> &bytes) {
  std::vector<float> v(bytes.size() / 4);
  std::memcpy(v.data(), bytes.data(), bytes.size());
  return v;
}

TEST(WeightLayout, SelectionAndTransposeFollowTheFormulas) {
  CheckpointBuilder b;
  addIota(b, "x", 6, 4);
  auto ckpt = b.open();
  // Rows 1..2 of every 3 (rows of 4): source rows 1, 2, 4, 5.
  MappedWeight sel{"sel",          {4, 4},      quant::Format::F32,
                   Encoding::Copy, {{"x", ""}}, RowSelection{4, 3, 1, 2}};
  std::vector<uint8_t> out;
  std::string err;
  ASSERT_TRUE(materialize(sel, *ckpt, out, err)) << err;
  std::vector<float> v = asFloats(out);
  const uint64_t rows[4] = {1, 2, 4, 5};
  for (uint64_t r = 0; r < 4; ++r)
    for (uint64_t c = 0; c < 4; ++c)
      EXPECT_EQ(v[r * 4 + c], float(rows[r] * 4 + c));

  // Then each 2 x 4 block transposed to 4 x 2: out[blk][i][j] =
  // sel[blk][j][i].
  MappedWeight tr = sel;
  tr.name = "tr";
  tr.ne = {2, 8};
  tr.transpose = BlockTranspose{2, 4};
  ASSERT_TRUE(materialize(tr, *ckpt, out, err)) << err;
  v = asFloats(out);
  for (uint64_t blk = 0; blk < 2; ++blk)
    for (uint64_t i = 0; i < 4; ++i)
      for (uint64_t j = 0; j < 2; ++j)
        EXPECT_EQ(v[blk * 8 + i * 2 + j], float(rows[blk * 2 + j] * 4 + i))
            << blk << " " << i << " " << j;

  // Any row range materializes to the same bytes as the whole.
  std::vector<uint8_t> whole = out;
  for (uint64_t begin = 0; begin < tr.numRows(); ++begin)
    for (uint64_t count = 0; begin + count <= tr.numRows(); ++count) {
      std::vector<uint8_t> part(count * tr.rowBytes());
      ASSERT_TRUE(materializeRows(tr, *ckpt, begin, count, part.data(), err))
          << err;
      EXPECT_TRUE(std::equal(part.begin(), part.end(),
                             whole.begin() + begin * tr.rowBytes()));
    }
}

TEST(WeightLayout, StackedSourcesAndZeroCopy) {
  CheckpointBuilder b;
  addIota(b, "e0", 2, 3);
  addIota(b, "e1", 2, 3);
  auto ckpt = b.open();
  MappedWeight w{"stack",
                 {3, 2, 2},
                 quant::Format::F32,
                 Encoding::Copy,
                 {{"e0", ""}, {"e1", ""}}};
  EXPECT_FALSE(w.isZeroCopy());
  std::vector<uint8_t> out;
  std::string err;
  ASSERT_TRUE(materialize(w, *ckpt, out, err)) << err;
  std::vector<float> v = asFloats(out);
  for (uint64_t i = 0; i < 12; ++i)
    EXPECT_EQ(v[i], float(i % 6));
  MappedWeight one{
      "one", {3, 2}, quant::Format::F32, Encoding::Copy, {{"e1", ""}}};
  EXPECT_TRUE(one.isZeroCopy());
  EXPECT_EQ(one.describe(), "one [3, 2] F32 <- e1");
  EXPECT_EQ(w.describe(), "stack [3, 2, 2] F32 <- 2 stacked tensors e0 .. e1");
  MappedWeight sel = one;
  sel.select = RowSelection{1, 2, 1, 1};
  sel.ne = {3};
  EXPECT_EQ(sel.describe(),
            "one [3] F32 <- rows 1..1 of every 2 (of 1 elements) of e1");
}

TEST(WeightLayout, WidenToF32IsExact) {
  CheckpointBuilder b;
  b.add("h", DType::F16, {7});
  b.add("bh", DType::BF16, {7});
  auto ckpt = b.open();
  for (const char *name : {"h", "bh"}) {
    MappedWeight w{
        name, {7}, quant::Format::F32, Encoding::WidenToF32, {{name, ""}}};
    std::vector<uint8_t> out;
    std::string err;
    ASSERT_TRUE(materialize(w, *ckpt, out, err)) << err;
    std::vector<float> v = asFloats(out);
    for (uint64_t i = 0; i < 7; ++i)
      EXPECT_EQ(v[i], b.value(name, i));
  }
}

TEST(WeightLayout, Fp8BlockDequantizationWithPartialEdgeBlocks) {
  // A 5 x 3 matrix with 2 x 2 blocks: scale grid ceil(5/2) x ceil(3/2) = 3 x
  // 2; the last block row and column are partial.
  CheckpointBuilder b;
  b.add("w", DType::F8_E4M3, {5, 3});
  std::vector<uint8_t> scales(6 * 4);
  for (int i = 0; i < 6; ++i) {
    float s = 0.25f * float(i + 1);
    std::memcpy(&scales[i * 4], &s, 4);
  }
  b.addBytes("w_scale", DType::F32, {3, 2}, scales);
  auto ckpt = b.open();
  MappedWeight w{"w",
                 {3, 5},
                 quant::Format::F32,
                 Encoding::DequantizeFp8,
                 {{"w", "w_scale"}}};
  w.fp8BlockRows = 2;
  w.fp8BlockCols = 2;
  std::vector<uint8_t> out;
  std::string err;
  ASSERT_TRUE(materialize(w, *ckpt, out, err)) << err;
  std::vector<float> v = asFloats(out);
  for (uint64_t r = 0; r < 5; ++r)
    for (uint64_t c = 0; c < 3; ++c) {
      float scale = 0.25f * float((r / 2) * 2 + c / 2 + 1);
      float want = quant::e4m3fnToF32(b.bytes("w")[r * 3 + c]) * scale;
      EXPECT_EQ(v[r * 3 + c], want) << r << " " << c;
    }
  // A scale grid of the wrong shape is refused.
  w.fp8BlockRows = 1;
  EXPECT_FALSE(materialize(w, *ckpt, out, err));
  expectOneLineError(err, "w", "expected F32 [5, 2]");
}

TEST(WeightLayout, RepackSelectsWholeRows) {
  // Blocks [2 experts, 4 rows, 2 groups, 16]: rows alternate two halves.
  CheckpointBuilder b;
  b.add("blocks", DType::U8, {2, 4, 2, 16});
  b.addScales("scales", {2, 4, 2});
  auto ckpt = b.open();
  MappedWeight odd{"odd",
                   {64, 2, 2},
                   quant::Format::MXFP4,
                   Encoding::RepackMxfp4,
                   {{"blocks", "scales"}},
                   RowSelection{64, 2, 1, 1}};
  std::vector<uint8_t> out;
  std::string err;
  ASSERT_TRUE(materialize(odd, *ckpt, out, err)) << err;
  ASSERT_EQ(out.size(), 2u * 2 * 2 * 17);
  for (uint64_t e = 0; e < 2; ++e)
    for (uint64_t i = 0; i < 2; ++i) {
      uint64_t srcRow = e * 4 + 2 * i + 1;
      std::vector<float> got = decodeGgmlMxfp4(&out[(e * 2 + i) * 34], 64);
      for (uint64_t g = 0; g < 2; ++g) {
        std::vector<double> want =
            decodeOpenAiBlock(&b.bytes("blocks")[(srcRow * 2 + g) * 16],
                              b.bytes("scales")[srcRow * 2 + g]);
        for (int k = 0; k < 32; ++k)
          ASSERT_EQ(double(got[g * 32 + k]), want[k]) << e << i << g << k;
      }
    }
}

TEST(WeightLayout, InconsistentDescriptionsFailCleanly) {
  CheckpointBuilder b;
  addIota(b, "x", 6, 4);
  b.add("bf", DType::BF16, {4});
  b.add("blocks", DType::U8, {2, 1, 16});
  b.addScales("scales", {2, 1});
  auto ckpt = b.open();
  std::vector<uint8_t> out;
  std::string err;
  auto expectFail = [&](const MappedWeight &w, const std::string &needle) {
    EXPECT_FALSE(materialize(w, *ckpt, out, err)) << needle;
    expectOneLineError(err, w.name, needle);
  };
  expectFail({"m", {4}, quant::Format::F32, Encoding::Copy, {{"nope", ""}}},
             "source tensor 'nope' is not in the checkpoint");
  expectFail({"m", {4}, quant::Format::F32, Encoding::Copy, {{"bf", ""}}},
             "source 'bf' is BF16, but the weight is F32 copied as stored");
  expectFail({"m", {5}, quant::Format::F32, Encoding::Copy, {{"x", ""}}},
             "sources hold 24 elements, the weight [5] needs 5");
  expectFail({"m",
              {4, 4},
              quant::Format::F32,
              Encoding::Copy,
              {{"x", ""}},
              RowSelection{4, 3, 2, 2}},
             "invalid row selection");
  expectFail({"m",
              {4, 5},
              quant::Format::F32,
              Encoding::Copy,
              {{"x", ""}},
              RowSelection{4, 3, 1, 2}},
             "gives not the weight's 20 elements");
  expectFail({"m",
              {4, 6},
              quant::Format::F32,
              Encoding::Copy,
              {{"x", ""}},
              std::nullopt,
              BlockTranspose{5, 1}},
             "do not tile 24 elements");
  expectFail({"m",
              {32, 2},
              quant::Format::MXFP4,
              Encoding::RepackMxfp4,
              {{"blocks", "scales"}},
              std::nullopt,
              BlockTranspose{1, 2}},
             "MXFP4 blocks cannot be transposed");
  expectFail({"m",
              {64},
              quant::Format::MXFP4,
              Encoding::RepackMxfp4,
              {{"blocks", "scales"}}},
             "has rows of 32 elements, but the weight's rows have 64");
  expectFail(
      {"m", {4}, quant::Format::F32, Encoding::DequantizeFp8, {{"bf", ""}}},
      "expected F8_E4M3 dequantized to F32");
  expectFail({"m", {3}, quant::Format::Q4_K, Encoding::Copy, {{"bf", ""}}},
             "row of 3 elements is not whole Q4_K blocks");
  MappedWeight ok{
      "ok", {4, 6}, quant::Format::F32, Encoding::Copy, {{"x", ""}}};
  std::vector<uint8_t> row(ok.rowBytes());
  EXPECT_FALSE(materializeRows(ok, *ckpt, 6, 1, row.data(), err));
  expectOneLineError(err, "ok", "rows [6, 7) outside the weight's 6");
}

} // namespace
