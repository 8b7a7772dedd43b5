//===- Kernels.h - CPU kernels for tfm ops ----------------------*- C++ -*-===//
//
// Each function returns (creating on first use) the kernel for one
// specialisation; the caller emits the func.call. Argument order is given
// per kernel; activations are identity-layout f32 memrefs whose leading
// (token) dimension is dynamic. "w..." stands for a weight's arguments as
// its WeightAccess lists them (emitWeightOperands), always last.
//
//===----------------------------------------------------------------------===//
#ifndef LMC_PASSES_CPU_KERNELS_H
#define LMC_PASSES_CPU_KERNELS_H

#include "dialects/tfm/TfmOps.h"
#include "passes/cpu/WeightAccess.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace lmc::cpu {

/// Whether and how prefill products use AMX tiles (AmxMatmul.h).
enum class AmxMode {
  /// f32 vector code only.
  off,
  /// bf16 tiles, to f32 accuracy (activations split into three parts).
  exact,
  /// int8 tiles, activations rounded to int8 per 32 elements as llama.cpp's.
  int8,
  /// As int8, packed and unpacked the same way, but the products run on
  /// AVX-512 VNNI instructions: for machines without AMX.
  vnni8,
};

/// The kernel-name suffix of `mode` ("", "_amx", "_amx8", "_vnnimm8").
llvm::StringRef getAmxKernelSuffix(AmxMode mode);

/// How the kernels that multiply by a weight multiply: `amx` for many
/// activation rows (prefill); with `int8Rows`, few rows (decode) are rounded
/// to int8 per 32 elements and multiplied on AVX-512 VNNI
/// (emitInt8RowDotProducts) instead of in f32.
struct ProductModes {
  AmxMode amx = AmxMode::off;
  bool int8Rows = false;

  /// The modes `weight` (n rows of k elements) has paths for.
  ProductModes supportedBy(const WeightAccess &weight, int64_t n, int64_t k) const;
  /// The kernel-name suffix: getAmxKernelSuffix, then "_vnni8" for int8Rows.
  std::string kernelSuffix() const;
};

/// (x: [M, K], y: [M, N], w... of [N, K]): y = x w^T. Many rows take the
/// AMX path where `modes` and the weight allow it (AmxMatmul.h).
mlir::func::FuncOp getMatmulKernel(mlir::OpBuilder &b, mlir::ModuleOp module,
                                   const WeightAccess &weight, ProductModes modes = {});

/// (ids: [T] i32, out: [T, D], table... of [V, D]): out[t] = table[ids[t]].
mlir::func::FuncOp getEmbeddingKernel(mlir::OpBuilder &b, mlir::ModuleOp module,
                                      const WeightAccess &table);

/// (out: [R, C], w... of [..., C] with R rows): decodes every row.
mlir::func::FuncOp getDequantizeKernel(mlir::OpBuilder &b, mlir::ModuleOp module,
                                       const WeightAccess &weight);

/// (x: [M, D], gain: [D], y: [M, D], eps: f32).
mlir::func::FuncOp getRMSNormKernel(mlir::OpBuilder &b, mlir::ModuleOp module,
                                    int64_t dim);

/// (gate: [M, F], up: [M, F], y: [M, F]): y = silu(gate) * up.
mlir::func::FuncOp getSwiGLUKernel(mlir::OpBuilder &b, mlir::ModuleOp module,
                                   int64_t dim);

/// (x: [T, H, D], y: [T, H, D], start: index).
mlir::func::FuncOp getRopeKernel(mlir::OpBuilder &b, mlir::ModuleOp module,
                                 int64_t heads, int64_t headDim,
                                 tfm::RopeConfigAttr config,
                                 tfm::RopeStyle style, float mscale);

/// (out: [T, dim/2], start: index): rope angles of positions start + t.
mlir::func::FuncOp getRopeAnglesKernel(mlir::OpBuilder &b, mlir::ModuleOp module,
                                       tfm::RopeConfigAttr config);

