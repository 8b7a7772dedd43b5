//===- WeightMapTest.cpp - HF checkpoints mapped onto lmc's weights -------===//
//
// Small checkpoints of each architecture, with the Hugging Face tensor names
// written out here (independently of the mapping tables), are planned and
// materialized; every transformed weight is compared element by element with
// what the Hugging Face model computes from the original layout:
//   - GPT-OSS gate_up: transformers' GptOssExperts takes gate = gate_up[...,
//     ::2] and up = gate_up[..., 1::2] of x @ gate_up_proj + bias, where
//     gate_up_proj [E, H, 2I] is the checkpoint's MXFP4 [E, 2I, H/32, 16]
//     decoded and transposed (integrations/mxfp4.py);
//   - DeepSeek kv_b_proj: modeling_deepseek_v3 views kv_b_proj(c) as
//     [heads, nope + v] and splits it into k_nope, value;
//   - FP8: w = e4m3(q) * weight_scale_inv[r / 128][c / 128].
//
//===----------------------------------------------------------------------===//

#include "CheckpointBuilder.h"

#include "frontends/hf/HFConfig.h"
#include "frontends/hf/WeightMap.h"

#include <cmath>

using namespace lmc;
using namespace lmc::hf;
using namespace lmc::hf::test;

namespace {

HFConfig config(const std::string &json) {
  HFConfig c;
  std::string err;
  EXPECT_TRUE(parseHFConfig(json, "config.json", c, err)) << err;
  return c;
}

WeightPlan plan(const HFConfig &c, const Checkpoint &ckpt,
                const MappingOptions &options = {}) {
  WeightPlan p;
  std::string err;
  EXPECT_TRUE(planWeights(c, ckpt, p, err, options)) << err;
  return p;
}

void expectPlanError(const HFConfig &c, const Checkpoint &ckpt,
                     const std::string &needle,
                     const MappingOptions &options = {}) {
  WeightPlan p;
  std::string err;
  EXPECT_FALSE(planWeights(c, ckpt, p, err, options)) << needle;
  EXPECT_EQ(err.find('\n'), std::string::npos) << err;
  EXPECT_NE(err.find(needle), std::string::npos)
      << "message: " << err << "\nexpected to contain: " << needle;
  EXPECT_NE(err.find(".safetensors"), std::string::npos) << err;
}

const MappedWeight &get(const WeightPlan &p, const std::string &name) {
  const MappedWeight *w = p.find(name);
  EXPECT_TRUE(w) << "no weight " << name;
  static MappedWeight none;
  return w ? *w : none;
}

/// A weight's values, decoded from its storage format.
std::vector<float> values(const MappedWeight &w, const Checkpoint &ckpt) {
  std::vector<uint8_t> bytes;
  std::string err;
  EXPECT_TRUE(materialize(w, ckpt, bytes, err)) << err;
  std::vector<float> out(w.numElements());
  for (uint64_t r = 0; r < w.numRows(); ++r)
    EXPECT_TRUE(quant::dequantizeRow(w.format, bytes.data() + r * w.rowBytes(),
                                     out.data() + r * w.ne[0],
                                     int64_t(w.ne[0])));
  return out;
}

std::vector<std::string> names(const WeightPlan &p) {
  std::vector<std::string> n;
  for (const MappedWeight &w : p.weights)
    n.push_back(w.name);
  return n;
}

//===----------------------------------------------------------------------===//
// Names without a config
//===----------------------------------------------------------------------===//

using Names = std::vector<std::string>;

TEST(WeightNames, CommonAndQwen3) {
  EXPECT_EQ(
      ggufNamesFor(ModelType::Qwen3, "model.layers.3.self_attn.q_proj.weight"),
      Names{"blk.3.attn_q.weight"});
  EXPECT_EQ(ggufNamesFor(ModelType::Qwen3, "model.embed_tokens.weight"),
            Names{"token_embd.weight"});
  EXPECT_EQ(ggufNamesFor(ModelType::Qwen3, "lm_head.weight"),
            Names{"output.weight"});
  EXPECT_EQ(ggufNamesFor(ModelType::Qwen3, "model.norm.weight"),
            Names{"output_norm.weight"});
  EXPECT_EQ(
      ggufNamesFor(ModelType::Qwen3, "model.layers.0.input_layernorm.weight"),
      Names{"blk.0.attn_norm.weight"});
  EXPECT_EQ(ggufNamesFor(ModelType::Qwen3,
                         "model.layers.12.post_attention_layernorm.weight"),
            Names{"blk.12.ffn_norm.weight"});
  EXPECT_EQ(
      ggufNamesFor(ModelType::Qwen3, "model.layers.1.self_attn.k_norm.weight"),
      Names{"blk.1.attn_k_norm.weight"});
  EXPECT_EQ(
      ggufNamesFor(ModelType::Qwen3, "model.layers.1.self_attn.o_proj.weight"),
      Names{"blk.1.attn_output.weight"});
  EXPECT_EQ(
      ggufNamesFor(ModelType::Qwen3, "model.layers.1.mlp.down_proj.weight"),
      Names{"blk.1.ffn_down.weight"});
  EXPECT_EQ(
      ggufNamesFor(ModelType::Qwen3, "model.layers.1.self_attn.v_proj.bias"),
      Names{"blk.1.attn_v.bias"});
  // FP8 releases of Qwen3 carry block scales too.
  EXPECT_EQ(ggufNamesFor(ModelType::Qwen3,
                         "model.layers.1.mlp.up_proj.weight_scale_inv"),
            Names{"blk.1.ffn_up.weight_scale_inv"});
  // Not Qwen3 tensors.
  EXPECT_TRUE(
      ggufNamesFor(ModelType::Qwen3, "model.layers.03.mlp.up_proj.weight")
          .empty());
  EXPECT_TRUE(
      ggufNamesFor(ModelType::Qwen3, "model.layers.x.mlp.up_proj.weight")
          .empty());
  EXPECT_TRUE(
      ggufNamesFor(ModelType::Qwen3, "model.layers.1.mlp.gate.weight").empty());
  EXPECT_TRUE(
      ggufNamesFor(ModelType::Qwen3, "model.norm.weight_scale_inv").empty());
  EXPECT_TRUE(ggufNamesFor(ModelType::Qwen3, "lm_head.weight.extra").empty());
}

TEST(WeightNames, Qwen3Moe) {
  EXPECT_EQ(ggufNamesFor(ModelType::Qwen3Moe, "model.layers.5.mlp.gate.weight"),
            Names{"blk.5.ffn_gate_inp.weight"});
  EXPECT_EQ(ggufNamesFor(ModelType::Qwen3Moe,
                         "model.layers.5.mlp.experts.127.gate_proj.weight"),
            Names{"blk.5.ffn_gate_exps.weight"});
  EXPECT_EQ(ggufNamesFor(ModelType::Qwen3Moe,
                         "model.layers.5.mlp.experts.0.up_proj.weight"),
            Names{"blk.5.ffn_up_exps.weight"});
  EXPECT_EQ(ggufNamesFor(ModelType::Qwen3Moe,
                         "model.layers.5.mlp.experts.3.down_proj.weight"),
            Names{"blk.5.ffn_down_exps.weight"});
  EXPECT_EQ(ggufNamesFor(ModelType::Qwen3Moe,
                         "model.layers.5.self_attn.q_norm.weight"),
            Names{"blk.5.attn_q_norm.weight"});
}

TEST(WeightNames, GptOss) {
  const ModelType G = ModelType::GptOss;
  EXPECT_EQ(ggufNamesFor(G, "model.layers.2.self_attn.sinks"),
            Names{"blk.2.attn_sinks.weight"});
  EXPECT_EQ(ggufNamesFor(G, "model.layers.2.post_attention_layernorm.weight"),
            Names{"blk.2.post_attention_norm.weight"});
  EXPECT_EQ(ggufNamesFor(G, "model.layers.2.mlp.router.weight"),
            Names{"blk.2.ffn_gate_inp.weight"});
  EXPECT_EQ(ggufNamesFor(G, "model.layers.2.mlp.router.bias"),
            Names{"blk.2.ffn_gate_inp.bias"});
  Names gateUp = {"blk.2.ffn_gate_exps.weight", "blk.2.ffn_up_exps.weight"};
  EXPECT_EQ(ggufNamesFor(G, "model.layers.2.mlp.experts.gate_up_proj_blocks"),
            gateUp);
  EXPECT_EQ(ggufNamesFor(G, "model.layers.2.mlp.experts.gate_up_proj_scales"),
            gateUp);
  EXPECT_EQ(ggufNamesFor(G, "model.layers.2.mlp.experts.gate_up_proj"), gateUp);
  EXPECT_EQ(ggufNamesFor(G, "model.layers.2.mlp.experts.gate_up_proj_bias"),
            (Names{"blk.2.ffn_gate_exps.bias", "blk.2.ffn_up_exps.bias"}));
  EXPECT_EQ(ggufNamesFor(G, "model.layers.2.mlp.experts.down_proj_blocks"),
            Names{"blk.2.ffn_down_exps.weight"});
  EXPECT_EQ(ggufNamesFor(G, "model.layers.2.mlp.experts.down_proj_scales"),
            Names{"blk.2.ffn_down_exps.weight"});
  EXPECT_EQ(ggufNamesFor(G, "model.layers.2.mlp.experts.down_proj_bias"),
            Names{"blk.2.ffn_down_exps.bias"});
  EXPECT_EQ(ggufNamesFor(G, "model.layers.2.self_attn.o_proj.bias"),
            Names{"blk.2.attn_output.bias"});
  EXPECT_TRUE(
      ggufNamesFor(G, "model.layers.2.self_attn.q_norm.weight").empty());
  EXPECT_TRUE(
      ggufNamesFor(G, "model.layers.2.mlp.experts.down_proj_blocks_scale_inv")
          .empty());
}

TEST(WeightNames, DeepseekV3) {
  const ModelType D = ModelType::DeepseekV3;
  EXPECT_EQ(ggufNamesFor(D, "model.layers.4.self_attn.kv_b_proj.weight"),
            (Names{"blk.4.attn_k_b.weight", "blk.4.attn_v_b.weight"}));
  EXPECT_EQ(
      ggufNamesFor(D, "model.layers.4.self_attn.kv_b_proj.weight_scale_inv"),
      (Names{"blk.4.attn_k_b.weight_scale_inv",
             "blk.4.attn_v_b.weight_scale_inv"}));
  EXPECT_EQ(
      ggufNamesFor(D, "model.layers.4.self_attn.kv_a_proj_with_mqa.weight"),
      Names{"blk.4.attn_kv_a_mqa.weight"});
  EXPECT_EQ(ggufNamesFor(D, "model.layers.4.self_attn.kv_a_layernorm.weight"),
            Names{"blk.4.attn_kv_a_norm.weight"});
  EXPECT_EQ(ggufNamesFor(D, "model.layers.4.self_attn.q_a_proj.weight"),
            Names{"blk.4.attn_q_a.weight"});
  EXPECT_EQ(ggufNamesFor(D, "model.layers.4.self_attn.q_a_layernorm.weight"),
            Names{"blk.4.attn_q_a_norm.weight"});
  EXPECT_EQ(ggufNamesFor(D, "model.layers.4.self_attn.q_b_proj.weight"),
            Names{"blk.4.attn_q_b.weight"});
  EXPECT_EQ(ggufNamesFor(D, "model.layers.4.self_attn.q_proj.weight"),
            Names{"blk.4.attn_q.weight"});
  EXPECT_EQ(ggufNamesFor(D, "model.layers.4.mlp.gate.e_score_correction_bias"),
            Names{"blk.4.exp_probs_b.bias"});
  EXPECT_EQ(
      ggufNamesFor(D, "model.layers.4.mlp.shared_experts.down_proj.weight"),
      Names{"blk.4.ffn_down_shexp.weight"});
  EXPECT_EQ(ggufNamesFor(
                D, "model.layers.4.mlp.experts.200.up_proj.weight_scale_inv"),
            Names{"blk.4.ffn_up_exps.weight_scale_inv"});
  EXPECT_EQ(ggufNamesFor(D, "model.layers.61.eh_proj.weight"),
            Names{"blk.61.nextn.eh_proj.weight"});
  EXPECT_EQ(ggufNamesFor(D, "model.layers.61.shared_head.head.weight"),
            Names{"blk.61.nextn.shared_head_head.weight"});
  EXPECT_EQ(ggufNamesFor(D, "model.layers.61.shared_head.norm.weight"),
            Names{"blk.61.nextn.shared_head_norm.weight"});
  EXPECT_EQ(ggufNamesFor(D, "model.layers.61.enorm.weight"),
            Names{"blk.61.nextn.enorm.weight"});
  EXPECT_EQ(ggufNamesFor(D, "model.layers.61.embed_tokens.weight"),
            Names{"blk.61.nextn.embed_tokens.weight"});
  EXPECT_TRUE(
      ggufNamesFor(D, "model.layers.4.self_attn.k_proj.weight").empty());
}

//===----------------------------------------------------------------------===//
// Qwen3 dense
//===----------------------------------------------------------------------===//

// V=16, H=8, I=12, 2 layers, 2 heads of 4, 1 key/value head.
const char *kQwen3Config =
    R"({"model_type":"qwen3","vocab_size":16,"hidden_size":8,
        "intermediate_size":12,"num_hidden_layers":2,"num_attention_heads":2,
        "num_key_value_heads":1,"head_dim":4,"tie_word_embeddings":false})";

