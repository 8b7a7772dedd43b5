//===- FuseMoe.cpp - primitive mixture-of-experts -> tfm.moe --------------===//
//
// The primitive MoE layer of x : [T, H] with k experts per token:
//
//   logits = matmul(x, router) [+ dequantize(router_bias)]            [T, E]
//   routing, one of
//     topk_softmax:  v, ids = top_k(logits, k);  w = softmax(v, along 1)
//     softmax_topk:  v, ids = top_k(softmax(logits, along 1), k);
//                    w = v  or (normalize)  v / reduce_sum(v, along 1)
//   g = expert_matmul(x, gate[ids]) [+ embedding(gate_bias, ids)]     [T, k, F]
//   u = expert_matmul(x, up[ids])   [+ embedding(up_bias, ids)]
//   a = swiglu(g, u) | clamped_swiglu(g, u)
//   d = expert_matmul(a, down[ids]) [+ embedding(down_bias, ids)]     [T, k, H]
//   y = reshape(reduce_sum(d * reshape(w, [T, k, 1]), along 1), [T, H])
//
//===----------------------------------------------------------------------===//
#include "passes/PatternUtils.h"
#include "passes/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace lmc {
#define GEN_PASS_DEF_TFMFUSEMOE
#include "passes/Passes.h.inc"
} // namespace lmc

using namespace mlir;
using namespace lmc;
using namespace lmc::tfm;

namespace {

/// `expert_matmul(input, weight[ids]) [+ embedding(bias, ids)]`.
struct ExpertProduct {
  Value input, weight, bias;
};

/// Matches an expert product over `ids`, with an optional gathered bias. The
/// kernels of tfm.moe read biases as f32.
std::optional<ExpertProduct> matchExpertProduct(Value v, Value ids) {
  Value bias;
  if (auto add = v.getDefiningOp<AddOp>()) {
    Value product;
    bool matched = matchEitherOrder(add.getLhs(), add.getRhs(), [&](Value p, Value b) {
      auto gather = b.getDefiningOp<EmbeddingOp>();
      if (!gather || gather.getIds() != ids || b.getType() != add.getType() ||
          cast<WeightType>(gather.getTable().getType()).getStorage() != StorageType::f32)
        return false;
      product = p;
      bias = gather.getTable();
      return true;
    });
    if (!matched)
      return std::nullopt;
    v = product;
  }
  auto matmul = v.getDefiningOp<ExpertMatmulOp>();
  if (!matmul || matmul.getExperts() != ids)
    return std::nullopt;
  return ExpertProduct{matmul.getInput(), matmul.getWeight(), bias};
}

/// `matmul(x, router) [+ dequantize(bias)]`.
struct RouterLogits {
  Value input, router, bias;
};

std::optional<RouterLogits> matchRouterLogits(Value v) {
  Value bias;
  if (auto add = v.getDefiningOp<AddOp>()) {
    Value product;
    bool matched = matchEitherOrder(add.getLhs(), add.getRhs(), [&](Value p, Value b) {
      auto dq = b.getDefiningOp<DequantizeOp>();
      if (!dq || cast<WeightType>(dq.getWeight().getType()).getStorage() != StorageType::f32 ||
          p.getType() != add.getType())
        return false;
      product = p;
      bias = dq.getWeight();
      return true;
    });
    if (!matched)
      return std::nullopt;
    v = product;
  }
  auto matmul = v.getDefiningOp<MatmulOp>();
  if (!matmul)
    return std::nullopt;
  return RouterLogits{matmul.getInput(), matmul.getWeight(), bias};
}

struct Routing {
  RouterLogits logits;
  TopKOp topk;
  MoeRouting kind;
  bool normalize = false;
};

/// The routing that produced `weights` and `ids` (both [T, k]).
std::optional<Routing> matchRouting(Value weights, Value ids) {
  auto topk = ids.getDefiningOp<TopKOp>();
  if (!topk || topk.getIndices() != ids || getRank(ids) != 2)
    return std::nullopt;
  Routing r;
  r.topk = topk;
  Value values = topk.getValues();
  if (auto softmax = weights.getDefiningOp<SoftmaxOp>()) {
    // topk_softmax: a softmax over the chosen logits.
    if (softmax.getInput() != values || softmax.getAxis() != 1 || softmax.getSinks())
      return std::nullopt;
    r.kind = MoeRouting::topk_softmax;
    std::optional<RouterLogits> logits = matchRouterLogits(topk.getInput());
    if (!logits)
      return std::nullopt;
    r.logits = *logits;
    return r;
  }
  // softmax_topk: the chosen probabilities, optionally renormalised.
  if (auto div = weights.getDefiningOp<DivOp>()) {
    auto sum = div.getRhs().getDefiningOp<ReduceSumOp>();
    if (div.getLhs() != values || !sum || sum.getInput() != values || sum.getAxis() != 1)
      return std::nullopt;
    r.normalize = true;
  } else if (weights != values) {
    return std::nullopt;
  }
  auto probs = topk.getInput().getDefiningOp<SoftmaxOp>();
  if (!probs || probs.getAxis() != 1 || probs.getSinks())
    return std::nullopt;
  std::optional<RouterLogits> logits = matchRouterLogits(probs.getInput());
  if (!logits)
    return std::nullopt;
  r.kind = MoeRouting::softmax_topk;
  r.logits = *logits;
  return r;
}

struct FuseMoePattern : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ReshapeOp op, PatternRewriter &rewriter) const override {
    auto sum = op.getInput().getDefiningOp<ReduceSumOp>();
    if (!sum || sum.getAxis() != 1 || getRank(sum.getInput()) != 3)
      return rewriter.notifyMatchFailure(op, "not a sum over expert slots");
    auto weighted = sum.getInput().getDefiningOp<MulOp>();
    if (!weighted)
      return rewriter.notifyMatchFailure(op, "slots are not weighted");
    Value down, weights;
    bool matched = matchEitherOrder(weighted.getLhs(), weighted.getRhs(), [&](Value d, Value w) {
      auto column = w.getDefiningOp<ReshapeOp>();
      if (!column || getRank(column.getInput()) != 2 || getShape(w).back() != 1 ||
          d.getType() != weighted.getType())
        return false;
      down = d;
      weights = column.getInput();
      return true;
    });
    if (!matched)
      return rewriter.notifyMatchFailure(op, "not experts * reshape(weights, [T, k, 1])");

