//===- CPUDialect.h - lmc_cpu dialect ---------------------------*- C++ -*-===//
#ifndef LMC_DIALECTS_CPU_CPUDIALECT_H
#define LMC_DIALECTS_CPU_CPUDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"

#include "dialects/cpu/CPUDialect.h.inc"

#define GET_OP_CLASSES
#include "dialects/cpu/CPUOps.h.inc"

namespace mlir {
class DialectRegistry;
}
namespace lmc::cpu {
/// Name of the runtime entry point that runs parallel loops.
inline constexpr llvm::StringLiteral kParallelForSymbol = "lmc_rt_parallel_for";
/// Lets `convert-to-llvm` lower lmc_cpu ops.
void registerConvertCPUToLLVMInterface(mlir::DialectRegistry &registry);
} // namespace lmc::cpu

#endif // LMC_DIALECTS_CPU_CPUDIALECT_H