void addQwen3Attention(CheckpointBuilder &b, int l, DType t = DType::BF16) {
  std::string p = "model.layers." + std::to_string(l) + ".";
  b.add(p + "input_layernorm.weight", t, {8});
  b.add(p + "self_attn.q_proj.weight", t, {8, 8});
  b.add(p + "self_attn.k_proj.weight", t, {4, 8});
  b.add(p + "self_attn.v_proj.weight", t, {4, 8});
  b.add(p + "self_attn.o_proj.weight", t, {8, 8});
  b.add(p + "self_attn.q_norm.weight", t, {4});
  b.add(p + "self_attn.k_norm.weight", t, {4});
  b.add(p + "post_attention_layernorm.weight", t, {8});
}

void addQwen3(CheckpointBuilder &b, bool lmHead = true) {
  b.add("model.embed_tokens.weight", DType::BF16, {16, 8});
  b.add("model.norm.weight", DType::BF16, {8});
  if (lmHead)
    b.add("lm_head.weight", DType::BF16, {16, 8});
  for (int l = 0; l < 2; ++l) {
    addQwen3Attention(b, l);
    std::string p = "model.layers." + std::to_string(l) + ".mlp.";
    b.add(p + "gate_proj.weight", DType::BF16, {12, 8});
    b.add(p + "up_proj.weight", DType::BF16, {12, 8});
    b.add(p + "down_proj.weight", DType::BF16, {8, 12});
  }
}

