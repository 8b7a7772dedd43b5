//===- WeightAccess.cpp - how kernels address a weight's bytes ------------===//
#include "passes/cpu/WeightAccess.h"
#include "passes/cpu/KernelBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;
using namespace lmc;
using namespace lmc::cpu;
using namespace lmc::tfm;

namespace {

WeightLayout layoutOf(WeightDeclOp decl) {
  return {decl.getWeightType(), decl.getSliceOffsets().has_value(),
          int64_t(decl.getRowStride())};
}

/// Bytes from the declaration's offset to the end of its last row.
int64_t spanOf(WeightDeclOp decl) {
  WeightLayout layout = layoutOf(decl);
  int64_t rows = layout.rowsPerSlice(), rowBytes = layout.rowBytes();
  int64_t sliceSpan = ((rows - 1) * layout.rowStride + 1) * rowBytes;
  if (std::optional<ArrayRef<int64_t>> offsets = decl.getSliceOffsets())
    return *llvm::max_element(*offsets) + sliceSpan;
  int64_t slices = layout.type.getRank() > 2 ? layout.type.getNumElements() /
                                                   (rows * layout.type.getShape().back())
                                             : 1;
  return (slices - 1) * rows * layout.rowStride * rowBytes + sliceSpan;
}

/// The slice table of `decl` as a constant global.
Value sliceTable(OpBuilder &b, Location loc, WeightDeclOp decl) {
  ImplicitLocOpBuilder ib(loc, b);
  return getConstantTable(ib, decl->getParentOfType<ModuleOp>(), "__lmc_slices",
                          *decl.getSliceOffsets());
}
} // namespace

//===----------------------------------------------------------------------===//
// WeightLayout / WeightAccess
//===----------------------------------------------------------------------===//

int64_t WeightLayout::rowsPerSlice() const {
  ArrayRef<int64_t> shape = type.getShape();
  if (shape.size() <= 1)
    return 1;
  if (shape.size() == 2)
    return shape[0];
  return shape[shape.size() - 2];
}

int64_t WeightLayout::rowBytes() const {
  int64_t cols = type.getShape().back();
  return cols / getBlockElements(type.getStorage()) * getBlockBytes(type.getStorage());
}

std::string WeightLayout::key() const {
  std::string s = stringifyStorageType(type.getStorage()).str();
  for (int64_t d : type.getShape())
    s += "_" + std::to_string(d);
  if (sliced)
    s += "_sliced";
  if (rowStride != 1)
    s += "_stride" + std::to_string(rowStride);
  return s;
}

WeightAccess WeightAccess::contiguous(WeightType type) { return {{type, false, 1}, {}}; }

WeightAccess WeightAccess::of(WeightDeclOp decl, WeightDeclOp scales) {
  WeightAccess access{layoutOf(decl), {}};
  if (scales)
    access.scales = layoutOf(scales);
  return access;
}

std::string WeightAccess::key() const {
  std::string s = data.key();
  if (scales)
    s += "_scales_" + scales->key();
  return s;
}

MemRefType lmc::cpu::weightBytesType(MLIRContext *ctx) {
  return MemRefType::get({ShapedType::kDynamic}, IntegerType::get(ctx, 8));
}

void WeightAccess::appendArgTypes(MLIRContext *ctx, SmallVectorImpl<Type> &types) const {
  auto table = [&](const WeightLayout &layout) {
    return MemRefType::get({layout.type.getShape()[0]}, IntegerType::get(ctx, 64));
  };
  types.push_back(weightBytesType(ctx));
  if (data.sliced)
    types.push_back(table(data));
  if (scales) {
    types.push_back(weightBytesType(ctx));
    if (scales->sliced)
      types.push_back(table(*scales));
  }
}

unsigned WeightAccess::numArgs() const {
  return 1 + data.sliced + (scales ? 1 + scales->sliced : 0);
}

//===----------------------------------------------------------------------===//
// Call sites
//===----------------------------------------------------------------------===//

WeightDeclOp lmc::cpu::lookupWeightDecl(Value weight) {
  auto op = weight.getDefiningOp<WeightOp>();
  if (!op)
    return {};
  return SymbolTable::lookupNearestSymbolFrom<WeightDeclOp>(op, op.getNameAttr());
}

static WeightDeclOp lookupScales(WeightDeclOp decl) {
  if (!decl || !decl.getScales())
    return {};
  return SymbolTable::lookupNearestSymbolFrom<WeightDeclOp>(decl, decl.getScalesAttr());
}

