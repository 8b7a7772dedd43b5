//===- SynthTokenizer.h - tokenizers written by the synthesizer -*- C++ -*-===//
//
// A tokenizer as llama.cpp reads it from GGUF metadata (the "gpt2" BPE
// family): dense token ids with unique strings, token types, merges, special
// ids and a chat template. Two sources: a tiny byte-level vocabulary built
// here, or a Hugging Face tokenizer.json (+ tokenizer_config.json).
//
//===----------------------------------------------------------------------===//

#ifndef LMC_TOOLS_LMC_SYNTH_SYNTHTOKENIZER_H
#define LMC_TOOLS_LMC_SYNTH_SYNTHTOKENIZER_H

#include "tools/lmc-synth/SynthCommon.h"

#include <cstdint>
#include <string>
#include <vector>

namespace lmc::synth {

/// llama.cpp token types (tokenizer.ggml.token_type).
enum TokenType : int32_t {
  TokenNormal = 1,
  TokenUnknown = 2,
  TokenControl = 3,
  TokenUserDefined = 4,
  TokenUnused = 5,
  TokenByte = 6,
};

struct TokenizerData {
  std::string model = "gpt2"; // tokenizer.ggml.model
  std::string pre;            // tokenizer.ggml.pre
  std::vector<std::string> tokens;
  std::vector<int32_t> types;
  std::vector<std::string> merges; // "left right"
  int64_t bos = -1, eos = -1, pad = -1;
  bool addBos = false;
  std::string chatTemplate;
};

/// 256 byte tokens (GPT-2 byte-to-unicode strings, id = byte value), a few
/// merges, and the ChatML control tokens plus <think>/</think>.
TokenizerData makeByteTokenizer();

/// Reads `dir`/tokenizer.json and, if present, `dir`/tokenizer_config.json
/// (eos/pad/bos tokens, chat template). Gaps in the id space are filled with
/// unused "[PADn]" tokens. `pre` names llama.cpp's pre-tokenizer.
bool loadHFTokenizer(const std::string &dir, const std::string &pre,
                     TokenizerData &tok, std::string &error);

/// Pads the vocabulary with unique unused tokens up to `size` entries; fails
/// if the tokenizer is already larger.
bool padVocabulary(TokenizerData &tok, uint32_t size, std::string &error);

/// Adds the tokenizer.* keys llama.cpp reads.
void addTokenizerMetadata(const TokenizerData &tok, ModelPlan &plan);

/// The GPT-2 byte-to-unicode mapping: the UTF-8 string standing for byte b.
std::string byteToUnicode(uint8_t b);

} // namespace lmc::synth

#endif // LMC_TOOLS_LMC_SYNTH_SYNTHTOKENIZER_H
