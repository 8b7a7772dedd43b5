// RUN: lmc-opt %s --lmc-outline-parallel --split-input-file | FileCheck %s

// The loop body becomes a function over a chunk of iterations; captured
// values are passed, constants are recreated inside.

// CHECK-LABEL: func.func private @scale_par0
// CHECK-SAME: (%[[BUF:.*]]: memref<?xf32>, %[[F:.*]]: f32, %[[BEGIN:.*]]: index, %[[END:.*]]: index)
// CHECK-SAME: attributes {llvm.emit_c_interface}
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-DAG: %[[LB:.*]] = arith.constant 2 : index
// CHECK-DAG: %[[STEP:.*]] = arith.constant 3 : index
// CHECK: scf.for %[[K:.*]] = %[[BEGIN]] to %[[END]] step %{{.*}} {
// CHECK:   %[[M:.*]] = arith.muli %[[K]], %[[STEP]]
// CHECK:   %[[I:.*]] = arith.addi %[[LB]], %[[M]]
// CHECK:   memref.load %[[BUF]][%[[I]]]
// CHECK:   arith.addf %{{.*}}, %[[ONE]] : f32
// CHECK-LABEL: func.func @scale
// CHECK-NOT: scf.parallel
// CHECK: %[[SPAN:.*]] = arith.subi %{{.*}}, %{{.*}} : index
// CHECK: %[[COUNT:.*]] = arith.ceildivui %[[SPAN]], %{{.*}} : index
// CHECK: lmc_cpu.parallel_call @scale_par0(%{{.*}}, %{{.*}}) count %[[COUNT]] : (memref<?xf32>, f32)
func.func @scale(%buf: memref<?xf32>, %f: f32, %n: index) {
  %lb = arith.constant 2 : index
  %step = arith.constant 3 : index
  %one = arith.constant 1.0 : f32
  scf.parallel (%i) = (%lb) to (%n) step (%step) {
    %v = memref.load %buf[%i] : memref<?xf32>
    %w = arith.mulf %v, %f : f32
    %u = arith.addf %w, %one : f32
    memref.store %u, %buf[%i] : memref<?xf32>
    scf.reduce
  }
  return
}

// -----

// Each loop of a function gets its own body function.
// CHECK-LABEL: func.func private @two_par0
// CHECK-LABEL: func.func private @two_par1
// CHECK-LABEL: func.func @two
// CHECK: lmc_cpu.parallel_call @two_par0
// CHECK: lmc_cpu.parallel_call @two_par1
func.func @two(%buf: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    memref.store %zero, %buf[%i] : memref<?xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %v = memref.load %buf[%i] : memref<?xf32>
    memref.store %v, %buf[%i] : memref<?xf32>
    scf.reduce
  }
  return
}

// -----

// A static stack buffer of the body is allocated once per chunk, before the
// loop over its iterations; one with a dynamic size stays in the body.
// CHECK-LABEL: func.func private @scratch_par0
// CHECK: memref.alloca() : memref<256xf32>
// CHECK: scf.for
// CHECK-NOT: memref.alloca() : memref<256xf32>
// CHECK: memref.alloca(%{{.*}}) : memref<?xf32>
// CHECK: }
// CHECK: return
func.func @scratch(%buf: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %s = memref.alloca() : memref<256xf32>
    %d = memref.alloca(%i) : memref<?xf32>
    %v = memref.load %buf[%i] : memref<?xf32>
    memref.store %v, %s[%c0] : memref<256xf32>
    memref.store %v, %d[%c0] : memref<?xf32>
    scf.reduce
  }
  return
}
