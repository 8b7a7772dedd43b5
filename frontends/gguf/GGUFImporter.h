//===- GGUFImporter.h - a GGUF file as a model description ------*- C++ -*-===//
//
// Turns a validated GGUF file into what the architecture builders need: the
// hyperparameters under llama.cpp's `<arch>.*` keys, the weight table (shape,
// storage format, byte offset into the file) and the tokenizer.
//
//===----------------------------------------------------------------------===//
#ifndef LMC_FRONTENDS_GGUF_GGUFIMPORTER_H
#define LMC_FRONTENDS_GGUF_GGUFIMPORTER_H

#include "frontends/Import.h"

#include <string>

namespace lmc::frontend {

/// Fills everything of `model` but its module. The weights file is `path`
/// itself: offsets are from the start of the file. Returns false with a
/// one-line "<path>: <problem>".
bool importGGUF(const std::string &path, ImportedModel &model, std::string &error);

} // namespace lmc::frontend

#endif // LMC_FRONTENDS_GGUF_GGUFIMPORTER_H
