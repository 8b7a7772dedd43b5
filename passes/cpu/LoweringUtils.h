//===- LoweringUtils.h - buffers and loops for tfm -> CPU patterns -*- C++ -*-===//
//
// What the conversion patterns of convert-tfm-to-cpu share: buffers for op
// results (activations are contiguous row-major memrefs whose only dynamic
// extent is the leading one), reshaped views of them, and the linalg forms of
// the primitive elementwise ops and reductions (the reference path).
//
//===----------------------------------------------------------------------===//
#ifndef LMC_PASSES_CPU_LOWERINGUTILS_H
#define LMC_PASSES_CPU_LOWERINGUTILS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

namespace lmc::cpu {

/// The memref type a ranked tensor value lowers to.
mlir::MemRefType memrefTypeOf(mlir::Value tensor);

/// A buffer for `result`; its dynamic leading extent (if any) is `leading`.
mlir::Value allocFor(mlir::OpBuilder &b, mlir::Location loc, mlir::Value result,
                     mlir::Value leading);

mlir::Value dimOf(mlir::OpBuilder &b, mlir::Location loc, mlir::Value memref, int64_t i);

/// Views a contiguous buffer with another shape of the same element count.
/// A dynamic leading extent of the result is derived from the element count.
mlir::Value reshapeBuffer(mlir::OpBuilder &b, mlir::Location loc, mlir::Value buffer,
                          llvm::ArrayRef<int64_t> shape);

/// The buffer as [rows, last dim] (rows dynamic).
mlir::Value asRows(mlir::OpBuilder &b, mlir::Location loc, mlir::Value buffer);

/// Extent i of a buffer, as an OpFoldResult or as a Value.
mlir::OpFoldResult extentOf(mlir::OpBuilder &b, mlir::Location loc, mlir::Value buffer,
                            int64_t i);
mlir::Value extentValue(mlir::OpBuilder &b, mlir::Location loc, mlir::Value buffer,
                        int64_t i);

llvm::SmallVector<mlir::utils::IteratorType> parallelIterators(int64_t rank);

/// A buffer of `type` for an elementwise result whose dynamic dimensions come
/// from operands that have them at the same (end-aligned) position.
mlir::Value allocElementwise(mlir::OpBuilder &b, mlir::Location loc, mlir::MemRefType type,
                             mlir::ValueRange operands);

using ScalarBuilder =
    llvm::function_ref<mlir::Value(mlir::OpBuilder &, mlir::Location, mlir::ValueRange)>;

/// A new buffer of `type` = f(operands...) elementwise, operands broadcast
/// NumPy-style (aligned at the end, size-1 extents stretch).
mlir::Value buildElementwise(mlir::OpBuilder &b, mlir::Location loc, mlir::MemRefType type,
                             mlir::ValueRange operands, ScalarBuilder f);

/// Reduces `input` along `axis` into a new keep-dim buffer filled with `init`.
mlir::Value buildReduction(mlir::OpBuilder &b, mlir::Location loc, mlir::Value input,
                           int64_t axis, float init, ScalarBuilder combine);

mlir::Value addF(mlir::OpBuilder &b, mlir::Location loc, mlir::ValueRange a);
mlir::Value maxF(mlir::OpBuilder &b, mlir::Location loc, mlir::ValueRange a);

} // namespace lmc::cpu

#endif // LMC_PASSES_CPU_LOWERINGUTILS_H
