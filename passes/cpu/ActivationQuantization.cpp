//===- ActivationQuantization.cpp - activations rounded to int8 -----------===//
#include "passes/cpu/ActivationQuantization.h"
#include "passes/cpu/KernelBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace lmc::cpu;

QuantizedBlock lmc::cpu::quantizeBlock(ImplicitLocOpBuilder &b, Value values) {
  Type f32 = b.getF32Type();
  auto type = cast<VectorType>(values.getType());
  Value amax = vector::ReductionOp::create(b, vector::CombiningKind::MAXNUMF,
                                           math::AbsFOp::create(b, values));
  Value d = arith::DivFOp::create(b, amax, constF32(b, 127.0f));
  Value zero = constF32(b, 0.0f);
  Value nonzero = arith::CmpFOp::create(b, arith::CmpFPredicate::OGT, d, zero);
  // The integers come from the unrounded factor, as in llama.cpp.
  Value inverse =
      arith::SelectOp::create(b, nonzero, arith::DivFOp::create(b, constF32(b, 1.0f), d), zero);
  Value scaled = arith::MulFOp::create(b, values, vector::BroadcastOp::create(b, type, inverse));
  Value rounded = math::RoundEvenOp::create(b, scaled);
  Value ints = arith::FPToSIOp::create(
      b, VectorType::get(type.getShape(), b.getI8Type()), rounded);
  Value half = arith::TruncFOp::create(b, b.getF16Type(), d);
  Value factor = arith::ExtFOp::create(b, f32, half);
  return {ints, rounded, factor};
}

void lmc::cpu::emitQuantizeRowBlocks(
    ImplicitLocOpBuilder &b, Value x, Value row, int64_t k,
    function_ref<void(ImplicitLocOpBuilder &, Value, const QuantizedBlock &)> consume) {
  VectorType values = VectorType::get({kActivationBlock}, b.getF32Type());
  buildForLoop(b, constIndex(b, 0), constIndex(b, k), constIndex(b, kActivationBlock),
               ValueRange{}, [&](ImplicitLocOpBuilder &lb, Value c, ValueRange) {
                 consume(lb, c, quantizeBlock(lb, vector::LoadOp::create(lb, values, x,
                                                                         ValueRange{row, c})));
                 return SmallVector<Value>{};
               });
}

QuantizedRows lmc::cpu::emitQuantizeRows(ImplicitLocOpBuilder &b, Value x, Value rows, int64_t k,
                                         int64_t groupElems) {
  Type f32 = b.getF32Type();
  int64_t groups = k / groupElems;
  QuantizedRows q;
  q.groupElems = groupElems;
  q.ints = allocBuffer(b, b.getLoc(), MemRefType::get({ShapedType::kDynamic, k}, b.getI8Type()),
                       ValueRange{rows});
  auto perGroup = MemRefType::get({ShapedType::kDynamic, groups}, f32);
  q.factors = allocBuffer(b, b.getLoc(), perGroup, ValueRange{rows});
  q.sums = allocBuffer(b, b.getLoc(), perGroup, ValueRange{rows});
  Value zero = constIndex(b, 0), one = constIndex(b, 1);
  buildForLoop(b, zero, rows, one, ValueRange{}, [&](ImplicitLocOpBuilder &rb, Value r, ValueRange) {
    emitQuantizeRowBlocks(rb, x, r, k, [&](ImplicitLocOpBuilder &lb, Value c,
                                           const QuantizedBlock &block) {
      vector::StoreOp::create(lb, block.ints, q.ints, ValueRange{r, c});
      Value group0 = arith::DivUIOp::create(lb, c, constIndex(lb, groupElems));
      for (int64_t g = 0; g < kActivationBlock / groupElems; ++g) {
        Value group = g == 0 ? group0
                             : arith::AddIOp::create(lb, group0, constIndex(lb, g)).getResult();
        Value part = vector::ExtractStridedSliceOp::create(
            lb, block.rounded, ArrayRef<int64_t>{g * groupElems}, ArrayRef<int64_t>{groupElems},
            ArrayRef<int64_t>{1});
        memref::StoreOp::create(lb, block.factor, q.factors, ValueRange{r, group});
        memref::StoreOp::create(lb, arith::MulFOp::create(lb, block.factor, reduceAdd(lb, part)),
                                q.sums, ValueRange{r, group});
      }
    });
    return SmallVector<Value>{};
  });
  return q;
}
