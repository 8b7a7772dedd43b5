//===- HFTokenizerLoader.h - TokenizerSpec from Hugging Face files -*- C++ -*-===//
//
// Reads a Hugging Face tokenizer.json (and optionally tokenizer_config.json)
// into the runtime's TokenizerSpec. Only what lmc's tokenizer implements is
// accepted: a byte-level BPE model whose pre-tokenizer is one of the known
// families' regex sequences (TokenizerSpec.h) and whose normalizer is none or
// NFC. Anything else is an error naming the field, never a silent difference.
//
//===----------------------------------------------------------------------===//
#ifndef LMC_FRONTENDS_TOKENIZER_HFTOKENIZERLOADER_H
#define LMC_FRONTENDS_TOKENIZER_HFTOKENIZERLOADER_H

#include "runtime/tokenizer/TokenizerSpec.h"

#include <string>
#include <string_view>

namespace lmc::frontend {

/// Loads tokenizer.json and, when tokenizerConfigPath is not empty,
/// tokenizer_config.json (bos/eos/pad tokens, add_bos_token, chat_template).
/// If the config has no chat_template, chat_template.jinja beside it is read;
/// generation_config.json beside it, if present, adds its eos_token_id(s) to
/// the EOS list. Returns false with a one-line error naming the file and the
/// problem.
bool loadHFTokenizer(const std::string &tokenizerJsonPath,
                     const std::string &tokenizerConfigPath,
                     rt::TokenizerSpec &spec, std::string &err);

/// The same from the files' contents (config may be empty; no side files).
bool parseHFTokenizer(std::string_view tokenizerJson,
                      std::string_view tokenizerConfig,
                      rt::TokenizerSpec &spec, std::string &err);

} // namespace lmc::frontend

#endif // LMC_FRONTENDS_TOKENIZER_HFTOKENIZERLOADER_H
