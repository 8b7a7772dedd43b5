//===- FuseRope.cpp - decomposed rotary embedding -> tfm.rope -------------===//
//
// The primitive NeoX rotary embedding of x : [tokens, heads, dim] is
//
//   a      = tfm.rope_angles start, count          : [tokens, dim/2]
//   C      = reshape(concat(c, c)) : [tokens, 1, dim],  c = cos(a) [* k]
//   S      = reshape(concat(s, s)) : [tokens, 1, dim],  s = sin(a) [* k]
//   rot(x) = concat(-x[..., dim/2:], x[..., :dim/2])
//   y      = x * C + rot(x) * S
//
//===----------------------------------------------------------------------===//
#include "passes/PatternUtils.h"
#include "passes/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace lmc {
#define GEN_PASS_DEF_TFMFUSEROPE
#include "passes/Passes.h.inc"
} // namespace lmc

using namespace mlir;
using namespace lmc;
using namespace lmc::tfm;

namespace {

/// A cos or sin table of some rope angles, scaled by a constant.
struct TrigTable {
  RopeAnglesOp angles;
  double scale = 1.0;
};

/// Matches `reshape(concat(t, t along 1)) : [tokens, 1, dim]` where `t` is
/// `Trig(angles)`, optionally multiplied by a constant.
template <typename Trig>
std::optional<TrigTable> matchTable(Value v, int64_t dim) {
  auto reshape = v.getDefiningOp<ReshapeOp>();
  if (!reshape)
    return std::nullopt;
  ArrayRef<int64_t> shape = getShape(reshape.getResult());
  if (shape.size() != 3 || shape[1] != 1 || shape[2] != dim)
    return std::nullopt;
  auto concat = reshape.getInput().getDefiningOp<ConcatOp>();
  if (!concat || concat.getInputs().size() != 2 || concat.getAxis() != 1 ||
      concat.getInputs()[0] != concat.getInputs()[1])
    return std::nullopt;
  Value half = concat.getInputs()[0];
  TrigTable table;
  if (auto mul = half.getDefiningOp<MulOp>()) {
    bool ok = matchEitherOrder(mul.getLhs(), mul.getRhs(), [&](Value t, Value k) {
      std::optional<double> scale = getConstantScalar(k);
      if (!scale || getShape(t) != getShape(mul.getResult()))
        return false;
      table.scale = *scale;
      half = t;
      return true;
    });
    if (!ok)
      return std::nullopt;
  }
  auto trig = half.getDefiningOp<Trig>();
  if (!trig)
    return std::nullopt;
  table.angles = trig.getInput().template getDefiningOp<RopeAnglesOp>();
  if (!table.angles || table.angles.getConfig().getDim() != dim)
    return std::nullopt;
  return table;
}

/// Matches concat(-x[..., half:], x[..., :half]) along the last axis.
bool isRotateHalf(Value v, Value x) {
  auto concat = v.getDefiningOp<ConcatOp>();
  int64_t rank = getRank(x);
  if (!concat || concat.getInputs().size() != 2 || concat.getAxis() != rank - 1)
    return false;
  int64_t dim = getShape(x).back(), half = dim / 2;
  auto isHalf = [&](Value s, int64_t start) {
    auto slice = s.getDefiningOp<SliceOp>();
    return slice && slice.getInput() == x && slice.getAxis() == rank - 1 &&
           slice.getStart() == start && slice.getSize() == half;
  };
  auto neg = concat.getInputs()[0].getDefiningOp<NegOp>();
  return neg && isHalf(neg.getInput(), half) && isHalf(concat.getInputs()[1], 0);
}

struct FuseNeoxRopePattern : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AddOp op,
                                PatternRewriter &rewriter) const override {
    if (getRank(op.getResult()) != 3)
      return rewriter.notifyMatchFailure(op, "not [tokens, heads, dim]");
    int64_t dim = getShape(op.getResult()).back();
    Value input;
    TrigTable cos, sin;
    auto matchTerms = [&](Value cosTerm, Value sinTerm) {
      auto cosMul = cosTerm.getDefiningOp<MulOp>();
      auto sinMul = sinTerm.getDefiningOp<MulOp>();
      if (!cosMul || !sinMul)
        return false;
      return matchEitherOrder(
          cosMul.getLhs(), cosMul.getRhs(), [&](Value x, Value cosTable) {
            if (x.getType() != op.getType())
              return false;
            std::optional<TrigTable> c = matchTable<CosOp>(cosTable, dim);
            if (!c)
              return false;
            return matchEitherOrder(
                sinMul.getLhs(), sinMul.getRhs(), [&](Value rot, Value sinTable) {
                  std::optional<TrigTable> s = matchTable<SinOp>(sinTable, dim);
                  if (!s || !isRotateHalf(rot, x))
                    return false;
                  input = x;
                  cos = *c;
                  sin = *s;
                  return true;
                });
          });
    };
    if (!matchEitherOrder(op.getLhs(), op.getRhs(), matchTerms))
      return rewriter.notifyMatchFailure(op, "not x * cos + rot(x) * sin");
    if (cos.angles != sin.angles || cos.scale != sin.scale)
      return rewriter.notifyMatchFailure(op, "cos and sin of different angles");
    // The table must have one row per token of x, not be broadcast over them.
    if (!isTokenCountOf(cos.angles.getCount(), input))
      return rewriter.notifyMatchFailure(op, "angles not per token of input");
    rewriter.replaceOpWithNewOp<RopeOp>(
        op, op.getType(), input, cos.angles.getStart(), cos.angles.getConfig(),
        RopeStyleAttr::get(getContext(), RopeStyle::neox),
        rewriter.getF32FloatAttr(cos.scale));
    return success();
  }
};

struct TfmFuseRopePass : lmc::impl::TfmFuseRopeBase<TfmFuseRopePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseNeoxRopePattern>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
