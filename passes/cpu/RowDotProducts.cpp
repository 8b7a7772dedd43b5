//===- RowDotProducts.cpp - dot products of one weight row with activations ===//
#include "passes/cpu/RowDotProducts.h"
#include "passes/cpu/KernelBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;

void lmc::cpu::emitRowDotProducts(ImplicitLocOpBuilder &b, const WeightReader &w,
                                  const WeightRow &row, Value x, ArrayRef<Value> xRows,
                                  Value y, ArrayRef<Value> yRows, Value n, Value bias) {
  const RowLayout &layout = w.layout();
  size_t rows = xRows.size();
  VectorType accType = VectorType::get({layout.chunkWidth}, b.getF32Type());
  Value zero = arith::ConstantOp::create(
      b, DenseElementsAttr::get(accType, b.getF32FloatAttr(0.0f)));
  SmallVector<Value> init(rows, zero);
  ValueRange sums = buildForLoop(
      b, constIndex(b, 0), constIndex(b, w.blocksPerRow()), constIndex(b, 1), init,
      [&](ImplicitLocOpBuilder &lb, Value block, ValueRange accs) {
        SmallVector<Value> acc(accs);
        Value k0 = arith::MulIOp::create(lb, block, constIndex(lb, layout.blockElems));
        w.decode(lb, row, block, [&](int64_t chunk, Value weights) {
          Value k = chunk == 0 ? k0
                               : arith::AddIOp::create(
                                     lb, k0, constIndex(lb, chunk * layout.chunkWidth))
                                     .getResult();
          for (size_t r = 0; r < rows; ++r) {
            Value xs = vector::LoadOp::create(lb, accType, x, ValueRange{xRows[r], k});
            acc[r] = vector::FMAOp::create(lb, weights, xs, acc[r]);
          }
        });
        return acc;
      });
  for (size_t r = 0; r < rows; ++r) {
    Value sum = reduceAdd(b, sums[r]);
    if (bias)
      sum = arith::AddFOp::create(b, sum, bias);
    memref::StoreOp::create(b, sum, y, ValueRange{yRows[r], n});
  }
}
