//===- HFConfigTest.cpp - config.json of the four architectures -----------===//
//
// The published config.json of one model per architecture parses to the
// values its model card states; defaults follow transformers' classes;
// every missing or mistyped field is a one-line error naming it.
//
//===----------------------------------------------------------------------===//

#include "HFTestUtil.h"

#include "frontends/hf/HFConfig.h"

#include <cmath>

using namespace lmc::hf;
using namespace lmc::hf::test;

namespace {

std::string dataFile(const std::string &name) {
  return std::string(LMC_HF_TEST_DATA) + "/" + name;
}

HFConfig load(const std::string &name) {
  HFConfig c;
  std::string err;
  EXPECT_TRUE(loadHFConfig(dataFile(name), c, err)) << err;
  return c;
}

HFConfig parse(const std::string &text) {
  HFConfig c;
  std::string err;
  EXPECT_TRUE(parseHFConfig(text, "config.json", c, err)) << err;
  return c;
}

void expectConfigError(const std::string &text, const std::string &needle) {
  HFConfig c;
  std::string err;
  EXPECT_FALSE(parseHFConfig(text, "config.json", c, err)) << needle;
  expectOneLineError(err, "config.json", needle);
}

/// The smallest config of each type that parses: the required fields only.
std::string minimal(const std::string &type, const std::string &extra = "") {
  std::string base = "{\"model_type\":\"" + type +
                     "\",\"vocab_size\":64,\"hidden_size\":32,"
                     "\"intermediate_size\":48,\"num_hidden_layers\":4,"
                     "\"num_attention_heads\":4";
  if (type != "deepseek_v3")
    base += ",\"num_key_value_heads\":2";
  if (type == "qwen3_moe")
    base += ",\"num_experts\":8,\"num_experts_per_tok\":2,"
            "\"moe_intermediate_size\":16";
  if (type == "gpt_oss")
    base += ",\"num_local_experts\":8,\"num_experts_per_tok\":2";
  if (type == "deepseek_v3")
    base += ",\"n_routed_experts\":8,\"num_experts_per_tok\":2,"
            "\"moe_intermediate_size\":16,\"q_lora_rank\":24,"
            "\"kv_lora_rank\":16,\"qk_nope_head_dim\":8,"
            "\"qk_rope_head_dim\":4,\"v_head_dim\":8,\"n_group\":2,"
            "\"topk_group\":1";
  return base + extra + "}";
}

TEST(HFConfig, Qwen3Dense) {
  HFConfig c = load("qwen3-4b.config.json");
  EXPECT_EQ(c.modelType, ModelType::Qwen3);
  EXPECT_STREQ(ggufArchName(c.modelType), "qwen3");
  EXPECT_EQ(c.architectures, std::vector<std::string>{"Qwen3ForCausalLM"});
  EXPECT_EQ(c.vocabSize, 151936u);
  EXPECT_EQ(c.hiddenSize, 2560u);
  EXPECT_EQ(c.intermediateSize, 9728u);
  EXPECT_EQ(c.numHiddenLayers, 36u);
  EXPECT_EQ(c.numAttentionHeads, 32u);
  EXPECT_EQ(c.numKeyValueHeads, 8u);
  EXPECT_EQ(c.headDim, 128u);
  EXPECT_EQ(c.maxPositionEmbeddings, 40960u);
  EXPECT_EQ(c.rmsNormEps, 1e-6);
  EXPECT_EQ(c.ropeTheta, 1e6);
  EXPECT_EQ(c.ropeScaling.type, RopeType::None);
  EXPECT_TRUE(c.tieWordEmbeddings);
  EXPECT_FALSE(c.attentionBias);
  EXPECT_FALSE(c.slidingWindow);
  ASSERT_EQ(c.layerTypes.size(), 36u);
  EXPECT_FALSE(c.isSlidingLayer(0));
  EXPECT_EQ(c.numExperts, 0u);
  EXPECT_FALSE(c.isMoeLayer(0));
  EXPECT_EQ(c.bosTokenId, 151643);
  EXPECT_EQ(c.eosTokenIds, std::vector<int64_t>{151645});
  EXPECT_EQ(c.torchDtype, "bfloat16");
  EXPECT_EQ(c.quantization.method, QuantMethod::None);
}

TEST(HFConfig, Qwen3Moe) {
  HFConfig c = load("qwen3-30b-a3b.config.json");
  EXPECT_EQ(c.modelType, ModelType::Qwen3Moe);
  EXPECT_STREQ(ggufArchName(c.modelType), "qwen3moe");
  EXPECT_EQ(c.hiddenSize, 2048u);
  EXPECT_EQ(c.numHiddenLayers, 48u);
  EXPECT_EQ(c.numKeyValueHeads, 4u);
  EXPECT_EQ(c.headDim, 128u) << "explicit, not hidden/heads = 64";
  EXPECT_EQ(c.numExperts, 128u);
  EXPECT_EQ(c.numExpertsPerTok, 8u);
  EXPECT_EQ(c.moeIntermediateSize, 768u);
  EXPECT_TRUE(c.normTopkProb);
  EXPECT_EQ(c.scoringFunc, "softmax");
  EXPECT_FALSE(c.tieWordEmbeddings);
  for (uint64_t i = 0; i < 48; ++i)
    EXPECT_TRUE(c.isMoeLayer(i)) << i;
}

TEST(HFConfig, GptOss) {
  HFConfig c = load("gpt-oss-120b.config.json");
  EXPECT_EQ(c.modelType, ModelType::GptOss);
  EXPECT_STREQ(ggufArchName(c.modelType), "gpt-oss");
  EXPECT_EQ(c.hiddenSize, 2880u);
  EXPECT_EQ(c.numHiddenLayers, 36u);
  EXPECT_EQ(c.headDim, 64u);
  EXPECT_EQ(c.numAttentionHeads, 64u);
  EXPECT_EQ(c.numKeyValueHeads, 8u);
  EXPECT_EQ(c.numExperts, 128u);
  EXPECT_EQ(c.numExpertsPerTok, 4u);
  EXPECT_EQ(c.moeIntermediateSize, 2880u);
  EXPECT_TRUE(c.attentionBias);
  EXPECT_TRUE(c.attentionSinks);
  EXPECT_EQ(c.slidingWindow, 128u);
  EXPECT_TRUE(c.isSlidingLayer(0));
  EXPECT_FALSE(c.isSlidingLayer(1));
  EXPECT_TRUE(c.isSlidingLayer(34));
  EXPECT_FALSE(c.isSlidingLayer(35));
  EXPECT_EQ(c.swigluLimit, 7.0);
  EXPECT_EQ(c.swigluAlpha, 1.702);
  EXPECT_EQ(c.initialContextLength, 4096u);
  EXPECT_EQ(c.rmsNormEps, 1e-5);
  EXPECT_EQ(c.ropeTheta, 150000.0);
  EXPECT_EQ(c.ropeScaling.type, RopeType::Yarn);
  EXPECT_EQ(c.ropeScaling.factor, 32.0);
  EXPECT_EQ(c.ropeScaling.originalMaxPositionEmbeddings, 4096u);
  EXPECT_EQ(c.ropeScaling.betaFast, 32.0);
  EXPECT_EQ(c.ropeScaling.betaSlow, 1.0);
  EXPECT_FALSE(c.ropeScaling.truncate);
  // 0.1 ln 32 + 1, the concentration of openai/gpt-oss's RotaryEmbedding.
  EXPECT_NEAR(c.ropeScaling.yarnAttentionFactor(), 0.1 * std::log(32.0) + 1.0,
              1e-15);
  EXPECT_EQ(c.padTokenId, 199999);
  EXPECT_EQ(c.quantization.method, QuantMethod::Mxfp4);
  EXPECT_TRUE(c.quantization.keepsUnquantized("model.layers.5.self_attn"));
  EXPECT_TRUE(
      c.quantization.keepsUnquantized("model.layers.5.self_attn.q_proj"));
  EXPECT_TRUE(c.quantization.keepsUnquantized("lm_head"));
  EXPECT_FALSE(c.quantization.keepsUnquantized("model.layers.5.mlp.experts"));
  EXPECT_TRUE(c.quantization.keepsUnquantized("model.layers.5.mlp.router"));
  for (uint64_t i = 0; i < 36; ++i)
    EXPECT_TRUE(c.isMoeLayer(i));
}

TEST(HFConfig, DeepseekV3) {
  HFConfig c = load("deepseek-v3.config.json");
  EXPECT_EQ(c.modelType, ModelType::DeepseekV3);
  EXPECT_STREQ(ggufArchName(c.modelType), "deepseek2");
  EXPECT_EQ(c.hiddenSize, 7168u);
  EXPECT_EQ(c.numHiddenLayers, 61u);
  EXPECT_EQ(c.numAttentionHeads, 128u);
  EXPECT_EQ(c.qLoraRank, 1536u);
  EXPECT_EQ(c.kvLoraRank, 512u);
  EXPECT_EQ(c.qkNopeHeadDim, 128u);
  EXPECT_EQ(c.qkRopeHeadDim, 64u);
  EXPECT_EQ(c.vHeadDim, 128u);
  EXPECT_EQ(c.headDim, 192u);
  EXPECT_TRUE(c.ropeInterleave);
  EXPECT_EQ(c.numExperts, 256u);
  EXPECT_EQ(c.numExpertsPerTok, 8u);
  EXPECT_EQ(c.numSharedExperts, 1u);
  EXPECT_EQ(c.moeIntermediateSize, 2048u);
  EXPECT_EQ(c.intermediateSize, 18432u);
  EXPECT_EQ(c.nGroup, 8u);
  EXPECT_EQ(c.topkGroup, 4u);
  EXPECT_EQ(c.routedScalingFactor, 2.5);
  EXPECT_EQ(c.scoringFunc, "sigmoid");
  EXPECT_EQ(c.topkMethod, "noaux_tc");
  EXPECT_TRUE(c.normTopkProb);
  EXPECT_EQ(c.firstKDenseReplace, 3u);
  EXPECT_FALSE(c.isMoeLayer(2));
  EXPECT_TRUE(c.isMoeLayer(3));
  EXPECT_TRUE(c.isMoeLayer(60));
  EXPECT_EQ(c.numNextnPredictLayers, 1u);
  EXPECT_EQ(c.maxPositionEmbeddings, 163840u);
  EXPECT_EQ(c.ropeScaling.type, RopeType::Yarn) << "legacy 'type' key";
  EXPECT_EQ(c.ropeScaling.factor, 40.0);
  EXPECT_EQ(c.ropeScaling.mscale, 1.0);
  EXPECT_EQ(c.ropeScaling.mscaleAllDim, 1.0);
  EXPECT_TRUE(c.ropeScaling.truncate);
  // mscale == mscale_all_dim: the cos/sin factor is exactly 1 (the whole
  // magnitude correction moves into DeepSeek's softmax scale).
  EXPECT_EQ(c.ropeScaling.yarnAttentionFactor(), 1.0);
  EXPECT_EQ(c.quantization.method, QuantMethod::Fp8);
  EXPECT_EQ(c.quantization.fmt, "e4m3");
  EXPECT_EQ(c.quantization.weightBlockSize, (std::vector<uint64_t>{128, 128}));
  EXPECT_EQ(c.quantization.activationScheme, "dynamic");
}

TEST(HFConfig, ConfigFromAFolder) {
  TempDir dir;
  writeFile(dir.file("config.json"), minimal("qwen3"));
  HFConfig c;
  std::string err;
  ASSERT_TRUE(loadHFConfig(dir.path(), c, err)) << err;
  EXPECT_EQ(c.vocabSize, 64u);
  EXPECT_FALSE(loadHFConfig(dir.file("nope"), c, err));
  expectOneLineError(err, dir.file("nope"), "cannot open");
}

TEST(HFConfig, TransformersDefaults) {
  HFConfig q = parse(minimal("qwen3"));
  EXPECT_EQ(q.headDim, 128u) << "Qwen3Config.head_dim defaults to 128";
  EXPECT_EQ(q.rmsNormEps, 1e-6);
  EXPECT_EQ(q.ropeTheta, 10000.0);
  EXPECT_EQ(q.maxPositionEmbeddings, 32768u);
  EXPECT_FALSE(q.tieWordEmbeddings);
  EXPECT_EQ(q.hiddenAct, "silu");

  HFConfig m = parse(minimal("qwen3_moe"));
  EXPECT_EQ(m.headDim, 8u) << "Qwen3-MoE without head_dim: hidden / heads";
  EXPECT_FALSE(m.normTopkProb);
  EXPECT_EQ(m.decoderSparseStep, 1u);

  HFConfig g = parse(minimal("gpt_oss"));
  EXPECT_EQ(g.headDim, 64u);
  EXPECT_EQ(g.ropeTheta, 150000.0);
  EXPECT_EQ(g.rmsNormEps, 1e-5);
  EXPECT_TRUE(g.attentionBias);
  EXPECT_EQ(g.slidingWindow, 128u);
  EXPECT_EQ(g.ropeScaling.type, RopeType::Yarn) << "GptOssConfig default";
  EXPECT_EQ(g.ropeScaling.factor, 32.0);
  EXPECT_FALSE(g.ropeScaling.truncate);
  EXPECT_EQ(g.ropeScaling.originalMaxPositionEmbeddings, 4096u);
  EXPECT_TRUE(g.isSlidingLayer(0));
  EXPECT_FALSE(g.isSlidingLayer(3));
  EXPECT_EQ(g.swigluLimit, 7.0);

  HFConfig d = parse(minimal("deepseek_v3"));
  EXPECT_EQ(d.numKeyValueHeads, 4u) << "unused by MLA: defaults to the heads";
  EXPECT_EQ(d.numSharedExperts, 1u);
  EXPECT_EQ(d.routedScalingFactor, 2.5);
  EXPECT_EQ(d.firstKDenseReplace, 3u);
  EXPECT_TRUE(d.normTopkProb);
  EXPECT_EQ(d.scoringFunc, "sigmoid");
  EXPECT_EQ(d.topkMethod, "noaux_tc");
  EXPECT_EQ(d.maxPositionEmbeddings, 4096u);
  EXPECT_EQ(d.numNextnPredictLayers, 0u);
  EXPECT_TRUE(d.ropeInterleave);
}

TEST(HFConfig, NullMeansTheTransformersFallback) {
  HFConfig c = parse(minimal("qwen3", ",\"head_dim\":null,"
                                      "\"num_key_value_heads\":null"));
  // (num_key_value_heads appears twice; the last wins, as in Python.)
  EXPECT_EQ(c.headDim, 8u);
  EXPECT_EQ(c.numKeyValueHeads, 4u);
  HFConfig d = parse(minimal("deepseek_v3", ",\"q_lora_rank\":null"));
  EXPECT_FALSE(d.qLoraRank) << "no low-rank query path";
}

TEST(HFConfig, SlidingWindowRules) {
  HFConfig q = parse(minimal("qwen3", ",\"use_sliding_window\":true,"
                                      "\"sliding_window\":64,"
                                      "\"max_window_layers\":2"));
  EXPECT_EQ(q.slidingWindow, 64u);
  EXPECT_FALSE(q.isSlidingLayer(1));
  EXPECT_TRUE(q.isSlidingLayer(2));
  EXPECT_TRUE(q.isSlidingLayer(3));
  // Without use_sliding_window the window is ignored (Qwen3Config).
  EXPECT_FALSE(parse(minimal("qwen3", ",\"sliding_window\":64")).slidingWindow);
  HFConfig g = parse(minimal(
      "gpt_oss", ",\"layer_types\":[\"full_attention\",\"full_attention\","
                 "\"sliding_attention\",\"full_attention\"]"));
  EXPECT_FALSE(g.isSlidingLayer(0));
  EXPECT_TRUE(g.isSlidingLayer(2));
  HFConfig m = parse(minimal("qwen3_moe", ",\"use_sliding_window\":true"));
  EXPECT_EQ(m.slidingWindow, 4096u);
  EXPECT_TRUE(m.isSlidingLayer(0) && m.isSlidingLayer(3));
}

TEST(HFConfig, MoeLayerRules) {
  HFConfig m = parse(minimal("qwen3_moe", ",\"decoder_sparse_step\":2,"
                                          "\"mlp_only_layers\":[3]"));
  EXPECT_FALSE(m.isMoeLayer(0));
  EXPECT_TRUE(m.isMoeLayer(1));
  EXPECT_FALSE(m.isMoeLayer(2));
  EXPECT_FALSE(m.isMoeLayer(3)) << "listed in mlp_only_layers";
  HFConfig d = parse(minimal("deepseek_v3", ",\"first_k_dense_replace\":1,"
                                            "\"moe_layer_freq\":2"));
  EXPECT_FALSE(d.isMoeLayer(0));
  EXPECT_FALSE(d.isMoeLayer(1));
  EXPECT_TRUE(d.isMoeLayer(2));
  EXPECT_FALSE(d.isMoeLayer(3));
}

TEST(HFConfig, RopeVariants) {
  HFConfig lin = parse(minimal(
      "qwen3", ",\"rope_scaling\":{\"rope_type\":\"linear\",\"factor\":4}"));
  EXPECT_EQ(lin.ropeScaling.type, RopeType::Linear);
  EXPECT_EQ(lin.ropeScaling.factor, 4.0);
  HFConfig def =
      parse(minimal("qwen3", ",\"rope_scaling\":{\"rope_type\":\"default\"}"));
  EXPECT_EQ(def.ropeScaling.type, RopeType::None);
  // YaRN without original_max_position_embeddings uses the model context.
  HFConfig y = parse(
      minimal("qwen3", ",\"max_position_embeddings\":1000,\"rope_scaling\":"
                       "{\"type\":\"yarn\",\"factor\":4.0}"));
  EXPECT_EQ(y.ropeScaling.originalMaxPositionEmbeddings, 1000u);
  EXPECT_TRUE(y.ropeScaling.truncate);
  EXPECT_NEAR(y.ropeScaling.yarnAttentionFactor(), 0.1 * std::log(4.0) + 1,
              1e-15);
  // transformers 5 writes rope_parameters, with rope_theta inside.
  HFConfig v5 = parse(minimal(
      "qwen3", ",\"rope_parameters\":{\"rope_type\":\"yarn\",\"factor\":2,"
               "\"rope_theta\":5e5,\"original_max_position_embeddings\":64}"));
  EXPECT_EQ(v5.ropeTheta, 5e5);
  EXPECT_EQ(v5.ropeScaling.type, RopeType::Yarn);
  EXPECT_EQ(v5.ropeScaling.originalMaxPositionEmbeddings, 64u);
  // Magnitude scaling with mscale != mscale_all_dim, and an explicit factor.
  HFConfig ms = parse(minimal(
      "deepseek_v3", ",\"rope_scaling\":{\"type\":\"yarn\",\"factor\":40,"
                     "\"mscale\":0.707,\"mscale_all_dim\":1.0}"));
  double m1 = 0.1 * 0.707 * std::log(40.0) + 1, m2 = 0.1 * std::log(40.0) + 1;
  EXPECT_NEAR(ms.ropeScaling.yarnAttentionFactor(), m1 / m2, 1e-15);
  HFConfig af = parse(
      minimal("qwen3", ",\"rope_scaling\":{\"rope_type\":\"yarn\",\"factor\":8,"
                       "\"attention_factor\":1.25}"));
  EXPECT_EQ(af.ropeScaling.yarnAttentionFactor(), 1.25);
}

TEST(HFConfig, QuantizationConfigs) {
  HFConfig f = parse(minimal(
      "qwen3", ",\"quantization_config\":{\"quant_method\":\"fp8\","
               "\"weight_block_size\":[64,32],\"activation_scheme\":\"static\","
               "\"scale_fmt\":\"ue8m0\",\"modules_to_not_convert\":null}"));
  EXPECT_EQ(f.quantization.method, QuantMethod::Fp8);
  EXPECT_EQ(f.quantization.weightBlockSize, (std::vector<uint64_t>{64, 32}));
  EXPECT_EQ(f.quantization.fmt, "e4m3");
  EXPECT_EQ(f.quantization.scaleFmt, "ue8m0");
  EXPECT_TRUE(f.quantization.modulesToNotConvert.empty());
  HFConfig none = parse(minimal("qwen3", ",\"quantization_config\":null"));
  EXPECT_EQ(none.quantization.method, QuantMethod::None);
}

TEST(HFConfig, UnknownFieldsAreIgnored) {
  HFConfig c = parse(
      minimal("qwen3",
              ",\"auto_map\":{\"x\":[1,2,{\"y\":null}]},\"use_cache\":true,"
              "\"some_future_field\":\"anything\",\"initializer_range\":0.02"));
  EXPECT_EQ(c.hiddenSize, 32u);
}

TEST(HFConfig, MissingRequiredFields) {
  for (const char *field :
       {"vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers",
        "num_attention_heads", "num_key_value_heads"}) {
    SCOPED_TRACE(field);
    std::string text = minimal("qwen3");
    std::string key = std::string("\"") + field + "\":";
    size_t at = text.find(key);
    ASSERT_NE(at, std::string::npos);
    size_t comma = text.find_first_of(",}", at);
    text.erase(at, comma - at + (text[comma] == ',' ? 1 : 0));
    if (text.back() != '}')
      text += "}";
    if (text[text.size() - 2] == ',')
      text.erase(text.size() - 2, 1);
    expectConfigError(text, std::string("field '") + field + "' is missing");
  }
  expectConfigError("{}", "field 'model_type' is missing");
  expectConfigError(
      "{\"model_type\":\"qwen3_moe\",\"vocab_size\":64,\"hidden_size\":32,"
      "\"intermediate_size\":48,\"num_hidden_layers\":4,"
      "\"num_attention_heads\":4,\"num_key_value_heads\":2,"
      "\"num_experts_per_tok\":2,\"moe_intermediate_size\":16}",
      "field 'num_experts' is missing");
  expectConfigError(
      "{\"model_type\":\"gpt_oss\",\"vocab_size\":64,\"hidden_size\":32,"
      "\"intermediate_size\":48,\"num_hidden_layers\":4,"
      "\"num_attention_heads\":4,\"num_key_value_heads\":2,"
      "\"num_local_experts\":8}",
      "field 'num_experts_per_tok' is missing");
  std::string ds = minimal("deepseek_v3");
  size_t at = ds.find("\"q_lora_rank\":24,");
  expectConfigError(ds.substr(0, at) + ds.substr(at + 17),
                    "field 'q_lora_rank' is missing");
  at = ds.find("\"kv_lora_rank\":16,");
  expectConfigError(ds.substr(0, at) + ds.substr(at + 18),
                    "field 'kv_lora_rank' is missing");
}

TEST(HFConfig, MistypedFields) {
  expectConfigError(minimal("qwen3", ",\"hidden_size\":\"32\""),
                    "field 'hidden_size' is a string, expected an integer");
  expectConfigError(minimal("qwen3", ",\"hidden_size\":32.0"),
                    "field 'hidden_size' is a number, expected an integer");
  expectConfigError(minimal("qwen3", ",\"num_hidden_layers\":-2"),
                    "field 'num_hidden_layers' is negative (-2)");
  expectConfigError(minimal("qwen3", ",\"vocab_size\":0"),
                    "field 'vocab_size' is 0, outside [1, 2147483647]");
  expectConfigError(minimal("qwen3", ",\"vocab_size\":4294967296"),
                    "field 'vocab_size' is 4294967296, outside");
  expectConfigError(minimal("qwen3", ",\"hidden_size\":null"),
                    "field 'hidden_size' is null, expected an integer");
  expectConfigError(minimal("qwen3", ",\"rms_norm_eps\":\"1e-6\""),
                    "field 'rms_norm_eps' is a string, expected a number");
  expectConfigError(minimal("qwen3", ",\"rms_norm_eps\":0"),
                    "field 'rms_norm_eps' must be positive");
  expectConfigError(minimal("qwen3", ",\"tie_word_embeddings\":1"),
                    "field 'tie_word_embeddings' is an integer, expected true "
                    "or false");
  expectConfigError(minimal("qwen3", ",\"model_type\":7"),
                    "field 'model_type' is an integer, expected a string");
  expectConfigError(minimal("qwen3", ",\"architectures\":\"Qwen3\""),
                    "field 'architectures' is a string, expected a list");
  expectConfigError(minimal("qwen3", ",\"eos_token_id\":[1,\"2\"]"),
                    "field 'eos_token_id' element 1 is a string, expected a "
                    "token id");
  expectConfigError(minimal("qwen3", ",\"rope_scaling\":[1]"),
                    "field 'rope_scaling' is an array, expected an object");
  expectConfigError(minimal("qwen3", ",\"rope_scaling\":{\"rope_type\":"
                                     "\"yarn\",\"factor\":\"4\"}"),
                    "field 'rope_scaling.factor' is a string, expected a "
                    "number");
  expectConfigError(minimal("qwen3", ",\"rope_scaling\":{\"rope_type\":"
                                     "\"yarn\"}"),
                    "field 'rope_scaling.factor' is missing");
  expectConfigError(minimal("qwen3", ",\"rope_scaling\":{\"rope_type\":"
                                     "\"yarn\",\"factor\":4,\"truncate\":"
                                     "\"no\"}"),
                    "field 'rope_scaling.truncate' is a string, expected true "
                    "or false");
  expectConfigError(minimal("gpt_oss", ",\"layer_types\":[\"full_attention\"]"),
                    "field 'layer_types' has 1 entries, expected "
                    "num_hidden_layers (4)");
  expectConfigError(minimal("gpt_oss", ",\"layer_types\":[\"full_attention\","
                                       "\"x\",\"full_attention\","
                                       "\"full_attention\"]"),
                    "field 'layer_types' element 1 is 'x'");
  expectConfigError(minimal("qwen3_moe", ",\"mlp_only_layers\":[9]"),
                    "field 'mlp_only_layers' element 0 is 9, outside [0, 3]");
  expectConfigError(minimal("qwen3", ",\"quantization_config\":{\"quant_method"
                                     "\":\"fp8\",\"weight_block_size\":[128]}"),
                    "field 'quantization_config.weight_block_size' has 1 "
                    "elements, expected [rows, columns]");
  expectConfigError(minimal("qwen3", ",\"quantization_config\":{}"),
                    "field 'quantization_config.quant_method' is missing");
}

TEST(HFConfig, UnsupportedValues) {
  expectConfigError(minimal("llama"),
                    "field 'model_type' is 'llama', which lmc does not compile "
                    "(supported: qwen3, qwen3_moe, gpt_oss, deepseek_v3)");
  expectConfigError(minimal("qwen3", ",\"rope_scaling\":{\"rope_type\":"
                                     "\"llama3\",\"factor\":8}"),
                    "field 'rope_scaling.rope_type' is 'llama3', which lmc "
                    "does not support (supported: default, linear, yarn)");
  expectConfigError(minimal("qwen3", ",\"quantization_config\":{\"quant_method"
                                     "\":\"awq\"}"),
                    "field 'quantization_config.quant_method' is 'awq', which "
                    "lmc does not read (supported: fp8, mxfp4)");
  expectConfigError(minimal("qwen3", ",\"quantization_config\":{\"quant_method"
                                     "\":\"fp8\",\"fmt\":\"e5m2\"}"),
                    "field 'quantization_config.fmt' is 'e5m2', expected one "
                    "of e4m3");
  expectConfigError(minimal("qwen3", ",\"hidden_act\":\"gelu\""),
                    "field 'hidden_act' is 'gelu', expected one of silu");
  expectConfigError(minimal("deepseek_v3", ",\"scoring_func\":\"relu\""),
                    "field 'scoring_func' is 'relu', expected one of sigmoid, "
                    "softmax");
}

TEST(HFConfig, InconsistentValues) {
  expectConfigError(minimal("qwen3", ",\"num_key_value_heads\":3"),
                    "field 'num_attention_heads' (4) is not a multiple of "
                    "num_key_value_heads (3)");
  expectConfigError(minimal("qwen3_moe", ",\"num_experts_per_tok\":9"),
                    "field 'num_experts_per_tok' (9) exceeds the number of "
                    "experts (8)");
  expectConfigError(minimal("gpt_oss", ",\"experts_per_token\":3"),
                    "field 'experts_per_token' is 3, but "
                    "'num_experts_per_tok' is 2");
  expectConfigError(minimal("deepseek_v3", ",\"n_group\":3"),
                    "field 'n_group' (3) does not divide n_routed_experts (8)");
  expectConfigError(minimal("deepseek_v3", ",\"topk_group\":4"),
                    "field 'topk_group' (4) exceeds n_group (2)");
  expectConfigError(minimal("qwen3", ",\"head_dim\":7"),
                    "field 'head_dim' must be even");
  expectConfigError(minimal("gpt_oss", ",\"quantization_config\":{"
                                       "\"quant_method\":\"mxfp4\"}"),
                    "field 'intermediate_size' (48) is not a multiple of 32, "
                    "which MXFP4 blocks need");
  expectConfigError(minimal("gpt_oss", ",\"hidden_size\":48,"
                                       "\"quantization_config\":{"
                                       "\"quant_method\":\"mxfp4\"}"),
                    "field 'hidden_size' (48) is not a multiple of 32");
  // A null window with use_sliding_window keeps Qwen3Config's 4096.
  HFConfig c = parse(minimal("qwen3", ",\"use_sliding_window\":true,"
                                      "\"sliding_window\":null,"
                                      "\"max_window_layers\":0"));
  EXPECT_EQ(c.slidingWindow, 4096u);
  EXPECT_TRUE(c.isSlidingLayer(0));
}

TEST(HFConfig, MalformedJson) {
  expectConfigError("{\"model_type\":", "malformed JSON");
  expectConfigError("[]", "config is an array, not an object");
  expectConfigError(std::string("{}\0{}", 5), "malformed JSON: NUL byte");
  expectConfigError(std::string(100, '[') + std::string(100, ']'),
                    "JSON nests more than 64 levels deep");
}

} // namespace
