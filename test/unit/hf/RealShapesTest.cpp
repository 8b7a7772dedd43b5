//===- RealShapesTest.cpp - the published models at their real sizes ------===//
//
// The published config.json of Qwen3-30B-A3B, gpt-oss-120b and DeepSeek-V3
// (test/data/hf, layer counts reduced) with a checkpoint holding the tensor
// inventory their Hub repositories list for those layers (names, dtypes,
// shapes), written as a sparse file of zeros: tens of gigabytes of address
// space, no disk. The plans must come out with the shapes the builders
// expect at full size, FP8 scale grids with their partial edge blocks
// included.
//
//===----------------------------------------------------------------------===//

#include "HFTestUtil.h"

#include "frontends/hf/Checkpoint.h"
#include "frontends/hf/HFConfig.h"
#include "frontends/hf/JsonFile.h"
#include "frontends/hf/WeightMap.h"

#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

using namespace lmc;
using namespace lmc::hf;
using namespace lmc::hf::test;
using json = nlohmann::json;

namespace {

using Shape = std::vector<uint64_t>;

/// A safetensors file whose data section is a hole: only the header is
/// written, the file is then extended to its full size.
class SparseCheckpoint {
public:
  void add(const std::string &name, DType t, Shape shape) {
    uint64_t n = dtypeBits(t) / 8;
    for (uint64_t d : shape)
      n *= d;
    header[name] = {{"dtype", dtypeName(t)},
                    {"shape", shape},
                    {"data_offsets", {offset, offset + n}}};
    offset += n;
  }
  /// A F8_E4M3 matrix and its 128 x 128 block scales.
  void fp8(const std::string &name, uint64_t rows, uint64_t cols) {
    add(name, DType::F8_E4M3, {rows, cols});
    add(name + "_scale_inv", DType::F32,
        {(rows + 127) / 128, (cols + 127) / 128});
  }
  std::unique_ptr<Checkpoint> open() {
    std::string text = header.dump();
    text.resize((text.size() + 7) / 8 * 8, ' ');
    std::string path = dir.file("model.safetensors");
    int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0644);
    EXPECT_GE(fd, 0);
    uint64_t n = text.size();
    EXPECT_EQ(::write(fd, &n, 8), 8);
    EXPECT_EQ(::write(fd, text.data(), text.size()), ssize_t(text.size()));
    EXPECT_EQ(::ftruncate(fd, off_t(8 + n + offset)), 0);
    ::close(fd);
    std::string err;
    auto ckpt = Checkpoint::open(dir.path(), err);
    EXPECT_TRUE(ckpt) << err;
    return ckpt;
  }

private:
  TempDir dir;
  json header = json::object();
  uint64_t offset = 0;
};

HFConfig realConfig(const std::string &file, uint64_t layers) {
  std::string text, err;
  EXPECT_TRUE(readTextFile(std::string(LMC_HF_TEST_DATA) + "/" + file, 1 << 20,
                           text, err))
      << err;
  json j = json::parse(text);
  j["num_hidden_layers"] = layers;
  if (j.contains("layer_types"))
    j["layer_types"] = json(std::vector<json>(
        j["layer_types"].begin(), j["layer_types"].begin() + long(layers)));
  HFConfig c;
  EXPECT_TRUE(parseHFConfig(j.dump(), file, c, err)) << err;
  return c;
}

WeightPlan planOrFail(const HFConfig &c, const Checkpoint &ckpt) {
  WeightPlan p;
  std::string err;
  EXPECT_TRUE(planWeights(c, ckpt, p, err)) << err;
  return p;
}

Shape ne(const WeightPlan &p, const std::string &name) {
  const MappedWeight *w = p.find(name);
  EXPECT_TRUE(w) << name;
  return w ? w->ne : Shape{};
}

