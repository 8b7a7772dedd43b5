//===- FuseRMSNorm.cpp - x * rsqrt(mean(x^2) + eps) * gain -> tfm.rms_norm ===//
#include "passes/PatternUtils.h"
#include "passes/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace lmc {
#define GEN_PASS_DEF_TFMFUSERMSNORM
#include "passes/Passes.h.inc"
} // namespace lmc

using namespace mlir;
using namespace lmc;
using namespace lmc::tfm;

namespace {

/// Matches `rsqrt(mean(x * x, last axis) + eps)` and returns eps.
std::optional<double> matchInverseRMS(Value v, Value x) {
  auto rsqrt = v.getDefiningOp<RsqrtOp>();
  if (!rsqrt)
    return std::nullopt;
  auto add = rsqrt.getInput().getDefiningOp<AddOp>();
  if (!add)
    return std::nullopt;
  std::optional<double> eps;
  matchEitherOrder(add.getLhs(), add.getRhs(), [&](Value meanV, Value epsV) {
    auto mean = meanV.getDefiningOp<ReduceMeanOp>();
    if (!mean || mean.getAxis() != getRank(x) - 1 ||
        getRank(mean.getInput()) != getRank(x))
      return false;
    auto square = mean.getInput().getDefiningOp<MulOp>();
    if (!square || square.getLhs() != x || square.getRhs() != x)
      return false;
    eps = getConstantScalar(epsV);
    return eps.has_value() && *eps > 0.0;
  });
  return eps;
}

/// Anchored on the multiplication by the gain.
struct FuseRMSNormPattern : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MulOp op,
                                PatternRewriter &rewriter) const override {
    Value input, gain;
    std::optional<double> eps;
    bool matched = matchEitherOrder(
        op.getLhs(), op.getRhs(), [&](Value normalizedV, Value gainV) {
          auto normalized = normalizedV.getDefiningOp<MulOp>();
          if (!normalized || getRank(gainV) != 1)
            return false;
          return matchEitherOrder(
              normalized.getLhs(), normalized.getRhs(),
              [&](Value x, Value inverseRMS) {
                if (x.getType() != op.getType() ||
                    getShape(gainV)[0] != getShape(x).back())
                  return false;
                eps = matchInverseRMS(inverseRMS, x);
                if (!eps)
                  return false;
                input = x;
                gain = gainV;
                return true;
              });
        });
    if (!matched)
      return rewriter.notifyMatchFailure(op, "not an RMSNorm graph");
    rewriter.replaceOpWithNewOp<RMSNormOp>(op, op.getType(), input, gain,
                                           rewriter.getF32FloatAttr(*eps));
    return success();
  }
};

struct TfmFuseRMSNormPass
    : lmc::impl::TfmFuseRMSNormBase<TfmFuseRMSNormPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseRMSNormPattern>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
