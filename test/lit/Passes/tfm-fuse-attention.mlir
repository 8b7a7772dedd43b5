// RUN: lmc-opt %s --tfm-fuse-attention --canonicalize --split-input-file | FileCheck %s


// -----

// Grouped-query attention: 4 query heads share 2 KV heads.
// CHECK-LABEL: func @gqa
// CHECK-SAME: (%[[Q:.*]]: tensor<?x4x16xf32>, %[[C:.*]]: !tfm.kv_cache<2x2x2x16, f32>, %[[P:.*]]: index)
// CHECK-NEXT: %[[A:.*]] = tfm.attention %[[Q]], %[[C]][layer 1] at %[[P]] scale 2.500000e-01 : tensor<?x4x16xf32>, !tfm.kv_cache<2x2x2x16, f32> -> tensor<?x4x16xf32>
// CHECK-NEXT: return %[[A]]
func.func @gqa(%q: tensor<?x4x16xf32>, %cache: !tfm.kv_cache<2x2x2x16, f32>, %pos: index) -> tensor<?x4x16xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %q, %c0 : tensor<?x4x16xf32>
  %t = arith.addi %pos, %n : index
  %k = tfm.cache_read %cache[layer 1, stream 0] count %t : !tfm.kv_cache<2x2x2x16, f32> -> tensor<?x2x16xf32>
  %v = tfm.cache_read %cache[layer 1, stream 1] count %t : !tfm.kv_cache<2x2x2x16, f32> -> tensor<?x2x16xf32>
  %kt = tfm.transpose %k [1, 0, 2] : (tensor<?x2x16xf32>) -> tensor<2x?x16xf32>
  %vt = tfm.transpose %v [1, 0, 2] : (tensor<?x2x16xf32>) -> tensor<2x?x16xf32>
  %kr = tfm.repeat_interleave %kt along 0 times 2 : (tensor<2x?x16xf32>) -> tensor<4x?x16xf32>
  %vr = tfm.repeat_interleave %vt along 0 times 2 : (tensor<2x?x16xf32>) -> tensor<4x?x16xf32>
  %qt = tfm.transpose %q [1, 0, 2] : (tensor<?x4x16xf32>) -> tensor<4x?x16xf32>
  %s = tfm.batch_matmul %qt, %kr {transpose_rhs} : (tensor<4x?x16xf32>, tensor<4x?x16xf32>) -> tensor<4x?x?xf32>
  %scale = tfm.constant 0.25 : tensor<f32>
  %ss = tfm.mul %s, %scale : (tensor<4x?x?xf32>, tensor<f32>) -> tensor<4x?x?xf32>
  %m = tfm.causal_mask %ss, %pos : tensor<4x?x?xf32>
  %p = tfm.softmax %m along 2 : tensor<4x?x?xf32>
  %o = tfm.batch_matmul %p, %vr : (tensor<4x?x?xf32>, tensor<4x?x16xf32>) -> tensor<4x?x16xf32>
  %ot = tfm.transpose %o [1, 0, 2] : (tensor<4x?x16xf32>) -> tensor<?x4x16xf32>
  return %ot : tensor<?x4x16xf32>
}

// -----

// Multi-head attention (no repeat), a sliding window, no explicit scale.
// CHECK-LABEL: func @mha_window_unscaled
// CHECK: tfm.attention %arg0, %arg1[layer 1] at %arg2 scale 1.000000e+00 {window = 8 : i64}
// CHECK-NOT: tfm.softmax
func.func @mha_window_unscaled(%q: tensor<?x2x16xf32>, %cache: !tfm.kv_cache<2x2x2x16, f32>, %pos: index) -> tensor<?x2x16xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %q, %c0 : tensor<?x2x16xf32>
  %t = arith.addi %pos, %n : index
  %k = tfm.cache_read %cache[layer 1, stream 0] count %t : !tfm.kv_cache<2x2x2x16, f32> -> tensor<?x2x16xf32>
  %v = tfm.cache_read %cache[layer 1, stream 1] count %t : !tfm.kv_cache<2x2x2x16, f32> -> tensor<?x2x16xf32>
  %kt = tfm.transpose %k [1, 0, 2] : (tensor<?x2x16xf32>) -> tensor<2x?x16xf32>
  %vt = tfm.transpose %v [1, 0, 2] : (tensor<?x2x16xf32>) -> tensor<2x?x16xf32>
  %qt = tfm.transpose %q [1, 0, 2] : (tensor<?x2x16xf32>) -> tensor<2x?x16xf32>
  %s = tfm.batch_matmul %qt, %kt {transpose_rhs} : (tensor<2x?x16xf32>, tensor<2x?x16xf32>) -> tensor<2x?x?xf32>
  %m = tfm.causal_mask %s, %pos {window = 8 : i64} : tensor<2x?x?xf32>
  %p = tfm.softmax %m along 2 : tensor<2x?x?xf32>
  %o = tfm.batch_matmul %p, %vt : (tensor<2x?x?xf32>, tensor<2x?x16xf32>) -> tensor<2x?x16xf32>
  %ot = tfm.transpose %o [1, 0, 2] : (tensor<2x?x16xf32>) -> tensor<?x2x16xf32>
  return %ot : tensor<?x2x16xf32>
}

