// RUN: lmc-opt %s --convert-tfm-to-cpu=int8-rows=true | FileCheck %s

// With int8-rows, products with few activation rows (the row path: decode)
// of Q8_0, Q4_0, Q4_K and Q6_K weights first round the rows to int8 per 32
// elements (factor max |x| / 127 in f16, with per-group factors and sums),
// then per chunk multiply the weight's unsigned bytes by the activations'
// signed ones (lmc_cpu.dot_bytes: vpdpbusd), scale the i32 sums by the
// groups' weight times activation factors, and subtract the corrections
// times the activation sums. Q8_0's bytes are read with the top bit flipped
// (w + 128, correction 128 times the factor). Float weights keep the f32
// row path.

// CHECK-LABEL: func.func @forward
// CHECK: call @lmc_matmul_q4_k_64_256_vnni8(
// CHECK: call @lmc_matmul_q8_0_64_64_vnni8(
// CHECK: call @lmc_matmul_f16_64_64(
// CHECK-LABEL: func.func @experts
// CHECK: call @lmc_expert_matmul_q6_k_4_64_256_s2_shared_vnni8(

// CHECK-LABEL: func.func private @lmc_matmul_q4_k_64_256_vnni8
// The tiled path for many rows stays f32.
// CHECK: scf.if
// CHECK-NOT: lmc_cpu.dot_bytes
// CHECK: } else {
// The rows, rounded: block maximum, factor, integers, factor in f16.
// CHECK: vector.reduction <maxnumf>
// CHECK: math.roundeven {{.*}} : vector<32xf32>
// CHECK: arith.fptosi {{.*}} : vector<32xf32> to vector<32xi8>
// CHECK: arith.truncf {{.*}} : f32 to f16
// CHECK: scf.parallel
// Per block: the groups' factors times the activations', and the
// corrections (Q4_K: the minimums) times the activation sums.
// CHECK: %[[FACTORS:.*]] = arith.mulf {{.*}} : vector<8xf32>
// CHECK: vector.fma {{.*}} : vector<8xf32>
// Per chunk of 64 elements (two sub-blocks): the low and high nibbles of
// 32 bytes, taken from those of a 64-byte load; dot products, scaled.
// CHECK: vector.shuffle {{.*}} [0, 1, 2, {{.*}}, 31, 64, 65, {{.*}}, 95] : vector<64xi8>, vector<64xi8>
// CHECK: %[[DOTS:.*]] = lmc_cpu.dot_bytes {{.*}} : vector<64xi8> -> vector<16xi32>
// CHECK: arith.sitofp %[[DOTS]] : vector<16xi32> to vector<16xf32>
// CHECK: %[[LANES:.*]] = vector.shuffle %[[FACTORS]], %[[FACTORS]] [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]
// CHECK: vector.fma %{{.*}}, %[[LANES]]
// CHECK-LABEL: func.func private @lmc_matmul_q8_0_64_64_vnni8
// CHECK: } else {
// CHECK: scf.parallel
// CHECK: %[[CODES:.*]] = vector.load {{.*}} : memref<?xi8>, vector<32xi8>
// CHECK: %[[BYTES:.*]] = arith.xori %[[CODES]], %{{.*}} : vector<32xi8>
// CHECK: lmc_cpu.dot_bytes %[[BYTES]], %{{.*}} : vector<32xi8> -> vector<8xi32>
// CHECK-LABEL: func.func private @lmc_matmul_f16_64_64(
// CHECK-NOT: lmc_cpu.dot_bytes
// CHECK: return

// CHECK-LABEL: func.func private @lmc_expert_matmul_q6_k_4_64_256_s2_shared_vnni8
// Q6_K: factors per 16 elements, four per chunk.
// CHECK: math.roundeven
// CHECK: scf.parallel
// CHECK: lmc_cpu.dot_bytes
// CHECK: vector.shuffle %{{.*}}, %{{.*}} [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3] : vector<16xf32>, vector<16xf32>

tfm.weight_decl @a : !tfm.weight<64x256, q4_k> at 0
tfm.weight_decl @b : !tfm.weight<64x64, q8_0> at 65536
tfm.weight_decl @e : !tfm.weight<4x64x256, q6_k> at 131072
tfm.weight_decl @f : !tfm.weight<64x64, f16> at 262144
func.func @forward(%x: tensor<?x256xf32>) -> tensor<?x64xf32> {
  %a = tfm.weight @a : !tfm.weight<64x256, q4_k>
  %b = tfm.weight @b : !tfm.weight<64x64, q8_0>
  %y = tfm.matmul %x, %a : (tensor<?x256xf32>, !tfm.weight<64x256, q4_k>) -> tensor<?x64xf32>
  %f = tfm.weight @f : !tfm.weight<64x64, f16>
  %z = tfm.matmul %y, %b : (tensor<?x64xf32>, !tfm.weight<64x64, q8_0>) -> tensor<?x64xf32>
  %u = tfm.matmul %z, %f : (tensor<?x64xf32>, !tfm.weight<64x64, f16>) -> tensor<?x64xf32>
  return %u : tensor<?x64xf32>
}
func.func @experts(%x: tensor<?x256xf32>, %ids: tensor<?x2xi32>) -> tensor<?x2x64xf32> {
  %w = tfm.weight @e : !tfm.weight<4x64x256, q6_k>
  %y = tfm.expert_matmul %x, %w[%ids] : (tensor<?x256xf32>, !tfm.weight<4x64x256, q6_k>, tensor<?x2xi32>) -> tensor<?x2x64xf32>
  return %y : tensor<?x2x64xf32>
}
