//===- DeepSeek2.cpp - DeepSeek-V3 models (llama.cpp arch "deepseek2") ----===//
//
// Written in llama.cpp's MLA layout (key_length_mla/value_length_mla present,
// kv_b split per head into attn_k_b and attn_v_b), which is what makes
// llama.cpp run the absorbed latent attention: attn_q_a -> attn_q_a_norm ->
// attn_q_b; attn_kv_a_mqa -> attn_kv_a_norm on the latent; attn_k_b
// {nope, kv_lora, heads}, attn_v_b {kv_lora, v, heads}. The first
// --leading-dense layers have a dense SwiGLU FFN; the others a sigmoid-gated
// MoE with the score-correction bias exp_probs_b, expert groups, renormalised
// weights times --routed-scale, and --shared-experts shared experts.
//
// attn_k_b and attn_v_b are always F32: with them in F16 or Q8_0, the
// llama.cpp of node-llama-cpp 3.22.1 aborts at the first decode (its
// scheduler finds no backend for the batched per-head products:
// GGML_ASSERT(*cur_backend_id != -1), seen on an AVX-512/AMX machine).
//
// Scales: projections N(0, 1/sqrt(fan_in)); the selection bias sd 0.5, so
// that it changes which experts are chosen; output sd 2/sqrt(hidden).
//
//===----------------------------------------------------------------------===//

#include "tools/lmc-synth/Architectures.h"

#include <cmath>

using namespace lmc;
using namespace lmc::synth;
using gguf::Value;

