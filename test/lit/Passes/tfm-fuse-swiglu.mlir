// RUN: lmc-opt %s --tfm-fuse-swiglu --split-input-file | FileCheck %s

// CHECK-LABEL: func @swiglu
// CHECK-SAME: (%[[G:.*]]: tensor<?x96xf32>, %[[U:.*]]: tensor<?x96xf32>)
// CHECK-NEXT: %[[R:.*]] = tfm.swiglu %[[G]], %[[U]] : tensor<?x96xf32>
// CHECK-NEXT: return %[[R]]
func.func @swiglu(%g: tensor<?x96xf32>, %u: tensor<?x96xf32>) -> tensor<?x96xf32> {
  %s = tfm.sigmoid %g : tensor<?x96xf32>
  %silu = tfm.mul %g, %s : (tensor<?x96xf32>, tensor<?x96xf32>) -> tensor<?x96xf32>
  %y = tfm.mul %silu, %u : (tensor<?x96xf32>, tensor<?x96xf32>) -> tensor<?x96xf32>
  return %y : tensor<?x96xf32>
}

// -----

// Operand order of both multiplications does not matter.
// CHECK-LABEL: func @swiglu_commuted
// CHECK: tfm.swiglu %arg0, %arg1 : tensor<4x96xf32>
func.func @swiglu_commuted(%g: tensor<4x96xf32>, %u: tensor<4x96xf32>) -> tensor<4x96xf32> {
  %s = tfm.sigmoid %g : tensor<4x96xf32>
  %silu = tfm.mul %s, %g : (tensor<4x96xf32>, tensor<4x96xf32>) -> tensor<4x96xf32>
  %y = tfm.mul %u, %silu : (tensor<4x96xf32>, tensor<4x96xf32>) -> tensor<4x96xf32>
  return %y : tensor<4x96xf32>
}

// -----

// Near miss: sigmoid of another tensor is not SiLU.
// CHECK-LABEL: func @not_silu
// CHECK-NOT: tfm.swiglu
func.func @not_silu(%g: tensor<?x96xf32>, %h: tensor<?x96xf32>, %u: tensor<?x96xf32>) -> tensor<?x96xf32> {
  %s = tfm.sigmoid %h : tensor<?x96xf32>
  %silu = tfm.mul %g, %s : (tensor<?x96xf32>, tensor<?x96xf32>) -> tensor<?x96xf32>
  %y = tfm.mul %silu, %u : (tensor<?x96xf32>, tensor<?x96xf32>) -> tensor<?x96xf32>
  return %y : tensor<?x96xf32>
}

// -----

// Near miss: up is broadcast, which swiglu does not do.
// CHECK-LABEL: func @broadcast_up
// CHECK-NOT: tfm.swiglu
func.func @broadcast_up(%g: tensor<?x96xf32>, %u: tensor<96xf32>) -> tensor<?x96xf32> {
  %s = tfm.sigmoid %g : tensor<?x96xf32>
  %silu = tfm.mul %g, %s : (tensor<?x96xf32>, tensor<?x96xf32>) -> tensor<?x96xf32>
  %y = tfm.mul %silu, %u : (tensor<?x96xf32>, tensor<96xf32>) -> tensor<?x96xf32>
  return %y : tensor<?x96xf32>
}

// -----

// Near miss: plain sigmoid gating (GLU), no multiplication by the gate.
// CHECK-LABEL: func @glu
// CHECK-NOT: tfm.swiglu
func.func @glu(%g: tensor<?x96xf32>, %u: tensor<?x96xf32>) -> tensor<?x96xf32> {
  %s = tfm.sigmoid %g : tensor<?x96xf32>
  %y = tfm.mul %s, %u : (tensor<?x96xf32>, tensor<?x96xf32>) -> tensor<?x96xf32>
  return %y : tensor<?x96xf32>
}

// -----

