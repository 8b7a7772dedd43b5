//===- KernelHarness.cpp - JIT-running generated CPU kernels in tests -----===//
#include "test/unit/kernels/KernelHarness.h"
#include "compiler/Pipelines.h"
#include "compiler/Registration.h"
#include "frontends/quant/QuantFormats.h"
#include "passes/Passes.h"
#include "runtime/support/AmxPermission.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ExecutionEngine/Orc/Mangling.h"
#include "llvm/Support/TargetSelect.h"

#include <thread>

using namespace mlir;
using namespace lmc::test;

namespace {
/// Runs fn over [0, n) in three uneven chunks on three threads, so kernels
/// are exercised with chunk boundaries anywhere and truly concurrently.
void testParallelFor(void (*fn)(void *, int64_t, int64_t), void *ctx, int64_t n) {
  if (n <= 0)
    return;
  int64_t a = n / 5, b = a + (n - a) / 2;
  std::thread t1([&] { fn(ctx, 0, a); });
  std::thread t2([&] { fn(ctx, a, b); });
  fn(ctx, b, n);
  t1.join();
  t2.join();
}
} // namespace

KernelHarness::KernelHarness() {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  DialectRegistry registry;
  lmc::registerAllDialectsAndExtensions(registry);
  ctx = std::make_unique<MLIRContext>(registry);
  ctx->loadAllAvailableDialects();
}

KernelHarness::~KernelHarness() = default;

bool KernelHarness::amxAvailable() {
  static bool available = lmc::hostHasAmx() && lmc::rt::requestAmxPermission();
  return available;
}

bool KernelHarness::amxInt8Available() {
  return amxAvailable() && lmc::hostHasAmxInt8();
}

bool KernelHarness::int8RowsAvailable() { return lmc::hostHasAvx512Vnni(); }

bool KernelHarness::compile(const std::string &source, bool fuse) {
  std::string diagnostics;
  ScopedDiagnosticHandler handler(ctx.get(), [&](Diagnostic &diag) {
    diagnostics += diag.str() + "\n";
    return success();
  });
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(source, ctx.get());
  if (!module) {
    lastError = "parse error: " + diagnostics;
    return false;
  }
  // Fusion first, on its own, so tests can see which tfm ops it left.
  PassManager fusion(ctx.get(), ModuleOp::getOperationName());
  if (fuse)
    lmc::addFusionPasses(fusion);
  if (failed(fusion.run(*module))) {
    lastError = "fusion failed: " + diagnostics;
    return false;
  }
  tfmOps.clear();
  module->walk([&](Operation *op) {
    if (op->getDialect() && op->getDialect()->getNamespace() == "tfm")
      tfmOps.insert(op->getName().getStringRef().str());
  });
  PassManager pm(ctx.get(), ModuleOp::getOperationName());
  lmc::CPUPipelineOptions options;
  options.fuse = false;
  options.amx = amx;
  options.amxInt8 = amxInt8;
  options.vnniInt8 = vnniInt8;
  options.int8Rows = int8Rows;
  lmc::buildCPUPipeline(pm, options);
  if (failed(pm.run(*module))) {
    lastError = "lowering failed: " + diagnostics;
    return false;
  }
  functions.clear();
  module->walk([&](mlir::SymbolOpInterface symbol) {
    functions.insert(symbol.getName().str());
  });
  auto optimize = makeOptimizingTransformer(3, 0, nullptr);
  ExecutionEngineOptions engineOptions;
  engineOptions.transformer = optimize;
  auto created = ExecutionEngine::create(*module, engineOptions);
  if (!created) {
    lastError = "JIT failed: " + llvm::toString(created.takeError());
    return false;
  }
  engine = std::move(*created);
  ParallelFor parallel = parallelFor ? parallelFor : &testParallelFor;
  engine->registerSymbols([parallel](llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap symbols;
    symbols[interner("lmc_rt_parallel_for")] = {
        llvm::orc::ExecutorAddr::fromPtr(parallel),
        llvm::JITSymbolFlags::Exported};
    return symbols;
  });
  return true;
}

void *KernelHarness::lookup(const std::string &name) {
  if (!engine)
    return nullptr;
  auto fn = engine->lookup("_mlir_ciface_" + name);
  if (!fn) {
    llvm::consumeError(fn.takeError());
    return nullptr;
  }
  return *fn;
}

std::vector<uint16_t> lmc::test::roundToHalf(std::vector<float> &values) {
  std::vector<uint16_t> halves;
  halves.reserve(values.size());
  for (float &x : values) {
    halves.push_back(lmc::quant::f32ToF16(x));
    x = lmc::quant::f16ToF32(halves.back());
  }
  return halves;
}
