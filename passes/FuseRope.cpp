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
// and the interleaved (GPT-J, llama.cpp "norm", DeepSeek) one, pairing
// elements 2i and 2i+1:
//
//   C, S   = reshape(c), reshape(s) : [tokens, 1, dim/2, 1]
//   p      = reshape(x) : [tokens, heads, dim/2, 2];  x0, x1 = p[..., 0:1], p[..., 1:2]
//   y      = reshape(concat(x0 * C - x1 * S, x1 * C + x0 * S along 3))
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

/// Matches `reshape(t) : [tokens, 1, dim/2, 1]` of `Trig(angles)`, optionally
/// multiplied by a constant.
template <typename Trig>
std::optional<TrigTable> matchPairTable(Value v, int64_t dim) {
  auto reshape = v.getDefiningOp<ReshapeOp>();
  if (!reshape || getShape(v) != ArrayRef<int64_t>{ShapedType::kDynamic, 1, dim / 2, 1})
    return std::nullopt;
  Value t = reshape.getInput();
  TrigTable table;
  if (auto mul = t.getDefiningOp<MulOp>()) {
    bool ok = matchEitherOrder(mul.getLhs(), mul.getRhs(), [&](Value x, Value k) {
      std::optional<double> scale = getConstantScalar(k);
      if (!scale || getShape(x) != getShape(mul.getResult()))
        return false;
      table.scale = *scale;
      t = x;
      return true;
    });
    if (!ok)
      return std::nullopt;
  }
  auto trig = t.getDefiningOp<Trig>();
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

/// The pair (x0, x1) of `p = reshape(x) : [tokens, heads, dim/2, 2]`.
struct Pairs {
  Value x, even, odd;
};

std::optional<Pairs> matchPairSlices(Value even, Value odd) {
  auto e = even.getDefiningOp<SliceOp>(), o = odd.getDefiningOp<SliceOp>();
  if (!e || !o || e.getInput() != o.getInput() || e.getAxis() != 3 || o.getAxis() != 3 ||
      e.getStart() != 0 || o.getStart() != 1 || e.getSize() != 1 || o.getSize() != 1)
    return std::nullopt;
  auto pairs = e.getInput().getDefiningOp<ReshapeOp>();
  if (!pairs || getRank(pairs.getInput()) != 3 || getShape(pairs.getResult()).back() != 2)
    return std::nullopt;
  return Pairs{pairs.getInput(), even, odd};
}

/// `a * C` with a a given value and C a pair table, in either order.
template <typename Trig>
std::optional<TrigTable> matchScaledBy(Value v, Value a, int64_t dim) {
  auto mul = v.getDefiningOp<MulOp>();
  std::optional<TrigTable> table;
  if (mul)
    matchEitherOrder(mul.getLhs(), mul.getRhs(), [&](Value x, Value t) {
      if (x != a)
        return false;
      table = matchPairTable<Trig>(t, dim);
      return bool(table);
    });
  return table;
}

struct FuseInterleavedRopePattern : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(ReshapeOp op, PatternRewriter &rewriter) const override {
    auto concat = op.getInput().getDefiningOp<ConcatOp>();
    if (getRank(op.getResult()) != 3 || !concat || concat.getAxis() != 3 ||
        concat.getInputs().size() != 2)
      return rewriter.notifyMatchFailure(op, "not reshape(concat of pairs)");
    int64_t dim = getShape(op.getResult()).back();
    auto first = concat.getInputs()[0].getDefiningOp<SubOp>();
    auto second = concat.getInputs()[1].getDefiningOp<AddOp>();
    if (!first || !second)
      return rewriter.notifyMatchFailure(op, "not (x0 C - x1 S, x1 C + x0 S)");
    // first = x0 * C - x1 * S: x0 is the slice of the cos term, x1 its
    // sibling slice of the same pairs.
    std::optional<Pairs> pairs;
    if (auto cosTerm = first.getLhs().getDefiningOp<MulOp>())
      for (Value x0 : {cosTerm.getLhs(), cosTerm.getRhs()}) {
        auto even = x0.getDefiningOp<SliceOp>();
        if (!even || pairs)
          continue;
        for (Operation *user : even.getInput().getUsers())
          if (auto odd = dyn_cast<SliceOp>(user); odd && !pairs)
            pairs = matchPairSlices(x0, odd.getResult());
      }
    if (!pairs || pairs->x.getType() != op.getType())
      return rewriter.notifyMatchFailure(op, "no [tokens, heads, dim/2, 2] pairs of x");
    std::optional<TrigTable> c0 = matchScaledBy<CosOp>(first.getLhs(), pairs->even, dim);
    std::optional<TrigTable> s0 = matchScaledBy<SinOp>(first.getRhs(), pairs->odd, dim);
    std::optional<TrigTable> c1, s1;
    matchEitherOrder(second.getLhs(), second.getRhs(), [&](Value cosTerm, Value sinTerm) {
      c1 = matchScaledBy<CosOp>(cosTerm, pairs->odd, dim);
      s1 = matchScaledBy<SinOp>(sinTerm, pairs->even, dim);
      return c1 && s1;
    });
    if (!c0 || !s0 || !c1 || !s1)
      return rewriter.notifyMatchFailure(op, "not the rotation of each pair");
    for (const TrigTable &t : {*s0, *c1, *s1})
      if (t.angles != c0->angles || t.scale != c0->scale)
        return rewriter.notifyMatchFailure(op, "cos and sin of different angles");
    if (!isTokenCountOf(c0->angles.getCount(), pairs->x))
      return rewriter.notifyMatchFailure(op, "angles not per token of input");
    rewriter.replaceOpWithNewOp<RopeOp>(op, op.getType(), pairs->x, c0->angles.getStart(),
                                        c0->angles.getConfig(),
                                        RopeStyleAttr::get(getContext(), RopeStyle::interleaved),
                                        rewriter.getF32FloatAttr(c0->scale));
    return success();
  }
};

struct TfmFuseRopePass : lmc::impl::TfmFuseRopeBase<TfmFuseRopePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseNeoxRopePattern, FuseInterleavedRopePattern>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