TEST(Qwen3Map, EveryWeightNamedShapedAndZeroCopy) {
  CheckpointBuilder b;
  addQwen3(b);
  auto ckpt = b.open(/*shardBytes=*/600); // sharded: several files
  ASSERT_GT(ckpt->files().size(), 1u);
  WeightPlan p = plan(config(kQwen3Config), *ckpt);
  Names want = {"token_embd.weight"};
  for (int l = 0; l < 2; ++l)
    for (const char *n :
         {"attn_norm.weight", "attn_q.weight", "attn_k.weight", "attn_v.weight",
          "attn_output.weight", "attn_q_norm.weight", "attn_k_norm.weight",
          "ffn_norm.weight", "ffn_gate.weight", "ffn_up.weight",
          "ffn_down.weight"})
      want.push_back("blk." + std::to_string(l) + "." + n);
  want.push_back("output_norm.weight");
  want.push_back("output.weight");
  EXPECT_EQ(names(p), want);

  const MappedWeight &q = get(p, "blk.1.attn_q.weight");
  EXPECT_EQ(q.ne, (std::vector<uint64_t>{8, 8}));
  EXPECT_EQ(q.format, quant::Format::BF16);
  EXPECT_TRUE(q.isZeroCopy());
  EXPECT_EQ(get(p, "blk.0.attn_k.weight").ne, (std::vector<uint64_t>{8, 4}));
  EXPECT_EQ(get(p, "blk.0.ffn_down.weight").ne, (std::vector<uint64_t>{12, 8}));
  EXPECT_EQ(get(p, "token_embd.weight").ne, (std::vector<uint64_t>{8, 16}));
  // Zero-copy weights are the source bytes.
  std::vector<uint8_t> bytes;
  std::string err;
  ASSERT_TRUE(materialize(q, *ckpt, bytes, err)) << err;
  EXPECT_EQ(bytes, b.bytes("model.layers.1.self_attn.q_proj.weight"));
  // 1-D tensors become F32, as GGUF stores them.
  const MappedWeight &norm = get(p, "blk.0.attn_q_norm.weight");
  EXPECT_EQ(norm.format, quant::Format::F32);
  EXPECT_EQ(norm.encoding, Encoding::WidenToF32);
  std::vector<float> v = values(norm, *ckpt);
  for (uint64_t i = 0; i < 4; ++i)
    EXPECT_EQ(v[i], b.value("model.layers.0.self_attn.q_norm.weight", i));
}

TEST(Qwen3Map, TiedEmbeddingsNeedNoOutput) {
  CheckpointBuilder b;
  addQwen3(b, /*lmHead=*/false);
  auto ckpt = b.open();
  std::string tied = kQwen3Config;
  tied.replace(tied.find("false"), 5, "true");
  WeightPlan p = plan(config(tied), *ckpt);
  EXPECT_FALSE(p.find("output.weight"));
  expectPlanError(config(kQwen3Config), *ckpt,
                  "missing tensor 'lm_head.weight'");
}

TEST(Qwen3Map, CheckpointsThatDisagreeWithTheConfig) {
  {
    CheckpointBuilder b;
    addQwen3(b);
    b.remove("model.layers.1.self_attn.k_norm.weight");
    expectPlanError(config(kQwen3Config), *b.open(),
                    "missing tensor 'model.layers.1.self_attn.k_norm.weight'");
  }
  {
    CheckpointBuilder b;
    addQwen3(b);
    b.remove("model.layers.0.mlp.up_proj.weight");
    b.add("model.layers.0.mlp.up_proj.weight", DType::BF16, {12, 9});
    expectPlanError(config(kQwen3Config), *b.open(),
                    "tensor 'model.layers.0.mlp.up_proj.weight' has shape "
                    "[12, 9], but config.json implies [12, 8]");
  }
  {
    // In a sharded checkpoint the message names the shard holding the
    // tensor.
    CheckpointBuilder b;
    addQwen3(b);
    b.remove("model.layers.1.mlp.down_proj.weight");
    b.add("model.layers.1.mlp.down_proj.weight", DType::BF16, {8, 13});
    auto ckpt = b.open(/*shardBytes=*/600);
    WeightPlan p;
    std::string err;
    ASSERT_FALSE(planWeights(config(kQwen3Config), *ckpt, p, err));
    std::string shard =
        ckpt->find("model.layers.1.mlp.down_proj.weight")->file->path();
    EXPECT_EQ(err.rfind(shard + ": tensor 'model.layers.1.mlp.down_proj."
                                "weight' has shape [8, 13]",
                        0),
              0u)
        << err;
    EXPECT_NE(shard.find("model-0000"), std::string::npos) << shard;
  }
  {
    CheckpointBuilder b;
    addQwen3(b);
    b.remove("model.layers.0.mlp.up_proj.weight");
    b.add("model.layers.0.mlp.up_proj.weight", DType::U8, {12, 8});
    expectPlanError(config(kQwen3Config), *b.open(),
                    "tensor 'model.layers.0.mlp.up_proj.weight' has dtype U8, "
                    "expected F32, F16, BF16 or F8_E4M3");
  }
  {
    CheckpointBuilder b;
    addQwen3(b);
    b.add("model.layers.0.mlp.up_proj.lora_A", DType::BF16, {2, 8});
    expectPlanError(config(kQwen3Config), *b.open(),
                    "tensor 'model.layers.0.mlp.up_proj.lora_A' is not a known "
                    "qwen3 tensor");
  }
  {
    // A third layer where config.json says two.
    CheckpointBuilder b;
    addQwen3(b);
    addQwen3Attention(b, 2);
    expectPlanError(config(kQwen3Config), *b.open(),
                    "is not part of the model config.json describes (2 layers");
  }
  {
    // FP8 bytes with no fp8 quantization_config: the block size is unknown.
    CheckpointBuilder b;
    addQwen3(b);
    b.remove("model.layers.0.mlp.up_proj.weight");
    b.add("model.layers.0.mlp.up_proj.weight", DType::F8_E4M3, {12, 8});
    expectPlanError(
        config(kQwen3Config), *b.open(),
        "is F8_E4M3, but config.json has no fp8 quantization_config");
  }
  {
    // Old checkpoints' rotary tables are recomputed, not mapped.
    CheckpointBuilder b;
    addQwen3(b);
    b.add("model.layers.0.self_attn.rotary_emb.inv_freq", DType::F32, {2});
    WeightPlan p = plan(config(kQwen3Config), *b.open());
    EXPECT_EQ(p.weights.size(), 25u);
  }
}

TEST(Qwen3Map, AttentionBiasesWhenConfigured) {
  std::string cfg = kQwen3Config;
  cfg.insert(cfg.size() - 1, ",\"attention_bias\":true");
  CheckpointBuilder b;
  addQwen3(b);
  auto ckpt = b.open();
  expectPlanError(config(cfg), *ckpt,
                  "missing tensor 'model.layers.0.self_attn.q_proj.bias'");
}

//===----------------------------------------------------------------------===//
// Qwen3-MoE: per-expert tensors stacked
//===----------------------------------------------------------------------===//

// 3 experts of width 4; layer 0 dense (decoder_sparse_step 2), layer 1 MoE.
const char *kQwen3MoeConfig =
    R"({"model_type":"qwen3_moe","vocab_size":16,"hidden_size":8,
        "intermediate_size":12,"num_hidden_layers":2,"num_attention_heads":2,
        "num_key_value_heads":1,"head_dim":4,"num_experts":3,
        "num_experts_per_tok":2,"moe_intermediate_size":4,
        "decoder_sparse_step":2,"norm_topk_prob":true})";

