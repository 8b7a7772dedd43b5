// RUN: lmc-opt %s --tfm-kv-cache-type | FileCheck %s
// RUN: lmc-opt %s --tfm-kv-cache-type=element-type=f32 | FileCheck %s --check-prefix=F32
// RUN: lmc-opt %s --tfm-kv-cache-type --convert-tfm-to-cpu | FileCheck %s --check-prefix=CPU
// RUN: not lmc-opt %s --tfm-kv-cache-type=element-type=bf16 2>&1 | FileCheck %s --check-prefix=BAD

// The cache is retyped everywhere it flows: the argument, each cache_write's
// result, the reads and the attention, and the function's result. Values
// written and read stay f32.
// CHECK-LABEL: func.func @layer
// CHECK-SAME: (%[[Q:.*]]: tensor<?x4x16xf32>, %[[K:.*]]: tensor<?x2x16xf32>, %[[C:.*]]: !tfm.kv_cache<2x2x2x16, f16>, %{{.*}}: index) -> (tensor<?x4x16xf32>, tensor<?x2x16xf32>, !tfm.kv_cache<2x2x2x16, f16>)
// CHECK: %[[C1:.*]] = tfm.cache_write %[[K]] into %[[C]][layer 1, stream 0] at %{{.*}} : tensor<?x2x16xf32>, !tfm.kv_cache<2x2x2x16, f16>
// CHECK: %[[C2:.*]] = tfm.cache_write %[[K]] into %[[C1]][layer 1, stream 1] at %{{.*}} : tensor<?x2x16xf32>, !tfm.kv_cache<2x2x2x16, f16>
// CHECK: tfm.attention %[[Q]], %[[C2]][layer 1] {{.*}} : tensor<?x4x16xf32>, !tfm.kv_cache<2x2x2x16, f16> -> tensor<?x4x16xf32>
// CHECK: tfm.cache_read %[[C2]][layer 1, stream 0] {{.*}} : !tfm.kv_cache<2x2x2x16, f16> -> tensor<?x2x16xf32>
// CHECK: return {{.*}}, %[[C2]] : tensor<?x4x16xf32>, tensor<?x2x16xf32>, !tfm.kv_cache<2x2x2x16, f16>

// An f32 request changes nothing.
// F32-LABEL: func.func @layer
// F32-NOT: f16

// On the CPU the cache is an f16 buffer; the kernels round as they write
// and widen as they read.
// CPU-LABEL: func.func private @lmc_cache_write_2x2x2x16_f16
// CPU-SAME: memref<?x2x16xf32>, %{{.*}}: memref<2x2x2x?x16xf16>
// CPU: arith.truncf %{{.*}} : vector<16xf32> to vector<16xf16>
// CPU-LABEL: func.func private @lmc_attention_4_2x2x2x16_f16
// CPU: vector.load %{{.*}} : memref<2x2x2x?x16xf16>, vector<16xf16>
// CPU: arith.extf %{{.*}} : vector<16xf16> to vector<16xf32>
// CPU-LABEL: func.func private @lmc_cache_read_2x2x2x16_f16
// CPU: arith.extf %{{.*}} : vector<16xf16> to vector<16xf32>

// BAD: element-type must be f32 or f16, not 'bf16'
func.func @layer(%q: tensor<?x4x16xf32>, %k: tensor<?x2x16xf32>, %cache: !tfm.kv_cache<2x2x2x16, f32>, %pos: index)
    -> (tensor<?x4x16xf32>, tensor<?x2x16xf32>, !tfm.kv_cache<2x2x2x16, f32>) {
  %c1 = tfm.cache_write %k into %cache[layer 1, stream 0] at %pos : tensor<?x2x16xf32>, !tfm.kv_cache<2x2x2x16, f32>
  %c2 = tfm.cache_write %k into %c1[layer 1, stream 1] at %pos : tensor<?x2x16xf32>, !tfm.kv_cache<2x2x2x16, f32>
  %a = tfm.attention %q, %c2[layer 1] at %pos scale 0.25 : tensor<?x4x16xf32>, !tfm.kv_cache<2x2x2x16, f32> -> tensor<?x4x16xf32>
  %n = arith.constant 3 : index
  %r = tfm.cache_read %c2[layer 1, stream 0] count %n : !tfm.kv_cache<2x2x2x16, f32> -> tensor<?x2x16xf32>
  return %a, %r, %c2 : tensor<?x4x16xf32>, tensor<?x2x16xf32>, !tfm.kv_cache<2x2x2x16, f32>
}
