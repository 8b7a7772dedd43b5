//===- SerializationTest.cpp - Tokenizer blob round trip and corruption ----===//

#include "ToyTokenizer.h"

#include "runtime/tokenizer/Serialization.h"
#include "runtime/tokenizer/StringIdMap.h"
#include "runtime/tokenizer/Tokenizer.h"

#include <gtest/gtest.h>

using namespace lmc::rt;
using lmc::rt::test::makeToySpec;

namespace {

using Blob = std::vector<uint8_t>;

// Header offsets (see Serialization.h).
constexpr size_t kVersionAt = 8, kPreAt = 12, kNormAt = 13, kFlagsAt = 14,
                 kReservedAt = 15, kEosCountAt = 28;

/// Recomputes the trailing checksum, so a test reaches the structural checks.
void fixChecksum(Blob &b) {
  uint64_t h = hashBytes(std::string_view(
      reinterpret_cast<const char *>(b.data()), b.size() - 8));
  for (int i = 0; i < 8; ++i)
    b[b.size() - 8 + i] = uint8_t(h >> (8 * i));
}

std::string readError(const Blob &b) {
  TokenizerSpec spec;
  std::string err;
  EXPECT_FALSE(deserializeTokenizer(b.data(), b.size(), spec, err));
  EXPECT_FALSE(err.empty());
  return err;
}

/// The offset of the token count (after the EOS list of the toy spec).
size_t tokenCountAt(const TokenizerSpec &spec) {
  return kEosCountAt + 1 + 4 * spec.eosIds.size();
}

TEST(TokenizerSerialization, RoundTrip) {
  TokenizerSpec spec = makeToySpec();
  spec.normalizer = NormalizerKind::NFC;
  spec.ignoreMerges = true;
  spec.addBos = true;
  spec.padId = 7;
  spec.eosIds = {266, 5};
  spec.preTokenizer = PreTokenizerKind::DeepSeekV3;
  spec.chatTemplate = std::string("with\0nul and ünïcode", 20);
  Blob blob = serializeTokenizer(spec);
  TokenizerSpec back;
  std::string err;
  ASSERT_TRUE(deserializeTokenizer(blob.data(), blob.size(), back, err)) << err;
  EXPECT_EQ(back.tokens, spec.tokens);
  EXPECT_EQ(back.types, spec.types);
  EXPECT_EQ(back.merges, spec.merges);
  EXPECT_EQ(back.preTokenizer, spec.preTokenizer);
  EXPECT_EQ(back.normalizer, spec.normalizer);
  EXPECT_EQ(back.ignoreMerges, spec.ignoreMerges);
  EXPECT_EQ(back.bosId, spec.bosId);
  EXPECT_EQ(back.eosIds, spec.eosIds);
  EXPECT_EQ(back.eotId, spec.eotId);
  EXPECT_EQ(back.padId, spec.padId);
  EXPECT_EQ(back.addBos, spec.addBos);
  EXPECT_EQ(back.chatTemplate, spec.chatTemplate);
  EXPECT_EQ(serializeTokenizer(back), blob);
  auto tok = Tokenizer::create(back, err);
  ASSERT_TRUE(tok) << err;
  EXPECT_EQ(tok->decode(tok->encode("hello <|end|>")), "hello <|end|>");
}

TEST(TokenizerSerialization, EmptySpecRoundTrips) {
  Blob blob = serializeTokenizer(TokenizerSpec());
  TokenizerSpec back;
  std::string err;
  ASSERT_TRUE(deserializeTokenizer(blob.data(), blob.size(), back, err)) << err;
  EXPECT_TRUE(back.tokens.empty());
}

TEST(TokenizerSerialization, CorruptBlobs) {
  TokenizerSpec spec = makeToySpec();
  const Blob good = serializeTokenizer(spec);
  TokenizerSpec out;
  std::string err;

  // 1. Nothing at all.
  EXPECT_FALSE(deserializeTokenizer(nullptr, 0, out, err));
  // 2. Too small for a header.
  EXPECT_NE(readError(Blob(good.begin(), good.begin() + 10)).find("too small"),
            std::string::npos);
  // 3. Wrong magic.
  Blob b = good;
  b[0] = 'X';
  EXPECT_NE(readError(b).find("magic"), std::string::npos);
  // 4. A version from the future.
  b = good;
  b[kVersionAt] = 2;
  EXPECT_NE(readError(b).find("version 2"), std::string::npos);
  // 5. A flipped byte without a matching checksum.
  b = good;
  b[good.size() / 2] ^= 0x40;
  EXPECT_NE(readError(b).find("checksum"), std::string::npos);
  // 6. Truncated.
  b.assign(good.begin(), good.end() - 20);
  EXPECT_NE(readError(b).find("checksum"), std::string::npos);
  fixChecksum(b);
  EXPECT_EQ(readError(b).find("checksum"), std::string::npos) << readError(b);
  // 7. Unknown pre-tokenizer.
  b = good;
  b[kPreAt] = 9;
  fixChecksum(b);
  EXPECT_NE(readError(b).find("pre-tokenizer 9"), std::string::npos);
  // 8. Unknown normalizer.
  b = good;
  b[kNormAt] = 7;
  fixChecksum(b);
  EXPECT_NE(readError(b).find("normalizer 7"), std::string::npos);
  // 9. Unknown flags.
  b = good;
  b[kFlagsAt] = 0x80;
  fixChecksum(b);
  EXPECT_NE(readError(b).find("flags"), std::string::npos);
  // 10. Reserved byte set.
  b = good;
  b[kReservedAt] = 1;
  fixChecksum(b);
  EXPECT_NE(readError(b).find("reserved"), std::string::npos);
  // 11. A token count far larger than the blob.
  b = good;
  size_t at = tokenCountAt(spec);
  b.erase(b.begin() + at, b.begin() + at + 2); // 271 takes two varint bytes.
  const uint8_t huge[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
  b.insert(b.begin() + at, huge, huge + 5);
  fixChecksum(b);
  EXPECT_NE(readError(b).find("exceeds"), std::string::npos) << readError(b);
  // 12. A varint longer than 32 bits.
  b = good;
  b.erase(b.begin() + at, b.begin() + at + 2);
  const uint8_t oversized[] = {0xff, 0xff, 0xff, 0xff, 0x7f};
  b.insert(b.begin() + at, oversized, oversized + 5);
  fixChecksum(b);
  EXPECT_NE(readError(b).find("oversized"), std::string::npos) << readError(b);
  // 13. An unknown token type.
  b = good;
  b[at + 2] = 0;
  fixChecksum(b);
  EXPECT_NE(readError(b).find("unknown type"), std::string::npos);
  // 14. A string length that runs past the end (the chat template's).
  b = good;
  size_t templateLengthAt = b.size() - 8 - spec.chatTemplate.size() - 1;
  ASSERT_EQ(b[templateLengthAt], spec.chatTemplate.size());
  b[templateLengthAt] = 0x7f;
  fixChecksum(b);
  EXPECT_NE(readError(b).find("runs past the end"), std::string::npos);
  // 15. Trailing bytes after the chat template.
  b = good;
  b.insert(b.end() - 8, {1, 2, 3});
  fixChecksum(b);
  EXPECT_NE(readError(b).find("trailing"), std::string::npos);
  // 16. A merge naming a token out of range.
  {
    TokenizerSpec bad = spec;
    bad.merges.emplace_back(0, 99999);
    EXPECT_NE(readError(serializeTokenizer(bad)).find("out of range"),
              std::string::npos);
  }
  // 17. An EOS count larger than the blob.
  b = good;
  b[kEosCountAt] = 0x7f;
  fixChecksum(b);
  EXPECT_FALSE(readError(b).empty());
}

TEST(TokenizerSerialization, EveryTruncationAndFlipIsSafe) {
  TokenizerSpec spec = makeToySpec();
  const Blob good = serializeTokenizer(spec);
  TokenizerSpec out;
  std::string err;
  for (size_t n = 0; n < good.size(); ++n) {
    Blob b(good.begin(), good.begin() + n);
    if (b.size() >= 20)
      fixChecksum(b);
    EXPECT_FALSE(deserializeTokenizer(b.data(), b.size(), out, err)) << n;
  }
  // Flip each byte (checksum fixed, so the parser sees the damage); whatever
  // still parses must give an error or a working tokenizer from create().
  int parsed = 0;
  for (size_t i = 0; i + 8 < good.size(); ++i) {
    Blob b = good;
    b[i] ^= uint8_t(1 + i % 255);
    fixChecksum(b);
    if (!deserializeTokenizer(b.data(), b.size(), out, err))
      continue;
    ++parsed;
    if (i % 5 == 0)
      if (auto tok = Tokenizer::create(out, err))
        (void)tok->decode(tok->encode("hello <|end|> \xff"));
  }
  EXPECT_GT(parsed, 0);
}

} // namespace
