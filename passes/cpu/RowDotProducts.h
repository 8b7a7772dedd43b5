//===- RowDotProducts.h - dot products of one weight row with activations -*- C++ -*-===//
//
// The inner loop every weight-reading kernel shares: stream one row of a
// weight in its storage format, decode each block once in registers, and
// accumulate its dot products with several activation rows at once (so one
// decoded block serves them all).
//
//===----------------------------------------------------------------------===//
#ifndef LMC_PASSES_CPU_ROWDOTPRODUCTS_H
#define LMC_PASSES_CPU_ROWDOTPRODUCTS_H

#include "passes/cpu/ActivationQuantization.h"
#include "passes/cpu/WeightAccess.h"

namespace lmc::cpu {

/// For each i: y[yRows[i], n] = dot(row `row` of the weight `w` reads,
/// x[xRows[i], :]) (+ `bias`, an f32 scalar, when given).
void emitRowDotProducts(mlir::ImplicitLocOpBuilder &b, const WeightReader &w,
                        const WeightRow &row, mlir::Value x,
                        llvm::ArrayRef<mlir::Value> xRows,
                        mlir::Value y, llvm::ArrayRef<mlir::Value> yRows,
                        mlir::Value n, mlir::Value bias = {});

/// Whether emitInt8RowDotProducts reads `weight`: hasByteDecoding formats
/// whose blocks hold their own factors.
bool hasInt8RowDotProducts(const WeightAccess &weight);

/// emitRowDotProducts on activations rounded to int8 (`x`, quantized in
/// groups of getByteLayout(storage).groupElems), for hasByteDecoding
/// weights: each chunk's unsigned weight bytes times the activations' signed
/// ones on AVX-512 VNNI (vpdpbusd, sums of four products in i32 lanes),
/// scaled in f32 by the groups' weight and activation factors, less each
/// group's correction times its activation sum.
void emitInt8RowDotProducts(mlir::ImplicitLocOpBuilder &b, const WeightReader &w,
                            const WeightRow &row, const QuantizedRows &x,
                            llvm::ArrayRef<mlir::Value> xRows, mlir::Value y,
                            llvm::ArrayRef<mlir::Value> yRows, mlir::Value n,
                            mlir::Value bias = {});

} // namespace lmc::cpu

#endif // LMC_PASSES_CPU_ROWDOTPRODUCTS_H