// -----

// Near miss: softmax over the query axis.
// CHECK-LABEL: func @softmax_wrong_axis
// CHECK-NOT: tfm.attention
func.func @softmax_wrong_axis(%q: tensor<?x4x16xf32>, %cache: !tfm.kv_cache<2x2x2x16, f32>, %pos: index) -> tensor<?x4x16xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %q, %c0 : tensor<?x4x16xf32>
  %t = arith.addi %pos, %n : index
  %k = tfm.cache_read %cache[layer 1, stream 0] count %t : !tfm.kv_cache<2x2x2x16, f32> -> tensor<?x2x16xf32>
  %v = tfm.cache_read %cache[layer 1, stream 1] count %t : !tfm.kv_cache<2x2x2x16, f32> -> tensor<?x2x16xf32>
  %kt = tfm.transpose %k [1, 0, 2] : (tensor<?x2x16xf32>) -> tensor<2x?x16xf32>
  %vt = tfm.transpose %v [1, 0, 2] : (tensor<?x2x16xf32>) -> tensor<2x?x16xf32>
  %kr = tfm.repeat_interleave %kt along 0 times 2 : (tensor<2x?x16xf32>) -> tensor<4x?x16xf32>
  %vr = tfm.repeat_interleave %vt along 0 times 2 : (tensor<2x?x16xf32>) -> tensor<4x?x16xf32>
  %qt = tfm.transpose %q [1, 0, 2] : (tensor<?x4x16xf32>) -> tensor<4x?x16xf32>
  %s = tfm.batch_matmul %qt, %kr {transpose_rhs} : (tensor<4x?x16xf32>, tensor<4x?x16xf32>) -> tensor<4x?x?xf32>
  %scale = tfm.constant 0.25 : tensor<f32>
  %ss = tfm.mul %s, %scale : (tensor<4x?x?xf32>, tensor<f32>) -> tensor<4x?x?xf32>
  %m = tfm.causal_mask %ss, %pos : tensor<4x?x?xf32>
  %p = tfm.softmax %m along 1 : tensor<4x?x?xf32>
  %o = tfm.batch_matmul %p, %vr : (tensor<4x?x?xf32>, tensor<4x?x16xf32>) -> tensor<4x?x16xf32>
  %ot = tfm.transpose %o [1, 0, 2] : (tensor<4x?x16xf32>) -> tensor<?x4x16xf32>
  return %ot : tensor<?x4x16xf32>
}

// -----

