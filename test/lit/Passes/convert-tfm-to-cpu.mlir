// RUN: lmc-opt %s --convert-tfm-to-cpu --split-input-file | FileCheck %s

// Weights become views of a new leading weights argument; both layers'
// matmuls share one kernel specialised on the weight's shape and format.

tfm.weight_decl @a : !tfm.weight<64x32, q8_0> at 128
tfm.weight_decl @b : !tfm.weight<64x32, q8_0> at 4096

// CHECK-NOT: tfm.weight_decl
// CHECK-LABEL: func.func @two_layers
// CHECK-SAME: (%[[W:.*]]: memref<?xi8> {tfm.weights}, %[[X:.*]]: memref<?x32xf32>, %[[OUT:.*]]: memref<?x64xf32> {tfm.name = "result"})
// CHECK: %[[OFF_A:.*]] = arith.constant 128 : index
// CHECK: %[[SIZE:.*]] = arith.constant 2176 : index
// CHECK: %[[VA:.*]] = memref.view %[[W]][%[[OFF_A]]][%[[SIZE]]] : memref<?xi8> to memref<?xi8>
// CHECK: %[[YA:.*]] = memref.alloc(%{{.*}}) {alignment = 64 : i64} : memref<?x64xf32>
// CHECK: call @lmc_matmul_q8_0_64_32(%[[X]], %[[YA]], %[[VA]])
// CHECK: %[[OFF_B:.*]] = arith.constant 4096 : index
// CHECK: %[[VB:.*]] = memref.view %[[W]][%[[OFF_B]]][%{{.*}}] : memref<?xi8> to memref<?xi8>
// CHECK: call @lmc_matmul_q8_0_64_32(%[[X]], %{{.*}}, %[[VB]])
// The primitive add is inline linalg.
// CHECK: linalg.generic
// CHECK: arith.addf
// CHECK: linalg.copy ins(%{{.*}} : memref<?x64xf32>) outs(%[[OUT]] : memref<?x64xf32>)
// CHECK: return
// CHECK: func.func private @lmc_matmul_q8_0_64_32(%{{.*}}: memref<?x32xf32>, %{{.*}}: memref<?x64xf32>, %{{.*}}: memref<?xi8>)
// CHECK: scf.parallel
// CHECK: vector.fma
// CHECK-NOT: func.func private @lmc_matmul
func.func @two_layers(%x: tensor<?x32xf32>) -> tensor<?x64xf32> {
  %wa = tfm.weight @a : !tfm.weight<64x32, q8_0>
  %ya = tfm.matmul %x, %wa : (tensor<?x32xf32>, !tfm.weight<64x32, q8_0>) -> tensor<?x64xf32>
  %wb = tfm.weight @b : !tfm.weight<64x32, q8_0>
  %yb = tfm.matmul %x, %wb : (tensor<?x32xf32>, !tfm.weight<64x32, q8_0>) -> tensor<?x64xf32>
  %s = tfm.add %ya, %yb : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  return %s : tensor<?x64xf32>
}

// -----

// f32 norm gains are used in place: a typed view, no copy.
tfm.weight_decl @g : !tfm.weight<32, f32> at 64

