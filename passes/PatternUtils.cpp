//===- PatternUtils.cpp - helpers for tfm fusion patterns -----------------===//
#include "passes/PatternUtils.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace lmc::tfm;

static bool hasDynamicLeadingDim(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return type && type.getRank() > 0 && type.isDynamicDim(0);
}

Value lmc::getTokenRoot(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    Value next =
        llvm::TypeSwitch<Operation *, Value>(def)
            .Case<EmbeddingOp>([](auto op) { return op.getIds(); })
            .Case<MatmulOp, ReshapeOp, RMSNormOp, RopeOp, SoftmaxOp, NegOp,
                  ExpOp, RsqrtOp, SigmoidOp, CosOp, SinOp, SliceOp,
                  ReduceSumOp, ReduceMaxOp, ReduceMeanOp>(
                [](auto op) { return op->getOperand(0); })
            .Case<SwiGLUOp>([](auto op) { return op.getGate(); })
            .Case<AttentionOp>([](auto op) { return op.getQuery(); })
            .Case<AddOp, SubOp, MulOp, DivOp>([](auto op) -> Value {
              // The result's leading dim comes from whichever operand has a
              // dynamic one; both must then agree at run time.
              if (hasDynamicLeadingDim(op.getLhs()) &&
                  getRank(op.getLhs()) == getRank(op.getResult()))
                return op.getLhs();
              return op.getRhs();
            })
            .Case<ConcatOp>([](auto op) -> Value {
              return op.getAxis() == 0 ? Value() : op.getInputs()[0];
            })
            .Case<TransposeOp>([](auto op) -> Value {
              return op.getPermutation()[0] == 0 ? op.getInput() : Value();
            })
            .Default([](Operation *) { return Value(); });
    if (!next || !hasDynamicLeadingDim(next))
      return v;
    v = next;
  }
  return v;
}

bool lmc::isTokenCountOf(Value count, Value v) {
  auto dim = count.getDefiningOp<tensor::DimOp>();
  if (!dim)
    return false;
  APInt index;
  if (!matchPattern(dim.getIndex(), m_ConstantInt(&index)) || index != 0)
    return false;
  return getTokenRoot(dim.getSource()) == getTokenRoot(v);
}
