//===- Tokenizer.cpp - Byte-level BPE tokenizer of the runtime -------------===//

#include "runtime/tokenizer/Tokenizer.h"

#include "runtime/tokenizer/AddedTokenMatcher.h"
#include "runtime/tokenizer/BPEModel.h"
#include "runtime/tokenizer/PreTokenizer.h"
#include "runtime/tokenizer/Unicode.h"

#include <algorithm>
#include <climits>

namespace lmc::rt {
namespace {

bool isAddedToken(TokenType t) {
  return t == TokenType::Control || t == TokenType::UserDefined;
}

/// The bytes a token stands for: byte-level characters become their bytes;
/// anything else (added tokens, stray characters) is taken as raw UTF-8.
std::string tokenToBytes(const std::string &text, TokenType type) {
  if (!(type == TokenType::Normal || type == TokenType::Byte))
    return text;
  std::string out;
  out.reserve(text.size());
  auto *p = reinterpret_cast<const unsigned char *>(text.data());
  size_t n = text.size();
  for (size_t i = 0; i < n;) {
    uint32_t cp;
    size_t len = unicode::decodeUtf8(p + i, n - i, cp);
    if (len == 0) {
      out.push_back(char(p[i++]));
      continue;
    }
    int b = unicode::charToByte(cp);
    if (b >= 0)
      out.push_back(char(b));
    else
      out.append(text, i, len);
    i += len;
  }
  return out;
}

const std::string &emptyString() {
  static const std::string empty;
  return empty;
}

} // namespace

Tokenizer::Tokenizer() = default;
Tokenizer::~Tokenizer() = default;

std::unique_ptr<Tokenizer> Tokenizer::create(TokenizerSpec spec,
                                             std::string &err) {
  size_t n = spec.tokens.size();
  if (n == 0) {
    err = "tokenizer has no tokens";
    return nullptr;
  }
  if (n > size_t(INT32_MAX)) {
    err = "tokenizer has too many tokens";
    return nullptr;
  }
  if (spec.types.size() != n) {
    err = "tokenizer has " + std::to_string(n) + " tokens but " +
          std::to_string(spec.types.size()) + " token types";
    return nullptr;
  }
  for (size_t id = 0; id < n; ++id) {
    uint8_t t = uint8_t(spec.types[id]);
    if (t < uint8_t(TokenType::Normal) || t > uint8_t(TokenType::Byte)) {
      err = "token " + std::to_string(id) + " has invalid type " +
            std::to_string(t);
      return nullptr;
    }
  }
  if (uint8_t(spec.preTokenizer) < uint8_t(PreTokenizerKind::Qwen2) ||
      uint8_t(spec.preTokenizer) > uint8_t(PreTokenizerKind::DeepSeekV3) ||
      uint8_t(spec.normalizer) > uint8_t(NormalizerKind::NFC)) {
    err = "tokenizer has an unknown pre-tokenizer or normalizer";
    return nullptr;
  }
  auto checkId = [&](int32_t id, const char *what) {
    if (id >= -1 && id < int32_t(n))
      return true;
    err = std::string(what) + " id " + std::to_string(id) +
          " is outside the vocabulary (" + std::to_string(n) + " tokens)";
    return false;
  };
  if (!checkId(spec.bosId, "BOS") || !checkId(spec.eotId, "EOT") ||
      !checkId(spec.padId, "PAD"))
    return nullptr;
  for (int32_t id : spec.eosIds)
    if (id < 0 || !checkId(id, "EOS"))
      return nullptr;
  if (spec.addBos && spec.bosId < 0) {
    err = "add_bos is set but the tokenizer has no BOS token";
    return nullptr;
  }

  std::unique_ptr<Tokenizer> tok(new Tokenizer());
  tok->spec_ = std::move(spec);
  const TokenizerSpec &s = tok->spec_;

  tok->bytes_.resize(n);
  for (size_t id = 0; id < n; ++id)
    tok->bytes_[id] = tokenToBytes(s.tokens[id], s.types[id]);

  std::string why;
  tok->preTokenizer_ =
      PreTokenizer::create(preTokenizerPatterns(s.preTokenizer), why);
  if (!tok->preTokenizer_) {
    err = std::string(preTokenizerName(s.preTokenizer)) + " " + why;
    return nullptr;
  }
  tok->bpe_ = BPEModel::create(s, tok->bytes_, why);
  if (!tok->bpe_) {
    err = why;
    return nullptr;
  }
  tok->added_ = std::make_unique<AddedTokenMatcher>();
  for (size_t id = 0; id < n; ++id)
    if (isAddedToken(s.types[id]))
      tok->added_->add(s.tokens[id], int32_t(id),
                       s.types[id] == TokenType::Control);
  tok->byText_.build(s.tokens,
                     [&](int32_t id) { return !s.tokens[id].empty(); });
  return tok;
}

std::vector<int32_t> Tokenizer::encode(std::string_view text,
                                       bool parseSpecial) const {
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 4);
  size_t pos = 0;
  AddedTokenMatcher::Match m;
  while (pos < text.size() &&
         added_->findNext(text, pos, parseSpecial, m)) {
    encodeSection(text.substr(pos, m.begin - pos), out);
    out.push_back(m.id);
    pos = m.begin + m.length;
  }
  if (pos < text.size())
    encodeSection(text.substr(pos), out);
  return out;
}

