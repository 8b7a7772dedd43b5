//===- Serialization.cpp - Binary form of a TokenizerSpec ------------------===//

#include "runtime/tokenizer/Serialization.h"

#include "runtime/tokenizer/StringIdMap.h"

#include <cstring>
#include <string_view>

namespace lmc::rt {
namespace {

constexpr char kMagic[8] = {'L', 'M', 'C', 'T', 'O', 'K', 'N', 'Z'};

class Writer {
public:
  void bytes(const void *p, size_t n) {
    auto *b = static_cast<const uint8_t *>(p);
    out.insert(out.end(), b, b + n);
  }
  void u8(uint8_t v) { out.push_back(v); }
  void u32(uint32_t v) {
    for (int i = 0; i < 4; ++i)
      out.push_back(uint8_t(v >> (8 * i)));
  }
  void u64(uint64_t v) {
    for (int i = 0; i < 8; ++i)
      out.push_back(uint8_t(v >> (8 * i)));
  }
  void i32(int32_t v) { u32(uint32_t(v)); }
  void varint(uint32_t v) {
    while (v >= 0x80) {
      out.push_back(uint8_t(v | 0x80));
      v >>= 7;
    }
    out.push_back(uint8_t(v));
  }
  void str(const std::string &s) {
    varint(uint32_t(s.size()));
    bytes(s.data(), s.size());
  }
  std::vector<uint8_t> out;
};

/// Reads fields; the first failure sets err (with the field's name) and makes
/// every later read fail too.
class Reader {
public:
  Reader(const uint8_t *p, size_t n, std::string &err) : p(p), n(n), err(err) {}

  bool fail(const std::string &what) {
    if (ok)
      err = "corrupt tokenizer blob: " + what + " (at byte " +
            std::to_string(pos) + ")";
    ok = false;
    return false;
  }
  size_t left() const { return n - pos; }
  bool u8(uint8_t &v, const char *what) {
    if (!ok || left() < 1)
      return fail(std::string("truncated ") + what);
    v = p[pos++];
    return true;
  }
  bool u32(uint32_t &v, const char *what) {
    if (!ok || left() < 4)
      return fail(std::string("truncated ") + what);
    v = 0;
    for (int i = 0; i < 4; ++i)
      v |= uint32_t(p[pos + i]) << (8 * i);
    pos += 4;
    return true;
  }
  bool i32(int32_t &v, const char *what) {
    uint32_t u;
    if (!u32(u, what))
      return false;
    v = int32_t(u);
    return true;
  }
  bool varint(uint32_t &v, const char *what) {
    v = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      uint8_t b;
      if (!u8(b, what))
        return false;
      if (shift == 28 && (b & 0xF0))
        return fail(std::string("oversized ") + what);
      v |= uint32_t(b & 0x7F) << shift;
      if (!(b & 0x80))
        return true;
    }
    return fail(std::string("oversized ") + what);
  }
  /// A count of items of at least minItemSize bytes each: it must fit in what
  /// is left (so a corrupt count cannot make us allocate gigabytes).
  bool count(uint32_t &v, size_t minItemSize, const char *what) {
    if (!varint(v, what))
      return false;
    if (size_t(v) > left() / minItemSize)
      return fail(std::string(what) + " " + std::to_string(v) +
                  " exceeds the blob size");
    return true;
  }
  bool str(std::string &s, const char *what) {
    uint32_t len;
    if (!varint(len, what))
      return false;
    if (len > left())
      return fail(std::string(what) + " length " + std::to_string(len) +
                  " runs past the end");
    s.assign(reinterpret_cast<const char *>(p + pos), len);
    pos += len;
    return true;
  }

  const uint8_t *p;
  size_t n, pos = 0;
  std::string &err;
  bool ok = true;
};

} // namespace

std::vector<uint8_t> serializeTokenizer(const TokenizerSpec &spec) {
  Writer w;
  w.bytes(kMagic, sizeof(kMagic));
  w.u32(kTokenizerFormatVersion);
  w.u8(uint8_t(spec.preTokenizer));
  w.u8(uint8_t(spec.normalizer));
  w.u8(uint8_t((spec.ignoreMerges ? 1 : 0) | (spec.addBos ? 2 : 0)));
  w.u8(0);
  w.i32(spec.bosId);
  w.i32(spec.eotId);
  w.i32(spec.padId);
  w.varint(uint32_t(spec.eosIds.size()));
  for (int32_t id : spec.eosIds)
    w.i32(id);
  w.varint(uint32_t(spec.tokens.size()));
  for (size_t i = 0; i < spec.tokens.size(); ++i) {
    w.u8(uint8_t(i < spec.types.size() ? spec.types[i] : TokenType::Normal));
    w.str(spec.tokens[i]);
  }
  w.varint(uint32_t(spec.merges.size()));
  for (const auto &[a, b] : spec.merges) {
    w.varint(uint32_t(a));
    w.varint(uint32_t(b));
  }
  w.str(spec.chatTemplate);
  w.u64(hashBytes(std::string_view(
      reinterpret_cast<const char *>(w.out.data()), w.out.size())));
  return std::move(w.out);
}

