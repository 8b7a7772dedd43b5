//===- ActivationQuantization.h - activations rounded to int8 ---*- C++ -*-===//
//
// With --prefill-activations int8 or --decode-activations int8, products
// round each 32-element block of an activation row to int8 times one f32
// factor, as llama.cpp's CPU backend rounds them for Q8_0 (d = max |x| /
// 127, rounded to f16; q = round(x / d) to nearest even), and multiply
// integers: on AMX-INT8 tiles for many rows (AmxMatmul.h), with AVX-512 VNNI
// for a few (RowDotProducts.h).
//
//===----------------------------------------------------------------------===//
#ifndef LMC_PASSES_CPU_ACTIVATIONQUANTIZATION_H
#define LMC_PASSES_CPU_ACTIVATIONQUANTIZATION_H

#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace lmc::cpu {

/// Elements of an activation block with one factor.
constexpr int64_t kActivationBlock = 32;

/// One activation block rounded to int8.
struct QuantizedBlock {
  /// vector<32xi8>: the integers.
  mlir::Value ints;
  /// vector<32xf32>: the same integers as f32.
  mlir::Value rounded;
  /// f32: the block's factor (an f16 value).
  mlir::Value factor;
};

/// Rounds `values` (a vector<32xf32>) to int8.
QuantizedBlock quantizeBlock(mlir::ImplicitLocOpBuilder &b, mlir::Value values);

/// Rounds row `row` of x ([?, k] f32, k a multiple of 32) block by block:
/// consume(builder, c, block) for the block at each column c.
void emitQuantizeRowBlocks(
    mlir::ImplicitLocOpBuilder &b, mlir::Value x, mlir::Value row, int64_t k,
    llvm::function_ref<void(mlir::ImplicitLocOpBuilder &, mlir::Value, const QuantizedBlock &)>
        consume);

/// Activation rows rounded to int8 for the row products: `ints` [rows, k]
/// i8; per group of `groupElems` elements (32, or 16 for formats with
/// factors per 16) `factors` [rows, k/groupElems] f32, the factor of the
/// block holding the group, and `sums` [rows, k/groupElems] f32, the
/// group's integers summed, times that factor.
struct QuantizedRows {
  mlir::Value ints, factors, sums;
  int64_t groupElems;
};

/// Rounds rows [0, rows) of x ([?, k] f32, k a multiple of 32) into new
/// heap buffers (freed by the pipeline's buffer deallocation).
QuantizedRows emitQuantizeRows(mlir::ImplicitLocOpBuilder &b, mlir::Value x, mlir::Value rows,
                               int64_t k, int64_t groupElems);

} // namespace lmc::cpu

#endif // LMC_PASSES_CPU_ACTIVATIONQUANTIZATION_H
