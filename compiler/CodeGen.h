//===- CodeGen.h - LLVM dialect -> x86-64 object ----------------*- C++ -*-===//
#ifndef LMC_COMPILER_CODEGEN_H
#define LMC_COMPILER_CODEGEN_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"

#include <memory>
#include <string>
#include <vector>

namespace lmc {

/// Bytes placed in the object as a read-only symbol `name`, with the
/// uint64_t symbol `name_size` holding their count.
struct EmbeddedData {
  std::string name;
  std::vector<uint8_t> bytes;
};

/// Translates a module in the LLVM dialect to LLVM IR for the host,
/// adds the embedded data, and runs LLVM's O3 pipeline.
std::unique_ptr<llvm::Module>
translateAndOptimize(mlir::ModuleOp module, llvm::LLVMContext &llvmContext,
                     const std::vector<EmbeddedData> &data, std::string &error);

/// Writes `module` as an x86-64 ELF object for the host CPU.
bool emitObjectFile(llvm::Module &module, const std::string &path,
                    std::string &error);

} // namespace lmc

#endif // LMC_COMPILER_CODEGEN_H
