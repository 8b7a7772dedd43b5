//===- TokenizerTest.cpp - Tokenizer behaviour on a toy vocabulary ---------===//

#include "ToyTokenizer.h"

#include "runtime/tokenizer/BPEModel.h"
#include "runtime/tokenizer/PreTokenizer.h"
#include "runtime/tokenizer/Tokenizer.h"

#include <gtest/gtest.h>

#include <random>
#include <thread>

using namespace lmc::rt;
using lmc::rt::test::makeToySpec;

namespace {

std::unique_ptr<Tokenizer> toy(TokenizerSpec spec = makeToySpec()) {
  std::string err;
  auto tok = Tokenizer::create(std::move(spec), err);
  EXPECT_TRUE(tok) << err;
  return tok;
}

using Ids = std::vector<int32_t>;

TEST(Tokenizer, MergesByRank) {
  auto tok = toy();
  // "hello" merges fully; " world" is cut by the regex and " w" merges.
  EXPECT_EQ(tok->encode("hello world"),
            (Ids{259, 260, 'o', 'r', 'l', 'd'}));
  // (b,a) has a lower rank than (a,b): "aba" -> a + ba.
  EXPECT_EQ(tok->encode("aba"), (Ids{'a', 263}));
  // Equal ranks merge leftmost first.
  EXPECT_EQ(tok->encode("aaaaa"), (Ids{262, 'a'}));
  EXPECT_EQ(tok->encode(""), Ids{});
}

TEST(Tokenizer, AddedTokens) {
  auto tok = toy();
  EXPECT_EQ(tok->encode("he<|end|>he"), (Ids{256, 266, 256}));
  // Longest match wins at the same position.
  EXPECT_EQ(tok->encode("<a><b>"), (Ids{269}));
  EXPECT_EQ(tok->encode("<a><c>"), (Ids{268, '<', 'c', '>'}));
  // Without parseSpecial, Control text is ordinary text; UserDefined tokens
  // are still matched.
  EXPECT_EQ(tok->encode("<|end|>", false),
            (Ids{'<', '|', 'e', 'n', 'd', '|', '>'}));
  EXPECT_EQ(tok->encode("<think>x", false), (Ids{267, 'x'}));
  EXPECT_EQ(tok->encode("<think>x"), (Ids{267, 'x'}));
  // Adjacent and repeated.
  EXPECT_EQ(tok->encode("<|end|><|end|>"), (Ids{266, 266}));
}

TEST(Tokenizer, InvalidUtf8BecomesByteTokens) {
  auto tok = toy();
  std::string text = "a\xff" "b\xe4\xb8 \xc0\xaf";
  Ids ids = tok->encode(text);
  EXPECT_EQ(ids, (Ids{'a', 0xff, 'b', 0xe4, 0xb8, ' ', 0xc0, 0xaf}));
  EXPECT_EQ(tok->decode(ids), text);
  // Surrogates and overlong forms are invalid too.
  std::string bad = "\xed\xa0\x80\xe0\x80\xaf";
  EXPECT_EQ(tok->decode(tok->encode(bad)), bad);
  EXPECT_EQ(tok->encode(bad).size(), bad.size());
}

TEST(Tokenizer, ArbitraryBytesRoundTrip) {
  auto tok = toy();
  std::mt19937 rng(7);
  for (int round = 0; round < 200; ++round) {
    std::string s(rng() % 64, '\0');
    for (char &c : s)
      c = char(rng() % 4 == 0 ? rng() % 256 : "ab <|>\n"[rng() % 7]);
    Ids ids = tok->encode(s, false);
    EXPECT_EQ(tok->decode(ids), s);
  }
}

TEST(Tokenizer, DecodeAndLookups) {
  auto tok = toy();
  EXPECT_EQ(tok->vocabSize(), 271);
  EXPECT_EQ(tok->decode({259, 260, 266}), "hello w<|end|>");
  EXPECT_EQ(tok->decode({259, 266, 260}, /*skipControl=*/true), "hello w");
  EXPECT_EQ(tok->decode({-1, 9999, 259}), "hello");
  EXPECT_EQ(tok->tokenBytes(260), " w");
  EXPECT_EQ(tok->tokenText(260), "\xc4\xa0w"); // "Ġw"
  EXPECT_EQ(tok->tokenBytes(10), "\n");
  EXPECT_EQ(tok->tokenBytes(-3), "");
  EXPECT_TRUE(tok->isControl(266));
  EXPECT_FALSE(tok->isControl(267));
  EXPECT_FALSE(tok->isControl(5000));
  EXPECT_TRUE(tok->isEog(266));
  EXPECT_FALSE(tok->isEog(259));
  EXPECT_EQ(tok->findToken("<think>"), 267);
  EXPECT_EQ(tok->findToken("\xc4\xa0w"), 260);
  EXPECT_EQ(tok->findToken(" w"), std::nullopt);
  EXPECT_EQ(tok->findToken("nope"), std::nullopt);
  EXPECT_EQ(tok->tokenType(270), TokenType::Unused);
  EXPECT_EQ(tok->chatTemplate(), "{{ messages }}");
}

TEST(Tokenizer, NFCNormalizer) {
  TokenizerSpec spec = makeToySpec();
  spec.normalizer = NormalizerKind::NFC;
  auto tok = toy(spec);
  // e + combining acute is NFC "é" (C3 A9).
  EXPECT_EQ(tok->encode("e\xcc\x81"), (Ids{0xc3, 0xa9}));
  EXPECT_EQ(tok->encode("\xc3\xa9"), (Ids{0xc3, 0xa9}));
  auto raw = toy();
  EXPECT_EQ(raw->encode("e\xcc\x81"), (Ids{'e', 0xcc, 0x81}));
}

TEST(Tokenizer, PreTokenizerKinds) {
  for (auto kind : {PreTokenizerKind::Qwen2, PreTokenizerKind::O200k,
                    PreTokenizerKind::DeepSeekV3}) {
    TokenizerSpec spec = makeToySpec();
    spec.preTokenizer = kind;
    auto tok = toy(spec);
    std::string s = "Hello 12345 世界 it's\n\n  x";
    EXPECT_EQ(tok->decode(tok->encode(s)), s) << preTokenizerName(kind);
  }
  EXPECT_EQ(preTokenizerFromGGUFName("gpt-4o"), PreTokenizerKind::O200k);
  EXPECT_EQ(preTokenizerFromGGUFName("llama3"), std::nullopt);
  EXPECT_EQ(ggufPreTokenizerName(PreTokenizerKind::DeepSeekV3), "deepseek-v3");
}

TEST(Tokenizer, IgnoreMerges) {
  // "aba" is a token but BPE cannot reach it ((b,a) merges first); with
  // ignoreMerges the whole piece is looked up first.
  TokenizerSpec spec = makeToySpec();
  spec.ignoreMerges = true;
  EXPECT_EQ(toy(spec)->encode("aba"), (Ids{264}));
  EXPECT_EQ(toy()->encode("aba"), (Ids{'a', 263}));
}

TEST(Tokenizer, HeapAndArrayMergesAgree) {
  TokenizerSpec spec = makeToySpec();
  std::vector<std::string> bytes;
  for (auto &t : spec.tokens)
    bytes.push_back(lmc::rt::test::rawBytes(t));
  std::string err;
  auto bpe = BPEModel::create(spec, bytes, err);
  ASSERT_TRUE(bpe) << err;
  std::mt19937 rng(1);
  for (int round = 0; round < 500; ++round) {
    std::string s(1 + rng() % 80, 'a');
    for (char &c : s)
      c = "abhelo w"[rng() % 8];
    std::vector<int32_t> small, heap;
    bpe->encodePieceWith(s, false, small);
    bpe->encodePieceWith(s, true, heap);
    ASSERT_EQ(small, heap) << s;
  }
}

TEST(Tokenizer, CreateRejectsBadSpecs) {
  std::string err;
  {
    TokenizerSpec spec = makeToySpec();
    spec.types.pop_back();
    EXPECT_FALSE(Tokenizer::create(spec, err));
    EXPECT_NE(err.find("token types"), std::string::npos) << err;
  }
  {
    TokenizerSpec spec = makeToySpec();
    spec.tokens['x'] = "not-x";
    EXPECT_FALSE(Tokenizer::create(spec, err));
    EXPECT_NE(err.find("byte 120"), std::string::npos) << err;
  }
  {
    TokenizerSpec spec = makeToySpec();
    spec.merges.emplace_back('q', 'z'); // "qz" is not a token.
    EXPECT_FALSE(Tokenizer::create(spec, err));
    EXPECT_NE(err.find("merge 10: its result 'qz'"), std::string::npos) << err;
  }
  {
    TokenizerSpec spec = makeToySpec();
    spec.merges.emplace_back('q', 266); // An added token cannot merge.
    EXPECT_FALSE(Tokenizer::create(spec, err));
    EXPECT_NE(err.find("not a pair of BPE tokens"), std::string::npos) << err;
  }
  {
    TokenizerSpec spec = makeToySpec();
    EXPECT_FALSE(resolveMerges(spec, {{"a", "b"}, {"a", "<think>"}}, err));
    EXPECT_NE(err.find("merge 1: '<think>' is not a vocabulary token"),
              std::string::npos)
        << err;
  }
  {
    TokenizerSpec spec = makeToySpec();
    spec.bosId = 271;
    EXPECT_FALSE(Tokenizer::create(spec, err));
    EXPECT_NE(err.find("BOS id 271"), std::string::npos) << err;
  }
  {
    TokenizerSpec spec = makeToySpec();
    spec.eosIds.push_back(-1);
    EXPECT_FALSE(Tokenizer::create(spec, err));
  }
  {
    TokenizerSpec spec = makeToySpec();
    spec.types[3] = TokenType(9);
    EXPECT_FALSE(Tokenizer::create(spec, err));
  }
  EXPECT_FALSE(Tokenizer::create(TokenizerSpec(), err));
}

TEST(Tokenizer, LongPieces) {
  auto tok = toy();
  // A megabyte of one letter and of spaces: one piece each, the heap path.
  std::string as(1 << 20, 'a'), spaces(1 << 20, ' ');
  Ids ids = tok->encode(as);
  EXPECT_EQ(ids.size(), size_t(1 << 18));
  EXPECT_EQ(tok->decode(ids), as);
  EXPECT_EQ(tok->decode(tok->encode(spaces + "x")), spaces + "x");
}

TEST(Tokenizer, RegexWhitespaceIsUnicodeWhiteSpace) {
  EXPECT_EQ(toPcre2Pattern(R"(\s+(?!\S)|[^\s\p{L}]+)"),
            R"([\t-\r\x{85}\p{Z}]+(?![^\t-\r\x{85}\p{Z}])|[^\t-\r\x{85}\p{Z}\p{L}]+)");
  EXPECT_EQ(toPcre2Pattern(R"([\s])"), R"([\t-\r\x{85}\p{Z}])");
  EXPECT_EQ(toPcre2Pattern(R"(\\s)"), R"(\\s)"); // An escaped backslash.
  EXPECT_EQ(toPcre2Pattern(R"([]\s])"), R"([]\t-\r\x{85}\p{Z}])");
  EXPECT_EQ(toPcre2Pattern(R"([\S])"), std::nullopt);
  // U+180E is not White_Space (PCRE2's own \s says it is), U+0085 is.
  std::string err;
  auto pt = PreTokenizer::create({R"(\s+|\S+)"}, err);
  ASSERT_TRUE(pt) << err;
  std::vector<Span> pieces;
  pt->split("a\xe1\xa0\x8e" "b\xc2\x85" "c", pieces);
  ASSERT_EQ(pieces.size(), 3u);
  EXPECT_EQ(pieces[0].end, 5u); // "a", U+180E, "b" together.
  EXPECT_EQ(pieces[1].end, 7u); // U+0085 alone.
}

TEST(Tokenizer, ConcurrentEncode) {
  auto tok = toy();
  std::string text;
  for (int i = 0; i < 200; ++i)
    text += "hello world aba aaaaa <|end|> \xe4\xb8\xad ";
  Ids want = tok->encode(text);
  std::vector<std::thread> threads;
  std::vector<bool> same(4, false);
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      bool ok = true;
      for (int i = 0; i < 20; ++i)
        ok = ok && tok->encode(text) == want;
      same[t] = ok;
    });
  for (auto &th : threads)
    th.join();
  for (bool ok : same)
    EXPECT_TRUE(ok);
}

} // namespace
