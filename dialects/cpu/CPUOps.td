//===- CPUOps.td - lmc_cpu: what CPU kernels need of the runtime -*- tablegen -*-===//
//
// The ops here stand for services of the lmc runtime that generated CPU code
// uses, and for x86 instructions kernels need that the vector dialects have
// no op for. They survive until the conversion to the LLVM dialect, which
// turns them into calls to the runtime's C ABI (runtime/ModelABI.h) and into
// LLVM's x86 intrinsics.
//
//===----------------------------------------------------------------------===//
#ifndef LMC_DIALECTS_CPU_CPUOPS_TD
#define LMC_DIALECTS_CPU_CPUOPS_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

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

def CPU_DotBytesOp : Op<CPU_Dialect, "dot_bytes", [Pure,
    AllTypesMatch<["unsigned_bytes", "signed_bytes"]>,
    TypesMatchWith<"the result has a lane per four bytes", "unsigned_bytes", "result",
                   "::mlir::VectorType::get({::llvm::cast<::mlir::VectorType>($_self)"
                   ".getNumElements() / 4}, ::mlir::IntegerType::get($_self.getContext(), 32))">,
    OptionalTypesMatchWith<"the accumulator has the result's type", "result", "acc",
                           "$_self">]> {
  let summary = "sums of four products of unsigned and signed bytes";
  let description = [{
    ```mlir
    %s = lmc_cpu.dot_bytes %u, %v : vector<64xi8> -> vector<16xi32>
    %t = lmc_cpu.dot_bytes %u, %v acc %s : vector<64xi8> -> vector<16xi32>
    ```
    Lane i of the result is the sum over j < 4 of `%u[4i + j]` read as an
    unsigned byte times `%v[4i + j]` read as a signed one, exactly (no
    saturation), plus lane i of `acc` when given (wrapping). AVX-512 VNNI's
    vpdpbusd, with a zero accumulator when none is given; the target must
    have AVX512-VNNI (and AVX512-VL for 32 bytes).
  }];
  let arguments = (ins VectorOfLengthAndType<[32, 64], [I8]>:$unsigned_bytes,
                       VectorOfLengthAndType<[32, 64], [I8]>:$signed_bytes,
                       Optional<VectorOfLengthAndType<[8, 16], [I32]>>:$acc);
  let results = (outs VectorOfLengthAndType<[8, 16], [I32]>:$result);
  let assemblyFormat = [{
    $unsigned_bytes `,` $signed_bytes (`acc` $acc^)? attr-dict `:` type($unsigned_bytes)
    `->` type($result)
  }];
}

#endif // LMC_DIALECTS_CPU_CPUOPS_TD
