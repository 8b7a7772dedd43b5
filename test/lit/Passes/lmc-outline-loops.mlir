// RUN: lmc-opt %s --lmc-outline-loops | FileCheck %s

// Each top-level loop nest of a public function becomes a call; the two
// identical nests share one non-inlined function, the third gets its own.
// CHECK: func.func private @forward_loop0(%{{.*}}: memref<?x8xf32>, %{{.*}}: memref<?x8xf32>, %{{.*}}: index) attributes {passthrough = ["noinline"]}
// CHECK: arith.mulf
// CHECK: func.func private @forward_loop2(%{{.*}}: memref<?x8xf32>, %{{.*}}: index) attributes {passthrough = ["noinline"]}
// CHECK: arith.addf
// CHECK-NOT: func.func private @forward_loop
// CHECK-LABEL: func.func @forward
// CHECK-SAME: (%[[A:.*]]: memref<?x8xf32>, %[[B:.*]]: memref<?x8xf32>, %[[N:.*]]: index)
// CHECK-NOT: scf.for
// CHECK: call @forward_loop0(%[[A]], %[[B]], %[[N]])
// CHECK-NEXT: call @forward_loop0(%[[B]], %[[A]], %[[N]])
// CHECK-NEXT: call @forward_loop2(%[[A]], %[[N]])
// CHECK-NEXT: return
func.func @forward(%a: memref<?x8xf32>, %b: memref<?x8xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  scf.for %i = %c0 to %n step %c1 {
    scf.for %j = %c0 to %c8 step %c1 {
      %x = memref.load %a[%i, %j] : memref<?x8xf32>
      %y = arith.mulf %x, %x : f32
      memref.store %y, %b[%i, %j] : memref<?x8xf32>
    }
  }
  scf.for %i = %c0 to %n step %c1 {
    scf.for %j = %c0 to %c8 step %c1 {
      %x = memref.load %b[%i, %j] : memref<?x8xf32>
      %y = arith.mulf %x, %x : f32
      memref.store %y, %a[%i, %j] : memref<?x8xf32>
    }
  }
  scf.for %i = %c0 to %n step %c1 {
    scf.for %j = %c0 to %c8 step %c1 {
      %x = memref.load %a[%i, %j] : memref<?x8xf32>
      %y = arith.addf %x, %x : f32
      memref.store %y, %a[%i, %j] : memref<?x8xf32>
    }
  }
  return
}
