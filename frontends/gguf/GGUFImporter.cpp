//===- GGUFImporter.cpp - a GGUF file as a model description --------------===//
#include "frontends/gguf/GGUFImporter.h"
#include "frontends/gguf/GGUF.h"
#include "frontends/model/Architectures.h"
#include "frontends/tokenizer/GGUFTokenizerLoader.h"

#include <algorithm>
#include <optional>

using namespace lmc;
using namespace lmc::frontend;
using gguf::GGMLType;
using gguf::GGUFFile;

namespace {

/// Reads `<arch>.<name>` keys with llama.cpp's strict types.
class HyperparameterReader {
public:
  HyperparameterReader(const GGUFFile &file, std::string arch, std::string &error)
      : file(file), arch(std::move(arch)), error(error) {}

  bool has(const std::string &name) const { return file.has(key(name)); }

  bool u32(const std::string &name, int64_t &out) {
    uint32_t v;
    if (!file.getU32(key(name), v, error))
      return false;
    out = v;
    return true;
  }
  bool optionalU32(const std::string &name, int64_t &out) {
    return !has(name) || u32(name, out);
  }
  bool optionalF32(const std::string &name, double &out) {
    if (!has(name))
      return true;
    float v;
    if (!file.getF32(key(name), v, error))
      return false;
    out = v;
    return true;
  }
  bool boolean(const std::string &name, bool &out) {
    return file.getBool(key(name), out, error);
  }
  bool optionalString(const std::string &name, std::string &out) {
    return !has(name) || file.getString(key(name), out, error);
  }
  /// Fails with "<path>: <arch>.<name> <problem>".
  bool fail(const std::string &name, const std::string &problem) {
    error = file.errorPrefix() + key(name) + " " + problem;
    return false;
  }
  std::string key(const std::string &name) const { return arch + "." + name; }

private:
  const GGUFFile &file;
  std::string arch;
  std::string &error;
};

bool readRope(HyperparameterReader &r, ModelConfig &c) {
  RopeParams &rope = c.rope;
  std::string type = "none";
  if (!r.optionalF32("rope.freq_base", rope.base) ||
      !r.optionalU32("rope.dimension_count", rope.dim) ||
      !r.optionalString("rope.scaling.type", type))
    return false;
  if (!(rope.base > 0))
    return r.fail("rope.freq_base", "must be positive");
  if (rope.dim < 0 || rope.dim > c.headDim || rope.dim % 2 != 0)
    return r.fail("rope.dimension_count",
                  "must be even and at most the head size " + std::to_string(c.headDim));
  if (type == "none")
    return true;
  if (type != "linear" && type != "yarn")
    return r.fail("rope.scaling.type", "'" + type + "' is not none, linear or yarn");
  rope.scaling = type == "linear" ? tfm::RopeScaling::linear : tfm::RopeScaling::yarn;
  if (!r.has("rope.scaling.factor"))
    return r.fail("rope.scaling.factor", "is missing (rope.scaling.type is " + type + ")");
  if (!r.optionalF32("rope.scaling.factor", rope.factor))
    return false;
  if (!(rope.factor >= 1.0))
    return r.fail("rope.scaling.factor", "must be at least 1");
  if (rope.scaling != tfm::RopeScaling::yarn)
    return true;
  if (!r.has("rope.scaling.original_context_length"))
    return r.fail("rope.scaling.original_context_length", "is missing (YaRN needs it)");
  if (!r.u32("rope.scaling.original_context_length", rope.originalContext) ||
      !r.optionalF32("rope.scaling.yarn_beta_fast", rope.betaFast) ||
      !r.optionalF32("rope.scaling.yarn_beta_slow", rope.betaSlow))
    return false;
  if (rope.originalContext <= 0)
    return r.fail("rope.scaling.original_context_length", "must be positive");
  return true;
}

/// Fails unless every named value is positive.
bool checkPositive(HyperparameterReader &r,
                   std::initializer_list<std::pair<const char *, int64_t>> values) {
  for (auto [name, v] : values)
    if (v <= 0)
      return r.fail(name, "must be positive");
  return true;
}

/// Per-head attention sizes of GQA models: key_length = value_length.
bool readAttentionHeads(HyperparameterReader &r, ModelConfig &c) {
  if (c.heads % c.kvHeads != 0)
    return r.fail("attention.head_count", std::to_string(c.heads) +
                                              " is not a multiple of head_count_kv " +
                                              std::to_string(c.kvHeads));
  c.headDim = c.hidden / c.heads;
  int64_t valueDim = -1;
  if (!r.optionalU32("attention.key_length", c.headDim) ||
      !r.optionalU32("attention.value_length", valueDim))
    return false;
  if (c.headDim <= 0 || c.headDim % 2 != 0)
    return r.fail("attention.key_length", "must be positive and even");
  if (valueDim >= 0 && valueDim != c.headDim)
    return r.fail("attention.value_length",
                  std::to_string(valueDim) + " differs from key_length " +
                      std::to_string(c.headDim) + " (not supported for " + c.arch + ")");
  return true;
}

/// DeepSeek's multi-head latent attention, in llama.cpp's MLA layout:
/// key_length/value_length describe the latent cache entry (kv_lora + rope,
/// kv_lora), key_length_mla/value_length_mla one head (nope + rope, v).
bool readLatentAttention(HyperparameterReader &r, ModelConfig &c) {
  int64_t keyMla = 0, entry = 0, entryValue = 0;
  if (!r.has("attention.key_length_mla") || !r.has("attention.value_length_mla"))
    return r.fail("attention.key_length_mla",
                  "and value_length_mla are missing: lmc reads DeepSeek models in "
                  "llama.cpp's MLA layout (attn_k_b/attn_v_b) only");
  if (!r.u32("attention.key_length_mla", keyMla) ||
      !r.u32("attention.value_length_mla", c.vHeadDim) ||
      !r.u32("attention.kv_lora_rank", c.kvLoraRank) ||
      !r.u32("rope.dimension_count", c.qkRopeDim) ||
      !r.optionalU32("attention.q_lora_rank", c.qLoraRank) ||
      !r.optionalU32("attention.key_length", entry) ||
      !r.optionalU32("attention.value_length", entryValue))
    return false;
  if (!checkPositive(r, {{"attention.key_length_mla", keyMla},
                         {"attention.value_length_mla", c.vHeadDim},
                         {"attention.kv_lora_rank", c.kvLoraRank},
                         {"rope.dimension_count", c.qkRopeDim}}))
    return false;
  c.qkNopeDim = keyMla - c.qkRopeDim;
  if (c.qkNopeDim <= 0 || c.qkRopeDim % 2 != 0)
    return r.fail("rope.dimension_count", "must be even and below key_length_mla");
  if ((entry && entry != c.kvLoraRank + c.qkRopeDim) || (entryValue && entryValue != c.kvLoraRank))
    return r.fail("attention.key_length", "and value_length must be kv_lora_rank + rope and "
                                          "kv_lora_rank in the MLA layout");
  // The rope part is what rotates; readRope checks it against this.
  c.headDim = c.qkRopeDim;
  return true;
}

/// Mixture-of-experts sizes and routing.
bool readExperts(HyperparameterReader &r, ModelConfig &c) {
  if (!r.u32("expert_count", c.experts) || !r.u32("expert_used_count", c.expertsUsed) ||
      !r.u32("expert_feed_forward_length", c.expertFfn))
    return false;
  if (!checkPositive(r, {{"expert_count", c.experts},
                         {"expert_used_count", c.expertsUsed},
                         {"expert_feed_forward_length", c.expertFfn}}))
    return false;
  if (c.expertsUsed > c.experts)
    return r.fail("expert_used_count", std::to_string(c.expertsUsed) + " exceeds expert_count " +
                                           std::to_string(c.experts));
  if (c.arch != "deepseek2")
    return true;
  int64_t gating = 1;
  bool normalize = false;
  if (!r.u32("expert_shared_count", c.sharedExperts) ||
      !r.u32("leading_dense_block_count", c.leadingDenseLayers) ||
      !r.optionalU32("expert_gating_func", gating) ||
      !r.optionalF32("expert_weights_scale", c.expertWeightsScale) ||
      !r.optionalU32("expert_group_count", c.expertGroups) ||
      !r.optionalU32("expert_group_used_count", c.expertGroupsUsed) ||
      (r.has("expert_weights_norm") && !r.boolean("expert_weights_norm", normalize)))
    return false;
  c.normalizeExpertWeights = normalize;
  // llama.cpp: 1 softmax, 2 sigmoid.
  if (gating != 1 && gating != 2)
    return r.fail("expert_gating_func", std::to_string(gating) + " is not 1 (softmax) or 2 (sigmoid)");
  c.sigmoidRouting = gating == 2;
  if (c.expertGroups <= 0)
    c.expertGroups = 1;
  if (c.expertGroupsUsed <= 0)
    c.expertGroupsUsed = c.expertGroups;
  if (c.experts % c.expertGroups != 0 || c.expertGroupsUsed > c.expertGroups)
    return r.fail("expert_group_count", "must divide expert_count, with group_used_count <= it");
  if (c.expertGroups > 1 && !c.sigmoidRouting)
    return r.fail("expert_group_count", "needs sigmoid gating (expert_gating_func 2)");
  if (c.expertsUsed > c.experts / c.expertGroups * c.expertGroupsUsed)
    return r.fail("expert_used_count", "exceeds the experts of the groups used");
  if (!(c.expertWeightsScale > 0))
    return r.fail("expert_weights_scale", "must be positive");
  return true;
}

bool readConfig(const GGUFFile &file, ModelConfig &c, std::string &error) {
  if (!file.getString("general.architecture", c.arch, error))
    return false;
  if (!isSupportedArchitecture(c.arch)) {
    error = file.errorPrefix() + "architecture '" + c.arch +
            "' is not supported (supported: " + supportedArchitectures() + ")";
    return false;
  }
  if (file.has("general.name") && !file.getString("general.name", c.name, error))
    return false;
  HyperparameterReader r(file, c.arch, error);
  bool allMoe = c.arch == "gpt-oss" || c.arch == "qwen3moe", latent = c.arch == "deepseek2";
  if (!r.u32("block_count", c.layers) || !r.u32("embedding_length", c.hidden) ||
      !r.u32("context_length", c.contextLength) || !r.u32("attention.head_count", c.heads))
    return false;
  // Dense layers' feed-forward width (DeepSeek's leading dense layers too).
  if (!allMoe && (!r.u32("feed_forward_length", c.ffn) ||
                  !checkPositive(r, {{"feed_forward_length", c.ffn}})))
    return false;
  c.kvHeads = c.heads;
  if (!r.optionalU32("attention.head_count_kv", c.kvHeads) ||
      !checkPositive(r, {{"block_count", c.layers},
                         {"embedding_length", c.hidden},
                         {"context_length", c.contextLength},
                         {"attention.head_count", c.heads},
                         {"attention.head_count_kv", c.kvHeads}}))
    return false;
  if ((allMoe || latent) && !readExperts(r, c))
    return false;
  if (latent ? !readLatentAttention(r, c) : !readAttentionHeads(r, c))
    return false;
  if (c.arch == "gpt-oss") {
    // Every other layer (the even ones) has a window unless the file says
    // otherwise.
    c.swaPattern = 2;
    if (!r.u32("attention.sliding_window", c.slidingWindow) ||
        !r.optionalU32("attention.sliding_window_pattern", c.swaPattern))
      return false;
    if (c.slidingWindow <= 0)
      return r.fail("attention.sliding_window", "must be positive");
  }
  double eps = -1;
  if (!r.has("attention.layer_norm_rms_epsilon"))
    return r.fail("attention.layer_norm_rms_epsilon", "is missing");
  if (!r.optionalF32("attention.layer_norm_rms_epsilon", eps))
    return false;
  if (!(eps > 0))
    return r.fail("attention.layer_norm_rms_epsilon", "must be positive");
  c.rmsEps = eps;
  if (!readRope(r, c))
    return false;
  return r.optionalF32("rope.scaling.yarn_log_multiplier", c.yarnLogMultiplier);
}

std::optional<tfm::StorageType> storageOf(GGMLType t) {
  switch (t) {
  case GGMLType::F32: return tfm::StorageType::f32;
  case GGMLType::F16: return tfm::StorageType::f16;
  case GGMLType::BF16: return tfm::StorageType::bf16;
  case GGMLType::Q8_0: return tfm::StorageType::q8_0;
  case GGMLType::Q4_0: return tfm::StorageType::q4_0;
  case GGMLType::Q4_K: return tfm::StorageType::q4_k;
  case GGMLType::Q6_K: return tfm::StorageType::q6_k;
  case GGMLType::MXFP4: return tfm::StorageType::mxfp4;
  default: return std::nullopt;
  }
}

bool readWeights(const GGUFFile &file, ModelDescription &d, std::string &error) {
  for (const gguf::TensorInfo &t : file.tensors()) {
    std::optional<tfm::StorageType> storage = storageOf(t.type);
    if (!storage) {
      error = file.errorPrefix() + "tensor '" + t.name + "' has type " +
              gguf::ggmlTypeName(t.type) +
              ", which lmc cannot read (F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K, MXFP4)";
      return false;
    }
    // llama.cpp loads a quantized norm and aborts at the first decode; say so
    // up front instead.
    if (t.ne.size() == 1 && *storage != tfm::StorageType::f32) {
      error = file.errorPrefix() + "1-D tensor '" + t.name + "' is stored as " +
              gguf::ggmlTypeName(t.type) + "; norms and biases must be F32";
      return false;
    }
    WeightInfo info;
    for (auto it = t.ne.rbegin(); it != t.ne.rend(); ++it)
      info.shape.push_back(int64_t(*it));
    info.storage = *storage;
    info.offset = file.dataOffset() + t.offset;
    d.weights[t.name] = std::move(info);
  }
  auto embedding = d.weights.find("token_embd.weight");
  if (embedding == d.weights.end()) {
    error = file.errorPrefix() + "tensor 'token_embd.weight' is missing";
    return false;
  }
  if (embedding->second.shape.size() != 2) {
    error = file.errorPrefix() + "tensor 'token_embd.weight' is not 2-D";
    return false;
  }
  d.config.vocab = embedding->second.shape[0];
  return true;
}
} // namespace

bool lmc::frontend::importGGUF(const std::string &path, ImportedModel &model,
                               std::string &error) {
  std::unique_ptr<GGUFFile> file = GGUFFile::open(path, error);
  if (!file)
    return false;
  if (!readConfig(*file, model.description.config, error) ||
      !readWeights(*file, model.description, error))
    return false;
  if (hasGGUFTokenizer(*file)) {
    if (!loadGGUFTokenizer(*file, model.tokenizer, error))
      return false;
    if ((int64_t)model.tokenizer.tokens.size() > model.description.config.vocab) {
      error = file->errorPrefix() + "the tokenizer has " +
              std::to_string(model.tokenizer.tokens.size()) +
              " tokens but token_embd.weight only " +
              std::to_string(model.description.config.vocab) + " rows";
      return false;
    }
    model.chatFormat = chatFormatOf(model.tokenizer.chatTemplate);
  }
  model.weightsPath = path;
  return true;
}
