//===- Import.h - reading a model file into tfm -----------------*- C++ -*-===//
#ifndef LMC_FRONTENDS_IMPORT_H
#define LMC_FRONTENDS_IMPORT_H

#include "frontends/model/ModelDescription.h"
#include "runtime/tokenizer/TokenizerSpec.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <optional>
#include <string>

namespace lmc::frontend {

/// Everything a frontend produces from a model: its description (config and
/// weight table), its tokenizer, the file the weight offsets refer to, and
/// the primitive tfm module.
struct ImportedModel {
  ModelDescription description;
  rt::TokenizerSpec tokenizer;
  /// The file whose bytes the weight offsets index.
  std::string weightsPath;
  /// Chat format name for the runtime ("chatml", ...).
  std::string chatFormat;
  mlir::OwningOpRef<mlir::ModuleOp> module;
};

/// What the user can set over what the model file says.
struct ImportOptions {
  /// Rope scaling for models whose file does not carry it (e.g. Qwen3's YaRN
  /// x4 to 128K), replacing the file's.
  std::optional<RopeParams> ropeScaling;
};

/// Parses "none", "linear:FACTOR" or "yarn:FACTOR:ORIGINAL_CONTEXT" into the
/// scaling fields of `rope`. Returns false with a one-line message.
bool parseRopeScaling(const std::string &text, RopeParams &rope, std::string &error);

/// Reads a model (a .gguf file, for now) and builds its primitive tfm module.
/// Returns false with a one-line message naming the problem.
bool importModel(const std::string &path, mlir::MLIRContext &ctx,
                 ImportedModel &model, std::string &error,
                 const ImportOptions &options = {});

} // namespace lmc::frontend

#endif // LMC_FRONTENDS_IMPORT_H
