//===- GptOss.cpp - GPT-OSS models (llama.cpp arch "gpt-oss") -------------===//
//
// Pre-norm decoder with q/k/v/o biases, per-head attention sinks, NeoX rope
// with YaRN, a sliding window on even layers, and a mixture of experts with a
// biased router (top-k, then softmax over the chosen), biased experts and
// the clamped SwiGLU. Expert weights take --expert-type (MXFP4 in the real
// models), everything else --type; norms, biases and sinks are F32.
//
// Scales: projections N(0, 1/sqrt(fan_in)); gate and up biases sd 3 so that
// the clamps at +-7 are exercised on a few percent of the values; down
// projections sd 0.5/sqrt(fan_in) to keep the residual stream moderate;
// sinks N(0, 1); output sd 2/sqrt(hidden) (logits of sd ~2).
//
//===----------------------------------------------------------------------===//

#include "tools/lmc-synth/Architectures.h"

#include <cmath>

using namespace lmc;
using namespace lmc::synth;
using gguf::Value;

bool lmc::synth::planGptOss(const SynthOptions &o, const TypePolicy &types,
                            const TokenizerData &tok, ModelPlan &plan,
                            std::string &error) {
  auto positive = [&](uint32_t v, const char *opt) {
    if (v > 0)
      return true;
    error = std::string(opt) + " must be positive";
    return false;
  };
  if (!positive(o.layers, "--layers") || !positive(o.hidden, "--hidden") ||
      !positive(o.heads, "--heads") || !positive(o.kvHeads, "--kv-heads") ||
      !positive(o.headDim, "--head-dim") || !positive(o.experts, "--experts") ||
      !positive(o.expertsUsed, "--experts-used") || !positive(o.expertFfn, "--expert-ffn") ||
      !positive(o.slidingWindow, "--sliding-window") || !positive(o.ctx, "--ctx"))
    return false;
  if (o.heads % o.kvHeads != 0 || o.headDim % 2 != 0) {
    error = "--heads must be a multiple of --kv-heads and --head-dim even";
    return false;
  }
  if (o.expertsUsed > o.experts) {
    error = "--experts-used exceeds --experts";
    return false;
  }
  TypePolicy expertTypes;
  if (!expertTypes.parse(o.expertType.empty() ? o.type : o.expertType, error))
    return false;

  const uint64_t vocab = tok.tokens.size(), hidden = o.hidden, ffn = o.expertFfn;
  const uint64_t qDim = uint64_t(o.heads) * o.headDim;
  const uint64_t kvDim = uint64_t(o.kvHeads) * o.headDim;
  const uint64_t experts = o.experts;
  const int nl = int(o.layers);
  const std::string arch = "gpt-oss";

  plan.set("general.architecture", Value::makeString(arch));
  plan.set("general.name", Value::makeString(o.name.empty() ? "lmc-synth gpt-oss" : o.name));
  plan.set("general.file_type", Value::makeU32(types.fileType()));
  plan.set("general.quantization_version", Value::makeU32(2));
  plan.set(arch + ".block_count", Value::makeU32(o.layers));
  plan.set(arch + ".context_length", Value::makeU32(o.ctx));
  plan.set(arch + ".embedding_length", Value::makeU32(o.hidden));
  plan.set(arch + ".feed_forward_length", Value::makeU32(o.expertFfn));
  plan.set(arch + ".attention.head_count", Value::makeU32(o.heads));
  plan.set(arch + ".attention.head_count_kv", Value::makeU32(o.kvHeads));
  plan.set(arch + ".attention.key_length", Value::makeU32(o.headDim));
  plan.set(arch + ".attention.value_length", Value::makeU32(o.headDim));
  plan.set(arch + ".attention.layer_norm_rms_epsilon", Value::makeF32(o.eps));
  plan.set(arch + ".attention.sliding_window", Value::makeU32(o.slidingWindow));
  plan.set(arch + ".rope.freq_base", Value::makeF32(o.ropeBase));
  plan.set(arch + ".rope.dimension_count", Value::makeU32(o.headDim));
  if (o.ropeScaling == "yarn") {
    plan.set(arch + ".rope.scaling.type", Value::makeString("yarn"));
    plan.set(arch + ".rope.scaling.factor", Value::makeF32(o.ropeFactor));
    plan.set(arch + ".rope.scaling.original_context_length",
             Value::makeU32(o.ropeOriginalContext));
  }
  plan.set(arch + ".expert_count", Value::makeU32(o.experts));
  plan.set(arch + ".expert_used_count", Value::makeU32(o.expertsUsed));
  plan.set(arch + ".expert_feed_forward_length", Value::makeU32(o.expertFfn));
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
  const double inStd = 1.0 / std::sqrt(double(hidden));
  weight("token_embd.weight", {hidden, vocab}, fmt(WeightRole::TokenEmbedding, -1), 1.0);
  for (int i = 0; i < nl; ++i) {
    std::string p = "blk." + std::to_string(i) + ".";
    f32(p + "attn_norm.weight", {hidden}, Init::uniform(0.9, 1.1));
    weight(p + "attn_q.weight", {hidden, qDim}, fmt(WeightRole::AttnQ, i), inStd);
    f32(p + "attn_q.bias", {qDim}, Init::normal(0.0, 0.1));
    weight(p + "attn_k.weight", {hidden, kvDim}, fmt(WeightRole::AttnK, i), inStd);
    f32(p + "attn_k.bias", {kvDim}, Init::normal(0.0, 0.1));
    weight(p + "attn_v.weight", {hidden, kvDim}, fmt(WeightRole::AttnV, i), inStd);
    f32(p + "attn_v.bias", {kvDim}, Init::normal(0.0, 0.1));
    weight(p + "attn_output.weight", {qDim, hidden}, fmt(WeightRole::AttnOutput, i),
           1.0 / std::sqrt(double(qDim)));
    f32(p + "attn_output.bias", {hidden}, Init::normal(0.0, 0.1));
    f32(p + "attn_sinks.weight", {uint64_t(o.heads)}, Init::normal(0.0, 1.0));
    f32(p + "post_attention_norm.weight", {hidden}, Init::uniform(0.9, 1.1));
    weight(p + "ffn_gate_inp.weight", {hidden, experts}, fmt(WeightRole::Router, i), inStd);
    f32(p + "ffn_gate_inp.bias", {experts}, Init::normal(0.0, 0.5));
    weight(p + "ffn_gate_exps.weight", {hidden, ffn, experts}, expertFormat, inStd);
    f32(p + "ffn_gate_exps.bias", {ffn, experts}, Init::normal(0.0, 3.0));
    weight(p + "ffn_up_exps.weight", {hidden, ffn, experts}, expertFormat, inStd);
    f32(p + "ffn_up_exps.bias", {ffn, experts}, Init::normal(0.0, 3.0));
    weight(p + "ffn_down_exps.weight", {ffn, hidden, experts}, expertFormat,
           0.5 / std::sqrt(double(ffn)));
    f32(p + "ffn_down_exps.bias", {hidden, experts}, Init::normal(0.0, 0.1));
  }
  f32("output_norm.weight", {hidden}, Init::uniform(0.9, 1.1));
  weight("output.weight", {hidden, vocab}, fmt(WeightRole::Output, -1),
         2.0 / std::sqrt(double(hidden)));

  auto &c = plan.config;
  c["arch"] = arch;
  c["layers"] = o.layers;
  c["hidden"] = o.hidden;
  c["heads"] = o.heads;
  c["kv_heads"] = o.kvHeads;
  c["head_dim"] = o.headDim;
  c["experts"] = o.experts;
  c["experts_used"] = o.expertsUsed;
  c["expert_ffn"] = o.expertFfn;
  c["expert_type"] = o.expertType.empty() ? o.type : o.expertType;
  c["sliding_window"] = o.slidingWindow;
  c["vocab"] = vocab;
  c["ctx"] = o.ctx;
  c["rope_base"] = jsonFloat(o.ropeBase);
  c["rope_scaling"] = o.ropeScaling;
  if (o.ropeScaling == "yarn") {
    c["rope_factor"] = jsonFloat(o.ropeFactor);
    c["rope_original_context"] = o.ropeOriginalContext;
  }
  c["eps"] = jsonFloat(o.eps);
  return true;
}
