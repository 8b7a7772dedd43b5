// RUN: lmc-opt %s --tfm-fuse-moe --canonicalize --split-input-file | FileCheck %s

tfm.weight_decl @router : !tfm.weight<8x64, f32>
tfm.weight_decl @router_b : !tfm.weight<8, f32>
tfm.weight_decl @gate : !tfm.weight<8x32x64, mxfp4>
tfm.weight_decl @gate_b : !tfm.weight<8x32, f32>
tfm.weight_decl @up : !tfm.weight<8x32x64, mxfp4>
tfm.weight_decl @up_b : !tfm.weight<8x32, f32>
tfm.weight_decl @down : !tfm.weight<8x64x32, mxfp4>
tfm.weight_decl @down_b : !tfm.weight<8x64, f32>

// GPT-OSS: top-k of the biased router logits, softmax over the chosen,
// biased expert products, clamped SwiGLU.
// CHECK-LABEL: func @gpt_oss
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xf32>)
// CHECK: %[[Y:.*]] = tfm.moe %[[X]] router %{{.*}} bias %{{.*}} gate %{{.*}} bias %{{.*}} up %{{.*}} bias %{{.*}} down %{{.*}} bias %{{.*}} top_k 4 routing<topk_softmax> activation<clamped_swiglu>
// CHECK-NOT: tfm.expert_matmul
// CHECK-NOT: tfm.top_k
// CHECK: return %[[Y]]
func.func @gpt_oss(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %r = tfm.weight @router : !tfm.weight<8x64, f32>
  %rb = tfm.weight @router_b : !tfm.weight<8, f32>
  %l0 = tfm.matmul %x, %r : (tensor<?x64xf32>, !tfm.weight<8x64, f32>) -> tensor<?x8xf32>
  %b = tfm.dequantize %rb : !tfm.weight<8, f32> -> tensor<8xf32>
  %l = tfm.add %l0, %b : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %v, %ids = tfm.top_k %l k 4 : (tensor<?x8xf32>) -> (tensor<?x4xf32>, tensor<?x4xi32>)
  %w = tfm.softmax %v along 1 : tensor<?x4xf32>
  %gw = tfm.weight @gate : !tfm.weight<8x32x64, mxfp4>
  %gb = tfm.weight @gate_b : !tfm.weight<8x32, f32>
  %g0 = tfm.expert_matmul %x, %gw[%ids] : (tensor<?x64xf32>, !tfm.weight<8x32x64, mxfp4>, tensor<?x4xi32>) -> tensor<?x4x32xf32>
  %gbias = tfm.embedding %gb[%ids] : (!tfm.weight<8x32, f32>, tensor<?x4xi32>) -> tensor<?x4x32xf32>
  %g = tfm.add %g0, %gbias : (tensor<?x4x32xf32>, tensor<?x4x32xf32>) -> tensor<?x4x32xf32>
  %uw = tfm.weight @up : !tfm.weight<8x32x64, mxfp4>
  %ub = tfm.weight @up_b : !tfm.weight<8x32, f32>
  %u0 = tfm.expert_matmul %x, %uw[%ids] : (tensor<?x64xf32>, !tfm.weight<8x32x64, mxfp4>, tensor<?x4xi32>) -> tensor<?x4x32xf32>
  %ubias = tfm.embedding %ub[%ids] : (!tfm.weight<8x32, f32>, tensor<?x4xi32>) -> tensor<?x4x32xf32>
  %u = tfm.add %ubias, %u0 : (tensor<?x4x32xf32>, tensor<?x4x32xf32>) -> tensor<?x4x32xf32>
  %a = tfm.clamped_swiglu %g, %u alpha 1.702 limit 7.0 : tensor<?x4x32xf32>
  %dw = tfm.weight @down : !tfm.weight<8x64x32, mxfp4>
  %db = tfm.weight @down_b : !tfm.weight<8x64, f32>
  %d0 = tfm.expert_matmul %a, %dw[%ids] : (tensor<?x4x32xf32>, !tfm.weight<8x64x32, mxfp4>, tensor<?x4xi32>) -> tensor<?x4x64xf32>
  %dbias = tfm.embedding %db[%ids] : (!tfm.weight<8x64, f32>, tensor<?x4xi32>) -> tensor<?x4x64xf32>
  %d = tfm.add %d0, %dbias : (tensor<?x4x64xf32>, tensor<?x4x64xf32>) -> tensor<?x4x64xf32>
  %wc = tfm.reshape %w : (tensor<?x4xf32>) -> tensor<?x4x1xf32>
  %dw2 = tfm.mul %d, %wc : (tensor<?x4x64xf32>, tensor<?x4x1xf32>) -> tensor<?x4x64xf32>
  %s = tfm.reduce_sum %dw2 along 1 : (tensor<?x4x64xf32>) -> tensor<?x1x64xf32>
  %y = tfm.reshape %s : (tensor<?x1x64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

tfm.weight_decl @router : !tfm.weight<16x64, f32>
tfm.weight_decl @gate : !tfm.weight<16x32x64, q8_0>
tfm.weight_decl @up : !tfm.weight<16x32x64, q8_0>
tfm.weight_decl @down : !tfm.weight<16x64x32, q8_0>

// Qwen3-MoE: softmax over all experts, the top k, renormalised; SwiGLU.
// CHECK-LABEL: func @qwen3_moe
// CHECK: tfm.moe %arg0 router %{{.*}} gate %{{.*}} up %{{.*}} down %{{.*}} top_k 2 routing<softmax_topk> activation<swiglu> {normalize = true}
func.func @qwen3_moe(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %r = tfm.weight @router : !tfm.weight<16x64, f32>
  %l = tfm.matmul %x, %r : (tensor<?x64xf32>, !tfm.weight<16x64, f32>) -> tensor<?x16xf32>
  %p = tfm.softmax %l along 1 : tensor<?x16xf32>
  %v, %ids = tfm.top_k %p k 2 : (tensor<?x16xf32>) -> (tensor<?x2xf32>, tensor<?x2xi32>)
  %sum = tfm.reduce_sum %v along 1 : (tensor<?x2xf32>) -> tensor<?x1xf32>
  %w = tfm.div %v, %sum : (tensor<?x2xf32>, tensor<?x1xf32>) -> tensor<?x2xf32>
  %gw = tfm.weight @gate : !tfm.weight<16x32x64, q8_0>
  %g = tfm.expert_matmul %x, %gw[%ids] : (tensor<?x64xf32>, !tfm.weight<16x32x64, q8_0>, tensor<?x2xi32>) -> tensor<?x2x32xf32>
  %uw = tfm.weight @up : !tfm.weight<16x32x64, q8_0>
  %u = tfm.expert_matmul %x, %uw[%ids] : (tensor<?x64xf32>, !tfm.weight<16x32x64, q8_0>, tensor<?x2xi32>) -> tensor<?x2x32xf32>
  %a = tfm.swiglu %g, %u : tensor<?x2x32xf32>
  %dw = tfm.weight @down : !tfm.weight<16x64x32, q8_0>
  %d = tfm.expert_matmul %a, %dw[%ids] : (tensor<?x2x32xf32>, !tfm.weight<16x64x32, q8_0>, tensor<?x2xi32>) -> tensor<?x2x64xf32>
  %wc = tfm.reshape %w : (tensor<?x2xf32>) -> tensor<?x2x1xf32>
  %m = tfm.mul %wc, %d : (tensor<?x2x1xf32>, tensor<?x2x64xf32>) -> tensor<?x2x64xf32>
  %s = tfm.reduce_sum %m along 1 : (tensor<?x2x64xf32>) -> tensor<?x1x64xf32>
  %y = tfm.reshape %s : (tensor<?x1x64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

tfm.weight_decl @router : !tfm.weight<16x64, f32>
tfm.weight_decl @gate : !tfm.weight<16x32x64, q8_0>
tfm.weight_decl @up : !tfm.weight<16x32x64, q8_0>
tfm.weight_decl @down : !tfm.weight<16x64x32, q8_0>

// The chosen probabilities, not renormalised (Mixtral-style without
// norm_topk_prob).
// CHECK-LABEL: func @softmax_topk_plain
// CHECK: tfm.moe {{.*}} routing<softmax_topk> activation<swiglu> :
func.func @softmax_topk_plain(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %r = tfm.weight @router : !tfm.weight<16x64, f32>
  %l = tfm.matmul %x, %r : (tensor<?x64xf32>, !tfm.weight<16x64, f32>) -> tensor<?x16xf32>
  %p = tfm.softmax %l along 1 : tensor<?x16xf32>
  %v, %ids = tfm.top_k %p k 2 : (tensor<?x16xf32>) -> (tensor<?x2xf32>, tensor<?x2xi32>)
  %gw = tfm.weight @gate : !tfm.weight<16x32x64, q8_0>
  %g = tfm.expert_matmul %x, %gw[%ids] : (tensor<?x64xf32>, !tfm.weight<16x32x64, q8_0>, tensor<?x2xi32>) -> tensor<?x2x32xf32>
  %uw = tfm.weight @up : !tfm.weight<16x32x64, q8_0>
  %u = tfm.expert_matmul %x, %uw[%ids] : (tensor<?x64xf32>, !tfm.weight<16x32x64, q8_0>, tensor<?x2xi32>) -> tensor<?x2x32xf32>
  %a = tfm.swiglu %g, %u : tensor<?x2x32xf32>
  %dw = tfm.weight @down : !tfm.weight<16x64x32, q8_0>
  %d = tfm.expert_matmul %a, %dw[%ids] : (tensor<?x2x32xf32>, !tfm.weight<16x64x32, q8_0>, tensor<?x2xi32>) -> tensor<?x2x64xf32>
  %wc = tfm.reshape %v : (tensor<?x2xf32>) -> tensor<?x2x1xf32>
  %m = tfm.mul %d, %wc : (tensor<?x2x64xf32>, tensor<?x2x1xf32>) -> tensor<?x2x64xf32>
  %s = tfm.reduce_sum %m along 1 : (tensor<?x2x64xf32>) -> tensor<?x1x64xf32>
  %y = tfm.reshape %s : (tensor<?x1x64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

tfm.weight_decl @router : !tfm.weight<16x64, f32>
tfm.weight_decl @gate : !tfm.weight<16x32x64, q8_0>
tfm.weight_decl @up : !tfm.weight<16x32x64, q8_0>
tfm.weight_decl @down : !tfm.weight<16x64x32, q8_0>

// Near miss: the weights are the raw top-k logits (no softmax anywhere), a
// routing tfm.moe does not define.
// CHECK-LABEL: func @raw_logits_as_weights
// CHECK-NOT: tfm.moe
func.func @raw_logits_as_weights(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %r = tfm.weight @router : !tfm.weight<16x64, f32>
  %l = tfm.matmul %x, %r : (tensor<?x64xf32>, !tfm.weight<16x64, f32>) -> tensor<?x16xf32>
  %v, %ids = tfm.top_k %l k 2 : (tensor<?x16xf32>) -> (tensor<?x2xf32>, tensor<?x2xi32>)
  %gw = tfm.weight @gate : !tfm.weight<16x32x64, q8_0>
  %g = tfm.expert_matmul %x, %gw[%ids] : (tensor<?x64xf32>, !tfm.weight<16x32x64, q8_0>, tensor<?x2xi32>) -> tensor<?x2x32xf32>
  %uw = tfm.weight @up : !tfm.weight<16x32x64, q8_0>
  %u = tfm.expert_matmul %x, %uw[%ids] : (tensor<?x64xf32>, !tfm.weight<16x32x64, q8_0>, tensor<?x2xi32>) -> tensor<?x2x32xf32>
  %a = tfm.swiglu %g, %u : tensor<?x2x32xf32>
  %dw = tfm.weight @down : !tfm.weight<16x64x32, q8_0>
  %d = tfm.expert_matmul %a, %dw[%ids] : (tensor<?x2x32xf32>, !tfm.weight<16x64x32, q8_0>, tensor<?x2xi32>) -> tensor<?x2x64xf32>
  %wc = tfm.reshape %v : (tensor<?x2xf32>) -> tensor<?x2x1xf32>
  %m = tfm.mul %d, %wc : (tensor<?x2x64xf32>, tensor<?x2x1xf32>) -> tensor<?x2x64xf32>
  %s = tfm.reduce_sum %m along 1 : (tensor<?x2x64xf32>) -> tensor<?x1x64xf32>
  %y = tfm.reshape %s : (tensor<?x1x64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

tfm.weight_decl @router : !tfm.weight<16x64, f32>
tfm.weight_decl @gate : !tfm.weight<16x32x64, q8_0>
tfm.weight_decl @up : !tfm.weight<16x32x64, q8_0>
tfm.weight_decl @down : !tfm.weight<16x64x32, q8_0>

// Near miss: the up product uses experts from another top-k than the rest.
// CHECK-LABEL: func @experts_differ
// CHECK-NOT: tfm.moe
func.func @experts_differ(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %r = tfm.weight @router : !tfm.weight<16x64, f32>
  %l = tfm.matmul %x, %r : (tensor<?x64xf32>, !tfm.weight<16x64, f32>) -> tensor<?x16xf32>
  %p = tfm.softmax %l along 1 : tensor<?x16xf32>
  %v, %ids = tfm.top_k %p k 2 : (tensor<?x16xf32>) -> (tensor<?x2xf32>, tensor<?x2xi32>)
  %v2, %ids2 = tfm.top_k %l k 2 : (tensor<?x16xf32>) -> (tensor<?x2xf32>, tensor<?x2xi32>)
  %gw = tfm.weight @gate : !tfm.weight<16x32x64, q8_0>
  %g = tfm.expert_matmul %x, %gw[%ids] : (tensor<?x64xf32>, !tfm.weight<16x32x64, q8_0>, tensor<?x2xi32>) -> tensor<?x2x32xf32>
  %uw = tfm.weight @up : !tfm.weight<16x32x64, q8_0>
  %u = tfm.expert_matmul %x, %uw[%ids2] : (tensor<?x64xf32>, !tfm.weight<16x32x64, q8_0>, tensor<?x2xi32>) -> tensor<?x2x32xf32>
  %a = tfm.swiglu %g, %u : tensor<?x2x32xf32>
  %dw = tfm.weight @down : !tfm.weight<16x64x32, q8_0>
  %d = tfm.expert_matmul %a, %dw[%ids] : (tensor<?x2x32xf32>, !tfm.weight<16x64x32, q8_0>, tensor<?x2xi32>) -> tensor<?x2x64xf32>
  %wc = tfm.reshape %v : (tensor<?x2xf32>) -> tensor<?x2x1xf32>
  %m = tfm.mul %d, %wc : (tensor<?x2x64xf32>, tensor<?x2x1xf32>) -> tensor<?x2x64xf32>
  %s = tfm.reduce_sum %m along 1 : (tensor<?x2x64xf32>) -> tensor<?x1x64xf32>
  %y = tfm.reshape %s : (tensor<?x1x64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

tfm.weight_decl @router : !tfm.weight<16x64, f32>
tfm.weight_decl @gate : !tfm.weight<16x32x64, q8_0>
tfm.weight_decl @up : !tfm.weight<16x32x64, q8_0>
tfm.weight_decl @down : !tfm.weight<16x64x32, q8_0>

// Near miss: the experts see another input than the router.
// CHECK-LABEL: func @input_differs
// CHECK-NOT: tfm.moe
func.func @input_differs(%x: tensor<?x64xf32>, %z: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %r = tfm.weight @router : !tfm.weight<16x64, f32>
  %l = tfm.matmul %x, %r : (tensor<?x64xf32>, !tfm.weight<16x64, f32>) -> tensor<?x16xf32>
  %p = tfm.softmax %l along 1 : tensor<?x16xf32>
  %v, %ids = tfm.top_k %p k 2 : (tensor<?x16xf32>) -> (tensor<?x2xf32>, tensor<?x2xi32>)
  %gw = tfm.weight @gate : !tfm.weight<16x32x64, q8_0>
  %g = tfm.expert_matmul %z, %gw[%ids] : (tensor<?x64xf32>, !tfm.weight<16x32x64, q8_0>, tensor<?x2xi32>) -> tensor<?x2x32xf32>
  %uw = tfm.weight @up : !tfm.weight<16x32x64, q8_0>
  %u = tfm.expert_matmul %z, %uw[%ids] : (tensor<?x64xf32>, !tfm.weight<16x32x64, q8_0>, tensor<?x2xi32>) -> tensor<?x2x32xf32>
  %a = tfm.swiglu %g, %u : tensor<?x2x32xf32>
  %dw = tfm.weight @down : !tfm.weight<16x64x32, q8_0>
  %d = tfm.expert_matmul %a, %dw[%ids] : (tensor<?x2x32xf32>, !tfm.weight<16x64x32, q8_0>, tensor<?x2xi32>) -> tensor<?x2x64xf32>
  %wc = tfm.reshape %v : (tensor<?x2xf32>) -> tensor<?x2x1xf32>
  %m = tfm.mul %d, %wc : (tensor<?x2x64xf32>, tensor<?x2x1xf32>) -> tensor<?x2x64xf32>
  %s = tfm.reduce_sum %m along 1 : (tensor<?x2x64xf32>) -> tensor<?x1x64xf32>
  %y = tfm.reshape %s : (tensor<?x1x64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

tfm.weight_decl @router : !tfm.weight<16x64, f32>
tfm.weight_decl @gate : !tfm.weight<16x32x64, q8_0>
tfm.weight_decl @up : !tfm.weight<16x32x64, q8_0>
tfm.weight_decl @down : !tfm.weight<16x64x32, q8_0>

// Near miss: the gated activation was not fused (a plain product of gate
// and up is not SwiGLU).
// CHECK-LABEL: func @activation_not_gated
// CHECK-NOT: tfm.moe
func.func @activation_not_gated(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %r = tfm.weight @router : !tfm.weight<16x64, f32>
  %l = tfm.matmul %x, %r : (tensor<?x64xf32>, !tfm.weight<16x64, f32>) -> tensor<?x16xf32>
  %p = tfm.softmax %l along 1 : tensor<?x16xf32>
  %v, %ids = tfm.top_k %p k 2 : (tensor<?x16xf32>) -> (tensor<?x2xf32>, tensor<?x2xi32>)
  %gw = tfm.weight @gate : !tfm.weight<16x32x64, q8_0>
  %g = tfm.expert_matmul %x, %gw[%ids] : (tensor<?x64xf32>, !tfm.weight<16x32x64, q8_0>, tensor<?x2xi32>) -> tensor<?x2x32xf32>
  %uw = tfm.weight @up : !tfm.weight<16x32x64, q8_0>
  %u = tfm.expert_matmul %x, %uw[%ids] : (tensor<?x64xf32>, !tfm.weight<16x32x64, q8_0>, tensor<?x2xi32>) -> tensor<?x2x32xf32>
  %a = tfm.mul %g, %u : (tensor<?x2x32xf32>, tensor<?x2x32xf32>) -> tensor<?x2x32xf32>
  %dw = tfm.weight @down : !tfm.weight<16x64x32, q8_0>
  %d = tfm.expert_matmul %a, %dw[%ids] : (tensor<?x2x32xf32>, !tfm.weight<16x64x32, q8_0>, tensor<?x2xi32>) -> tensor<?x2x64xf32>
  %wc = tfm.reshape %v : (tensor<?x2xf32>) -> tensor<?x2x1xf32>
  %m = tfm.mul %d, %wc : (tensor<?x2x64xf32>, tensor<?x2x1xf32>) -> tensor<?x2x64xf32>
  %s = tfm.reduce_sum %m along 1 : (tensor<?x2x64xf32>) -> tensor<?x1x64xf32>
  %y = tfm.reshape %s : (tensor<?x1x64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

tfm.weight_decl @router : !tfm.weight<16x64, f32>
tfm.weight_decl @bias : !tfm.weight<16, f32>
tfm.weight_decl @gate : !tfm.weight<16x32x64, q8_0>
tfm.weight_decl @up : !tfm.weight<16x32x64, q8_0>
tfm.weight_decl @down : !tfm.weight<16x64x32, q8_0>

// DeepSeek-V3: sigmoid scores, the selection bias, 4 groups of which the 2
// with the best sum of their two best biased scores are kept, the chosen
// unbiased scores renormalised and scaled.
// CHECK-LABEL: func @deepseek_v3
// CHECK: tfm.moe %arg0 router %{{.*}} selection_bias %{{.*}} gate %{{.*}} up %{{.*}} down %{{.*}} top_k 4 routing<sigmoid> activation<swiglu> {groups = 4 : i64, normalize = true, routed_scale = 2.500000e+00 : f32, topk_group = 2 : i64}
// CHECK-NOT: tfm.one_hot
func.func @deepseek_v3(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %r = tfm.weight @router : !tfm.weight<16x64, f32>
  %l = tfm.matmul %x, %r : (tensor<?x64xf32>, !tfm.weight<16x64, f32>) -> tensor<?x16xf32>
  %s = tfm.sigmoid %l : tensor<?x16xf32>
  %bw = tfm.weight @bias : !tfm.weight<16, f32>
  %b = tfm.dequantize %bw : !tfm.weight<16, f32> -> tensor<16xf32>
  %rank = tfm.add %s, %b : (tensor<?x16xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  %g = tfm.reshape %rank : (tensor<?x16xf32>) -> tensor<?x4x4xf32>
  %b2, %i2 = tfm.top_k %g k 2 : (tensor<?x4x4xf32>) -> (tensor<?x4x2xf32>, tensor<?x4x2xi32>)
  %gs3 = tfm.reduce_sum %b2 along 2 : (tensor<?x4x2xf32>) -> tensor<?x4x1xf32>
  %gs = tfm.reshape %gs3 : (tensor<?x4x1xf32>) -> tensor<?x4xf32>
  %gv, %gi = tfm.top_k %gs k 2 : (tensor<?x4xf32>) -> (tensor<?x2xf32>, tensor<?x2xi32>)
  %oh = tfm.one_hot %gi classes 4 : (tensor<?x2xi32>) -> tensor<?x2x4xf32>
  %keep3 = tfm.reduce_sum %oh along 1 : (tensor<?x2x4xf32>) -> tensor<?x1x4xf32>
  %keep = tfm.reshape %keep3 : (tensor<?x1x4xf32>) -> tensor<?x4x1xf32>
  %masked = tfm.masked_fill %g, %keep fill 0xFF800000 : tensor<?x4x4xf32>, tensor<?x4x1xf32>
  %flat = tfm.reshape %masked : (tensor<?x4x4xf32>) -> tensor<?x16xf32>
  %v, %ids = tfm.top_k %flat k 4 : (tensor<?x16xf32>) -> (tensor<?x4xf32>, tensor<?x4xi32>)
  %w0 = tfm.take_along %s[%ids] : (tensor<?x16xf32>, tensor<?x4xi32>) -> tensor<?x4xf32>
  %sum = tfm.reduce_sum %w0 along 1 : (tensor<?x4xf32>) -> tensor<?x1xf32>
  %w1 = tfm.div %w0, %sum : (tensor<?x4xf32>, tensor<?x1xf32>) -> tensor<?x4xf32>
  %scale = tfm.constant 2.5 : tensor<f32>
  %w = tfm.mul %w1, %scale : (tensor<?x4xf32>, tensor<f32>) -> tensor<?x4xf32>
  %gw = tfm.weight @gate : !tfm.weight<16x32x64, q8_0>
  %ge = tfm.expert_matmul %x, %gw[%ids] : (tensor<?x64xf32>, !tfm.weight<16x32x64, q8_0>, tensor<?x4xi32>) -> tensor<?x4x32xf32>
  %uw = tfm.weight @up : !tfm.weight<16x32x64, q8_0>
  %ue = tfm.expert_matmul %x, %uw[%ids] : (tensor<?x64xf32>, !tfm.weight<16x32x64, q8_0>, tensor<?x4xi32>) -> tensor<?x4x32xf32>
  %a = tfm.swiglu %ge, %ue : tensor<?x4x32xf32>
  %dw = tfm.weight @down : !tfm.weight<16x64x32, q8_0>
  %d = tfm.expert_matmul %a, %dw[%ids] : (tensor<?x4x32xf32>, !tfm.weight<16x64x32, q8_0>, tensor<?x4xi32>) -> tensor<?x4x64xf32>
  %wc = tfm.reshape %w : (tensor<?x4xf32>) -> tensor<?x4x1xf32>
  %m = tfm.mul %d, %wc : (tensor<?x4x64xf32>, tensor<?x4x1xf32>) -> tensor<?x4x64xf32>
  %sm = tfm.reduce_sum %m along 1 : (tensor<?x4x64xf32>) -> tensor<?x1x64xf32>
  %y = tfm.reshape %sm : (tensor<?x1x64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

tfm.weight_decl @router : !tfm.weight<16x64, f32>
tfm.weight_decl @bias : !tfm.weight<16, f32>
tfm.weight_decl @gate : !tfm.weight<16x32x64, q8_0>
tfm.weight_decl @up : !tfm.weight<16x32x64, q8_0>
tfm.weight_decl @down : !tfm.weight<16x64x32, q8_0>

// Near miss: the weights are taken from the biased scores (DeepSeek uses the
// bias for selection only).
// CHECK-LABEL: func @weights_from_biased_scores
// CHECK-NOT: tfm.moe
func.func @weights_from_biased_scores(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %r = tfm.weight @router : !tfm.weight<16x64, f32>
  %l = tfm.matmul %x, %r : (tensor<?x64xf32>, !tfm.weight<16x64, f32>) -> tensor<?x16xf32>
  %s = tfm.sigmoid %l : tensor<?x16xf32>
  %bw = tfm.weight @bias : !tfm.weight<16, f32>
  %b = tfm.dequantize %bw : !tfm.weight<16, f32> -> tensor<16xf32>
  %rank = tfm.add %s, %b : (tensor<?x16xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  %v, %ids = tfm.top_k %rank k 4 : (tensor<?x16xf32>) -> (tensor<?x4xf32>, tensor<?x4xi32>)
  %w = tfm.take_along %rank[%ids] : (tensor<?x16xf32>, tensor<?x4xi32>) -> tensor<?x4xf32>
  %gw = tfm.weight @gate : !tfm.weight<16x32x64, q8_0>
  %ge = tfm.expert_matmul %x, %gw[%ids] : (tensor<?x64xf32>, !tfm.weight<16x32x64, q8_0>, tensor<?x4xi32>) -> tensor<?x4x32xf32>
  %uw = tfm.weight @up : !tfm.weight<16x32x64, q8_0>
  %ue = tfm.expert_matmul %x, %uw[%ids] : (tensor<?x64xf32>, !tfm.weight<16x32x64, q8_0>, tensor<?x4xi32>) -> tensor<?x4x32xf32>
  %a = tfm.swiglu %ge, %ue : tensor<?x4x32xf32>
  %dw = tfm.weight @down : !tfm.weight<16x64x32, q8_0>
  %d = tfm.expert_matmul %a, %dw[%ids] : (tensor<?x4x32xf32>, !tfm.weight<16x64x32, q8_0>, tensor<?x4xi32>) -> tensor<?x4x64xf32>
  %wc = tfm.reshape %w : (tensor<?x4xf32>) -> tensor<?x4x1xf32>
  %m = tfm.mul %d, %wc : (tensor<?x4x64xf32>, tensor<?x4x1xf32>) -> tensor<?x4x64xf32>
  %sm = tfm.reduce_sum %m along 1 : (tensor<?x4x64xf32>) -> tensor<?x1x64xf32>
  %y = tfm.reshape %sm : (tensor<?x1x64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}