bool lmc::synth::planDeepSeek2(const SynthOptions &o, const TypePolicy &types,
                               const TokenizerData &tok, ModelPlan &plan, std::string &error) {
  for (auto [v, opt] : {std::pair<uint32_t, const char *>{o.layers, "--layers"},
                        {o.hidden, "--hidden"}, {o.heads, "--heads"}, {o.ffn, "--ffn"},
                        {o.kvLoraRank, "--kv-lora-rank"}, {o.qkNopeDim, "--qk-nope-dim"},
                        {o.qkRopeDim, "--qk-rope-dim"}, {o.vHeadDim, "--v-head-dim"},
                        {o.experts, "--experts"}, {o.expertsUsed, "--experts-used"},
                        {o.expertFfn, "--expert-ffn"}, {o.expertGroups, "--expert-groups"},
                        {o.expertGroupsUsed, "--expert-groups-used"}, {o.ctx, "--ctx"}})
    if (v == 0) {
      error = std::string(opt) + " must be positive";
      return false;
    }
  // llama.cpp reads deepseek2 models of 26 or 27 layers as DeepSeek-V2-Lite
  // (no query LoRA) and requires attention.q_lora_rank of all others.
  bool lite = o.layers == 26 || o.layers == 27;
  if (lite != (o.qLoraRank == 0)) {
    error = "llama.cpp reads only 26- and 27-layer deepseek2 models without a query LoRA: use "
            "--q-lora-rank 0 with --layers 26 or 27, and a positive --q-lora-rank otherwise";
    return false;
  }
  if (o.experts % o.expertGroups != 0 || o.expertGroupsUsed > o.expertGroups ||
      o.expertsUsed > o.experts / o.expertGroups * o.expertGroupsUsed) {
    error = "--expert-groups must divide --experts, with --expert-groups-used <= it and enough "
            "experts in the groups used for --experts-used";
    return false;
  }
  if (o.qkRopeDim % 2 != 0) {
    error = "--qk-rope-dim must be even";
    return false;
  }
  TypePolicy expertTypes;
  if (!expertTypes.parse(o.expertType.empty() ? o.type : o.expertType, error))
    return false;

  const uint64_t vocab = tok.tokens.size(), hidden = o.hidden, heads = o.heads;
  const uint64_t nope = o.qkNopeDim, rope = o.qkRopeDim, kvLora = o.kvLoraRank, v = o.vHeadDim;
  const uint64_t experts = o.experts, effn = o.expertFfn;
  const int nl = int(o.layers);
  const std::string arch = "deepseek2";

  plan.set("general.architecture", Value::makeString(arch));
  plan.set("general.name", Value::makeString(o.name.empty() ? "lmc-synth deepseek2" : o.name));
  plan.set("general.file_type", Value::makeU32(types.fileType()));
  plan.set("general.quantization_version", Value::makeU32(2));
  plan.set(arch + ".block_count", Value::makeU32(o.layers));
  plan.set(arch + ".context_length", Value::makeU32(o.ctx));
  plan.set(arch + ".embedding_length", Value::makeU32(o.hidden));
  plan.set(arch + ".feed_forward_length", Value::makeU32(o.ffn));
  plan.set(arch + ".attention.head_count", Value::makeU32(o.heads));
  plan.set(arch + ".attention.head_count_kv", Value::makeU32(1));
  plan.set(arch + ".attention.key_length", Value::makeU32(o.kvLoraRank + o.qkRopeDim));
  plan.set(arch + ".attention.value_length", Value::makeU32(o.kvLoraRank));
  plan.set(arch + ".attention.key_length_mla", Value::makeU32(o.qkNopeDim + o.qkRopeDim));
  plan.set(arch + ".attention.value_length_mla", Value::makeU32(o.vHeadDim));
  plan.set(arch + ".attention.layer_norm_rms_epsilon", Value::makeF32(o.eps));
  if (o.qLoraRank > 0)
    plan.set(arch + ".attention.q_lora_rank", Value::makeU32(o.qLoraRank));
  plan.set(arch + ".attention.kv_lora_rank", Value::makeU32(o.kvLoraRank));
  plan.set(arch + ".rope.freq_base", Value::makeF32(o.ropeBase));
  plan.set(arch + ".rope.dimension_count", Value::makeU32(o.qkRopeDim));
  if (o.ropeScaling == "yarn") {
    plan.set(arch + ".rope.scaling.type", Value::makeString("yarn"));
    plan.set(arch + ".rope.scaling.factor", Value::makeF32(o.ropeFactor));
    plan.set(arch + ".rope.scaling.original_context_length", Value::makeU32(o.ropeOriginalContext));
    // As llama.cpp's converter writes it: 0.1 * mscale_all_dim.
    plan.set(arch + ".rope.scaling.yarn_log_multiplier", Value::makeF32(0.1f * o.mscaleAllDim));
  }
  plan.set(arch + ".leading_dense_block_count", Value::makeU32(o.leadingDense));
  plan.set(arch + ".expert_count", Value::makeU32(o.experts));
  plan.set(arch + ".expert_used_count", Value::makeU32(o.expertsUsed));
  plan.set(arch + ".expert_shared_count", Value::makeU32(o.sharedExperts));
  plan.set(arch + ".expert_feed_forward_length", Value::makeU32(o.expertFfn));
  plan.set(arch + ".expert_weights_scale", Value::makeF32(o.routedScale));
  plan.set(arch + ".expert_weights_norm", Value::makeBool(true));
  plan.set(arch + ".expert_gating_func", Value::makeU32(2));
  plan.set(arch + ".expert_group_count", Value::makeU32(o.expertGroups));
  plan.set(arch + ".expert_group_used_count", Value::makeU32(o.expertGroupsUsed));
  addTokenizerMetadata(tok, plan);

  auto weight = [&](const std::string &name, std::vector<uint64_t> ne, quant::Format f,
                    double stddev) {
    plan.tensors.push_back({name, std::move(ne), f, Init::normal(0.0, stddev)});
  };
  auto f32 = [&](const std::string &name, std::vector<uint64_t> ne, Init init) {
    plan.tensors.push_back({name, std::move(ne), quant::Format::F32, init});
  };
  auto fmt = [&](WeightRole role, int layer) { return types.formatFor(role, layer, nl, false); };
  quant::Format expertFormat = expertTypes.formatFor(WeightRole::Expert, -1, nl, false);
  auto sd = [](uint64_t fanIn) { return 1.0 / std::sqrt(double(fanIn)); };
  weight("token_embd.weight", {hidden, vocab}, fmt(WeightRole::TokenEmbedding, -1), 1.0);
  for (int i = 0; i < nl; ++i) {
    std::string p = "blk." + std::to_string(i) + ".";
    f32(p + "attn_norm.weight", {hidden}, Init::uniform(0.9, 1.1));
    if (o.qLoraRank > 0) {
      weight(p + "attn_q_a.weight", {hidden, o.qLoraRank}, fmt(WeightRole::AttnQ, i), sd(hidden));
      f32(p + "attn_q_a_norm.weight", {o.qLoraRank}, Init::uniform(0.9, 1.1));
      weight(p + "attn_q_b.weight", {o.qLoraRank, heads * (nope + rope)},
             fmt(WeightRole::AttnQ, i), sd(o.qLoraRank));
    } else {
      weight(p + "attn_q.weight", {hidden, heads * (nope + rope)}, fmt(WeightRole::AttnQ, i),
             sd(hidden));
    }
    weight(p + "attn_kv_a_mqa.weight", {hidden, kvLora + rope}, fmt(WeightRole::AttnK, i),
           sd(hidden));
    f32(p + "attn_kv_a_norm.weight", {kvLora}, Init::uniform(0.9, 1.1));
    weight(p + "attn_k_b.weight", {nope, kvLora, heads}, fmt(WeightRole::LatentProjection, i),
           sd(kvLora));
    weight(p + "attn_v_b.weight", {kvLora, v, heads}, fmt(WeightRole::LatentProjection, i),
           sd(kvLora));
    weight(p + "attn_output.weight", {heads * v, hidden}, fmt(WeightRole::AttnOutput, i),
           sd(heads * v));
    f32(p + "ffn_norm.weight", {hidden}, Init::uniform(0.9, 1.1));
    if (uint32_t(i) < o.leadingDense) {
      weight(p + "ffn_gate.weight", {hidden, o.ffn}, fmt(WeightRole::FfnGate, i), sd(hidden));
      weight(p + "ffn_up.weight", {hidden, o.ffn}, fmt(WeightRole::FfnUp, i), sd(hidden));
      weight(p + "ffn_down.weight", {o.ffn, hidden}, fmt(WeightRole::FfnDown, i), sd(o.ffn));
      continue;
    }
    weight(p + "ffn_gate_inp.weight", {hidden, experts}, fmt(WeightRole::Router, i), sd(hidden));
    f32(p + "exp_probs_b.bias", {experts}, Init::normal(0.0, 0.5));
    weight(p + "ffn_gate_exps.weight", {hidden, effn, experts}, expertFormat, sd(hidden));
    weight(p + "ffn_up_exps.weight", {hidden, effn, experts}, expertFormat, sd(hidden));
    weight(p + "ffn_down_exps.weight", {effn, hidden, experts}, expertFormat, sd(effn));
    if (o.sharedExperts > 0) {
      uint64_t shared = effn * o.sharedExperts;
      weight(p + "ffn_gate_shexp.weight", {hidden, shared}, fmt(WeightRole::FfnGate, i),
             sd(hidden));
      weight(p + "ffn_up_shexp.weight", {hidden, shared}, fmt(WeightRole::FfnUp, i), sd(hidden));
      weight(p + "ffn_down_shexp.weight", {shared, hidden}, fmt(WeightRole::FfnDown, i),
             sd(shared));
    }
  }
  f32("output_norm.weight", {hidden}, Init::uniform(0.9, 1.1));
  weight("output.weight", {hidden, vocab}, fmt(WeightRole::Output, -1),
         2.0 / std::sqrt(double(hidden)));

  auto &c = plan.config;
  c["arch"] = arch;
  c["layers"] = o.layers;
  c["hidden"] = o.hidden;
  c["heads"] = o.heads;
  c["q_lora_rank"] = o.qLoraRank;
  c["kv_lora_rank"] = o.kvLoraRank;
  c["qk_nope_dim"] = o.qkNopeDim;
  c["qk_rope_dim"] = o.qkRopeDim;
  c["v_head_dim"] = o.vHeadDim;
  c["ffn"] = o.ffn;
  c["experts"] = o.experts;
  c["experts_used"] = o.expertsUsed;
  c["expert_ffn"] = o.expertFfn;
  c["shared_experts"] = o.sharedExperts;
  c["leading_dense"] = o.leadingDense;
  c["expert_groups"] = o.expertGroups;
  c["expert_groups_used"] = o.expertGroupsUsed;
  c["routed_scale"] = jsonFloat(o.routedScale);
  c["vocab"] = vocab;
  c["ctx"] = o.ctx;
  c["rope_base"] = jsonFloat(o.ropeBase);
  c["rope_scaling"] = o.ropeScaling;
  c["eps"] = jsonFloat(o.eps);
  return true;
}
