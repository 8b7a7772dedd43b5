//===- ManifestTest.cpp - Parsing and rejecting manifests -----------------===//
#include "runtime/core/Manifest.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

using namespace lmc::rt;
using json = nlohmann::json;

namespace {

json validManifest() {
  return json::parse(R"({
    "format": 1, "arch": "qwen3", "name": "Qwen3 0.6B",
    "vocab_size": 151936, "context_length": 40960,
    "cache": {"layers": 28, "streams": 2, "heads": 8, "dim": 128, "dtype": "f32"},
    "weights": {"file_size": 123, "fingerprint": "0123456789abcdef"},
    "tokens": {"bos": -1, "eos": [151645, 151643], "add_bos": false},
    "chat": {"format": "chatml"}
  })");
}

/// Parses j and expects failure with an error containing `message`.
void expectRejected(const json &j, const std::string &message) {
  Manifest m;
  std::string err;
  EXPECT_FALSE(Manifest::parse(j.dump(), m, err)) << j.dump();
  EXPECT_NE(err.find(message), std::string::npos)
      << "error '" << err << "' lacks '" << message << "'";
}

} // namespace

TEST(Manifest, ParsesTheDocumentedExample) {
  Manifest m;
  std::string err;
  ASSERT_TRUE(Manifest::parse(validManifest().dump(), m, err)) << err;
  EXPECT_EQ(m.format, 1);
  EXPECT_EQ(m.arch, "qwen3");
  EXPECT_EQ(m.name, "Qwen3 0.6B");
  EXPECT_EQ(m.vocabSize, 151936);
  EXPECT_EQ(m.contextLength, 40960);
  EXPECT_EQ(m.cache.layers, 28);
  EXPECT_EQ(m.cache.streams, 2);
  EXPECT_EQ(m.cache.heads, 8);
  EXPECT_EQ(m.cache.dim, 128);
  EXPECT_EQ(m.cache.dtype, "f32");
  EXPECT_EQ(m.cache.elementBytes(), 4);
  EXPECT_EQ(m.weights.fileSize, 123u);
  EXPECT_EQ(m.weights.fingerprint, "0123456789abcdef");
  EXPECT_EQ(m.tokens.bos, -1);
  EXPECT_EQ(m.tokens.eos, (std::vector<int32_t>{151645, 151643}));
  EXPECT_FALSE(m.tokens.addBos);
  EXPECT_EQ(m.chatFormat, "chatml");
  EXPECT_TRUE(m.isEos(151643));
  EXPECT_FALSE(m.isEos(0));
}

TEST(Manifest, OptionalAndUnknownKeys) {
  json j = validManifest();
  j.erase("name");
  j.erase("chat");
  j["something_new"] = {{"x", 1}};
  j["cache"]["future"] = true;
  j["tokens"]["eos"] = json::array();
  j["tokens"]["bos"] = 1;
  j["tokens"]["add_bos"] = true;
  j["cache"]["streams"] = 1; // a latent (MLA) cache
  Manifest m;
  std::string err;
  ASSERT_TRUE(Manifest::parse(j.dump(), m, err)) << err;
  EXPECT_EQ(m.name, "");
  EXPECT_EQ(m.chatFormat, "");
  EXPECT_TRUE(m.tokens.eos.empty());
  EXPECT_TRUE(m.tokens.addBos);
  EXPECT_EQ(m.cache.streams, 1);
  // A trailing NUL from the embedding is not the parser's business (Model
  // strips it), but large file sizes are.
  j["weights"]["file_size"] = 17000000000ull;
  ASSERT_TRUE(Manifest::parse(j.dump(), m, err)) << err;
  EXPECT_EQ(m.weights.fileSize, 17000000000ull);
}

TEST(Manifest, RejectsMalformedText) {
  Manifest m;
  std::string err;
  EXPECT_FALSE(Manifest::parse("{\"format\": 1,", m, err));
  EXPECT_NE(err.find("not valid JSON"), std::string::npos) << err;
  EXPECT_FALSE(Manifest::parse("", m, err));
  EXPECT_FALSE(Manifest::parse("[1, 2]", m, err));
  EXPECT_NE(err.find("must be a JSON object"), std::string::npos) << err;
  EXPECT_FALSE(Manifest::parse("42", m, err));
}

TEST(Manifest, RejectsWrongFormatVersion) {
  json j = validManifest();
  j["format"] = 2;
  expectRejected(j, "manifest format 2 is not supported");
  j.erase("format");
  expectRejected(j, "'format' is missing");
  j["format"] = "1";
  expectRejected(j, "'format' must be an integer");
}

TEST(Manifest, RejectsBadTopLevelValues) {
  json j = validManifest();
  j.erase("vocab_size");
  expectRejected(j, "'vocab_size' is missing");
  j = validManifest();
  j["vocab_size"] = -5;
  expectRejected(j, "'vocab_size' must be in [1, 2147483647], not -5");
  j["vocab_size"] = 3000000000ull;
  expectRejected(j, "'vocab_size' must be in");
  j["vocab_size"] = 12.5;
  expectRejected(j, "'vocab_size' must be an integer");
  j = validManifest();
  j["context_length"] = 0;
  expectRejected(j, "'context_length' must be in");
  j = validManifest();
  j["arch"] = 3;
  expectRejected(j, "'arch' must be a string");
  j["arch"] = "";
  expectRejected(j, "'arch' must not be empty");
}