void addQwen3Moe(CheckpointBuilder &b) {
  b.add("model.embed_tokens.weight", DType::BF16, {16, 8});
  b.add("model.norm.weight", DType::BF16, {8});
  b.add("lm_head.weight", DType::BF16, {16, 8});
  addQwen3Attention(b, 0);
  addQwen3Attention(b, 1);
  b.add("model.layers.0.mlp.gate_proj.weight", DType::BF16, {12, 8});
  b.add("model.layers.0.mlp.up_proj.weight", DType::BF16, {12, 8});
  b.add("model.layers.0.mlp.down_proj.weight", DType::BF16, {8, 12});
  b.add("model.layers.1.mlp.gate.weight", DType::BF16, {3, 8});
  for (int e = 0; e < 3; ++e) {
    std::string p = "model.layers.1.mlp.experts." + std::to_string(e) + ".";
    b.add(p + "gate_proj.weight", DType::BF16, {4, 8});
    b.add(p + "up_proj.weight", DType::BF16, {4, 8});
    b.add(p + "down_proj.weight", DType::BF16, {8, 4});
  }
}

TEST(Qwen3MoeMap, ExpertsStackAlongTheOutermostDimension) {
  CheckpointBuilder b;
  addQwen3Moe(b);
  auto ckpt = b.open();
  WeightPlan p = plan(config(kQwen3MoeConfig), *ckpt);
  EXPECT_TRUE(p.find("blk.0.ffn_gate.weight")) << "layer 0 is dense";
  EXPECT_FALSE(p.find("blk.0.ffn_gate_exps.weight"));
  EXPECT_EQ(get(p, "blk.1.ffn_gate_inp.weight").ne,
            (std::vector<uint64_t>{8, 3}));
  for (const char *proj : {"gate", "up", "down"}) {
    const MappedWeight &w =
        get(p, std::string("blk.1.ffn_") + proj + "_exps.weight");
    bool down = std::string(proj) == "down";
    EXPECT_EQ(w.ne, down ? (std::vector<uint64_t>{4, 8, 3})
                         : (std::vector<uint64_t>{8, 4, 3}));
    ASSERT_EQ(w.sources.size(), 3u);
    std::vector<float> v = values(w, *ckpt);
    uint64_t rows = down ? 8 : 4, cols = down ? 4 : 8;
    for (uint64_t e = 0; e < 3; ++e)
      for (uint64_t r = 0; r < rows; ++r)
        for (uint64_t c = 0; c < cols; ++c)
          ASSERT_EQ(v[(e * rows + r) * cols + c],
                    b.value("model.layers.1.mlp.experts." + std::to_string(e) +
                                "." + proj + "_proj.weight",
                            r * cols + c));
  }
}

TEST(Qwen3MoeMap, AMissingExpertIsNamed) {
  CheckpointBuilder b;
  addQwen3Moe(b);
  b.remove("model.layers.1.mlp.experts.2.up_proj.weight");
  expectPlanError(
      config(kQwen3MoeConfig), *b.open(),
      "missing tensor 'model.layers.1.mlp.experts.2.up_proj.weight'");
  CheckpointBuilder extra;
  addQwen3Moe(extra);
  extra.add("model.layers.1.mlp.experts.3.up_proj.weight", DType::BF16, {4, 8});
  expectPlanError(
      config(kQwen3MoeConfig), *extra.open(),
      "'model.layers.1.mlp.experts.3.up_proj.weight' is not part of "
      "the model config.json describes (2 layers, 3 experts)");
}

//===----------------------------------------------------------------------===//
// GPT-OSS: interleaved gate/up, MXFP4 repack, biases, sinks
//===----------------------------------------------------------------------===//

// H = 64, expert width I = 32 (MXFP4 needs multiples of 32), 2 experts,
// 2 heads of 32, 1 key/value head, 1 layer.
std::string gptOssConfig(bool mxfp4) {
  return std::string(R"({"model_type":"gpt_oss","vocab_size":8,"hidden_size":64,
      "intermediate_size":32,"num_hidden_layers":1,"num_attention_heads":2,
      "num_key_value_heads":1,"head_dim":32,"num_local_experts":2,
      "num_experts_per_tok":1,"experts_per_token":1)") +
         (mxfp4 ? R"(,"quantization_config":{"quant_method":"mxfp4",
      "modules_to_not_convert":["model.layers.*.self_attn","lm_head"]}})"
                : "}");
}

void addGptOss(CheckpointBuilder &b, bool mxfp4) {
  const DType T = DType::BF16;
  b.add("model.embed_tokens.weight", T, {8, 64});
  b.add("model.norm.weight", T, {64});
  b.add("lm_head.weight", T, {8, 64});
  std::string p = "model.layers.0.";
  b.add(p + "input_layernorm.weight", T, {64});
  b.add(p + "post_attention_layernorm.weight", T, {64});
  b.add(p + "self_attn.q_proj.weight", T, {64, 64});
  b.add(p + "self_attn.q_proj.bias", T, {64});
  b.add(p + "self_attn.k_proj.weight", T, {32, 64});
  b.add(p + "self_attn.k_proj.bias", T, {32});
  b.add(p + "self_attn.v_proj.weight", T, {32, 64});
  b.add(p + "self_attn.v_proj.bias", T, {32});
  b.add(p + "self_attn.o_proj.weight", T, {64, 64});
  b.add(p + "self_attn.o_proj.bias", T, {64});
  b.add(p + "self_attn.sinks", T, {2});
  b.add(p + "mlp.router.weight", T, {2, 64});
  b.add(p + "mlp.router.bias", T, {2});
  b.add(p + "mlp.experts.gate_up_proj_bias", T, {2, 64});
  b.add(p + "mlp.experts.down_proj_bias", T, {2, 64});
  if (mxfp4) {
    b.add(p + "mlp.experts.gate_up_proj_blocks", DType::U8, {2, 64, 2, 16});
    b.addScales(p + "mlp.experts.gate_up_proj_scales", {2, 64, 2});
    b.add(p + "mlp.experts.down_proj_blocks", DType::U8, {2, 64, 1, 16});
    b.addScales(p + "mlp.experts.down_proj_scales", {2, 64, 1});
  } else {
    b.add(p + "mlp.experts.gate_up_proj", T, {2, 64, 64});
    b.add(p + "mlp.experts.down_proj", T, {2, 32, 64});
  }
}

/// The checkpoint's MXFP4 tensor [E, rows, G, 16] decoded as OpenAI and
/// transformers do: [E][rows][G * 32].
std::vector<double> decodeCheckpointMxfp4(const CheckpointBuilder &b,
                                          const std::string &blocks,
                                          const std::string &scales,
                                          uint64_t nBlocks) {
  static const double kFp4[16] = {+0.0, 0.5,  1.0,  1.5,  2.0,  3.0,
                                  4.0,  6.0,  -0.0, -0.5, -1.0, -1.5,
                                  -2.0, -3.0, -4.0, -6.0};
  std::vector<double> out(nBlocks * 32);
  const std::vector<uint8_t> &bl = b.bytes(blocks), &sc = b.bytes(scales);
  for (uint64_t k = 0; k < nBlocks; ++k)
    for (int m = 0; m < 16; ++m) {
      uint8_t byte = bl[k * 16 + m];
      out[k * 32 + 2 * m] = std::ldexp(kFp4[byte & 15], int(sc[k]) - 127);
      out[k * 32 + 2 * m + 1] = std::ldexp(kFp4[byte >> 4], int(sc[k]) - 127);
    }
  return out;
}

