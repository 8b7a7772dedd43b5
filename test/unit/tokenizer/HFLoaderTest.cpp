//===- HFLoaderTest.cpp - tokenizer.json / tokenizer_config.json loading ---===//

#include "ToyTokenizer.h"

#include "frontends/tokenizer/HFTokenizerLoader.h"
#include "runtime/tokenizer/Tokenizer.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace lmc::rt;
using lmc::frontend::loadHFTokenizer;
using lmc::frontend::parseHFTokenizer;
using lmc::rt::test::byteLevel;
using json = nlohmann::json;

namespace {

/// A minimal Qwen2-style tokenizer.json: byte tokens, two merges, two added
/// tokens.
json makeTokenizerJson() {
  json vocab = json::object();
  for (int b = 0; b < 256; ++b)
    vocab[byteLevel(std::string(1, char(b)))] = b;
  vocab["he"] = 256;
  vocab[byteLevel(" w")] = 257;
  json j;
  j["version"] = "1.0";
  j["model"] = {{"type", "BPE"},
                {"dropout", nullptr},
                {"unk_token", nullptr},
                {"continuing_subword_prefix", ""},
                {"end_of_word_suffix", ""},
                {"byte_fallback", false},
                {"ignore_merges", false},
                {"vocab", vocab},
                {"merges", json::array({json::array({"h", "e"}),
                                        json::array({byteLevel(" "), "w"})})}};
  j["added_tokens"] = json::array(
      {{{"id", 258}, {"content", "<|im_end|>"}, {"special", true},
        {"lstrip", false}, {"rstrip", false}, {"single_word", false},
        {"normalized", false}},
       {{"id", 259}, {"content", "<think>"}, {"special", false},
        {"lstrip", false}, {"rstrip", false}, {"single_word", false},
        {"normalized", false}}});
  j["normalizer"] = {{"type", "NFC"}};
  j["pre_tokenizer"] = {
      {"type", "Sequence"},
      {"pretokenizers",
       json::array({{{"type", "Split"},
                     {"pattern",
                      {{"Regex", preTokenizerPatterns(PreTokenizerKind::Qwen2)[0]}}},
                     {"behavior", "Isolated"},
                     {"invert", false}},
                    {{"type", "ByteLevel"},
                     {"add_prefix_space", false},
                     {"trim_offsets", false},
                     {"use_regex", false}}})}};
  j["post_processor"] = {{"type", "ByteLevel"}};
  j["decoder"] = {{"type", "ByteLevel"}};
  return j;
}

std::string loadError(const json &tj, const std::string &config = "") {
  TokenizerSpec spec;
  std::string err;
  EXPECT_FALSE(parseHFTokenizer(tj.dump(), config, spec, err));
  EXPECT_EQ(err.find('\n'), std::string::npos) << err;
  return err;
}

#define EXPECT_ERROR(err, text)                                                \
  EXPECT_NE((err).find(text), std::string::npos) << "error was: " << (err)

TEST(HFLoader, LoadsMinimalTokenizer) {
  TokenizerSpec spec;
  std::string err;
  json config = {{"bos_token", nullptr},
                 {"eos_token", {{"__type", "AddedToken"}, {"content", "<|im_end|>"}}},
                 {"pad_token", "<|im_end|>"},
                 {"add_bos_token", false},
                 {"chat_template", "{{ x }}"}};
  ASSERT_TRUE(parseHFTokenizer(makeTokenizerJson().dump(), config.dump(), spec, err))
      << err;
  EXPECT_EQ(spec.tokens.size(), 260u);
  EXPECT_EQ(spec.types[258], TokenType::Control);
  EXPECT_EQ(spec.types[259], TokenType::UserDefined);
  EXPECT_EQ(spec.types[256], TokenType::Normal);
  EXPECT_EQ(spec.merges.size(), 2u);
  EXPECT_EQ(spec.preTokenizer, PreTokenizerKind::Qwen2);
  EXPECT_EQ(spec.normalizer, NormalizerKind::NFC);
  EXPECT_EQ(spec.eosIds, std::vector<int32_t>{258});
  EXPECT_EQ(spec.eotId, 258);
  EXPECT_EQ(spec.padId, 258);
  EXPECT_EQ(spec.bosId, -1);
  EXPECT_EQ(spec.chatTemplate, "{{ x }}");
  auto tok = Tokenizer::create(spec, err);
  ASSERT_TRUE(tok) << err;
  EXPECT_EQ(tok->encode("he<|im_end|> w<think>"),
            (std::vector<int32_t>{256, 258, 257, 259}));
}

TEST(HFLoader, BothMergeFormsAgree) {
  json a = makeTokenizerJson(), b = a;
  b["model"]["merges"] = json::array({"h e", byteLevel(" ") + " w"});
  TokenizerSpec sa, sb;
  std::string err;
  ASSERT_TRUE(parseHFTokenizer(a.dump(), "", sa, err)) << err;
  ASSERT_TRUE(parseHFTokenizer(b.dump(), "", sb, err)) << err;
  EXPECT_EQ(sa.merges, sb.merges);
}

TEST(HFLoader, NormalizerForms) {
  json j = makeTokenizerJson();
  TokenizerSpec spec;
  std::string err;
  j["normalizer"] = {{"type", "Sequence"}, {"normalizers", json::array()}};
  ASSERT_TRUE(parseHFTokenizer(j.dump(), "", spec, err)) << err;
  EXPECT_EQ(spec.normalizer, NormalizerKind::None);
  j["normalizer"] = nullptr;
  ASSERT_TRUE(parseHFTokenizer(j.dump(), "", spec, err)) << err;
  EXPECT_EQ(spec.normalizer, NormalizerKind::None);
  j["normalizer"] = {{"type", "NFKC"}};
  EXPECT_ERROR(loadError(j), "unsupported normalizer 'NFKC'");
}

TEST(HFLoader, TokenizerJsonErrors) {
  {
    TokenizerSpec spec;
    std::string err;
    EXPECT_FALSE(parseHFTokenizer("{\"model\": [1, 2,", "", spec, err));
    EXPECT_ERROR(err, "tokenizer.json: malformed JSON");
    EXPECT_ERROR(err, "line 1");
  }
  EXPECT_ERROR(loadError(json::array()), "expected a JSON object");
  json j = makeTokenizerJson();
  j.erase("model");
  EXPECT_ERROR(loadError(j), "model: missing");

  j = makeTokenizerJson();
  j["model"]["type"] = "Unigram";
  EXPECT_ERROR(loadError(j), "unsupported model 'Unigram'");

  j = makeTokenizerJson();
  j["model"]["vocab"]["x"] = "seven";
  EXPECT_ERROR(loadError(j), "model.vocab['x']: expected a token id, found string");

  j = makeTokenizerJson();
  j["model"]["vocab"]["zz"] = 3;
  EXPECT_ERROR(loadError(j), "id 3 is given to both");

  j = makeTokenizerJson();
  j["model"]["merges"][1] = "a b c";
  EXPECT_ERROR(loadError(j), "model.merges[1]: expected two tokens");

  j = makeTokenizerJson();
  j["model"]["merges"][0] = json::array({1, 2});
  EXPECT_ERROR(loadError(j), "model.merges[0]: expected \"a b\" or [a, b]");

  j = makeTokenizerJson();
  j["model"]["merges"][1] = json::array({"h", "zz"});
  EXPECT_ERROR(loadError(j), "model.merges: merge 1: 'zz' is not a vocabulary token");

  j = makeTokenizerJson();
  j["model"]["byte_fallback"] = true;
  EXPECT_ERROR(loadError(j), "byte fallback");

  j = makeTokenizerJson();
  j["added_tokens"][0]["lstrip"] = true;
  EXPECT_ERROR(loadError(j), "uses lstrip");

  j = makeTokenizerJson();
  j["added_tokens"][1].erase("id");
  EXPECT_ERROR(loadError(j), "added_tokens[1]: missing id");

  j = makeTokenizerJson();
  j["pre_tokenizer"] = {{"type", "Whitespace"}};
  EXPECT_ERROR(loadError(j), "unsupported pre-tokenizer 'Whitespace'");

  j = makeTokenizerJson();
  j["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "\\s+";
  EXPECT_ERROR(loadError(j), "match none of qwen2, o200k, deepseek_v3");

  j = makeTokenizerJson();
  j["pre_tokenizer"]["pretokenizers"][0]["behavior"] = "Removed";
  EXPECT_ERROR(loadError(j), "unsupported Split behavior 'Removed'");

  j = makeTokenizerJson();
  j["pre_tokenizer"]["pretokenizers"][1]["use_regex"] = true;
  EXPECT_ERROR(loadError(j), "ByteLevel with its own GPT-2 regex");

  j = makeTokenizerJson();
  j["decoder"] = {{"type", "Metaspace"}};
  EXPECT_ERROR(loadError(j), "unsupported decoder 'Metaspace'");

  j = makeTokenizerJson();
  j["added_tokens"][0]["special"] = "yes";
  EXPECT_ERROR(loadError(j), "added_tokens[0].special: expected a boolean");
}

TEST(HFLoader, ConfigErrors) {
  json j = makeTokenizerJson();
  EXPECT_ERROR(loadError(j, "{\"bos_token\": "), "tokenizer_config.json: malformed JSON");
  EXPECT_ERROR(loadError(j, json{{"bos_token", "<s>"}}.dump()),
               "tokenizer_config.json: bos_token: '<s>' is not a token");
  EXPECT_ERROR(loadError(j, json{{"eos_token", 5}}.dump()),
               "eos_token: expected a string, found number");
  EXPECT_ERROR(loadError(j, json{{"add_bos_token", true}}.dump()),
               "add_bos_token: is true but there is no bos_token");
  EXPECT_ERROR(loadError(j, json{{"chat_template", 3}}.dump()),
               "chat_template: expected a string or a list");
  EXPECT_ERROR(loadError(j, json{{"add_bos_token", "no"}}.dump()),
               "add_bos_token: expected a boolean");
}

TEST(HFLoader, NamedChatTemplates) {
  TokenizerSpec spec;
  std::string err;
  json config = {{"chat_template",
                  json::array({{{"name", "tool_use"}, {"template", "T"}},
                               {{"name", "default"}, {"template", "D"}}})}};
  ASSERT_TRUE(parseHFTokenizer(makeTokenizerJson().dump(), config.dump(), spec, err))
      << err;
  EXPECT_EQ(spec.chatTemplate, "D");
}

TEST(HFLoader, MissingFiles) {
  TokenizerSpec spec;
  std::string err;
  EXPECT_FALSE(loadHFTokenizer("/nonexistent/tokenizer.json", "", spec, err));
  EXPECT_ERROR(err, "/nonexistent/tokenizer.json: cannot open file");
}

} // namespace
