//===- Pipelines.cpp - lmc's pass pipelines -------------------------------===//
#include "compiler/Pipelines.h"
#include "passes/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/TargetParser/Host.h"

using namespace mlir;

bool lmc::hostHasAmx() {
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  return features.lookup("amx-tile") && features.lookup("amx-bf16");
}

bool lmc::hostHasAmxInt8() {
  return hostHasAmx() && llvm::sys::getHostCPUFeatures().lookup("amx-int8");
}

bool lmc::hostHasAvx512Vnni() {
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  return features.lookup("avx512vnni") && features.lookup("avx512vl") &&
         features.lookup("avx512bw");
}

void lmc::buildCPUPipeline(OpPassManager &pm, const CPUPipelineOptions &options) {
  if (options.fuse)
    addFusionPasses(pm);
  ConvertTfmToCPUOptions lowering;
  lowering.amx = options.amx;
  lowering.amxInt8 = options.amxInt8;
  lowering.vnniInt8 = options.vnniInt8;
  lowering.int8Rows = options.int8Rows;
  pm.addPass(createConvertTfmToCPU(lowering));
  pm.addPass(createLmcApproximateMath());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  bufferization::buildBufferDeallocationPipeline(pm);
  pm.addNestedPass<func::FuncOp>(createLmcFreeAfterLastUse());
  pm.addPass(createLmcOutlineLoops());
  pm.addPass(createLmcOutlineParallel());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  ConvertVectorToLLVMPassOptions vectorOptions;
  vectorOptions.reassociateFPReductions = true;
  vectorOptions.amx = true;
  pm.addPass(createConvertVectorToLLVMPass(vectorOptions));
  pm.addPass(createConvertToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

void lmc::registerPipelines() {
  PassPipelineRegistration<>(
      "lmc-cpu-pipeline", "Lower fused tfm to the LLVM dialect for x86-64",
      [](OpPassManager &pm) { buildCPUPipeline(pm, CPUPipelineOptions{}); });
  PassPipelineRegistration<>(
      "lmc-cpu-pipeline-nofuse",
      "Lower tfm to the LLVM dialect without fusion (the reference path)",
      [](OpPassManager &pm) {
        CPUPipelineOptions options;
        options.fuse = false;
        buildCPUPipeline(pm, options);
      });
}
