//===- CPUToLLVM.cpp - lmc_cpu -> LLVM dialect ----------------------------===//
//
// `lmc_cpu.parallel_call @body(captures...) count n` becomes
//
//   ctx = alloca {captures...}          ; converted values, memrefs as descriptors
//   lmc_rt_parallel_for(@body__chunk, ctx, n)
//
// where the trampoline `@body__chunk(ctx, begin, end)` forwards to the C
// interface wrapper of @body (memref descriptors by pointer, scalars by
// value). @body must carry `llvm.emit_c_interface` (lmc-outline-parallel sets
// it), so func-to-llvm provides `_mlir_ciface_body`.
//
// `lmc_cpu.dot_bytes` becomes a call of the x86 intrinsic
// llvm.x86.avx512.vpdpbusd.{256,512}.
//
//===----------------------------------------------------------------------===//
#include "dialects/cpu/CPUDialect.h"

#include "mlir/Conversion/ConvertToLLVM/ToLLVMInterface.h"
#include "mlir/Conversion/LLVMCommon/Pattern.h"
#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace lmc::cpu;

namespace {

LLVM::LLVMFuncOp getOrInsertParallelFor(OpBuilder &b, ModuleOp module) {
  if (auto fn = module.lookupSymbol<LLVM::LLVMFuncOp>(kParallelForSymbol))
    return fn;
  MLIRContext *ctx = module.getContext();
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  auto i64 = IntegerType::get(ctx, 64);
  auto type = LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(ctx),
                                          {ptr, ptr, i64});
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(module.getBody());
  return LLVM::LLVMFuncOp::create(b, module.getLoc(), kParallelForSymbol, type);
}

/// Builds `@<callee>__chunk(ctx, begin, end)` unless it exists.
LLVM::LLVMFuncOp getOrInsertTrampoline(OpBuilder &b, ModuleOp module,
                                       StringRef callee,
                                       LLVM::LLVMStructType ctxType,
                                       ArrayRef<bool> byPointer) {
  std::string name = (callee + "__chunk").str();
  if (auto fn = module.lookupSymbol<LLVM::LLVMFuncOp>(name))
    return fn;
  MLIRContext *ctx = module.getContext();
  Location loc = module.getLoc();
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  auto i64 = IntegerType::get(ctx, 64);
  auto voidTy = LLVM::LLVMVoidType::get(ctx);

  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToEnd(module.getBody());
  auto fn = LLVM::LLVMFuncOp::create(
      b, loc, name, LLVM::LLVMFunctionType::get(voidTy, {ptr, i64, i64}),
      LLVM::Linkage::Internal);
  Block *entry = fn.addEntryBlock(b);
  b.setInsertionPointToStart(entry);
  Value ctxPtr = entry->getArgument(0);

  SmallVector<Value> args;
  SmallVector<Type> argTypes;
  for (auto [i, field] : llvm::enumerate(ctxType.getBody())) {
    Value addr = LLVM::GEPOp::create(b, loc, ptr, ctxType, ctxPtr,
                                     ArrayRef<LLVM::GEPArg>{0, (int32_t)i});
    if (byPointer[i]) {
      args.push_back(addr);
      argTypes.push_back(ptr);
    } else {
      args.push_back(LLVM::LoadOp::create(b, loc, field, addr));
      argTypes.push_back(field);
    }
  }
  args.append({entry->getArgument(1), entry->getArgument(2)});
  argTypes.append({i64, i64});
  std::string wrapper = ("_mlir_ciface_" + callee).str();
  LLVM::CallOp::create(b, loc, LLVM::LLVMFunctionType::get(voidTy, argTypes),
                       FlatSymbolRefAttr::get(ctx, wrapper), args);
  LLVM::ReturnOp::create(b, loc, ValueRange{});
  return fn;
}

struct ParallelCallOpLowering : ConvertOpToLLVMPattern<ParallelCallOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;

  LogicalResult
  matchAndRewrite(ParallelCallOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto module = op->getParentOfType<ModuleOp>();
    MLIRContext *ctx = op.getContext();
    auto ptr = LLVM::LLVMPointerType::get(ctx);

    SmallVector<Type> fields;
    SmallVector<bool> byPointer;
    for (auto [orig, converted] :
         llvm::zip(op.getCaptures(), adaptor.getCaptures())) {
      fields.push_back(converted.getType());
      byPointer.push_back(isa<MemRefType>(orig.getType()));
    }
    // An empty struct is not a valid alloca type; keep one dummy byte.
    if (fields.empty())
      fields.push_back(rewriter.getI8Type());
    auto ctxType = LLVM::LLVMStructType::getLiteral(ctx, fields);

    LLVM::LLVMFuncOp parallelFor = getOrInsertParallelFor(rewriter, module);
    LLVM::LLVMFuncOp trampoline = getOrInsertTrampoline(
        rewriter, module, op.getCallee(), ctxType,
        op.getCaptures().empty() ? ArrayRef<bool>{false} : byPointer);

    // Capture values live in a stack slot for the duration of the call.
    Value one = LLVM::ConstantOp::create(rewriter, loc, rewriter.getI64Type(),
                                         rewriter.getI64IntegerAttr(1));
    Value ctxPtr = LLVM::AllocaOp::create(rewriter, loc, ptr, ctxType, one);
    for (auto [i, value] : llvm::enumerate(adaptor.getCaptures())) {
      Value addr = LLVM::GEPOp::create(rewriter, loc, ptr, ctxType, ctxPtr,
                                       ArrayRef<LLVM::GEPArg>{0, (int32_t)i});
      LLVM::StoreOp::create(rewriter, loc, value, addr);
    }
    Value fnPtr = LLVM::AddressOfOp::create(rewriter, loc, ptr,
                                            trampoline.getSymName());
    LLVM::CallOp::create(rewriter, loc, parallelFor,
                         ValueRange{fnPtr, ctxPtr, adaptor.getCount()});
    rewriter.eraseOp(op);
    return success();
  }
};

struct DotBytesOpLowering : ConvertOpToLLVMPattern<DotBytesOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;

  LogicalResult
  matchAndRewrite(DotBytesOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = cast<VectorType>(op.getType());
    int64_t bits = 32 * type.getNumElements();
    Value acc = adaptor.getAcc();
    if (!acc)
      acc = LLVM::ZeroOp::create(rewriter, op.getLoc(), type);
    auto call = LLVM::CallIntrinsicOp::create(
        rewriter, op.getLoc(), type,
        rewriter.getStringAttr("llvm.x86.avx512.vpdpbusd." + std::to_string(bits)),
        ValueRange{acc, adaptor.getUnsignedBytes(), adaptor.getSignedBytes()});
    rewriter.replaceOp(op, call.getResults());
    return success();
  }
};

struct CPUToLLVMInterface : ConvertToLLVMPatternInterface {
  using ConvertToLLVMPatternInterface::ConvertToLLVMPatternInterface;
  void populateConvertToLLVMConversionPatterns(
      ConversionTarget &target, LLVMTypeConverter &typeConverter,
      RewritePatternSet &patterns) const final {
    target.addIllegalDialect<CPUDialect>();
    patterns.add<ParallelCallOpLowering, DotBytesOpLowering>(typeConverter);
  }
};
} // namespace

void lmc::cpu::registerConvertCPUToLLVMInterface(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, CPUDialect *dialect) {
    dialect->addInterfaces<CPUToLLVMInterface>();
  });
}
