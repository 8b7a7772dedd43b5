//===- WeightMap.cpp - Hugging Face tensors -> lmc's weights --------------===//
//
// One table of rules per architecture is the only place tensor names live:
// planWeights() instantiates the rules for the layers config.json declares,
// ggufNamesFor() matches a name against them. Hugging Face names are those of
// the published checkpoints (transformers' modeling_<arch>.py module paths);
// GGUF names are llama.cpp's (gguf-py constants.py / tensor_mapping.py).
//
//===----------------------------------------------------------------------===//

#include "frontends/hf/WeightMap.h"

#include "frontends/hf/Checkpoint.h"
#include "frontends/hf/Diagnostics.h"

#include <set>

using namespace lmc;
using namespace lmc::hf;

const MappedWeight *WeightPlan::find(std::string_view name) const {
  for (const MappedWeight &w : weights)
    if (w.name == name)
      return &w;
  return nullptr;
}

namespace {

using Shape = std::vector<uint64_t>;
using ShapeFn = Shape (*)(const HFConfig &);

/// How a rule's tensor becomes weights.
enum class Kind {
  Matrix,       // one to one, ne = reversed shape (FP8: + scale companion)
  Vector,       // 1-D, widened to F32
  Expert,       // one tensor per expert, stacked (FP8: + stacked scales)
  KvB,          // DeepSeek kv_b_proj -> attn_k_b (transposed) + attn_v_b
  GateUpBlocks, // GPT-OSS MXFP4 gate_up: even rows gate, odd rows up
  GateUpScales, // consumed with GateUpBlocks
  GateUpBias,   // GPT-OSS gate_up bias: even elements gate, odd up
  GateUpDense,  // GPT-OSS unquantized gate_up [E, H, 2I]: even columns gate
  DownBlocks,   // GPT-OSS MXFP4 down
  DownScales,   // consumed with DownBlocks
  DownBias,     // GPT-OSS down bias [E, H]
  DownDense,    // GPT-OSS unquantized down [E, I, H]: transposed per expert
};

/// Where a rule is instantiated.
enum class Scope {
  Embedding, // once, first
  Layer,     // every decoder (and multi-token-prediction) layer
  DenseFfn,  // layers with a dense FFN
  MoeFfn,    // layers with a mixture of experts
  Mtp,       // multi-token-prediction layers only
  Head,      // once, last
};

/// When a rule applies at all (otherwise its tensor is not expected).
enum class When {
  Always,
  QLora,
  NoQLora,
  Mxfp4Experts,
  DenseExperts,
  SharedExperts
};

/// Whether an applicable rule's tensor must be present.
enum class Need { Required, Optional, IfUntied, IfAttentionBias };

struct Rule {
  Scope scope;
  When when;
  Need need;
  Kind kind;
  const char *hf;    // "{L}" = layer, "{E}" = expert
  const char *gguf;  // "{L}" = layer
  const char *gguf2; // second output of a split, or null
  ShapeFn shape;     // the Hugging Face shape (per expert for Expert)
};

uint64_t ceilDiv(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

// Shapes, Hugging Face order ([out, in] for linear weights).
Shape sVocab(const HFConfig &c) { return {c.vocabSize, c.hiddenSize}; }
Shape sHidden(const HFConfig &c) { return {c.hiddenSize}; }
Shape sHeadDim(const HFConfig &c) { return {c.headDim}; }
Shape sQ(const HFConfig &c) {
  return {c.numAttentionHeads * c.headDim, c.hiddenSize};
}
Shape sKV(const HFConfig &c) {
  return {c.numKeyValueHeads * c.headDim, c.hiddenSize};
}
Shape sO(const HFConfig &c) {
  return {c.hiddenSize, c.numAttentionHeads * c.headDim};
}
Shape sQBias(const HFConfig &c) { return {c.numAttentionHeads * c.headDim}; }
Shape sKVBias(const HFConfig &c) { return {c.numKeyValueHeads * c.headDim}; }
Shape sHeads(const HFConfig &c) { return {c.numAttentionHeads}; }
Shape sUp(const HFConfig &c) { return {c.intermediateSize, c.hiddenSize}; }
Shape sDown(const HFConfig &c) { return {c.hiddenSize, c.intermediateSize}; }
Shape sRouter(const HFConfig &c) { return {c.numExperts, c.hiddenSize}; }
Shape sExperts(const HFConfig &c) { return {c.numExperts}; }
Shape sExpertUp(const HFConfig &c) {
  return {c.moeIntermediateSize, c.hiddenSize};
}
Shape sExpertDown(const HFConfig &c) {
  return {c.hiddenSize, c.moeIntermediateSize};
}
// GPT-OSS expert tensors (all experts in one tensor).
Shape sGateUpBlocks(const HFConfig &c) {
  return {c.numExperts, 2 * c.moeIntermediateSize, c.hiddenSize / 32, 16};
}
Shape sGateUpScales(const HFConfig &c) {
  return {c.numExperts, 2 * c.moeIntermediateSize, c.hiddenSize / 32};
}
Shape sGateUpBias(const HFConfig &c) {
  return {c.numExperts, 2 * c.moeIntermediateSize};
}
Shape sGateUpDense(const HFConfig &c) {
  return {c.numExperts, c.hiddenSize, 2 * c.moeIntermediateSize};
}
Shape sDownBlocks(const HFConfig &c) {
  return {c.numExperts, c.hiddenSize, c.moeIntermediateSize / 32, 16};
}
Shape sDownScales(const HFConfig &c) {
  return {c.numExperts, c.hiddenSize, c.moeIntermediateSize / 32};
}
Shape sDownBias(const HFConfig &c) { return {c.numExperts, c.hiddenSize}; }
Shape sDownDense(const HFConfig &c) {
  return {c.numExperts, c.moeIntermediateSize, c.hiddenSize};
}
// DeepSeek MLA.
Shape sQA(const HFConfig &c) { return {c.qLoraRank.value_or(0), c.hiddenSize}; }
Shape sQANorm(const HFConfig &c) { return {c.qLoraRank.value_or(0)}; }
Shape sQB(const HFConfig &c) {
  return {c.numAttentionHeads * (c.qkNopeHeadDim + c.qkRopeHeadDim),
          c.qLoraRank.value_or(0)};
}
Shape sMlaQ(const HFConfig &c) {
  return {c.numAttentionHeads * (c.qkNopeHeadDim + c.qkRopeHeadDim),
          c.hiddenSize};
}
Shape sKvA(const HFConfig &c) {
  return {c.kvLoraRank + c.qkRopeHeadDim, c.hiddenSize};
}
Shape sKvANorm(const HFConfig &c) { return {c.kvLoraRank}; }
Shape sKvB(const HFConfig &c) {
  return {c.numAttentionHeads * (c.qkNopeHeadDim + c.vHeadDim), c.kvLoraRank};
}
Shape sMlaO(const HFConfig &c) {
  return {c.hiddenSize, c.numAttentionHeads * c.vHeadDim};
}
Shape sSharedUp(const HFConfig &c) {
  return {c.numSharedExperts * c.moeIntermediateSize, c.hiddenSize};
}
Shape sSharedDown(const HFConfig &c) {
  return {c.hiddenSize, c.numSharedExperts * c.moeIntermediateSize};
}
Shape sEhProj(const HFConfig &c) { return {c.hiddenSize, 2 * c.hiddenSize}; }

constexpr When A = When::Always;
constexpr Need R = Need::Required;

// The rule tables read best one rule per aligned block.
// clang-format off

// Rules shared by the architectures.
const Rule kEmbedding = {Scope::Embedding, A, R, Kind::Matrix,
                         "model.embed_tokens.weight", "token_embd.weight",
                         nullptr, sVocab};
const Rule kOutputNorm = {Scope::Head, A, R, Kind::Vector, "model.norm.weight",
                          "output_norm.weight", nullptr, sHidden};
const Rule kOutput = {Scope::Head, A, Need::IfUntied, Kind::Matrix,
                      "lm_head.weight", "output.weight", nullptr, sVocab};
const Rule kAttnNorm = {Scope::Layer, A, R, Kind::Vector,
                        "model.layers.{L}.input_layernorm.weight",
                        "blk.{L}.attn_norm.weight", nullptr, sHidden};
const Rule kFfnNorm = {Scope::Layer, A, R, Kind::Vector,
                       "model.layers.{L}.post_attention_layernorm.weight",
                       "blk.{L}.ffn_norm.weight", nullptr, sHidden};

std::vector<Rule> gqaAttention() {
  const Need B = Need::IfAttentionBias;
  return {
      {Scope::Layer, A, R, Kind::Matrix,
       "model.layers.{L}.self_attn.q_proj.weight",
       "blk.{L}.attn_q.weight", nullptr, sQ},
      {Scope::Layer, A, R, Kind::Matrix,
       "model.layers.{L}.self_attn.k_proj.weight",
       "blk.{L}.attn_k.weight", nullptr, sKV},
      {Scope::Layer, A, R, Kind::Matrix,
       "model.layers.{L}.self_attn.v_proj.weight",
       "blk.{L}.attn_v.weight", nullptr, sKV},
      {Scope::Layer, A, R, Kind::Matrix,
       "model.layers.{L}.self_attn.o_proj.weight",
       "blk.{L}.attn_output.weight", nullptr, sO},
      {Scope::Layer, A, B, Kind::Vector,
       "model.layers.{L}.self_attn.q_proj.bias",
       "blk.{L}.attn_q.bias", nullptr, sQBias},
      {Scope::Layer, A, B, Kind::Vector,
       "model.layers.{L}.self_attn.k_proj.bias",
       "blk.{L}.attn_k.bias", nullptr, sKVBias},
      {Scope::Layer, A, B, Kind::Vector,
       "model.layers.{L}.self_attn.v_proj.bias",
       "blk.{L}.attn_v.bias", nullptr, sKVBias},
      {Scope::Layer, A, B, Kind::Vector,
       "model.layers.{L}.self_attn.o_proj.bias",
       "blk.{L}.attn_output.bias", nullptr, sHidden},
  };
}

std::vector<Rule> qkNorms() {
  return {
      {Scope::Layer, A, R, Kind::Vector,
       "model.layers.{L}.self_attn.q_norm.weight",
       "blk.{L}.attn_q_norm.weight", nullptr, sHeadDim},
      {Scope::Layer, A, R, Kind::Vector,
       "model.layers.{L}.self_attn.k_norm.weight",
       "blk.{L}.attn_k_norm.weight", nullptr, sHeadDim},
  };
}

std::vector<Rule> denseFfn() {
  return {
      {Scope::DenseFfn, A, R, Kind::Matrix,
       "model.layers.{L}.mlp.gate_proj.weight",
       "blk.{L}.ffn_gate.weight", nullptr, sUp},
      {Scope::DenseFfn, A, R, Kind::Matrix,
       "model.layers.{L}.mlp.up_proj.weight",
       "blk.{L}.ffn_up.weight", nullptr, sUp},
      {Scope::DenseFfn, A, R, Kind::Matrix,
       "model.layers.{L}.mlp.down_proj.weight",
       "blk.{L}.ffn_down.weight", nullptr, sDown},
  };
}

std::vector<Rule> routedExperts() {
  return {
      {Scope::MoeFfn, A, R, Kind::Matrix, "model.layers.{L}.mlp.gate.weight",
       "blk.{L}.ffn_gate_inp.weight", nullptr, sRouter},
      {Scope::MoeFfn, A, R, Kind::Expert,
       "model.layers.{L}.mlp.experts.{E}.gate_proj.weight",
       "blk.{L}.ffn_gate_exps.weight", nullptr, sExpertUp},
      {Scope::MoeFfn, A, R, Kind::Expert,
       "model.layers.{L}.mlp.experts.{E}.up_proj.weight",
       "blk.{L}.ffn_up_exps.weight", nullptr, sExpertUp},
      {Scope::MoeFfn, A, R, Kind::Expert,
       "model.layers.{L}.mlp.experts.{E}.down_proj.weight",
       "blk.{L}.ffn_down_exps.weight", nullptr, sExpertDown},
  };
}

template <typename... Lists> std::vector<Rule> concat(Lists &&...lists) {
  std::vector<Rule> out;
  (out.insert(out.end(), lists.begin(), lists.end()), ...);
  return out;
}

const std::vector<Rule> &qwen3Rules() {
  static const std::vector<Rule> rules =
      concat(std::vector<Rule>{kEmbedding, kAttnNorm}, gqaAttention(),
             qkNorms(), std::vector<Rule>{kFfnNorm}, denseFfn(),
             std::vector<Rule>{kOutputNorm, kOutput});
  return rules;
}

const std::vector<Rule> &qwen3MoeRules() {
  static const std::vector<Rule> rules = concat(
      std::vector<Rule>{kEmbedding, kAttnNorm}, gqaAttention(), qkNorms(),
      std::vector<Rule>{kFfnNorm}, denseFfn(), routedExperts(),
      std::vector<Rule>{kOutputNorm, kOutput});
  return rules;
}

const std::vector<Rule> &gptOssRules() {
  const When MX = When::Mxfp4Experts, BF = When::DenseExperts;
  static const std::vector<Rule> rules = concat(
      std::vector<Rule>{kEmbedding, kAttnNorm}, gqaAttention(),
      std::vector<Rule>{
          {Scope::Layer, A, R, Kind::Vector, "model.layers.{L}.self_attn.sinks",
           "blk.{L}.attn_sinks.weight", nullptr, sHeads},
          // GPT-OSS's pre-FFN norm is llama.cpp's post_attention_norm.
          {Scope::Layer, A, R, Kind::Vector,
           "model.layers.{L}.post_attention_layernorm.weight",
           "blk.{L}.post_attention_norm.weight", nullptr, sHidden},
          {Scope::MoeFfn, A, R, Kind::Matrix,
           "model.layers.{L}.mlp.router.weight",
           "blk.{L}.ffn_gate_inp.weight", nullptr, sRouter},
          {Scope::MoeFfn, A, R, Kind::Vector,
           "model.layers.{L}.mlp.router.bias",
           "blk.{L}.ffn_gate_inp.bias", nullptr, sExperts},
          {Scope::MoeFfn, MX, R, Kind::GateUpBlocks,
           "model.layers.{L}.mlp.experts.gate_up_proj_blocks",
           "blk.{L}.ffn_gate_exps.weight", "blk.{L}.ffn_up_exps.weight",
           sGateUpBlocks},
          {Scope::MoeFfn, MX, R, Kind::GateUpScales,
           "model.layers.{L}.mlp.experts.gate_up_proj_scales",
           "blk.{L}.ffn_gate_exps.weight", "blk.{L}.ffn_up_exps.weight",
           sGateUpScales},
          {Scope::MoeFfn, BF, R, Kind::GateUpDense,
           "model.layers.{L}.mlp.experts.gate_up_proj",
           "blk.{L}.ffn_gate_exps.weight", "blk.{L}.ffn_up_exps.weight",
           sGateUpDense},
          {Scope::MoeFfn, A, R, Kind::GateUpBias,
           "model.layers.{L}.mlp.experts.gate_up_proj_bias",
           "blk.{L}.ffn_gate_exps.bias", "blk.{L}.ffn_up_exps.bias",
           sGateUpBias},
          {Scope::MoeFfn, MX, R, Kind::DownBlocks,
           "model.layers.{L}.mlp.experts.down_proj_blocks",
           "blk.{L}.ffn_down_exps.weight", nullptr, sDownBlocks},
          {Scope::MoeFfn, MX, R, Kind::DownScales,
           "model.layers.{L}.mlp.experts.down_proj_scales",
           "blk.{L}.ffn_down_exps.weight", nullptr, sDownScales},
          {Scope::MoeFfn, BF, R, Kind::DownDense,
           "model.layers.{L}.mlp.experts.down_proj",
           "blk.{L}.ffn_down_exps.weight", nullptr, sDownDense},
          {Scope::MoeFfn, A, R, Kind::DownBias,
           "model.layers.{L}.mlp.experts.down_proj_bias",
           "blk.{L}.ffn_down_exps.bias", nullptr, sDownBias},
          kOutputNorm, kOutput});
  return rules;
}

const std::vector<Rule> &deepseekV3Rules() {
  const When QL = When::QLora, NQ = When::NoQLora, SH = When::SharedExperts;
  const Need O = Need::Optional;
  static const std::vector<Rule> rules = concat(
      std::vector<Rule>{
          kEmbedding,
          kAttnNorm,
          {Scope::Layer, NQ, R, Kind::Matrix,
           "model.layers.{L}.self_attn.q_proj.weight", "blk.{L}.attn_q.weight",
           nullptr, sMlaQ},
          {Scope::Layer, QL, R, Kind::Matrix,
           "model.layers.{L}.self_attn.q_a_proj.weight",
           "blk.{L}.attn_q_a.weight", nullptr, sQA},
          {Scope::Layer, QL, R, Kind::Vector,
           "model.layers.{L}.self_attn.q_a_layernorm.weight",
           "blk.{L}.attn_q_a_norm.weight", nullptr, sQANorm},
          {Scope::Layer, QL, R, Kind::Matrix,
           "model.layers.{L}.self_attn.q_b_proj.weight",
           "blk.{L}.attn_q_b.weight", nullptr, sQB},
          {Scope::Layer, A, R, Kind::Matrix,
           "model.layers.{L}.self_attn.kv_a_proj_with_mqa.weight",
           "blk.{L}.attn_kv_a_mqa.weight", nullptr, sKvA},
          {Scope::Layer, A, R, Kind::Vector,
           "model.layers.{L}.self_attn.kv_a_layernorm.weight",
           "blk.{L}.attn_kv_a_norm.weight", nullptr, sKvANorm},
          {Scope::Layer, A, R, Kind::KvB,
           "model.layers.{L}.self_attn.kv_b_proj.weight",
           "blk.{L}.attn_k_b.weight", "blk.{L}.attn_v_b.weight", sKvB},
          {Scope::Layer, A, R, Kind::Matrix,
           "model.layers.{L}.self_attn.o_proj.weight",
           "blk.{L}.attn_output.weight", nullptr, sMlaO},
          kFfnNorm},
      denseFfn(), routedExperts(),
      std::vector<Rule>{
          // The routing bias of noaux_tc; selection only.
          {Scope::MoeFfn, A, O, Kind::Vector,
           "model.layers.{L}.mlp.gate.e_score_correction_bias",
           "blk.{L}.exp_probs_b.bias", nullptr, sExperts},
          {Scope::MoeFfn, SH, R, Kind::Matrix,
           "model.layers.{L}.mlp.shared_experts.gate_proj.weight",
           "blk.{L}.ffn_gate_shexp.weight", nullptr, sSharedUp},
          {Scope::MoeFfn, SH, R, Kind::Matrix,
           "model.layers.{L}.mlp.shared_experts.up_proj.weight",
           "blk.{L}.ffn_up_shexp.weight", nullptr, sSharedUp},
          {Scope::MoeFfn, SH, R, Kind::Matrix,
           "model.layers.{L}.mlp.shared_experts.down_proj.weight",
           "blk.{L}.ffn_down_shexp.weight", nullptr, sSharedDown},
          // Multi-token prediction (layers num_hidden_layers and above).
          {Scope::Mtp, A, R, Kind::Matrix, "model.layers.{L}.eh_proj.weight",
           "blk.{L}.nextn.eh_proj.weight", nullptr, sEhProj},
          {Scope::Mtp, A, R, Kind::Vector, "model.layers.{L}.enorm.weight",
           "blk.{L}.nextn.enorm.weight", nullptr, sHidden},
          {Scope::Mtp, A, R, Kind::Vector, "model.layers.{L}.hnorm.weight",
           "blk.{L}.nextn.hnorm.weight", nullptr, sHidden},
          {Scope::Mtp, A, R, Kind::Matrix,
           "model.layers.{L}.embed_tokens.weight",
           "blk.{L}.nextn.embed_tokens.weight", nullptr, sVocab},
          {Scope::Mtp, A, R, Kind::Vector,
           "model.layers.{L}.shared_head.norm.weight",
           "blk.{L}.nextn.shared_head_norm.weight", nullptr, sHidden},
          {Scope::Mtp, A, R, Kind::Matrix,
           "model.layers.{L}.shared_head.head.weight",
           "blk.{L}.nextn.shared_head_head.weight", nullptr, sVocab},
          kOutputNorm, kOutput});
  return rules;
}

// clang-format on

const std::vector<Rule> &rulesFor(ModelType t) {
  switch (t) {
  case ModelType::Qwen3:
    return qwen3Rules();
  case ModelType::Qwen3Moe:
    return qwen3MoeRules();
  case ModelType::GptOss:
    return gptOssRules();
  case ModelType::DeepseekV3:
    return deepseekV3Rules();
  }
  return qwen3Rules();
}

std::string fill(const char *tmpl, uint64_t layer, uint64_t expert) {
  std::string s;
  for (const char *p = tmpl; *p;) {
    if (p[0] == '{' && p[1] == 'L' && p[2] == '}') {
      s += num(layer);
      p += 3;
    } else if (p[0] == '{' && p[1] == 'E' && p[2] == '}') {
      s += num(expert);
      p += 3;
    } else {
      s += *p++;
    }
  }
  return s;
}

/// Matches `name` against a template; {L} and {E} match decimal numbers
/// without leading zeros (at most 9 digits).
bool matchTemplate(const char *tmpl, std::string_view name, uint64_t &layer,
                   uint64_t &expert) {
  size_t i = 0;
  for (const char *p = tmpl; *p;) {
    if (p[0] == '{' && (p[1] == 'L' || p[1] == 'E') && p[2] == '}') {
      size_t start = i;
      uint64_t v = 0;
      while (i < name.size() && name[i] >= '0' && name[i] <= '9' &&
             i - start < 9)
        v = v * 10 + uint64_t(name[i++] - '0');
      if (i == start || (name[start] == '0' && i - start > 1))
        return false;
      (p[1] == 'L' ? layer : expert) = v;
      p += 3;
    } else {
      if (i >= name.size() || name[i] != *p)
        return false;
      ++i;
      ++p;
    }
  }
  return i == name.size();
}

constexpr const char *kScaleSuffix = "_scale_inv";

bool isFloatWeight(DType t) {
  return t == DType::F32 || t == DType::F16 || t == DType::BF16 ||
         t == DType::F8_E4M3;
}

Shape reversed(const Shape &s) { return Shape(s.rbegin(), s.rend()); }

class Planner {
public:
  Planner(const HFConfig &c, const Checkpoint &ckpt,
          const MappingOptions &options, WeightPlan &plan, std::string &error)
      : c(c), ckpt(ckpt), options(options), plan(plan), error(error),
        rules(rulesFor(c.modelType)) {}

  bool run() {
    plan.weights.clear();
    if (!instantiateScope(Scope::Embedding, 0, /*mtp=*/false, plan.weights))
      return false;
    for (uint64_t l = 0; l < c.numHiddenLayers; ++l)
      if (!layer(l, /*mtp=*/false))
        return false;
    if (!instantiateScope(Scope::Head, 0, /*mtp=*/false, plan.weights))
      return false;
    for (uint64_t m = 0; m < c.numNextnPredictLayers; ++m)
      if (!layer(c.numHiddenLayers + m, /*mtp=*/true))
        return false;
    return checkAllConsumed();
  }

private:
  bool fail(const std::string &problem) {
    error = ckptName() + ": " + problem;
    return false;
  }
  /// A problem with tensor `name`: reported against the file holding it.
  bool failAt(const std::string &name, const std::string &problem) {
    const CheckpointTensor *t = ckpt.find(name);
    error = (t ? t->file->path() : ckptName()) + ": " + problem;
    return false;
  }
  std::string ckptName() const {
    if (!ckpt.indexPath().empty())
      return ckpt.indexPath();
    return ckpt.files().empty() ? std::string("checkpoint")
                                : ckpt.files().front()->path();
  }

  bool applies(const Rule &r) const {
    switch (r.when) {
    case When::Always:
      return true;
    case When::QLora:
      return c.qLoraRank.has_value();
    case When::NoQLora:
      return !c.qLoraRank.has_value();
    case When::Mxfp4Experts:
      return c.quantization.method == QuantMethod::Mxfp4;
    case When::DenseExperts:
      return c.quantization.method != QuantMethod::Mxfp4;
    case When::SharedExperts:
      return c.numSharedExperts > 0;
    }
    return false;
  }
  bool required(const Rule &r) const {
    switch (r.need) {
    case Need::Required:
      return true;
    case Need::Optional:
      return false;
    case Need::IfUntied:
      return !c.tieWordEmbeddings;
    case Need::IfAttentionBias:
      return c.attentionBias;
    }
    return true;
  }
  /// Sparse FFN? Multi-token-prediction layers follow DeepSeek's rule too.
  bool isMoe(uint64_t l) const {
    if (l < c.numHiddenLayers)
      return c.isMoeLayer(l);
    return c.numExperts > 0 && l >= c.firstKDenseReplace &&
           l % c.moeLayerFreq == 0;
  }
  bool inScope(const Rule &r, Scope scope, uint64_t l, bool mtp) const {
    switch (r.scope) {
    case Scope::Embedding:
    case Scope::Head:
      return scope == r.scope;
    case Scope::Layer:
      return scope == Scope::Layer;
    case Scope::DenseFfn:
      return scope == Scope::Layer && !isMoe(l);
    case Scope::MoeFfn:
      return scope == Scope::Layer && isMoe(l);
    case Scope::Mtp:
      return scope == Scope::Layer && mtp;
    }
    return false;
  }

  /// One layer. A multi-token-prediction layer may be absent as a whole
  /// (many conversions drop it), but not in part.
  bool layer(uint64_t l, bool mtp) {
    std::vector<MappedWeight> out;
    present = missing = 0;
    firstMissing.clear();
    if (!instantiateScope(Scope::Layer, l, mtp, out))
      return false;
    if (mtp && present == 0)
      return true;
    if (missing)
      return fail(
          "missing tensor " + quoteName(firstMissing) +
          (mtp ? " (the multi-token-prediction layer is incomplete)" : ""));
    plan.weights.insert(plan.weights.end(), out.begin(), out.end());
    return true;
  }

  bool instantiateScope(Scope scope, uint64_t l, bool mtp,
                        std::vector<MappedWeight> &out) {
    bool lenient = mtp; // missing tensors are counted, decided per layer
    for (const Rule &r : rules) {
      if (!applies(r) || !inScope(r, scope, l, mtp))
        continue;
      if (r.kind == Kind::GateUpScales || r.kind == Kind::DownScales)
        continue; // consumed with their blocks
      std::string hf = fill(r.hf, l, 0);
      const bool need = required(r);
      if (r.kind == Kind::Expert) {
        if (!experts(r, l, need, lenient, out))
          return false;
        continue;
      }
      const TensorInfo *t = find(hf);
      if (!t) {
        if (need && !noteMissing(hf, lenient))
          return false;
        continue;
      }
      ++present;
      if (!build(r, hf, *t, l, out))
        return false;
    }
    return true;
  }

  bool noteMissing(const std::string &hf, bool lenient) {
    ++missing;
    if (firstMissing.empty())
      firstMissing = hf;
    return lenient || fail("missing tensor " + quoteName(hf));
  }

  const TensorInfo *find(const std::string &name) {
    const CheckpointTensor *t = ckpt.find(name);
    return t ? t->info : nullptr;
  }
  void consume(const std::string &name) { consumed.insert(name); }

  bool expectShape(const std::string &hf, const TensorInfo &t,
                   const Shape &want) {
    if (t.shape != want)
      return failAt(hf, "tensor " + quoteName(hf) + " has shape " +
                            t.shapeString() + ", but config.json implies " +
                            shapeString(want));
    return true;
  }
  bool expectDType(const std::string &hf, const TensorInfo &t, bool ok,
                   const char *expected) {
    if (!ok)
      return failAt(hf, "tensor " + quoteName(hf) + " has dtype " +
                            dtypeName(t.dtype) + ", expected " + expected);
    return true;
  }
  /// A linear weight's dtype; F8_E4M3 needs an fp8 quantization_config.
  bool weightDType(const std::string &hf, const TensorInfo &t) {
    if (!expectDType(hf, t, isFloatWeight(t.dtype),
                     "F32, F16, BF16 or F8_E4M3"))
      return false;
    if (t.dtype == DType::F8_E4M3 && c.quantization.method != QuantMethod::Fp8)
      return failAt(hf, "tensor " + quoteName(hf) +
                            " is F8_E4M3, but config.json has no fp8 "
                            "quantization_config (block size unknown)");
    return true;
  }
  uint64_t blockRows() const { return c.quantization.weightBlockSize[0]; }
  uint64_t blockCols() const { return c.quantization.weightBlockSize[1]; }

  /// The weight_scale_inv of an FP8 matrix `hf` of shape [rows, cols].
  bool fp8Scale(const std::string &hf, uint64_t rows, uint64_t cols,
                const TensorInfo *&scale, std::string &scaleName) {
    scaleName = hf + kScaleSuffix;
    scale = find(scaleName);
    if (!scale)
      return fail("missing tensor " + quoteName(scaleName) +
                  " (the block scales of F8_E4M3 " + quoteName(hf) + ")");
    Shape want = {ceilDiv(rows, blockRows()), ceilDiv(cols, blockCols())};
    if (!expectShape(scaleName, *scale, want) ||
        !expectDType(scaleName, *scale,
                     scale->dtype == DType::F32 || scale->dtype == DType::BF16,
                     "F32 or BF16"))
      return false;
    consume(scaleName);
    return true;
  }

  static quant::Format formatOf(DType t) { return *quantFormatOf(t); }
  static Encoding scaleEncoding(const TensorInfo &s) {
    return s.dtype == DType::F32 ? Encoding::Copy : Encoding::WidenToF32;
  }

  /// A plain or stacked FP8 matrix: the F8 weight plus its scale companion
  /// (or one dequantized F32 weight).
  void addFp8(MappedWeight w, const std::vector<std::string> &scaleTensors,
              const Shape &scaleNe, DType scaleType,
              std::vector<MappedWeight> &out) {
    w.fp8BlockRows = blockRows();
    w.fp8BlockCols = blockCols();
    if (options.dequantizeFp8) {
      w.format = quant::Format::F32;
      w.encoding = Encoding::DequantizeFp8;
      for (size_t i = 0; i < w.sources.size(); ++i)
        w.sources[i].scales = scaleTensors[i];
      out.push_back(std::move(w));
      return;
    }
    MappedWeight s;
    s.name = w.name + kScaleSuffix;
    s.ne = scaleNe;
    s.format = quant::Format::F32;
    s.encoding =
        scaleType == DType::F32 ? Encoding::Copy : Encoding::WidenToF32;
    for (const std::string &n : scaleTensors)
      s.sources.push_back({n, ""});
    w.scaleName = s.name;
    out.push_back(std::move(w));
    out.push_back(std::move(s));
  }

  bool build(const Rule &r, const std::string &hf, const TensorInfo &t,
             uint64_t l, std::vector<MappedWeight> &out) {
    Shape want = r.shape(c);
    if (!expectShape(hf, t, want))
      return false;
    consume(hf);
    std::string gguf = fill(r.gguf, l, 0);
    switch (r.kind) {
    case Kind::Matrix: {
      if (!weightDType(hf, t))
        return false;
      MappedWeight w{gguf,
                     reversed(t.shape),
                     formatOf(t.dtype),
                     Encoding::Copy,
                     {{hf, ""}}};
      if (t.dtype != DType::F8_E4M3) {
        out.push_back(std::move(w));
        return true;
      }
      if (t.shape.size() != 2)
        return failAt(hf, "F8_E4M3 tensor " + quoteName(hf) + " is not 2-D");
      const TensorInfo *scale;
      std::string scaleName;
      if (!fp8Scale(hf, t.shape[0], t.shape[1], scale, scaleName))
        return false;
      addFp8(std::move(w), {scaleName}, reversed(scale->shape), scale->dtype,
             out);
      return true;
    }
    case Kind::Vector: {
      if (!expectDType(hf, t,
                       t.dtype == DType::F32 || t.dtype == DType::F16 ||
                           t.dtype == DType::BF16,
                       "F32, F16 or BF16"))
        return false;
      out.push_back(
          {gguf,
           t.shape,
           quant::Format::F32,
           t.dtype == DType::F32 ? Encoding::Copy : Encoding::WidenToF32,
           {{hf, ""}}});
      return true;
    }
    case Kind::KvB:
      return kvB(hf, t, gguf, fill(r.gguf2, l, 0), out);
    case Kind::GateUpBlocks:
    case Kind::DownBlocks:
      return mxfp4(r, hf, t, l, gguf, out);
    case Kind::GateUpBias:
    case Kind::GateUpDense:
    case Kind::DownBias:
    case Kind::DownDense:
      return gptOssDense(r, hf, t, l, gguf, out);
    default:
      return fail("internal: unexpected rule kind");
    }
  }

  /// Per-expert tensors stacked into one [E, out, in] weight.
  bool experts(const Rule &r, uint64_t l, bool need, bool lenient,
               std::vector<MappedWeight> &out) {
    Shape want = r.shape(c);
    MappedWeight w;
    w.name = fill(r.gguf, l, 0);
    std::vector<std::string> scales;
    const TensorInfo *first = nullptr, *firstScale = nullptr;
    for (uint64_t e = 0; e < c.numExperts; ++e) {
      std::string hf = fill(r.hf, l, e);
      const TensorInfo *t = find(hf);
      if (!t) {
        if (need && !noteMissing(hf, lenient))
          return false;
        return true;
      }
      ++present;
      if (!expectShape(hf, *t, want) || !weightDType(hf, *t))
        return false;
      if (first && t->dtype != first->dtype)
        return failAt(hf, "tensor " + quoteName(hf) + " has dtype " +
                              dtypeName(t->dtype) + ", unlike expert 0 (" +
                              dtypeName(first->dtype) + ")");
      if (!first)
        first = t;
      consume(hf);
      w.sources.push_back({hf, ""});
      if (t->dtype == DType::F8_E4M3) {
        const TensorInfo *scale;
        std::string scaleName;
        if (!fp8Scale(hf, want[0], want[1], scale, scaleName))
          return false;
        if (firstScale && scale->dtype != firstScale->dtype)
          return failAt(scaleName,
                        "tensor " + quoteName(scaleName) +
                            " has another dtype than expert 0's scales");
        firstScale = scale;
        scales.push_back(scaleName);
      }
    }
    if (!first)
      return true; // no experts configured: nothing to stack
    w.ne = {want[1], want[0], c.numExperts};
    w.format = formatOf(first->dtype);
    if (first->dtype != DType::F8_E4M3) {
      out.push_back(std::move(w));
      return true;
    }
    Shape scaleNe = {ceilDiv(want[1], blockCols()),
                     ceilDiv(want[0], blockRows()), c.numExperts};
    addFp8(std::move(w), scales, scaleNe, firstScale->dtype, out);
    return true;
  }

  /// kv_b_proj [H*(nope+v), kvl]: per head h, rows h*(nope+v) + [0, nope)
  /// are the key part (transposed to attn_k_b, ne {nope, kvl, H}) and the
  /// next v rows the value part (attn_v_b, ne {kvl, v, H}).
  bool kvB(const std::string &hf, const TensorInfo &t, const std::string &kName,
           const std::string &vName, std::vector<MappedWeight> &out) {
    if (!weightDType(hf, t))
      return false;
    const uint64_t H = c.numAttentionHeads, nope = c.qkNopeHeadDim,
                   v = c.vHeadDim, kvl = c.kvLoraRank;
    MappedWeight k{kName,
                   {nope, kvl, H},
                   formatOf(t.dtype),
                   Encoding::Copy,
                   {{hf, ""}},
                   RowSelection{kvl, nope + v, 0, nope},
                   BlockTranspose{nope, kvl}};
    MappedWeight val{
        vName,          {kvl, v, H}, formatOf(t.dtype),
        Encoding::Copy, {{hf, ""}},  RowSelection{kvl, nope + v, nope, v},
        std::nullopt};
    if (t.dtype != DType::F8_E4M3) {
      out.push_back(std::move(k));
      out.push_back(std::move(val));
      return true;
    }
    const TensorInfo *scale;
    std::string scaleName;
    if (!fp8Scale(hf, t.shape[0], t.shape[1], scale, scaleName))
      return false;
    const uint64_t B0 = blockRows(), B1 = blockCols();
    const bool aligned = nope % B0 == 0 && v % B0 == 0;
    if (options.dequantizeFp8 || !aligned) {
      // The split cuts through scale blocks: dequantize (exactly the values
      // the checkpoint defines, in F32).
      for (MappedWeight *w : {&k, &val}) {
        w->format = quant::Format::F32;
        w->encoding = Encoding::DequantizeFp8;
        w->sources[0].scales = scaleName;
        w->fp8BlockRows = B0;
        w->fp8BlockCols = B1;
      }
      out.push_back(std::move(k));
      out.push_back(std::move(val));
      return true;
    }
    // Whole scale blocks per head part: split the scale grid the same way.
    // Transposing the key part transposes its blocks: they become B1 x B0.
    const uint64_t sc = ceilDiv(kvl, B1), sp = (nope + v) / B0;
    MappedWeight ks{kName + kScaleSuffix,
                    {nope / B0, sc, H},
                    quant::Format::F32,
                    scaleEncoding(*scale),
                    {{scaleName, ""}},
                    RowSelection{sc, sp, 0, nope / B0},
                    BlockTranspose{nope / B0, sc}};
    MappedWeight vs{
        vName + kScaleSuffix, {sc, v / B0, H},
        quant::Format::F32,   scaleEncoding(*scale),
        {{scaleName, ""}},    RowSelection{sc, sp, nope / B0, v / B0},
        std::nullopt};
    k.fp8BlockRows = B1;
    k.fp8BlockCols = B0;
    k.scaleName = ks.name;
    val.fp8BlockRows = B0;
    val.fp8BlockCols = B1;
    val.scaleName = vs.name;
    out.push_back(std::move(k));
    out.push_back(std::move(ks));
    out.push_back(std::move(val));
    out.push_back(std::move(vs));
    return true;
  }

  /// GPT-OSS MXFP4 experts: U8 blocks [E, rows, G, 16] and E8M0 scales
  /// [E, rows, G]. gate_up's rows alternate gate (even) and up (odd).
  bool mxfp4(const Rule &r, const std::string &hf, const TensorInfo &t,
             uint64_t l, const std::string &gguf,
             std::vector<MappedWeight> &out) {
    const bool gateUp = r.kind == Kind::GateUpBlocks;
    if (!expectDType(hf, t, t.dtype == DType::U8, "U8 (MXFP4 blocks)"))
      return false;
    std::string scales = hf.substr(0, hf.size() - 7) + "_scales"; // "_blocks"
    const TensorInfo *s = find(scales);
    if (!s)
      return fail("missing tensor " + quoteName(scales) +
                  " (the scales of MXFP4 " + quoteName(hf) + ")");
    Shape want = gateUp ? sGateUpScales(c) : sDownScales(c);
    if (!expectShape(scales, *s, want) ||
        !expectDType(scales, *s, s->dtype == DType::U8, "U8 (E8M0 scales)"))
      return false;
    consume(scales);
    const uint64_t E = c.numExperts, I = c.moeIntermediateSize,
                   H = c.hiddenSize;
    if (!gateUp) {
      out.push_back({gguf,
                     {I, H, E},
                     quant::Format::MXFP4,
                     Encoding::RepackMxfp4,
                     {{hf, scales}}});
      return true;
    }
    for (uint64_t part = 0; part < 2; ++part)
      out.push_back({part ? fill(r.gguf2, l, 0) : gguf,
                     {H, I, E},
                     quant::Format::MXFP4,
                     Encoding::RepackMxfp4,
                     {{hf, scales}},
                     RowSelection{H, 2, part, 1}});
    return true;
  }

  /// GPT-OSS biases and unquantized experts (transformers' layout: the
  /// gate_up projection [E, H, 2I] multiplies from the right, its columns
  /// alternating gate and up).
  bool gptOssDense(const Rule &r, const std::string &hf, const TensorInfo &t,
                   uint64_t l, const std::string &gguf,
                   std::vector<MappedWeight> &out) {
    const uint64_t E = c.numExperts, I = c.moeIntermediateSize,
                   H = c.hiddenSize;
    const bool bias = r.kind == Kind::GateUpBias || r.kind == Kind::DownBias;
    if (bias ? !expectDType(hf, t,
                            t.dtype == DType::F32 || t.dtype == DType::F16 ||
                                t.dtype == DType::BF16,
                            "F32, F16 or BF16")
             : !expectDType(hf, t,
                            t.dtype == DType::F32 || t.dtype == DType::F16 ||
                                t.dtype == DType::BF16,
                            "F32, F16 or BF16 (or MXFP4 *_blocks)"))
      return false;
    const quant::Format stored = formatOf(t.dtype);
    const quant::Format f = bias ? quant::Format::F32 : stored;
    const Encoding enc =
        bias && t.dtype != DType::F32 ? Encoding::WidenToF32 : Encoding::Copy;
    switch (r.kind) {
    case Kind::GateUpBias:
      for (uint64_t part = 0; part < 2; ++part)
        out.push_back({part ? fill(r.gguf2, l, 0) : gguf,
                       {I, E},
                       f,
                       enc,
                       {{hf, ""}},
                       RowSelection{1, 2, part, 1}});
      return true;
    case Kind::DownBias:
      out.push_back({gguf, {H, E}, f, enc, {{hf, ""}}});
      return true;
    case Kind::GateUpDense:
      for (uint64_t part = 0; part < 2; ++part)
        out.push_back({part ? fill(r.gguf2, l, 0) : gguf,
                       {H, I, E},
                       f,
                       enc,
                       {{hf, ""}},
                       RowSelection{1, 2, part, 1},
                       BlockTranspose{H, I}});
      return true;
    case Kind::DownDense:
      out.push_back({gguf,
                     {I, H, E},
                     f,
                     enc,
                     {{hf, ""}},
                     std::nullopt,
                     BlockTranspose{I, H}});
      return true;
    default:
      return fail("internal: unexpected rule kind");
    }
  }

  bool checkAllConsumed() {
    for (const auto &[name, where] : ckpt.tensors()) {
      if (consumed.count(name))
        continue;
      // Rotary tables some old checkpoints saved; recomputed from config.
      static const std::string kInvFreq = ".rotary_emb.inv_freq";
      if (name.size() > kInvFreq.size() &&
          name.compare(name.size() - kInvFreq.size(), kInvFreq.size(),
                       kInvFreq) == 0)
        continue;
      bool known = !ggufNamesFor(c.modelType, name).empty();
      return failAt(
          name, "tensor " + quoteName(name) +
                    (known ? " is not part of the model config.json describes "
                             "(" +
                                 num(c.numHiddenLayers) + " layers, " +
                                 num(c.numExperts) + " experts)"
                           : std::string(" is not a known ") +
                                 modelTypeName(c.modelType) + " tensor"));
    }
    return true;
  }

  const HFConfig &c;
  const Checkpoint &ckpt;
  const MappingOptions &options;
  WeightPlan &plan;
  std::string &error;
  const std::vector<Rule> &rules;
  std::set<std::string> consumed;
  uint64_t present = 0, missing = 0;
  std::string firstMissing;
};

} // namespace

bool lmc::hf::planWeights(const HFConfig &config, const Checkpoint &ckpt,
                          WeightPlan &plan, std::string &error,
                          const MappingOptions &options) {
  Planner p(config, ckpt, options, plan, error);
  return p.run();
}

std::vector<std::string> lmc::hf::ggufNamesFor(ModelType type,
                                               std::string_view hfName) {
  std::string_view name = hfName;
  bool scale = false;
  std::string_view suffix = kScaleSuffix;
  if (name.size() > suffix.size() &&
      name.substr(name.size() - suffix.size()) == suffix) {
    name.remove_suffix(suffix.size());
    scale = true;
  }
  for (const Rule &r : rulesFor(type)) {
    uint64_t layer = 0, expert = 0;
    if (!matchTemplate(r.hf, name, layer, expert))
      continue;
    if (scale && (r.kind == Kind::Vector || r.kind == Kind::GateUpScales ||
                  r.kind == Kind::DownScales || r.kind == Kind::GateUpBlocks ||
                  r.kind == Kind::DownBlocks || r.kind == Kind::GateUpBias ||
                  r.kind == Kind::DownBias || r.kind == Kind::GateUpDense ||
                  r.kind == Kind::DownDense))
      return {}; // only FP8 linear weights have block scales
    std::vector<std::string> out = {fill(r.gguf, layer, 0)};
    if (r.gguf2)
      out.push_back(fill(r.gguf2, layer, 0));
    if (scale)
      for (std::string &n : out)
        n += kScaleSuffix;
    return out;
  }
  return {};
}