TEST(RealShapes, Qwen3_30B_A3B) {
  HFConfig c = realConfig("qwen3-30b-a3b.config.json", 1);
  SparseCheckpoint s;
  const DType B = DType::BF16;
  s.add("model.embed_tokens.weight", B, {151936, 2048});
  s.add("lm_head.weight", B, {151936, 2048});
  s.add("model.norm.weight", B, {2048});
  std::string p = "model.layers.0.";
  s.add(p + "input_layernorm.weight", B, {2048});
  s.add(p + "post_attention_layernorm.weight", B, {2048});
  s.add(p + "self_attn.q_proj.weight", B, {4096, 2048});
  s.add(p + "self_attn.k_proj.weight", B, {512, 2048});
  s.add(p + "self_attn.v_proj.weight", B, {512, 2048});
  s.add(p + "self_attn.o_proj.weight", B, {2048, 4096});
  s.add(p + "self_attn.q_norm.weight", B, {128});
  s.add(p + "self_attn.k_norm.weight", B, {128});
  s.add(p + "mlp.gate.weight", B, {128, 2048});
  for (int e = 0; e < 128; ++e) {
    std::string x = p + "mlp.experts." + std::to_string(e) + ".";
    s.add(x + "gate_proj.weight", B, {768, 2048});
    s.add(x + "up_proj.weight", B, {768, 2048});
    s.add(x + "down_proj.weight", B, {2048, 768});
  }
  auto ckpt = s.open();
  WeightPlan plan = planOrFail(c, *ckpt);
  EXPECT_EQ(plan.weights.size(), 15u);
  EXPECT_EQ(ne(plan, "blk.0.ffn_gate_exps.weight"), (Shape{2048, 768, 128}));
  EXPECT_EQ(ne(plan, "blk.0.ffn_down_exps.weight"), (Shape{768, 2048, 128}));
  EXPECT_EQ(ne(plan, "blk.0.attn_q.weight"), (Shape{2048, 4096}));
  EXPECT_EQ(ne(plan, "blk.0.attn_k.weight"), (Shape{2048, 512}));
  EXPECT_EQ(ne(plan, "token_embd.weight"), (Shape{2048, 151936}));
}

TEST(RealShapes, GptOss120b) {
  HFConfig c = realConfig("gpt-oss-120b.config.json", 2);
  SparseCheckpoint s;
  const DType B = DType::BF16, U = DType::U8;
  s.add("model.embed_tokens.weight", B, {201088, 2880});
  s.add("lm_head.weight", B, {201088, 2880});
  s.add("model.norm.weight", B, {2880});
  for (int l = 0; l < 2; ++l) {
    std::string p = "model.layers." + std::to_string(l) + ".";
    s.add(p + "input_layernorm.weight", B, {2880});
    s.add(p + "post_attention_layernorm.weight", B, {2880});
    s.add(p + "self_attn.q_proj.weight", B, {4096, 2880});
    s.add(p + "self_attn.q_proj.bias", B, {4096});
    s.add(p + "self_attn.k_proj.weight", B, {512, 2880});
    s.add(p + "self_attn.k_proj.bias", B, {512});
    s.add(p + "self_attn.v_proj.weight", B, {512, 2880});
    s.add(p + "self_attn.v_proj.bias", B, {512});
    s.add(p + "self_attn.o_proj.weight", B, {2880, 4096});
    s.add(p + "self_attn.o_proj.bias", B, {2880});
    s.add(p + "self_attn.sinks", B, {64});
    s.add(p + "mlp.router.weight", B, {128, 2880});
    s.add(p + "mlp.router.bias", B, {128});
    s.add(p + "mlp.experts.gate_up_proj_blocks", U, {128, 5760, 90, 16});
    s.add(p + "mlp.experts.gate_up_proj_scales", U, {128, 5760, 90});
    s.add(p + "mlp.experts.gate_up_proj_bias", B, {128, 5760});
    s.add(p + "mlp.experts.down_proj_blocks", U, {128, 2880, 90, 16});
    s.add(p + "mlp.experts.down_proj_scales", U, {128, 2880, 90});
    s.add(p + "mlp.experts.down_proj_bias", B, {128, 2880});
  }
  auto ckpt = s.open();
  WeightPlan plan = planOrFail(c, *ckpt);
  const MappedWeight *gate = plan.find("blk.1.ffn_gate_exps.weight");
  ASSERT_TRUE(gate);
  EXPECT_EQ(gate->ne, (Shape{2880, 2880, 128}));
  EXPECT_EQ(gate->rowBytes(), 90u * 17); // 90 ggml MXFP4 blocks per row
  EXPECT_EQ(ne(plan, "blk.1.ffn_down_exps.weight"), (Shape{2880, 2880, 128}));
  EXPECT_EQ(ne(plan, "blk.0.ffn_up_exps.bias"), (Shape{2880, 128}));
  EXPECT_EQ(ne(plan, "blk.0.attn_sinks.weight"), (Shape{64}));
  EXPECT_TRUE(c.isSlidingLayer(0) && !c.isSlidingLayer(1));
  // Rows of zero bytes decode to zeros; the last row of the last expert is
  // in range.
  std::vector<uint8_t> row(gate->rowBytes());
  std::string err;
  ASSERT_TRUE(
      materializeRows(*gate, *ckpt, gate->numRows() - 1, 1, row.data(), err))
      << err;
  EXPECT_EQ(row, std::vector<uint8_t>(row.size(), 0));
}

