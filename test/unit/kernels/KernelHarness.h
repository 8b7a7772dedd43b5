//===- KernelHarness.h - JIT-running generated CPU kernels in tests -*- C++ -*-===//
//
// Compiles a small tfm module through the real CPU pipeline (fused or the
// plain reference path), JITs it, and calls its C-interface functions with
// memref descriptors over test-owned data.
//
//===----------------------------------------------------------------------===//
#ifndef LMC_TEST_UNIT_KERNELS_KERNELHARNESS_H
#define LMC_TEST_UNIT_KERNELS_KERNELHARNESS_H

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/MLIRContext.h"

#include <array>
#include <cstdint>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace lmc::test {

/// MLIR's strided memref descriptor of rank N over T.
template <typename T, int N>
struct MemRef {
  T *allocated;
  T *aligned;
  int64_t offset;
  int64_t sizes[N];
  int64_t strides[N];
};

/// A descriptor for a contiguous row-major array.
template <typename T, int N>
MemRef<T, N> memref(T *data, std::array<int64_t, N> shape) {
  MemRef<T, N> m{data, data, 0, {}, {}};
  int64_t stride = 1;
  for (int i = N - 1; i >= 0; --i) {
    m.sizes[i] = shape[i];
    m.strides[i] = stride;
    stride *= shape[i];
  }
  return m;
}

class KernelHarness {
public:
  KernelHarness();
  ~KernelHarness();

  /// Parses `source`, lowers it (with or without fusion) and JITs it.
  /// Functions to call must carry `llvm.emit_c_interface`.
  bool compile(const std::string &source, bool fuse = true);
  /// Lower prefill products to AMX tiles (set before compile; only where
  /// amxAvailable()).
  bool amx = false;
  /// With `amx`: round those products' activations to int8 (only where
  /// amxInt8Available()).
  bool amxInt8 = false;
  /// Without `amx`: round those products' activations to int8 and multiply
  /// with AVX-512 VNNI (only where int8RowsAvailable()).
  bool vnniInt8 = false;
  /// Round the activations of few-row products (decode) to int8 and
  /// multiply with AVX-512 VNNI (only where int8RowsAvailable()).
  bool int8Rows = false;
  /// What the kernels' lmc_rt_parallel_for calls (set before compile);
  /// null: three threads over uneven chunks, so tests see chunk boundaries
  /// anywhere and truly concurrent work.
  using ParallelFor = void (*)(void (*fn)(void *, int64_t, int64_t), void *ctx, int64_t n);
  ParallelFor parallelFor = nullptr;
  /// Whether this machine has AMX-BF16 and Linux granted this process its
  /// tile state.
  static bool amxAvailable();
  /// Whether it also has AMX-INT8.
  static bool amxInt8Available();
  /// Whether it has AVX-512 VNNI.
  static bool int8RowsAvailable();
  /// The C-interface entry point of function `name`, or null.
  void *lookup(const std::string &name);
  /// The tfm ops (e.g. "tfm.rms_norm") in the module after fusion, as last
  /// compiled.
  const std::set<std::string> &opsAfterFusion() const { return tfmOps; }
  /// The symbols (kernel functions among them) of the lowered module, as
  /// last compiled.
  const std::set<std::string> &loweredSymbols() const { return functions; }
  /// The error of the last failed compile.
  const std::string &error() const { return lastError; }

private:
  std::unique_ptr<mlir::MLIRContext> ctx;
  std::unique_ptr<mlir::ExecutionEngine> engine;
  std::string lastError;
  std::set<std::string> tfmOps;
  std::set<std::string> functions;
};

/// Deterministic random data for tests.
struct TestRandom {
  std::mt19937_64 gen;
  explicit TestRandom(uint64_t seed) : gen(seed) {}
  float uniform(float lo, float hi) {
    return lo + (hi - lo) * float((gen() >> 11) * 0x1.0p-53);
  }
  std::vector<float> floats(size_t n, float lo = -1.0f, float hi = 1.0f) {
    std::vector<float> v(n);
    for (float &x : v)
      x = uniform(lo, hi);
    return v;
  }
  uint8_t byte() { return uint8_t(gen()); }
};

/// The f16 encodings of `values` (an f16 KV cache's contents), replacing each
/// value by what its encoding holds, so references computed on `values`
/// see what the kernels read.
std::vector<uint16_t> roundToHalf(std::vector<float> &values);

} // namespace lmc::test

#endif // LMC_TEST_UNIT_KERNELS_KERNELHARNESS_H
