//===- TfmOps.cpp - tfm op verifiers and folders ---------------------------===//
#include "dialects/tfm/TfmOps.h"

#include "mlir/Dialect/Traits.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace lmc::tfm;

#define GET_OP_CLASSES
#include "dialects/tfm/TfmOps.cpp.inc"

namespace {
ArrayRef<int64_t> shapeOf(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape();
}

/// Two extents agree when equal or when either is only known at run time.
bool extentsCompatible(int64_t a, int64_t b) {
  return a == b || ShapedType::isDynamic(a) || ShapedType::isDynamic(b);
}

std::string shapeStr(ArrayRef<int64_t> shape) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << '[';
  llvm::interleave(
      shape, os,
      [&](int64_t d) {
        if (ShapedType::isDynamic(d))
          os << '?';
        else
          os << d;
      },
      "x");
  os << ']';
  return s;
}

LogicalResult verifyRanked(Operation *op) {
  for (Type t : llvm::concat<Type>(op->getOperandTypes(), op->getResultTypes()))
    if (auto tensor = dyn_cast<TensorType>(t); tensor && !tensor.hasRank())
      return op->emitOpError("tensors must be ranked");
  return success();
}

/// Checks `axis` against `rank` and returns it.
FailureOr<int64_t> checkAxis(Operation *op, int64_t axis, int64_t rank) {
  if (axis < 0 || axis >= rank)
    return op->emitOpError("axis ") << axis << " out of range for rank " << rank;
  return axis;
}

LogicalResult expectShape(Operation *op, ArrayRef<int64_t> actual,
                          ArrayRef<int64_t> expected) {
  bool ok = actual.size() == expected.size();
  for (size_t i = 0; ok && i < actual.size(); ++i)
    ok = extentsCompatible(actual[i], expected[i]);
  if (!ok)
    return op->emitOpError("result shape ")
           << shapeStr(actual) << " does not match the expected "
           << shapeStr(expected);
  return success();
}
} // namespace

//===----------------------------------------------------------------------===//
// Weights
//===----------------------------------------------------------------------===//

LogicalResult WeightDeclOp::verify() {
  if (std::optional<int64_t> offset = getOffset(); offset && *offset < 0)
    return emitOpError("offset must be non-negative");
  return success();
}

LogicalResult
WeightOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  auto decl = symbolTable.lookupNearestSymbolFrom<WeightDeclOp>(*this,
                                                                getNameAttr());
  if (!decl)
    return emitOpError("'") << getName() << "' does not name a tfm.weight_decl";
  if (decl.getType() != getResult().getType())
    return emitOpError("type ")
           << getResult().getType() << " differs from the declaration's "
           << decl.getType();
  return success();
}

LogicalResult DequantizeOp::verify() {
  auto weight = cast<WeightType>(getWeight().getType());
  if (failed(verifyRanked(*this)))
    return failure();
  return expectShape(*this, shapeOf(getResult()), weight.getShape());
}

LogicalResult EmbeddingOp::verify() {
  auto table = cast<WeightType>(getTable().getType());
  if (table.getRank() != 2)
    return emitOpError("table must be a matrix, got rank ") << table.getRank();
  if (failed(verifyRanked(*this)))
    return failure();
  return expectShape(*this, shapeOf(getResult()),
                     {shapeOf(getIds())[0], table.getShape()[1]});
}

LogicalResult MatmulOp::verify() {
  auto weight = cast<WeightType>(getWeight().getType());
  if (weight.getRank() != 2)
    return emitOpError("weight must be a matrix, got rank ") << weight.getRank();
  if (failed(verifyRanked(*this)))
    return failure();
  ArrayRef<int64_t> in = shapeOf(getInput());
  if (in.empty())
    return emitOpError("input must have at least one dimension");
  if (!extentsCompatible(in.back(), weight.getShape()[1]))
    return emitOpError("input features (")
           << in.back() << ") do not match the weight's in_features ("
           << weight.getShape()[1] << ")";
  SmallVector<int64_t> expected(in.drop_back());
  expected.push_back(weight.getShape()[0]);
  return expectShape(*this, shapeOf(getResult()), expected);
}

