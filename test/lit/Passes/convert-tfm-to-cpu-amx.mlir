// RUN: lmc-opt %s --convert-tfm-to-cpu=amx=true | FileCheck %s
// RUN: lmc-opt %s --convert-tfm-to-cpu | FileCheck %s --check-prefix=NOAMX

// With amx, a Q8_0 matmul's kernel has an AMX path for many rows: weight
// integers and three bf16 parts of the activations as tiles, products
// scaled per block in f32. Weights AMX cannot take exactly (f32 here) keep
// the f32 kernel.

// CHECK-LABEL: func.func @forward
// CHECK: call @lmc_matmul_q8_0_64_64_amx(
// CHECK: call @lmc_matmul_f32_64_64(
// CHECK-LABEL: func.func private @lmc_matmul_q8_0_64_64_amx
// CHECK: arith.truncf {{.*}} : vector<32xf32> to vector<32xbf16>
// CHECK: amx.tile_load {{.*}} into !amx.tile<16x32xbf16>
// CHECK: amx.tile_zero : !amx.tile<16x16xf32>
// CHECK-COUNT-6: amx.tile_mulf
// CHECK: amx.tile_store
// CHECK-LABEL: func.func private @lmc_matmul_f32_64_64
// CHECK-NOT: amx.
// CHECK: return

// NOAMX-NOT: amx.
tfm.weight_decl @a : !tfm.weight<64x64, q8_0> at 0
tfm.weight_decl @b : !tfm.weight<64x64, f32> at 8192
func.func @forward(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %a = tfm.weight @a : !tfm.weight<64x64, q8_0>
  %b = tfm.weight @b : !tfm.weight<64x64, f32>
  %y = tfm.matmul %x, %a : (tensor<?x64xf32>, !tfm.weight<64x64, q8_0>) -> tensor<?x64xf32>
  %z = tfm.matmul %y, %b : (tensor<?x64xf32>, !tfm.weight<64x64, f32>) -> tensor<?x64xf32>
  return %z : tensor<?x64xf32>
}
