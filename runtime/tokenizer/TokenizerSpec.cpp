//===- TokenizerSpec.cpp - Pre-tokenizer tables of the families -----------===//

#include "runtime/tokenizer/TokenizerSpec.h"

#include "runtime/tokenizer/StringIdMap.h"

namespace lmc::rt {

bool resolveMerges(TokenizerSpec &spec,
                   const std::vector<std::pair<std::string, std::string>> &textMerges,
                   std::string &err) {
  if (spec.types.size() != spec.tokens.size()) {
    err = "tokenizer has " + std::to_string(spec.tokens.size()) +
          " tokens but " + std::to_string(spec.types.size()) + " token types";
    return false;
  }
  StringIdMap byText;
  byText.build(spec.tokens, [&](int32_t id) {
    return spec.types[id] == TokenType::Normal || spec.types[id] == TokenType::Byte;
  });
  spec.merges.clear();
  spec.merges.reserve(textMerges.size());
  for (size_t i = 0; i < textMerges.size(); ++i) {
    const auto &[a, b] = textMerges[i];
    int32_t left = byText.find(a), right = byText.find(b);
    if (left < 0 || right < 0) {
      std::string bad = left < 0 ? a : b;
      if (bad.size() > 40)
        bad = bad.substr(0, 40) + "...";
      err = "merge " + std::to_string(i) + ": '" + bad +
            "' is not a vocabulary token";
      return false;
    }
    spec.merges.emplace_back(left, right);
  }
  return true;
}

namespace {
// DeepSeek's end of sentence, "<｜end▁of▁sentence｜>" (fullwidth bars).
constexpr const char *kDeepSeekEnd =
    "<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>";
} // namespace

int32_t findEndOfTurnToken(const TokenizerSpec &spec) {
  for (const char *eot : {"<|im_end|>", "<|end|>", "<|eot_id|>", kDeepSeekEnd})
    for (size_t id = 0; id < spec.tokens.size(); ++id)
      if (spec.tokens[id] == eot && id < spec.types.size() &&
          spec.types[id] == TokenType::Control)
        return int32_t(id);
  return -1;
}

bool isEndOfGenerationText(std::string_view text) {
  for (const char *t : {"<|endoftext|>", "<|im_end|>", "<|end|>", "<|eot_id|>",
                        "<|return|>", "<|call|>", "<|eom_id|>", kDeepSeekEnd})
    if (text == t)
      return true;
  return false;
}

const std::vector<std::string> &preTokenizerPatterns(PreTokenizerKind kind) {
  // Copied character for character from the families' tokenizer.json, so that
  // the HF loader can recognise a family by comparing strings.
  static const std::vector<std::string> qwen2 = {
      R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)"};
  static const std::vector<std::string> o200k = {
      R"([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?)"
      R"(|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?)"
      R"(|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)"};
  // DeepSeek-V3: digits in groups of up to three, then runs of CJK ideographs
  // and kana, then the word regex. Its third pattern holds literal CR and LF
  // characters (not escapes), as the tokenizer.json does.
  static const std::vector<std::string> deepseekV3 = {
      R"(\p{N}{1,3})",
      "[\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]+",
      R"([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^)"
      "\r\n"
      R"(\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[)"
      "\r\n"
      R"(]*|\s*[)"
      "\r\n"
      R"(]+|\s+(?!\S)|\s+)"};
  switch (kind) {
  case PreTokenizerKind::Qwen2:
    return qwen2;
  case PreTokenizerKind::O200k:
    return o200k;
  case PreTokenizerKind::DeepSeekV3:
    return deepseekV3;
  }
  return qwen2;
}

std::string_view preTokenizerName(PreTokenizerKind kind) {
  switch (kind) {
  case PreTokenizerKind::Qwen2:
    return "qwen2";
  case PreTokenizerKind::O200k:
    return "o200k";
  case PreTokenizerKind::DeepSeekV3:
    return "deepseek_v3";
  }
  return "unknown";
}

std::string_view ggufPreTokenizerName(PreTokenizerKind kind) {
  switch (kind) {
  case PreTokenizerKind::Qwen2:
    return "qwen2";
  case PreTokenizerKind::O200k:
    return "gpt-4o";
  case PreTokenizerKind::DeepSeekV3:
    return "deepseek-v3";
  }
  return "unknown";
}

std::optional<PreTokenizerKind> preTokenizerFromGGUFName(std::string_view name) {
  if (name == "qwen2")
    return PreTokenizerKind::Qwen2;
  if (name == "gpt-4o")
    return PreTokenizerKind::O200k;
  if (name == "deepseek-v3")
    return PreTokenizerKind::DeepSeekV3;
  return std::nullopt;
}

NormalizerKind defaultNormalizer(PreTokenizerKind kind) {
  // Qwen's tokenizer.json normalizes to NFC; the other two do not normalize.
  return kind == PreTokenizerKind::Qwen2 ? NormalizerKind::NFC
                                         : NormalizerKind::None;
}

bool defaultIgnoreMerges(PreTokenizerKind kind) {
  // GPT-OSS's tokenizer.json sets ignore_merges, as tiktoken behaves.
  return kind == PreTokenizerKind::O200k;
}

} // namespace lmc::rt
