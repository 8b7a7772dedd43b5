//===- GGUFTokenizerLoader.h - TokenizerSpec from GGUF metadata -*- C++ -*-===//
//
// Reads the `tokenizer.ggml.*` keys of a GGUF file (as llama.cpp's converter
// writes them from a Hugging Face tokenizer.json) into the runtime's
// TokenizerSpec. Only byte-level BPE (`tokenizer.ggml.model = gpt2`) with a
// pre-tokenizer lmc knows is accepted; GGUF does not record the normalizer
// or ignore_merges, so the family's defaults are used (TokenizerSpec.h).
//
//===----------------------------------------------------------------------===//
#ifndef LMC_FRONTENDS_TOKENIZER_GGUFTOKENIZERLOADER_H
#define LMC_FRONTENDS_TOKENIZER_GGUFTOKENIZERLOADER_H

#include "runtime/tokenizer/TokenizerSpec.h"

#include <string>

namespace lmc::gguf {
class GGUFFile;
}

namespace lmc::frontend {

/// Whether the file carries a tokenizer at all (`tokenizer.ggml.model`).
bool hasGGUFTokenizer(const gguf::GGUFFile &file);

/// Fills `spec` from the file's tokenizer metadata. End-of-generation ids are
/// the file's eos/eot/eom ids plus every Control token whose text ends a
/// generation in some chat format (as llama.cpp does). Returns false with a
/// one-line error "<path>: <problem>" naming the key.
bool loadGGUFTokenizer(const gguf::GGUFFile &file, rt::TokenizerSpec &spec,
                       std::string &err);

} // namespace lmc::frontend

#endif // LMC_FRONTENDS_TOKENIZER_GGUFTOKENIZERLOADER_H