// CHECK-LABEL: func.func @norm
// CHECK: %[[V:.*]] = memref.view %{{.*}}[%{{.*}}][%{{.*}}] : memref<?xi8> to memref<?xi8>
// CHECK: %[[G:.*]] = memref.view %[[V]][%{{.*}}][] : memref<?xi8> to memref<32xf32>
// CHECK: call @lmc_rms_norm_32(%{{.*}}, %[[G]], %{{.*}}, %{{.*}}) : (memref<?x32xf32>, memref<32xf32>, memref<?x32xf32>, f32) -> ()
func.func @norm(%x: tensor<?x32xf32>) -> tensor<?x32xf32> {
  %w = tfm.weight @g : !tfm.weight<32, f32>
  %g = tfm.dequantize %w : !tfm.weight<32, f32> -> tensor<32xf32>
  %y = tfm.rms_norm %x, %g eps 1.0e-6 : (tensor<?x32xf32>, tensor<32xf32>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

// The cache is one 5-d buffer updated in place; attention reads it directly.
// CHECK-LABEL: func.func @attention
// CHECK-SAME: (%[[Q:.*]]: memref<?x4x16xf32>, %[[K:.*]]: memref<?x2x16xf32>, %[[C:.*]]: memref<2x2x2x?x16xf32>, %[[P:.*]]: index
// CHECK: call @lmc_cache_write_2x2x2x16(%[[K]], %[[C]], %{{.*}}, %{{.*}}, %[[P]])
// CHECK: call @lmc_attention_4_2x2x2x16(%[[Q]], %[[C]], %{{.*}}, %{{.*}}, %[[P]], %{{.*}}, %{{.*}}) : (memref<?x4x16xf32>, memref<2x2x2x?x16xf32>, memref<?x4x16xf32>, index, index, index, f32) -> ()
func.func @attention(%q: tensor<?x4x16xf32>, %k: tensor<?x2x16xf32>, %cache: !tfm.kv_cache<2x2x2x16, f32>, %pos: index) -> tensor<?x4x16xf32> {
  %c1 = tfm.cache_write %k into %cache[layer 1, stream 0] at %pos : tensor<?x2x16xf32>, !tfm.kv_cache<2x2x2x16, f32>
  %a = tfm.attention %q, %c1[layer 1] at %pos scale 0.25 : tensor<?x4x16xf32>, !tfm.kv_cache<2x2x2x16, f32> -> tensor<?x4x16xf32>
  return %a : tensor<?x4x16xf32>
}

// -----

// Rope frequencies are a constant table computed at compile time.
// CHECK: memref.global "private" constant @lmc_rope_freqs_{{.*}} : memref<4xf32> = dense<[1.000000e+00, 1.000000e-01, 0.00999999977, 1.000000e-03]>
// CHECK-LABEL: func.func @rope
// CHECK: call @lmc_rope_neox_2x8_
func.func @rope(%x: tensor<?x2x8xf32>, %pos: index) -> tensor<?x2x8xf32> {
  %y = tfm.rope %x, %pos style<neox> config<dim = 8, base = 10000.0, scaling = none> : tensor<?x2x8xf32>
  return %y : tensor<?x2x8xf32>
}

// -----

// Weights read in place from other layouts. Experts stored apart: a table of
// per-expert offsets (relative to the declaration's offset) travels as a
// constant global; the view spans from the offset to the end of the last
// slice (here slice 0 at 4096: 4096 + 8 rows of 64 bf16).
tfm.weight_decl @experts : !tfm.weight<3x8x32, bf16> at 1000 {slice_offsets = array<i64: 1024, 0, 4096>}

// CHECK: memref.global "private" constant @__lmc_slices_{{.*}} : memref<3xi64> = dense<[1024, 0, 4096]>
// CHECK-LABEL: func.func @sliced
// CHECK: %[[OFF:.*]] = arith.constant 1000 : index
// CHECK: %[[SPAN:.*]] = arith.constant 4608 : index
// CHECK: %[[V:.*]] = memref.view %{{.*}}[%[[OFF]]][%[[SPAN]]] : memref<?xi8> to memref<?xi8>
// CHECK: %[[T:.*]] = memref.get_global @__lmc_slices_{{.*}} : memref<3xi64>
// CHECK: call @lmc_expert_matmul_bf16_3_8_32_sliced_s2_shared(%{{.*}}, %{{.*}}, %{{.*}}, %[[V]], %[[T]])
// CHECK: func.func private @lmc_expert_matmul_bf16_3_8_32_sliced_s2_shared(%{{.*}}: memref<?x32xf32>, %{{.*}}: memref<?xi32>, %{{.*}}: memref<?x8xf32>, %{{.*}}: memref<?xi8>, %[[TABLE:.*]]: memref<3xi64>)
// The slice's base comes from the table.
// CHECK: memref.load %[[TABLE]]
func.func @sliced(%x: tensor<?x32xf32>, %ids: tensor<?x2xi32>) -> tensor<?x2x8xf32> {
  %w = tfm.weight @experts : !tfm.weight<3x8x32, bf16>
  %y = tfm.expert_matmul %x, %w[%ids] : (tensor<?x32xf32>, !tfm.weight<3x8x32, bf16>, tensor<?x2xi32>) -> tensor<?x2x8xf32>
  return %y : tensor<?x2x8xf32>
}

// -----

// FP8 with 128 x 128 block scales: the scales' view is one more kernel
// argument; the kernel name says both layouts.
tfm.weight_decl @w8 : !tfm.weight<200x256, e4m3> at 0 {scales = @w8_scales}
tfm.weight_decl @w8_scales : !tfm.weight<2x2, f32> at 51200

// CHECK-LABEL: func.func @fp8
// CHECK: %[[W:.*]] = memref.view %{{.*}}[%{{.*}}][%{{.*}}] : memref<?xi8> to memref<?xi8>
// CHECK: %[[S:.*]] = memref.view %{{.*}}[%{{.*}}][%{{.*}}] : memref<?xi8> to memref<?xi8>
// CHECK: call @lmc_matmul_e4m3_200_256_scales_f32_2_2(%{{.*}}, %{{.*}}, %[[W]], %[[S]])
func.func @fp8(%x: tensor<?x256xf32>) -> tensor<?x200xf32> {
  %w = tfm.weight @w8 : !tfm.weight<200x256, e4m3>
  %y = tfm.matmul %x, %w : (tensor<?x256xf32>, !tfm.weight<200x256, e4m3>) -> tensor<?x200xf32>
  return %y : tensor<?x200xf32>
}

// -----

// OpenAI MXFP4 with interleaved rows: every other stored row (row_stride 2),
// scales likewise; the view spans (2 * 8 - 1) rows of each expert's 16 rows
// plus the whole first expert: (16 + 15) * 16 bytes.
tfm.weight_decl @up : !tfm.weight<2x8x32, mxfp4_oai> at 16 {row_stride = 2, scales = @up_scales}
tfm.weight_decl @up_scales : !tfm.weight<2x8x1, e8m0> at 1025 {row_stride = 2}

// CHECK-LABEL: func.func @mxfp4_openai
// CHECK: %[[SPAN:.*]] = arith.constant 496 : index
// CHECK: call @lmc_expert_matmul_mxfp4_oai_2_8_32_stride2_scales_e8m0_2_8_1_stride2_s1_shared(
func.func @mxfp4_openai(%x: tensor<?x32xf32>, %ids: tensor<?x1xi32>) -> tensor<?x1x8xf32> {
  %w = tfm.weight @up : !tfm.weight<2x8x32, mxfp4_oai>
  %y = tfm.expert_matmul %x, %w[%ids] : (tensor<?x32xf32>, !tfm.weight<2x8x32, mxfp4_oai>, tensor<?x1xi32>) -> tensor<?x1x8xf32>
  return %y : tensor<?x1x8xf32>
}


// -----

// MXFP4 codes are looked up in a 16-entry table scaled by the block's
// exponent (one vector permute on x86), not decoded lane by lane.
tfm.weight_decl @gate : !tfm.weight<8x64, mxfp4> at 0

// CHECK-LABEL: func.func private @lmc_matmul_mxfp4_8_64(
// CHECK: %[[TABLE:.*]] = arith.mulf %{{.*}}, %{{.*}} : vector<16xf32>
// CHECK: %[[WIDE:.*]] = arith.extui %{{.*}} : vector<16xi8> to vector<16xi32>
// CHECK: %[[CODE:.*]] = vector.extract %[[WIDE]][0] : i32 from vector<16xi32>
// CHECK: %[[I:.*]] = arith.index_castui %[[CODE]] : i32 to index
// CHECK: vector.extract %[[TABLE]][%[[I]]] : f32 from vector<16xf32>
// CHECK: vector.from_elements %{{.*}} : vector<16xf32>
func.func @mxfp4(%x: tensor<?x64xf32>) -> tensor<?x8xf32> {
  %w = tfm.weight @gate : !tfm.weight<8x64, mxfp4>
  %y = tfm.matmul %x, %w : (tensor<?x64xf32>, !tfm.weight<8x64, mxfp4>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
