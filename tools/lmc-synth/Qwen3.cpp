//===- Qwen3.cpp - Qwen3 models (llama.cpp archs "qwen3", "qwen3moe") ------===//
//
// Pre-norm decoder: RMSNorm -> GQA attention with per-head RMSNorm on Q and K
// (QK-norm) before NEOX rope -> residual -> RMSNorm -> SwiGLU FFN ->
// residual; final RMSNorm and the output projection (absent when tied to the
// token embedding).
//
// Weight scales keep activations O(1): projections draw N(0, sd 1/sqrt(fan_in)),
// norm gains U(0.9, 1.1), the output projection sd 2/sqrt(hidden) so that
// logits have a standard deviation near 2. With tied embeddings the input
// embedding's copy in the residual stream would add |e_t|^2 > 0 to token t's
// own logit and make greedy decoding repeat its input; random signs on the
// output norm's gains (|g| in [0.9, 1.1]) cancel that bias on average.
//
//===----------------------------------------------------------------------===//

#include "tools/lmc-synth/Architectures.h"

#include <cmath>

using namespace lmc;
using namespace lmc::synth;
using gguf::Value;

namespace {
bool checkDims(const SynthOptions &o, std::string &error) {
  auto positive = [&](uint32_t v, const char *opt) {
    if (v > 0)
      return true;
    error = std::string(opt) + " must be positive";
    return false;
  };
  if (!positive(o.layers, "--layers") || !positive(o.hidden, "--hidden") ||
      !positive(o.heads, "--heads") || !positive(o.kvHeads, "--kv-heads") ||
      !positive(o.headDim, "--head-dim") || !positive(o.ffn, "--ffn") ||
      !positive(o.ctx, "--ctx"))
    return false;
  if (o.heads % o.kvHeads != 0) {
    error = "--heads " + std::to_string(o.heads) +
            " is not a multiple of --kv-heads " + std::to_string(o.kvHeads);
    return false;
  }
  if (o.headDim % 2 != 0) {
    error = "--head-dim must be even (rope rotates pairs)";
    return false;
  }
  if (!(o.eps > 0.0f) || !(o.ropeBase > 0.0f)) {
    error = "--eps and --rope-base must be positive";
    return false;
  }
  return true;
}
} // namespace

