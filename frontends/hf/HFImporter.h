//===- HFImporter.h - a Hugging Face checkpoint folder as a model -*- C++ -*-===//
//
// Turns a checkpoint folder (config.json, safetensors, tokenizer files) into
// the description the architecture builders take. Weights whose checkpoint
// layout the kernels read directly stay where they are: the shards are
// mapped after a small derived weights file, and their tensors (BF16 and F32
// matrices, experts stored apart, FP8 with its block scales, OpenAI MXFP4
// with interleaved rows) are declared at their offsets in that mapping. The
// rest (norms widened to F32, DeepSeek's per-head kv_b split, biases, ...)
// is written into the derived file at install time (docs/design/hf.md).
//
//===----------------------------------------------------------------------===//
#ifndef LMC_FRONTENDS_HF_HFIMPORTER_H
#define LMC_FRONTENDS_HF_HFIMPORTER_H

#include "frontends/Import.h"

#include <string>

namespace lmc::frontend {

/// Fills everything of `model` but its module from the checkpoint folder
/// `dir`. Returns false with a one-line "<file>: <problem>".
bool importHF(const std::string &dir, ImportedModel &model, std::string &error);

} // namespace lmc::frontend

#endif // LMC_FRONTENDS_HF_HFIMPORTER_H
