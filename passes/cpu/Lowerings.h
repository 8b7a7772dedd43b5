//===- Lowerings.h - groups of tfm -> CPU conversion patterns ---*- C++ -*-===//
#ifndef LMC_PASSES_CPU_LOWERINGS_H
#define LMC_PASSES_CPU_LOWERINGS_H

#include "passes/cpu/Kernels.h"
#include "mlir/Transforms/DialectConversion.h"

namespace lmc::cpu {

/// Mixture-of-experts ops: tfm.top_k, tfm.expert_matmul, tfm.clamp,
/// tfm.clamped_swiglu, the routing helpers tfm.one_hot, tfm.masked_fill,
/// tfm.take_along, and the fused tfm.moe. Expert products multiply as
/// `modes` says, where the weights' formats allow.
void populateExpertLoweringPatterns(const mlir::TypeConverter &converter,
                                    mlir::RewritePatternSet &patterns, ProductModes modes);

/// Multi-head latent attention: tfm.head_matmul, tfm.latent_attention.
void populateMLALoweringPatterns(const mlir::TypeConverter &converter,
                                 mlir::RewritePatternSet &patterns);

} // namespace lmc::cpu

#endif // LMC_PASSES_CPU_LOWERINGS_H