// Near miss: no causal mask (bidirectional attention).
// CHECK-LABEL: func @not_causal
// CHECK-NOT: tfm.attention
func.func @not_causal(%q: tensor<?x4x16xf32>, %cache: !tfm.kv_cache<2x2x2x16, f32>, %pos: index) -> tensor<?x4x16xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %q, %c0 : tensor<?x4x16xf32>
  %t = arith.addi %pos, %n : index
  %k = tfm.cache_read %cache[layer 1, stream 0] count %t : !tfm.kv_cache<2x2x2x16, f32> -> tensor<?x2x16xf32>
  %v = tfm.cache_read %cache[layer 1, stream 1] count %t : !tfm.kv_cache<2x2x2x16, f32> -> tensor<?x2x16xf32>
  %kt = tfm.transpose %k [1, 0, 2] : (tensor<?x2x16xf32>) -> tensor<2x?x16xf32>
  %vt = tfm.transpose %v [1, 0, 2] : (tensor<?x2x16xf32>) -> tensor<2x?x16xf32>
  %kr = tfm.repeat_interleave %kt along 0 times 2 : (tensor<2x?x16xf32>) -> tensor<4x?x16xf32>
  %vr = tfm.repeat_interleave %vt along 0 times 2 : (tensor<2x?x16xf32>) -> tensor<4x?x16xf32>
  %qt = tfm.transpose %q [1, 0, 2] : (tensor<?x4x16xf32>) -> tensor<4x?x16xf32>
  %s = tfm.batch_matmul %qt, %kr {transpose_rhs} : (tensor<4x?x16xf32>, tensor<4x?x16xf32>) -> tensor<4x?x?xf32>
  %scale = tfm.constant 0.25 : tensor<f32>
  %ss = tfm.mul %s, %scale : (tensor<4x?x?xf32>, tensor<f32>) -> tensor<4x?x?xf32>
  %p = tfm.softmax %ss along 2 : tensor<4x?x?xf32>
  %o = tfm.batch_matmul %p, %vr : (tensor<4x?x?xf32>, tensor<4x?x16xf32>) -> tensor<4x?x16xf32>
  %ot = tfm.transpose %o [1, 0, 2] : (tensor<4x?x16xf32>) -> tensor<?x4x16xf32>
  return %ot : tensor<?x4x16xf32>
}

// -----

// Near miss: keys and values from different layers.
// CHECK-LABEL: func @layers_differ
// CHECK-NOT: tfm.attention
func.func @layers_differ(%q: tensor<?x4x16xf32>, %cache: !tfm.kv_cache<2x2x2x16, f32>, %pos: index) -> tensor<?x4x16xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %q, %c0 : tensor<?x4x16xf32>
  %t = arith.addi %pos, %n : index
  %k = tfm.cache_read %cache[layer 1, stream 0] count %t : !tfm.kv_cache<2x2x2x16, f32> -> tensor<?x2x16xf32>
  %v = tfm.cache_read %cache[layer 0, stream 1] count %t : !tfm.kv_cache<2x2x2x16, f32> -> tensor<?x2x16xf32>
  %kt = tfm.transpose %k [1, 0, 2] : (tensor<?x2x16xf32>) -> tensor<2x?x16xf32>
  %vt = tfm.transpose %v [1, 0, 2] : (tensor<?x2x16xf32>) -> tensor<2x?x16xf32>
  %kr = tfm.repeat_interleave %kt along 0 times 2 : (tensor<2x?x16xf32>) -> tensor<4x?x16xf32>
  %vr = tfm.repeat_interleave %vt along 0 times 2 : (tensor<2x?x16xf32>) -> tensor<4x?x16xf32>
  %qt = tfm.transpose %q [1, 0, 2] : (tensor<?x4x16xf32>) -> tensor<4x?x16xf32>
  %s = tfm.batch_matmul %qt, %kr {transpose_rhs} : (tensor<4x?x16xf32>, tensor<4x?x16xf32>) -> tensor<4x?x?xf32>
  %scale = tfm.constant 0.25 : tensor<f32>
  %ss = tfm.mul %s, %scale : (tensor<4x?x?xf32>, tensor<f32>) -> tensor<4x?x?xf32>
  %m = tfm.causal_mask %ss, %pos : tensor<4x?x?xf32>
  %p = tfm.softmax %m along 2 : tensor<4x?x?xf32>
  %o = tfm.batch_matmul %p, %vr : (tensor<4x?x?xf32>, tensor<4x?x16xf32>) -> tensor<4x?x16xf32>
  %ot = tfm.transpose %o [1, 0, 2] : (tensor<4x?x16xf32>) -> tensor<?x4x16xf32>
  return %ot : tensor<?x4x16xf32>
}

// -----