    // The ids every expert product uses are the routing's.
    auto downMatmul = [&]() -> ExpertMatmulOp {
      Value v = down;
      if (auto add = v.getDefiningOp<AddOp>())
        for (Value operand : {add.getLhs(), add.getRhs()})
          if (auto m = operand.getDefiningOp<ExpertMatmulOp>())
            return m;
      return v.getDefiningOp<ExpertMatmulOp>();
    }();
    if (!downMatmul)
      return rewriter.notifyMatchFailure(op, "no down expert product");
    Value ids = downMatmul.getExperts();
    std::optional<Routing> routing = matchRouting(weights, ids);
    if (!routing)
      return rewriter.notifyMatchFailure(op, "unknown routing");
    Value x = routing->logits.input;

    std::optional<ExpertProduct> downProduct = matchExpertProduct(down, ids);
    if (!downProduct)
      return rewriter.notifyMatchFailure(op, "down is not an expert product");
    Operation *act = downProduct->input.getDefiningOp();
    if (!act || !isa<SwiGLUOp, ClampedSwiGLUOp>(act))
      return rewriter.notifyMatchFailure(op, "no fused gated activation");
    std::optional<ExpertProduct> gate = matchExpertProduct(act->getOperand(0), ids);
    std::optional<ExpertProduct> up = matchExpertProduct(act->getOperand(1), ids);
    if (!gate || !up || gate->input != x || up->input != x)
      return rewriter.notifyMatchFailure(op, "gate and up are not products of the router input");
    if (getShape(x).size() != 2 || op.getType() != x.getType())
      return rewriter.notifyMatchFailure(op, "result is not [tokens, hidden]");

    auto moe = MoeOp::create(
        rewriter, op.getLoc(), op.getType(), x, routing->logits.router, routing->logits.bias,
        /*selection_bias=*/Value(), gate->weight, gate->bias, up->weight, up->bias,
        downProduct->weight, downProduct->bias,
        rewriter.getI64IntegerAttr(routing->topk.getK()),
        MoeRoutingAttr::get(getContext(), routing->kind),
        GatedActivationAttr::get(getContext(), isa<SwiGLUOp>(act)
                                                   ? GatedActivation::swiglu
                                                   : GatedActivation::clamped_swiglu),
        rewriter.getBoolAttr(routing->normalize), rewriter.getF32FloatAttr(1.0f),
        rewriter.getI64IntegerAttr(1), rewriter.getI64IntegerAttr(1),
        rewriter.getF32FloatAttr(1.702f), rewriter.getF32FloatAttr(7.0f));
    if (auto clamped = dyn_cast<ClampedSwiGLUOp>(act)) {
      moe.setAlphaAttr(clamped.getAlphaAttr());
      moe.setLimitAttr(clamped.getLimitAttr());
    }
    if (failed(moe.verify())) {
      rewriter.eraseOp(moe);
      return rewriter.notifyMatchFailure(op, "the matched shapes do not form a tfm.moe");
    }
    rewriter.replaceOp(op, moe.getResult());
    return success();
  }
};

struct TfmFuseMoePass : lmc::impl::TfmFuseMoeBase<TfmFuseMoePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseMoePattern>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