LogicalResult BatchMatmulOp::verify() {
  if (failed(verifyRanked(*this)))
    return failure();
  ArrayRef<int64_t> lhs = shapeOf(getLhs()), rhs = shapeOf(getRhs());
  if (lhs.size() != 3 || rhs.size() != 3)
    return emitOpError("operands must be rank 3 [batch, rows, cols]");
  if (!extentsCompatible(lhs[0], rhs[0]))
    return emitOpError("batch sizes differ: ") << lhs[0] << " vs " << rhs[0];
  int64_t k = getTransposeRhs() ? rhs[2] : rhs[1];
  int64_t n = getTransposeRhs() ? rhs[1] : rhs[2];
  if (!extentsCompatible(lhs[2], k))
    return emitOpError("contraction sizes differ: ") << lhs[2] << " vs " << k;
  return expectShape(*this, shapeOf(getResult()), {lhs[0], lhs[1], n});
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValueAttr(); }

static LogicalResult verifyBroadcast(Operation *op) {
  if (failed(verifyRanked(op)))
    return failure();
  SmallVector<int64_t> expected;
  ArrayRef<int64_t> lhs = shapeOf(op->getOperand(0));
  ArrayRef<int64_t> rhs = shapeOf(op->getOperand(1));
  if (!OpTrait::util::getBroadcastedShape(lhs, rhs, expected))
    return op->emitOpError("operand shapes ")
           << shapeStr(lhs) << " and " << shapeStr(rhs)
           << " cannot be broadcast together";
  return expectShape(op, shapeOf(op->getResult(0)), expected);
}

LogicalResult AddOp::verify() { return verifyBroadcast(*this); }
LogicalResult SubOp::verify() { return verifyBroadcast(*this); }
LogicalResult MulOp::verify() { return verifyBroadcast(*this); }
LogicalResult DivOp::verify() { return verifyBroadcast(*this); }

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

static LogicalResult verifyReduction(Operation *op, int64_t axis) {
  if (failed(verifyRanked(op)))
    return failure();
  ArrayRef<int64_t> in = shapeOf(op->getOperand(0));
  if (failed(checkAxis(op, axis, in.size())))
    return failure();
  SmallVector<int64_t> expected(in);
  expected[axis] = 1;
  return expectShape(op, shapeOf(op->getResult(0)), expected);
}

LogicalResult ReduceSumOp::verify() { return verifyReduction(*this, getAxis()); }
LogicalResult ReduceMaxOp::verify() { return verifyReduction(*this, getAxis()); }
LogicalResult ReduceMeanOp::verify() { return verifyReduction(*this, getAxis()); }

LogicalResult SoftmaxOp::verify() {
  if (failed(verifyRanked(*this)))
    return failure();
  return checkAxis(*this, getAxis(), shapeOf(getInput()).size());
}

//===----------------------------------------------------------------------===//
// Shape manipulation
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::verify() {
  if (failed(verifyRanked(*this)))
    return failure();
  ArrayRef<int64_t> in = shapeOf(getInput()), out = shapeOf(getResult());
  auto staticProduct = [&](ArrayRef<int64_t> shape,
                           bool &leadingDynamic) -> FailureOr<int64_t> {
    int64_t n = 1;
    leadingDynamic = false;
    for (auto [i, d] : llvm::enumerate(shape)) {
      if (ShapedType::isDynamic(d)) {
        if (i != 0)
          return emitOpError("only the leading dimension may be dynamic");
        leadingDynamic = true;
        continue;
      }
      n *= d;
    }
    return n;
  };
  bool inDyn, outDyn;
  FailureOr<int64_t> inN = staticProduct(in, inDyn);
  FailureOr<int64_t> outN = staticProduct(out, outDyn);
  if (failed(inN) || failed(outN))
    return failure();
  if (inDyn != outDyn)
    return emitOpError("operand and result must both have a dynamic leading "
                       "dimension or neither");
  if (*inN != *outN)
    return emitOpError("cannot reshape ")
           << shapeStr(in) << " to " << shapeStr(out)
           << ": element counts differ";
  if (inDyn && (in.empty() || out.empty()))
    return emitOpError("dynamic reshape needs a leading dimension");
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor) {
  if (getInput().getType() == getResult().getType())
    return getInput();
  // reshape(reshape(x)) with x of the result type is x.
  if (auto producer = getInput().getDefiningOp<ReshapeOp>())
    if (producer.getInput().getType() == getResult().getType())
      return producer.getInput();
  return {};
}