// GPT-OSS's clamped SwiGLU: c = min(g, 7), c * sigmoid(1.702 c) * (clamp(u, -7, 7) + 1).
// CHECK-LABEL: func @clamped_swiglu
// CHECK-SAME: (%[[G:.*]]: tensor<?x4x64xf32>, %[[U:.*]]: tensor<?x4x64xf32>)
// CHECK-NEXT: %[[R:.*]] = tfm.clamped_swiglu %[[G]], %[[U]] alpha 1.702000e+00 limit 7.000000e+00 : tensor<?x4x64xf32>
// CHECK-NEXT: return %[[R]]
func.func @clamped_swiglu(%g: tensor<?x4x64xf32>, %u: tensor<?x4x64xf32>) -> tensor<?x4x64xf32> {
  %gc = tfm.clamp %g {max = 7.0 : f32} : tensor<?x4x64xf32>
  %uc = tfm.clamp %u {min = -7.0 : f32, max = 7.0 : f32} : tensor<?x4x64xf32>
  %alpha = tfm.constant 1.702 : tensor<f32>
  %one = tfm.constant 1.0 : tensor<f32>
  %ga = tfm.mul %alpha, %gc : (tensor<f32>, tensor<?x4x64xf32>) -> tensor<?x4x64xf32>
  %s = tfm.sigmoid %ga : tensor<?x4x64xf32>
  %glu = tfm.mul %s, %gc : (tensor<?x4x64xf32>, tensor<?x4x64xf32>) -> tensor<?x4x64xf32>
  %u1 = tfm.add %one, %uc : (tensor<f32>, tensor<?x4x64xf32>) -> tensor<?x4x64xf32>
  %y = tfm.mul %u1, %glu : (tensor<?x4x64xf32>, tensor<?x4x64xf32>) -> tensor<?x4x64xf32>
  return %y : tensor<?x4x64xf32>
}

// -----

// Near miss: up is clamped to another limit than the gate.
// CHECK-LABEL: func @clamp_limits_differ
// CHECK-NOT: tfm.clamped_swiglu
func.func @clamp_limits_differ(%g: tensor<?x64xf32>, %u: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %gc = tfm.clamp %g {max = 7.0 : f32} : tensor<?x64xf32>
  %uc = tfm.clamp %u {min = -6.0 : f32, max = 6.0 : f32} : tensor<?x64xf32>
  %alpha = tfm.constant 1.702 : tensor<f32>
  %one = tfm.constant 1.0 : tensor<f32>
  %ga = tfm.mul %gc, %alpha : (tensor<?x64xf32>, tensor<f32>) -> tensor<?x64xf32>
  %s = tfm.sigmoid %ga : tensor<?x64xf32>
  %glu = tfm.mul %gc, %s : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  %u1 = tfm.add %uc, %one : (tensor<?x64xf32>, tensor<f32>) -> tensor<?x64xf32>
  %y = tfm.mul %glu, %u1 : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// Near miss: the gate is clamped from below too (not GPT-OSS's form).
// CHECK-LABEL: func @gate_clamped_both_ways
// CHECK-NOT: tfm.clamped_swiglu
func.func @gate_clamped_both_ways(%g: tensor<?x64xf32>, %u: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %gc = tfm.clamp %g {min = -7.0 : f32, max = 7.0 : f32} : tensor<?x64xf32>
  %uc = tfm.clamp %u {min = -7.0 : f32, max = 7.0 : f32} : tensor<?x64xf32>
  %alpha = tfm.constant 1.702 : tensor<f32>
  %one = tfm.constant 1.0 : tensor<f32>
  %ga = tfm.mul %gc, %alpha : (tensor<?x64xf32>, tensor<f32>) -> tensor<?x64xf32>
  %s = tfm.sigmoid %ga : tensor<?x64xf32>
  %glu = tfm.mul %gc, %s : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  %u1 = tfm.add %uc, %one : (tensor<?x64xf32>, tensor<f32>) -> tensor<?x64xf32>
  %y = tfm.mul %glu, %u1 : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// Near miss: up + 2 instead of up + 1.
// CHECK-LABEL: func @up_shift_not_one
// CHECK-NOT: tfm.clamped_swiglu
func.func @up_shift_not_one(%g: tensor<?x64xf32>, %u: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %gc = tfm.clamp %g {max = 7.0 : f32} : tensor<?x64xf32>
  %uc = tfm.clamp %u {min = -7.0 : f32, max = 7.0 : f32} : tensor<?x64xf32>
  %alpha = tfm.constant 1.702 : tensor<f32>
  %two = tfm.constant 2.0 : tensor<f32>
  %ga = tfm.mul %gc, %alpha : (tensor<?x64xf32>, tensor<f32>) -> tensor<?x64xf32>
  %s = tfm.sigmoid %ga : tensor<?x64xf32>
  %glu = tfm.mul %gc, %s : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  %u1 = tfm.add %uc, %two : (tensor<?x64xf32>, tensor<f32>) -> tensor<?x64xf32>
  %y = tfm.mul %glu, %u1 : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}
