//===- Driver.cpp - what `lmc compile` and `lmc import` do ----------------===//
#include "compiler/Driver.h"
#include "compiler/CodeGen.h"
#include "compiler/Linker.h"
#include "compiler/Manifest.h"
#include "compiler/Pipelines.h"
#include "compiler/Registration.h"
#include "frontends/Import.h"
#include "passes/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <fcntl.h>
#include <unistd.h>

using namespace mlir;
using namespace lmc;

namespace {
std::string weightsFileFor(const std::string &out) { return out + ".weights"; }

/// Keeps the first error diagnostic as a one-line message.
class FirstErrorCapture {
public:
  explicit FirstErrorCapture(MLIRContext &ctx)
      : handler(&ctx, [this](Diagnostic &diag) {
          if (diag.getSeverity() == DiagnosticSeverity::Error && message.empty())
            message = diag.str();
          return success();
        }) {}
  std::string take(const std::string &fallback) const {
    return message.empty() ? fallback : message;
  }

private:
  std::string message;
  ScopedDiagnosticHandler handler;
};

std::unique_ptr<MLIRContext> createContext() {
  DialectRegistry registry;
  registerAllDialectsAndExtensions(registry);
  auto ctx = std::make_unique<MLIRContext>(registry);
  ctx->loadAllAvailableDialects();
  return ctx;
}

bool writeText(const std::string &path, llvm::function_ref<void(llvm::raw_ostream &)> write,
               std::string &error) {
  if (path.empty() || path == "-") {
    write(llvm::outs());
    llvm::outs().flush();
    return true;
  }
  std::error_code ec;
  llvm::raw_fd_ostream out(path, ec, llvm::sys::fs::OF_Text);
  if (ec) {
    error = "cannot write '" + path + "': " + ec.message();
    return false;
  }
  write(out);
  return true;
}

/// The model function becomes the runtime's entry point (runtime/ModelABI.h).
bool exposeEntryPoint(ModuleOp module, std::string &error) {
  auto forward = module.lookupSymbol<func::FuncOp>("forward");
  if (!forward) {
    error = "internal error: the model has no forward function";
    return false;
  }
  forward.setSymName("lmc_forward");
  forward->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                   UnitAttr::get(module.getContext()));
  return true;
}

/// Links `source` as `target` (no copy) when possible: a hard link, else a
/// symbolic link to its absolute path, else a copy.
bool linkOrCopy(const std::string &source, const std::string &target, std::string &error) {
  llvm::sys::fs::remove(target);
  if (!llvm::sys::fs::create_hard_link(source, target))
    return true;
  llvm::SmallString<256> absolute(source);
  if (!llvm::sys::fs::make_absolute(absolute) &&
      !llvm::sys::fs::create_link(absolute, target))
    return true;
  if (std::error_code ec = llvm::sys::fs::copy_file(source, target)) {
    error = "cannot write '" + target + "': " + ec.message();
    return false;
  }
  return true;
}

/// Drops the file's pages from the page cache (writing them first), so the
/// executable's first load reads it back in 2 MiB folios that its mapping
/// gets as huge pages: a file just written (synthesized, downloaded,
/// copied) sits in the cache in small ones, which stay mapped 4 KiB at a
/// time until evicted, and decode then runs ~7-10 % slower (docs/perf.md).
/// Pages another process has mapped stay. A hint: failures are fine.
void dropCachedPages(const std::string &path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  ::fdatasync(fd);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
}

/// Puts the weights next to `out` as `<out>.weights` (the model file itself
/// when its offsets index it, or the derived file already written there)
/// and the files mapped after it as `<out>.weights<suffix>`.
bool installWeights(const frontend::ImportedModel &model, const std::string &out,
                    std::string &error) {
  std::string target = weightsFileFor(out);
  if (model.weightsPath != target && !linkOrCopy(model.weightsPath, target, error))
    return false;
  dropCachedPages(target);
  for (const frontend::WeightFilePart &part : model.weightParts) {
    if (!linkOrCopy(part.source, target + part.suffix, error))
      return false;
    dropCachedPages(target + part.suffix);
  }
  return true;
}
} // namespace

bool lmc::importModelToFile(const std::string &modelPath,
                            const std::string &outputPath, std::string &error) {
  std::unique_ptr<MLIRContext> ctx = createContext();
  FirstErrorCapture errors(*ctx);
  frontend::ImportedModel model;
  if (!frontend::importModel(modelPath, *ctx, model, error))
    return false;
  return writeText(outputPath, [&](llvm::raw_ostream &os) { model.module->print(os); },
                   error);
}