FailureOr<WeightAccess> lmc::cpu::getWeightAccess(Operation *user, Value weight) {
  auto type = cast<WeightType>(weight.getType());
  if (type.getStorage() == StorageType::e8m0)
    return user->emitOpError("cannot read weight of type ")
           << type << ": e8m0 holds the scales of mxfp4_oai weights only";
  WeightDeclOp decl = lookupWeightDecl(weight);
  WeightDeclOp scales = lookupScales(decl);
  if (needsScales(type.getStorage()) && !scales)
    return user->emitOpError("reads a ")
           << stringifyStorageType(type.getStorage())
           << " weight without a tfm.weight_decl naming its scales";
  if (!decl)
    return WeightAccess::contiguous(type);
  return WeightAccess::of(decl, scales);
}

FailureOr<Value> lmc::cpu::viewWeightBytes(OpBuilder &b, Location loc, Operation *user,
                                           WeightDeclOp decl) {
  if (!decl.getOffset())
    return user->emitOpError("weight '")
           << decl.getSymName() << "' has no offset in the weights file";
  auto fn = user->getParentOfType<func::FuncOp>();
  if (!fn || fn.getNumArguments() == 0 || !fn.getArgAttr(0, kWeightsArgAttr))
    return user->emitOpError("is not in a function with a weights argument");
  Value offset = arith::ConstantIndexOp::create(b, loc, *decl.getOffset());
  Value size = arith::ConstantIndexOp::create(b, loc, spanOf(decl));
  return memref::ViewOp::create(b, loc, weightBytesType(b.getContext()), fn.getArgument(0),
                                offset, ValueRange{size})
      .getResult();
}

FailureOr<SmallVector<Value>> lmc::cpu::emitWeightOperands(OpBuilder &b, Location loc,
                                                           Operation *user, Value weight,
                                                           Value bytes) {
  SmallVector<Value> operands{bytes};
  WeightDeclOp decl = lookupWeightDecl(weight);
  if (!decl)
    return operands;
  if (decl.getSliceOffsets())
    operands.push_back(sliceTable(b, loc, decl));
  if (WeightDeclOp scales = lookupScales(decl)) {
    FailureOr<Value> scaleBytes = viewWeightBytes(b, loc, user, scales);
    if (failed(scaleBytes))
      return failure();
    operands.push_back(*scaleBytes);
    if (scales.getSliceOffsets())
      operands.push_back(sliceTable(b, loc, scales));
  }
  return operands;
}

LogicalResult lmc::cpu::callWithWeight(OpBuilder &b, Location loc, Operation *user,
                                       func::FuncOp kernel, SmallVector<Value> args,
                                       Value weight, Value weightBytes) {
  FailureOr<SmallVector<Value>> operands = emitWeightOperands(b, loc, user, weight, weightBytes);
  if (failed(operands))
    return failure();
  args.append(*operands);
  func::CallOp::create(b, loc, kernel, args);
  return success();
}

//===----------------------------------------------------------------------===//
// WeightReader
//===----------------------------------------------------------------------===//

WeightReader::WeightReader(const WeightAccess &access, ValueRange args)
    : access(access),
      rowLayout(getRowLayout(access.data.type.getStorage(), access.data.type.getShape().back())) {
  unsigned i = 0;
  dataBytes = args[i++];
  if (access.data.sliced)
    dataTable = args[i++];
  if (access.scales) {
    scaleBytes = args[i++];
    if (access.scales->sliced)
      scaleTable = args[i++];
  }
}

int64_t WeightReader::blocksPerRow() const {
  return access.data.type.getShape().back() / rowLayout.blockElems;
}

Value WeightReader::rowBase(ImplicitLocOpBuilder &b, const WeightLayout &layout, Value table,
                            Value slice, Value row) const {
  Value base = arith::MulIOp::create(b, row, constIndex(b, layout.rowStride * layout.rowBytes()));
  if (!slice)
    return base;
  Value sliceBase;
  if (table)
    sliceBase = arith::IndexCastOp::create(b, b.getIndexType(),
                                           memref::LoadOp::create(b, table, ValueRange{slice}));
  else
    sliceBase = arith::MulIOp::create(
        b, slice,
        constIndex(b, layout.rowsPerSlice() * layout.rowStride * layout.rowBytes()));
  return arith::AddIOp::create(b, sliceBase, base);
}

