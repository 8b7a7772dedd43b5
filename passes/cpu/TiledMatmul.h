//===- TiledMatmul.h - products of many activation rows with a weight -*- C++ -*-===//
//
// Prefill multiplies hundreds of activation rows by every weight. The row
// path (RowDotProducts) decodes a weight row once per four activation rows,
// so decoding, not arithmetic, bounds it. The tiled path decodes a tile of
// weight rows once into an f32 buffer sized to stay in L2, then runs a
// register-blocked micro-kernel (4 activation rows x 4 weight rows, sixteen
// vector accumulators: eight loads per sixteen FMAs) over it for every
// activation row of a block.
//
//===----------------------------------------------------------------------===//
#ifndef LMC_PASSES_CPU_TILEDMATMUL_H
#define LMC_PASSES_CPU_TILEDMATMUL_H

#include "passes/cpu/WeightAccess.h"

#include <optional>
#include <utility>

namespace lmc::cpu {

/// Products with at least this many activation rows take the tiled path.
constexpr int64_t kTiledMatmulMinRows = 16;

using PathBuilder = llvm::function_ref<void(mlir::ImplicitLocOpBuilder &)>;
/// Emits `tiled` if there are at least kTiledMatmulMinRows `rows` at run
/// time, `few` otherwise.
void emitByRowCount(mlir::ImplicitLocOpBuilder &b, mlir::Value rows, PathBuilder tiled,
                    PathBuilder few);

/// How a weight of `rows` rows of `cols` elements is tiled.
struct WeightTiling {
  int64_t rows, cols;
  /// Weight rows decoded together; divides `rows`.
  int64_t tileRows;

  int64_t tiles() const { return rows / tileRows; }
  /// Nothing if the shape does not fit the micro-kernel (rows not a
  /// multiple of 4, cols not a multiple of 16): those use the row path.
  static std::optional<WeightTiling> get(int64_t rows, int64_t cols);
  /// The buffer one decoded tile lives in.
  mlir::MemRefType tileType(mlir::MLIRContext *ctx) const;
};

/// Decodes rows [first, first + tileRows) of slice `slice` (null for rank
/// <= 2) of `w` into `tile`, a buffer of tiling.tileType().
void emitDecodeWeightTile(mlir::ImplicitLocOpBuilder &b, const WeightReader &w,
                          const WeightTiling &tiling, mlir::Value slice,
                          mlir::Value first, mlir::Value tile);

/// The activation row to read and the output row to write for product `i`.
using ProductRows =
    llvm::function_ref<std::pair<mlir::Value, mlir::Value>(mlir::ImplicitLocOpBuilder &,
                                                           mlir::Value)>;
/// rows(i) for the products i in [first, first + count), split into the
/// activation rows and the output rows.
void gatherProductRows(mlir::ImplicitLocOpBuilder &b, ProductRows rows, mlir::Value first,
                       int64_t count, llvm::SmallVectorImpl<mlir::Value> &xRows,
                       llvm::SmallVectorImpl<mlir::Value> &yRows);

/// The f32 added to output column `column` (a weight row index).
using ColumnBias =
    llvm::function_ref<mlir::Value(mlir::ImplicitLocOpBuilder &, mlir::Value)>;

/// For every product i in [begin, end), with (xRow, yRow) = rows(i):
///   y[yRow, first + j] = dot(x[xRow, :], tile[j, :]) (+ bias(first + j))
/// for every row j of the decoded tile.
void emitTileProducts(mlir::ImplicitLocOpBuilder &b, const WeightTiling &tiling,
                      mlir::Value tile, mlir::Value x, mlir::Value y, mlir::Value begin,
                      mlir::Value end, mlir::Value first, ProductRows rows,
                      ColumnBias bias = nullptr);

} // namespace lmc::cpu

#endif // LMC_PASSES_CPU_TILEDMATMUL_H