TEST(GptOssMap, Mxfp4ExpertsSplitGateUpByRowParity) {
  CheckpointBuilder b;
  addGptOss(b, /*mxfp4=*/true);
  auto ckpt = b.open();
  HFConfig c = config(gptOssConfig(true));
  WeightPlan p = plan(c, *ckpt);
  const uint64_t E = 2, I = 32, H = 64;
  const std::string pre = "model.layers.0.mlp.experts.";
  // W[e][r][h], r < 2I: the checkpoint's gate_up rows, decoded.
  std::vector<double> W =
      decodeCheckpointMxfp4(b, pre + "gate_up_proj_blocks",
                            pre + "gate_up_proj_scales", E * 2 * I * 2);
  const MappedWeight &gate = get(p, "blk.0.ffn_gate_exps.weight");
  const MappedWeight &up = get(p, "blk.0.ffn_up_exps.weight");
  for (const MappedWeight *w : {&gate, &up}) {
    EXPECT_EQ(w->ne, (std::vector<uint64_t>{H, I, E}));
    EXPECT_EQ(w->format, quant::Format::MXFP4);
    EXPECT_EQ(w->encoding, Encoding::RepackMxfp4);
  }
  std::vector<float> g = values(gate, *ckpt), u = values(up, *ckpt);
  for (uint64_t e = 0; e < E; ++e)
    for (uint64_t i = 0; i < I; ++i)
      for (uint64_t h = 0; h < H; ++h) {
        ASSERT_EQ(double(g[(e * I + i) * H + h]),
                  W[(e * 2 * I + 2 * i) * H + h]);
        ASSERT_EQ(double(u[(e * I + i) * H + h]),
                  W[(e * 2 * I + 2 * i + 1) * H + h]);
      }

  // The same split as transformers computes it: gate_up = x @ gate_up_proj
  // + bias with gate_up_proj[e][h][r] = W[e][r][h], then gate = [..., ::2],
  // up = [..., 1::2]; lmc's weights give gate_i = sum_h gate[e][i][h] x_h +
  // gate_bias[e][i].
  const MappedWeight &gateBias = get(p, "blk.0.ffn_gate_exps.bias");
  const MappedWeight &upBias = get(p, "blk.0.ffn_up_exps.bias");
  EXPECT_EQ(gateBias.ne, (std::vector<uint64_t>{I, E}));
  EXPECT_EQ(gateBias.format, quant::Format::F32);
  std::vector<float> gb = values(gateBias, *ckpt), ub = values(upBias, *ckpt);
  std::vector<double> x(H);
  for (uint64_t h = 0; h < H; ++h)
    x[h] = std::sin(double(h) + 0.5);
  for (uint64_t e = 0; e < E; ++e) {
    std::vector<double> gateUp(2 * I);
    for (uint64_t r = 0; r < 2 * I; ++r) {
      double s = b.value(pre + "gate_up_proj_bias", e * 2 * I + r);
      for (uint64_t h = 0; h < H; ++h)
        s += x[h] * W[(e * 2 * I + r) * H + h];
      gateUp[r] = s;
    }
    for (uint64_t i = 0; i < I; ++i) {
      double sg = gb[e * I + i], su = ub[e * I + i];
      for (uint64_t h = 0; h < H; ++h) {
        sg += g[(e * I + i) * H + h] * x[h];
        su += u[(e * I + i) * H + h] * x[h];
      }
      EXPECT_NEAR(sg, gateUp[2 * i], 1e-9);
      EXPECT_NEAR(su, gateUp[2 * i + 1], 1e-9);
    }
  }

  // down: [E, H, I/32, 16] -> ne {I, H, E}, rows in order.
  std::vector<double> D = decodeCheckpointMxfp4(
      b, pre + "down_proj_blocks", pre + "down_proj_scales", E * H);
  const MappedWeight &down = get(p, "blk.0.ffn_down_exps.weight");
  EXPECT_EQ(down.ne, (std::vector<uint64_t>{I, H, E}));
  EXPECT_FALSE(down.select);
  std::vector<float> d = values(down, *ckpt);
  for (uint64_t k = 0; k < E * H * I; ++k)
    ASSERT_EQ(double(d[k]), D[k]) << k;
  std::vector<float> db = values(get(p, "blk.0.ffn_down_exps.bias"), *ckpt);
  for (uint64_t k = 0; k < E * H; ++k)
    EXPECT_EQ(db[k], b.value(pre + "down_proj_bias", k));

  // Sinks, router, norms.
  const MappedWeight &sinks = get(p, "blk.0.attn_sinks.weight");
  EXPECT_EQ(sinks.ne, (std::vector<uint64_t>{2}));
  EXPECT_EQ(sinks.format, quant::Format::F32);
  EXPECT_EQ(values(sinks, *ckpt)[1],
            b.value("model.layers.0.self_attn.sinks", 1));
  EXPECT_EQ(get(p, "blk.0.ffn_gate_inp.weight").ne,
            (std::vector<uint64_t>{64, 2}));
  EXPECT_EQ(get(p, "blk.0.ffn_gate_inp.bias").ne, (std::vector<uint64_t>{2}));
  EXPECT_TRUE(p.find("blk.0.post_attention_norm.weight"));
  EXPECT_FALSE(p.find("blk.0.ffn_norm.weight"));
  EXPECT_TRUE(p.find("blk.0.attn_output.bias"));
  EXPECT_EQ(
      gate.describe(),
      "blk.0.ffn_gate_exps.weight [64, 32, 2] MXFP4 <- rows 0..0 of every "
      "2 (of 64 elements) of model.layers.0.mlp.experts.gate_up_proj_blocks, "
      "repack MXFP4 to ggml blocks");
}

TEST(GptOssMap, UnquantizedExpertsAreTransposedPerExpert) {
  CheckpointBuilder b;
  addGptOss(b, /*mxfp4=*/false);
  auto ckpt = b.open();
  WeightPlan p = plan(config(gptOssConfig(false)), *ckpt);
  const uint64_t E = 2, I = 32, H = 64;
  const std::string gu = "model.layers.0.mlp.experts.gate_up_proj";
  const MappedWeight &gate = get(p, "blk.0.ffn_gate_exps.weight");
  EXPECT_EQ(gate.ne, (std::vector<uint64_t>{H, I, E}));
  EXPECT_EQ(gate.format, quant::Format::BF16);
  std::vector<float> g = values(gate, *ckpt),
                     u = values(get(p, "blk.0.ffn_up_exps.weight"), *ckpt);
  for (uint64_t e = 0; e < E; ++e)
    for (uint64_t i = 0; i < I; ++i)
      for (uint64_t h = 0; h < H; ++h) {
        // gate_up_proj[e][h][2i] (gate), [2i + 1] (up).
        ASSERT_EQ(g[(e * I + i) * H + h],
                  b.value(gu, (e * H + h) * 2 * I + 2 * i));
        ASSERT_EQ(u[(e * I + i) * H + h],
                  b.value(gu, (e * H + h) * 2 * I + 2 * i + 1));
      }
  const MappedWeight &down = get(p, "blk.0.ffn_down_exps.weight");
  EXPECT_EQ(down.ne, (std::vector<uint64_t>{I, H, E}));
  std::vector<float> d = values(down, *ckpt);
  for (uint64_t e = 0; e < E; ++e)
    for (uint64_t h = 0; h < H; ++h)
      for (uint64_t i = 0; i < I; ++i)
        ASSERT_EQ(d[(e * H + h) * I + i],
                  b.value("model.layers.0.mlp.experts.down_proj",
                          (e * I + i) * H + h));
}

