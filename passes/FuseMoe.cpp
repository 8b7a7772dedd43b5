//===- FuseMoe.cpp - primitive mixture-of-experts -> tfm.moe --------------===//
//
// The primitive MoE layer of x : [T, H] with k experts per token:
//
//   logits = matmul(x, router) [+ dequantize(router_bias)]            [T, E]
//   routing, one of
//     topk_softmax:  v, ids = top_k(logits, k);  w = softmax(v, along 1)
//     softmax_topk:  v, ids = top_k(softmax(logits, along 1), k);
//                    w = v  or (normalize)  v / reduce_sum(v, along 1)
//     sigmoid:       s = sigmoid(logits);  r = s [+ dequantize(selection_bias)]
//                    [groups: r = reshape(masked_fill(reshape(r, [T, G, E/G]),
//                       keep, -inf)), keep marking the topk_group groups with
//                       the largest sum of their two best r (top_k, one_hot)]
//                    ids = top_k(r, k).indices;  w = take_along(s, ids)
//                    [/ reduce_sum]  [* routed_scale]
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

#include <cmath>
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
  Value selectionBias;
  int64_t groups = 1, topkGroup = 1;
  double routedScale = 1.0;
};

/// `v / reduce_sum(v, along 1)`; returns v.
Value matchRenormalised(Value w) {
  auto div = w.getDefiningOp<DivOp>();
  if (!div)
    return {};
  auto sum = div.getRhs().getDefiningOp<ReduceSumOp>();
  if (!sum || sum.getInput() != div.getLhs() || sum.getAxis() != 1)
    return {};
  return div.getLhs();
}

/// The group limit of sigmoid routing: `reshape(masked_fill(reshape(r),
/// keep, -inf))`; returns (r, groups, topk_group).
std::optional<std::tuple<Value, int64_t, int64_t>> matchGroupLimit(Value v) {
  auto flat = v.getDefiningOp<ReshapeOp>();
  auto masked = flat ? flat.getInput().getDefiningOp<MaskedFillOp>() : MaskedFillOp();
  if (!masked || masked.getValue().convertToDouble() != -INFINITY)
    return std::nullopt;
  Value grouped = masked.getInput();
  auto groupedFrom = grouped.getDefiningOp<ReshapeOp>();
  if (!groupedFrom || getRank(grouped) != 3)
    return std::nullopt;
  int64_t groups = getShape(grouped)[1];
  // keep = reshape(reduce_sum(one_hot(top_k(group scores, tg).indices), 1))
  auto keepShape = masked.getMask().getDefiningOp<ReshapeOp>();
  auto keepSum = keepShape ? keepShape.getInput().getDefiningOp<ReduceSumOp>() : ReduceSumOp();
  auto oneHot = keepSum ? keepSum.getInput().getDefiningOp<OneHotOp>() : OneHotOp();
  if (!oneHot || keepSum.getAxis() != 1 || oneHot.getClasses() != groups)
    return std::nullopt;
  auto chosen = oneHot.getIndices().getDefiningOp<TopKOp>();
  if (!chosen || chosen.getIndices() != oneHot.getIndices())
    return std::nullopt;
  // group scores = reshape(reduce_sum(top_k(grouped, 2).values, along 2))
  auto scoreShape = chosen.getInput().getDefiningOp<ReshapeOp>();
  auto scoreSum = scoreShape ? scoreShape.getInput().getDefiningOp<ReduceSumOp>() : ReduceSumOp();
  auto best = scoreSum ? scoreSum.getInput().getDefiningOp<TopKOp>() : TopKOp();
  if (!best || scoreSum.getAxis() != 2 || best.getValues() != scoreSum.getInput() ||
      best.getInput() != grouped || best.getK() != std::min<int64_t>(2, getShape(grouped)[2]))
    return std::nullopt;
  return std::make_tuple(groupedFrom.getInput(), groups, chosen.getK());
}

/// Sigmoid routing: `weights` = [renormalised]
/// take_along(sigmoid(logits), ids), ids from top_k of the (bias-shifted,
/// group-limited) scores.
std::optional<Routing> matchSigmoidRouting(Value weights, TopKOp topk) {
  Routing r;
  r.kind = MoeRouting::sigmoid;
  r.topk = topk;
  if (Value v = matchRenormalised(weights)) {
    r.normalize = true;
    weights = v;
  }
  auto take = weights.getDefiningOp<TakeAlongOp>();
  if (!take || take.getIndices() != topk.getIndices())
    return std::nullopt;
  auto scores = take.getInput().getDefiningOp<SigmoidOp>();
  if (!scores)
    return std::nullopt;
  Value rank = topk.getInput();
  if (auto limit = matchGroupLimit(rank))
    std::tie(rank, r.groups, r.topkGroup) = *limit;
  if (rank != scores.getResult()) {
    auto add = rank.getDefiningOp<AddOp>();
    bool biased = add && matchEitherOrder(add.getLhs(), add.getRhs(), [&](Value s, Value b) {
      auto dq = b.getDefiningOp<DequantizeOp>();
      if (s != scores.getResult() || !dq ||
          cast<WeightType>(dq.getWeight().getType()).getStorage() != StorageType::f32)
        return false;
      r.selectionBias = dq.getWeight();
      return true;
    });
    if (!biased)
      return std::nullopt;
  }
  std::optional<RouterLogits> logits = matchRouterLogits(scores.getInput());
  if (!logits)
    return std::nullopt;
  r.logits = *logits;
  return r;
}

/// The routing of `weights` from `topk`, without a routed scale.
std::optional<Routing> matchUnscaledRouting(Value weights, TopKOp topk) {
  if (std::optional<Routing> sigmoid = matchSigmoidRouting(weights, topk))
    return sigmoid;
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
  if (Value v = matchRenormalised(weights)) {
    if (v != values)
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

/// The routing that produced `weights` and `ids` (both [T, k]), the weights
/// optionally multiplied by a constant (routed_scale).
std::optional<Routing> matchRouting(Value weights, Value ids) {
  auto topk = ids.getDefiningOp<TopKOp>();
  if (!topk || topk.getIndices() != ids || getRank(ids) != 2)
    return std::nullopt;
  double scale = 1.0;
  if (auto mul = weights.getDefiningOp<MulOp>()) {
    bool scaled = matchEitherOrder(mul.getLhs(), mul.getRhs(), [&](Value w, Value c) {
      std::optional<double> k = getConstantScalar(c);
      if (!k || w.getType() != mul.getType())
        return false;
      scale = *k;
      weights = w;
      return true;
    });
    if (!scaled)
      return std::nullopt;
  }
  std::optional<Routing> r = matchUnscaledRouting(weights, topk);
  if (r)
    r->routedScale = scale;
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
        routing->selectionBias, gate->weight, gate->bias, up->weight, up->bias,
        downProduct->weight, downProduct->bias,
        rewriter.getI64IntegerAttr(routing->topk.getK()),
        MoeRoutingAttr::get(getContext(), routing->kind),
        GatedActivationAttr::get(getContext(), isa<SwiGLUOp>(act)
                                                   ? GatedActivation::swiglu
                                                   : GatedActivation::clamped_swiglu),
        rewriter.getBoolAttr(routing->normalize),
        rewriter.getF32FloatAttr(float(routing->routedScale)),
        rewriter.getI64IntegerAttr(routing->groups), rewriter.getI64IntegerAttr(routing->topkGroup),
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
