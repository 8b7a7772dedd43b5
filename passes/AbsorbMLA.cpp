//===- AbsorbMLA.cpp - MLA's weight absorption onto the latent cache -------===//
//
// Multi-head latent attention caches one latent entry c ‖ k_pe per position.
// Its explicit form expands keys and values of every head from it:
//
//   L  = cache_read(cache[layer, stream 0], start + tokens)      [S, 1, R + P]
//   C  = repeat_interleave(transpose(L[..., :R], [1, 0, 2]), 0, H)  [H, S, R]
//   K  = concat(batch_matmul(C, dequantize(W_UK) : [H, R, N]),
//               repeat_interleave(transpose(L[..., R:]), 0, H))   [H, S, N + P]
//   V  = batch_matmul(C, dequantize(W_UV) : [H, Dv, R], transpose_rhs)
//   O  = transpose(batch_matmul(softmax(causal_mask(s * Q K^T)), V))  [T, H, Dv]
//   with Q = transpose(concat(q_nope, q_pe)).
//
// Since q_nope . (W_UK c) = (W_UK^T q_nope) . c and P (C W_UV^T) = (P C) W_UV^T,
// the same values come from attention on the cache entries themselves:
//
//   q  = concat(head_matmul(q_nope, W_UK), q_pe)                  [T, H, R + P]
//   O  = head_matmul(latent_attention(q, cache, values R), W_UV)
//
// which reads R + P floats per position instead of H (N + P + Dv), and never
// materialises per-head keys or values.
//
//===----------------------------------------------------------------------===//
#include "passes/PatternUtils.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace lmc {
#define GEN_PASS_DEF_TFMABSORBMLA
#include "passes/Passes.h.inc"
} // namespace lmc

using namespace mlir;
using namespace lmc;
using namespace lmc::tfm;

namespace {

/// `repeat_interleave(transpose(L[..., :R], [1, 0, 2]), 0, H)` of a cache
/// read; returns the read and R.
std::optional<std::pair<CacheReadOp, int64_t>> matchLatentPerHead(Value v, int64_t heads) {
  auto repeat = v.getDefiningOp<RepeatInterleaveOp>();
  if (!repeat || repeat.getAxis() != 0 || repeat.getRepeats() != heads)
    return std::nullopt;
  auto transpose = repeat.getInput().getDefiningOp<TransposeOp>();
  if (!transpose || transpose.getPermutation() != ArrayRef<int64_t>{1, 0, 2})
    return std::nullopt;
  auto slice = transpose.getInput().getDefiningOp<SliceOp>();
  if (!slice || slice.getAxis() != 2 || slice.getStart() != 0)
    return std::nullopt;
  auto read = slice.getInput().getDefiningOp<CacheReadOp>();
  if (!read || read.getStream() != 0 || getShape(read.getResult())[1] != 1)
    return std::nullopt;
  return std::make_pair(read, slice.getSize());
}

/// `repeat_interleave(transpose(L[..., R:], [1, 0, 2]), 0, H)`.
bool isRopePartPerHead(Value v, CacheReadOp read, int64_t latent, int64_t heads) {
  auto repeat = v.getDefiningOp<RepeatInterleaveOp>();
  if (!repeat || repeat.getAxis() != 0 || repeat.getRepeats() != heads)
    return false;
  auto transpose = repeat.getInput().getDefiningOp<TransposeOp>();
  if (!transpose || transpose.getPermutation() != ArrayRef<int64_t>{1, 0, 2})
    return false;
  auto slice = transpose.getInput().getDefiningOp<SliceOp>();
  return slice && slice.getInput() == read.getResult() && slice.getAxis() == 2 &&
         slice.getStart() == latent && slice.getStart() + slice.getSize() ==
                                           getShape(read.getResult())[2];
}

/// `dequantize(w)` of a [H, rows, cols] weight; returns w.
Value matchHeadWeights(Value v, ArrayRef<int64_t> shape) {
  auto dq = v.getDefiningOp<DequantizeOp>();
  if (!dq || cast<WeightType>(dq.getWeight().getType()).getShape() != shape)
    return {};
  return dq.getWeight();
}

struct AbsorbMLAPattern : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(TransposeOp op, PatternRewriter &rewriter) const override {
    if (op.getPermutation() != ArrayRef<int64_t>{1, 0, 2})
      return failure();
    auto pv = op.getInput().getDefiningOp<BatchMatmulOp>();
    if (!pv || pv.getTransposeRhs())
      return rewriter.notifyMatchFailure(op, "not transpose(P x V)");
    int64_t heads = getShape(pv.getResult())[0], valueDim = getShape(pv.getResult())[2];
    auto values = pv.getRhs().getDefiningOp<BatchMatmulOp>();
    if (!values || !values.getTransposeRhs())
      return rewriter.notifyMatchFailure(op, "V is not expanded from the latent");
    auto latentV = matchLatentPerHead(values.getLhs(), heads);
    if (!latentV)
      return rewriter.notifyMatchFailure(op, "V does not come from a latent cache read");
    auto [read, latent] = *latentV;
    Value wUV = matchHeadWeights(values.getRhs(), {heads, valueDim, latent});
    if (!wUV)
      return rewriter.notifyMatchFailure(op, "no W_UV [heads, v, latent]");

