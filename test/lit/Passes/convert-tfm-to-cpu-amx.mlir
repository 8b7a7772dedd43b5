// RUN: lmc-opt %s --convert-tfm-to-cpu=amx=true | FileCheck %s
// RUN: lmc-opt %s --convert-tfm-to-cpu | FileCheck %s --check-prefix=NOAMX

// With amx, matmul kernels of block formats with integer decodings have an
// AMX path for many rows: weight integers and three bf16 parts of the
// activations as tiles, 2 weight x 2 activation tiles per step (twelve tile
// products per 32-element block), scaled per block in f32. Weights AMX
// cannot take exactly (f32 here) keep the f32 kernel.

// CHECK-LABEL: func.func @forward
// CHECK: call @lmc_matmul_q8_0_64_64_amx(
// CHECK: call @lmc_matmul_f32_64_64(
// CHECK-LABEL: func.func @minimums
// CHECK: call @lmc_matmul_q4_k_64_256_amx(
// CHECK-LABEL: func.func @experts
// CHECK: call @lmc_expert_matmul_mxfp4_4_64_64_s2_shared_amx(
// CHECK-LABEL: func.func private @lmc_matmul_q8_0_64_64_amx
// CHECK: arith.truncf {{.*}} : vector<32xf32> to vector<32xbf16>
// CHECK: amx.tile_load {{.*}} into !amx.tile<16x32xbf16>
// CHECK: amx.tile_zero : !amx.tile<16x16xf32>
// CHECK-COUNT-12: amx.tile_mulf
// CHECK-NOT: amx.tile_mulf
// CHECK: amx.tile_store
// CHECK-LABEL: func.func private @lmc_matmul_f32_64_64
// CHECK-NOT: amx.
// CHECK: return

// Q4_K: activations' block sums are taken while packing, the minimums are
// stored negated, and each block's products get minimum x sums added.
// CHECK-LABEL: func.func private @lmc_matmul_q4_k_64_256_amx
// CHECK: vector.reduction <add>
// CHECK: arith.negf
// CHECK: amx.tile_mulf
// CHECK: %[[SCALED:.*]] = vector.fma
// CHECK: vector.fma %{{.*}}, %{{.*}}, %[[SCALED]] : vector<16xf32>

// Experts: packed per expert, then (expert, weight group) items; an expert
// nobody chose is skipped.
// CHECK-LABEL: func.func private @lmc_expert_matmul_mxfp4_4_64_64_s2_shared_amx
// CHECK: scf.parallel
// CHECK: scf.parallel
// CHECK: scf.if
// CHECK: amx.tile_mulf

// NOAMX-NOT: amx.
tfm.weight_decl @a : !tfm.weight<64x64, q8_0> at 0
tfm.weight_decl @b : !tfm.weight<64x64, f32> at 8192
tfm.weight_decl @c : !tfm.weight<64x256, q4_k> at 32768
tfm.weight_decl @e : !tfm.weight<4x64x64, mxfp4> at 65536
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
