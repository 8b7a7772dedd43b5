// RUN: lmc-opt %s --convert-tfm-to-cpu=vnni-int8=true | FileCheck %s
// RUN: lmc-opt %s --convert-tfm-to-cpu="amx=true vnni-int8=true" | FileCheck %s --check-prefix=AMX

// With vnni-int8 (and no amx), prefill products round activations to int8
// as amx-int8 does and multiply with AVX-512 VNNI: the weights unpacked as
// for int8 tiles with each byte's top bit flipped (w + 128, read unsigned by
// vpdpbusd), the activations' group sums times -128 stored beside their
// factors, and per sub-block one lmc_cpu.dot_bytes per four columns and
// pair of 16-row weight runs, accumulating from those sums; then the i32
// sums are scaled by both factors into f32 accumulators (scf.for
// iter_args), minus the minimums times the block sums for Q4_K. With amx,
// the tiles win and vnni-int8 does nothing.

// AMX-NOT: lmc_cpu.dot_bytes
// AMX-NOT: _vnnimm8

// CHECK-LABEL: func.func @forward
// CHECK: call @lmc_matmul_q8_0_64_64_vnnimm8(
// CHECK: call @lmc_matmul_f32_64_64(
// CHECK-LABEL: func.func @minimums
// CHECK: call @lmc_matmul_q4_k_64_256_vnnimm8(
// CHECK-LABEL: func.func @experts
// CHECK: call @lmc_expert_matmul_mxfp4_4_64_64_s2_shared_vnnimm8(
// CHECK-LABEL: func.func @sixteen
// CHECK: call @lmc_matmul_q6_k_64_256_vnnimm8(

// CHECK-LABEL: func.func private @lmc_matmul_q8_0_64_64_vnnimm8
// The activations: rounded, stored, their integers summed times -128.
// CHECK: math.roundeven {{.*}} : vector<32xf32>
// CHECK: vector.store {{.*}} : memref<?x64xi8>, vector<32xi8>
// CHECK: arith.extsi {{.*}} : vector<32xi8> to vector<32xi32>
// CHECK: vector.reduction <add>, {{.*}} : vector<32xi32> into i32
// CHECK: arith.muli {{.*}}, %c-128_i32 : i32
// The weights: int8 with the top bit flipped, in four-byte groups.
// CHECK: arith.fptosi {{.*}} : vector<32xf32> to vector<32xi8>
// CHECK: arith.xori {{.*}} : vector<32xi8>
// CHECK: vector.bitcast {{.*}} : vector<32xi8> to vector<8xi32>
// The products: four activation rows x two weight runs from the bias sums.
// CHECK: scf.for {{.*}} iter_args
// CHECK: %[[START:.*]] = vector.broadcast {{.*}} : i32 to vector<16xi32>
// CHECK: %[[W:.*]] = vector.load {{.*}} : memref<64x64xi8>, vector<64xi8>
// CHECK: %[[QUAD:.*]] = vector.extract {{.*}}[0] : i32 from vector<1xi32>
// CHECK: %[[SPLAT:.*]] = vector.broadcast %[[QUAD]] : i32 to vector<16xi32>
// CHECK: %[[X:.*]] = vector.bitcast %[[SPLAT]] : vector<16xi32> to vector<64xi8>
// CHECK: lmc_cpu.dot_bytes %[[W]], %[[X]] acc %[[START]] : vector<64xi8> -> vector<16xi32>
// CHECK-COUNT-63: lmc_cpu.dot_bytes
// CHECK-NOT: lmc_cpu.dot_bytes
// CHECK: arith.sitofp {{.*}} : vector<16xi32> to vector<16xf32>
// CHECK: arith.mulf {{.*}} : vector<16xf32>
// CHECK: vector.fma
// CHECK: scf.yield
// CHECK: scf.if
// CHECK: vector.store {{.*}} : memref<?x64xf32>, vector<16xf32>
// CHECK-LABEL: func.func private @lmc_matmul_f32_64_64
// CHECK-NOT: lmc_cpu.dot_bytes
// CHECK: return

// CHECK-LABEL: func.func private @lmc_matmul_q4_k_64_256_vnnimm8
// Block sums of the rounded activations, and the negated minimums.
// CHECK: math.roundeven
// CHECK: arith.negf
// CHECK: lmc_cpu.dot_bytes
// CHECK: %[[SCALED:.*]] = vector.fma
// CHECK: vector.fma %{{.*}}, %{{.*}}, %[[SCALED]] : vector<16xf32>

// CHECK-LABEL: func.func private @lmc_expert_matmul_mxfp4_4_64_64_s2_shared_vnnimm8
// CHECK: scf.parallel
// CHECK: math.roundeven
// CHECK: scf.parallel
// CHECK: scf.if
// CHECK: lmc_cpu.dot_bytes

// Q6_K: 16-element sub-blocks, four quads each, sums per 16.
// CHECK-LABEL: func.func private @lmc_matmul_q6_k_64_256_vnnimm8
// CHECK: vector.reduction <add>, {{.*}} : vector<16xi32> into i32
// CHECK: scf.for {{.*}} iter_args
// CHECK-COUNT-32: lmc_cpu.dot_bytes
// CHECK-NOT: lmc_cpu.dot_bytes
// CHECK: arith.sitofp

tfm.weight_decl @a : !tfm.weight<64x64, q8_0> at 0
tfm.weight_decl @b : !tfm.weight<64x64, f32> at 8192
tfm.weight_decl @c : !tfm.weight<64x256, q4_k> at 32768
tfm.weight_decl @e : !tfm.weight<4x64x64, mxfp4> at 65536
tfm.weight_decl @s : !tfm.weight<64x256, q6_k> at 131072
func.func @forward(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %a = tfm.weight @a : !tfm.weight<64x64, q8_0>
  %b = tfm.weight @b : !tfm.weight<64x64, f32>
  %y = tfm.matmul %x, %a : (tensor<?x64xf32>, !tfm.weight<64x64, q8_0>) -> tensor<?x64xf32>
  %z = tfm.matmul %y, %b : (tensor<?x64xf32>, !tfm.weight<64x64, f32>) -> tensor<?x64xf32>
  return %z : tensor<?x64xf32>
}
func.func @minimums(%x: tensor<?x256xf32>) -> tensor<?x64xf32> {
  %c = tfm.weight @c : !tfm.weight<64x256, q4_k>
  %y = tfm.matmul %x, %c : (tensor<?x256xf32>, !tfm.weight<64x256, q4_k>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}
func.func @experts(%x: tensor<?x64xf32>, %ids: tensor<?x2xi32>) -> tensor<?x2x64xf32> {
  %w = tfm.weight @e : !tfm.weight<4x64x64, mxfp4>
  %y = tfm.expert_matmul %x, %w[%ids] : (tensor<?x64xf32>, !tfm.weight<4x64x64, mxfp4>, tensor<?x2xi32>) -> tensor<?x2x64xf32>
  return %y : tensor<?x2x64xf32>
}
func.func @sixteen(%x: tensor<?x256xf32>) -> tensor<?x64xf32> {
  %s = tfm.weight @s : !tfm.weight<64x256, q6_k>
  %y = tfm.matmul %x, %s : (tensor<?x256xf32>, !tfm.weight<64x256, q6_k>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}
