//===- ToyTokenizer.h - A small hand-made tokenizer for tests ---*- C++ -*-===//
#ifndef LMC_TEST_UNIT_TOKENIZER_TOYTOKENIZER_H
#define LMC_TEST_UNIT_TOKENIZER_TOYTOKENIZER_H

#include "runtime/tokenizer/TokenizerSpec.h"
#include "runtime/tokenizer/Unicode.h"

#include <string>
#include <string_view>

namespace lmc::rt::test {

/// The byte-level form of raw bytes ("Ġ" for a space).
inline std::string byteLevel(std::string_view raw) {
  std::string out;
  for (unsigned char c : raw)
    unicode::appendUtf8(out, unicode::byteToChar(c));
  return out;
}

/// The raw bytes of a byte-level text.
inline std::string rawBytes(std::string_view text) {
  std::string out;
  auto *p = reinterpret_cast<const unsigned char *>(text.data());
  for (size_t i = 0; i < text.size();) {
    uint32_t cp = 0;
    size_t len = unicode::decodeUtf8(p + i, text.size() - i, cp);
    out.push_back(char(unicode::charToByte(cp)));
    i += len ? len : 1;
  }
  return out;
}

/// 256 byte tokens (id == byte), a few merges, and added tokens:
///   "<|end|>" Control, "<think>" UserDefined, "<a>" and "<a><b>" Control.
inline TokenizerSpec makeToySpec() {
  TokenizerSpec spec;
  for (int b = 0; b < 256; ++b) {
    spec.tokens.push_back(byteLevel(std::string(1, char(b))));
    spec.types.push_back(TokenType::Normal);
  }
  // Tokens are added before the merges are resolved (a merge may use a token
  // added after it).
  std::vector<std::pair<std::string, std::string>> merges;
  auto merge = [&](std::string_view a, std::string_view b) {
    std::string la = byteLevel(a), lb = byteLevel(b);
    merges.emplace_back(la, lb);
    spec.tokens.push_back(la + lb);
    spec.types.push_back(TokenType::Normal);
  };
  merge("h", "e");     // 256
  merge("l", "l");     // 257
  merge("he", "ll");   // 258
  merge("hell", "o");  // 259
  merge(" ", "w");     // 260
  merge("a", "a");     // 261
  merge("aa", "aa");   // 262
  merge("b", "a");     // 263
  merge("ab", "a");    // 264: never applies before "ba" in "aba"
  merge("a", "b");     // 265
  auto added = [&](std::string_view text, TokenType type) {
    spec.tokens.emplace_back(text);
    spec.types.push_back(type);
  };
  added("<|end|>", TokenType::Control);     // 266
  added("<think>", TokenType::UserDefined); // 267
  added("<a>", TokenType::Control);         // 268
  added("<a><b>", TokenType::Control);      // 269
  spec.tokens.emplace_back("");             // 270: a hole
  spec.types.push_back(TokenType::Unused);
  std::string err;
  if (!resolveMerges(spec, merges, err))
    spec.merges.clear(); // Not expected; tests then fail visibly.
  spec.preTokenizer = PreTokenizerKind::Qwen2;
  spec.eosIds = {266};
  spec.eotId = 266;
  spec.bosId = 268;
  spec.padId = -1;
  spec.chatTemplate = "{{ messages }}";
  return spec;
}

} // namespace lmc::rt::test

#endif // LMC_TEST_UNIT_TOKENIZER_TOYTOKENIZER_H