void Tokenizer::encodeSection(std::string_view text,
                              std::vector<int32_t> &out) const {
  // Cut at bytes that are not valid UTF-8; each becomes its byte token.
  auto *p = reinterpret_cast<const unsigned char *>(text.data());
  size_t n = text.size(), runStart = 0, i = 0;
  while (i < n) {
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    uint32_t cp;
    size_t len = unicode::decodeUtf8(p + i, n - i, cp);
    if (len) {
      i += len;
      continue;
    }
    if (i > runStart)
      encodeValidRun(text.substr(runStart, i - runStart), out);
    out.push_back(bpe_->byteToken(p[i]));
    runStart = ++i;
  }
  if (n > runStart)
    encodeValidRun(text.substr(runStart), out);
}

void Tokenizer::encodeValidRun(std::string_view text,
                               std::vector<int32_t> &out) const {
  std::string normalized;
  if (spec_.normalizer == NormalizerKind::NFC &&
      unicode::normalizeNFC(text, normalized))
    text = normalized;
  std::vector<Span> pieces;
  preTokenizer_->split(text, pieces);
  for (const Span &piece : pieces)
    bpe_->encodePiece(text.substr(piece.begin, piece.end - piece.begin), out);
}

std::string Tokenizer::decode(const std::vector<int32_t> &ids,
                              bool skipControl) const {
  std::string out;
  for (int32_t id : ids) {
    if (id < 0 || id >= vocabSize())
      continue;
    if (skipControl && spec_.types[id] == TokenType::Control)
      continue;
    out += bytes_[id];
  }
  return out;
}

const std::string &Tokenizer::tokenBytes(int32_t id) const {
  return id >= 0 && id < vocabSize() ? bytes_[id] : emptyString();
}

const std::string &Tokenizer::tokenText(int32_t id) const {
  return id >= 0 && id < vocabSize() ? spec_.tokens[id] : emptyString();
}

TokenType Tokenizer::tokenType(int32_t id) const {
  return id >= 0 && id < vocabSize() ? spec_.types[id] : TokenType::Unused;
}

bool Tokenizer::isEog(int32_t id) const {
  return id >= 0 && (id == spec_.eotId ||
                     std::find(spec_.eosIds.begin(), spec_.eosIds.end(), id) !=
                         spec_.eosIds.end());
}

std::optional<int32_t> Tokenizer::findToken(std::string_view text) const {
  int32_t id = byText_.find(text);
  if (id < 0)
    return std::nullopt;
  return id;
}

size_t completeUtf8Prefix(std::string_view bytes) {
  // Look back at most three bytes for the lead of a sequence that is not
  // complete yet but can still be completed by the bytes to come.
  auto *p = reinterpret_cast<const unsigned char *>(bytes.data());
  size_t n = bytes.size();
  for (size_t have = 1; have <= 3 && have <= n; ++have) {
    size_t start = n - have;
    unsigned char lead = p[start];
    if ((lead & 0xC0) == 0x80)
      continue; // A continuation byte: the lead is further back.
    size_t need = unicode::utf8SequenceLength(lead);
    if (need <= have)
      return n; // ASCII, a byte that starts nothing, or a full sequence.
    if (have >= 2) {
      // The second byte's range depends on the lead (no overlong forms,
      // surrogates or values above U+10FFFF).
      unsigned char lo = 0x80, hi = 0xBF, b1 = p[start + 1];
      if (lead == 0xE0)
        lo = 0xA0;
      else if (lead == 0xED)
        hi = 0x9F;
      else if (lead == 0xF0)
        lo = 0x90;
      else if (lead == 0xF4)
        hi = 0x8F;
      if (b1 < lo || b1 > hi)
        return n;
    }
    return start;
  }
  return n;
}

std::string StreamDecoder::push(int32_t id) {
  if (skipControl_ && tokenizer_.isControl(id))
    return {};
  pending_ += tokenizer_.tokenBytes(id);
  size_t k = completeUtf8Prefix(pending_);
  std::string out = pending_.substr(0, k);
  pending_.erase(0, k);
  return out;
}

std::string StreamDecoder::flush() {
  std::string out;
  out.swap(pending_);
  return out;
}

} // namespace lmc::rt
