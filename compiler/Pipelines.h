//===- Pipelines.h - lmc's pass pipelines -----------------------*- C++ -*-===//
#ifndef LMC_COMPILER_PIPELINES_H
#define LMC_COMPILER_PIPELINES_H

namespace mlir {
class OpPassManager;
}

namespace lmc {
struct CPUPipelineOptions {
  /// Run the fusion passes (the default); without them every primitive op
  /// takes its plain lowering.
  bool fuse = true;
  /// Use AMX tiles for prefill products (the target CPU must have AMX-BF16).
  bool amx = false;
  /// With `amx`, round those products' activations to int8 and multiply on
  /// int8 tiles (the target must have AMX-INT8).
  bool amxInt8 = false;
  /// Without `amx`, round those products' activations the same way and
  /// multiply with AVX-512 VNNI (the target must have AVX512-VNNI).
  bool vnniInt8 = false;
  /// Round the activations of few-row products (decode) to int8 and
  /// multiply with AVX-512 VNNI (the target must have AVX512-VNNI).
  bool int8Rows = false;
};

/// Whether the host CPU (code is generated for it) has AMX with bf16 tiles.
bool hostHasAmx();
/// Whether it also has AMX int8 tiles.
bool hostHasAmxInt8();
/// Whether it has AVX-512 VNNI (vpdpbusd on 512-bit vectors).
bool hostHasAvx512Vnni();

/// tfm -> LLVM dialect for x86-64, on a builtin.module pass manager.
void buildCPUPipeline(mlir::OpPassManager &pm, const CPUPipelineOptions &options);

/// Registers `lmc-cpu-pipeline` (and `lmc-cpu-pipeline-nofuse`) for lmc-opt.
void registerPipelines();
} // namespace lmc

#endif // LMC_COMPILER_PIPELINES_H
