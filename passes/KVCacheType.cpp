//===- KVCacheType.cpp - choose what the KV cache stores ------------------===//
//
// A cache's element type is a storage choice, not part of the model: every
// op reads and writes f32 values, so retyping is a matter of updating the
// types of the values that carry the cache (SSA threads it from the forward
// function's argument through each cache_write to the return).
//
//===----------------------------------------------------------------------===//
#include "passes/Passes.h"

namespace lmc {
#define GEN_PASS_DEF_TFMKVCACHETYPE
#include "passes/Passes.h.inc"
} // namespace lmc

using namespace mlir;
using namespace lmc::tfm;

namespace {

Type retype(Type t, Type element) {
  auto cache = dyn_cast<KVCacheType>(t);
  if (!cache)
    return t;
  return KVCacheType::get(t.getContext(), cache.getLayers(), cache.getStreams(),
                          cache.getHeads(), cache.getDim(), element);
}

void retypeValue(Value v, Type element) { v.setType(retype(v.getType(), element)); }

struct KVCacheTypePass : lmc::impl::TfmKVCacheTypeBase<KVCacheTypePass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    Type element;
    if (elementType == "f32")
      element = Float32Type::get(ctx);
    else if (elementType == "f16")
      element = Float16Type::get(ctx);
    else {
      getOperation().emitError("tfm-kv-cache-type: element-type must be f32 or f16, not '")
          << elementType << "'";
      return signalPassFailure();
    }
    getOperation().walk([&](Operation *op) {
      for (Region &region : op->getRegions())
        for (Block &block : region)
          for (BlockArgument arg : block.getArguments())
            retypeValue(arg, element);
      for (Value result : op->getResults())
        retypeValue(result, element);
      if (auto func = dyn_cast<func::FuncOp>(op)) {
        FunctionType type = func.getFunctionType();
        auto map = [&](TypeRange types) {
          return llvm::map_to_vector(types, [&](Type t) { return retype(t, element); });
        };
        func.setFunctionType(
            FunctionType::get(ctx, map(type.getInputs()), map(type.getResults())));
      }
    });
  }
};

} // namespace