bool lmc::synth::planQwen3(const SynthOptions &o, const TypePolicy &types,
                           const TokenizerData &tok, ModelPlan &plan,
                           std::string &error) {
  if (!checkDims(o, error))
    return false;
  const uint64_t vocab = tok.tokens.size();
  const uint64_t hidden = o.hidden, ffn = o.ffn;
  const uint64_t qDim = uint64_t(o.heads) * o.headDim;
  const uint64_t kvDim = uint64_t(o.kvHeads) * o.headDim;
  const int nl = int(o.layers);
  // qwen3moe: every layer's FFN is a mixture of experts (softmax over all,
  // top k renormalised, as llama.cpp's qwen3moe does).
  const std::string arch = o.arch;
  const bool moe = arch == "qwen3moe";
  TypePolicy expertTypes;
  if (moe && !expertTypes.parse(o.expertType.empty() ? o.type : o.expertType, error))
    return false;

  // Metadata: the keys and value types llama.cpp's qwen3 loader reads
  // (counts u32, eps/freq f32, flags bool).
  plan.set("general.architecture", Value::makeString(arch));
  plan.set("general.name",
           Value::makeString(o.name.empty() ? "lmc-synth qwen3" : o.name));
  plan.set("general.file_type", Value::makeU32(types.fileType()));
  if (types.name() != "f32")
    plan.set("general.quantization_version", Value::makeU32(2));
  plan.set(arch + ".block_count", Value::makeU32(o.layers));
  plan.set(arch + ".context_length", Value::makeU32(o.ctx));
  plan.set(arch + ".embedding_length", Value::makeU32(o.hidden));
  plan.set(arch + ".feed_forward_length", Value::makeU32(o.ffn));
  plan.set(arch + ".attention.head_count", Value::makeU32(o.heads));
  plan.set(arch + ".attention.head_count_kv", Value::makeU32(o.kvHeads));
  plan.set(arch + ".attention.key_length", Value::makeU32(o.headDim));
  plan.set(arch + ".attention.value_length", Value::makeU32(o.headDim));
  plan.set(arch + ".rope.freq_base", Value::makeF32(o.ropeBase));
  plan.set(arch + ".attention.layer_norm_rms_epsilon", Value::makeF32(o.eps));
  if (o.ropeScaling == "yarn") {
    plan.set(arch + ".rope.scaling.type", Value::makeString("yarn"));
    plan.set(arch + ".rope.scaling.factor", Value::makeF32(o.ropeFactor));
    plan.set(arch + ".rope.scaling.original_context_length",
             Value::makeU32(o.ropeOriginalContext));
  }
  if (moe) {
    plan.set(arch + ".expert_count", Value::makeU32(o.experts));
    plan.set(arch + ".expert_used_count", Value::makeU32(o.expertsUsed));
    plan.set(arch + ".expert_feed_forward_length", Value::makeU32(o.expertFfn));
  }
  addTokenizerMetadata(tok, plan);

  // Tensors, ne in ggml order ({input features, output features}).
  auto weight = [&](const std::string &name, uint64_t in, uint64_t out,
                    WeightRole role, int layer, double stddev) {
    plan.tensors.push_back(
        {name, {in, out}, types.formatFor(role, layer, nl, o.tied),
         Init::normal(0.0, stddev)});
  };
  auto norm = [&](const std::string &name, uint64_t n) {
    plan.tensors.push_back(
        {name, {n}, quant::Format::F32, Init::uniform(0.9, 1.1)});
  };
  const double outStd = 2.0 / std::sqrt(double(hidden));
  weight("token_embd.weight", hidden, vocab, WeightRole::TokenEmbedding, -1,
         o.tied ? outStd : 1.0);
  for (int i = 0; i < nl; ++i) {
    std::string p = "blk." + std::to_string(i) + ".";
    double inStd = 1.0 / std::sqrt(double(hidden));
    norm(p + "attn_norm.weight", hidden);
    weight(p + "attn_q.weight", hidden, qDim, WeightRole::AttnQ, i, inStd);
    weight(p + "attn_k.weight", hidden, kvDim, WeightRole::AttnK, i, inStd);
    weight(p + "attn_v.weight", hidden, kvDim, WeightRole::AttnV, i, inStd);
    weight(p + "attn_output.weight", qDim, hidden, WeightRole::AttnOutput, i,
           1.0 / std::sqrt(double(qDim)));
    norm(p + "attn_q_norm.weight", o.headDim);
    norm(p + "attn_k_norm.weight", o.headDim);
    norm(p + "ffn_norm.weight", hidden);
    if (moe) {
      quant::Format ef = expertTypes.formatFor(WeightRole::Expert, i, nl, false);
      auto expert = [&](const std::string &name, uint64_t in, uint64_t out) {
        plan.tensors.push_back({name, {in, out, uint64_t(o.experts)}, ef,
                                Init::normal(0.0, 1.0 / std::sqrt(double(in)))});
      };
      weight(p + "ffn_gate_inp.weight", hidden, o.experts, WeightRole::Router, i, inStd);
      expert(p + "ffn_gate_exps.weight", hidden, o.expertFfn);
      expert(p + "ffn_up_exps.weight", hidden, o.expertFfn);
      expert(p + "ffn_down_exps.weight", o.expertFfn, hidden);
      continue;
    }
    weight(p + "ffn_gate.weight", hidden, ffn, WeightRole::FfnGate, i, inStd);
    weight(p + "ffn_up.weight", hidden, ffn, WeightRole::FfnUp, i, inStd);
    weight(p + "ffn_down.weight", ffn, hidden, WeightRole::FfnDown, i,
           1.0 / std::sqrt(double(ffn)));
  }
  if (o.tied)
    plan.tensors.push_back({"output_norm.weight", {hidden}, quant::Format::F32,
                            Init::signedUniform(0.9, 1.1)});
  else
    norm("output_norm.weight", hidden);
  if (!o.tied)
    weight("output.weight", hidden, vocab, WeightRole::Output, -1, outStd);

  auto &c = plan.config;
  c["arch"] = arch;
  c["layers"] = o.layers;
  c["hidden"] = o.hidden;
  c["heads"] = o.heads;
  c["kv_heads"] = o.kvHeads;
  c["head_dim"] = o.headDim;
  c["ffn"] = o.ffn;
  c["vocab"] = vocab;
  c["ctx"] = o.ctx;
  c["rope_base"] = jsonFloat(o.ropeBase);
  c["eps"] = jsonFloat(o.eps);
  c["tied"] = o.tied;
  c["rope_scaling"] = o.ropeScaling;
  if (moe) {
    c["experts"] = o.experts;
    c["experts_used"] = o.expertsUsed;
    c["expert_ffn"] = o.expertFfn;
  }
  return true;
}