TEST(GptOssMap, BrokenMxfp4Pairs) {
  {
    CheckpointBuilder b;
    addGptOss(b, true);
    b.remove("model.layers.0.mlp.experts.down_proj_scales");
    expectPlanError(
        config(gptOssConfig(true)), *b.open(),
        "missing tensor 'model.layers.0.mlp.experts.down_proj_scales' "
        "(the scales of MXFP4");
  }
  {
    CheckpointBuilder b;
    addGptOss(b, true);
    b.remove("model.layers.0.mlp.experts.gate_up_proj_scales");
    b.addScales("model.layers.0.mlp.experts.gate_up_proj_scales", {2, 64, 1});
    expectPlanError(
        config(gptOssConfig(true)), *b.open(),
        "gate_up_proj_scales' has shape [2, 64, 1], but config.json "
        "implies [2, 64, 2]");
  }
  {
    // Dequantized experts in a checkpoint whose config says mxfp4.
    CheckpointBuilder b;
    addGptOss(b, false);
    expectPlanError(
        config(gptOssConfig(true)), *b.open(),
        "missing tensor 'model.layers.0.mlp.experts.gate_up_proj_blocks'");
  }
  {
    CheckpointBuilder b;
    addGptOss(b, true);
    b.remove("model.layers.0.self_attn.sinks");
    expectPlanError(config(gptOssConfig(true)), *b.open(),
                    "missing tensor 'model.layers.0.self_attn.sinks'");
  }
}

//===----------------------------------------------------------------------===//
// DeepSeek-V3: MLA pieces, kv_b split, shared experts, FP8, MTP
//===----------------------------------------------------------------------===//

// H=16, 2 heads, nope n, rope 2, v, kv_lora 3, q_lora 6; layer 0 dense,
// layer 1 MoE with 2 experts of width 4 and 1 shared expert.
std::string deepseekConfig(uint64_t nope, uint64_t v,
                           const std::string &extra = "") {
  return R"({"model_type":"deepseek_v3","vocab_size":8,"hidden_size":16,
      "intermediate_size":12,"moe_intermediate_size":4,"num_hidden_layers":2,
      "num_attention_heads":2,"n_routed_experts":2,"num_experts_per_tok":1,
      "n_group":1,"topk_group":1,"n_shared_experts":1,"first_k_dense_replace":1,
      "q_lora_rank":6,"kv_lora_rank":3,"qk_rope_head_dim":2,"qk_nope_head_dim":)" +
         std::to_string(nope) + ",\"v_head_dim\":" + std::to_string(v) + extra +
         "}";
}

const char *kFp8Block2 =
    R"(,"quantization_config":{"quant_method":"fp8","fmt":"e4m3",
       "weight_block_size":[2,2],"activation_scheme":"dynamic"})";

/// A linear weight, with its weight_scale_inv when FP8 (block 2 x 2).
void addLinear(CheckpointBuilder &b, const std::string &name, uint64_t rows,
               uint64_t cols, bool fp8) {
  b.add(name, fp8 ? DType::F8_E4M3 : DType::BF16, {rows, cols});
  if (fp8)
    b.add(name + "_scale_inv", DType::F32, {(rows + 1) / 2, (cols + 1) / 2});
}

void addDeepseekLayer(CheckpointBuilder &b, uint64_t l, uint64_t nope,
                      uint64_t v, bool moe, bool fp8) {
  const uint64_t H = 16, heads = 2, rope = 2, kvl = 3, ql = 6;
  std::string p = "model.layers." + std::to_string(l) + ".";
  b.add(p + "input_layernorm.weight", DType::BF16, {H});
  b.add(p + "post_attention_layernorm.weight", DType::BF16, {H});
  addLinear(b, p + "self_attn.q_a_proj.weight", ql, H, fp8);
  b.add(p + "self_attn.q_a_layernorm.weight", DType::BF16, {ql});
  addLinear(b, p + "self_attn.q_b_proj.weight", heads * (nope + rope), ql, fp8);
  addLinear(b, p + "self_attn.kv_a_proj_with_mqa.weight", kvl + rope, H, fp8);
  b.add(p + "self_attn.kv_a_layernorm.weight", DType::BF16, {kvl});
  addLinear(b, p + "self_attn.kv_b_proj.weight", heads * (nope + v), kvl, fp8);
  addLinear(b, p + "self_attn.o_proj.weight", H, heads * v, fp8);
  if (!moe) {
    addLinear(b, p + "mlp.gate_proj.weight", 12, H, fp8);
    addLinear(b, p + "mlp.up_proj.weight", 12, H, fp8);
    addLinear(b, p + "mlp.down_proj.weight", H, 12, fp8);
    return;
  }
  b.add(p + "mlp.gate.weight", DType::BF16, {2, H});
  b.add(p + "mlp.gate.e_score_correction_bias", DType::F32, {2});
  for (int e = 0; e < 2; ++e) {
    std::string x = p + "mlp.experts." + std::to_string(e) + ".";
    addLinear(b, x + "gate_proj.weight", 4, H, fp8);
    addLinear(b, x + "up_proj.weight", 4, H, fp8);
    addLinear(b, x + "down_proj.weight", H, 4, fp8);
  }
  addLinear(b, p + "mlp.shared_experts.gate_proj.weight", 4, H, fp8);
  addLinear(b, p + "mlp.shared_experts.up_proj.weight", 4, H, fp8);
  addLinear(b, p + "mlp.shared_experts.down_proj.weight", H, 4, fp8);
}

void addDeepseek(CheckpointBuilder &b, uint64_t nope, uint64_t v, bool fp8) {
  b.add("model.embed_tokens.weight", DType::BF16, {8, 16});
  b.add("model.norm.weight", DType::BF16, {16});
  b.add("lm_head.weight", DType::BF16, {8, 16});
  addDeepseekLayer(b, 0, nope, v, /*moe=*/false, fp8);
  addDeepseekLayer(b, 1, nope, v, /*moe=*/true, fp8);
}

void addMtpLayer(CheckpointBuilder &b, uint64_t nope, uint64_t v) {
  addDeepseekLayer(b, 2, nope, v, /*moe=*/true, /*fp8=*/false);
  b.add("model.layers.2.eh_proj.weight", DType::BF16, {16, 32});
  b.add("model.layers.2.enorm.weight", DType::BF16, {16});
  b.add("model.layers.2.hnorm.weight", DType::BF16, {16});
  b.add("model.layers.2.embed_tokens.weight", DType::BF16, {8, 16});
  b.add("model.layers.2.shared_head.norm.weight", DType::BF16, {16});
  b.add("model.layers.2.shared_head.head.weight", DType::BF16, {8, 16});
}

/// kv_b's decoded values per head, checked against attn_k_b / attn_v_b the
/// way modeling_deepseek_v3 uses kv_b_proj: kv = kv_b @ c viewed as
/// [heads, nope + v]; k_nope = kv[:, :nope], value = kv[:, nope:].
void expectKvBSplit(const std::vector<double> &kvb,
                    const std::vector<float> &kb, const std::vector<float> &vb,
                    uint64_t nope, uint64_t v) {
  const uint64_t heads = 2, kvl = 3;
  for (uint64_t h = 0; h < heads; ++h) {
    for (uint64_t c = 0; c < kvl; ++c)
      for (uint64_t d = 0; d < nope; ++d) // attn_k_b [h][c][d]
        ASSERT_EQ(double(kb[(h * kvl + c) * nope + d]),
                  kvb[(h * (nope + v) + d) * kvl + c])
            << h << " " << c << " " << d;
    for (uint64_t j = 0; j < v; ++j)
      for (uint64_t c = 0; c < kvl; ++c) // attn_v_b [h][j][c]
        ASSERT_EQ(double(vb[(h * v + j) * kvl + c]),
                  kvb[(h * (nope + v) + nope + j) * kvl + c]);
  }
  // The projection of one latent vector, both ways.
  std::vector<double> lat = {0.5, -1.25, 2.0};
  for (uint64_t h = 0; h < heads; ++h) {
    for (uint64_t d = 0; d < nope; ++d) {
      double hf = 0, ours = 0;
      for (uint64_t c = 0; c < kvl; ++c) {
        hf += kvb[(h * (nope + v) + d) * kvl + c] * lat[c];
        ours += kb[(h * kvl + c) * nope + d] * lat[c];
      }
      EXPECT_EQ(hf, ours);
    }
    for (uint64_t j = 0; j < v; ++j) {
      double hf = 0, ours = 0;
      for (uint64_t c = 0; c < kvl; ++c) {
        hf += kvb[(h * (nope + v) + nope + j) * kvl + c] * lat[c];
        ours += vb[(h * v + j) * kvl + c] * lat[c];
      }
      EXPECT_EQ(hf, ours);
    }
  }
}