/// (q: [T, Hq, D], cache, out: [T, Hq, D], layer: index, start: index,
///  window: index, scale: f32 [, sinks: [Hq]]). window 0 means unbounded.
mlir::func::FuncOp getAttentionKernel(mlir::OpBuilder &b, mlir::ModuleOp module,
                                      int64_t queryHeads, tfm::KVCacheType cache,
                                      bool withSinks);

/// (values: [T, H, D], cache, layer: index, stream: index, start: index).
mlir::func::FuncOp getCacheWriteKernel(mlir::OpBuilder &b, mlir::ModuleOp module,
                                       tfm::KVCacheType cache);

/// (cache, out: [T, H, D], layer: index, stream: index).
mlir::func::FuncOp getCacheReadKernel(mlir::OpBuilder &b, mlir::ModuleOp module,
                                      tfm::KVCacheType cache);

/// (x: [M, N], values: [M, k], indices: [M, k] i32): the k largest of each
/// row, descending, lower index first among equals.
mlir::func::FuncOp getTopKKernel(mlir::OpBuilder &b, mlir::ModuleOp module,
                                 int64_t n, int64_t k);

/// (x: [R, K], ids: [P] i32, y: [P, N] [, bias: bytes of [E, N] f32],
/// w... of [E, N, K]): y[p] = w[ids[p]] x[r] (+ bias[ids[p]]), with r = p /
/// slots when `sharedInput` (x has one row per token) and r = p otherwise.
mlir::func::FuncOp getExpertMatmulKernel(mlir::OpBuilder &b, mlir::ModuleOp module,
                                         const WeightAccess &weight, int64_t slots,
                                         bool sharedInput, tfm::WeightType bias,
                                         ProductModes modes);

/// The routing of `op`: (logits: [T, E] [, router bias: bytes of [E] f32]
/// [, selection bias: bytes of [E] f32], ids: [T, k] i32, weights: [T, k]).
mlir::func::FuncOp getMoeRoutingKernel(mlir::OpBuilder &b, mlir::ModuleOp module,
                                       tfm::MoeOp op);

/// (gate: [M, F], up: [M, F], y: [M, F]): tfm.clamped_swiglu.
mlir::func::FuncOp getClampedSwiGLUKernel(mlir::OpBuilder &b, mlir::ModuleOp module,
                                          int64_t dim, float alpha, float limit);

/// (outputs: [T*S, D], weights: [T, S], y: [T, D]):
/// y[t] = sum_s weights[t, s] * outputs[t*S + s].
mlir::func::FuncOp getExpertCombineKernel(mlir::OpBuilder &b, mlir::ModuleOp module,
                                          int64_t slots, int64_t dim);

/// (x: [T*H, K], y: [T*H, N], w... of [H, N, K]): row t*H + h of y is
/// w[h] times row t*H + h of x (tfm.head_matmul).
mlir::func::FuncOp getHeadMatmulKernel(mlir::OpBuilder &b, mlir::ModuleOp module,
                                       const WeightAccess &weight);

/// (q: [T, H, D], cache, out: [T, H, Dv], layer: index, start: index,
///  scale: f32): tfm.latent_attention over stream 0 of a one-head cache.
mlir::func::FuncOp getLatentAttentionKernel(mlir::OpBuilder &b, mlir::ModuleOp module,
                                            int64_t heads, tfm::KVCacheType cache,
                                            int64_t valueDim);

/// The memref type a KV cache value lowers to: [layers, streams, heads, ?, dim].
mlir::MemRefType getCacheMemRefType(tfm::KVCacheType cache);

/// The name fragment of kernels specialised on a cache type ("28x2x8x128",
/// "..._f16" for an f16 cache).
std::string getCacheKernelKey(tfm::KVCacheType cache);

} // namespace lmc::cpu

#endif // LMC_PASSES_CPU_KERNELS_H
