//===- Import.cpp - reading a model file into tfm -------------------------===//
#include "frontends/Import.h"
#include "frontends/gguf/GGUFImporter.h"
#include "frontends/model/Architectures.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

using namespace lmc;
using namespace lmc::frontend;

bool lmc::frontend::importModel(const std::string &path, mlir::MLIRContext &ctx,
                                ImportedModel &model, std::string &error) {
  if (!llvm::sys::fs::exists(path)) {
    error = path + ": no such file or directory";
    return false;
  }
  if (llvm::sys::fs::is_directory(path)) {
    error = path + ": Hugging Face checkpoint folders are not supported yet";
    return false;
  }
  llvm::StringRef ext = llvm::sys::path::extension(path);
  if (ext == ".onnx") {
    error = path + ": ONNX models are not supported yet";
    return false;
  }
  if (!importGGUF(path, model, error))
    return false;
  model.module = buildModel(&ctx, model.description, error);
  if (!model.module) {
    error = path + ": " + error;
    return false;
  }
  return true;
}
