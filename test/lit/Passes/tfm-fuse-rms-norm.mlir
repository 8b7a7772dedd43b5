// RUN: lmc-opt %s --tfm-fuse-rms-norm --canonicalize --split-input-file | FileCheck %s

tfm.weight_decl @g : !tfm.weight<64, f32>

// The frontend's form: x * rsqrt(mean(x * x) + eps) * gain.
// CHECK-LABEL: func @rms_norm
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xf32>)
// CHECK: %[[G:.*]] = tfm.dequantize
// CHECK-NEXT: %[[N:.*]] = tfm.rms_norm %[[X]], %[[G]] eps 9.99999997E-7 : (tensor<?x64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
// CHECK-NEXT: return %[[N]]
func.func @rms_norm(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %sq = tfm.mul %x, %x : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  %ms = tfm.reduce_mean %sq along 1 : (tensor<?x64xf32>) -> tensor<?x1xf32>
  %eps = tfm.constant 1.0e-06 : tensor<f32>
  %a = tfm.add %ms, %eps : (tensor<?x1xf32>, tensor<f32>) -> tensor<?x1xf32>
  %r = tfm.rsqrt %a : tensor<?x1xf32>
  %n = tfm.mul %x, %r : (tensor<?x64xf32>, tensor<?x1xf32>) -> tensor<?x64xf32>
  %w = tfm.weight @g : !tfm.weight<64, f32>
  %g = tfm.dequantize %w : !tfm.weight<64, f32> -> tensor<64xf32>
  %y = tfm.mul %n, %g : (tensor<?x64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// Commuted operands and a rank-3 input (QK-norm over the head dimension).
// CHECK-LABEL: func @rms_norm_commuted_rank3
// CHECK: tfm.rms_norm %arg0, %arg1 eps 9.99999974E-6 : (tensor<?x4x32xf32>, tensor<32xf32>) -> tensor<?x4x32xf32>
// CHECK-NOT: tfm.rsqrt
func.func @rms_norm_commuted_rank3(%x: tensor<?x4x32xf32>, %g: tensor<32xf32>) -> tensor<?x4x32xf32> {
  %sq = tfm.mul %x, %x : (tensor<?x4x32xf32>, tensor<?x4x32xf32>) -> tensor<?x4x32xf32>
  %ms = tfm.reduce_mean %sq along 2 : (tensor<?x4x32xf32>) -> tensor<?x4x1xf32>
  %eps = tfm.constant 1.0e-05 : tensor<f32>
  %a = tfm.add %eps, %ms : (tensor<f32>, tensor<?x4x1xf32>) -> tensor<?x4x1xf32>
  %r = tfm.rsqrt %a : tensor<?x4x1xf32>
  %n = tfm.mul %r, %x : (tensor<?x4x1xf32>, tensor<?x4x32xf32>) -> tensor<?x4x32xf32>
  %y = tfm.mul %g, %n : (tensor<32xf32>, tensor<?x4x32xf32>) -> tensor<?x4x32xf32>
  return %y : tensor<?x4x32xf32>
}

// -----

// Near miss: epsilon added after the rsqrt.
// CHECK-LABEL: func @eps_after_rsqrt
// CHECK-NOT: tfm.rms_norm
func.func @eps_after_rsqrt(%x: tensor<?x64xf32>, %g: tensor<64xf32>) -> tensor<?x64xf32> {
  %sq = tfm.mul %x, %x : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  %ms = tfm.reduce_mean %sq along 1 : (tensor<?x64xf32>) -> tensor<?x1xf32>
  %r = tfm.rsqrt %ms : tensor<?x1xf32>
  %eps = tfm.constant 1.0e-06 : tensor<f32>
  %a = tfm.add %r, %eps : (tensor<?x1xf32>, tensor<f32>) -> tensor<?x1xf32>
  %n = tfm.mul %x, %a : (tensor<?x64xf32>, tensor<?x1xf32>) -> tensor<?x64xf32>
  %y = tfm.mul %n, %g : (tensor<?x64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// Near miss: the mean is of x * z, not of x squared.
// CHECK-LABEL: func @not_a_square
// CHECK-NOT: tfm.rms_norm
func.func @not_a_square(%x: tensor<?x64xf32>, %z: tensor<?x64xf32>, %g: tensor<64xf32>) -> tensor<?x64xf32> {
  %sq = tfm.mul %x, %z : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  %ms = tfm.reduce_mean %sq along 1 : (tensor<?x64xf32>) -> tensor<?x1xf32>
  %eps = tfm.constant 1.0e-06 : tensor<f32>
  %a = tfm.add %ms, %eps : (tensor<?x1xf32>, tensor<f32>) -> tensor<?x1xf32>
  %r = tfm.rsqrt %a : tensor<?x1xf32>
  %n = tfm.mul %x, %r : (tensor<?x64xf32>, tensor<?x1xf32>) -> tensor<?x64xf32>
  %y = tfm.mul %n, %g : (tensor<?x64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// Near miss: a sum, not a mean.
// CHECK-LABEL: func @sum_not_mean
// CHECK-NOT: tfm.rms_norm
func.func @sum_not_mean(%x: tensor<?x64xf32>, %g: tensor<64xf32>) -> tensor<?x64xf32> {
  %sq = tfm.mul %x, %x : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  %ms = tfm.reduce_sum %sq along 1 : (tensor<?x64xf32>) -> tensor<?x1xf32>
  %eps = tfm.constant 1.0e-06 : tensor<f32>
  %a = tfm.add %ms, %eps : (tensor<?x1xf32>, tensor<f32>) -> tensor<?x1xf32>
  %r = tfm.rsqrt %a : tensor<?x1xf32>
  %n = tfm.mul %x, %r : (tensor<?x64xf32>, tensor<?x1xf32>) -> tensor<?x64xf32>
  %y = tfm.mul %n, %g : (tensor<?x64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

// Near miss: the mean is over the token axis.
// CHECK-LABEL: func @wrong_axis
// CHECK-NOT: tfm.rms_norm
func.func @wrong_axis(%x: tensor<8x64xf32>, %g: tensor<64xf32>) -> tensor<8x64xf32> {
  %sq = tfm.mul %x, %x : (tensor<8x64xf32>, tensor<8x64xf32>) -> tensor<8x64xf32>
  %ms = tfm.reduce_mean %sq along 0 : (tensor<8x64xf32>) -> tensor<1x64xf32>
  %eps = tfm.constant 1.0e-06 : tensor<f32>
  %a = tfm.add %ms, %eps : (tensor<1x64xf32>, tensor<f32>) -> tensor<1x64xf32>
  %r = tfm.rsqrt %a : tensor<1x64xf32>
  %n = tfm.mul %x, %r : (tensor<8x64xf32>, tensor<1x64xf32>) -> tensor<8x64xf32>
  %y = tfm.mul %n, %g : (tensor<8x64xf32>, tensor<64xf32>) -> tensor<8x64xf32>
  return %y : tensor<8x64xf32>
}

// -----

// Near miss: epsilon is not a constant.
// CHECK-LABEL: func @eps_not_constant
// CHECK-NOT: tfm.rms_norm
func.func @eps_not_constant(%x: tensor<?x64xf32>, %g: tensor<64xf32>, %eps: tensor<f32>) -> tensor<?x64xf32> {
  %sq = tfm.mul %x, %x : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  %ms = tfm.reduce_mean %sq along 1 : (tensor<?x64xf32>) -> tensor<?x1xf32>
  %a = tfm.add %ms, %eps : (tensor<?x1xf32>, tensor<f32>) -> tensor<?x1xf32>
  %r = tfm.rsqrt %a : tensor<?x1xf32>
  %n = tfm.mul %x, %r : (tensor<?x64xf32>, tensor<?x1xf32>) -> tensor<?x64xf32>
  %y = tfm.mul %n, %g : (tensor<?x64xf32>, tensor<64xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}
