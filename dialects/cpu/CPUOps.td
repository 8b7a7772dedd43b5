//===- CPUOps.td - lmc_cpu: what CPU kernels need of the runtime -*- tablegen -*-===//
//
// The ops here stand for services of the lmc runtime that generated CPU code
// uses. They survive until the conversion to the LLVM dialect, which turns
// them into calls to the runtime's C ABI (runtime/ModelABI.h).
//
//===----------------------------------------------------------------------===//
#ifndef LMC_DIALECTS_CPU_CPUOPS_TD
#define LMC_DIALECTS_CPU_CPUOPS_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/SymbolInterfaces.td"

def CPU_Dialect : Dialect {
  let name = "lmc_cpu";
  let cppNamespace = "::lmc::cpu";
  let summary = "Runtime services for lmc's generated CPU code";
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def CPU_ParallelCallOp : Op<CPU_Dialect, "parallel_call", [
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "runs a function over [0, count) on the runtime's threads";
  let description = [{
    ```mlir
    lmc_cpu.parallel_call @body(%a, %b) count %n : (memref<?xf32>, index)
    ```
    Calls `@body(%a, %b, begin, end)` for disjoint chunks [begin, end) that
    together cover [0, count), possibly concurrently, and returns when all
    are done. `@body` must take the operands followed by two `index` values
    and return nothing; chunks must be independent.
  }];
  let arguments = (ins FlatSymbolRefAttr:$callee, Variadic<AnyType>:$captures,
                       Index:$count);
  let assemblyFormat = [{
    $callee `(` $captures `)` `count` $count attr-dict `:` `(` type($captures) `)`
  }];
}

#endif // LMC_DIALECTS_CPU_CPUOPS_TD
