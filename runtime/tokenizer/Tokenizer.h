//===- Tokenizer.h - Byte-level BPE tokenizer of the runtime ----*- C++ -*-===//
//
// Encodes text to token ids and back exactly as the model family's Hugging
// Face tokenizer does (tiktoken for o200k):
//
//   1. Added tokens are split out of the text first, longest match first, left
//      to right: UserDefined tokens always, Control (special) tokens only when
//      parseSpecial is set.
//   2. Each remaining section is cut into maximal runs of valid UTF-8. Every
//      byte outside such a run (invalid UTF-8 has no Hugging Face behaviour to
//      follow) becomes its own piece and so its byte token: decode() gives
//      the input bytes back.
//   3. A valid run is normalized (NFC for Qwen) and pre-tokenized by the
//      family's regex sequence (PCRE2, UTF + Unicode properties).
//   4. Each piece is mapped to byte-level characters and merged by BPE rank
//      (lowest rank first, leftmost first among equal ranks).
//
// A Tokenizer is immutable after create(): encode/decode may run concurrently
// from many threads.
//
//===----------------------------------------------------------------------===//
#ifndef LMC_RUNTIME_TOKENIZER_TOKENIZER_H
#define LMC_RUNTIME_TOKENIZER_TOKENIZER_H

#include "runtime/tokenizer/StringIdMap.h"
#include "runtime/tokenizer/TokenizerSpec.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lmc::rt {

class PreTokenizer;
class BPEModel;
class AddedTokenMatcher;

class Tokenizer {
public:
  /// Checks the spec (ids in range, every byte has a token, every merge's
  /// parts and result are tokens, the regexes compile) and builds the lookup
  /// tables. Returns null with a one-line reason in err on failure.
  static std::unique_ptr<Tokenizer> create(TokenizerSpec spec,
                                           std::string &err);
  ~Tokenizer();
  // The lookup tables point into the token tables: not copyable or movable.
  Tokenizer(const Tokenizer &) = delete;
  Tokenizer &operator=(const Tokenizer &) = delete;

  /// Token ids of text; never adds BOS. With parseSpecial, the text of a
  /// Control token becomes its id; without it, Control token text is encoded
  /// as ordinary text (UserDefined tokens are matched either way, as Hugging
  /// Face does with split_special_tokens).
  std::vector<int32_t> encode(std::string_view text,
                              bool parseSpecial = true) const;

  /// The bytes of the tokens, concatenated. Not necessarily valid UTF-8 (a
  /// character may be split across tokens). Ids out of range decode to
  /// nothing; with skipControl, Control tokens decode to nothing too.
  std::string decode(const std::vector<int32_t> &ids,
                     bool skipControl = false) const;

  /// The bytes one token stands for (empty for an id out of range).
  const std::string &tokenBytes(int32_t id) const;
  /// The token's text as in the spec (byte-level form for Normal tokens).
  const std::string &tokenText(int32_t id) const;
  TokenType tokenType(int32_t id) const;

  int32_t vocabSize() const { return int32_t(spec_.tokens.size()); }
  bool isControl(int32_t id) const {
    return tokenType(id) == TokenType::Control;
  }
  bool isEog(int32_t id) const;

  /// The id of the token whose spec text is exactly text ("<|im_end|>",
  /// "Ġthe"), if any.
  std::optional<int32_t> findToken(std::string_view text) const;

  const TokenizerSpec &spec() const { return spec_; }
  int32_t bosId() const { return spec_.bosId; }
  int32_t eotId() const { return spec_.eotId; }
  const std::vector<int32_t> &eosIds() const { return spec_.eosIds; }
  bool addBos() const { return spec_.addBos; }
  const std::string &chatTemplate() const { return spec_.chatTemplate; }

private:
  Tokenizer();
  void encodeSection(std::string_view text, std::vector<int32_t> &out) const;
  void encodeValidRun(std::string_view text, std::vector<int32_t> &out) const;

  TokenizerSpec spec_;
  std::vector<std::string> bytes_;
  std::unique_ptr<PreTokenizer> preTokenizer_;
  std::unique_ptr<BPEModel> bpe_;
  std::unique_ptr<AddedTokenMatcher> added_;
  StringIdMap byText_;
};

/// Turns a stream of token ids into text that never ends inside a UTF-8
/// character: bytes of an incomplete (but so far well-formed) multi-byte
/// sequence are held back until the tokens that complete it arrive. Bytes that
/// can never become valid UTF-8 are passed through as they are.
class StreamDecoder {
public:
  explicit StreamDecoder(const Tokenizer &tokenizer, bool skipControl = false)
      : tokenizer_(tokenizer), skipControl_(skipControl) {}

  /// Adds one token; returns the text that is complete now (maybe empty).
  std::string push(int32_t id);
  /// Returns whatever is held back (an incomplete sequence) and resets.
  std::string flush();
  /// Bytes currently held back.
  size_t pending() const { return pending_.size(); }

private:
  const Tokenizer &tokenizer_;
  bool skipControl_;
  std::string pending_;
};

/// The length of the longest prefix of bytes that does not end inside an
/// incomplete UTF-8 sequence (the split point StreamDecoder uses).
size_t completeUtf8Prefix(std::string_view bytes);

} // namespace lmc::rt

#endif // LMC_RUNTIME_TOKENIZER_TOKENIZER_H