bool lmc::compileModel(const CompileOptions &options, std::string &error) {
  if (options.target != "cpu") {
    error = "--target " + options.target +
            ": only the cpu target is available in this build";
    return false;
  }
  if (options.emit == EmitKind::PTX) {
    error = "--emit ptx needs --target cuda";
    return false;
  }
  if (options.emit == EmitKind::Library) {
    error = "--emit lib is not available yet; use --emit obj or exe";
    return false;
  }

  frontend::ImportOptions importOptions;
  if (!options.ropeScaling.empty()) {
    frontend::RopeParams rope;
    if (!frontend::parseRopeScaling(options.ropeScaling, rope, error))
      return false;
    importOptions.ropeScaling = rope;
  }
  std::unique_ptr<MLIRContext> ctx = createContext();
  FirstErrorCapture errors(*ctx);
  frontend::ImportedModel model;
  if (!frontend::importModel(options.modelPath, *ctx, model, error, importOptions))
    return false;
  ModuleOp module = *model.module;
  if (options.kvType != "f32") {
    PassManager storage(ctx.get(), ModuleOp::getOperationName());
    storage.addPass(createTfmKVCacheType({options.kvType}));
    if (failed(storage.run(module))) {
      error = errors.take("--kv-type " + options.kvType + " failed");
      return false;
    }
  }
  // A derived weights file (Hugging Face checkpoints) is written beside the
  // output before the manifest fingerprints it.
  if (model.writeDerivedWeights && options.emit != EmitKind::MLIR) {
    std::string target = weightsFileFor(options.outputPath);
    if (!model.writeDerivedWeights(target, error))
      return false;
    model.weightsPath = target;
    if (options.emit != EmitKind::Executable && !installWeights(model, options.outputPath, error))
      return false;
  }
  // The manifest reads the cache sizes off the imported forward function
  // (IR output carries none).
  std::vector<EmbeddedData> data;
  if (options.emit != EmitKind::MLIR && !buildRuntimeData(model, data, error))
    return false;

  PassManager fusion(ctx.get(), ModuleOp::getOperationName());
  if (options.fuse)
    addFusionPasses(fusion);
  if (failed(fusion.run(module))) {
    error = errors.take("fusion failed");
    return false;
  }
  if (options.emit == EmitKind::MLIR)
    return writeText(options.outputPath, [&](llvm::raw_ostream &os) { module.print(os); },
                     error);

  if (!exposeEntryPoint(module, error))
    return false;
  PassManager lowering(ctx.get(), ModuleOp::getOperationName());
  CPUPipelineOptions pipeline;
  pipeline.fuse = false; // done above
  pipeline.amx = options.amx && hostHasAmx();
  pipeline.amxInt8 = options.prefillActivations == "int8" && hostHasAmxInt8();
  // Without AMX, int8 prefill products run on AVX-512 VNNI.
  pipeline.vnniInt8 =
      options.prefillActivations == "int8" && !pipeline.amx && hostHasAvx512Vnni();
  pipeline.int8Rows = options.decodeActivations == "int8" && hostHasAvx512Vnni();
  buildCPUPipeline(lowering, pipeline);
  if (failed(lowering.run(module))) {
    error = errors.take("lowering to LLVM failed");
    return false;
  }

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateAndOptimize(module, llvmContext, data, error);
  if (!llvmModule)
    return false;
  if (options.emit == EmitKind::LLVM)
    return writeText(options.outputPath,
                     [&](llvm::raw_ostream &os) { llvmModule->print(os, nullptr); },
                     error);
  if (options.emit == EmitKind::Object)
    return emitObjectFile(*llvmModule, options.outputPath, error);

  // An executable: the object, linked with the runtime, beside its weights.
  llvm::SmallString<128> objectPath;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("lmc-model", "o", objectPath)) {
    error = "cannot create a temporary file: " + ec.message();
    return false;
  }
  llvm::FileRemover removeObject(objectPath);
  if (!emitObjectFile(*llvmModule, objectPath.str().str(), error))
    return false;
  if (!linkExecutable(objectPath.str().str(), options.outputPath, error))
    return false;
  return installWeights(model, options.outputPath, error);
}
