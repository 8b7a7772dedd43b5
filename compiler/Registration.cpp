//===- Registration.cpp - everything lmc's tools register -----------------===//
#include "compiler/Registration.h"
#include "compiler/Pipelines.h"
#include "dialects/cpu/CPUDialect.h"
#include "dialects/tfm/TfmDialect.h"
#include "passes/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"

void lmc::registerAllDialectsAndExtensions(mlir::DialectRegistry &registry) {
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  registry.insert<lmc::tfm::TfmDialect, lmc::cpu::CPUDialect>();
  lmc::cpu::registerConvertCPUToLLVMInterface(registry);
  mlir::registerBuiltinDialectTranslation(registry);
  mlir::registerLLVMDialectTranslation(registry);
}

void lmc::registerAllPasses() {
  mlir::registerAllPasses();
  registerAllLmcPasses();
  registerPipelines();
}