TEST(RealShapes, DeepseekV3) {
  // Layers 0..2 dense, 3 MoE (first_k_dense_replace = 3).
  HFConfig c = realConfig("deepseek-v3.config.json", 4);
  SparseCheckpoint s;
  const DType B = DType::BF16;
  s.add("model.embed_tokens.weight", B, {129280, 7168});
  s.add("lm_head.weight", B, {129280, 7168});
  s.add("model.norm.weight", B, {7168});
  for (int l = 0; l < 4; ++l) {
    std::string p = "model.layers." + std::to_string(l) + ".";
    s.add(p + "input_layernorm.weight", B, {7168});
    s.add(p + "post_attention_layernorm.weight", B, {7168});
    s.fp8(p + "self_attn.q_a_proj.weight", 1536, 7168);
    s.add(p + "self_attn.q_a_layernorm.weight", B, {1536});
    s.fp8(p + "self_attn.q_b_proj.weight", 24576, 1536);
    s.fp8(p + "self_attn.kv_a_proj_with_mqa.weight", 576, 7168);
    s.add(p + "self_attn.kv_a_layernorm.weight", B, {512});
    s.fp8(p + "self_attn.kv_b_proj.weight", 32768, 512);
    s.fp8(p + "self_attn.o_proj.weight", 7168, 16384);
    if (l < 3) {
      s.fp8(p + "mlp.gate_proj.weight", 18432, 7168);
      s.fp8(p + "mlp.up_proj.weight", 18432, 7168);
      s.fp8(p + "mlp.down_proj.weight", 7168, 18432);
      continue;
    }
    s.add(p + "mlp.gate.weight", B, {256, 7168});
    s.add(p + "mlp.gate.e_score_correction_bias", DType::F32, {256});
    for (int e = 0; e < 256; ++e) {
      std::string x = p + "mlp.experts." + std::to_string(e) + ".";
      s.fp8(x + "gate_proj.weight", 2048, 7168);
      s.fp8(x + "up_proj.weight", 2048, 7168);
      s.fp8(x + "down_proj.weight", 7168, 2048);
    }
    s.fp8(p + "mlp.shared_experts.gate_proj.weight", 2048, 7168);
    s.fp8(p + "mlp.shared_experts.up_proj.weight", 2048, 7168);
    s.fp8(p + "mlp.shared_experts.down_proj.weight", 7168, 2048);
  }
  auto ckpt = s.open();
  WeightPlan plan = planOrFail(c, *ckpt);
  // kv_a_proj_with_mqa: 576 rows = 4.5 blocks, a partial last block row.
  EXPECT_EQ(ne(plan, "blk.0.attn_kv_a_mqa.weight_scale_inv"), (Shape{56, 5}));
  // nope = v = 128 are whole blocks: attn_k_b/attn_v_b stay FP8.
  const MappedWeight *kb = plan.find("blk.3.attn_k_b.weight");
  ASSERT_TRUE(kb);
  EXPECT_EQ(kb->ne, (Shape{128, 512, 128}));
  EXPECT_EQ(kb->format, quant::Format::F8_E4M3);
  EXPECT_EQ(ne(plan, "blk.3.attn_k_b.weight_scale_inv"), (Shape{1, 4, 128}));
  EXPECT_EQ(ne(plan, "blk.3.attn_v_b.weight"), (Shape{512, 128, 128}));
  EXPECT_EQ(ne(plan, "blk.3.attn_v_b.weight_scale_inv"), (Shape{4, 1, 128}));
  EXPECT_EQ(ne(plan, "blk.3.ffn_gate_exps.weight"), (Shape{7168, 2048, 256}));
  EXPECT_EQ(ne(plan, "blk.3.ffn_gate_exps.weight_scale_inv"),
            (Shape{56, 16, 256}));
  EXPECT_EQ(ne(plan, "blk.3.ffn_down_shexp.weight"), (Shape{2048, 7168}));
  EXPECT_EQ(ne(plan, "blk.3.exp_probs_b.bias"), (Shape{256}));
  EXPECT_EQ(ne(plan, "blk.2.ffn_down.weight"), (Shape{18432, 7168}));
  EXPECT_FALSE(plan.find("blk.3.ffn_gate.weight"));
}

} // namespace
