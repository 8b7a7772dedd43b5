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
  WeightType type = getWeightType();
  if (std::optional<ArrayRef<int64_t>> slices = getSliceOffsets()) {
    if (type.getRank() < 2 || int64_t(slices->size()) != type.getShape()[0])
      return emitOpError("slice_offsets needs one offset per slice of the leading dimension (")
             << type.getShape()[0] << ")";
    if (llvm::any_of(*slices, [](int64_t o) { return o < 0; }))
      return emitOpError("slice_offsets must be non-negative");
  }
  if (getRowStride() < 1)
    return emitOpError("row_stride must be at least 1");
  if (needsScales(type.getStorage()) != bool(getScales()))
    return emitOpError(needsScales(type.getStorage()) ? "a " : "a weight stored as ")
           << stringifyStorageType(type.getStorage())
           << (needsScales(type.getStorage()) ? " weight needs a scales weight"
                                              : " takes no scales weight");
  return success();
}

LogicalResult WeightDeclOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  if (!getScales())
    return success();
  auto scales = symbolTable.lookupNearestSymbolFrom<WeightDeclOp>(*this, getScalesAttr());
  if (!scales)
    return emitOpError("scales '") << *getScales() << "' does not name a tfm.weight_decl";
  WeightType type = getWeightType(), scaleType = scales.getWeightType();
  ArrayRef<int64_t> shape = type.getShape();
  SmallVector<int64_t> expected(shape.drop_back(2));
  int64_t rows = shape.size() >= 2 ? shape[shape.size() - 2] : 1, cols = shape.back();
  StorageType scaleStorage;
  if (type.getStorage() == StorageType::e4m3) {
    expected.append({(rows + kFp8ScaleBlock - 1) / kFp8ScaleBlock,
                     (cols + kFp8ScaleBlock - 1) / kFp8ScaleBlock});
    scaleStorage = StorageType::f32;
  } else {
    expected.append({rows, cols / 32});
    scaleStorage = StorageType::e8m0;
  }
  if (shape.size() < 2)
    expected.erase(expected.begin());
  if (scaleType.getShape() != ArrayRef<int64_t>(expected) ||
      scaleType.getStorage() != scaleStorage)
    return emitOpError("scales must be !tfm.weight<")
           << shapeStr(expected) << ", " << stringifyStorageType(scaleStorage) << ">, not "
           << scaleType;
  if (scales.getScales())
    return emitOpError("scales must not have scales of their own");
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
  ArrayRef<int64_t> ids = shapeOf(getIds());
  if (ids.empty() || ids.size() > 2)
    return emitOpError("ids must have rank 1 or 2, got ") << ids.size();
  SmallVector<int64_t> expected(ids);
  expected.push_back(table.getShape()[1]);
  return expectShape(*this, shapeOf(getResult()), expected);
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

LogicalResult ExpertMatmulOp::verify() {
  auto weight = cast<WeightType>(getWeight().getType());
  if (weight.getRank() != 3)
    return emitOpError("weight must be [experts, out, in], got rank ") << weight.getRank();
  if (failed(verifyRanked(*this)))
    return failure();
  ArrayRef<int64_t> in = shapeOf(getInput()), ids = shapeOf(getExperts());
  if (ids.size() != 2)
    return emitOpError("experts must be [tokens, slots]");
  if (ShapedType::isDynamic(ids[1]))
    return emitOpError("the number of slots must be static");
  if (in.size() != 2 && in.size() != 3)
    return emitOpError("input must be [tokens, in] or [tokens, slots, in]");
  if (!extentsCompatible(in[0], ids[0]) ||
      (in.size() == 3 && !extentsCompatible(in[1], ids[1])))
    return emitOpError("input ") << shapeStr(in) << " does not match experts "
                                 << shapeStr(ids);
  if (!extentsCompatible(in.back(), weight.getShape()[2]))
    return emitOpError("input features (")
           << in.back() << ") do not match the weight's in_features ("
           << weight.getShape()[2] << ")";
  return expectShape(*this, shapeOf(getResult()), {ids[0], ids[1], weight.getShape()[1]});
}

