//===- TiledMatmul.cpp - products of many activation rows with a weight ---===//
#include "passes/cpu/TiledMatmul.h"
#include "passes/cpu/KernelBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <algorithm>

using namespace mlir;
using namespace lmc::cpu;

namespace {

/// Micro-kernel shape: activation rows x weight rows, and the vector width
/// of the accumulators along k.
constexpr int64_t kTileActivations = 4;
constexpr int64_t kTileWeights = 4;
constexpr int64_t kLanes = 16;
/// A decoded tile is sized to stay in L2 next to a block of activations.
constexpr int64_t kDecodedTileBytes = 256 * 1024;
constexpr int64_t kMaxTileRows = 64;

/// y[yRows[r], first + j0 + c] = dot(x[xRows[r]], tile[j0 + c]) (+ bias) for
/// c < 4 and every r.
void emitMicroKernel(ImplicitLocOpBuilder &b, const WeightTiling &tiling, Value tile, Value x,
                     Value y, ArrayRef<Value> xRows, ArrayRef<Value> yRows, Value first,
                     Value j0, ColumnBias bias) {
  VectorType lanes = VectorType::get({kLanes}, b.getF32Type());
  Value zero = arith::ConstantOp::create(b, DenseElementsAttr::get(lanes, b.getF32FloatAttr(0)));
  size_t rows = xRows.size();
  SmallVector<Value> tileRows = consecutiveIndices(b, j0, kTileWeights);
  SmallVector<Value> init(rows * kTileWeights, zero);
  ValueRange sums = buildForLoop(
      b, constIndex(b, 0), constIndex(b, tiling.cols), constIndex(b, kLanes), init,
      [&](ImplicitLocOpBuilder &lb, Value k, ValueRange accs) {
        SmallVector<Value> acc(accs), xs, ws;
        for (Value r : xRows)
          xs.push_back(vector::LoadOp::create(lb, lanes, x, ValueRange{r, k}));
        for (Value j : tileRows)
          ws.push_back(vector::LoadOp::create(lb, lanes, tile, ValueRange{j, k}));
        for (size_t r = 0; r < rows; ++r)
          for (int64_t c = 0; c < kTileWeights; ++c)
            acc[r * kTileWeights + c] =
                vector::FMAOp::create(lb, xs[r], ws[c], acc[r * kTileWeights + c]);
        return acc;
      });
  Value column = arith::AddIOp::create(b, first, j0);
  Value biases;
  if (bias) {
    SmallVector<Value> values;
    for (int64_t c = 0; c < kTileWeights; ++c)
      values.push_back(bias(b, arith::AddIOp::create(b, column, constIndex(b, c))));
    biases = vector::FromElementsOp::create(
        b, VectorType::get({kTileWeights}, b.getF32Type()), values);
  }
  for (size_t r = 0; r < rows; ++r) {
    Value out = reduceAddEach(b, sums.slice(r * kTileWeights, kTileWeights));
    if (biases)
      out = arith::AddFOp::create(b, out, biases);
    vector::StoreOp::create(b, out, y, ValueRange{yRows[r], column});
  }
}

} // namespace

void lmc::cpu::emitByRowCount(ImplicitLocOpBuilder &b, Value rows, PathBuilder tiled,
                              PathBuilder few) {
  Value many = arith::CmpIOp::create(b, arith::CmpIPredicate::uge, rows,
                                     constIndex(b, kTiledMatmulMinRows));
  auto branch = [](PathBuilder path) {
    return [path](OpBuilder &nb, Location loc) {
      ImplicitLocOpBuilder pb(loc, nb);
      path(pb);
      scf::YieldOp::create(pb);
    };
  };
  scf::IfOp::create(b, many, branch(tiled), branch(few));
}

std::optional<WeightTiling> WeightTiling::get(int64_t rows, int64_t cols) {
  if (rows % kTileWeights != 0 || cols % kLanes != 0)
    return std::nullopt;
  int64_t cap = kDecodedTileBytes / (4 * cols) / kTileWeights * kTileWeights;
  cap = std::clamp<int64_t>(cap, kTileWeights, kMaxTileRows);
  int64_t tileRows = kTileWeights;
  for (int64_t t = cap; t > kTileWeights; t -= kTileWeights)
    if (rows % t == 0) {
      tileRows = t;
      break;
    }
  return WeightTiling{rows, cols, tileRows};
}

MemRefType WeightTiling::tileType(MLIRContext *ctx) const {
  return MemRefType::get({tileRows, cols}, Float32Type::get(ctx));
}

void lmc::cpu::emitDecodeWeightTile(ImplicitLocOpBuilder &b, const WeightReader &w,
                                    const WeightTiling &tiling, Value slice, Value first,
                                    Value tile) {
  buildForLoop(b, constIndex(b, 0), constIndex(b, tiling.tileRows), constIndex(b, 1),
               ValueRange{}, [&](ImplicitLocOpBuilder &lb, Value j, ValueRange) {
                 Value row = arith::AddIOp::create(lb, first, j);
                 w.decodeRow(lb, w.row(lb, slice, row), tile, j);
                 return SmallVector<Value>{};
               });
}

void lmc::cpu::gatherProductRows(ImplicitLocOpBuilder &b, ProductRows rows, Value first,
                                 int64_t count, SmallVectorImpl<Value> &xRows,
                                 SmallVectorImpl<Value> &yRows) {
  for (Value i : consecutiveIndices(b, first, count)) {
    auto [xRow, yRow] = rows(b, i);
    xRows.push_back(xRow);
    yRows.push_back(yRow);
  }
}

void lmc::cpu::emitTileProducts(ImplicitLocOpBuilder &b, const WeightTiling &tiling,
                                Value tile, Value x, Value y, Value begin, Value end,
                                Value first, ProductRows rows, ColumnBias bias) {
  // Four activation rows at a time, then the remainder one by one; within
  // each, the tile's rows four at a time, so the activation rows stay in L1
  // while the tile streams from L2.
  buildGroupedLoop(b, begin, end, kTileActivations,
                   [&](ImplicitLocOpBuilder &pb, Value i0, int64_t count) {
    SmallVector<Value> xRows, yRows;
    gatherProductRows(pb, rows, i0, count, xRows, yRows);
    buildForLoop(pb, constIndex(pb, 0), constIndex(pb, tiling.tileRows),
                 constIndex(pb, kTileWeights), ValueRange{},
                 [&](ImplicitLocOpBuilder &lb, Value j0, ValueRange) {
                   emitMicroKernel(lb, tiling, tile, x, y, xRows, yRows, first, j0, bias);
                   return SmallVector<Value>{};
                 });
  });
}
