//===- LinearKernels.cpp - kernels that read weights ----------------------===//
//
// Matrix products against weights, embedding gathers and whole-weight
// decoding. Weights stay in their storage format in memory; every kernel
// decodes blocks in registers as it streams through a row.
//
//===----------------------------------------------------------------------===//
#include "passes/cpu/KernelBuilder.h"
#include "passes/cpu/Kernels.h"
#include "passes/cpu/RowDotProducts.h"
#include "passes/cpu/WeightDecoding.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace lmc::cpu;
using namespace lmc::tfm;

namespace {

MemRefType activationType(MLIRContext *ctx, ArrayRef<int64_t> trailing) {
  SmallVector<int64_t> shape{ShapedType::kDynamic};
  shape.append(trailing.begin(), trailing.end());
  return MemRefType::get(shape, Float32Type::get(ctx));
}

MemRefType weightBytesType(WeightType weight) {
  return MemRefType::get({weight.getSizeInBytes()},
                         IntegerType::get(weight.getContext(), 8));
}

std::string weightSuffix(WeightType weight) {
  std::string s = stringifyStorageType(weight.getStorage()).str();
  for (int64_t d : weight.getShape())
    s += "_" + std::to_string(d);
  return s;
}

/// Rows of x processed together, so each decoded weight block is reused.
constexpr int64_t kMatmulRowTile = 4;

/// y[m0 .. m0+rows, n] for one weight row n starting at byte rowBase.
void emitMatmulTile(ImplicitLocOpBuilder &b, const RowLayout &layout,
                    int64_t blocksPerRow, Value x, Value w, Value y, Value m0,
                    int64_t rows, Value n, Value rowBase) {
  SmallVector<Value> rowIndex;
  for (int64_t r = 0; r < rows; ++r)
    rowIndex.push_back(r == 0 ? m0
                              : arith::AddIOp::create(b, m0, constIndex(b, r))
                                    .getResult());
  emitRowDotProducts(b, layout, blocksPerRow, w, rowBase, x, rowIndex, y, rowIndex, n);
}
} // namespace

func::FuncOp lmc::cpu::getMatmulKernel(OpBuilder &builder, ModuleOp module,
                                       WeightType weight) {
  int64_t n = weight.getShape()[0], k = weight.getShape()[1];
  MLIRContext *ctx = module.getContext();
  SmallVector<Type> args{activationType(ctx, {k}), weightBytesType(weight),
                         activationType(ctx, {n})};
  return getOrCreateKernel(
      builder, module, "lmc_matmul_" + weightSuffix(weight), args,
      [&](ImplicitLocOpBuilder &b, ValueRange a) {
        Value x = a[0], w = a[1], y = a[2];
        RowLayout layout = getRowLayout(weight.getStorage(), k);
        int64_t blocksPerRow = k / layout.blockElems;
        int64_t rowBytes = blocksPerRow * layout.blockBytes;
        Value m = memref::DimOp::create(b, x, 0);
        Value tile = constIndex(b, kMatmulRowTile);
        Value tiledRows =
            arith::SubIOp::create(b, m, arith::RemUIOp::create(b, m, tile));
        buildParallelLoop(b, constIndex(b, n), [&](ImplicitLocOpBuilder &pb, Value row) {
          Value rowBase = arith::MulIOp::create(pb, row, constIndex(pb, rowBytes));
          scf::ForOp::create(
              pb, constIndex(pb, 0), tiledRows, constIndex(pb, kMatmulRowTile),
              ValueRange{}, [&](OpBuilder &nb, Location loc, Value m0, ValueRange) {
                ImplicitLocOpBuilder lb(loc, nb);
                emitMatmulTile(lb, layout, blocksPerRow, x, w, y, m0,
                               kMatmulRowTile, row, rowBase);
                scf::YieldOp::create(lb);
              });
          scf::ForOp::create(
              pb, tiledRows, m, constIndex(pb, 1), ValueRange{},
              [&](OpBuilder &nb, Location loc, Value m0, ValueRange) {
                ImplicitLocOpBuilder lb(loc, nb);
                emitMatmulTile(lb, layout, blocksPerRow, x, w, y, m0, 1, row,
                               rowBase);
                scf::YieldOp::create(lb);
              });
        });
      });
}

/// Decodes weight row `row` into out[outRow, :].
static void emitDecodeRow(ImplicitLocOpBuilder &b, const RowLayout &layout,
                          int64_t rowElems, Value w, Value row, Value out,
                          Value outRow) {
  int64_t blocksPerRow = rowElems / layout.blockElems;
  Value rowBase = arith::MulIOp::create(
      b, row, constIndex(b, blocksPerRow * layout.blockBytes));
  buildForLoop(b, constIndex(b, 0), constIndex(b, blocksPerRow),
               constIndex(b, 1), ValueRange{},
               [&](ImplicitLocOpBuilder &lb, Value block, ValueRange) {
                 Value blockBase = arith::AddIOp::create(
                     lb, rowBase,
                     arith::MulIOp::create(lb, block,
                                           constIndex(lb, layout.blockBytes)));
                 Value k0 = arith::MulIOp::create(
                     lb, block, constIndex(lb, layout.blockElems));
                 decodeBlock(lb, layout, w, blockBase, [&](int64_t chunk, Value v) {
                   Value k = arith::AddIOp::create(
                       lb, k0, constIndex(lb, chunk * layout.chunkWidth));
                   vector::StoreOp::create(lb, v, out, ValueRange{outRow, k});
                 });
                 return SmallVector<Value>{};
               });
}

func::FuncOp lmc::cpu::getEmbeddingKernel(OpBuilder &builder, ModuleOp module,
                                          WeightType table) {
  int64_t dim = table.getShape()[1];
  MLIRContext *ctx = module.getContext();
  SmallVector<Type> args{
      weightBytesType(table),
      MemRefType::get({ShapedType::kDynamic}, IntegerType::get(ctx, 32)),
      activationType(ctx, {dim})};
  return getOrCreateKernel(
      builder, module, "lmc_embedding_" + weightSuffix(table), args,
      [&](ImplicitLocOpBuilder &b, ValueRange a) {
        Value w = a[0], ids = a[1], out = a[2];
        RowLayout layout = getRowLayout(table.getStorage(), dim);
        Value count = memref::DimOp::create(b, ids, 0);
        buildParallelLoop(b, count, [&](ImplicitLocOpBuilder &pb, Value t) {
          Value id = memref::LoadOp::create(pb, ids, ValueRange{t});
          Value row = arith::IndexCastOp::create(pb, pb.getIndexType(), id);
          emitDecodeRow(pb, layout, dim, w, row, out, t);
        });
      });
}

func::FuncOp lmc::cpu::getDequantizeKernel(OpBuilder &builder, ModuleOp module,
                                           WeightType weight) {
  int64_t cols = weight.getShape().back();
  int64_t rows = weight.getNumElements() / cols;
  MLIRContext *ctx = module.getContext();
  SmallVector<Type> args{weightBytesType(weight),
                         MemRefType::get({rows, cols}, Float32Type::get(ctx))};
  return getOrCreateKernel(
      builder, module, "lmc_dequantize_" + weightSuffix(weight), args,
      [&](ImplicitLocOpBuilder &b, ValueRange a) {
        RowLayout layout = getRowLayout(weight.getStorage(), cols);
        buildParallelLoop(b, constIndex(b, rows), [&](ImplicitLocOpBuilder &pb, Value r) {
          emitDecodeRow(pb, layout, cols, a[0], r, a[1], r);
        });
      });
}