// Near miss: keys read from the value stream and values from the key stream.
// CHECK-LABEL: func @streams_swapped
// CHECK-NOT: tfm.attention
func.func @streams_swapped(%q: tensor<?x4x16xf32>, %cache: !tfm.kv_cache<2x2x2x16, f32>, %pos: index) -> tensor<?x4x16xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %q, %c0 : tensor<?x4x16xf32>
  %t = arith.addi %pos, %n : index
  %k = tfm.cache_read %cache[layer 1, stream 1] count %t : !tfm.kv_cache<2x2x2x16, f32> -> tensor<?x2x16xf32>
  %v = tfm.cache_read %cache[layer 1, stream 0] count %t : !tfm.kv_cache<2x2x2x16, f32> -> tensor<?x2x16xf32>
  %kt = tfm.transpose %k [1, 0, 2] : (tensor<?x2x16xf32>) -> tensor<2x?x16xf32>
  %vt = tfm.transpose %v [1, 0, 2] : (tensor<?x2x16xf32>) -> tensor<2x?x16xf32>
  %kr = tfm.repeat_interleave %kt along 0 times 2 : (tensor<2x?x16xf32>) -> tensor<4x?x16xf32>
  %vr = tfm.repeat_interleave %vt along 0 times 2 : (tensor<2x?x16xf32>) -> tensor<4x?x16xf32>
  %qt = tfm.transpose %q [1, 0, 2] : (tensor<?x4x16xf32>) -> tensor<4x?x16xf32>
  %s = tfm.batch_matmul %qt, %kr {transpose_rhs} : (tensor<4x?x16xf32>, tensor<4x?x16xf32>) -> tensor<4x?x?xf32>
  %scale = tfm.constant 0.25 : tensor<f32>
  %ss = tfm.mul %s, %scale : (tensor<4x?x?xf32>, tensor<f32>) -> tensor<4x?x?xf32>
  %m = tfm.causal_mask %ss, %pos : tensor<4x?x?xf32>
  %p = tfm.softmax %m along 2 : tensor<4x?x?xf32>
  %o = tfm.batch_matmul %p, %vr : (tensor<4x?x?xf32>, tensor<4x?x16xf32>) -> tensor<4x?x16xf32>
  %ot = tfm.transpose %o [1, 0, 2] : (tensor<4x?x16xf32>) -> tensor<?x4x16xf32>
  return %ot : tensor<?x4x16xf32>
}

// -----

// Near miss: values shared by tiling (heads 0,1,0,1) instead of the
// interleaving (0,0,1,1) the keys use.
// CHECK-LABEL: func @values_tiled
// CHECK-NOT: tfm.attention
func.func @values_tiled(%q: tensor<?x4x16xf32>, %cache: !tfm.kv_cache<2x2x2x16, f32>, %pos: index) -> tensor<?x4x16xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %q, %c0 : tensor<?x4x16xf32>
  %t = arith.addi %pos, %n : index
  %k = tfm.cache_read %cache[layer 1, stream 0] count %t : !tfm.kv_cache<2x2x2x16, f32> -> tensor<?x2x16xf32>
  %v = tfm.cache_read %cache[layer 1, stream 1] count %t : !tfm.kv_cache<2x2x2x16, f32> -> tensor<?x2x16xf32>
  %kt = tfm.transpose %k [1, 0, 2] : (tensor<?x2x16xf32>) -> tensor<2x?x16xf32>
  %vt = tfm.transpose %v [1, 0, 2] : (tensor<?x2x16xf32>) -> tensor<2x?x16xf32>
  %kr = tfm.repeat_interleave %kt along 0 times 2 : (tensor<2x?x16xf32>) -> tensor<4x?x16xf32>
  %vr = tfm.concat %vt, %vt along 0 : (tensor<2x?x16xf32>, tensor<2x?x16xf32>) -> tensor<4x?x16xf32>
  %qt = tfm.transpose %q [1, 0, 2] : (tensor<?x4x16xf32>) -> tensor<4x?x16xf32>
  %s = tfm.batch_matmul %qt, %kr {transpose_rhs} : (tensor<4x?x16xf32>, tensor<4x?x16xf32>) -> tensor<4x?x?xf32>
  %m = tfm.causal_mask %s, %pos : tensor<4x?x?xf32>
  %p = tfm.softmax %m along 2 : tensor<4x?x?xf32>
  %o = tfm.batch_matmul %p, %vr : (tensor<4x?x?xf32>, tensor<4x?x16xf32>) -> tensor<4x?x16xf32>
  %ot = tfm.transpose %o [1, 0, 2] : (tensor<4x?x16xf32>) -> tensor<?x4x16xf32>
  return %ot : tensor<?x4x16xf32>
}

