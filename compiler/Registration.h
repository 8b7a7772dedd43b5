//===- Registration.h - everything lmc's tools register ---------*- C++ -*-===//
#ifndef LMC_COMPILER_REGISTRATION_H
#define LMC_COMPILER_REGISTRATION_H

namespace mlir {
class DialectRegistry;
}

namespace lmc {
/// tfm, lmc_cpu, the upstream dialects and the interfaces their lowerings
/// need (bufferization, conversion to LLVM, translation to LLVM IR).
void registerAllDialectsAndExtensions(mlir::DialectRegistry &registry);
/// The lmc passes and pipelines plus every upstream pass.
void registerAllPasses();
} // namespace lmc

#endif // LMC_COMPILER_REGISTRATION_H
