// RUN: lmc-opt %s --convert-tfm-to-cpu --split-input-file --verify-diagnostics

// e8m0 only ever holds scales.
tfm.weight_decl @e : !tfm.weight<8x32, e8m0> at 0
func.func @e8m0_data(%x: tensor<?x32xf32>) -> tensor<?x8xf32> {
  %w = tfm.weight @e : !tfm.weight<8x32, e8m0>
  // expected-error @below {{cannot read weight of type '!tfm.weight<8x32, e8m0>': e8m0 holds the scales of mxfp4_oai weights only}}
  // expected-error @below {{failed to legalize operation 'tfm.matmul'}}
  %y = tfm.matmul %x, %w : (tensor<?x32xf32>, !tfm.weight<8x32, e8m0>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// Kernels read the scales of FP8 weights from their declaration.
func.func @fp8_without_declaration(%x: tensor<?x256xf32>, %w: !tfm.weight<16x256, e4m3>) -> tensor<?x16xf32> {
  // expected-error @below {{reads a e4m3 weight without a tfm.weight_decl naming its scales}}
  // expected-error @below {{failed to legalize operation 'tfm.matmul'}}
  %y = tfm.matmul %x, %w : (tensor<?x256xf32>, !tfm.weight<16x256, e4m3>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// Biases of the fused mixture of experts are read as one f32 block.
tfm.weight_decl @router : !tfm.weight<4x32, f32> at 0
tfm.weight_decl @gate : !tfm.weight<4x8x32, f32> at 512
tfm.weight_decl @up : !tfm.weight<4x8x32, f32> at 4608
tfm.weight_decl @down : !tfm.weight<4x32x8, f32> at 8704
tfm.weight_decl @bias : !tfm.weight<4x8, f32> at 12800 {row_stride = 2}
func.func @strided_bias(%x: tensor<?x32xf32>) -> tensor<?x32xf32> {
  %r = tfm.weight @router : !tfm.weight<4x32, f32>
  %g = tfm.weight @gate : !tfm.weight<4x8x32, f32>
  %u = tfm.weight @up : !tfm.weight<4x8x32, f32>
  %d = tfm.weight @down : !tfm.weight<4x32x8, f32>
  %b = tfm.weight @bias : !tfm.weight<4x8, f32>
  // expected-error @below {{biases must be stored as one block of f32}}
  // expected-error @below {{failed to legalize operation 'tfm.moe'}}
  %y = tfm.moe %x router %r gate %g bias %b up %u down %d top_k 2 routing<topk_softmax> activation<swiglu> : (tensor<?x32xf32>, !tfm.weight<4x32, f32>, !tfm.weight<4x8x32, f32>, !tfm.weight<4x8, f32>, !tfm.weight<4x8x32, f32>, !tfm.weight<4x32x8, f32>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}
