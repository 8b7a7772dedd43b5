//===- FuseSwiGLU.cpp - gated activations -> tfm.swiglu, tfm.clamped_swiglu ===//
//
//   silu(g) * u = (g * sigmoid(g)) * u                        -> tfm.swiglu
//   GPT-OSS:  c = clamp(g, max L), (c * sigmoid(c * alpha)) * (clamp(u, -L, L) + 1)
//                                                            -> tfm.clamped_swiglu
//
//===----------------------------------------------------------------------===//
#include "passes/PatternUtils.h"
#include "passes/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace lmc {
#define GEN_PASS_DEF_TFMFUSESWIGLU
#include "passes/Passes.h.inc"
} // namespace lmc

using namespace mlir;
using namespace lmc;
using namespace lmc::tfm;

namespace {

/// Returns g if `v` is `g * sigmoid(g)` (SiLU), in either operand order.
Value matchSiLU(Value v) {
  auto mul = v.getDefiningOp<MulOp>();
  if (!mul)
    return {};
  Value gate;
  matchEitherOrder(mul.getLhs(), mul.getRhs(), [&](Value g, Value s) {
    auto sigmoid = s.getDefiningOp<SigmoidOp>();
    if (!sigmoid || sigmoid.getInput() != g)
      return false;
    gate = g;
    return true;
  });
  return gate;
}

struct FuseSwiGLUPattern : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MulOp op,
                                PatternRewriter &rewriter) const override {
    Value gate, up;
    bool matched =
        matchEitherOrder(op.getLhs(), op.getRhs(), [&](Value silu, Value u) {
          Value g = matchSiLU(silu);
          // swiglu is elementwise without broadcasting.
          if (!g || g.getType() != op.getType() || u.getType() != op.getType())
            return false;
          gate = g;
          up = u;
          return true;
        });
    if (!matched)
      return rewriter.notifyMatchFailure(op, "not silu(gate) * up");
    rewriter.replaceOpWithNewOp<SwiGLUOp>(op, op.getType(), gate, up);
    return success();
  }
};

/// GPT-OSS's gate half: `c * sigmoid(c * alpha)` with c = clamp(g, max L);
/// returns (g, alpha, L).
std::optional<std::tuple<Value, double, double>> matchClampedGLU(Value v) {
  auto mul = v.getDefiningOp<MulOp>();
  if (!mul)
    return std::nullopt;
  std::optional<std::tuple<Value, double, double>> result;
  matchEitherOrder(mul.getLhs(), mul.getRhs(), [&](Value c, Value s) {
    auto sigmoid = s.getDefiningOp<SigmoidOp>();
    auto clamp = c.getDefiningOp<ClampOp>();
    if (!sigmoid || !clamp || clamp.getMin() || !clamp.getMax())
      return false;
    auto scaled = sigmoid.getInput().getDefiningOp<MulOp>();
    if (!scaled)
      return false;
    return matchEitherOrder(scaled.getLhs(), scaled.getRhs(), [&](Value x, Value a) {
      std::optional<double> alpha = getConstantScalar(a);
      if (x != c || !alpha)
        return false;
      result = std::make_tuple(clamp.getInput(), *alpha, clamp.getMax()->convertToDouble());
      return true;
    });
  });
  return result;
}

/// GPT-OSS's up half: `clamp(u, -L, L) + 1`; returns u if the bounds are
/// (-limit, limit).
Value matchShiftedClampedUp(Value v, double limit) {
  auto add = v.getDefiningOp<AddOp>();
  if (!add)
    return {};
  Value up;
  matchEitherOrder(add.getLhs(), add.getRhs(), [&](Value c, Value one) {
    auto clamp = c.getDefiningOp<ClampOp>();
    std::optional<double> k = getConstantScalar(one);
    if (!clamp || !k || *k != 1.0 || !clamp.getMin() || !clamp.getMax() ||
        clamp.getMin()->convertToDouble() != -limit ||
        clamp.getMax()->convertToDouble() != limit || c.getType() != add.getType())
      return false;
    up = clamp.getInput();
    return true;
  });
  return up;
}

struct FuseClampedSwiGLUPattern : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MulOp op,
                                PatternRewriter &rewriter) const override {
    Value gate, up;
    double alpha = 0, limit = 0;
    bool matched =
        matchEitherOrder(op.getLhs(), op.getRhs(), [&](Value glu, Value shifted) {
          auto g = matchClampedGLU(glu);
          if (!g)
            return false;
          std::tie(gate, alpha, limit) = *g;
          up = matchShiftedClampedUp(shifted, limit);
          return up && gate.getType() == op.getType() && up.getType() == op.getType();
        });
    if (!matched)
      return rewriter.notifyMatchFailure(op, "not GPT-OSS's clamped SwiGLU");
    rewriter.replaceOpWithNewOp<ClampedSwiGLUOp>(op, op.getType(), gate, up,
                                                 rewriter.getF32FloatAttr(alpha),
                                                 rewriter.getF32FloatAttr(limit));
    return success();
  }
};

struct TfmFuseSwiGLUPass : lmc::impl::TfmFuseSwiGLUBase<TfmFuseSwiGLUPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseSwiGLUPattern, FuseClampedSwiGLUPattern>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
