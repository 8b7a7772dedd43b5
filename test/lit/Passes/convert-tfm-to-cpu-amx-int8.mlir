// RUN: lmc-opt %s --convert-tfm-to-cpu="amx=true amx-int8=true" | FileCheck %s
// RUN: lmc-opt %s --convert-tfm-to-cpu=amx-int8=true | FileCheck %s --check-prefix=NOAMX

// With amx-int8, the AMX path rounds each 32-element block of an activation
// row to int8 times an f16-rounded factor (max |x| / 127), and multiplies on
// int8 tiles: activations as the 16x32 A operand, weights unpacked into the
// 8x64 B operand, one tile product per block, two blocks in flight. The
// products are scaled by the outer product of the blocks' factors into
// register accumulators (scf.for iter_args), minus the minimums times the
// block sums for Q4_K. Q6_K (factors per 16 elements) multiplies per
// 16-column sub-block: 16x16 activation and 4x64 weight tiles. amx-int8
// without amx does nothing.

// NOAMX-NOT: amx.
// NOAMX-NOT: _amx8

// CHECK-LABEL: func.func @forward
// CHECK: call @lmc_matmul_q8_0_64_64_amx8(
// CHECK: call @lmc_matmul_f32_64_64(
// CHECK-LABEL: func.func @minimums
// CHECK: call @lmc_matmul_q4_k_64_256_amx8(
// CHECK-LABEL: func.func @experts
// CHECK: call @lmc_expert_matmul_mxfp4_4_64_64_s2_shared_amx8(
// CHECK-LABEL: func.func @sixteen
// CHECK: call @lmc_matmul_q6_k_64_256_amx8(

// CHECK-LABEL: func.func private @lmc_matmul_q8_0_64_64_amx8
// The activations: block maximum, factor, rounding, the factor in f16.
// CHECK: vector.reduction <maxnumf>
// CHECK: arith.divf
// CHECK: math.roundeven {{.*}} : vector<32xf32>
// CHECK: arith.fptosi {{.*}} : vector<32xf32> to vector<32xi8>
// CHECK: arith.truncf {{.*}} : f32 to f16
// The weights, as int8 in the B operand's four-byte groups.
// CHECK: arith.fptosi {{.*}} : vector<32xf32> to vector<32xi8>
// CHECK: vector.bitcast {{.*}} : vector<32xi8> to vector<8xi32>
// The first step's products, then the pipelined loop.
// CHECK: amx.tile_load {{.*}} into !amx.tile<16x32xi8>
// CHECK: amx.tile_load {{.*}} into !amx.tile<8x64xi8>
// CHECK: amx.tile_load {{.*}} into !amx.tile<16x32xi8>
// CHECK: amx.tile_load {{.*}} into !amx.tile<8x64xi8>
// CHECK-COUNT-2: amx.tile_zero : !amx.tile<16x16xi32>
// CHECK-COUNT-2: amx.tile_muli
// CHECK: scf.for {{.*}} iter_args
// CHECK-COUNT-2: amx.tile_muli
// CHECK-NOT: amx.tile_muli
// CHECK-COUNT-2: amx.tile_store
// CHECK: arith.sitofp {{.*}} : vector<16xi32> to vector<16xf32>
// CHECK: vector.fma
// CHECK-NOT: amx.tile_mulf
// CHECK-LABEL: func.func private @lmc_matmul_f32_64_64
// CHECK-NOT: amx.
// CHECK: return

// CHECK-LABEL: func.func private @lmc_matmul_q4_k_64_256_amx8
// Block sums of the rounded activations, and the negated minimums.
// CHECK: math.roundeven
// CHECK: vector.reduction <add>
// CHECK: arith.negf
// CHECK: amx.tile_muli
// CHECK: %[[SCALED:.*]] = vector.fma
// CHECK: vector.fma %{{.*}}, %{{.*}}, %[[SCALED]] : vector<16xf32>

// CHECK-LABEL: func.func private @lmc_expert_matmul_mxfp4_4_64_64_s2_shared_amx8
// CHECK: scf.parallel
// CHECK: math.roundeven
// CHECK: scf.parallel
// CHECK: scf.if
// CHECK: amx.tile_muli

// CHECK-LABEL: func.func private @lmc_matmul_q6_k_64_256_amx8
// CHECK: amx.tile_load {{.*}} into !amx.tile<16x16xi8>
// CHECK: amx.tile_load {{.*}} into !amx.tile<4x64xi8>
// CHECK: amx.tile_muli

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