TEST(DeepseekV3Map, MlaPiecesAndTheKvBSplit) {
  const uint64_t nope = 3, v = 5;
  CheckpointBuilder b;
  addDeepseek(b, nope, v, /*fp8=*/false);
  auto ckpt = b.open();
  WeightPlan p = plan(config(deepseekConfig(nope, v)), *ckpt);
  for (const char *n :
       {"blk.0.attn_q_a.weight", "blk.0.attn_q_a_norm.weight",
        "blk.0.attn_q_b.weight", "blk.0.attn_kv_a_mqa.weight",
        "blk.0.attn_kv_a_norm.weight", "blk.0.attn_output.weight",
        "blk.0.ffn_gate.weight", "blk.1.ffn_gate_inp.weight",
        "blk.1.exp_probs_b.bias", "blk.1.ffn_gate_exps.weight",
        "blk.1.ffn_down_exps.weight", "blk.1.ffn_gate_shexp.weight",
        "blk.1.ffn_up_shexp.weight", "blk.1.ffn_down_shexp.weight"})
    EXPECT_TRUE(p.find(n)) << n;
  EXPECT_FALSE(p.find("blk.1.ffn_gate.weight")) << "layer 1 is MoE";
  EXPECT_EQ(get(p, "blk.0.attn_kv_a_mqa.weight").ne,
            (std::vector<uint64_t>{16, 5}));
  EXPECT_EQ(get(p, "blk.0.attn_q_b.weight").ne, (std::vector<uint64_t>{6, 10}));
  EXPECT_EQ(get(p, "blk.1.ffn_down_shexp.weight").ne,
            (std::vector<uint64_t>{4, 16}));

  const MappedWeight &kb = get(p, "blk.1.attn_k_b.weight");
  const MappedWeight &vb = get(p, "blk.1.attn_v_b.weight");
  EXPECT_EQ(kb.ne, (std::vector<uint64_t>{nope, 3, 2})); // {nope, kvl, heads}
  EXPECT_EQ(vb.ne, (std::vector<uint64_t>{3, v, 2}));    // {kvl, v, heads}
  EXPECT_EQ(kb.format, quant::Format::BF16);
  EXPECT_EQ(
      kb.describe(),
      "blk.1.attn_k_b.weight [3, 3, 2] BF16 <- rows 0..2 of every 8 (of 3 "
      "elements) of model.layers.1.self_attn.kv_b_proj.weight, each 3 x 3 "
      "block transposed");
  std::vector<double> kvb(2 * (nope + v) * 3);
  for (uint64_t i = 0; i < kvb.size(); ++i)
    kvb[i] = b.value("model.layers.1.self_attn.kv_b_proj.weight", i);
  expectKvBSplit(kvb, values(kb, *ckpt), values(vb, *ckpt), nope, v);
}

TEST(DeepseekV3Map, DirectQueryProjectionWithoutQLora) {
  CheckpointBuilder b;
  addDeepseek(b, 3, 5, false);
  for (int l = 0; l < 2; ++l) {
    std::string p = "model.layers." + std::to_string(l) + ".self_attn.";
    b.remove(p + "q_a_proj.weight");
    b.remove(p + "q_a_layernorm.weight");
    b.remove(p + "q_b_proj.weight");
    b.add(p + "q_proj.weight", DType::BF16, {10, 16});
  }
  std::string cfg = deepseekConfig(3, 5);
  cfg.replace(cfg.find("\"q_lora_rank\":6"), 15, "\"q_lora_rank\":null");
  WeightPlan p = plan(config(cfg), *b.open());
  EXPECT_EQ(get(p, "blk.0.attn_q.weight").ne, (std::vector<uint64_t>{16, 10}));
  EXPECT_FALSE(p.find("blk.0.attn_q_a.weight"));
}

/// A weight's values with the block scales of its companion applied.
std::vector<float> fp8Values(const MappedWeight &w, const MappedWeight &scales,
                             const Checkpoint &ckpt) {
  EXPECT_EQ(w.format, quant::Format::F8_E4M3);
  EXPECT_EQ(w.scaleName, scales.name);
  std::vector<float> q = values(w, ckpt), s = values(scales, ckpt);
  const uint64_t cols = w.ne[0], rows = w.ne[1];
  const uint64_t sCols = scales.ne[0], sRows = scales.ne[1];
  EXPECT_EQ(sCols, (cols + w.fp8BlockCols - 1) / w.fp8BlockCols);
  EXPECT_EQ(sRows, (rows + w.fp8BlockRows - 1) / w.fp8BlockRows);
  std::vector<float> out(q.size());
  for (uint64_t m = 0; m < w.numElements() / (rows * cols); ++m)
    for (uint64_t r = 0; r < rows; ++r)
      for (uint64_t c = 0; c < cols; ++c) {
        float scale =
            s[(m * sRows + r / w.fp8BlockRows) * sCols + c / w.fp8BlockCols];
        out[(m * rows + r) * cols + c] = q[(m * rows + r) * cols + c] * scale;
      }
  return out;
}

/// The checkpoint's FP8 matrix decoded by its definition.
std::vector<double> dequantized(const CheckpointBuilder &b,
                                const std::string &name, uint64_t rows,
                                uint64_t cols) {
  std::vector<double> out(rows * cols);
  const uint64_t sCols = (cols + 1) / 2;
  for (uint64_t r = 0; r < rows; ++r)
    for (uint64_t c = 0; c < cols; ++c)
      out[r * cols + c] = quant::e4m3fnToF32(b.bytes(name)[r * cols + c]) *
                          b.value(name + "_scale_inv", (r / 2) * sCols + c / 2);
  return out;
}

