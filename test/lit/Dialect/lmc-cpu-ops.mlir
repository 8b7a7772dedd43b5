// RUN: lmc-opt %s | lmc-opt | FileCheck %s
// RUN: lmc-opt %s --convert-to-llvm | FileCheck %s --check-prefix=LLVM

// lmc_cpu.dot_bytes prints and parses back, and becomes AVX-512 VNNI's
// vpdpbusd with a zero accumulator, on 64 or 32 bytes, or with the one given.

// CHECK-LABEL: func.func @dots
// CHECK: lmc_cpu.dot_bytes %arg0, %arg1 : vector<64xi8> -> vector<16xi32>
// CHECK: lmc_cpu.dot_bytes %arg2, %arg3 : vector<32xi8> -> vector<8xi32>

// LLVM-LABEL: llvm.func @dots
// LLVM: %[[Z:.*]] = llvm.mlir.zero : vector<16xi32>
// LLVM: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%[[Z]], %arg0, %arg1) : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
// LLVM: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.256"

// CHECK-LABEL: func.func @accumulate
// CHECK: lmc_cpu.dot_bytes %arg0, %arg1 acc %arg2 : vector<64xi8> -> vector<16xi32>

// LLVM-LABEL: llvm.func @accumulate
// LLVM-NOT: llvm.mlir.zero
// LLVM: llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%arg2, %arg0, %arg1)
func.func @dots(%u: vector<64xi8>, %v: vector<64xi8>, %a: vector<32xi8>,
                %b: vector<32xi8>) -> (vector<16xi32>, vector<8xi32>) {
  %0 = lmc_cpu.dot_bytes %u, %v : vector<64xi8> -> vector<16xi32>
  %1 = lmc_cpu.dot_bytes %a, %b : vector<32xi8> -> vector<8xi32>
  return %0, %1 : vector<16xi32>, vector<8xi32>
}

func.func @accumulate(%u: vector<64xi8>, %v: vector<64xi8>, %s: vector<16xi32>) -> vector<16xi32> {
  %0 = lmc_cpu.dot_bytes %u, %v acc %s : vector<64xi8> -> vector<16xi32>
  return %0 : vector<16xi32>
}
