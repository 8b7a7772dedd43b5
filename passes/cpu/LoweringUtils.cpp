//===- LoweringUtils.cpp - buffers and loops for tfm -> CPU patterns ------===//
#include "passes/cpu/LoweringUtils.h"
#include "passes/cpu/KernelBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

#include <numeric>

using namespace mlir;
using namespace lmc::cpu;


MemRefType lmc::cpu::memrefTypeOf(Value tensor) {
  auto t = cast<RankedTensorType>(tensor.getType());
  return MemRefType::get(t.getShape(), t.getElementType());
}

/// Allocates a buffer for `result`; its dynamic leading extent (if any) is
/// `leading`.
Value lmc::cpu::allocFor(OpBuilder &b, Location loc, Value result, Value leading) {
  MemRefType type = memrefTypeOf(result);
  SmallVector<Value> sizes;
  if (type.getNumDynamicDims() > 0)
    sizes.push_back(leading);
  return allocBuffer(b, loc, type, sizes);
}

Value lmc::cpu::dimOf(OpBuilder &b, Location loc, Value memref, int64_t i) {
  return memref::DimOp::create(b, loc, memref, i);
}

/// Views a contiguous buffer with another shape of the same element count.
/// A dynamic leading extent of the result is derived from the element count.
Value lmc::cpu::reshapeBuffer(OpBuilder &b, Location loc, Value buffer,
                    ArrayRef<int64_t> shape) {
  auto type = cast<MemRefType>(buffer.getType());
  if (type.getShape() == shape)
    return buffer;
  Value flat = buffer;
  if (type.getRank() != 1) {
    ReassociationIndices all(type.getRank());
    std::iota(all.begin(), all.end(), 0);
    flat = memref::CollapseShapeOp::create(b, loc, buffer,
                                           ArrayRef<ReassociationIndices>{all});
  }
  if (shape.size() == 1 && ShapedType::isDynamic(shape[0]))
    return flat;
  auto resultType = MemRefType::get(shape, type.getElementType());
  SmallVector<OpFoldResult> sizes;
  int64_t staticProduct = 1;
  for (int64_t d : shape)
    if (!ShapedType::isDynamic(d))
      staticProduct *= d;
  for (int64_t d : shape) {
    if (!ShapedType::isDynamic(d)) {
      sizes.push_back(b.getIndexAttr(d));
      continue;
    }
    Value total = dimOf(b, loc, flat, 0);
    sizes.push_back(arith::DivUIOp::create(
                        b, loc, total,
                        arith::ConstantIndexOp::create(b, loc, staticProduct))
                        .getResult());
  }
  if (shape.size() == 1)
    return memref::ReinterpretCastOp::create(b, loc, resultType, flat,
                                             b.getIndexAttr(0), sizes,
                                             ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
  ReassociationIndices all(shape.size());
  std::iota(all.begin(), all.end(), 0);
  return memref::ExpandShapeOp::create(b, loc, resultType, flat,
                                       ArrayRef<ReassociationIndices>{all}, sizes);
}

/// The buffer as [rows, last dim] (rows dynamic).
Value lmc::cpu::asRows(OpBuilder &b, Location loc, Value buffer) {
  auto type = cast<MemRefType>(buffer.getType());
  return reshapeBuffer(b, loc, buffer, {ShapedType::kDynamic, type.getShape().back()});
}

/// Extent i of a buffer as an OpFoldResult.
OpFoldResult lmc::cpu::extentOf(OpBuilder &b, Location loc, Value buffer, int64_t i) {
  auto type = cast<MemRefType>(buffer.getType());
  if (!type.isDynamicDim(i))
    return b.getIndexAttr(type.getDimSize(i));
  return dimOf(b, loc, buffer, i);
}

Value lmc::cpu::extentValue(OpBuilder &b, Location loc, Value buffer, int64_t i) {
  return getValueOrCreateConstantIndexOp(b, loc, extentOf(b, loc, buffer, i));
}

SmallVector<utils::IteratorType> lmc::cpu::parallelIterators(int64_t rank) {
  return SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel);
}

