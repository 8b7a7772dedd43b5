// RUN: lmc-opt %s --tfm-fuse-rope --split-input-file | FileCheck %s

// The frontend's NeoX form on [tokens, heads, 64].
// CHECK-LABEL: func @rope_neox
// CHECK-SAME: (%[[X:.*]]: tensor<?x4x64xf32>, %[[POS:.*]]: index)
// CHECK: %[[Y:.*]] = tfm.rope %[[X]], %[[POS]] style<neox> config<dim = 64, base = 1.000000e+06, scaling = none> : tensor<?x4x64xf32>
// CHECK-NEXT: return %[[Y]]
func.func @rope_neox(%x: tensor<?x4x64xf32>, %pos: index) -> tensor<?x4x64xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x4x64xf32>
  %a = tfm.rope_angles %pos, %n config<dim = 64, base = 1000000.0, scaling = none> : tensor<?x32xf32>
  %c = tfm.cos %a : tensor<?x32xf32>
  %s = tfm.sin %a : tensor<?x32xf32>
  %cc = tfm.concat %c, %c along 1 : (tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x64xf32>
  %ss = tfm.concat %s, %s along 1 : (tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x64xf32>
  %c3 = tfm.reshape %cc : (tensor<?x64xf32>) -> tensor<?x1x64xf32>
  %s3 = tfm.reshape %ss : (tensor<?x64xf32>) -> tensor<?x1x64xf32>
  %x1 = tfm.slice %x along 2 from 0 size 32 : (tensor<?x4x64xf32>) -> tensor<?x4x32xf32>
  %x2 = tfm.slice %x along 2 from 32 size 32 : (tensor<?x4x64xf32>) -> tensor<?x4x32xf32>
  %nx2 = tfm.neg %x2 : tensor<?x4x32xf32>
  %rot = tfm.concat %nx2, %x1 along 2 : (tensor<?x4x32xf32>, tensor<?x4x32xf32>) -> tensor<?x4x64xf32>
  %p = tfm.mul %x, %c3 : (tensor<?x4x64xf32>, tensor<?x1x64xf32>) -> tensor<?x4x64xf32>
  %q = tfm.mul %rot, %s3 : (tensor<?x4x64xf32>, tensor<?x1x64xf32>) -> tensor<?x4x64xf32>
  %y = tfm.add %p, %q : (tensor<?x4x64xf32>, tensor<?x4x64xf32>) -> tensor<?x4x64xf32>
  return %y : tensor<?x4x64xf32>
}

// -----

// YaRN: cos and sin scaled by the same constant, which becomes mscale.
// CHECK-LABEL: func @rope_yarn_scaled
// CHECK: tfm.rope %{{.*}}, %{{.*}} style<neox> config<dim = 64, base = 1.000000e+04, scaling = yarn, factor = 4.000000e+00, original_context = 32> {mscale = 1.13862944 : f32}
func.func @rope_yarn_scaled(%x: tensor<?x2x64xf32>, %pos: index) -> tensor<?x2x64xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x2x64xf32>
  %a = tfm.rope_angles %pos, %n config<dim = 64, base = 10000.0, scaling = yarn, factor = 4.0, original_context = 32> : tensor<?x32xf32>
  %m = tfm.constant 1.13862944 : tensor<f32>
  %c0f = tfm.cos %a : tensor<?x32xf32>
  %s0f = tfm.sin %a : tensor<?x32xf32>
  %c = tfm.mul %c0f, %m : (tensor<?x32xf32>, tensor<f32>) -> tensor<?x32xf32>
  %s = tfm.mul %m, %s0f : (tensor<f32>, tensor<?x32xf32>) -> tensor<?x32xf32>
  %cc = tfm.concat %c, %c along 1 : (tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x64xf32>
  %ss = tfm.concat %s, %s along 1 : (tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x64xf32>
  %c3 = tfm.reshape %cc : (tensor<?x64xf32>) -> tensor<?x1x64xf32>
  %s3 = tfm.reshape %ss : (tensor<?x64xf32>) -> tensor<?x1x64xf32>
  %x1 = tfm.slice %x along 2 from 0 size 32 : (tensor<?x2x64xf32>) -> tensor<?x2x32xf32>
  %x2 = tfm.slice %x along 2 from 32 size 32 : (tensor<?x2x64xf32>) -> tensor<?x2x32xf32>
  %nx2 = tfm.neg %x2 : tensor<?x2x32xf32>
  %rot = tfm.concat %nx2, %x1 along 2 : (tensor<?x2x32xf32>, tensor<?x2x32xf32>) -> tensor<?x2x64xf32>
  %p = tfm.mul %c3, %x : (tensor<?x1x64xf32>, tensor<?x2x64xf32>) -> tensor<?x2x64xf32>
  %q = tfm.mul %s3, %rot : (tensor<?x1x64xf32>, tensor<?x2x64xf32>) -> tensor<?x2x64xf32>
  %y = tfm.add %q, %p : (tensor<?x2x64xf32>, tensor<?x2x64xf32>) -> tensor<?x2x64xf32>
  return %y : tensor<?x2x64xf32>
}

// -----

// Near miss: the halves are rotated the wrong way round (x2, -x1).
// CHECK-LABEL: func @wrong_rotation
// CHECK-NOT: tfm.rope {{.*}}style
func.func @wrong_rotation(%x: tensor<?x4x64xf32>, %pos: index) -> tensor<?x4x64xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x4x64xf32>
  %a = tfm.rope_angles %pos, %n config<dim = 64, base = 10000.0, scaling = none> : tensor<?x32xf32>
  %c = tfm.cos %a : tensor<?x32xf32>
  %s = tfm.sin %a : tensor<?x32xf32>
  %cc = tfm.concat %c, %c along 1 : (tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x64xf32>
  %ss = tfm.concat %s, %s along 1 : (tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x64xf32>
  %c3 = tfm.reshape %cc : (tensor<?x64xf32>) -> tensor<?x1x64xf32>
  %s3 = tfm.reshape %ss : (tensor<?x64xf32>) -> tensor<?x1x64xf32>
  %x1 = tfm.slice %x along 2 from 0 size 32 : (tensor<?x4x64xf32>) -> tensor<?x4x32xf32>
  %x2 = tfm.slice %x along 2 from 32 size 32 : (tensor<?x4x64xf32>) -> tensor<?x4x32xf32>
  %nx1 = tfm.neg %x1 : tensor<?x4x32xf32>
  %rot = tfm.concat %x2, %nx1 along 2 : (tensor<?x4x32xf32>, tensor<?x4x32xf32>) -> tensor<?x4x64xf32>
  %p = tfm.mul %x, %c3 : (tensor<?x4x64xf32>, tensor<?x1x64xf32>) -> tensor<?x4x64xf32>
  %q = tfm.mul %rot, %s3 : (tensor<?x4x64xf32>, tensor<?x1x64xf32>) -> tensor<?x4x64xf32>
  %y = tfm.add %p, %q : (tensor<?x4x64xf32>, tensor<?x4x64xf32>) -> tensor<?x4x64xf32>
  return %y : tensor<?x4x64xf32>
}

// -----

// Near miss: cos and sin swapped.
// CHECK-LABEL: func @cos_sin_swapped
// CHECK-NOT: tfm.rope {{.*}}style
func.func @cos_sin_swapped(%x: tensor<?x4x64xf32>, %pos: index) -> tensor<?x4x64xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x4x64xf32>
  %a = tfm.rope_angles %pos, %n config<dim = 64, base = 10000.0, scaling = none> : tensor<?x32xf32>
  %c = tfm.cos %a : tensor<?x32xf32>
  %s = tfm.sin %a : tensor<?x32xf32>
  %cc = tfm.concat %c, %c along 1 : (tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x64xf32>
  %ss = tfm.concat %s, %s along 1 : (tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x64xf32>
  %c3 = tfm.reshape %cc : (tensor<?x64xf32>) -> tensor<?x1x64xf32>
  %s3 = tfm.reshape %ss : (tensor<?x64xf32>) -> tensor<?x1x64xf32>
  %x1 = tfm.slice %x along 2 from 0 size 32 : (tensor<?x4x64xf32>) -> tensor<?x4x32xf32>
  %x2 = tfm.slice %x along 2 from 32 size 32 : (tensor<?x4x64xf32>) -> tensor<?x4x32xf32>
  %nx2 = tfm.neg %x2 : tensor<?x4x32xf32>
  %rot = tfm.concat %nx2, %x1 along 2 : (tensor<?x4x32xf32>, tensor<?x4x32xf32>) -> tensor<?x4x64xf32>
  %p = tfm.mul %x, %s3 : (tensor<?x4x64xf32>, tensor<?x1x64xf32>) -> tensor<?x4x64xf32>
  %q = tfm.mul %rot, %c3 : (tensor<?x4x64xf32>, tensor<?x1x64xf32>) -> tensor<?x4x64xf32>
  %y = tfm.add %p, %q : (tensor<?x4x64xf32>, tensor<?x4x64xf32>) -> tensor<?x4x64xf32>
  return %y : tensor<?x4x64xf32>
}

// -----

// Near miss: the angles are for a different number of positions than x has
// tokens (the primitive graph broadcasts one row; tfm.rope would not).
// CHECK-LABEL: func @angles_not_per_token
// CHECK-NOT: tfm.rope {{.*}}style
func.func @angles_not_per_token(%x: tensor<?x4x64xf32>, %pos: index, %other: tensor<?x8xf32>) -> tensor<?x4x64xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %other, %c0 : tensor<?x8xf32>
  %a = tfm.rope_angles %pos, %n config<dim = 64, base = 10000.0, scaling = none> : tensor<?x32xf32>
  %c = tfm.cos %a : tensor<?x32xf32>
  %s = tfm.sin %a : tensor<?x32xf32>
  %cc = tfm.concat %c, %c along 1 : (tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x64xf32>
  %ss = tfm.concat %s, %s along 1 : (tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x64xf32>
  %c3 = tfm.reshape %cc : (tensor<?x64xf32>) -> tensor<?x1x64xf32>
  %s3 = tfm.reshape %ss : (tensor<?x64xf32>) -> tensor<?x1x64xf32>
  %x1 = tfm.slice %x along 2 from 0 size 32 : (tensor<?x4x64xf32>) -> tensor<?x4x32xf32>
  %x2 = tfm.slice %x along 2 from 32 size 32 : (tensor<?x4x64xf32>) -> tensor<?x4x32xf32>
  %nx2 = tfm.neg %x2 : tensor<?x4x32xf32>
  %rot = tfm.concat %nx2, %x1 along 2 : (tensor<?x4x32xf32>, tensor<?x4x32xf32>) -> tensor<?x4x64xf32>
  %p = tfm.mul %x, %c3 : (tensor<?x4x64xf32>, tensor<?x1x64xf32>) -> tensor<?x4x64xf32>
  %q = tfm.mul %rot, %s3 : (tensor<?x4x64xf32>, tensor<?x1x64xf32>) -> tensor<?x4x64xf32>
  %y = tfm.add %p, %q : (tensor<?x4x64xf32>, tensor<?x4x64xf32>) -> tensor<?x4x64xf32>
  return %y : tensor<?x4x64xf32>
}

// -----

// Interleaved pairing (DeepSeek, llama.cpp "norm"): elements 2i and 2i+1.
// CHECK-LABEL: func @rope_interleaved
// CHECK-SAME: (%[[X:.*]]: tensor<?x2x16xf32>, %[[P:.*]]: index)
// CHECK: %[[Y:.*]] = tfm.rope %[[X]], %[[P]] style<interleaved> config<dim = 16, base = 1.000000e+04, scaling = none> : tensor<?x2x16xf32>
// CHECK-NEXT: return %[[Y]]
func.func @rope_interleaved(%x: tensor<?x2x16xf32>, %pos: index) -> tensor<?x2x16xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x2x16xf32>
  %a = tfm.rope_angles %pos, %n config<dim = 16, base = 10000.0, scaling = none> : tensor<?x8xf32>
  %c = tfm.cos %a : tensor<?x8xf32>
  %s = tfm.sin %a : tensor<?x8xf32>
  %c4 = tfm.reshape %c : (tensor<?x8xf32>) -> tensor<?x1x8x1xf32>
  %s4 = tfm.reshape %s : (tensor<?x8xf32>) -> tensor<?x1x8x1xf32>
  %p = tfm.reshape %x : (tensor<?x2x16xf32>) -> tensor<?x2x8x2xf32>
  %x0 = tfm.slice %p along 3 from 0 size 1 : (tensor<?x2x8x2xf32>) -> tensor<?x2x8x1xf32>
  %x1 = tfm.slice %p along 3 from 1 size 1 : (tensor<?x2x8x2xf32>) -> tensor<?x2x8x1xf32>
  %a0 = tfm.mul %x0, %c4 : (tensor<?x2x8x1xf32>, tensor<?x1x8x1xf32>) -> tensor<?x2x8x1xf32>
  %b0 = tfm.mul %x1, %s4 : (tensor<?x2x8x1xf32>, tensor<?x1x8x1xf32>) -> tensor<?x2x8x1xf32>
  %y0 = tfm.sub %a0, %b0 : (tensor<?x2x8x1xf32>, tensor<?x2x8x1xf32>) -> tensor<?x2x8x1xf32>
  %a1 = tfm.mul %c4, %x1 : (tensor<?x1x8x1xf32>, tensor<?x2x8x1xf32>) -> tensor<?x2x8x1xf32>
  %b1 = tfm.mul %x0, %s4 : (tensor<?x2x8x1xf32>, tensor<?x1x8x1xf32>) -> tensor<?x2x8x1xf32>
  %y1 = tfm.add %b1, %a1 : (tensor<?x2x8x1xf32>, tensor<?x2x8x1xf32>) -> tensor<?x2x8x1xf32>
  %yc = tfm.concat %y0, %y1 along 3 : (tensor<?x2x8x1xf32>, tensor<?x2x8x1xf32>) -> tensor<?x2x8x2xf32>
  %y = tfm.reshape %yc : (tensor<?x2x8x2xf32>) -> tensor<?x2x16xf32>
  return %y : tensor<?x2x16xf32>
}

// -----

// Near miss: the second element of each pair is rotated with the wrong sign
// (x1 cos - x0 sin).
// CHECK-LABEL: func @interleaved_wrong_sign
// CHECK-NOT: tfm.rope {{.*}}style
func.func @interleaved_wrong_sign(%x: tensor<?x2x16xf32>, %pos: index) -> tensor<?x2x16xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x2x16xf32>
  %a = tfm.rope_angles %pos, %n config<dim = 16, base = 10000.0, scaling = none> : tensor<?x8xf32>
  %c = tfm.cos %a : tensor<?x8xf32>
  %s = tfm.sin %a : tensor<?x8xf32>
  %c4 = tfm.reshape %c : (tensor<?x8xf32>) -> tensor<?x1x8x1xf32>
  %s4 = tfm.reshape %s : (tensor<?x8xf32>) -> tensor<?x1x8x1xf32>
  %p = tfm.reshape %x : (tensor<?x2x16xf32>) -> tensor<?x2x8x2xf32>
  %x0 = tfm.slice %p along 3 from 0 size 1 : (tensor<?x2x8x2xf32>) -> tensor<?x2x8x1xf32>
  %x1 = tfm.slice %p along 3 from 1 size 1 : (tensor<?x2x8x2xf32>) -> tensor<?x2x8x1xf32>
  %a0 = tfm.mul %x0, %c4 : (tensor<?x2x8x1xf32>, tensor<?x1x8x1xf32>) -> tensor<?x2x8x1xf32>
  %b0 = tfm.mul %x1, %s4 : (tensor<?x2x8x1xf32>, tensor<?x1x8x1xf32>) -> tensor<?x2x8x1xf32>
  %y0 = tfm.sub %a0, %b0 : (tensor<?x2x8x1xf32>, tensor<?x2x8x1xf32>) -> tensor<?x2x8x1xf32>
  %a1 = tfm.mul %x1, %c4 : (tensor<?x2x8x1xf32>, tensor<?x1x8x1xf32>) -> tensor<?x2x8x1xf32>
  %b1 = tfm.mul %x0, %s4 : (tensor<?x2x8x1xf32>, tensor<?x1x8x1xf32>) -> tensor<?x2x8x1xf32>
  %y1 = tfm.sub %a1, %b1 : (tensor<?x2x8x1xf32>, tensor<?x2x8x1xf32>) -> tensor<?x2x8x1xf32>
  %yc = tfm.concat %y0, %y1 along 3 : (tensor<?x2x8x1xf32>, tensor<?x2x8x1xf32>) -> tensor<?x2x8x2xf32>
  %y = tfm.reshape %yc : (tensor<?x2x8x2xf32>) -> tensor<?x2x16xf32>
  return %y : tensor<?x2x16xf32>
}
