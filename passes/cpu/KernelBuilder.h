//===- KernelBuilder.h - building CPU kernel functions ----------*- C++ -*-===//
//
// CPU lowerings emit each heavy tfm op as a call to a private kernel function
// specialised on the op's static shapes and formats. Kernels are created once
// per distinct specialisation and shared by every layer that needs them.
//
//===----------------------------------------------------------------------===//
#ifndef LMC_PASSES_CPU_KERNELBUILDER_H
#define LMC_PASSES_CPU_KERNELBUILDER_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace lmc::cpu {

using KernelBodyBuilder =
    llvm::function_ref<void(mlir::ImplicitLocOpBuilder &, mlir::ValueRange)>;

/// Returns the private function `name` of `module`, creating it with argument
/// types `argTypes`, no results, and the body `buildBody(builder, arguments)`
/// (which must not emit the terminator) if it does not exist yet.
mlir::func::FuncOp getOrCreateKernel(mlir::OpBuilder &builder,
                                     mlir::ModuleOp module,
                                     llvm::StringRef name,
                                     mlir::TypeRange argTypes,
                                     KernelBodyBuilder buildBody);

mlir::Value constIndex(mlir::ImplicitLocOpBuilder &b, int64_t value);
mlir::Value constF32(mlir::ImplicitLocOpBuilder &b, float value);
mlir::Value constI8Vector(mlir::ImplicitLocOpBuilder &b, int64_t width,
                          int8_t value);

/// An `scf.parallel` over [0, count) whose iterations are independent; the
/// CPU pipeline outlines it onto the runtime's threads, with the body's
/// stack buffers (static memref.alloca) allocated once per thread's chunk.
void buildParallelLoop(mlir::ImplicitLocOpBuilder &b, mlir::Value count,
                       llvm::function_ref<void(mlir::ImplicitLocOpBuilder &,
                                               mlir::Value)>
                           body);

/// An `scf.for` from `lower` to `upper` by `step` carrying `init`; `body`
/// returns the values to yield.
mlir::ValueRange buildForLoop(
    mlir::ImplicitLocOpBuilder &b, mlir::Value lower, mlir::Value upper,
    mlir::Value step, mlir::ValueRange init,
    llvm::function_ref<llvm::SmallVector<mlir::Value>(
        mlir::ImplicitLocOpBuilder &, mlir::Value, mlir::ValueRange)>
        body);

/// Runs `body(b, first, count)` over the indices [begin, end): once per
/// full group of `group` consecutive indices (count = group), then once per
/// index left over (count = 1).
void buildGroupedLoop(
    mlir::ImplicitLocOpBuilder &b, mlir::Value begin, mlir::Value end, int64_t group,
    llvm::function_ref<void(mlir::ImplicitLocOpBuilder &, mlir::Value, int64_t)> body);

/// first, first + 1, ..., first + count - 1.
llvm::SmallVector<mlir::Value> consecutiveIndices(mlir::ImplicitLocOpBuilder &b,
                                                  mlir::Value first, int64_t count);

/// A 64-byte aligned heap buffer of `type`, dynamic sizes from `dynamicSizes`.
mlir::Value allocBuffer(mlir::OpBuilder &b, mlir::Location loc,
                        mlir::MemRefType type, mlir::ValueRange dynamicSizes);

/// Horizontal sum of a vector, reassociation allowed.
mlir::Value reduceAdd(mlir::ImplicitLocOpBuilder &b, mlir::Value vector);

/// The horizontal sums of n vectors of one width W (n a power of two, at
/// most W) as one vector<n>: a transpose-and-add tree of shuffles (for 4 x
/// 16 lanes, 9 shuffle pairs instead of four 4-step reductions).
mlir::Value reduceAddEach(mlir::ImplicitLocOpBuilder &b, mlir::ValueRange vectors);

/// reduceAddEach over vectors built one at a time: each pair is added as
/// soon as both exist, so at most log2(n) + 1 partial vectors are live at
/// once (several rows' dot products side by side would not fit the
/// registers otherwise). Gives the same vector as reduceAddEach.
class ReduceAddEachInOrder {
public:
  /// Takes the next vector; all must have one width.
  void push(mlir::ImplicitLocOpBuilder &b, mlir::Value vector);
  /// The sums of the vectors pushed, a power of two of them.
  mlir::Value finish(mlir::ImplicitLocOpBuilder &b);

private:
  /// Partial sums not yet paired, each with its depth in the tree.
  llvm::SmallVector<std::pair<mlir::Value, int64_t>> pending;
  int64_t pushed = 0;
};

/// Loads a vector of f32 shaped `type` from `memref` at `indices`, whatever
/// float type the memref stores (an f16 KV cache: vcvtph2ps).
mlir::Value loadAsF32(mlir::ImplicitLocOpBuilder &b, mlir::VectorType type,
                      mlir::Value memref, mlir::ValueRange indices);

/// Stores the f32 vector `value` into `memref` at `indices`, rounded to the
/// float type the memref stores (to nearest even).
void storeFromF32(mlir::ImplicitLocOpBuilder &b, mlir::Value value,
                  mlir::Value memref, mlir::ValueRange indices);

/// Largest of 32, 16, 8, 4, 2, 1 dividing `n`: the vector width of loops
/// over a dimension of extent n.
int64_t vectorWidthFor(int64_t n);

/// A short stable name fragment identifying `attr` (a hash of its printed
/// form), for kernels specialised on an attribute.
std::string attrKey(mlir::Attribute attr);

/// A private constant global holding `values`, named after them; returns a
/// value of it for use inside the current function.
mlir::Value getConstantTable(mlir::ImplicitLocOpBuilder &b,
                             mlir::ModuleOp module, llvm::StringRef prefix,
                             llvm::ArrayRef<float> values);
mlir::Value getConstantTable(mlir::ImplicitLocOpBuilder &b,
                             mlir::ModuleOp module, llvm::StringRef prefix,
                             llvm::ArrayRef<int64_t> values);

} // namespace lmc::cpu

#endif // LMC_PASSES_CPU_KERNELBUILDER_H
