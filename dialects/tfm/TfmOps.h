//===- TfmOps.h - tfm types, attributes and ops -----------------*- C++ -*-===//
#ifndef LMC_DIALECTS_TFM_TFMOPS_H
#define LMC_DIALECTS_TFM_TFMOPS_H

#include "dialects/tfm/TfmDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/tfm/TfmEnums.h.inc"

namespace mlir {
/// Lets attribute parameters of type APFloat use the declarative format.
template <>
struct FieldParser<llvm::APFloat> {
  static FailureOr<llvm::APFloat> parse(AsmParser &parser) {
    double value;
    if (parser.parseFloat(value))
      return failure();
    return llvm::APFloat(value);
  }
};
} // namespace mlir

#define GET_ATTRDEF_CLASSES
#include "dialects/tfm/TfmAttrs.h.inc"

#define GET_TYPEDEF_CLASSES
#include "dialects/tfm/TfmTypes.h.inc"

namespace lmc::tfm {
/// The side-effect resource that orders KV cache reads and writes.
struct KVCacheResource
    : public mlir::SideEffects::Resource::Base<KVCacheResource> {
  llvm::StringRef getName() final { return "tfm.kv_cache"; }
};

/// Elements per block and bytes per block of a storage format.
int64_t getBlockElements(StorageType storage);
int64_t getBlockBytes(StorageType storage);
/// Whether a format's scales live in a companion weight (e4m3, mxfp4_oai).
bool needsScales(StorageType storage);
/// Rows and columns of the FP8 block scales (128 x 128 blocks).
constexpr int64_t kFp8ScaleBlock = 128;
} // namespace lmc::tfm

#define GET_OP_CLASSES
#include "dialects/tfm/TfmOps.h.inc"

#endif // LMC_DIALECTS_TFM_TFMOPS_H
