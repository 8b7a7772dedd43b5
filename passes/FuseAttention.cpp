//===- FuseAttention.cpp - primitive causal GQA -> tfm.attention ----------===//
//
// The primitive attention of one layer, q : [tokens, Hq, D]:
//
//   n  = tensor.dim q', 0            (q' with q's tokens)
//   T  = arith.addi start, n
//   K  = cache_read cache[layer L, stream 0] count T        : [T, Hkv, D]
//   V  = cache_read cache[layer L, stream 1] count T
//   Kh = repeat_interleave(transpose(K, [1,0,2]), 0, Hq/Hkv) (no repeat if 1)
//   Vh = repeat_interleave(transpose(V, [1,0,2]), 0, Hq/Hkv)
//   S  = batch_matmul(transpose(q, [1,0,2]), Kh, transpose_rhs) [* scale]
//   P  = softmax(causal_mask(S, start, window), along 2
//                [, sinks reshape(s : [Hq]) : [Hq, 1, 1]])
//   O  = transpose(batch_matmul(P, Vh), [1,0,2])             : [tokens, Hq, D]
//
//===----------------------------------------------------------------------===//
#include "passes/PatternUtils.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace lmc {
#define GEN_PASS_DEF_TFMFUSEATTENTION
#include "passes/Passes.h.inc"
} // namespace lmc

using namespace mlir;
using namespace lmc;
using namespace lmc::tfm;

namespace {

bool isHeadsFirstTranspose(TransposeOp op) {
  return op && op.getPermutation() == ArrayRef<int64_t>{1, 0, 2};
}

/// One of the two per-head views of a cache stream: the read, and how many
/// query heads share each of its heads.
struct HeadsView {
  CacheReadOp read;
  int64_t repeats = 1;
};

/// Matches [repeat_interleave(] transpose(cache_read, [1,0,2]) [, 0, r)].
std::optional<HeadsView> matchHeadsView(Value v) {
  HeadsView view;
  if (auto repeat = v.getDefiningOp<RepeatInterleaveOp>()) {
    if (repeat.getAxis() != 0)
      return std::nullopt;
    view.repeats = repeat.getRepeats();
    v = repeat.getInput();
  }
  auto transpose = v.getDefiningOp<TransposeOp>();
  if (!isHeadsFirstTranspose(transpose))
    return std::nullopt;
  view.read = transpose.getInput().getDefiningOp<CacheReadOp>();
  if (!view.read)
    return std::nullopt;
  return view;
}

/// True if `count` is `start + (number of tokens of query)`.
bool isStartPlusTokens(Value count, Value start, Value query) {
  auto add = count.getDefiningOp<arith::AddIOp>();
  return add && matchEitherOrder(add.getLhs(), add.getRhs(), [&](Value s, Value n) {
           return s == start && isTokenCountOf(n, query);
         });
}

struct FuseAttentionPattern : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(TransposeOp op,
                                PatternRewriter &rewriter) const override {
    if (!isHeadsFirstTranspose(op))
      return failure();
    auto pv = op.getInput().getDefiningOp<BatchMatmulOp>();
    if (!pv || pv.getTransposeRhs())
      return rewriter.notifyMatchFailure(op, "not transpose(P x V)");
    auto softmax = pv.getLhs().getDefiningOp<SoftmaxOp>();
    if (!softmax || softmax.getAxis() != 2)
      return rewriter.notifyMatchFailure(op, "P is not a softmax over keys");
    auto mask = softmax.getInput().getDefiningOp<CausalMaskOp>();
    if (!mask)
      return rewriter.notifyMatchFailure(op, "scores are not causally masked");

    Value scores = mask.getScores();
    double scale = 1.0;
    if (auto mul = scores.getDefiningOp<MulOp>()) {
      bool scaled = matchEitherOrder(mul.getLhs(), mul.getRhs(), [&](Value s, Value k) {
        std::optional<double> c = getConstantScalar(k);
        if (!c || s.getType() != mul.getType())
          return false;
        scale = *c;
        scores = s;
        return true;
      });
      if (!scaled)
        return rewriter.notifyMatchFailure(op, "scores scaled by a non-constant");
    }
    auto qk = scores.getDefiningOp<BatchMatmulOp>();
    if (!qk || !qk.getTransposeRhs())
      return rewriter.notifyMatchFailure(op, "scores are not Q x K^T");
    auto queryHeads = qk.getLhs().getDefiningOp<TransposeOp>();
    if (!isHeadsFirstTranspose(queryHeads))
      return rewriter.notifyMatchFailure(op, "query not transposed heads-first");
    Value query = queryHeads.getInput();

    std::optional<HeadsView> keys = matchHeadsView(qk.getRhs());
    std::optional<HeadsView> values = matchHeadsView(pv.getRhs());
    if (!keys || !values)
      return rewriter.notifyMatchFailure(op, "K or V not read from the cache");
    CacheReadOp k = keys->read, v = values->read;
    if (k.getCache() != v.getCache() || k.getLayer() != v.getLayer() ||
        k.getStream() != 0 || v.getStream() != 1)
      return rewriter.notifyMatchFailure(
          op, "K and V are not streams 0 and 1 of one cache layer");
    auto cacheType = cast<KVCacheType>(k.getCache().getType());
    int64_t queryHeadCount = getShape(query)[1];
    if (keys->repeats != values->repeats ||
        cacheType.getHeads() * keys->repeats != queryHeadCount)
      return rewriter.notifyMatchFailure(op, "head counts do not match");
    Value start = mask.getStart();
    if (k.getCount() != v.getCount() ||
        !isStartPlusTokens(k.getCount(), start, query))
      return rewriter.notifyMatchFailure(
          op, "cache reads do not cover exactly start + tokens positions");
    if (op.getType() != query.getType())
      return rewriter.notifyMatchFailure(op, "result is not [tokens, Hq, D]");
    Value sinks;
    if (Value s = softmax.getSinks()) {
      auto perHead = s.getDefiningOp<ReshapeOp>();
      if (!perHead || getShape(perHead.getInput()) != ArrayRef<int64_t>{queryHeadCount} ||
          getShape(s) != ArrayRef<int64_t>{queryHeadCount, 1, 1})
        return rewriter.notifyMatchFailure(op, "sinks are not one logit per query head");
      sinks = perHead.getInput();
    }

    rewriter.replaceOpWithNewOp<AttentionOp>(
        op, op.getType(), query, k.getCache(), start, k.getLayerAttr(),
        rewriter.getF32FloatAttr(scale), mask.getWindowAttr(), sinks);
    return success();
  }
};

struct TfmFuseAttentionPass
    : lmc::impl::TfmFuseAttentionBase<TfmFuseAttentionPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseAttentionPattern>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
