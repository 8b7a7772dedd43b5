//===- FuseSwiGLU.cpp - (g * sigmoid(g)) * u -> tfm.swiglu ----------------===//
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

struct TfmFuseSwiGLUPass : lmc::impl::TfmFuseSwiGLUBase<TfmFuseSwiGLUPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseSwiGLUPattern>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
