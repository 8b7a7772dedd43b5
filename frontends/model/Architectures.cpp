//===- Architectures.cpp - dispatch to the architecture builders ----------===//
#include "frontends/model/Architectures.h"
#include "frontends/model/GraphBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"

using namespace mlir;
using namespace lmc::frontend;

namespace lmc::frontend {
LogicalResult buildQwen3(GraphBuilder &g, const ModelConfig &c);
LogicalResult buildGptOss(GraphBuilder &g, const ModelConfig &c);
LogicalResult buildDeepSeek2(GraphBuilder &g, const ModelConfig &c);
} // namespace lmc::frontend

namespace {
using ArchBuilder = LogicalResult (*)(GraphBuilder &, const ModelConfig &);
struct Entry {
  const char *arch;
  ArchBuilder build;
};
constexpr Entry kArchitectures[] = {
    {"qwen3", buildQwen3},
    {"qwen3moe", buildQwen3},
    {"gpt-oss", buildGptOss},
    {"deepseek2", buildDeepSeek2}};
} // namespace

bool lmc::frontend::isSupportedArchitecture(StringRef arch) {
  return llvm::any_of(kArchitectures, [&](const Entry &e) { return arch == e.arch; });
}

std::string lmc::frontend::supportedArchitectures() {
  std::string names;
  for (const Entry &e : kArchitectures)
    names += (names.empty() ? "" : ", ") + std::string(e.arch);
  return names;
}

OwningOpRef<ModuleOp> lmc::frontend::buildModel(MLIRContext *ctx,
                                                const ModelDescription &model,
                                                std::string &error) {
  ctx->loadDialect<tfm::TfmDialect, func::FuncDialect, arith::ArithDialect,
                   tensor::TensorDialect>();
  const ModelConfig &c = model.config;
  const Entry *entry = llvm::find_if(
      kArchitectures, [&](const Entry &e) { return c.arch == e.arch; });
  if (entry == std::end(kArchitectures)) {
    error = "unsupported architecture '" + c.arch + "'";
    return nullptr;
  }
  OwningOpRef<ModuleOp> module = ModuleOp::create(UnknownLoc::get(ctx));
  module->getOperation()->setAttr("tfm.arch", StringAttr::get(ctx, c.arch));
  if (!c.name.empty())
    module->getOperation()->setAttr("tfm.name", StringAttr::get(ctx, c.name));
  GraphBuilder g(*module, model);
  if (failed(entry->build(g, c))) {
    error = g.failed() ? g.errorMessage() : "cannot build the " + c.arch + " graph";
    return nullptr;
  }
  // A diagnostic here is a bug in a builder, not in the model file.
  std::string diagnostic;
  {
    ScopedDiagnosticHandler handler(ctx, [&](Diagnostic &d) {
      if (diagnostic.empty())
        diagnostic = d.str();
      return success();
    });
    if (failed(verify(*module))) {
      error = "internal error: the imported IR does not verify: " + diagnostic;
      return nullptr;
    }
  }
  return module;
}
