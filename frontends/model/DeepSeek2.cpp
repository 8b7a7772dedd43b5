//===- DeepSeek2.cpp - DeepSeek-V3 / V3.1 (llama.cpp "deepseek2") ----------===//
//
// Pre-norm decoder with multi-head latent attention: the query through a
// low-rank bottleneck (q_a -> RMSNorm -> q_b, or one attn_q without LoRA),
// per-head nope and rope parts; one compressed entry per position (kv_a ->
// latent RMSNorm ‖ decoupled rope key) in a latent KV cache, expanded to
// per-head keys and values by W_UK / W_UV (explicit form; --tfm-absorb-mla
// absorbs them). Interleaved rope with YaRN on the rope parts, whose
// attention factor (1 + yarn_log_multiplier ln factor) enters the softmax
// scale squared while the rope itself stays unscaled (as in llama.cpp).
// FFN: dense SwiGLU in the leading layers, then MoE (sigmoid scores, a
// selection bias, group-limited top-k, renormalised and scaled weights) plus
// the shared experts' SwiGLU.
//
//===----------------------------------------------------------------------===//
#include "frontends/model/Architectures.h"
#include "frontends/model/GraphBuilder.h"

#include <cmath>

using namespace mlir;
using namespace lmc;
using namespace lmc::frontend;

namespace lmc::frontend {
LogicalResult buildDeepSeek2(GraphBuilder &g, const ModelConfig &c);
}

LogicalResult lmc::frontend::buildDeepSeek2(GraphBuilder &g, const ModelConfig &c) {
  constexpr int64_t kDyn = ShapedType::kDynamic;
  MLIRContext *ctx = g.builder().getContext();
  const int64_t entry = c.kvLoraRank + c.qkRopeDim, h = c.heads;
  // The latent cache: one entry of kv_lora + rope floats per position.
  auto cacheType = tfm::KVCacheType::get(ctx, c.layers, 1, 1, entry, Float32Type::get(ctx));
  SmallVector<Value> args = g.beginForward(cacheType, c.vocab);
  Value tokens = args[0], start = args[1], cache = args[2], outRows = args[3];
  float eps = (float)c.rmsEps;
  tfm::RopeConfigAttr rope = g.ropeConfig(c.rope, c.qkRopeDim);
  double mscale = c.rope.scaling == tfm::RopeScaling::yarn
                      ? 1.0 + c.yarnLogMultiplier * std::log(c.rope.factor)
                      : 1.0;

  GraphBuilder::MlaSpec mla;
  mla.heads = h;
  mla.nope = c.qkNopeDim;
  mla.rope = c.qkRopeDim;
  mla.kvLora = c.kvLoraRank;
  mla.vDim = c.vHeadDim;
  mla.scale = float(mscale * mscale / std::sqrt(double(c.qkNopeDim + c.qkRopeDim)));

  GraphBuilder::MoeSpec moe;
  moe.experts = c.experts;
  moe.used = c.expertsUsed;
  moe.ffn = c.expertFfn;
  moe.routing = c.sigmoidRouting ? tfm::MoeRouting::sigmoid : tfm::MoeRouting::softmax_topk;
  moe.normalize = c.normalizeExpertWeights;
  moe.groups = c.expertGroups;
  moe.topkGroup = c.expertGroupsUsed;
  moe.routedScale = float(c.expertWeightsScale);

  auto swigluFfn = [&](Value x, const std::string &suffix, int64_t width, int64_t l) {
    auto w = [&](const char *name) {
      return "blk." + std::to_string(l) + "." + name + suffix + ".weight";
    };
    Value act = g.swiglu(g.linear(x, w("ffn_gate"), width), g.linear(x, w("ffn_up"), width));
    return g.linear(act, w("ffn_down"), c.hidden);
  };

  Value x = g.embedding("token_embd.weight", tokens, c.vocab, c.hidden);
  for (int64_t l = 0; l < c.layers; ++l) {
    std::string p = "blk." + std::to_string(l) + ".";
    auto w = [&](const char *name) { return p + name + ".weight"; };
    Value hn = g.rmsNorm(x, w("attn_norm"), eps);
    Value q = c.qLoraRank > 0
                  ? g.linear(g.rmsNorm(g.linear(hn, w("attn_q_a"), c.qLoraRank),
                                       w("attn_q_a_norm"), eps),
                             w("attn_q_b"), h * (c.qkNopeDim + c.qkRopeDim))
                  : g.linear(hn, w("attn_q"), h * (c.qkNopeDim + c.qkRopeDim));
    q = g.reshape(q, {kDyn, h, c.qkNopeDim + c.qkRopeDim});
    Value qNope = g.slice(q, 2, 0, c.qkNopeDim);
    Value qPe = g.ropeInterleaved(g.slice(q, 2, c.qkNopeDim, c.qkRopeDim), start, rope, 1.0f);

    Value kv = g.linear(hn, w("attn_kv_a_mqa"), entry);
    Value latent = g.rmsNorm(g.slice(kv, 1, 0, c.kvLoraRank), w("attn_kv_a_norm"), eps);
    Value kPe = g.ropeInterleaved(g.reshape(g.slice(kv, 1, c.kvLoraRank, c.qkRopeDim),
                                            {kDyn, 1, c.qkRopeDim}),
                                  start, rope, 1.0f);
    cache = g.cacheWrite(cache, g.concat({g.reshape(latent, {kDyn, 1, c.kvLoraRank}), kPe}, 2),
                         start, l, 0);
    mla.kB = w("attn_k_b");
    mla.vB = w("attn_v_b");
    Value attn = g.mlaAttention(qNope, qPe, cache, l, start, mla);
    x = g.add(x, g.linear(g.reshape(attn, {kDyn, h * c.vHeadDim}), w("attn_output"), c.hidden));

    hn = g.rmsNorm(x, w("ffn_norm"), eps);
    Value ffn;
    if (l < c.leadingDenseLayers) {
      ffn = swigluFfn(hn, "", c.ffn, l);
    } else {
      moe.router = w("ffn_gate_inp");
      moe.selectionBias = c.sigmoidRouting ? p + "exp_probs_b.bias" : "";
      moe.gate = w("ffn_gate_exps");
      moe.up = w("ffn_up_exps");
      moe.down = w("ffn_down_exps");
      ffn = g.moe(hn, moe);
      if (c.sharedExperts > 0)
        ffn = g.add(ffn, swigluFfn(hn, "_shexp", c.expertFfn * c.sharedExperts, l));
    }
    x = g.add(x, ffn);
  }
  x = tfm::LastRowsOp::create(g.builder(), g.loc(),
                              RankedTensorType::get({kDyn, c.hidden}, Float32Type::get(ctx)),
                              x, outRows);
  x = g.rmsNorm(x, "output_norm.weight", eps);
  g.endForward(g.linear(x, "output.weight", c.vocab));
  return failure(g.failed());
}
