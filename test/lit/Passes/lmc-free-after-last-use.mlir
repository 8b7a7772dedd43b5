// RUN: lmc-opt %s --lmc-free-after-last-use --split-input-file | FileCheck %s

// A buffer is freed right after the last use of it or of a view of it,
// not at the end of the block.

// CHECK-LABEL: func.func @after_view_use
// CHECK: %[[A:.*]] = memref.alloc
// CHECK: %[[V:.*]] = memref.collapse_shape %[[A]]
// CHECK: call @consume(%[[V]])
// CHECK-NEXT: memref.dealloc %[[A]]
// CHECK: %[[B:.*]] = memref.alloc
// CHECK: call @fill(%[[B]])
// CHECK-NEXT: memref.dealloc %[[B]]
// CHECK: call @work()
// CHECK-NEXT: return
func.func private @fill(memref<4x4xf32>)
func.func private @consume(memref<16xf32>)
func.func private @work()
func.func @after_view_use() {
  %a = memref.alloc() : memref<4x4xf32>
  call @fill(%a) : (memref<4x4xf32>) -> ()
  %v = memref.collapse_shape %a [[0, 1]] : memref<4x4xf32> into memref<16xf32>
  call @consume(%v) : (memref<16xf32>) -> ()
  %b = memref.alloc() : memref<4x4xf32>
  call @fill(%b) : (memref<4x4xf32>) -> ()
  call @work() : () -> ()
  memref.dealloc %a : memref<4x4xf32>
  memref.dealloc %b : memref<4x4xf32>
  return
}

// -----

// A use inside a loop counts as a use by the loop.

// CHECK-LABEL: func.func @nested_use
// CHECK: scf.for
// CHECK: memref.store
// CHECK: }
// CHECK-NEXT: memref.dealloc
// CHECK-NEXT: call @work()
func.func private @work()
func.func @nested_use(%n: index, %f: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %a = memref.alloc(%n) : memref<?xf32>
  scf.for %i = %c0 to %n step %c1 {
    memref.store %f, %a[%i] : memref<?xf32>
  }
  call @work() : () -> ()
  memref.dealloc %a : memref<?xf32>
  return
}

// -----

// Left alone: a buffer that may be reached through something other than a
// view (here a call returning a memref made from it), and one allocated in
// another block.

// CHECK-LABEL: func.func @may_escape
// CHECK: call @wrap
// CHECK: call @work()
// CHECK-NEXT: memref.dealloc
// CHECK-NEXT: return
func.func private @wrap(memref<4xf32>) -> memref<4xf32>
func.func private @work()
func.func @may_escape() {
  %a = memref.alloc() : memref<4xf32>
  %w = call @wrap(%a) : (memref<4xf32>) -> memref<4xf32>
  call @work() : () -> ()
  memref.dealloc %a : memref<4xf32>
  return
}

// CHECK-LABEL: func.func @other_block
// CHECK: scf.execute_region
// CHECK: call @work()
// CHECK-NEXT: memref.dealloc
func.func @other_block(%buf: memref<4xf32>) {
  %a = scf.execute_region -> memref<4xf32> {
    %b = memref.alloc() : memref<4xf32>
    scf.yield %b : memref<4xf32>
  }
  call @work() : () -> ()
  memref.dealloc %a : memref<4xf32>
  return
}