bool deserializeTokenizer(const uint8_t *data, size_t size, TokenizerSpec &spec,
                          std::string &err) {
  spec = TokenizerSpec();
  if (!data || size < sizeof(kMagic) + 4 + 8) {
    err = "corrupt tokenizer blob: too small (" + std::to_string(size) +
          " bytes)";
    return false;
  }
  if (std::memcmp(data, kMagic, sizeof(kMagic)) != 0) {
    err = "not a tokenizer blob (bad magic)";
    return false;
  }
  uint32_t version = 0;
  for (int i = 0; i < 4; ++i)
    version |= uint32_t(data[8 + i]) << (8 * i);
  if (version != kTokenizerFormatVersion) {
    err = "tokenizer blob has format version " + std::to_string(version) +
          "; this runtime reads version " +
          std::to_string(kTokenizerFormatVersion);
    return false;
  }
  size_t body = size - 8;
  uint64_t stored = 0;
  for (int i = 0; i < 8; ++i)
    stored |= uint64_t(data[body + i]) << (8 * i);
  if (stored != hashBytes(std::string_view(
                    reinterpret_cast<const char *>(data), body))) {
    err = "corrupt tokenizer blob: checksum mismatch";
    return false;
  }

  Reader r(data, body, err);
  r.pos = sizeof(kMagic) + 4;
  uint8_t pre, norm, flags, reserved;
  r.u8(pre, "pre-tokenizer");
  r.u8(norm, "normalizer");
  r.u8(flags, "flags");
  r.u8(reserved, "reserved byte");
  if (!r.ok)
    return false;
  if (pre < uint8_t(PreTokenizerKind::Qwen2) ||
      pre > uint8_t(PreTokenizerKind::DeepSeekV3))
    return r.fail("unknown pre-tokenizer " + std::to_string(pre));
  if (norm > uint8_t(NormalizerKind::NFC))
    return r.fail("unknown normalizer " + std::to_string(norm));
  if (flags & ~3u)
    return r.fail("unknown flags " + std::to_string(flags));
  if (reserved != 0)
    return r.fail("reserved byte is not zero");
  spec.preTokenizer = PreTokenizerKind(pre);
  spec.normalizer = NormalizerKind(norm);
  spec.ignoreMerges = flags & 1;
  spec.addBos = flags & 2;

  r.i32(spec.bosId, "BOS id");
  r.i32(spec.eotId, "EOT id");
  r.i32(spec.padId, "PAD id");
  uint32_t count;
  if (!r.count(count, 4, "EOS count"))
    return false;
  spec.eosIds.resize(count);
  for (int32_t &id : spec.eosIds)
    r.i32(id, "EOS id");

  if (!r.count(count, 2, "token count"))
    return false;
  spec.tokens.resize(count);
  spec.types.resize(count);
  for (uint32_t i = 0; i < count && r.ok; ++i) {
    uint8_t type;
    if (!r.u8(type, "token type"))
      break;
    if (type < uint8_t(TokenType::Normal) || type > uint8_t(TokenType::Byte))
      return r.fail("token " + std::to_string(i) + " has unknown type " +
                    std::to_string(type));
    spec.types[i] = TokenType(type);
    r.str(spec.tokens[i], "token text");
  }

  if (!r.count(count, 2, "merge count"))
    return false;
  spec.merges.resize(count);
  for (auto &[a, b] : spec.merges) {
    uint32_t left, right;
    if (!r.varint(left, "merge id") || !r.varint(right, "merge id"))
      break;
    if (left >= spec.tokens.size() || right >= spec.tokens.size())
      return r.fail("merge (" + std::to_string(left) + ", " +
                    std::to_string(right) + ") names a token out of range");
    a = int32_t(left);
    b = int32_t(right);
  }
  r.str(spec.chatTemplate, "chat template");
  if (!r.ok)
    return false;
  if (r.left() != 0)
    return r.fail(std::to_string(r.left()) + " unexpected trailing bytes");
  return true;
}

} // namespace lmc::rt