    auto softmax = pv.getLhs().getDefiningOp<SoftmaxOp>();
    if (!softmax || softmax.getAxis() != 2 || softmax.getSinks())
      return rewriter.notifyMatchFailure(op, "P is not a plain softmax over keys");
    auto mask = softmax.getInput().getDefiningOp<CausalMaskOp>();
    if (!mask || mask.getWindow() != 0)
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
    auto queries = qk.getLhs().getDefiningOp<TransposeOp>();
    auto qParts = queries ? queries.getInput().getDefiningOp<ConcatOp>() : ConcatOp();
    if (!queries || queries.getPermutation() != ArrayRef<int64_t>{1, 0, 2} || !qParts ||
        qParts.getAxis() != 2 || qParts.getInputs().size() != 2)
      return rewriter.notifyMatchFailure(op, "Q is not transpose(concat(q_nope, q_pe))");
    Value qNope = qParts.getInputs()[0], qPe = qParts.getInputs()[1];
    auto keys = qk.getRhs().getDefiningOp<ConcatOp>();
    if (!keys || keys.getAxis() != 2 || keys.getInputs().size() != 2)
      return rewriter.notifyMatchFailure(op, "K is not concat(k_nope, k_pe)");
    auto kNope = keys.getInputs()[0].getDefiningOp<BatchMatmulOp>();
    if (!kNope || kNope.getTransposeRhs())
      return rewriter.notifyMatchFailure(op, "k_nope is not expanded from the latent");
    auto latentK = matchLatentPerHead(kNope.getLhs(), heads);
    if (!latentK || latentK->first != read || latentK->second != latent)
      return rewriter.notifyMatchFailure(op, "K and V come from different latents");
    int64_t nope = getShape(qNope).back(), rope = getShape(qPe).back();
    Value wUK = matchHeadWeights(kNope.getRhs(), {heads, latent, nope});
    if (!wUK)
      return rewriter.notifyMatchFailure(op, "no W_UK [heads, latent, nope]");
    if (!isRopePartPerHead(keys.getInputs()[1], read, latent, heads) ||
        getShape(read.getResult())[2] != latent + rope)
      return rewriter.notifyMatchFailure(op, "k_pe is not the rope part of the latent entries");
    // The cache read covers the positions up to the last query.
    auto count = read.getCount().getDefiningOp<arith::AddIOp>();
    Value start = mask.getStart();
    if (!count || !matchEitherOrder(count.getLhs(), count.getRhs(), [&](Value s, Value n) {
          return s == start && isTokenCountOf(n, qNope);
        }))
      return rewriter.notifyMatchFailure(op, "the cache read is not start + tokens positions");

    Location loc = op.getLoc();
    auto f32 = rewriter.getF32Type();
    int64_t tokens = getShape(qNope)[0];
    auto type = [&](int64_t last) {
      return RankedTensorType::get({tokens, heads, last}, f32);
    };
    Value qLatent = HeadMatmulOp::create(rewriter, loc, type(latent), qNope, wUK);
    Value query = ConcatOp::create(rewriter, loc, type(latent + rope), ValueRange{qLatent, qPe},
                                   2);
    Value attended = LatentAttentionOp::create(rewriter, loc, type(latent), query,
                                               read.getCache(), start, read.getLayerAttr(),
                                               rewriter.getF32FloatAttr(scale),
                                               rewriter.getI64IntegerAttr(latent));
    rewriter.replaceOpWithNewOp<HeadMatmulOp>(op, op.getType(), attended, wUV);
    return success();
  }
};

struct TfmAbsorbMLAPass : lmc::impl::TfmAbsorbMLABase<TfmAbsorbMLAPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<AbsorbMLAPattern>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
