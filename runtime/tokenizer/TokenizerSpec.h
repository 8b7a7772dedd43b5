//===- TokenizerSpec.h - The data that defines a tokenizer ------*- C++ -*-===//
//
// A TokenizerSpec is everything the runtime needs to tokenize like the model's
// reference tokenizer: the vocabulary, the BPE merges, which pre-tokenizer and
// normalizer the model family uses, and the special ids. The frontends fill it
// (from tokenizer.json or GGUF metadata), the compiler serializes it into the
// executable (Serialization.h), and Tokenizer::create turns it into a working
// tokenizer.
//
//===----------------------------------------------------------------------===//
#ifndef LMC_RUNTIME_TOKENIZER_TOKENIZERSPEC_H
#define LMC_RUNTIME_TOKENIZER_TOKENIZERSPEC_H

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lmc::rt {

/// What a token is. The values are GGUF's `tokenizer.ggml.token_type`.
enum class TokenType : uint8_t {
  /// A BPE vocabulary entry; its text is in GPT-2 byte-level form.
  Normal = 1,
  Unknown = 2,
  /// A special token (<|im_end|>, <|start|>, ...): its text is raw UTF-8, it is
  /// split out of input text only when encode() is asked to parse specials.
  Control = 3,
  /// A non-special added token (Qwen3's <think>): raw UTF-8 text, always split
  /// out of input text.
  UserDefined = 4,
  /// A hole in the id space (no text is ever encoded to it).
  Unused = 5,
  /// A byte token; like Normal for byte-level BPE.
  Byte = 6,
};

/// The pre-tokenizer (the regex sequence that cuts text into pieces before
/// BPE) of each supported family.
enum class PreTokenizerKind : uint8_t {
  /// Qwen2/Qwen2.5/Qwen3 (GGUF `qwen2`).
  Qwen2 = 1,
  /// o200k, GPT-4o and GPT-OSS (GGUF `gpt-4o`).
  O200k = 2,
  /// DeepSeek-V3/R1 (GGUF `deepseek-v3`).
  DeepSeekV3 = 3,
};

/// Unicode normalization applied to text (outside added tokens) before
/// pre-tokenization.
enum class NormalizerKind : uint8_t {
  None = 0,
  NFC = 1,
};

struct TokenizerSpec {
  /// Token texts by id: Normal/Byte tokens in GPT-2 byte-level form ("Ġthe"),
  /// Control/UserDefined tokens as raw UTF-8 ("<|im_end|>").
  std::vector<std::string> tokens;
  /// One type per token.
  std::vector<TokenType> types;
  /// BPE merges as (left, right) token ids; the rank of a merge is its index
  /// and its result is the token whose text is left's followed by right's.
  /// (Ids rather than texts: the blob is smaller and loads without a string
  /// per merge half; resolveMerges() converts the texts files carry.)
  std::vector<std::pair<int32_t, int32_t>> merges;

  PreTokenizerKind preTokenizer = PreTokenizerKind::Qwen2;
  NormalizerKind normalizer = NormalizerKind::None;
  /// A piece that is itself a vocabulary token is emitted whole, without
  /// merging (Hugging Face's BPE `ignore_merges`, tiktoken's behaviour).
  bool ignoreMerges = false;

  /// Special ids; -1 when the model has none.
  int32_t bosId = -1;
  /// Ids that end generation.
  std::vector<int32_t> eosIds;
  /// The end-of-turn token of the chat format.
  int32_t eotId = -1;
  int32_t padId = -1;
  /// Whether prompts start with BOS (the tokenizer itself never adds it).
  bool addBos = false;

  /// The chat template (Jinja source), opaque here.
  std::string chatTemplate;
};

/// Fills spec.merges from merges written as token texts (tokenizer.json's
/// model.merges, GGUF's tokenizer.ggml.merges), looking both halves up among
/// spec.tokens' Normal and Byte tokens. Returns false with a one-line error
/// naming the first merge whose half is not such a token.
bool resolveMerges(TokenizerSpec &spec,
                   const std::vector<std::pair<std::string, std::string>> &textMerges,
                   std::string &err);

/// The regex sequence of a pre-tokenizer: each pattern splits every piece the
/// previous one produced, keeping both matches and the text between them
/// (Hugging Face's Split with behavior Isolated). The patterns are exactly the
/// ones in the families' tokenizer.json files (Rust/Oniguruma syntax, which
/// PCRE2 reads the same way).
const std::vector<std::string> &preTokenizerPatterns(PreTokenizerKind kind);

/// The end-of-turn token of the family's chat format (<|im_end|>, <|end|>,
/// ...) when the vocabulary has it as a Control token, else -1.
int32_t findEndOfTurnToken(const TokenizerSpec &spec);

/// Whether a Control token's text marks the end of a generation in some
/// family's format (end of text, end of turn, end of a harmony message), as
/// llama.cpp's end-of-generation heuristic does.
bool isEndOfGenerationText(std::string_view text);

/// Short name used in diagnostics and docs: "qwen2", "o200k", "deepseek_v3".
std::string_view preTokenizerName(PreTokenizerKind kind);

/// GGUF `tokenizer.ggml.pre` name <-> kind ("qwen2", "gpt-4o", "deepseek-v3").
std::string_view ggufPreTokenizerName(PreTokenizerKind kind);
std::optional<PreTokenizerKind> preTokenizerFromGGUFName(std::string_view name);

/// What the family's Hugging Face tokenizer.json does besides the regexes; a
/// GGUF loader (GGUF does not record these) should use these to match it.
NormalizerKind defaultNormalizer(PreTokenizerKind kind);
bool defaultIgnoreMerges(PreTokenizerKind kind);

} // namespace lmc::rt

#endif // LMC_RUNTIME_TOKENIZER_TOKENIZERSPEC_H
