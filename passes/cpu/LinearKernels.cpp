//===- LinearKernels.cpp - kernels that read weights ----------------------===//
//
// Matrix products against weights, embedding gathers and whole-weight
// decoding. Weights stay in their storage format in memory; every kernel
// decodes blocks in registers as it streams through a row.
//
//===----------------------------------------------------------------------===//
#include "passes/cpu/AmxMatmul.h"
#include "passes/cpu/KernelBuilder.h"
#include "passes/cpu/Kernels.h"
#include "passes/cpu/RowDotProducts.h"
#include "passes/cpu/TiledMatmul.h"
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

/// y = x w^T one weight row at a time, each decoded once per 4 rows of x:
/// the path for a few rows (decode) and the reference for the tiled one.
/// With `int8`, x is first rounded to int8 (emitInt8RowDotProducts).
void emitRowMatmul(ImplicitLocOpBuilder &b, const WeightReader &w, int64_t n, int64_t k, Value x,
                   Value y, Value m, bool int8) {
  std::optional<QuantizedRows> quantized;
  if (int8)
    quantized = emitQuantizeRows(b, x, m, k, getByteLayout(w.layout().storage).groupElems);
  buildParallelLoop(b, constIndex(b, n), [&](ImplicitLocOpBuilder &pb, Value n) {
    WeightRow row = w.row(pb, Value(), n);
    buildGroupedLoop(pb, constIndex(pb, 0), m, kMatmulRowTile,
                     [&](ImplicitLocOpBuilder &lb, Value m0, int64_t count) {
                       SmallVector<Value> rows = consecutiveIndices(lb, m0, count);
                       if (quantized)
                         emitInt8RowDotProducts(lb, w, row, *quantized, rows, y, rows, n);
                       else
                         emitRowDotProducts(lb, w, row, x, rows, y, rows, n);
                     });
  });
}

/// Activation rows per block of the tiled path: a block and a decoded tile
/// share L2.
constexpr int64_t kTiledRowBlock = 128;

/// y = x w^T by decoded weight tiles: (row block, tile) pairs in parallel,
/// each tile decoded once per block of up to kTiledRowBlock rows.
void emitTiledMatmul(ImplicitLocOpBuilder &b, const WeightReader &w,
                     const WeightTiling &tiling, Value x, Value y, Value m) {
  Value tiles = constIndex(b, tiling.tiles());
  Value blockRows = constIndex(b, kTiledRowBlock);
  Value blocks = arith::CeilDivUIOp::create(b, m, blockRows);
  buildParallelLoop(b, arith::MulIOp::create(b, blocks, tiles),
                    [&](ImplicitLocOpBuilder &pb, Value i) {
    Value begin = arith::MulIOp::create(pb, arith::DivUIOp::create(pb, i, tiles), blockRows);
    Value end = arith::MinUIOp::create(pb, m, arith::AddIOp::create(pb, begin, blockRows));
    Value first = arith::MulIOp::create(pb, arith::RemUIOp::create(pb, i, tiles),
                                        constIndex(pb, tiling.tileRows));
    Value tile = memref::AllocaOp::create(pb, tiling.tileType(pb.getContext()),
                                          ValueRange{}, pb.getI64IntegerAttr(64));
    emitDecodeWeightTile(pb, w, tiling, Value(), first, tile);
    emitTileProducts(pb, tiling, tile, x, y, begin, end, first,
                     [](ImplicitLocOpBuilder &, Value r) { return std::pair{r, r}; });
  });
}
} // namespace

lmc::cpu::ProductModes lmc::cpu::ProductModes::supportedBy(const WeightAccess &weight, int64_t n,
                                                             int64_t k) const {
  ProductModes supported;
  if (amx != AmxMode::off && hasAmxMatmul(weight, n, k, amx))
    supported.amx = amx;
  supported.int8Rows = int8Rows && hasInt8RowDotProducts(weight);
  return supported;
}

std::string lmc::cpu::ProductModes::kernelSuffix() const {
  return getAmxKernelSuffix(amx).str() + (int8Rows ? "_vnni8" : "");
}

func::FuncOp lmc::cpu::getMatmulKernel(OpBuilder &builder, ModuleOp module,
                                       const WeightAccess &weight, ProductModes requested) {
  int64_t n = weight.type().getShape()[0], k = weight.type().getShape()[1];
  MLIRContext *ctx = module.getContext();
  SmallVector<Type> args{activationType(ctx, {k}), activationType(ctx, {n})};
  weight.appendArgTypes(ctx, args);
  std::optional<WeightTiling> tiling = WeightTiling::get(n, k);
  ProductModes modes = requested.supportedBy(weight, n, k);
  return getOrCreateKernel(
      builder, module, "lmc_matmul_" + weight.key() + modes.kernelSuffix(), args,
      [&](ImplicitLocOpBuilder &b, ValueRange a) {
        Value x = a[0], y = a[1];
        WeightReader w(weight, a.drop_front(2));
        Value m = memref::DimOp::create(b, x, 0);
        if (!tiling) {
          emitRowMatmul(b, w, n, k, x, y, m, modes.int8Rows);
          return;
        }
        emitByRowCount(
            b, m,
            [&](ImplicitLocOpBuilder &tb) {
              if (modes.amx != AmxMode::off)
                emitAmxMatmul(tb, modes.amx, w, n, k, x, y, m);
              else
                emitTiledMatmul(tb, w, *tiling, x, y, m);
            },
            [&](ImplicitLocOpBuilder &rb) { emitRowMatmul(rb, w, n, k, x, y, m, modes.int8Rows); });
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
          w.decodeRow(pb, w.flatRow(pb, row), out, t);
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
          w.decodeRow(pb, w.flatRow(pb, r), a[0], r);
        });
      });
}
