//===- StreamDecoderTest.cpp - Streaming decode holds partial characters ---===//

#include "ToyTokenizer.h"

#include "runtime/tokenizer/Tokenizer.h"

#include <gtest/gtest.h>

using namespace lmc::rt;
using lmc::rt::test::makeToySpec;

namespace {

std::unique_ptr<Tokenizer> toy() {
  std::string err;
  auto tok = Tokenizer::create(makeToySpec(), err);
  EXPECT_TRUE(tok) << err;
  return tok;
}

/// Streams the byte tokens of s one at a time; returns what came out per push.
std::vector<std::string> streamBytes(const Tokenizer &tok, std::string_view s,
                                     std::string &flushed) {
  StreamDecoder dec(tok);
  std::vector<std::string> outs;
  for (unsigned char c : s)
    outs.push_back(dec.push(int32_t(c))); // Toy ids 0..255 are the bytes.
  flushed = dec.flush();
  return outs;
}

TEST(StreamDecoder, HoldsBackSplitCharacters) {
  auto tok = toy();
  std::string flushed;
  // "中" is E4 B8 AD; "😀" is F0 9F 98 80; "é" is C3 A9.
  auto outs = streamBytes(*tok, "a\xe4\xb8\xad\xf0\x9f\x98\x80\xc3\xa9z", flushed);
  std::vector<std::string> want = {"a", "", "", "\xe4\xb8\xad", "", "", "",
                                   "\xf0\x9f\x98\x80", "", "\xc3\xa9", "z"};
  EXPECT_EQ(outs, want);
  EXPECT_EQ(flushed, "");
}

TEST(StreamDecoder, MultiByteTokens) {
  auto tok = toy();
  StreamDecoder dec(*tok);
  EXPECT_EQ(dec.push(259), "hello");
  EXPECT_EQ(dec.push(0xe4), "");
  EXPECT_EQ(dec.pending(), 1u);
  EXPECT_EQ(dec.push(0xb8), "");
  EXPECT_EQ(dec.push(0xad), "\xe4\xb8\xad");
  EXPECT_EQ(dec.push(266), "<|end|>");
  EXPECT_EQ(dec.flush(), "");
}

TEST(StreamDecoder, FlushReturnsIncompleteTail) {
  auto tok = toy();
  StreamDecoder dec(*tok);
  EXPECT_EQ(dec.push('x'), "x");
  EXPECT_EQ(dec.push(0xf0), "");
  EXPECT_EQ(dec.push(0x9f), "");
  EXPECT_EQ(dec.flush(), "\xf0\x9f");
  EXPECT_EQ(dec.pending(), 0u);
  EXPECT_EQ(dec.push('y'), "y");
}

TEST(StreamDecoder, InvalidBytesPassThrough) {
  auto tok = toy();
  StreamDecoder dec(*tok);
  // A lead byte followed by something that is not a continuation: both out.
  EXPECT_EQ(dec.push(0xe4), "");
  EXPECT_EQ(dec.push('A'), "\xe4" "A");
  // Bytes that never start a character are not held.
  EXPECT_EQ(dec.push(0xff), "\xff");
  EXPECT_EQ(dec.push(0x80), "\x80");
  EXPECT_EQ(dec.push(0xc0), "\xc0");
  // E0 80 is overlong, ED A0 a surrogate: released at the second byte.
  EXPECT_EQ(dec.push(0xe0), "");
  EXPECT_EQ(dec.push(0x80), "\xe0\x80");
  EXPECT_EQ(dec.push(0xed), "");
  EXPECT_EQ(dec.push(0xa0), "\xed\xa0");
  // E0 A0 is a valid start: held.
  EXPECT_EQ(dec.push(0xe0), "");
  EXPECT_EQ(dec.push(0xa0), "");
  EXPECT_EQ(dec.push(0x80), "\xe0\xa0\x80");
}

TEST(StreamDecoder, SkipControl) {
  auto tok = toy();
  StreamDecoder dec(*tok, /*skipControl=*/true);
  EXPECT_EQ(dec.push(266), "");
  EXPECT_EQ(dec.push(267), "<think>");
}

TEST(StreamDecoder, ConcatenationEqualsDecode) {
  auto tok = toy();
  std::string text = "hello 世界 😀 naïve \xff end";
  std::vector<int32_t> ids = tok->encode(text);
  StreamDecoder dec(*tok);
  std::string streamed;
  for (int32_t id : ids) {
    std::string piece = dec.push(id);
    EXPECT_EQ(completeUtf8Prefix(piece), piece.size());
    streamed += piece;
  }
  streamed += dec.flush();
  EXPECT_EQ(streamed, tok->decode(ids));
  EXPECT_EQ(streamed, text);
}

TEST(StreamDecoder, CompleteUtf8Prefix) {
  EXPECT_EQ(completeUtf8Prefix(""), 0u);
  EXPECT_EQ(completeUtf8Prefix("abc"), 3u);
  EXPECT_EQ(completeUtf8Prefix("ab\xe4"), 2u);
  EXPECT_EQ(completeUtf8Prefix("ab\xe4\xb8"), 2u);
  EXPECT_EQ(completeUtf8Prefix("ab\xe4\xb8\xad"), 5u);
  EXPECT_EQ(completeUtf8Prefix("\xf4\x90"), 2u); // Above U+10FFFF.
  EXPECT_EQ(completeUtf8Prefix("\xf0\x9f\x98"), 0u);
}

} // namespace
