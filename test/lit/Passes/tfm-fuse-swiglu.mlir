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
