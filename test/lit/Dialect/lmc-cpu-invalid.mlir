// RUN: lmc-opt %s --split-input-file --verify-diagnostics

func.func @lanes(%u: vector<64xi8>, %v: vector<64xi8>) -> vector<8xi32> {
  // expected-error @+1 {{the result has a lane per four bytes}}
  %0 = "lmc_cpu.dot_bytes"(%u, %v) : (vector<64xi8>, vector<64xi8>) -> vector<8xi32>
  return %0 : vector<8xi32>
}

// -----

func.func @widths(%u: vector<64xi8>, %v: vector<32xi8>) -> vector<16xi32> {
  // expected-error @+1 {{all of {unsigned_bytes, signed_bytes} have same type}}
  %0 = "lmc_cpu.dot_bytes"(%u, %v) : (vector<64xi8>, vector<32xi8>) -> vector<16xi32>
  return %0 : vector<16xi32>
}

// -----

func.func @width(%u: vector<16xi8>, %v: vector<16xi8>) -> vector<4xi32> {
  // expected-error @+1 {{operand #0 must be vector of 8-bit signless integer values of length 32/64}}
  %0 = "lmc_cpu.dot_bytes"(%u, %v) : (vector<16xi8>, vector<16xi8>) -> vector<4xi32>
  return %0 : vector<4xi32>
}

// -----

func.func @accumulator(%u: vector<64xi8>, %v: vector<64xi8>, %s: vector<8xi32>) -> vector<16xi32> {
  // expected-error @+1 {{the accumulator has the result's type}}
  %0 = "lmc_cpu.dot_bytes"(%u, %v, %s) : (vector<64xi8>, vector<64xi8>, vector<8xi32>) -> vector<16xi32>
  return %0 : vector<16xi32>
}
