//===- UnicodeTest.cpp - UTF-8 decoding, byte-level mapping, NFC -----------===//

#include "runtime/tokenizer/Unicode.h"

#include <gtest/gtest.h>

#include <set>

using namespace lmc::rt::unicode;

namespace {

size_t decode(std::string_view s, uint32_t &cp) {
  return decodeUtf8(reinterpret_cast<const unsigned char *>(s.data()), s.size(),
                    cp);
}

TEST(Unicode, DecodeUtf8) {
  uint32_t cp = 0;
  EXPECT_EQ(decode("A", cp), 1u);
  EXPECT_EQ(cp, 0x41u);
  EXPECT_EQ(decode("\xc3\xa9", cp), 2u);
  EXPECT_EQ(cp, 0xE9u);
  EXPECT_EQ(decode("\xe4\xb8\xad", cp), 3u);
  EXPECT_EQ(cp, 0x4E2Du);
  EXPECT_EQ(decode("\xf0\x9f\x98\x80", cp), 4u);
  EXPECT_EQ(cp, 0x1F600u);
  EXPECT_EQ(decode("\xf4\x8f\xbf\xbf", cp), 4u);
  EXPECT_EQ(cp, 0x10FFFFu);
  // Ill-formed: overlong, surrogate, too large, truncated, stray bytes.
  for (std::string_view bad :
       {"\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf0\x80\x80\xaf",
        "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xe4\xb8", "\x80", "\xff",
        "\xc3\x41"})
    EXPECT_EQ(decode(bad, cp), 0u) << bad.size();
}

TEST(Unicode, ByteLevelMappingIsABijection) {
  std::set<uint32_t> chars;
  for (int b = 0; b < 256; ++b) {
    uint32_t c = byteToChar(uint8_t(b));
    chars.insert(c);
    EXPECT_EQ(charToByte(c), b);
  }
  EXPECT_EQ(chars.size(), 256u);
  EXPECT_EQ(byteToChar(' '), 0x120u);  // Ġ
  EXPECT_EQ(byteToChar('\n'), 0x10Au); // Ċ
  EXPECT_EQ(byteToChar('a'), uint32_t('a'));
  EXPECT_EQ(charToByte(0x4E2D), -1);
}

TEST(Unicode, NFC) {
  struct Case {
    const char *in, *out;
  } cases[] = {
      {"A\xcc\x8a", "\xc3\x85"},                 // A + ring -> Å
      {"\xe2\x84\xab", "\xc3\x85"},              // Angstrom sign -> Å
      {"\xe2\x84\xa6", "\xce\xa9"},              // Ohm sign -> Omega
      {"e\xcc\x81", "\xc3\xa9"},                 // e + acute -> é
      {"\xe1\x84\x80\xe1\x85\xa1\xe1\x86\xa8",   // Hangul L V T -> 각
       "\xea\xb0\x81"},
      {"\xea\xb0\x80\xe1\x86\xa8", "\xea\xb0\x81"}, // LV + T -> LVT
      {"s\xcc\xa3\xcc\x87", "\xe1\xb9\xa9"},     // s + dot below + dot above
      {"s\xcc\x87\xcc\xa3", "\xe1\xb9\xa9"},     // (reordered first)
      {"q\xcc\x87\xcc\xa3", "q\xcc\xa3\xcc\x87"}, // no composite: just reorder
      {"\xe0\xa5\x98", "\xe0\xa4\x95\xe0\xa4\xbc"}, // excluded QA stays decomposed
      {"a\xcc\x81\xcc\x81", "\xc3\xa1\xcc\x81"}, // second acute is blocked
      {"\xcc\x81" "a", "\xcc\x81" "a"},          // leading combining mark
      {"\xe1\xba\xa0\xcc\x82", "\xe1\xba\xac"},  // Ạ + circumflex -> Ậ
      {"plain ascii", "plain ascii"},
  };
  for (const Case &c : cases)
    EXPECT_EQ(toNFC(c.in), c.out) << c.in;
}

TEST(Unicode, NFCQuickCheck) {
  EXPECT_TRUE(isNFCQuick("hello"));
  EXPECT_TRUE(isNFCQuick("caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80"));
  EXPECT_FALSE(isNFCQuick("e\xcc\x81"));
  EXPECT_FALSE(isNFCQuick("\xe2\x84\xab"));
  EXPECT_FALSE(isNFCQuick("\xe1\x84\x80\xe1\x85\xa1"));
  // Whatever passes the quick check is unchanged by NFC.
  for (const char *s : {"hello", "\xc3\xa9t\xc3\xa9", "\xea\xb0\x81"})
    if (isNFCQuick(s))
      EXPECT_EQ(toNFC(s), s);
}

TEST(Unicode, NFCOnlyTouchesUnstableSpans) {
  std::string out;
  EXPECT_FALSE(normalizeNFC("plain text, caf\xc3\xa9", out));
  EXPECT_TRUE(normalizeNFC("x e\xcc\x81 y A\xcc\x8a z", out));
  EXPECT_EQ(out, "x \xc3\xa9 y \xc3\x85 z");
  // Marks that change nothing: false, no copy.
  EXPECT_FALSE(normalizeNFC("q\xcc\xa3\xcc\x87 ok", out));
  // The same as normalizing the whole text at once, for a long mixed text.
  std::string text;
  for (int i = 0; i < 50; ++i)
    text += "abc e\xcc\x81\xcc\xa3 \xe1\x84\x80\xe1\x85\xa1\xe1\x86\xa8 \xe2\x84\xab"
            "\xcc\x81\xea\xb0\x80\xe1\x86\xa8 \xe4\xb8\xad ";
  ASSERT_TRUE(normalizeNFC(text, out));
  EXPECT_EQ(out, toNFC(text));
  EXPECT_TRUE(isNFCQuick(out) || toNFC(out) == out);
  EXPECT_EQ(toNFC(out), out);
}

} // namespace