/// Indexing map of a broadcast operand into a result of rank `rank`: shapes
/// align at the end, and static size-1 dimensions stretch.
static AffineMap broadcastMap(MLIRContext *ctx, ArrayRef<int64_t> operand,
                       ArrayRef<int64_t> result) {
  int64_t rank = result.size(), lead = rank - operand.size();
  SmallVector<AffineExpr> exprs;
  for (auto [j, d] : llvm::enumerate(operand)) {
    int64_t i = lead + j;
    if (d == 1 && result[i] != 1)
      exprs.push_back(getAffineConstantExpr(0, ctx));
    else
      exprs.push_back(getAffineDimExpr(i, ctx));
  }
  return AffineMap::get(rank, 0, exprs, ctx);
}

Value lmc::cpu::allocElementwise(OpBuilder &b, Location loc, MemRefType type,
                                 ValueRange operands) {
  SmallVector<Value> sizes;
  for (int64_t i = 0; i < type.getRank(); ++i) {
    if (!type.isDynamicDim(i))
      continue;
    for (Value operand : operands) {
      auto t = cast<MemRefType>(operand.getType());
      int64_t j = i - (type.getRank() - t.getRank());
      if (j >= 0 && t.isDynamicDim(j)) {
        sizes.push_back(dimOf(b, loc, operand, j));
        break;
      }
    }
  }
  return allocBuffer(b, loc, type, sizes);
}

Value lmc::cpu::buildElementwise(OpBuilder &b, Location loc, MemRefType type,
                                 ValueRange operands, ScalarBuilder f) {
  Value out = allocElementwise(b, loc, type, operands);
  ArrayRef<int64_t> shape = cast<MemRefType>(out.getType()).getShape();
  SmallVector<AffineMap> maps;
  for (Value operand : operands)
    maps.push_back(broadcastMap(b.getContext(),
                                cast<MemRefType>(operand.getType()).getShape(), shape));
  maps.push_back(b.getMultiDimIdentityMap(shape.size()));
  linalg::GenericOp::create(
      b, loc, operands, ValueRange{out}, maps, parallelIterators(shape.size()),
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        linalg::YieldOp::create(nb, nloc, f(nb, nloc, args.drop_back()));
      });
  return out;
}

Value lmc::cpu::buildReduction(OpBuilder &b, Location loc, Value input, int64_t axis,
                     float init, ScalarBuilder combine) {
  auto type = cast<MemRefType>(input.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape[axis] = 1;
  SmallVector<Value> sizes;
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (ShapedType::isDynamic(shape[i]))
      sizes.push_back(dimOf(b, loc, input, i));
  Value out = allocBuffer(b, loc, MemRefType::get(shape, type.getElementType()), sizes);
  Value initValue = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(init));
  linalg::FillOp::create(b, loc, ValueRange{initValue}, ValueRange{out});
  int64_t rank = type.getRank();
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iterators = parallelIterators(rank);
  for (int64_t i = 0; i < rank; ++i)
    outExprs.push_back(i == axis ? getAffineConstantExpr(0, b.getContext())
                                 : getAffineDimExpr(i, b.getContext()));
  iterators[axis] = utils::IteratorType::reduction;
  SmallVector<AffineMap> maps{b.getMultiDimIdentityMap(rank),
                              AffineMap::get(rank, 0, outExprs, b.getContext())};
  linalg::GenericOp::create(b, loc, ValueRange{input}, ValueRange{out}, maps,
                            iterators,
                            [&](OpBuilder &nb, Location nloc, ValueRange args) {
                              linalg::YieldOp::create(nb, nloc, combine(nb, nloc, args));
                            });
  return out;
}

Value lmc::cpu::addF(OpBuilder &b, Location loc, ValueRange a) {
  return arith::AddFOp::create(b, loc, a[0], a[1]);
}
Value lmc::cpu::maxF(OpBuilder &b, Location loc, ValueRange a) {
  return arith::MaximumFOp::create(b, loc, a[0], a[1]);
}

