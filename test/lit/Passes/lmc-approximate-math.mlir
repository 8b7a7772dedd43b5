// RUN: lmc-opt %s --lmc-approximate-math --split-input-file | FileCheck %s

// f32 exp, vector and scalar, becomes arithmetic that stays in registers:
// no math.exp (hence no libm call per lane) is left.

// CHECK-LABEL: func.func @vector_exp
// CHECK-NOT: math.exp
// CHECK: math.fma {{.*}} : vector<16xf32>
// CHECK: arith.fptosi {{.*}} : vector<16xf32> to vector<16xi32>
// CHECK: arith.bitcast {{.*}} : vector<16xi32> to vector<16xf32>
// CHECK-NOT: math.exp
// CHECK: return
func.func @vector_exp(%x: vector<16xf32>) -> vector<16xf32> {
  %e = math.exp %x : vector<16xf32>
  return %e : vector<16xf32>
}

// -----

// CHECK-LABEL: func.func @scalar_exp
// CHECK-NOT: math.exp
// CHECK: math.fma {{.*}} : f32
// CHECK: return
func.func @scalar_exp(%x: f32) -> f32 {
  %e = math.exp %x : f32
  return %e : f32
}

// -----

// Other math ops and other element types are left alone.

// CHECK-LABEL: func.func @untouched
// CHECK: math.exp %{{.*}} : f64
// CHECK: math.sqrt %{{.*}} : vector<4xf32>
func.func @untouched(%x: f64, %y: vector<4xf32>) -> (f64, vector<4xf32>) {
  %e = math.exp %x : f64
  %s = math.sqrt %y : vector<4xf32>
  return %e, %s : f64, vector<4xf32>
}
