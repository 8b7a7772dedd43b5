//===- HFTokenizerFiles.h - tokenizer.json of a synthesized model -*- C++
//-*-===//
//
// The Hugging Face tokenizer files of the model: for the real tokenizers
// (--tokenizer qwen3|gptoss|deepseek_v3) the package's own tokenizer.json
// and tokenizer_config.json, copied; for the byte tokenizer, generated from
// the same TokenizerData the GGUF metadata is written from, in the shape of
// Qwen's files (BPE, NFC, the qwen2 Split regex of runtime/tokenizer's
// TokenizerSpec, ByteLevel without its own regex), so that tokenizer.json
// and the GGUF tokenize identically.
//
//===----------------------------------------------------------------------===//

#ifndef LMC_TOOLS_LMC_SYNTH_HFTOKENIZERFILES_H
#define LMC_TOOLS_LMC_SYNTH_HFTOKENIZERFILES_H

#include "tools/lmc-synth/SynthCommon.h"
#include "tools/lmc-synth/SynthTokenizer.h"

#include <nlohmann/json.hpp>

#include <string>

namespace lmc::synth {

/// tokenizer.json of a byte-level BPE TokenizerData: model.vocab holds the
/// Normal tokens, added_tokens the Control (special) and UserDefined ones;
/// unused padding ids are left out (vocab_size covers them, as Qwen's do).
bool makeTokenizerJson(const TokenizerData &tok, nlohmann::ordered_json &out,
                       std::string &error);
/// tokenizer_config.json: bos/eos/pad tokens, add_bos_token, chat_template.
nlohmann::ordered_json makeTokenizerConfig(const TokenizerData &tok,
                                           uint64_t maxLength);

/// Writes DIR/tokenizer.json and DIR/tokenizer_config.json for `opts`'s
/// tokenizer (opts.tokenizerDir: the folder the real one was read from).
bool writeHFTokenizerFiles(const SynthOptions &opts, const TokenizerData &tok,
                           const std::string &dir, std::string &error);

} // namespace lmc::synth

#endif // LMC_TOOLS_LMC_SYNTH_HFTOKENIZERFILES_H
