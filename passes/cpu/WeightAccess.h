//===- WeightAccess.h - how kernels address a weight's bytes ----*- C++ -*-===//
//
// A weight is usually one row-major block of the weights mapping. Weights
// read in place from Hugging Face checkpoints are not: experts stored as
// separate tensors (a table of per-slice offsets), rows interleaved with
// another weight's (a row stride), FP8 and OpenAI-MXFP4 elements whose block
// scales are a second weight with a layout of its own. WeightAccess is the
// part of a tfm.weight_decl's layout a kernel is specialised on; the caller
// passes the matching arguments (emitWeightOperands) and the kernel body
// addresses rows and scales through a WeightReader.
//
//===----------------------------------------------------------------------===//
#ifndef LMC_PASSES_CPU_WEIGHTACCESS_H
#define LMC_PASSES_CPU_WEIGHTACCESS_H

#include "passes/cpu/WeightDecoding.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

#include <optional>
#include <string>

namespace lmc::cpu {

/// The argument attribute of the functions' weights argument (the mapping).
constexpr llvm::StringLiteral kWeightsArgAttr = "tfm.weights";

/// The addressing of one declared weight (the data or its scales).
struct WeightLayout {
  tfm::WeightType type;
  /// Per-slice byte offsets of the leading dimension, in a table argument.
  bool sliced = false;
  /// Stored rows per row.
  int64_t rowStride = 1;

  /// Rows of ne[-1] elements in one slice of the leading dimension (all rows
  /// for rank 1 and 2).
  int64_t rowsPerSlice() const;
  int64_t rowBytes() const;
  std::string key() const;
};

struct WeightAccess {
  WeightLayout data;
  std::optional<WeightLayout> scales;

  /// A weight that is one row-major block.
  static WeightAccess contiguous(tfm::WeightType type);
  /// The access `decl` declares (its scales declaration, if any, given).
  static WeightAccess of(tfm::WeightDeclOp decl, tfm::WeightDeclOp scales);

  tfm::WeightType type() const { return data.type; }
  bool isContiguous() const {
    return !data.sliced && data.rowStride == 1 && !scales;
  }
  /// A kernel-name fragment: storage, shape and layout.
  std::string key() const;
  /// The kernel arguments, in order: data bytes (memref<?xi8>), the data's
  /// slice table (memref<E x i64>), the scale bytes, the scales' table.
  void appendArgTypes(mlir::MLIRContext *ctx,
                      llvm::SmallVectorImpl<mlir::Type> &types) const;
  unsigned numArgs() const;
};

/// The type weight bytes lower to: the mapping viewed from the weight's
/// offset.
mlir::MemRefType weightBytesType(mlir::MLIRContext *ctx);

/// The declaration of `weight` (the result of a tfm.weight), or null.
tfm::WeightDeclOp lookupWeightDecl(mlir::Value weight);

/// The access of `weight` (a tfm.weight result read by `user`) as declared;
/// contiguous if there is no declaration (IR under test). Fails with a
/// diagnostic on `user` for weights no kernel reads: e8m0 data, and e4m3 or
/// mxfp4_oai data whose scales are not declared.
mlir::FailureOr<WeightAccess> getWeightAccess(mlir::Operation *user, mlir::Value weight);

/// The bytes of `decl` viewed from its offset in the weights argument of the
/// function around the insertion point. Fails (with a diagnostic on `user`)
/// if the declaration has no offset or there is no weights argument.
mlir::FailureOr<mlir::Value> viewWeightBytes(mlir::OpBuilder &b, mlir::Location loc,
                                             mlir::Operation *user,
                                             tfm::WeightDeclOp decl);

/// The kernel arguments of `weight` (the original tfm.weight result, its
/// access checked by getWeightAccess) whose converted bytes are `bytes`:
/// `bytes`, then the slice tables and scale bytes its access needs.
mlir::FailureOr<llvm::SmallVector<mlir::Value>>
emitWeightOperands(mlir::OpBuilder &b, mlir::Location loc, mlir::Operation *user,
                   mlir::Value weight, mlir::Value bytes);

/// Calls `kernel` with `args` followed by the arguments of `weight` (see
/// emitWeightOperands).
mlir::LogicalResult callWithWeight(mlir::OpBuilder &b, mlir::Location loc,
                                   mlir::Operation *user, mlir::func::FuncOp kernel,
                                   llvm::SmallVector<mlir::Value> args, mlir::Value weight,
                                   mlir::Value weightBytes);

/// One row of a weight, as a kernel addresses it.
struct WeightRow {
  /// Slice of the leading dimension (null for rank <= 2).
  mlir::Value slice;
  /// Row within the slice.
  mlir::Value row;
  /// Byte offset of the row's first block.
  mlir::Value base;
};

/// Reads a weight inside a kernel, from the arguments WeightAccess declares.
class WeightReader {
public:
  /// Takes the first access.numArgs() values of `args`.
  WeightReader(const WeightAccess &access, mlir::ValueRange args);

  const RowLayout &layout() const { return rowLayout; }
  int64_t blocksPerRow() const;
  mlir::Value bytes() const { return dataBytes; }

  /// Row `row` of slice `slice` (slice null for rank <= 2).
  WeightRow row(mlir::ImplicitLocOpBuilder &b, mlir::Value slice, mlir::Value row) const;
  /// Row `flatRow` counting all rows of all slices in order.
  WeightRow flatRow(mlir::ImplicitLocOpBuilder &b, mlir::Value flatRow) const;

  /// Decodes block `block` of `row` (with its scale, if the format has
  /// scales), as decodeBlock does.
  void decode(mlir::ImplicitLocOpBuilder &b, const WeightRow &row, mlir::Value block,
              llvm::function_ref<void(int64_t, mlir::Value)> consume) const;
  /// Decodes block `block` of `row` into integers and factors, as
  /// decodeBlockIntegers does (hasIntegerDecoding formats only).
  void decodeIntegers(mlir::ImplicitLocOpBuilder &b, const WeightRow &row, mlir::Value block,
                      IntegerConsumer consume) const;
  /// The factors of block `block` of `row`, as decodeBlockByteFactors
  /// gives them (hasByteDecoding formats only).
  ByteFactors decodeByteFactors(mlir::ImplicitLocOpBuilder &b, const WeightRow &row,
                                mlir::Value block) const;
  /// Decodes block `block` of `row` into unsigned bytes, as decodeBlockBytes
  /// does.
  void decodeBytes(mlir::ImplicitLocOpBuilder &b, const WeightRow &row, mlir::Value block,
                   llvm::function_ref<void(int64_t, mlir::Value)> consume) const;
  /// Decodes the whole of `row` into out[outRow, :] (out: a 2-D f32 memref).
  void decodeRow(mlir::ImplicitLocOpBuilder &b, const WeightRow &row, mlir::Value out,
                 mlir::Value outRow) const;

private:
  mlir::Value rowBase(mlir::ImplicitLocOpBuilder &b, const WeightLayout &layout,
                      mlir::Value table, mlir::Value slice, mlir::Value row) const;
  mlir::Value blockScale(mlir::ImplicitLocOpBuilder &b, const WeightRow &row,
                         mlir::Value block) const;
  /// Byte offset of block `block` of `row`.
  mlir::Value blockBase(mlir::ImplicitLocOpBuilder &b, const WeightRow &row,
                        mlir::Value block) const;

  WeightAccess access;
  RowLayout rowLayout;
  mlir::Value dataBytes, dataTable, scaleBytes, scaleTable;
};

} // namespace lmc::cpu

#endif // LMC_PASSES_CPU_WEIGHTACCESS_H