// -----

// Near miss: the cache is read for a different number of positions than the
// queries have tokens.
// CHECK-LABEL: func @count_not_tokens
// CHECK-NOT: tfm.attention
func.func @count_not_tokens(%q: tensor<?x4x16xf32>, %cache: !tfm.kv_cache<2x2x2x16, f32>, %pos: index, %other: tensor<?x8xf32>) -> tensor<?x4x16xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %other, %c0 : tensor<?x8xf32>
  %t = arith.addi %pos, %n : index
  %k = tfm.cache_read %cache[layer 1, stream 0] count %t : !tfm.kv_cache<2x2x2x16, f32> -> tensor<?x2x16xf32>
  %v = tfm.cache_read %cache[layer 1, stream 1] count %t : !tfm.kv_cache<2x2x2x16, f32> -> tensor<?x2x16xf32>
  %kt = tfm.transpose %k [1, 0, 2] : (tensor<?x2x16xf32>) -> tensor<2x?x16xf32>
  %vt = tfm.transpose %v [1, 0, 2] : (tensor<?x2x16xf32>) -> tensor<2x?x16xf32>
  %kr = tfm.repeat_interleave %kt along 0 times 2 : (tensor<2x?x16xf32>) -> tensor<4x?x16xf32>
  %vr = tfm.repeat_interleave %vt along 0 times 2 : (tensor<2x?x16xf32>) -> tensor<4x?x16xf32>
  %qt = tfm.transpose %q [1, 0, 2] : (tensor<?x4x16xf32>) -> tensor<4x?x16xf32>
  %s = tfm.batch_matmul %qt, %kr {transpose_rhs} : (tensor<4x?x16xf32>, tensor<4x?x16xf32>) -> tensor<4x?x?xf32>
  %scale = tfm.constant 0.25 : tensor<f32>
  %ss = tfm.mul %s, %scale : (tensor<4x?x?xf32>, tensor<f32>) -> tensor<4x?x?xf32>
  %m = tfm.causal_mask %ss, %pos : tensor<4x?x?xf32>
  %p = tfm.softmax %m along 2 : tensor<4x?x?xf32>
  %o = tfm.batch_matmul %p, %vr : (tensor<4x?x?xf32>, tensor<4x?x16xf32>) -> tensor<4x?x16xf32>
  %ot = tfm.transpose %o [1, 0, 2] : (tensor<4x?x16xf32>) -> tensor<?x4x16xf32>
  return %ot : tensor<?x4x16xf32>
}

// -----

// Near miss: the mask starts at another position than the cache read.
// CHECK-LABEL: func @mask_start_differs
// CHECK-NOT: tfm.attention
func.func @mask_start_differs(%q: tensor<?x4x16xf32>, %cache: !tfm.kv_cache<2x2x2x16, f32>, %pos: index, %pos2: index) -> tensor<?x4x16xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %q, %c0 : tensor<?x4x16xf32>
  %t = arith.addi %pos, %n : index
  %k = tfm.cache_read %cache[layer 1, stream 0] count %t : !tfm.kv_cache<2x2x2x16, f32> -> tensor<?x2x16xf32>
  %v = tfm.cache_read %cache[layer 1, stream 1] count %t : !tfm.kv_cache<2x2x2x16, f32> -> tensor<?x2x16xf32>
  %kt = tfm.transpose %k [1, 0, 2] : (tensor<?x2x16xf32>) -> tensor<2x?x16xf32>
  %vt = tfm.transpose %v [1, 0, 2] : (tensor<?x2x16xf32>) -> tensor<2x?x16xf32>
  %kr = tfm.repeat_interleave %kt along 0 times 2 : (tensor<2x?x16xf32>) -> tensor<4x?x16xf32>
  %vr = tfm.repeat_interleave %vt along 0 times 2 : (tensor<2x?x16xf32>) -> tensor<4x?x16xf32>
  %qt = tfm.transpose %q [1, 0, 2] : (tensor<?x4x16xf32>) -> tensor<4x?x16xf32>
  %s = tfm.batch_matmul %qt, %kr {transpose_rhs} : (tensor<4x?x16xf32>, tensor<4x?x16xf32>) -> tensor<4x?x?xf32>
  %scale = tfm.constant 0.25 : tensor<f32>
  %ss = tfm.mul %s, %scale : (tensor<4x?x?xf32>, tensor<f32>) -> tensor<4x?x?xf32>
  %m = tfm.causal_mask %ss, %pos2 : tensor<4x?x?xf32>
  %p = tfm.softmax %m along 2 : tensor<4x?x?xf32>
  %o = tfm.batch_matmul %p, %vr : (tensor<4x?x?xf32>, tensor<4x?x16xf32>) -> tensor<4x?x16xf32>
  %ot = tfm.transpose %o [1, 0, 2] : (tensor<4x?x16xf32>) -> tensor<?x4x16xf32>
  return %ot : tensor<?x4x16xf32>
}

