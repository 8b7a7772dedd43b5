//===- Manifest.h - what the compiler tells the runtime ---------*- C++ -*-===//
//
// The data a model object carries besides its code (docs/design/abi.md): the
// JSON manifest and the tokenizer blob, as symbols of the object.
//
//===----------------------------------------------------------------------===//
#ifndef LMC_COMPILER_MANIFEST_H
#define LMC_COMPILER_MANIFEST_H

#include "compiler/CodeGen.h"
#include "frontends/Import.h"

#include <string>
#include <vector>

namespace lmc {

/// The manifest text of an imported model (its module still holding the
/// `forward` function as imported, whose KV-cache argument gives the cache
/// sizes). Fingerprints the weights file. Returns "" with `error` set.
std::string buildManifest(const frontend::ImportedModel &model, std::string &error);

/// The manifest and the tokenizer as the symbols `lmc_model_manifest` and
/// `lmc_model_tokenizer` (size 0 without a tokenizer).
bool buildRuntimeData(const frontend::ImportedModel &model,
                      std::vector<EmbeddedData> &data, std::string &error);

} // namespace lmc

#endif // LMC_COMPILER_MANIFEST_H
