//===- HFConfig.h - config.json of the supported architectures --*- C++ -*-===//
//
// A Hugging Face config.json turned into a plain struct for the four
// architectures lmc compiles: model_type qwen3, qwen3_moe, gpt_oss and
// deepseek_v3. Field names and defaults are those of transformers'
// configuration classes (Qwen3Config, Qwen3MoeConfig, GptOssConfig,
// DeepseekV3Config) and, for DeepSeek's routing fields that transformers
// hard-codes, of DeepSeek's own configuration_deepseek.py; see
// docs/design/hf.md for the table and the sources.
//
// One deliberate difference: the fields that fix tensor shapes (vocab_size,
// hidden_size, layer/head/expert counts, ...) are required, instead of
// silently defaulting to some published model's values. Unknown fields are
// ignored; a missing or mistyped field is a one-line error naming it, e.g.
// "config.json: field 'rope_scaling.factor' is a string, expected a number".
//
//===----------------------------------------------------------------------===//

#ifndef LMC_FRONTENDS_HF_HFCONFIG_H
#define LMC_FRONTENDS_HF_HFCONFIG_H

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lmc::hf {

enum class ModelType { Qwen3, Qwen3Moe, GptOss, DeepseekV3 };

/// The config.json spelling: "qwen3", "qwen3_moe", "gpt_oss", "deepseek_v3".
const char *modelTypeName(ModelType t);
/// llama.cpp's architecture for the same model: "qwen3", "qwen3moe",
/// "gpt-oss", "deepseek2".
const char *ggufArchName(ModelType t);

enum class RopeType { None, Linear, Yarn };

/// rope_scaling (or transformers 5's rope_parameters), normalised.
struct RopeScaling {
  /// "default" (or no rope_scaling at all) is None.
  RopeType type = RopeType::None;
  /// Linear and YaRN: the context extension factor.
  double factor = 1.0;
  /// YaRN: the pre-training context; defaults to max_position_embeddings.
  uint64_t originalMaxPositionEmbeddings = 0;
  /// YaRN correction range, in rotations (defaults 32 and 1).
  double betaFast = 32.0;
  double betaSlow = 1.0;
  /// YaRN magnitude scaling (DeepSeek); absent unless given.
  std::optional<double> mscale;
  std::optional<double> mscaleAllDim;
  /// YaRN: explicit cos/sin multiplier overriding the computed one.
  std::optional<double> attentionFactor;
  /// YaRN: round the correction range outwards (floor/ceil); GPT-OSS says
  /// false.
  bool truncate = true;

  /// The multiplier transformers applies to cos and sin for YaRN:
  /// attention_factor if given; else, with both mscale and mscale_all_dim
  /// non-zero, m(factor, mscale) / m(factor, mscale_all_dim); else
  /// m(factor, 1), where m(s, k) = 1 for s <= 1, else 0.1 k ln(s) + 1.
  /// 1 for the other types.
  double yarnAttentionFactor() const;
};

enum class QuantMethod { None, Fp8, Mxfp4 };

/// quantization_config.
struct QuantizationConfig {
  QuantMethod method = QuantMethod::None;
  /// fp8: "e4m3" (the only format lmc reads).
  std::string fmt;
  /// fp8: [rows, columns] of one scale block, [128, 128] by default.
  std::vector<uint64_t> weightBlockSize;
  /// fp8: "dynamic" or "static" (how activations are quantized).
  std::string activationScheme;
  /// fp8: optional "scale_fmt" (e.g. "ue8m0"); recorded, not interpreted.
  std::string scaleFmt;
  /// Module name patterns kept unquantized ('*' matches any text).
  std::vector<std::string> modulesToNotConvert;

  /// True if `module` (e.g. "model.layers.3.self_attn") or a parent of it
  /// matches one of modulesToNotConvert.
  bool keepsUnquantized(std::string_view module) const;
};

enum class AttentionKind { Full, Sliding };

struct HFConfig {
  ModelType modelType = ModelType::Qwen3;
  std::vector<std::string> architectures;
  /// "torch_dtype" (or transformers 5's "dtype"), e.g. "bfloat16".
  std::string torchDtype;

  // Shapes.
  uint64_t vocabSize = 0;
  uint64_t hiddenSize = 0;
  /// Dense FFN width (GPT-OSS: the expert width, its only FFN).
  uint64_t intermediateSize = 0;
  uint64_t numHiddenLayers = 0;
  uint64_t numAttentionHeads = 0;
  uint64_t numKeyValueHeads = 0;
  /// Per-head query/key size. DeepSeek: qk_nope_head_dim + qk_rope_head_dim.
  uint64_t headDim = 0;
  uint64_t maxPositionEmbeddings = 0;

  // Normalisation, positions, attention.
  double rmsNormEps = 0;
  double ropeTheta = 0;
  RopeScaling ropeScaling;
  bool tieWordEmbeddings = false;
  /// Biases on q/k/v/o projections (GPT-OSS: true).
  bool attentionBias = false;
  std::string hiddenAct;
  /// Window of sliding layers (keys i - window < j <= i visible).
  std::optional<uint64_t> slidingWindow;
  /// One entry per layer, always filled (from layer_types or the
  /// architecture's rule).
  std::vector<AttentionKind> layerTypes;
  /// GPT-OSS: one learned softmax sink logit per head.
  bool attentionSinks = false;

  // Mixture of experts (numExperts == 0: dense model).
  /// num_experts (Qwen3-MoE), num_local_experts (GPT-OSS), n_routed_experts
  /// (DeepSeek).
  uint64_t numExperts = 0;
  /// num_experts_per_tok (GPT-OSS also: experts_per_token).
  uint64_t numExpertsPerTok = 0;
  /// Width of one routed expert.
  uint64_t moeIntermediateSize = 0;
  /// Renormalise the chosen experts' weights to sum to 1.
  bool normTopkProb = false;
  uint64_t numSharedExperts = 0;
  /// DeepSeek group-limited routing.
  uint64_t nGroup = 1;
  uint64_t topkGroup = 1;
  double routedScalingFactor = 1.0;
  /// "softmax" or "sigmoid".
  std::string scoringFunc;
  /// DeepSeek: "noaux_tc", "greedy" or "group_limited_greedy".
  std::string topkMethod;
  /// DeepSeek: layers below this are dense; moe_layer_freq thins the rest.
  uint64_t firstKDenseReplace = 0;
  uint64_t moeLayerFreq = 1;
  /// Qwen3-MoE: layer i is sparse iff i is not in mlp_only_layers and
  /// (i + 1) % decoder_sparse_step == 0.
  uint64_t decoderSparseStep = 1;
  std::vector<uint64_t> mlpOnlyLayers;
  /// One entry per layer: true where the FFN is a mixture of experts.
  std::vector<bool> moeLayers;

  // GPT-OSS.
  /// The clamp of the gated SwiGLU (7.0) and its sigmoid gain (1.702).
  double swigluLimit = 0;
  double swigluAlpha = 0;
  /// OpenAI's name for YaRN's original context (4096).
  uint64_t initialContextLength = 0;

  // DeepSeek multi-head latent attention.
  /// None: queries come straight from q_proj (no low-rank path).
  std::optional<uint64_t> qLoraRank;
  uint64_t kvLoraRank = 0;
  uint64_t qkNopeHeadDim = 0;
  uint64_t qkRopeHeadDim = 0;
  uint64_t vHeadDim = 0;
  /// Rope pairs interleaved (x[2i], x[2i+1]) instead of NeoX halves.
  bool ropeInterleave = false;
  /// Multi-token-prediction layers stored after the decoder layers.
  uint64_t numNextnPredictLayers = 0;

  // Special tokens.
  std::optional<int64_t> bosTokenId;
  std::optional<int64_t> padTokenId;
  std::vector<int64_t> eosTokenIds;

  QuantizationConfig quantization;

  bool isMoeLayer(uint64_t layer) const {
    return layer < moeLayers.size() && moeLayers[layer];
  }
  bool isSlidingLayer(uint64_t layer) const {
    return layer < layerTypes.size() &&
           layerTypes[layer] == AttentionKind::Sliding;
  }
};

/// Largest accepted size or count in a config (fits int32 arithmetic).
constexpr uint64_t kMaxConfigDim = (1ull << 31) - 1;
/// Largest config.json read.
constexpr uint64_t kMaxConfigFileBytes = 16ull << 20;

/// Parses config.json text; `what` names the file in messages.
bool parseHFConfig(std::string_view text, const std::string &what,
                   HFConfig &out, std::string &error);
/// Reads `path` (a config.json, or a folder containing one) and parses it.
bool loadHFConfig(const std::string &path, HFConfig &out, std::string &error);

} // namespace lmc::hf

#endif // LMC_FRONTENDS_HF_HFCONFIG_H
