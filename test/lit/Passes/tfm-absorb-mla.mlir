// RUN: lmc-opt %s --tfm-absorb-mla --canonicalize --split-input-file | FileCheck %s

// Multi-head latent attention (2 heads, latent 8, rope 4, nope 6, values 5)
// in its explicit form: per-head keys and values expanded from the cached
// latents. Absorbed: W_UK folds into the queries, attention runs on the
// cache entries, W_UV applies after it.
tfm.weight_decl @k_b : !tfm.weight<2x8x6, f32>
tfm.weight_decl @v_b : !tfm.weight<2x5x8, bf16>

// CHECK-LABEL: func @explicit_form
// CHECK-SAME: (%[[QN:.*]]: tensor<?x2x6xf32>, %[[QP:.*]]: tensor<?x2x4xf32>, %[[C:.*]]: !tfm.kv_cache<1x1x1x12, f32>, %[[P:.*]]: index)
// CHECK-DAG: %[[KB:.*]] = tfm.weight @k_b
// CHECK-DAG: %[[VB:.*]] = tfm.weight @v_b
// CHECK: %[[QL:.*]] = tfm.head_matmul %[[QN]], %[[KB]] : (tensor<?x2x6xf32>, !tfm.weight<2x8x6, f32>) -> tensor<?x2x8xf32>
// CHECK: %[[Q:.*]] = tfm.concat %[[QL]], %[[QP]] along 2 : (tensor<?x2x8xf32>, tensor<?x2x4xf32>) -> tensor<?x2x12xf32>
// CHECK: %[[A:.*]] = tfm.latent_attention %[[Q]], %[[C]][layer 0] at %[[P]] scale 2.500000e-01 values 8 : tensor<?x2x12xf32>, !tfm.kv_cache<1x1x1x12, f32> -> tensor<?x2x8xf32>
// CHECK: %[[O:.*]] = tfm.head_matmul %[[A]], %[[VB]] : (tensor<?x2x8xf32>, !tfm.weight<2x5x8, bf16>) -> tensor<?x2x5xf32>
// CHECK: return %[[O]]
// CHECK-NOT: tfm.batch_matmul
// CHECK-NOT: tfm.cache_read
func.func @explicit_form(%qn: tensor<?x2x6xf32>, %qp: tensor<?x2x4xf32>, %cache: !tfm.kv_cache<1x1x1x12, f32>, %pos: index) -> tensor<?x2x5xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %qn, %c0 : tensor<?x2x6xf32>
  %t = arith.addi %pos, %n : index
  %l = tfm.cache_read %cache[layer 0, stream 0] count %t : !tfm.kv_cache<1x1x1x12, f32> -> tensor<?x1x12xf32>
  %c = tfm.slice %l along 2 from 0 size 8 : (tensor<?x1x12xf32>) -> tensor<?x1x8xf32>
  %ct = tfm.transpose %c [1, 0, 2] : (tensor<?x1x8xf32>) -> tensor<1x?x8xf32>
  %ch = tfm.repeat_interleave %ct along 0 times 2 : (tensor<1x?x8xf32>) -> tensor<2x?x8xf32>
  %kbw = tfm.weight @k_b : !tfm.weight<2x8x6, f32>
  %kb = tfm.dequantize %kbw : !tfm.weight<2x8x6, f32> -> tensor<2x8x6xf32>
  %kn = tfm.batch_matmul %ch, %kb : (tensor<2x?x8xf32>, tensor<2x8x6xf32>) -> tensor<2x?x6xf32>
  %kp = tfm.slice %l along 2 from 8 size 4 : (tensor<?x1x12xf32>) -> tensor<?x1x4xf32>
  %kpt = tfm.transpose %kp [1, 0, 2] : (tensor<?x1x4xf32>) -> tensor<1x?x4xf32>
  %kph = tfm.repeat_interleave %kpt along 0 times 2 : (tensor<1x?x4xf32>) -> tensor<2x?x4xf32>
  %k = tfm.concat %kn, %kph along 2 : (tensor<2x?x6xf32>, tensor<2x?x4xf32>) -> tensor<2x?x10xf32>
  %vbw = tfm.weight @v_b : !tfm.weight<2x5x8, bf16>
  %vb = tfm.dequantize %vbw : !tfm.weight<2x5x8, bf16> -> tensor<2x5x8xf32>
  %v = tfm.batch_matmul %ch, %vb {transpose_rhs} : (tensor<2x?x8xf32>, tensor<2x5x8xf32>) -> tensor<2x?x5xf32>
  %qc = tfm.concat %qn, %qp along 2 : (tensor<?x2x6xf32>, tensor<?x2x4xf32>) -> tensor<?x2x10xf32>
  %q = tfm.transpose %qc [1, 0, 2] : (tensor<?x2x10xf32>) -> tensor<2x?x10xf32>
  %s = tfm.batch_matmul %q, %k {transpose_rhs} : (tensor<2x?x10xf32>, tensor<2x?x10xf32>) -> tensor<2x?x?xf32>
  %scale = tfm.constant 0.25 : tensor<f32>
  %ss = tfm.mul %s, %scale : (tensor<2x?x?xf32>, tensor<f32>) -> tensor<2x?x?xf32>
  %m = tfm.causal_mask %ss, %pos : tensor<2x?x?xf32>
  %p = tfm.softmax %m along 2 : tensor<2x?x?xf32>
  %o = tfm.batch_matmul %p, %v : (tensor<2x?x?xf32>, tensor<2x?x5xf32>) -> tensor<2x?x5xf32>
  %ot = tfm.transpose %o [1, 0, 2] : (tensor<2x?x5xf32>) -> tensor<?x2x5xf32>
  return %ot : tensor<?x2x5xf32>
}

