//===- Architectures.h - tfm IR for each supported architecture -*- C++ -*-===//
#ifndef LMC_FRONTENDS_MODEL_ARCHITECTURES_H
#define LMC_FRONTENDS_MODEL_ARCHITECTURES_H

#include "frontends/model/ModelDescription.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <string>

namespace lmc::frontend {

/// Builds the primitive tfm module of `model` (dispatching on its arch), or
/// returns null with a one-line `error`.
mlir::OwningOpRef<mlir::ModuleOp> buildModel(mlir::MLIRContext *ctx,
                                             const ModelDescription &model,
                                             std::string &error);

/// Whether `arch` (llama.cpp's name) has a builder.
bool isSupportedArchitecture(llvm::StringRef arch);
/// The supported architectures' names, comma-separated.
std::string supportedArchitectures();

} // namespace lmc::frontend

#endif // LMC_FRONTENDS_MODEL_ARCHITECTURES_H