LogicalResult TransposeOp::verify() {
  if (failed(verifyRanked(*this)))
    return failure();
  ArrayRef<int64_t> in = shapeOf(getInput());
  ArrayRef<int64_t> perm = getPermutation();
  if (perm.size() != in.size())
    return emitOpError("permutation has ")
           << perm.size() << " entries for rank " << in.size();
  SmallVector<bool> seen(in.size(), false);
  SmallVector<int64_t> expected;
  for (int64_t p : perm) {
    if (p < 0 || p >= (int64_t)in.size() || seen[p])
      return emitOpError("invalid permutation");
    seen[p] = true;
    expected.push_back(in[p]);
  }
  return expectShape(*this, shapeOf(getResult()), expected);
}

LogicalResult SliceOp::verify() {
  if (failed(verifyRanked(*this)))
    return failure();
  ArrayRef<int64_t> in = shapeOf(getInput());
  FailureOr<int64_t> axis = checkAxis(*this, getAxis(), in.size());
  if (failed(axis))
    return failure();
  if (ShapedType::isDynamic(in[*axis]))
    return emitOpError("cannot slice a dynamic dimension");
  if (getStart() < 0 || getSize() <= 0 || getStart() + getSize() > in[*axis])
    return emitOpError("slice [")
           << getStart() << ", " << getStart() + getSize()
           << ") out of range for extent " << in[*axis];
  SmallVector<int64_t> expected(in);
  expected[*axis] = getSize();
  return expectShape(*this, shapeOf(getResult()), expected);
}

LogicalResult ConcatOp::verify() {
  if (failed(verifyRanked(*this)))
    return failure();
  if (getInputs().empty())
    return emitOpError("needs at least one input");
  ArrayRef<int64_t> first = shapeOf(getInputs()[0]);
  FailureOr<int64_t> axis = checkAxis(*this, getAxis(), first.size());
  if (failed(axis))
    return failure();
  SmallVector<int64_t> expected(first);
  expected[*axis] = 0;
  for (Value in : getInputs()) {
    ArrayRef<int64_t> s = shapeOf(in);
    if (s.size() != first.size())
      return emitOpError("inputs must have the same rank");
    for (size_t i = 0; i < s.size(); ++i) {
      if ((int64_t)i == *axis)
        continue;
      if (!extentsCompatible(s[i], first[i]))
        return emitOpError("inputs differ in dimension ") << i;
    }
    if (ShapedType::isDynamic(s[*axis]))
      return emitOpError("cannot concatenate along a dynamic dimension");
    expected[*axis] += s[*axis];
  }
  return expectShape(*this, shapeOf(getResult()), expected);
}

LogicalResult RepeatInterleaveOp::verify() {
  if (failed(verifyRanked(*this)))
    return failure();
  ArrayRef<int64_t> in = shapeOf(getInput());
  FailureOr<int64_t> axis = checkAxis(*this, getAxis(), in.size());
  if (failed(axis))
    return failure();
  if (getRepeats() < 1)
    return emitOpError("repeats must be at least 1");
  if (ShapedType::isDynamic(in[*axis]))
    return emitOpError("cannot repeat a dynamic dimension");
  SmallVector<int64_t> expected(in);
  expected[*axis] *= getRepeats();
  return expectShape(*this, shapeOf(getResult()), expected);
}

LogicalResult LastRowsOp::verify() {
  if (failed(verifyRanked(*this)))
    return failure();
  ArrayRef<int64_t> in = shapeOf(getInput());
  if (in.empty())
    return emitOpError("input must have at least one dimension");
  SmallVector<int64_t> expected(in);
  expected[0] = ShapedType::kDynamic;
  return expectShape(*this, shapeOf(getResult()), expected);
}

//===----------------------------------------------------------------------===//
// Positions, masks and the KV cache
//===----------------------------------------------------------------------===//

