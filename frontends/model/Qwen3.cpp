//===- Qwen3.cpp - Qwen3 dense and MoE (llama.cpp "qwen3", "qwen3moe") -----===//
//
// Pre-norm decoder: RMSNorm -> GQA attention with per-head RMSNorm of q and k
// (QK-norm) before NeoX rotary embeddings -> residual; RMSNorm -> SwiGLU MLP,
// or for qwen3moe a mixture of experts (softmax over all experts, the top k
// renormalised, SwiGLU experts) -> residual; final RMSNorm and the output
// projection (tied to the token embedding when the file has no output.weight).
//
//===----------------------------------------------------------------------===//
#include "frontends/model/Architectures.h"
#include "frontends/model/GraphBuilder.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <cmath>

using namespace mlir;
using namespace lmc;
using namespace lmc::frontend;

namespace lmc::frontend {
LogicalResult buildQwen3(GraphBuilder &g, const ModelConfig &c);
}

static std::string blk(int64_t layer, const char *name) {
  return "blk." + std::to_string(layer) + "." + name + ".weight";
}

LogicalResult lmc::frontend::buildQwen3(GraphBuilder &g, const ModelConfig &c) {
  constexpr int64_t kDyn = ShapedType::kDynamic;
  MLIRContext *ctx = g.builder().getContext();
  auto cacheType = tfm::KVCacheType::get(ctx, c.layers, 2, c.kvHeads, c.headDim,
                                         Float32Type::get(ctx));
  SmallVector<Value> args = g.beginForward(cacheType, c.vocab);
  Value tokens = args[0], start = args[1], cache = args[2], outRows = args[3];
  float eps = (float)c.rmsEps;
  tfm::RopeConfigAttr rope = g.ropeConfig(c.rope, c.headDim);
  // YaRN scales cos and sin by 1 + 0.1 ln(factor).
  float mscale = c.rope.scaling == tfm::RopeScaling::yarn
                     ? (float)(1.0 + 0.1 * std::log(c.rope.factor))
                     : 1.0f;
  float scale = 1.0f / std::sqrt((float)c.headDim);
  GraphBuilder::MoeSpec moe;
  moe.experts = c.experts;
  moe.used = c.expertsUsed;
  moe.ffn = c.expertFfn;
  moe.routing = tfm::MoeRouting::softmax_topk;
  moe.normalize = true;

  Value x = g.embedding("token_embd.weight", tokens, c.vocab, c.hidden);
  for (int64_t l = 0; l < c.layers; ++l) {
    Value h = g.rmsNorm(x, blk(l, "attn_norm"), eps);
    Value q = g.reshape(g.linear(h, blk(l, "attn_q"), c.heads * c.headDim),
                        {kDyn, c.heads, c.headDim});
    Value k = g.reshape(g.linear(h, blk(l, "attn_k"), c.kvHeads * c.headDim),
                        {kDyn, c.kvHeads, c.headDim});
    Value v = g.reshape(g.linear(h, blk(l, "attn_v"), c.kvHeads * c.headDim),
                        {kDyn, c.kvHeads, c.headDim});
    q = g.ropeNeox(g.rmsNorm(q, blk(l, "attn_q_norm"), eps), start, rope, mscale);
    k = g.ropeNeox(g.rmsNorm(k, blk(l, "attn_k_norm"), eps), start, rope, mscale);
    cache = g.cacheWrite(cache, k, start, l, 0);
    cache = g.cacheWrite(cache, v, start, l, 1);
    Value attn = g.attention(q, cache, l, start, scale);
    attn = g.reshape(attn, {kDyn, c.heads * c.headDim});
    x = g.add(x, g.linear(attn, blk(l, "attn_output"), c.hidden));

    h = g.rmsNorm(x, blk(l, "ffn_norm"), eps);
    if (c.experts > 0) {
      moe.router = blk(l, "ffn_gate_inp");
      moe.gate = blk(l, "ffn_gate_exps");
      moe.up = blk(l, "ffn_up_exps");
      moe.down = blk(l, "ffn_down_exps");
      x = g.add(x, g.moe(h, moe));
      continue;
    }
    Value gate = g.linear(h, blk(l, "ffn_gate"), c.ffn);
    Value up = g.linear(h, blk(l, "ffn_up"), c.ffn);
    x = g.add(x, g.linear(g.swiglu(gate, up), blk(l, "ffn_down"), c.hidden));
  }
  x = tfm::LastRowsOp::create(g.builder(), g.loc(),
                              RankedTensorType::get({kDyn, c.hidden},
                                                    Float32Type::get(ctx)),
                              x, outRows);
  x = g.rmsNorm(x, "output_norm.weight", eps);
  const char *output = g.hasWeight("output.weight") ? "output.weight"
                                                    : "token_embd.weight";
  g.endForward(g.linear(x, output, c.vocab));
  return failure(g.failed());
}
