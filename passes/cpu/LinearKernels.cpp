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

/// Rows of x processed together, so each decoded weight block is reused.
constexpr int64_t kMatmulRowTile = 4;

/// y[m0 .. m0+rows, n] for one weight row n.
void emitMatmulTile(ImplicitLocOpBuilder &b, const WeightReader &w, const WeightRow &row,
                    Value x, Value y, Value m0, int64_t rows, Value n) {
  SmallVector<Value> rowIndex;
  for (int64_t r = 0; r < rows; ++r)
    rowIndex.push_back(r == 0 ? m0
                              : arith::AddIOp::create(b, m0, constIndex(b, r))
                                    .getResult());
  emitRowDotProducts(b, w, row, x, rowIndex, y, rowIndex, n);
}
} // namespace

func::FuncOp lmc::cpu::getMatmulKernel(OpBuilder &builder, ModuleOp module,
                                       const WeightAccess &weight) {
  int64_t n = weight.type().getShape()[0], k = weight.type().getShape()[1];
  MLIRContext *ctx = module.getContext();
  SmallVector<Type> args{activationType(ctx, {k}), activationType(ctx, {n})};
  weight.appendArgTypes(ctx, args);
  return getOrCreateKernel(
      builder, module, "lmc_matmul_" + weight.key(), args,
      [&](ImplicitLocOpBuilder &b, ValueRange a) {
        Value x = a[0], y = a[1];
        WeightReader w(weight, a.drop_front(2));
        Value m = memref::DimOp::create(b, x, 0);
        Value tile = constIndex(b, kMatmulRowTile);
        Value tiledRows =
            arith::SubIOp::create(b, m, arith::RemUIOp::create(b, m, tile));
        buildParallelLoop(b, constIndex(b, n), [&](ImplicitLocOpBuilder &pb, Value n) {
          WeightRow row = w.row(pb, Value(), n);
          scf::ForOp::create(
              pb, constIndex(pb, 0), tiledRows, constIndex(pb, kMatmulRowTile),
              ValueRange{}, [&](OpBuilder &nb, Location loc, Value m0, ValueRange) {
                ImplicitLocOpBuilder lb(loc, nb);
                emitMatmulTile(lb, w, row, x, y, m0, kMatmulRowTile, n);
                scf::YieldOp::create(lb);
              });
          scf::ForOp::create(
              pb, tiledRows, m, constIndex(pb, 1), ValueRange{},
              [&](OpBuilder &nb, Location loc, Value m0, ValueRange) {
                ImplicitLocOpBuilder lb(loc, nb);
                emitMatmulTile(lb, w, row, x, y, m0, 1, n);
                scf::YieldOp::create(lb);
              });
        });
      });
}

/// Decodes weight row `row` into out[outRow, :].
static void emitDecodeRow(ImplicitLocOpBuilder &b, const WeightReader &w, const WeightRow &row,
                          Value out, Value outRow) {
  const RowLayout &layout = w.layout();
  buildForLoop(b, constIndex(b, 0), constIndex(b, w.blocksPerRow()), constIndex(b, 1),
               ValueRange{}, [&](ImplicitLocOpBuilder &lb, Value block, ValueRange) {
                 Value k0 = arith::MulIOp::create(lb, block, constIndex(lb, layout.blockElems));
                 w.decode(lb, row, block, [&](int64_t chunk, Value v) {
                   Value k = arith::AddIOp::create(
                       lb, k0, constIndex(lb, chunk * layout.chunkWidth));
                   vector::StoreOp::create(lb, v, out, ValueRange{outRow, k});
                 });
                 return SmallVector<Value>{};
               });
}

func::FuncOp lmc::cpu::getEmbeddingKernel(OpBuilder &builder, ModuleOp module,
                                          const WeightAccess &table) {
  int64_t dim = table.type().getShape().back();
  MLIRContext *ctx = module.getContext();
  SmallVector<Type> args{MemRefType::get({ShapedType::kDynamic}, IntegerType::get(ctx, 32)),
                         activationType(ctx, {dim})};
  table.appendArgTypes(ctx, args);
  return getOrCreateKernel(
      builder, module, "lmc_embedding_" + table.key(), args,
      [&](ImplicitLocOpBuilder &b, ValueRange a) {
        Value ids = a[0], out = a[1];
        WeightReader w(table, a.drop_front(2));
        Value count = memref::DimOp::create(b, ids, 0);
        buildParallelLoop(b, count, [&](ImplicitLocOpBuilder &pb, Value t) {
          Value id = memref::LoadOp::create(pb, ids, ValueRange{t});
          Value row = arith::IndexCastOp::create(pb, pb.getIndexType(), id);
          emitDecodeRow(pb, w, w.flatRow(pb, row), out, t);
        });
      });
}

func::FuncOp lmc::cpu::getDequantizeKernel(OpBuilder &builder, ModuleOp module,
                                           const WeightAccess &weight) {
  int64_t cols = weight.type().getShape().back();
  int64_t rows = weight.type().getNumElements() / cols;
  MLIRContext *ctx = module.getContext();
  SmallVector<Type> args{MemRefType::get({rows, cols}, Float32Type::get(ctx))};
  weight.appendArgTypes(ctx, args);
  return getOrCreateKernel(
      builder, module, "lmc_dequantize_" + weight.key(), args,
      [&](ImplicitLocOpBuilder &b, ValueRange a) {
        WeightReader w(weight, a.drop_front(1));
        buildParallelLoop(b, constIndex(b, rows), [&](ImplicitLocOpBuilder &pb, Value r) {
          emitDecodeRow(pb, w, w.flatRow(pb, r), a[0], r);
        });
      });
}
