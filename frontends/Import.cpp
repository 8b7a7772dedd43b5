//===- Import.cpp - reading a model file into tfm -------------------------===//
#include "frontends/Import.h"
#include "frontends/gguf/GGUFImporter.h"
#include "frontends/hf/HFImporter.h"
#include "frontends/model/Architectures.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

using namespace lmc;
using namespace lmc::frontend;

std::string lmc::frontend::chatFormatOf(const std::string &chatTemplate) {
  // OUT chat renders the model's own template ("jinja"); GPT-OSS's harmony is
  // written natively (runtime/chat, docs/design/chat.md).
  if (chatTemplate.find("<|channel|>") != std::string::npos &&
      chatTemplate.find("<|start|>") != std::string::npos)
    return "harmony";
  return chatTemplate.empty() ? "" : "jinja";
}

bool lmc::frontend::parseRopeScaling(const std::string &text, RopeParams &rope,
                                     std::string &error) {
  llvm::SmallVector<llvm::StringRef> parts;
  llvm::StringRef(text).split(parts, ':');
  double factor = 0;
  int64_t context = 0;
  auto bad = [&] {
    error = "--rope-scaling '" + text +
            "': expected none, linear:FACTOR or yarn:FACTOR:ORIGINAL_CONTEXT (factor >= 1)";
    return false;
  };
  if (parts.size() == 1 && parts[0] == "none") {
    rope.scaling = tfm::RopeScaling::none;
    rope.factor = 1.0;
    return true;
  }
  if (parts.size() < 2 || parts[1].getAsDouble(factor) || !(factor >= 1.0))
    return bad();
  if (parts[0] == "linear" && parts.size() == 2) {
    rope.scaling = tfm::RopeScaling::linear;
    rope.factor = factor;
    return true;
  }
  if (parts[0] != "yarn" || parts.size() != 3 || parts[2].getAsInteger(10, context) ||
      context <= 0)
    return bad();
  rope.scaling = tfm::RopeScaling::yarn;
  rope.factor = factor;
  rope.originalContext = context;
  return true;
}

bool lmc::frontend::importModel(const std::string &path, mlir::MLIRContext &ctx,
                                ImportedModel &model, std::string &error,
                                const ImportOptions &options) {
  if (!llvm::sys::fs::exists(path)) {
    error = path + ": no such file or directory";
    return false;
  }
  llvm::StringRef ext = llvm::sys::path::extension(path);
  if (ext == ".onnx") {
    error = path + ": ONNX models are not supported yet";
    return false;
  }
  if (!(llvm::sys::fs::is_directory(path) ? importHF(path, model, error)
                                          : importGGUF(path, model, error)))
    return false;
  if (options.ropeScaling) {
    RopeParams &rope = model.description.config.rope;
    rope.scaling = options.ropeScaling->scaling;
    rope.factor = options.ropeScaling->factor;
    rope.originalContext = options.ropeScaling->originalContext;
  }
  model.module = buildModel(&ctx, model.description, error);
  if (!model.module) {
    error = path + ": " + error;
    return false;
  }
  return true;
}
