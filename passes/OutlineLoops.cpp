//===- OutlineLoops.cpp - top-level loop nests -> shared functions ---------===//
//
// The primitive ops the fusion passes leave (and every op under --no-fuse)
// lower to loop nests inline in the model's forward function, which then
// holds thousands of loops. LLVM's loop passes are superlinear in function
// size (a 26-layer model's forward took minutes in LoopRotate alone), so
// each top-level scf.for nest of a public function becomes a call of a
// private, non-inlined function of the values it captures. Nests that
// outline to the same function (the same op on the same shapes in every
// layer) share one.
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/StringMap.h"

namespace lmc {
#define GEN_PASS_DEF_LMCOUTLINELOOPS
#include "passes/Passes.h.inc"
} // namespace lmc

using namespace mlir;
using namespace lmc;

namespace {

bool isRematerializable(Value v) {
  Operation *def = v.getDefiningOp();
  return def && def->getNumOperands() == 0 &&
         (def->hasTrait<OpTrait::ConstantLike>() || isa<memref::GetGlobalOp>(def));
}

/// The function as text under a fixed name: equal text, equal function.
std::string bodyKey(func::FuncOp fn) {
  std::string name = fn.getName().str(), text;
  fn.setSymName("outlined");
  llvm::raw_string_ostream os(text);
  fn->print(os, OpPrintingFlags().useLocalScope().printGenericOpForm());
  fn.setSymName(name);
  return text;
}

struct LmcOutlineLoopsPass : lmc::impl::LmcOutlineLoopsBase<LmcOutlineLoopsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    llvm::StringMap<func::FuncOp> byBody;
    MLIRContext *ctx = module.getContext();
    auto noinline = ArrayAttr::get(ctx, {StringAttr::get(ctx, "noinline")});
    SmallVector<func::FuncOp> publicFns;
    for (func::FuncOp fn : module.getOps<func::FuncOp>())
      if (fn.isPublic() && !fn.isExternal())
        publicFns.push_back(fn);
    unsigned counter = 0;
    for (func::FuncOp parent : publicFns) {
      SmallVector<scf::ForOp> loops;
      for (Operation &op : parent.getBody().front())
        if (auto loop = dyn_cast<scf::ForOp>(op); loop && loop.getNumResults() == 0)
          loops.push_back(loop);
      for (scf::ForOp loop : loops) {
        SetVector<Value> used;
        getUsedValuesDefinedAbove(loop->getRegions(), used);
        for (Value operand : loop->getOperands())
          used.insert(operand);
        SmallVector<Value> captures, recreated;
        for (Value v : used)
          (isRematerializable(v) ? recreated : captures).push_back(v);

        OpBuilder b(parent);
        Location loc = loop.getLoc();
        auto fn = func::FuncOp::create(
            b, loc, (parent.getName() + "_loop" + Twine(counter++)).str(),
            b.getFunctionType(ValueRange(captures).getTypes(), {}));
        fn.setPrivate();
        Block *entry = fn.addEntryBlock();
        b.setInsertionPointToStart(entry);
        IRMapping mapping;
        for (auto [i, v] : llvm::enumerate(captures))
          mapping.map(v, entry->getArgument(i));
        for (Value v : recreated)
          mapping.map(v, b.clone(*v.getDefiningOp())->getResult(0));
        b.clone(*loop, mapping);
        func::ReturnOp::create(b, loc);

        std::string key = bodyKey(fn);
        auto [it, fresh] = byBody.try_emplace(key, fn);
        if (fresh) {
          // Inlined back, the forward would be as large as before.
          fn->setAttr("passthrough", noinline);
          symbols.insert(fn);
        } else {
          fn.erase();
        }
        b.setInsertionPoint(loop);
        func::CallOp::create(b, loc, it->second, captures);
        loop.erase();
      }
    }
  }
};
} // namespace
