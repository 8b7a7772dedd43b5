//===- Import.h - reading a model file into tfm -----------------*- C++ -*-===//
#ifndef LMC_FRONTENDS_IMPORT_H
#define LMC_FRONTENDS_IMPORT_H

#include "frontends/model/ModelDescription.h"
#include "runtime/tokenizer/TokenizerSpec.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace lmc::frontend {

/// A file mapped after the weights file (runtime/core/Weights.h), read in
/// place: `source` installed as `<weights file><suffix>`, at byte `base` of
/// the mapping.
struct WeightFilePart {
  std::string source;
  std::string suffix;
  uint64_t base = 0;
};

/// Everything a frontend produces from a model: its description (config and
/// weight table), its tokenizer, the files the weight offsets refer to, and
/// the primitive tfm module.
struct ImportedModel {
  ModelDescription description;
  rt::TokenizerSpec tokenizer;
  /// The file whose bytes the weight offsets index (the mapping's start).
  /// Empty while the weights file is still to be derived.
  std::string weightsPath;
  /// Files mapped after it.
  std::vector<WeightFilePart> weightParts;
  /// Set when the weights file is derived from the model (Hugging Face: the
  /// weights not read in place): writes it to `path`, after which
  /// weightsPath may name it.
  std::function<bool(const std::string &path, std::string &error)> writeDerivedWeights;
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

/// The runtime's chat format for a model's chat template: "harmony" for
/// GPT-OSS's (written natively), "jinja" for any other, "" for none.
std::string chatFormatOf(const std::string &chatTemplate);

/// Parses "none", "linear:FACTOR" or "yarn:FACTOR:ORIGINAL_CONTEXT" into the
/// scaling fields of `rope`. Returns false with a one-line message.
bool parseRopeScaling(const std::string &text, RopeParams &rope, std::string &error);

/// Reads a model (a .gguf file or a Hugging Face checkpoint folder) and
/// builds its primitive tfm module.
/// Returns false with a one-line message naming the problem.
bool importModel(const std::string &path, mlir::MLIRContext &ctx,
                 ImportedModel &model, std::string &error,
                 const ImportOptions &options = {});

} // namespace lmc::frontend

#endif // LMC_FRONTENDS_IMPORT_H
