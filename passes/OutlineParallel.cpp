//===- OutlineParallel.cpp - scf.parallel -> lmc_cpu.parallel_call --------===//
//
//   scf.parallel (%i) = (%lb) to (%ub) step (%s) { body(%i) }
//
// becomes a function running a contiguous range of iterations
//
//   func.func private @f_par0(captures..., %begin: index, %end: index) {
//     scf.for %k = %begin to %end step 1 { body(%lb + %k * %s) }
//   }
//
// and `lmc_cpu.parallel_call @f_par0(captures...) count ceildiv(ub - lb, s)`.
// Static stack buffers of the body are allocated once, before the loop.
// Constants and globals used by the body are recreated inside rather than
// captured.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/RegionUtils.h"

namespace lmc {
#define GEN_PASS_DEF_LMCOUTLINEPARALLEL
#include "passes/Passes.h.inc"
} // namespace lmc

using namespace mlir;
using namespace lmc;

namespace {

/// Values that are cheaper to recreate in the outlined body than to pass.
bool isRematerializable(Value v) {
  Operation *def = v.getDefiningOp();
  return def && def->getNumOperands() == 0 &&
         (def->hasTrait<OpTrait::ConstantLike>() || isa<memref::GetGlobalOp>(def));
}

LogicalResult outline(scf::ParallelOp loop, func::FuncOp parent,
                      unsigned index, SymbolTable &symbols) {
  if (loop.getNumLoops() != 1 || loop.getNumResults() != 0)
    return loop.emitOpError("only one-dimensional loops without reductions "
                            "can run on the runtime's threads");
  Location loc = loop.getLoc();
  MLIRContext *ctx = loop.getContext();
  SetVector<Value> used;
  getUsedValuesDefinedAbove(loop.getRegion(), used);
  SmallVector<Value> captures, recreated;
  // The bounds are needed inside too, to map a chunk back to iterations.
  used.insert(loop.getLowerBound()[0]);
  used.insert(loop.getStep()[0]);
  for (Value v : used)
    (isRematerializable(v) ? recreated : captures).push_back(v);

  OpBuilder b(parent);
  SmallVector<Type> argTypes(ValueRange(captures).getTypes());
  IndexType indexType = b.getIndexType();
  argTypes.append({indexType, indexType});
  std::string name = (parent.getName() + "_par" + Twine(index)).str();
  auto fn = func::FuncOp::create(b, loc, name, b.getFunctionType(argTypes, {}));
  fn.setPrivate();
  // The runtime reaches the body through its C interface wrapper.
  fn->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(), UnitAttr::get(ctx));
  symbols.insert(fn);

  Block *entry = fn.addEntryBlock();
  b.setInsertionPointToStart(entry);
  IRMapping mapping;
  for (auto [i, v] : llvm::enumerate(captures))
    mapping.map(v, entry->getArgument(i));
  for (Value v : recreated)
    mapping.map(v, b.clone(*v.getDefiningOp())->getResult(0));
  Value begin = entry->getArgument(captures.size());
  Value end = entry->getArgument(captures.size() + 1);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value lower = mapping.lookup(loop.getLowerBound()[0]);
  Value step = mapping.lookup(loop.getStep()[0]);
  auto forOp = scf::ForOp::create(b, loc, begin, end, one);
  b.setInsertionPointToStart(forOp.getBody());
  Value iv = arith::AddIOp::create(
      b, loc, lower, arith::MulIOp::create(b, loc, forOp.getInductionVar(), step));
  mapping.map(loop.getInductionVars()[0], iv);
  for (Operation &op : loop.getBody()->without_terminator())
    b.clone(op, mapping);
  // An alloca in the loop would take fresh stack every iteration.
  forOp.walk([&](memref::AllocaOp alloca) {
    if (alloca->getNumOperands() == 0)
      alloca->moveBefore(forOp);
  });
  b.setInsertionPointToEnd(entry);
  func::ReturnOp::create(b, loc);

  // count = ceildiv(ub - lb, step)
  b.setInsertionPoint(loop);
  Value span = arith::SubIOp::create(b, loc, loop.getUpperBound()[0],
                                     loop.getLowerBound()[0]);
  Value count = arith::CeilDivUIOp::create(b, loc, span, loop.getStep()[0]);
  lmc::cpu::ParallelCallOp::create(b, loc, fn.getSymName(), captures, count);
  loop.erase();
  return success();
}

struct LmcOutlineParallelPass
    : lmc::impl::LmcOutlineParallelBase<LmcOutlineParallelPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> fns(module.getOps<func::FuncOp>());
    for (func::FuncOp fn : fns) {
      // Innermost loops first, so an outer body captures no inner loop.
      SmallVector<scf::ParallelOp> loops;
      fn.walk<WalkOrder::PostOrder>([&](scf::ParallelOp p) { loops.push_back(p); });
      for (auto [i, loop] : llvm::enumerate(loops))
        if (failed(outline(loop, fn, i, symbols)))
          return signalPassFailure();
    }
  }
};
} // namespace
