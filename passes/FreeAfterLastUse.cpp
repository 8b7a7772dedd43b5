//===- FreeAfterLastUse.cpp - free buffers as soon as they are dead -------===//
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/DenseSet.h"

namespace lmc {
#define GEN_PASS_DEF_LMCFREEAFTERLASTUSE
#include "passes/Passes.h.inc"
} // namespace lmc

using namespace mlir;

namespace {

/// The last op of the block of `dealloc` that uses its buffer or a view of
/// it, or null if the buffer may be reached some other way (a use outside
/// the block, an op other than a view returning a memref from it).
Operation *lastUseInBlock(memref::DeallocOp dealloc, memref::AllocOp alloc) {
  Block *block = dealloc->getBlock();
  Operation *last = alloc;
  SmallVector<Value> work{alloc.getResult()};
  llvm::DenseSet<Value> seen;
  while (!work.empty()) {
    Value buffer = work.pop_back_val();
    if (!seen.insert(buffer).second)
      continue;
    for (OpOperand &use : buffer.getUses()) {
      Operation *user = block->findAncestorOpInBlock(*use.getOwner());
      if (!user)
        return nullptr;
      if (user == dealloc)
        continue;
      if (last->isBeforeInBlock(user))
        last = user;
      auto view = dyn_cast<ViewLikeOpInterface>(use.getOwner());
      bool isView = view && use.getOwner() == user && view.getViewSource() == buffer;
      for (Value result : user->getResults()) {
        if (!isa<BaseMemRefType>(result.getType()))
          continue;
        if (!isView)
          return nullptr;
        work.push_back(result);
      }
    }
  }
  return last;
}

struct FreeAfterLastUse : lmc::impl::LmcFreeAfterLastUseBase<FreeAfterLastUse> {
  void runOnOperation() override {
    SmallVector<memref::DeallocOp> deallocs;
    getOperation().walk([&](memref::DeallocOp op) { deallocs.push_back(op); });
    for (memref::DeallocOp dealloc : deallocs) {
      auto alloc = dealloc.getMemref().getDefiningOp<memref::AllocOp>();
      if (!alloc || alloc->getBlock() != dealloc->getBlock())
        continue;
      if (Operation *last = lastUseInBlock(dealloc, alloc))
        dealloc->moveAfter(last);
    }
  }
};

} // namespace
