// RUN: lmc-opt %s | lmc-opt | FileCheck %s
// RUN: lmc-opt %s --mlir-print-op-generic | lmc-opt | FileCheck %s

// Every op prints in a form that parses back to the same IR.

// CHECK: tfm.weight_decl @blk.0.attn_q.weight : !tfm.weight<64x32, q8_0> at 4096
tfm.weight_decl @blk.0.attn_q.weight : !tfm.weight<64x32, q8_0> at 4096
// CHECK: tfm.weight_decl @norm : !tfm.weight<32, f32>
tfm.weight_decl @norm : !tfm.weight<32, f32>
// CHECK: tfm.weight_decl @k : !tfm.weight<8x256, q4_k>
tfm.weight_decl @k : !tfm.weight<8x256, q4_k>
tfm.weight_decl @six : !tfm.weight<8x256, q6_k>
tfm.weight_decl @half : !tfm.weight<8x32, f16>
tfm.weight_decl @brain : !tfm.weight<8x32, bf16>
tfm.weight_decl @four : !tfm.weight<8x32, q4_0>

// CHECK-LABEL: func @ops
func.func @ops(%ids: tensor<?xi32>, %x: tensor<?x32xf32>, %pos: index,
               %cache: !tfm.kv_cache<2x2x2x16, f32>, %h: tensor<?x4x16xf32>) -> tensor<?x64xf32> {
  // CHECK: tfm.weight @blk.0.attn_q.weight : !tfm.weight<64x32, q8_0>
  %w = tfm.weight @blk.0.attn_q.weight : !tfm.weight<64x32, q8_0>
  // CHECK: tfm.embedding %{{.*}}[%{{.*}}] : (!tfm.weight<64x32, q8_0>, tensor<?xi32>) -> tensor<?x32xf32>
  %e = tfm.embedding %w[%ids] : (!tfm.weight<64x32, q8_0>, tensor<?xi32>) -> tensor<?x32xf32>
  // CHECK: tfm.matmul %{{.*}}, %{{.*}} : (tensor<?x32xf32>, !tfm.weight<64x32, q8_0>) -> tensor<?x64xf32>
  %y = tfm.matmul %e, %w : (tensor<?x32xf32>, !tfm.weight<64x32, q8_0>) -> tensor<?x64xf32>
  %nw = tfm.weight @norm : !tfm.weight<32, f32>
  // CHECK: tfm.dequantize %{{.*}} : !tfm.weight<32, f32> -> tensor<32xf32>
  %g = tfm.dequantize %nw : !tfm.weight<32, f32> -> tensor<32xf32>
  // CHECK: tfm.constant 5.000000e-01 : tensor<f32>
  %c = tfm.constant 0.5 : tensor<f32>
  // CHECK: tfm.add {{.*}} : (tensor<?x32xf32>, tensor<f32>) -> tensor<?x32xf32>
  %a = tfm.add %x, %c : (tensor<?x32xf32>, tensor<f32>) -> tensor<?x32xf32>
  %s = tfm.sub %a, %x : (tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32>
  %m = tfm.mul %s, %g : (tensor<?x32xf32>, tensor<32xf32>) -> tensor<?x32xf32>
  %d = tfm.div %m, %c : (tensor<?x32xf32>, tensor<f32>) -> tensor<?x32xf32>
  // CHECK: tfm.neg
  %n = tfm.neg %d : tensor<?x32xf32>
  %ex = tfm.exp %n : tensor<?x32xf32>
  %r = tfm.rsqrt %ex : tensor<?x32xf32>
  %sg = tfm.sigmoid %r : tensor<?x32xf32>
  %co = tfm.cos %sg : tensor<?x32xf32>
  %si = tfm.sin %co : tensor<?x32xf32>
  // CHECK: tfm.reduce_sum %{{.*}} along 1 : (tensor<?x32xf32>) -> tensor<?x1xf32>
  %rs = tfm.reduce_sum %si along 1 : (tensor<?x32xf32>) -> tensor<?x1xf32>
  %rm = tfm.reduce_max %si along 1 : (tensor<?x32xf32>) -> tensor<?x1xf32>
  %mean = tfm.reduce_mean %si along 1 : (tensor<?x32xf32>) -> tensor<?x1xf32>
  // CHECK: tfm.softmax %{{.*}} along 1 : tensor<?x32xf32>
  %sm = tfm.softmax %si along 1 : tensor<?x32xf32>
  // CHECK: tfm.reshape %{{.*}} : (tensor<?x32xf32>) -> tensor<?x2x16xf32>
  %rh = tfm.reshape %sm : (tensor<?x32xf32>) -> tensor<?x2x16xf32>
  // CHECK: tfm.transpose %{{.*}} [1, 0, 2] : (tensor<?x2x16xf32>) -> tensor<2x?x16xf32>
  %t = tfm.transpose %rh [1, 0, 2] : (tensor<?x2x16xf32>) -> tensor<2x?x16xf32>
  // CHECK: tfm.slice %{{.*}} along 2 from 4 size 8
  %sl = tfm.slice %t along 2 from 4 size 8 : (tensor<2x?x16xf32>) -> tensor<2x?x8xf32>
  // CHECK: tfm.concat %{{.*}}, %{{.*}} along 2
  %cc = tfm.concat %sl, %sl along 2 : (tensor<2x?x8xf32>, tensor<2x?x8xf32>) -> tensor<2x?x16xf32>
  // CHECK: tfm.repeat_interleave %{{.*}} along 0 times 2
  %ri = tfm.repeat_interleave %cc along 0 times 2 : (tensor<2x?x16xf32>) -> tensor<4x?x16xf32>
  // CHECK: tfm.batch_matmul %{{.*}}, %{{.*}} {transpose_rhs}
  %bm = tfm.batch_matmul %ri, %ri {transpose_rhs} : (tensor<4x?x16xf32>, tensor<4x?x16xf32>) -> tensor<4x?x?xf32>
  // CHECK: tfm.causal_mask %{{.*}}, %{{.*}} {window = 128 : i64} : tensor<4x?x?xf32>
  %cm = tfm.causal_mask %bm, %pos {window = 128} : tensor<4x?x?xf32>
  // CHECK: tfm.last_rows %{{.*}}, %{{.*}} : (tensor<?x32xf32>) -> tensor<?x32xf32>
  %lr = tfm.last_rows %x, %pos : (tensor<?x32xf32>) -> tensor<?x32xf32>
  // CHECK: tfm.rope_angles %{{.*}}, %{{.*}} config<dim = 16, base = 1.000000e+04, scaling = yarn, factor = 4.000000e+00, original_context = 64> : tensor<?x8xf32>
  %ang = tfm.rope_angles %pos, %pos config<dim = 16, base = 10000.0, scaling = yarn, factor = 4.0, original_context = 64> : tensor<?x8xf32>
  // CHECK: tfm.cache_write %{{.*}} into %{{.*}}[layer 1, stream 0] at %{{.*}} : tensor<?x2x16xf32>, !tfm.kv_cache<2x2x2x16, f32>
  %c1 = tfm.cache_write %rh into %cache[layer 1, stream 0] at %pos : tensor<?x2x16xf32>, !tfm.kv_cache<2x2x2x16, f32>
  // CHECK: tfm.cache_read %{{.*}}[layer 1, stream 0] count %{{.*}} : !tfm.kv_cache<2x2x2x16, f32> -> tensor<?x2x16xf32>
  %kr = tfm.cache_read %c1[layer 1, stream 0] count %pos : !tfm.kv_cache<2x2x2x16, f32> -> tensor<?x2x16xf32>
  // CHECK: tfm.rms_norm %{{.*}}, %{{.*}} eps 9.99999997E-7
  %rn = tfm.rms_norm %x, %g eps 1.0e-6 : (tensor<?x32xf32>, tensor<32xf32>) -> tensor<?x32xf32>
  // CHECK: tfm.swiglu
  %sw = tfm.swiglu %rn, %x : tensor<?x32xf32>
  // CHECK: tfm.rope %{{.*}}, %{{.*}} style<neox> config<dim = 16, base = 1.000000e+06, scaling = none> : tensor<?x4x16xf32>
  %ro = tfm.rope %h, %pos style<neox> config<dim = 16, base = 1000000.0, scaling = none> : tensor<?x4x16xf32>
  // CHECK: tfm.rope %{{.*}}, %{{.*}} style<interleaved> config<dim = 8, base = 1.000000e+04, scaling = linear, factor = 2.000000e+00> {mscale = 1.500000e+00 : f32}
  %ri2 = tfm.rope %h, %pos style<interleaved> config<dim = 8, base = 10000.0, scaling = linear, factor = 2.0> {mscale = 1.5 : f32} : tensor<?x4x16xf32>
  // CHECK: tfm.attention %{{.*}}, %{{.*}}[layer 1] at %{{.*}} scale 2.500000e-01 {window = 4 : i64} : tensor<?x4x16xf32>, !tfm.kv_cache<2x2x2x16, f32> -> tensor<?x4x16xf32>
  %at = tfm.attention %ro, %c1[layer 1] at %pos scale 0.25 {window = 4} : tensor<?x4x16xf32>, !tfm.kv_cache<2x2x2x16, f32> -> tensor<?x4x16xf32>
  return %y : tensor<?x64xf32>
}

// Mixture-of-experts ops and attention sinks.
tfm.weight_decl @router : !tfm.weight<8x32, f32>
tfm.weight_decl @router_b : !tfm.weight<8, f32>
tfm.weight_decl @gate : !tfm.weight<8x64x32, mxfp4>
tfm.weight_decl @gate_b : !tfm.weight<8x64, f32>
tfm.weight_decl @down : !tfm.weight<8x32x64, mxfp4>

// CHECK-LABEL: func.func @experts
func.func @experts(%x: tensor<?x32xf32>, %s: tensor<4x?x?xf32>, %sinks: tensor<4x1x1xf32>,
                   %q: tensor<?x4x16xf32>, %cache: !tfm.kv_cache<2x2x2x16, f32>, %pos: index,
                   %hs: tensor<4xf32>) -> tensor<?x32xf32> {
  // CHECK: tfm.clamp %{{.*}} {max = 7.000000e+00 : f32, min = -7.000000e+00 : f32} : tensor<?x32xf32>
  %c = tfm.clamp %x {min = -7.0 : f32, max = 7.0 : f32} : tensor<?x32xf32>
  // CHECK: tfm.top_k %{{.*}} k 4 : (tensor<?x32xf32>) -> (tensor<?x4xf32>, tensor<?x4xi32>)
  %v, %ids = tfm.top_k %c k 4 : (tensor<?x32xf32>) -> (tensor<?x4xf32>, tensor<?x4xi32>)
  %g = tfm.weight @gate : !tfm.weight<8x64x32, mxfp4>
  // CHECK: tfm.expert_matmul %{{.*}}, %{{.*}}[%{{.*}}] : (tensor<?x32xf32>, !tfm.weight<8x64x32, mxfp4>, tensor<?x4xi32>) -> tensor<?x4x64xf32>
  %e = tfm.expert_matmul %x, %g[%ids] : (tensor<?x32xf32>, !tfm.weight<8x64x32, mxfp4>, tensor<?x4xi32>) -> tensor<?x4x64xf32>
  %gb = tfm.weight @gate_b : !tfm.weight<8x64, f32>
  // CHECK: tfm.embedding %{{.*}}[%{{.*}}] : (!tfm.weight<8x64, f32>, tensor<?x4xi32>) -> tensor<?x4x64xf32>
  %b = tfm.embedding %gb[%ids] : (!tfm.weight<8x64, f32>, tensor<?x4xi32>) -> tensor<?x4x64xf32>
  // CHECK: tfm.clamped_swiglu %{{.*}}, %{{.*}} alpha 1.702000e+00 limit 7.000000e+00 : tensor<?x4x64xf32>
  %a = tfm.clamped_swiglu %e, %b alpha 1.702 limit 7.0 : tensor<?x4x64xf32>
  // CHECK: tfm.softmax %{{.*}} along 2 sinks %{{.*}} : tensor<4x1x1xf32> : tensor<4x?x?xf32>
  %p = tfm.softmax %s along 2 sinks %sinks : tensor<4x1x1xf32> : tensor<4x?x?xf32>
  // CHECK: tfm.attention %{{.*}}, %{{.*}}[layer 0] at %{{.*}} scale 2.500000e-01 sinks %{{.*}} : tensor<4xf32> {window = 128 : i64}
  %at = tfm.attention %q, %cache[layer 0] at %pos scale 0.25 sinks %hs : tensor<4xf32> {window = 128} : tensor<?x4x16xf32>, !tfm.kv_cache<2x2x2x16, f32> -> tensor<?x4x16xf32>
  %r = tfm.weight @router : !tfm.weight<8x32, f32>
  %rb = tfm.weight @router_b : !tfm.weight<8, f32>
  %d = tfm.weight @down : !tfm.weight<8x32x64, mxfp4>
  // CHECK: tfm.moe %{{.*}} router %{{.*}} bias %{{.*}} gate %{{.*}} bias %{{.*}} up %{{.*}} down %{{.*}} top_k 4 routing<topk_softmax> activation<clamped_swiglu>
  %m = tfm.moe %x router %r bias %rb gate %g bias %gb up %g down %d top_k 4 routing<topk_softmax> activation<clamped_swiglu> : (tensor<?x32xf32>, !tfm.weight<8x32, f32>, !tfm.weight<8, f32>, !tfm.weight<8x64x32, mxfp4>, !tfm.weight<8x64, f32>, !tfm.weight<8x64x32, mxfp4>, !tfm.weight<8x32x64, mxfp4>) -> tensor<?x32xf32>
  // CHECK: tfm.moe {{.*}} routing<sigmoid> activation<swiglu> {groups = 4 : i64, normalize = true, routed_scale = 2.500000e+00 : f32, topk_group = 2 : i64}
  %m2 = tfm.moe %x router %r selection_bias %rb gate %g up %g down %d top_k 4 routing<sigmoid> activation<swiglu> {groups = 4, topk_group = 2, normalize = true, routed_scale = 2.5 : f32} : (tensor<?x32xf32>, !tfm.weight<8x32, f32>, !tfm.weight<8, f32>, !tfm.weight<8x64x32, mxfp4>, !tfm.weight<8x64x32, mxfp4>, !tfm.weight<8x32x64, mxfp4>) -> tensor<?x32xf32>
  return %m : tensor<?x32xf32>
}

// Multi-head latent attention and the routing helpers.
tfm.weight_decl @k_b : !tfm.weight<4x16x8, f32>

// CHECK-LABEL: func.func @latent
func.func @latent(%qn: tensor<?x4x8xf32>, %c: !tfm.kv_cache<2x1x1x20, f32>, %p: index,
                  %s: tensor<?x16xf32>, %ids: tensor<?x2xi32>, %g: tensor<?x4x4xf32>,
                  %keep: tensor<?x4x1xf32>) -> tensor<?x4x16xf32> {
  %kb = tfm.weight @k_b : !tfm.weight<4x16x8, f32>
  // CHECK: tfm.head_matmul %{{.*}}, %{{.*}} : (tensor<?x4x8xf32>, !tfm.weight<4x16x8, f32>) -> tensor<?x4x16xf32>
  %ql = tfm.head_matmul %qn, %kb : (tensor<?x4x8xf32>, !tfm.weight<4x16x8, f32>) -> tensor<?x4x16xf32>
  %q = tfm.concat %ql, %ql along 2 : (tensor<?x4x16xf32>, tensor<?x4x16xf32>) -> tensor<?x4x32xf32>
  %qs = tfm.slice %q along 2 from 0 size 20 : (tensor<?x4x32xf32>) -> tensor<?x4x20xf32>
  // CHECK: tfm.latent_attention %{{.*}}, %{{.*}}[layer 1] at %{{.*}} scale 1.250000e-01 values 16 : tensor<?x4x20xf32>, !tfm.kv_cache<2x1x1x20, f32> -> tensor<?x4x16xf32>
  %a = tfm.latent_attention %qs, %c[layer 1] at %p scale 0.125 values 16 : tensor<?x4x20xf32>, !tfm.kv_cache<2x1x1x20, f32> -> tensor<?x4x16xf32>
  // CHECK: tfm.one_hot %{{.*}} classes 4 : (tensor<?x2xi32>) -> tensor<?x2x4xf32>
  %oh = tfm.one_hot %ids classes 4 : (tensor<?x2xi32>) -> tensor<?x2x4xf32>
  // CHECK: tfm.masked_fill %{{.*}}, %{{.*}} fill 0xFF800000 : tensor<?x4x4xf32>, tensor<?x4x1xf32>
  %m = tfm.masked_fill %g, %keep fill 0xFF800000 : tensor<?x4x4xf32>, tensor<?x4x1xf32>
  // CHECK: tfm.take_along %{{.*}}[%{{.*}}] : (tensor<?x16xf32>, tensor<?x2xi32>) -> tensor<?x2xf32>
  %t = tfm.take_along %s[%ids] : (tensor<?x16xf32>, tensor<?x2xi32>) -> tensor<?x2xf32>
  return %a : tensor<?x4x16xf32>
}