WeightRow WeightReader::row(ImplicitLocOpBuilder &b, Value slice, Value row) const {
  return {slice, row, rowBase(b, access.data, dataTable, slice, row)};
}

WeightRow WeightReader::flatRow(ImplicitLocOpBuilder &b, Value flat) const {
  if (access.data.type.getRank() <= 2)
    return row(b, Value(), flat);
  Value perSlice = constIndex(b, access.data.rowsPerSlice());
  return row(b, arith::DivUIOp::create(b, flat, perSlice),
             arith::RemUIOp::create(b, flat, perSlice));
}

Value WeightReader::blockScale(ImplicitLocOpBuilder &b, const WeightRow &r, Value block) const {
  if (!access.scales)
    return {};
  const WeightLayout &scales = *access.scales;
  if (access.data.type.getStorage() == StorageType::e4m3) {
    // The f32 scale of the 128 x 128 block holding (row, first element).
    Value scaleRow = arith::DivUIOp::create(b, r.row, constIndex(b, kFp8ScaleBlock));
    Value column = arith::DivUIOp::create(
        b, arith::MulIOp::create(b, block, constIndex(b, rowLayout.blockElems)),
        constIndex(b, kFp8ScaleBlock));
    Value at = arith::AddIOp::create(b, rowBase(b, scales, scaleTable, r.slice, scaleRow),
                                     arith::MulIOp::create(b, column, constIndex(b, 4)));
    Value raw = vector::LoadOp::create(b, VectorType::get({4}, b.getI8Type()), scaleBytes,
                                       ValueRange{at});
    Value f = vector::BitCastOp::create(b, VectorType::get({1}, b.getF32Type()), raw);
    return vector::ExtractOp::create(b, f, ArrayRef<int64_t>{0});
  }
  // mxfp4_oai: the E8M0 byte of (row, block).
  Value at = arith::AddIOp::create(b, rowBase(b, scales, scaleTable, r.slice, r.row), block);
  return arith::ExtUIOp::create(b, b.getI32Type(),
                                memref::LoadOp::create(b, scaleBytes, ValueRange{at}));
}

Value WeightReader::blockBase(ImplicitLocOpBuilder &b, const WeightRow &r, Value block) const {
  return arith::AddIOp::create(
      b, r.base, arith::MulIOp::create(b, block, constIndex(b, rowLayout.blockBytes)));
}

void WeightReader::decode(ImplicitLocOpBuilder &b, const WeightRow &r, Value block,
                          function_ref<void(int64_t, Value)> consume) const {
  decodeBlock(b, rowLayout, dataBytes, blockBase(b, r, block), consume, blockScale(b, r, block));
}

void WeightReader::decodeIntegers(ImplicitLocOpBuilder &b, const WeightRow &r, Value block,
                                  IntegerConsumer consume) const {
  decodeBlockIntegers(b, rowLayout, dataBytes, blockBase(b, r, block), consume,
                      blockScale(b, r, block));
}

ByteFactors WeightReader::decodeByteFactors(ImplicitLocOpBuilder &b, const WeightRow &r,
                                            Value block) const {
  return decodeBlockByteFactors(b, rowLayout, dataBytes, blockBase(b, r, block));
}

void WeightReader::decodeBytes(ImplicitLocOpBuilder &b, const WeightRow &r, Value block,
                               function_ref<void(int64_t, Value)> consume) const {
  decodeBlockBytes(b, rowLayout, dataBytes, blockBase(b, r, block), consume);
}

void WeightReader::decodeRow(ImplicitLocOpBuilder &b, const WeightRow &r, Value out,
                             Value outRow) const {
  buildForLoop(b, constIndex(b, 0), constIndex(b, blocksPerRow()), constIndex(b, 1),
               ValueRange{}, [&](ImplicitLocOpBuilder &lb, Value block, ValueRange) {
                 Value k0 = arith::MulIOp::create(lb, block,
                                                  constIndex(lb, rowLayout.blockElems));
                 decode(lb, r, block, [&](int64_t chunk, Value v) {
                   Value k = arith::AddIOp::create(
                       lb, k0, constIndex(lb, chunk * rowLayout.chunkWidth));
                   vector::StoreOp::create(lb, v, out, ValueRange{outRow, k});
                 });
                 return SmallVector<Value>{};
               });
}
