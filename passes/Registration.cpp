//===- Registration.cpp - lmc pass registration ---------------------------===//
#include "passes/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

void lmc::addFusionPasses(mlir::OpPassManager &pm) {
  // Rope and attention patterns look through the norms' outputs, so the order
  // only matters for readability of intermediate IR.
  pm.addPass(createTfmFuseRMSNorm());
  pm.addPass(createTfmFuseSwiGLU());
  pm.addPass(createTfmFuseRope());
  pm.addPass(createTfmFuseAttention());
  pm.addPass(createTfmAbsorbMLA());
  // After SwiGLU: the MoE pattern expects the fused activation.
  pm.addPass(createTfmFuseMoe());
  pm.addPass(mlir::createCanonicalizerPass());
  pm.addPass(mlir::createCSEPass());
}

void lmc::registerAllLmcPasses() {
  registerLmcPasses();
  mlir::PassPipelineRegistration<>(
      "tfm-fuse", "Run every tfm fusion pass",
      [](mlir::OpPassManager &pm) { addFusionPasses(pm); });
}
