//===- GptOss.cpp - the GPT-OSS architecture (llama.cpp "gpt-oss") ---------===//
//
// Pre-norm decoder: RMSNorm -> GQA attention with q/k/v/o biases, NeoX rope
// (YaRN), per-head attention sinks, a sliding window on alternate layers ->
// residual; RMSNorm (post_attention_norm) -> MoE with a biased router, top-k
// then softmax over the chosen, biased experts and the clamped SwiGLU ->
// residual; final RMSNorm and the (untied) output projection.
//
//===----------------------------------------------------------------------===//
#include "frontends/model/Architectures.h"
#include "frontends/model/GraphBuilder.h"

#include <cmath>

using namespace mlir;
using namespace lmc;
using namespace lmc::frontend;

namespace lmc::frontend {
LogicalResult buildGptOss(GraphBuilder &g, const ModelConfig &c);
}

static std::string blk(int64_t layer, const char *name) {
  return "blk." + std::to_string(layer) + "." + name;
}

LogicalResult lmc::frontend::buildGptOss(GraphBuilder &g, const ModelConfig &c) {
  constexpr int64_t kDyn = ShapedType::kDynamic;
  MLIRContext *ctx = g.builder().getContext();
  auto cacheType = tfm::KVCacheType::get(ctx, c.layers, 2, c.kvHeads, c.headDim,
                                         Float32Type::get(ctx));
  SmallVector<Value> args = g.beginForward(cacheType, c.vocab);
  Value tokens = args[0], start = args[1], cache = args[2], outRows = args[3];
  float eps = (float)c.rmsEps;
  tfm::RopeConfigAttr rope = g.ropeConfig(c.rope, c.headDim);
  // ggml's YaRN scales cos and sin by 1 + 0.1 ln(factor).
  float mscale = c.rope.scaling == tfm::RopeScaling::yarn
                     ? (float)(1.0 + 0.1 * std::log(c.rope.factor))
                     : 1.0f;
  float scale = 1.0f / std::sqrt((float)c.headDim);

  GraphBuilder::MoeSpec moe;
  moe.experts = c.experts;
  moe.used = c.expertsUsed;
  moe.ffn = c.expertFfn;
  moe.routing = tfm::MoeRouting::topk_softmax;
  moe.activation = tfm::GatedActivation::clamped_swiglu;
  moe.alpha = float(c.swigluAlpha);
  moe.limit = float(c.swigluLimit);

  Value x = g.embedding("token_embd.weight", tokens, c.vocab, c.hidden);
  for (int64_t l = 0; l < c.layers; ++l) {
    auto w = [&](const char *name) { return blk(l, name) + ".weight"; };
    auto b = [&](const char *name) { return blk(l, name) + ".bias"; };
    Value h = g.rmsNorm(x, w("attn_norm"), eps);
    Value q = g.reshape(g.linearWithBias(h, w("attn_q"), b("attn_q"), c.heads * c.headDim),
                        {kDyn, c.heads, c.headDim});
    Value k = g.reshape(g.linearWithBias(h, w("attn_k"), b("attn_k"), c.kvHeads * c.headDim),
                        {kDyn, c.kvHeads, c.headDim});
    Value v = g.reshape(g.linearWithBias(h, w("attn_v"), b("attn_v"), c.kvHeads * c.headDim),
                        {kDyn, c.kvHeads, c.headDim});
    q = g.ropeNeox(q, start, rope, mscale);
    k = g.ropeNeox(k, start, rope, mscale);
    cache = g.cacheWrite(cache, k, start, l, 0);
    cache = g.cacheWrite(cache, v, start, l, 1);
    int64_t window = c.isSlidingWindowLayer(l) ? c.slidingWindow : 0;
    Value sinks = g.vectorWeight(w("attn_sinks"), c.heads);
    Value attn = g.attention(q, cache, l, start, scale, window, sinks);
    attn = g.reshape(attn, {kDyn, c.heads * c.headDim});
    x = g.add(x, g.linearWithBias(attn, w("attn_output"), b("attn_output"), c.hidden));

    h = g.rmsNorm(x, w("post_attention_norm"), eps);
    moe.router = w("ffn_gate_inp");
    moe.routerBias = b("ffn_gate_inp");
    moe.gate = w("ffn_gate_exps");
    moe.gateBias = b("ffn_gate_exps");
    moe.up = w("ffn_up_exps");
    moe.upBias = b("ffn_up_exps");
    moe.down = w("ffn_down_exps");
    moe.downBias = b("ffn_down_exps");
    x = g.add(x, g.moe(h, moe));
  }
  x = tfm::LastRowsOp::create(g.builder(), g.loc(),
                              RankedTensorType::get({kDyn, c.hidden}, Float32Type::get(ctx)),
                              x, outRows);
  x = g.rmsNorm(x, "output_norm.weight", eps);
  g.endForward(g.linear(x, "output.weight", c.vocab));
  return failure(g.failed());
}