TEST(Manifest, HalfCache) {
  json j = validManifest();
  j["cache"]["dtype"] = "f16";
  Manifest m;
  std::string err;
  ASSERT_TRUE(Manifest::parse(j.dump(), m, err)) << err;
  EXPECT_EQ(m.cache.dtype, "f16");
  EXPECT_EQ(m.cache.elementBytes(), 2);
}

TEST(Manifest, RejectsBadCache) {
  json j = validManifest();
  j.erase("cache");
  expectRejected(j, "'cache' is missing");
  j["cache"] = "big";
  expectRejected(j, "'cache' must be an object");
  j = validManifest();
  j["cache"].erase("heads");
  expectRejected(j, "'cache.heads' is missing");
  j = validManifest();
  j["cache"]["layers"] = 0;
  expectRejected(j, "'cache.layers' must be in");
  j = validManifest();
  j["cache"]["dim"] = 3.5;
  expectRejected(j, "'cache.dim' must be an integer");
  j = validManifest();
  j["cache"]["dtype"] = "bf16";
  expectRejected(j, "'cache.dtype' 'bf16' is not supported");
}

TEST(Manifest, RejectsBadWeights) {
  json j = validManifest();
  j["weights"]["fingerprint"] = "0123456789ABCDEF";
  expectRejected(j, "'weights.fingerprint' must be 16 lowercase hex digits");
  j["weights"]["fingerprint"] = "0123";
  expectRejected(j, "'weights.fingerprint' must be 16 lowercase hex digits");
  j = validManifest();
  j["weights"]["file_size"] = -1;
  expectRejected(j, "'weights.file_size' must be a non-negative integer");
  j = validManifest();
  j["weights"].erase("fingerprint");
  expectRejected(j, "'weights.fingerprint' is missing");
}

TEST(Manifest, WeightParts) {
  json j = validManifest();
  j["weights"]["parts"] = json::array(
      {{{"suffix", ".1"}, {"base", 65536}, {"file_size", 70000}, {"fingerprint", "00000000000000aa"}},
       {{"suffix", "-2.st"}, {"base", 196608}, {"file_size", 5}, {"fingerprint", "00000000000000bb"}}});
  Manifest m;
  std::string err;
  ASSERT_TRUE(Manifest::parse(j.dump(), m, err)) << err;
  ASSERT_EQ(m.weights.parts.size(), 2u);
  EXPECT_EQ(m.weights.parts[1].suffix, "-2.st");
  EXPECT_EQ(m.weights.parts[1].base, 196608u);
  EXPECT_EQ(m.weights.parts[0].fileSize, 70000u);
  EXPECT_EQ(m.weights.parts[1].fingerprint, "00000000000000bb");

  json bad = j;
  bad["weights"]["parts"] = 3;
  expectRejected(bad, "'weights.parts' must be an array");
  bad = j;
  bad["weights"]["parts"][0]["suffix"] = "/../etc";
  expectRejected(bad, "'weights.parts[0].suffix' '/../etc' is not a plain file name suffix");
  bad = j;
  bad["weights"]["parts"][1]["base"] = 65536 * 2; // inside part 0
  expectRejected(bad, "'weights.parts[1].base' 131072 is not a multiple of 65536 past the end");
  bad = j;
  bad["weights"]["parts"][0]["base"] = 4096;
  expectRejected(bad, "'weights.parts[0].base' 4096 is not a multiple");
  bad = j;
  bad["weights"]["parts"][0].erase("fingerprint");
  expectRejected(bad, "'weights.parts[0].fingerprint' is missing");
  bad = j;
  bad["weights"]["parts"][1] = "x";
  expectRejected(bad, "'weights.parts[1]' must be an object");
}

TEST(Manifest, RejectsBadTokens) {
  json j = validManifest();
  j["tokens"]["eos"] = 151645;
  expectRejected(j, "'tokens.eos' must be an array");
  j["tokens"]["eos"] = {151645, 151936};
  expectRejected(j, "'tokens.eos' holds '151936'");
  j["tokens"]["eos"] = {"x"};
  expectRejected(j, "'tokens.eos' holds '\"x\"'");
  j = validManifest();
  j["tokens"]["bos"] = 151936;
  expectRejected(j, "'tokens.bos' must be in [-1, 151935]");
  j = validManifest();
  j["tokens"]["add_bos"] = true;
  expectRejected(j, "'tokens.add_bos' is true but the model has no BOS");
  j["tokens"]["add_bos"] = 1;
  expectRejected(j, "'tokens.add_bos' must be true or false");
  j = validManifest();
  j.erase("tokens");
  expectRejected(j, "'tokens' is missing");
}

TEST(Manifest, RejectsBadChat) {
  json j = validManifest();
  j["chat"] = {{"format", 7}};
  expectRejected(j, "'chat.format' must be a string");
  j["chat"] = json::object();
  expectRejected(j, "'chat.format' is missing");
}