// -----

// Near miss: the scale is not a constant.
// CHECK-LABEL: func @scale_not_constant
// CHECK-NOT: tfm.attention
func.func @scale_not_constant(%q: tensor<?x4x16xf32>, %cache: !tfm.kv_cache<2x2x2x16, f32>, %pos: index, %scale: tensor<f32>) -> tensor<?x4x16xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %q, %c0 : tensor<?x4x16xf32>
  %t = arith.addi %pos, %n : index
  %k = tfm.cache_read %cache[layer 1, stream 0] count %t : !tfm.kv_cache<2x2x2x16, f32> -> tensor<?x2x16xf32>
  %v = tfm.cache_read %cache[layer 1, stream 1] count %t : !tfm.kv_cache<2x2x2x16, f32> -> tensor<?x2x16xf32>
  %kt = tfm.transpose %k [1, 0, 2] : (tensor<?x2x16xf32>) -> tensor<2x?x16xf32>
  %vt = tfm.transpose %v [1, 0, 2] : (tensor<?x2x16xf32>) -> tensor<2x?x16xf32>
  %kr = tfm.repeat_interleave %kt along 0 times 2 : (tensor<2x?x16xf32>) -> tensor<4x?x16xf32>
  %vr = tfm.repeat_interleave %vt along 0 times 2 : (tensor<2x?x16xf32>) -> tensor<4x?x16xf32>
  %qt = tfm.transpose %q [1, 0, 2] : (tensor<?x4x16xf32>) -> tensor<4x?x16xf32>
  %s = tfm.batch_matmul %qt, %kr {transpose_rhs} : (tensor<4x?x16xf32>, tensor<4x?x16xf32>) -> tensor<4x?x?xf32>
  %ss = tfm.mul %s, %scale : (tensor<4x?x?xf32>, tensor<f32>) -> tensor<4x?x?xf32>
  %m = tfm.causal_mask %ss, %pos : tensor<4x?x?xf32>
  %p = tfm.softmax %m along 2 : tensor<4x?x?xf32>
  %o = tfm.batch_matmul %p, %vr : (tensor<4x?x?xf32>, tensor<4x?x16xf32>) -> tensor<4x?x16xf32>
  %ot = tfm.transpose %o [1, 0, 2] : (tensor<4x?x16xf32>) -> tensor<?x4x16xf32>
  return %ot : tensor<?x4x16xf32>
}

// -----

