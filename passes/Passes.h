//===- Passes.h - lmc pass declarations -------------------------*- C++ -*-===//
#ifndef LMC_PASSES_PASSES_H
#define LMC_PASSES_PASSES_H

#include "dialects/cpu/CPUDialect.h"
#include "dialects/tfm/TfmOps.h"
#include "mlir/Dialect/AMX/AMXDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace lmc {
#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

/// Adds the fusion passes, in the order the CPU and GPU pipelines run them.
void addFusionPasses(mlir::OpPassManager &pm);
/// Registers every lmc pass and the `tfm-fuse` pipeline.
void registerAllLmcPasses();
} // namespace lmc

#endif // LMC_PASSES_PASSES_H