LogicalResult HeadMatmulOp::verify() {
  auto weight = cast<WeightType>(getWeight().getType());
  if (weight.getRank() != 3)
    return emitOpError("weight must be [heads, out, in], got rank ") << weight.getRank();
  if (failed(verifyRanked(*this)))
    return failure();
  ArrayRef<int64_t> in = shapeOf(getInput());
  ArrayRef<int64_t> w = weight.getShape();
  if (in.size() != 3 || !extentsCompatible(in[1], w[0]) || !extentsCompatible(in[2], w[2]))
    return emitOpError("input ") << shapeStr(in) << " must be [tokens, " << w[0] << ", "
                                 << w[2] << "] for the weight " << shapeStr(w);
  return expectShape(*this, shapeOf(getResult()), {in[0], w[0], w[1]});
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

LogicalResult ClampOp::verify() {
  if (getMin() && getMax() && !(getMin()->convertToDouble() <= getMax()->convertToDouble()))
    return emitOpError("min ") << getMin()->convertToDouble() << " exceeds max "
                               << getMax()->convertToDouble();
  return success();
}

LogicalResult SoftmaxOp::verify() {
  if (failed(verifyRanked(*this)))
    return failure();
  ArrayRef<int64_t> in = shapeOf(getInput());
  FailureOr<int64_t> axis = checkAxis(*this, getAxis(), in.size());
  if (failed(axis) || !getSinks())
    return failure(failed(axis));
  SmallVector<int64_t> row(in), broadcast;
  row[*axis] = 1;
  ArrayRef<int64_t> sinks = shapeOf(getSinks());
  if (!OpTrait::util::getBroadcastedShape(row, sinks, broadcast) ||
      !succeeded(expectShape(*this, broadcast, row)))
    return emitOpError("sinks ") << shapeStr(sinks) << " do not broadcast to "
                                 << shapeStr(row);
  return success();
}

LogicalResult OneHotOp::verify() {
  if (failed(verifyRanked(*this)))
    return failure();
  if (getClasses() < 1)
    return emitOpError("classes must be positive");
  SmallVector<int64_t> expected(shapeOf(getIndices()));
  expected.push_back(getClasses());
  return expectShape(*this, shapeOf(getResult()), expected);
}

LogicalResult MaskedFillOp::verify() {
  if (failed(verifyRanked(*this)))
    return failure();
  ArrayRef<int64_t> in = shapeOf(getInput()), mask = shapeOf(getMask());
  SmallVector<int64_t> broadcast;
  if (!OpTrait::util::getBroadcastedShape(in, mask, broadcast) ||
      failed(expectShape(*this, broadcast, in)))
    return emitOpError("mask ") << shapeStr(mask) << " does not broadcast to " << shapeStr(in);
  return success();
}

LogicalResult TakeAlongOp::verify() {
  if (failed(verifyRanked(*this)))
    return failure();
  ArrayRef<int64_t> in = shapeOf(getInput()), idx = shapeOf(getIndices());
  if (in.empty() || idx.size() != in.size())
    return emitOpError("indices must have the input's rank");
  for (size_t i = 0; i + 1 < in.size(); ++i)
    if (!extentsCompatible(in[i], idx[i]))
      return emitOpError("indices ") << shapeStr(idx) << " do not match the input "
                                     << shapeStr(in) << " before the last axis";
  return expectShape(*this, shapeOf(getResult()), idx);
}

LogicalResult TopKOp::verify() {
  if (failed(verifyRanked(*this)))
    return failure();
  ArrayRef<int64_t> in = shapeOf(getInput());
  if (in.empty())
    return emitOpError("input must have at least one dimension");
  if (ShapedType::isDynamic(in.back()) || getK() < 1 || getK() > in.back())
    return emitOpError("k (") << getK() << ") must be in [1, " << in.back() << "]";
  SmallVector<int64_t> expected(in);
  expected.back() = getK();
  if (failed(expectShape(*this, shapeOf(getValues()), expected)))
    return failure();
  return expectShape(*this, shapeOf(getIndices()), expected);
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

LogicalResult ClampedSwiGLUOp::verify() {
  if (!(getLimit().convertToDouble() > 0.0))
    return emitOpError("limit must be positive");
  return success();
}

LogicalResult MoeOp::verify() {
  if (failed(verifyRanked(*this)))
    return failure();
  ArrayRef<int64_t> in = shapeOf(getInput());
  if (in.size() != 2)
    return emitOpError("input must be [tokens, hidden]");
  int64_t hidden = in[1];
  auto type = [](Value v) { return cast<WeightType>(v.getType()); };
  ArrayRef<int64_t> router = type(getRouter()).getShape();
  if (router.size() != 2 || router[1] != hidden)
    return emitOpError("router must be [experts, ") << hidden << "]";
  int64_t experts = router[0];
  ArrayRef<int64_t> gate = type(getGate()).getShape();
  if (gate.size() != 3 || gate[0] != experts || gate[2] != hidden)
    return emitOpError("gate must be [") << experts << ", ffn, " << hidden << "]";
  int64_t ffn = gate[1];
  if (type(getUp()).getShape() != gate)
    return emitOpError("up must have the gate's shape ") << shapeStr(gate);
  if (type(getDown()).getShape() != ArrayRef<int64_t>{experts, hidden, ffn})
    return emitOpError("down must be [") << experts << ", " << hidden << ", " << ffn << "]";
  auto checkBias = [&](Value bias, ArrayRef<int64_t> expected,
                       const char *name) -> LogicalResult {
    if (bias && type(bias).getShape() != expected)
      return emitOpError(name) << " must be " << shapeStr(expected);
    return success();
  };
  if (failed(checkBias(getRouterBias(), {experts}, "router bias")) ||
      failed(checkBias(getSelectionBias(), {experts}, "selection bias")) ||
      failed(checkBias(getGateBias(), {experts, ffn}, "gate bias")) ||
      failed(checkBias(getUpBias(), {experts, ffn}, "up bias")) ||
      failed(checkBias(getDownBias(), {experts, hidden}, "down bias")))
    return failure();
  if (getTopK() < 1 || getTopK() > experts)
    return emitOpError("top_k (") << getTopK() << ") must be in [1, " << experts << "]";
  if (getGroups() < 1 || experts % getGroups() != 0)
    return emitOpError("groups (") << getGroups() << ") must divide the " << experts
                                   << " experts";
  if (getTopkGroup() < 1 || getTopkGroup() > getGroups())
    return emitOpError("topk_group must be in [1, groups]");
  if (getGroups() > 1 && getRouting() != MoeRouting::sigmoid)
    return emitOpError("expert groups need sigmoid routing");
  if (getSelectionBias() && getRouting() != MoeRouting::sigmoid)
    return emitOpError("a selection bias needs sigmoid routing");
  if (getActivation() == GatedActivation::clamped_swiglu &&
      !(getLimit().convertToDouble() > 0.0))
    return emitOpError("limit must be positive");
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
  if (getSinks() && shapeOf(getSinks()) != ArrayRef<int64_t>{q[1]})
    return emitOpError("sinks ") << shapeStr(shapeOf(getSinks())) << " must be [" << q[1]
                                 << "], one per query head";
  return expectShape(*this, shapeOf(getResult()), q);
}

LogicalResult LatentAttentionOp::verify() {
  auto cache = cast<KVCacheType>(getCache().getType());
  if (failed(verifyRanked(*this)) || failed(verifyCacheAccess(*this, cache, getLayer(), 0)))
    return failure();
  if (cache.getHeads() != 1)
    return emitOpError("a latent cache has one head, not ") << cache.getHeads();
  ArrayRef<int64_t> q = shapeOf(getQuery());
  if (q.size() != 3 || q[2] != cache.getDim())
    return emitOpError("query must be [tokens, heads, ") << cache.getDim() << "]";
  if (getValueDim() < 1 || int64_t(getValueDim()) > cache.getDim())
    return emitOpError("value_dim must be in [1, ") << cache.getDim() << "]";
  return expectShape(*this, shapeOf(getResult()), {q[0], q[1], int64_t(getValueDim())});
}