LogicalResult RopeAnglesOp::verify() {
  if (failed(verifyRanked(*this)))
    return failure();
  return expectShape(*this, shapeOf(getResult()),
                     {ShapedType::kDynamic, getConfig().getDim() / 2});
}

LogicalResult CausalMaskOp::verify() {
  if (failed(verifyRanked(*this)))
    return failure();
  if (shapeOf(getScores()).size() < 2)
    return emitOpError("scores must have [queries, keys] as last dimensions");
  if (getWindow() < 0)
    return emitOpError("window must be non-negative");
  return success();
}

static LogicalResult verifyCacheAccess(Operation *op, KVCacheType cache,
                                       int64_t layer, int64_t stream) {
  if (layer < 0 || layer >= cache.getLayers())
    return op->emitOpError("layer ")
           << layer << " out of range for a cache of " << cache.getLayers()
           << " layers";
  if (stream < 0 || stream >= cache.getStreams())
    return op->emitOpError("stream ")
           << stream << " out of range for a cache of " << cache.getStreams()
           << " streams";
  return success();
}

LogicalResult CacheWriteOp::verify() {
  auto cache = cast<KVCacheType>(getCache().getType());
  if (failed(verifyRanked(*this)) ||
      failed(verifyCacheAccess(*this, cache, getLayer(), getStream())))
    return failure();
  ArrayRef<int64_t> v = shapeOf(getValues());
  if (v.size() != 3 || !extentsCompatible(v[1], cache.getHeads()) ||
      !extentsCompatible(v[2], cache.getDim()))
    return emitOpError("values ")
           << shapeStr(v) << " must be [tokens, " << cache.getHeads() << ", "
           << cache.getDim() << "] to match the cache";
  return success();
}

LogicalResult CacheReadOp::verify() {
  auto cache = cast<KVCacheType>(getCache().getType());
  if (failed(verifyRanked(*this)) ||
      failed(verifyCacheAccess(*this, cache, getLayer(), getStream())))
    return failure();
  return expectShape(*this, shapeOf(getResult()),
                     {ShapedType::kDynamic, cache.getHeads(), cache.getDim()});
}

//===----------------------------------------------------------------------===//
// Fused ops
//===----------------------------------------------------------------------===//

LogicalResult RMSNormOp::verify() {
  if (failed(verifyRanked(*this)))
    return failure();
  ArrayRef<int64_t> in = shapeOf(getInput()), gain = shapeOf(getGain());
  if (in.empty())
    return emitOpError("input must have at least one dimension");
  if (gain.size() != 1 || !extentsCompatible(gain[0], in.back()))
    return emitOpError("gain ") << shapeStr(gain) << " must be [" << in.back()
                                << "], the input's last dimension";
  if (!(getEpsilon().convertToDouble() > 0.0))
    return emitOpError("epsilon must be positive");
  return expectShape(*this, shapeOf(getResult()), in);
}

LogicalResult RopeOp::verify() {
  if (failed(verifyRanked(*this)))
    return failure();
  ArrayRef<int64_t> in = shapeOf(getInput());
  if (in.size() != 3)
    return emitOpError("input must be [tokens, heads, dim]");
  if (getConfig().getDim() > in[2])
    return emitOpError("rotary dim ")
           << getConfig().getDim() << " exceeds the head dim " << in[2];
  return success();
}

LogicalResult AttentionOp::verify() {
  auto cache = cast<KVCacheType>(getCache().getType());
  if (failed(verifyRanked(*this)) ||
      failed(verifyCacheAccess(*this, cache, getLayer(), 0)))
    return failure();
  if (cache.getStreams() < 2)
    return emitOpError("cache needs a key and a value stream");
  ArrayRef<int64_t> q = shapeOf(getQuery());
  if (q.size() != 3)
    return emitOpError("query must be [tokens, heads, dim]");
  if (q[1] % cache.getHeads() != 0)
    return emitOpError("query heads (")
           << q[1] << ") must be a multiple of the cache's KV heads ("
           << cache.getHeads() << ")";
  if (q[2] != cache.getDim())
    return emitOpError("query head dim (")
           << q[2] << ") differs from the cache's (" << cache.getDim() << ")";
  if (getWindow() < 0)
    return emitOpError("window must be non-negative");
  return expectShape(*this, shapeOf(getResult()), q);
}
