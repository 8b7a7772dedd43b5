//===- CPUDialect.cpp - lmc_cpu dialect -----------------------------------===//
#include "dialects/cpu/CPUDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace lmc::cpu;

#include "dialects/cpu/CPUDialect.cpp.inc"

#define GET_OP_CLASSES
#include "dialects/cpu/CPUOps.cpp.inc"

void CPUDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/cpu/CPUOps.cpp.inc"
      >();
}

LogicalResult
ParallelCallOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  auto callee =
      symbolTable.lookupNearestSymbolFrom<func::FuncOp>(*this, getCalleeAttr());
  if (!callee)
    return emitOpError("'") << getCallee() << "' does not name a func.func";
  FunctionType type = callee.getFunctionType();
  SmallVector<Type> expected(getCaptures().getTypes());
  IndexType index = IndexType::get(getContext());
  expected.append({index, index});
  if (type.getNumResults() != 0 || type.getInputs() != ArrayRef<Type>(expected))
    return emitOpError("callee '")
           << getCallee() << "' must have type "
           << FunctionType::get(getContext(), expected, {}) << ", got " << type;
  return success();
}