// -----

tfm.weight_decl @k_b : !tfm.weight<2x8x6, f32>
tfm.weight_decl @v_b : !tfm.weight<2x5x8, f32>

// Near miss: keys and values expanded from the latents of different layers.
// CHECK-LABEL: func @latents_of_two_layers
// CHECK-NOT: tfm.latent_attention
func.func @latents_of_two_layers(%qn: tensor<?x2x6xf32>, %qp: tensor<?x2x4xf32>, %cache: !tfm.kv_cache<2x1x1x12, f32>, %pos: index) -> tensor<?x2x5xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %qn, %c0 : tensor<?x2x6xf32>
  %t = arith.addi %pos, %n : index
  %l = tfm.cache_read %cache[layer 0, stream 0] count %t : !tfm.kv_cache<2x1x1x12, f32> -> tensor<?x1x12xf32>
  %l1 = tfm.cache_read %cache[layer 1, stream 0] count %t : !tfm.kv_cache<2x1x1x12, f32> -> tensor<?x1x12xf32>
  %c = tfm.slice %l along 2 from 0 size 8 : (tensor<?x1x12xf32>) -> tensor<?x1x8xf32>
  %ct = tfm.transpose %c [1, 0, 2] : (tensor<?x1x8xf32>) -> tensor<1x?x8xf32>
  %ch = tfm.repeat_interleave %ct along 0 times 2 : (tensor<1x?x8xf32>) -> tensor<2x?x8xf32>
  %c1 = tfm.slice %l1 along 2 from 0 size 8 : (tensor<?x1x12xf32>) -> tensor<?x1x8xf32>
  %c1t = tfm.transpose %c1 [1, 0, 2] : (tensor<?x1x8xf32>) -> tensor<1x?x8xf32>
  %c1h = tfm.repeat_interleave %c1t along 0 times 2 : (tensor<1x?x8xf32>) -> tensor<2x?x8xf32>
  %kbw = tfm.weight @k_b : !tfm.weight<2x8x6, f32>
  %kb = tfm.dequantize %kbw : !tfm.weight<2x8x6, f32> -> tensor<2x8x6xf32>
  %kn = tfm.batch_matmul %ch, %kb : (tensor<2x?x8xf32>, tensor<2x8x6xf32>) -> tensor<2x?x6xf32>
  %kp = tfm.slice %l along 2 from 8 size 4 : (tensor<?x1x12xf32>) -> tensor<?x1x4xf32>
  %kpt = tfm.transpose %kp [1, 0, 2] : (tensor<?x1x4xf32>) -> tensor<1x?x4xf32>
  %kph = tfm.repeat_interleave %kpt along 0 times 2 : (tensor<1x?x4xf32>) -> tensor<2x?x4xf32>
  %k = tfm.concat %kn, %kph along 2 : (tensor<2x?x6xf32>, tensor<2x?x4xf32>) -> tensor<2x?x10xf32>
  %vbw = tfm.weight @v_b : !tfm.weight<2x5x8, f32>
  %vb = tfm.dequantize %vbw : !tfm.weight<2x5x8, f32> -> tensor<2x5x8xf32>
  %v = tfm.batch_matmul %c1h, %vb {transpose_rhs} : (tensor<2x?x8xf32>, tensor<2x5x8xf32>) -> tensor<2x?x5xf32>
  %qc = tfm.concat %qn, %qp along 2 : (tensor<?x2x6xf32>, tensor<?x2x4xf32>) -> tensor<?x2x10xf32>
  %q = tfm.transpose %qc [1, 0, 2] : (tensor<?x2x10xf32>) -> tensor<2x?x10xf32>
  %s = tfm.batch_matmul %q, %k {transpose_rhs} : (tensor<2x?x10xf32>, tensor<2x?x10xf32>) -> tensor<2x?x?xf32>
  %m = tfm.causal_mask %s, %pos : tensor<2x?x?xf32>
  %p = tfm.softmax %m along 2 : tensor<2x?x?xf32>
  %o = tfm.batch_matmul %p, %v : (tensor<2x?x?xf32>, tensor<2x?x5xf32>) -> tensor<2x?x5xf32>
  %ot = tfm.transpose %o [1, 0, 2] : (tensor<2x?x5xf32>) -> tensor<?x2x5xf32>
  return %ot : tensor<?x2x5xf32>
}