// Attention sinks (GPT-OSS): one extra logit per head in the softmax, and a
// sliding window.
// CHECK-LABEL: func @sinks_window
// CHECK-SAME: (%[[Q:.*]]: tensor<?x4x16xf32>, %[[C:.*]]: !tfm.kv_cache<2x2x2x16, f32>, %[[P:.*]]: index, %[[S:.*]]: tensor<4xf32>)
// CHECK-NEXT: %[[A:.*]] = tfm.attention %[[Q]], %[[C]][layer 0] at %[[P]] scale 2.500000e-01 sinks %[[S]] : tensor<4xf32> {window = 128 : i64}
// CHECK-NEXT: return %[[A]]
func.func @sinks_window(%q: tensor<?x4x16xf32>, %cache: !tfm.kv_cache<2x2x2x16, f32>, %pos: index, %sinks: tensor<4xf32>) -> tensor<?x4x16xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %q, %c0 : tensor<?x4x16xf32>
  %t = arith.addi %pos, %n : index
  %k = tfm.cache_read %cache[layer 0, stream 0] count %t : !tfm.kv_cache<2x2x2x16, f32> -> tensor<?x2x16xf32>
  %v = tfm.cache_read %cache[layer 0, stream 1] count %t : !tfm.kv_cache<2x2x2x16, f32> -> tensor<?x2x16xf32>
  %kt = tfm.transpose %k [1, 0, 2] : (tensor<?x2x16xf32>) -> tensor<2x?x16xf32>
  %vt = tfm.transpose %v [1, 0, 2] : (tensor<?x2x16xf32>) -> tensor<2x?x16xf32>
  %kr = tfm.repeat_interleave %kt along 0 times 2 : (tensor<2x?x16xf32>) -> tensor<4x?x16xf32>
  %vr = tfm.repeat_interleave %vt along 0 times 2 : (tensor<2x?x16xf32>) -> tensor<4x?x16xf32>
  %qt = tfm.transpose %q [1, 0, 2] : (tensor<?x4x16xf32>) -> tensor<4x?x16xf32>
  %s = tfm.batch_matmul %qt, %kr {transpose_rhs} : (tensor<4x?x16xf32>, tensor<4x?x16xf32>) -> tensor<4x?x?xf32>
  %scale = tfm.constant 0.25 : tensor<f32>
  %ss = tfm.mul %s, %scale : (tensor<4x?x?xf32>, tensor<f32>) -> tensor<4x?x?xf32>
  %m = tfm.causal_mask %ss, %pos {window = 128 : i64} : tensor<4x?x?xf32>
  %sk = tfm.reshape %sinks : (tensor<4xf32>) -> tensor<4x1x1xf32>
  %p = tfm.softmax %m along 2 sinks %sk : tensor<4x1x1xf32> : tensor<4x?x?xf32>
  %o = tfm.batch_matmul %p, %vr : (tensor<4x?x?xf32>, tensor<4x?x16xf32>) -> tensor<4x?x16xf32>
  %ot = tfm.transpose %o [1, 0, 2] : (tensor<4x?x16xf32>) -> tensor<?x4x16xf32>
  return %ot : tensor<?x4x16xf32>
}

// -----

// Near miss: one sink shared by all heads is not per-head sinks.
// CHECK-LABEL: func @sink_not_per_head
// CHECK-NOT: tfm.attention
func.func @sink_not_per_head(%q: tensor<?x4x16xf32>, %cache: !tfm.kv_cache<2x2x2x16, f32>, %pos: index, %sink: tensor<1x1x1xf32>) -> tensor<?x4x16xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %q, %c0 : tensor<?x4x16xf32>
  %t = arith.addi %pos, %n : index
  %k = tfm.cache_read %cache[layer 0, stream 0] count %t : !tfm.kv_cache<2x2x2x16, f32> -> tensor<?x2x16xf32>
  %v = tfm.cache_read %cache[layer 0, stream 1] count %t : !tfm.kv_cache<2x2x2x16, f32> -> tensor<?x2x16xf32>
  %kt = tfm.transpose %k [1, 0, 2] : (tensor<?x2x16xf32>) -> tensor<2x?x16xf32>
  %vt = tfm.transpose %v [1, 0, 2] : (tensor<?x2x16xf32>) -> tensor<2x?x16xf32>
  %kr = tfm.repeat_interleave %kt along 0 times 2 : (tensor<2x?x16xf32>) -> tensor<4x?x16xf32>
  %vr = tfm.repeat_interleave %vt along 0 times 2 : (tensor<2x?x16xf32>) -> tensor<4x?x16xf32>
  %qt = tfm.transpose %q [1, 0, 2] : (tensor<?x4x16xf32>) -> tensor<4x?x16xf32>
  %s = tfm.batch_matmul %qt, %kr {transpose_rhs} : (tensor<4x?x16xf32>, tensor<4x?x16xf32>) -> tensor<4x?x?xf32>
  %m = tfm.causal_mask %s, %pos : tensor<4x?x?xf32>
  %p = tfm.softmax %m along 2 sinks %sink : tensor<1x1x1xf32> : tensor<4x?x?xf32>
  %o = tfm.batch_matmul %p, %vr : (tensor<4x?x?xf32>, tensor<4x?x16xf32>) -> tensor<4x?x16xf32>
  %ot = tfm.transpose %o [1, 0, 2] : (tensor<4x?x16xf32>) -> tensor<?x4x16xf32>
  return %ot : tensor<?x4x16xf32>
}