TEST(DeepseekV3Map, Fp8WeightsKeepTheirBytesAndScales) {
  // nope = 2 and v = 4 are whole 2-row blocks: the split keeps FP8.
  const uint64_t nope = 2, v = 4;
  CheckpointBuilder b;
  addDeepseek(b, nope, v, /*fp8=*/true);
  auto ckpt = b.open();
  WeightPlan p = plan(config(deepseekConfig(nope, v, kFp8Block2)), *ckpt);

  // A plain matrix: F8 bytes in place, the scale grid as a companion.
  const MappedWeight &qa = get(p, "blk.0.attn_q_a.weight");
  EXPECT_TRUE(qa.isZeroCopy());
  EXPECT_EQ(qa.format, quant::Format::F8_E4M3);
  const MappedWeight &qaS = get(p, "blk.0.attn_q_a.weight_scale_inv");
  EXPECT_EQ(qaS.ne, (std::vector<uint64_t>{8, 3})); // ceil(16/2), ceil(6/2)
  std::vector<float> got = fp8Values(qa, qaS, *ckpt);
  std::vector<double> want =
      dequantized(b, "model.layers.0.self_attn.q_a_proj.weight", 6, 16);
  for (uint64_t i = 0; i < want.size(); ++i)
    ASSERT_EQ(double(got[i]), want[i]);

  // kv_b: the scale grid split and (for the keys) transposed with the data;
  // kv_lora = 3 leaves a partial column block that becomes a partial row
  // block of attn_k_b.
  const MappedWeight &kb = get(p, "blk.1.attn_k_b.weight");
  const MappedWeight &vb = get(p, "blk.1.attn_v_b.weight");
  EXPECT_EQ(kb.format, quant::Format::F8_E4M3);
  EXPECT_EQ(get(p, "blk.1.attn_k_b.weight_scale_inv").ne,
            (std::vector<uint64_t>{1, 2, 2}));
  EXPECT_EQ(get(p, "blk.1.attn_v_b.weight_scale_inv").ne,
            (std::vector<uint64_t>{2, 2, 2}));
  std::vector<double> kvb = dequantized(
      b, "model.layers.1.self_attn.kv_b_proj.weight", 2 * (nope + v), 3);
  expectKvBSplit(
      kvb, fp8Values(kb, get(p, "blk.1.attn_k_b.weight_scale_inv"), *ckpt),
      fp8Values(vb, get(p, "blk.1.attn_v_b.weight_scale_inv"), *ckpt), nope, v);

  // Experts: weights and scale grids stacked alike.
  const MappedWeight &down = get(p, "blk.1.ffn_down_exps.weight");
  const MappedWeight &downS = get(p, "blk.1.ffn_down_exps.weight_scale_inv");
  EXPECT_EQ(down.ne, (std::vector<uint64_t>{4, 16, 2}));
  EXPECT_EQ(downS.ne, (std::vector<uint64_t>{2, 8, 2}));
  got = fp8Values(down, downS, *ckpt);
  for (uint64_t e = 0; e < 2; ++e) {
    want = dequantized(b,
                       "model.layers.1.mlp.experts." + std::to_string(e) +
                           ".down_proj.weight",
                       16, 4);
    for (uint64_t i = 0; i < want.size(); ++i)
      ASSERT_EQ(double(got[e * 64 + i]), want[i]) << e << " " << i;
  }

  // Asked to, every FP8 weight becomes F32 with the scales applied.
  MappingOptions dq;
  dq.dequantizeFp8 = true;
  WeightPlan f = plan(config(deepseekConfig(nope, v, kFp8Block2)), *ckpt, dq);
  EXPECT_FALSE(f.find("blk.0.attn_q_a.weight_scale_inv"));
  const MappedWeight &qaF = get(f, "blk.0.attn_q_a.weight");
  EXPECT_EQ(qaF.format, quant::Format::F32);
  EXPECT_EQ(qaF.encoding, Encoding::DequantizeFp8);
  std::vector<float> qaV = values(qaF, *ckpt);
  want = dequantized(b, "model.layers.0.self_attn.q_a_proj.weight", 6, 16);
  for (uint64_t i = 0; i < want.size(); ++i)
    ASSERT_EQ(double(qaV[i]), want[i]);
  expectKvBSplit(kvb, values(get(f, "blk.1.attn_k_b.weight"), *ckpt),
                 values(get(f, "blk.1.attn_v_b.weight"), *ckpt), nope, v);
}

TEST(DeepseekV3Map, Fp8SplitAcrossScaleBlocksIsDequantized) {
  // nope = 3 cuts through the 2-row scale blocks: F32 for attn_k_b/v_b.
  const uint64_t nope = 3, v = 5;
  CheckpointBuilder b;
  addDeepseek(b, nope, v, /*fp8=*/true);
  auto ckpt = b.open();
  WeightPlan p = plan(config(deepseekConfig(nope, v, kFp8Block2)), *ckpt);
  const MappedWeight &kb = get(p, "blk.1.attn_k_b.weight");
  EXPECT_EQ(kb.format, quant::Format::F32);
  EXPECT_EQ(kb.encoding, Encoding::DequantizeFp8);
  EXPECT_FALSE(p.find("blk.1.attn_k_b.weight_scale_inv"));
  EXPECT_EQ(get(p, "blk.1.attn_output.weight").format, quant::Format::F8_E4M3);
  std::vector<double> kvb = dequantized(
      b, "model.layers.1.self_attn.kv_b_proj.weight", 2 * (nope + v), 3);
  expectKvBSplit(kvb, values(kb, *ckpt),
                 values(get(p, "blk.1.attn_v_b.weight"), *ckpt), nope, v);
}

TEST(DeepseekV3Map, Fp8ScalesMustBeThere) {
  CheckpointBuilder b;
  addDeepseek(b, 2, 4, true);
  b.remove("model.layers.1.mlp.experts.1.up_proj.weight_scale_inv");
  expectPlanError(config(deepseekConfig(2, 4, kFp8Block2)), *b.open(),
                  "missing tensor 'model.layers.1.mlp.experts.1.up_proj."
                  "weight_scale_inv' (the block scales of F8_E4M3");
  CheckpointBuilder c;
  addDeepseek(c, 2, 4, true);
  c.remove("model.layers.0.self_attn.o_proj.weight_scale_inv");
  c.add("model.layers.0.self_attn.o_proj.weight_scale_inv", DType::F32, {8, 8});
  expectPlanError(config(deepseekConfig(2, 4, kFp8Block2)), *c.open(),
                  "o_proj.weight_scale_inv' has shape [8, 8], but config.json "
                  "implies [8, 4]");
}

TEST(DeepseekV3Map, MultiTokenPredictionLayers) {
  std::string cfg = deepseekConfig(3, 5, ",\"num_nextn_predict_layers\":1");
  {
    // Present: mapped after the head, under blk.2.
    CheckpointBuilder b;
    addDeepseek(b, 3, 5, false);
    addMtpLayer(b, 3, 5);
    WeightPlan p = plan(config(cfg), *b.open());
    EXPECT_EQ(p.weights.back().name, "blk.2.nextn.shared_head_head.weight");
    EXPECT_TRUE(p.find("blk.2.attn_k_b.weight"));
    EXPECT_TRUE(p.find("blk.2.ffn_gate_exps.weight")) << "MTP layers are MoE";
    EXPECT_EQ(get(p, "blk.2.nextn.eh_proj.weight").ne,
              (std::vector<uint64_t>{32, 16}));
  }
  {
    // Absent as a whole: fine (conversions often drop it).
    CheckpointBuilder b;
    addDeepseek(b, 3, 5, false);
    WeightPlan p = plan(config(cfg), *b.open());
    EXPECT_FALSE(p.find("blk.2.nextn.eh_proj.weight"));
  }
  {
    // Partly present: not.
    CheckpointBuilder b;
    addDeepseek(b, 3, 5, false);
    addMtpLayer(b, 3, 5);
    b.remove("model.layers.2.hnorm.weight");
    expectPlanError(config(cfg), *b.open(),
                    "missing tensor 'model.layers.2.hnorm.weight' (the "
                    "multi-token-prediction layer is incomplete)");
  }
  {
    // Present although config.json declares none.
    CheckpointBuilder b;
    addDeepseek(b, 3, 5, false);
    addMtpLayer(b, 3, 5);
    expectPlanError(config(deepseekConfig(3, 5)), *b.open(),
                    "is not part of the model config.json describes");
  }
}

} // namespace