// -----

tfm.weight_decl @k_b : !tfm.weight<2x8x6, f32>
tfm.weight_decl @v_b : !tfm.weight<2x5x8, f32>

// Near miss: the rope part of the keys is not the rest of the latent entry
// (it starts inside the latent), so the keys are not the cache entries.
// CHECK-LABEL: func @rope_part_overlaps_latent
// CHECK-NOT: tfm.latent_attention
func.func @rope_part_overlaps_latent(%qn: tensor<?x2x6xf32>, %qp: tensor<?x2x4xf32>, %cache: !tfm.kv_cache<1x1x1x12, f32>, %pos: index) -> tensor<?x2x5xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %qn, %c0 : tensor<?x2x6xf32>
  %t = arith.addi %pos, %n : index
  %l = tfm.cache_read %cache[layer 0, stream 0] count %t : !tfm.kv_cache<1x1x1x12, f32> -> tensor<?x1x12xf32>
  %c = tfm.slice %l along 2 from 0 size 8 : (tensor<?x1x12xf32>) -> tensor<?x1x8xf32>
  %ct = tfm.transpose %c [1, 0, 2] : (tensor<?x1x8xf32>) -> tensor<1x?x8xf32>
  %ch = tfm.repeat_interleave %ct along 0 times 2 : (tensor<1x?x8xf32>) -> tensor<2x?x8xf32>
  %kbw = tfm.weight @k_b : !tfm.weight<2x8x6, f32>
  %kb = tfm.dequantize %kbw : !tfm.weight<2x8x6, f32> -> tensor<2x8x6xf32>
  %kn = tfm.batch_matmul %ch, %kb : (tensor<2x?x8xf32>, tensor<2x8x6xf32>) -> tensor<2x?x6xf32>
  %kp = tfm.slice %l along 2 from 6 size 4 : (tensor<?x1x12xf32>) -> tensor<?x1x4xf32>
  %kpt = tfm.transpose %kp [1, 0, 2] : (tensor<?x1x4xf32>) -> tensor<1x?x4xf32>
  %kph = tfm.repeat_interleave %kpt along 0 times 2 : (tensor<1x?x4xf32>) -> tensor<2x?x4xf32>
  %k = tfm.concat %kn, %kph along 2 : (tensor<2x?x6xf32>, tensor<2x?x4xf32>) -> tensor<2x?x10xf32>
  %vbw = tfm.weight @v_b : !tfm.weight<2x5x8, f32>
  %vb = tfm.dequantize %vbw : !tfm.weight<2x5x8, f32> -> tensor<2x5x8xf32>
  %v = tfm.batch_matmul %ch, %vb {transpose_rhs} : (tensor<2x?x8xf32>, tensor<2x5x8xf32>) -> tensor<2x?x5xf32>
  %qc = tfm.concat %qn, %qp along 2 : (tensor<?x2x6xf32>, tensor<?x2x4xf32>) -> tensor<?x2x10xf32>
  %q = tfm.transpose %qc [1, 0, 2] : (tensor<?x2x10xf32>) -> tensor<2x?x10xf32>
  %s = tfm.batch_matmul %q, %k {transpose_rhs} : (tensor<2x?x10xf32>, tensor<2x?x10xf32>) -> tensor<2x?x?xf32>
  %m = tfm.causal_mask %s, %pos : tensor<2x?x?xf32>
  %p = tfm.softmax %m along 2 : tensor<2x?x?xf32>
  %o = tfm.batch_matmul %p, %v : (tensor<2x?x?xf32>, tensor<2x?x5xf32>) -> tensor<2x?x5xf32>
  %ot = tfm.transpose %o [1, 0, 2] : (tensor<2x?x5xf32>) -> tensor<?x2x5xf32>
  return %ot : tensor<?x2x5xf32>
}
