//===- HFConfig.cpp - config.json of the supported architectures ----------===//
//
// Defaults below are transformers' (configuration_qwen3.py,
// configuration_qwen3_moe.py, configuration_gpt_oss.py,
// configuration_deepseek_v3.py, modeling_rope_utils.py) unless a comment
// says otherwise.
//
//===----------------------------------------------------------------------===//

#include "frontends/hf/HFConfig.h"

#include "frontends/hf/Diagnostics.h"
#include "frontends/hf/JsonFile.h"

#include <cmath>
#include <set>
#include <sys/stat.h>

using namespace lmc::hf;
using json = nlohmann::json;

const char *lmc::hf::modelTypeName(ModelType t) {
  switch (t) {
  case ModelType::Qwen3:
    return "qwen3";
  case ModelType::Qwen3Moe:
    return "qwen3_moe";
  case ModelType::GptOss:
    return "gpt_oss";
  case ModelType::DeepseekV3:
    return "deepseek_v3";
  }
  return "?";
}

const char *lmc::hf::ggufArchName(ModelType t) {
  switch (t) {
  case ModelType::Qwen3:
    return "qwen3";
  case ModelType::Qwen3Moe:
    return "qwen3moe";
  case ModelType::GptOss:
    return "gpt-oss";
  case ModelType::DeepseekV3:
    return "deepseek2";
  }
  return "?";
}

double RopeScaling::yarnAttentionFactor() const {
  if (type != RopeType::Yarn)
    return 1.0;
  if (attentionFactor)
    return *attentionFactor;
  auto m = [&](double k) {
    return factor <= 1.0 ? 1.0 : 0.1 * k * std::log(factor) + 1.0;
  };
  if (mscale && mscaleAllDim && *mscale != 0.0 && *mscaleAllDim != 0.0)
    return m(*mscale) / m(*mscaleAllDim);
  return m(1.0);
}

namespace {
/// Glob match where '*' matches any (possibly empty) text.
bool globMatch(std::string_view pattern, std::string_view text) {
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*')
    ++p;
  return p == pattern.size();
}
} // namespace

bool QuantizationConfig::keepsUnquantized(std::string_view module) const {
  for (const std::string &pattern : modulesToNotConvert) {
    // The module itself or any dotted prefix of it (its parents).
    for (size_t end = module.size();; end = module.rfind('.', end - 1)) {
      if (globMatch(pattern, module.substr(0, end)))
        return true;
      if (end == 0 || module.rfind('.', end - 1) == std::string_view::npos)
        break;
    }
  }
  return false;
}

namespace {

/// Typed, named access to the fields of one JSON object. Every failure sets
/// `error` to "<file>: field '<prefix><key>' ..." and returns false.
class Fields {
public:
  Fields(const json &obj, const std::string &file, std::string prefix,
         std::string &error)
      : obj(obj), file(file), prefix(std::move(prefix)), error(error) {}

  /// Present and not null.
  bool has(const char *key) const {
    auto it = obj.find(key);
    return it != obj.end() && !it->is_null();
  }
  bool present(const char *key) const { return obj.find(key) != obj.end(); }
  const json *raw(const char *key) const {
    auto it = obj.find(key);
    return it == obj.end() ? nullptr : &*it;
  }

  bool fail(const char *key, const std::string &problem) {
    error = file + ": field '" + prefix + key + "' " + problem;
    return false;
  }
  bool missing(const char *key) { return fail(key, "is missing"); }

  /// A non-negative integer in [lo, hi]; absent or null keeps `out` unless
  /// `required`.
  bool uint(const char *key, uint64_t &out, bool required, uint64_t lo = 1,
            uint64_t hi = kMaxConfigDim) {
    const json *v = raw(key);
    if (!v || v->is_null())
      return required ? (v ? fail(key, "is null, expected an integer")
                           : missing(key))
                      : true;
    return uintValue(key, *v, out, lo, hi);
  }
  bool uintValue(const char *key, const json &v, uint64_t &out, uint64_t lo,
                 uint64_t hi) {
    if (!v.is_number_integer())
      return fail(key, std::string("is ") + jsonTypeName(v) +
                           ", expected an integer");
    if (v.is_number_integer() && !v.is_number_unsigned())
      return fail(key,
                  "is negative (" + std::to_string(v.get<int64_t>()) + ")");
    uint64_t x = v.get<uint64_t>();
    if (x < lo || x > hi)
      return fail(key, "is " + num(x) + ", outside [" + num(lo) + ", " +
                           num(hi) + "]");
    out = x;
    return true;
  }
  /// Like uint(), but null is a value of its own (none).
  bool optionalUint(const char *key, std::optional<uint64_t> &out,
                    bool required, uint64_t lo = 1) {
    const json *v = raw(key);
    if (!v)
      return required ? missing(key) : true;
    if (v->is_null()) {
      out.reset();
      return true;
    }
    uint64_t x;
    if (!uintValue(key, *v, x, lo, kMaxConfigDim))
      return false;
    out = x;
    return true;
  }
  /// A finite number (integers accepted); `positive` requires > 0.
  bool number(const char *key, double &out, bool required,
              bool positive = true) {
    const json *v = raw(key);
    if (!v || v->is_null())
      return required
                 ? (v ? fail(key, "is null, expected a number") : missing(key))
                 : true;
    if (!v->is_number())
      return fail(key, std::string("is ") + jsonTypeName(*v) +
                           ", expected a number");
    double x = v->get<double>();
    if (!std::isfinite(x))
      return fail(key, "is not finite");
    if (positive && !(x > 0))
      return fail(key, "must be positive (is " + std::to_string(x) + ")");
    out = x;
    return true;
  }
  bool optionalNumber(const char *key, std::optional<double> &out) {
    if (!has(key))
      return true;
    double x;
    if (!number(key, x, true, /*positive=*/false))
      return false;
    out = x;
    return true;
  }
  bool boolean(const char *key, bool &out) {
    const json *v = raw(key);
    if (!v || v->is_null())
      return true;
    if (!v->is_boolean())
      return fail(key, std::string("is ") + jsonTypeName(*v) +
                           ", expected true or false");
    out = v->get<bool>();
    return true;
  }
  bool string(const char *key, std::string &out, bool required) {
    const json *v = raw(key);
    if (!v || v->is_null())
      return required
                 ? (v ? fail(key, "is null, expected a string") : missing(key))
                 : true;
    if (!v->is_string())
      return fail(key, std::string("is ") + jsonTypeName(*v) +
                           ", expected a string");
    out = v->get<std::string>();
    return true;
  }
  /// A string that must be one of `allowed`.
  bool choice(const char *key, std::string &out,
              std::initializer_list<const char *> allowed) {
    if (!string(key, out, false))
      return false;
    std::string list;
    for (const char *a : allowed) {
      if (out == a)
        return true;
      list += (list.empty() ? "" : ", ") + std::string(a);
    }
    return fail(key, "is " + quoteName(out) + ", expected one of " + list);
  }
  bool stringList(const char *key, std::vector<std::string> &out) {
    const json *v = raw(key);
    if (!v || v->is_null())
      return true;
    if (!v->is_array())
      return fail(key, std::string("is ") + jsonTypeName(*v) +
                           ", expected a list of strings");
    out.clear();
    for (size_t i = 0; i < v->size(); ++i) {
      if (!(*v)[i].is_string())
        return fail(key, "element " + num(i) + " is " + jsonTypeName((*v)[i]) +
                             ", expected a string");
      out.push_back((*v)[i].get<std::string>());
    }
    return true;
  }
  bool uintList(const char *key, std::vector<uint64_t> &out, uint64_t lo,
                uint64_t hi) {
    const json *v = raw(key);
    if (!v || v->is_null())
      return true;
    if (!v->is_array())
      return fail(key, std::string("is ") + jsonTypeName(*v) +
                           ", expected a list of integers");
    out.clear();
    for (size_t i = 0; i < v->size(); ++i) {
      const json &e = (*v)[i];
      if (!e.is_number_unsigned())
        return fail(key, "element " + num(i) + " is " +
                             (e.is_number_integer() ? std::string("negative")
                                                    : jsonTypeName(e)) +
                             ", expected a non-negative integer");
      uint64_t x = e.get<uint64_t>();
      if (x < lo || x > hi)
        return fail(key, "element " + num(i) + " is " + num(x) + ", outside [" +
                             num(lo) + ", " + num(hi) + "]");
      out.push_back(x);
    }
    return true;
  }
  /// An integer token id, or a list of them (eos_token_id); null is none,
  /// and so is a negative id (some configs write -1 for "no token").
  bool tokenIds(const char *key, std::vector<int64_t> &out) {
    const json *v = raw(key);
    if (!v || v->is_null())
      return true;
    auto one = [&](const json &e, const std::string &where) {
      if (!e.is_number_integer())
        return fail(key,
                    where + "is " + jsonTypeName(e) + ", expected a token id");
      if (e.is_number_unsigned() && e.get<uint64_t>() > kMaxConfigDim)
        return fail(key, where + "is " + num(e.get<uint64_t>()) +
                             ", too large for a token id");
      if (e.is_number_unsigned())
        out.push_back(int64_t(e.get<uint64_t>()));
      return true;
    };
    out.clear();
    if (!v->is_array())
      return one(*v, "");
    for (size_t i = 0; i < v->size(); ++i)
      if (!one((*v)[i], "element " + num(i) + " "))
        return false;
    return true;
  }
  bool tokenId(const char *key, std::optional<int64_t> &out) {
    std::vector<int64_t> ids;
    const json *v = raw(key);
    if (v && v->is_array())
      return fail(key, "is an array, expected a token id");
    if (!tokenIds(key, ids))
      return false;
    if (!ids.empty())
      out = ids[0];
    return true;
  }
  /// A nested object (absent or null: `out` stays null).
  bool object(const char *key, const json *&out) {
    const json *v = raw(key);
    out = nullptr;
    if (!v || v->is_null())
      return true;
    if (!v->is_object())
      return fail(key, std::string("is ") + jsonTypeName(*v) +
                           ", expected an object");
    out = v;
    return true;
  }

  const std::string &fileName() const { return file; }

private:
  const json &obj;
  const std::string &file;
  std::string prefix;
  std::string &error;
};

/// Per-architecture defaults that differ between the four classes.
struct ArchDefaults {
  uint64_t maxPositionEmbeddings;
  double rmsNormEps;
  double ropeTheta;
  bool attentionBias;
};

ArchDefaults defaultsFor(ModelType t) {
  switch (t) {
  case ModelType::Qwen3:
  case ModelType::Qwen3Moe:
    return {32768, 1e-6, 10000.0, false};
  case ModelType::GptOss:
    return {131072, 1e-5, 150000.0, true};
  case ModelType::DeepseekV3:
    return {4096, 1e-6, 10000.0, false};
  }
  return {};
}

/// rope_theta and rope_scaling / rope_parameters, as transformers'
/// RotaryEmbeddingConfigMixin merges them: a non-null rope_scaling wins over
/// rope_parameters; rope_theta inside the chosen object wins over the
/// top-level one, which wins over the architecture default.
bool parseRope(Fields &top, HFConfig &c, std::string &error) {
  const json *scaling = nullptr;
  const char *name = "rope_scaling";
  if (!top.object("rope_scaling", scaling))
    return false;
  if (!scaling) {
    name = "rope_parameters";
    if (!top.object("rope_parameters", scaling))
      return false;
  }
  if (!top.number("rope_theta", c.ropeTheta, false))
    return false;
  RopeScaling &r = c.ropeScaling;
  r.originalMaxPositionEmbeddings = c.maxPositionEmbeddings;
  if (c.modelType == ModelType::GptOss && !scaling) {
    // GptOssConfig's default rope_parameters.
    r.type = RopeType::Yarn;
    r.factor = 32.0;
    r.betaFast = 32.0;
    r.betaSlow = 1.0;
    r.truncate = false;
    r.originalMaxPositionEmbeddings = 4096;
    return true;
  }
  if (!scaling)
    return true;
  Fields f(*scaling, top.fileName(), std::string(name) + ".", error);
  if (!f.number("rope_theta", c.ropeTheta, false))
    return false;
  std::string type;
  const char *typeKey = f.has("rope_type") ? "rope_type" : "type";
  if (!f.string(typeKey, type, false))
    return false;
  if (type.empty() || type == "default") {
    r.type = RopeType::None;
    return true;
  }
  if (type == "linear") {
    r.type = RopeType::Linear;
    return f.number("factor", r.factor, true);
  }
  if (type != "yarn")
    return f.fail(typeKey, "is " + quoteName(type) +
                               ", which lmc does not support (supported: "
                               "default, linear, yarn)");
  r.type = RopeType::Yarn;
  uint64_t original = r.originalMaxPositionEmbeddings;
  if (!f.number("factor", r.factor, true) ||
      !f.uint("original_max_position_embeddings", original, false) ||
      !f.number("beta_fast", r.betaFast, false) ||
      !f.number("beta_slow", r.betaSlow, false) ||
      !f.optionalNumber("mscale", r.mscale) ||
      !f.optionalNumber("mscale_all_dim", r.mscaleAllDim) ||
      !f.optionalNumber("attention_factor", r.attentionFactor) ||
      !f.boolean("truncate", r.truncate))
    return false;
  r.originalMaxPositionEmbeddings = original;
  if (r.betaFast <= r.betaSlow)
    return f.fail("beta_fast", "must exceed beta_slow");
  return true;
}

bool parseQuantization(Fields &top, HFConfig &c, std::string &error) {
  const json *q = nullptr;
  if (!top.object("quantization_config", q))
    return false;
  if (!q)
    return true;
  Fields f(*q, top.fileName(), "quantization_config.", error);
  std::string method;
  if (!f.string("quant_method", method, true))
    return false;
  QuantizationConfig &qc = c.quantization;
  if (!f.stringList("modules_to_not_convert", qc.modulesToNotConvert))
    return false;
  if (method == "mxfp4") {
    qc.method = QuantMethod::Mxfp4;
    return true;
  }
  if (method != "fp8")
    return f.fail("quant_method", "is " + quoteName(method) +
                                      ", which lmc does not read (supported: "
                                      "fp8, mxfp4)");
  qc.method = QuantMethod::Fp8;
  qc.fmt = "e4m3";
  qc.activationScheme = "dynamic";
  qc.weightBlockSize = {128, 128};
  if (!f.choice("fmt", qc.fmt, {"e4m3"}) ||
      !f.choice("activation_scheme", qc.activationScheme,
                {"dynamic", "static"}) ||
      !f.string("scale_fmt", qc.scaleFmt, false) ||
      !f.uintList("weight_block_size", qc.weightBlockSize, 1, kMaxConfigDim))
    return false;
  if (qc.weightBlockSize.size() != 2)
    return f.fail("weight_block_size",
                  "has " + num(qc.weightBlockSize.size()) +
                      " elements, expected [rows, columns]");
  return true;
}

/// layer_types as given, or the architecture's rule; checks length, values
/// and that sliding layers have a window.
bool parseLayerTypes(Fields &f, HFConfig &c, bool allowList,
                     const std::vector<AttentionKind> &byRule) {
  std::vector<std::string> names;
  if (allowList && !f.stringList("layer_types", names))
    return false;
  if (names.empty()) {
    c.layerTypes = byRule;
  } else {
    if (names.size() != c.numHiddenLayers)
      return f.fail("layer_types", "has " + num(names.size()) +
                                       " entries, expected num_hidden_layers "
                                       "(" +
                                       num(c.numHiddenLayers) + ")");
    c.layerTypes.clear();
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == "full_attention")
        c.layerTypes.push_back(AttentionKind::Full);
      else if (names[i] == "sliding_attention")
        c.layerTypes.push_back(AttentionKind::Sliding);
      else
        return f.fail("layer_types", "element " + num(i) + " is " +
                                         quoteName(names[i]) +
                                         ", expected 'full_attention' or "
                                         "'sliding_attention'");
    }
  }
  for (AttentionKind k : c.layerTypes)
    if (k == AttentionKind::Sliding && !c.slidingWindow)
      return f.fail("sliding_window",
                    "is missing, but some layers use sliding attention");
  return true;
}

/// One of two spellings of the same field; both present must agree.
bool aliasedUint(Fields &f, const char *key, const char *alias, uint64_t &out,
                 bool required) {
  bool a = f.has(key), b = f.has(alias);
  uint64_t x = 0, y = 0;
  if (a && !f.uint(key, x, true))
    return false;
  if (b && !f.uint(alias, y, true))
    return false;
  if (a && b && x != y)
    return f.fail(alias, "is " + num(y) + ", but '" + key + "' is " + num(x));
  if (!a && !b)
    return required ? f.missing(key) : true;
  out = a ? x : y;
  return true;
}

bool parseQwen3(Fields &f, HFConfig &c) {
  bool useSliding = false;
  uint64_t window = 4096, maxWindowLayers = 28;
  if (!f.boolean("use_sliding_window", useSliding) ||
      !f.uint("sliding_window", window, false) ||
      !f.uint("max_window_layers", maxWindowLayers, false, 0))
    return false;
  if (useSliding)
    c.slidingWindow = window;
  std::vector<AttentionKind> rule(c.numHiddenLayers, AttentionKind::Full);
  if (c.slidingWindow)
    for (uint64_t i = maxWindowLayers; i < c.numHiddenLayers; ++i)
      rule[i] = AttentionKind::Sliding;
  c.moeLayers.assign(c.numHiddenLayers, false);
  return parseLayerTypes(f, c, /*allowList=*/true, rule);
}

bool parseQwen3Moe(Fields &f, HFConfig &c) {
  bool useSliding = false;
  uint64_t window = 4096;
  if (!f.boolean("use_sliding_window", useSliding) ||
      !f.uint("sliding_window", window, false))
    return false;
  if (useSliding)
    c.slidingWindow = window;
  // Qwen3MoeConfig has no layer_types: the window applies to every layer.
  std::vector<AttentionKind> rule(c.numHiddenLayers,
                                  useSliding ? AttentionKind::Sliding
                                             : AttentionKind::Full);
  if (!parseLayerTypes(f, c, /*allowList=*/false, rule))
    return false;

  c.scoringFunc = "softmax";
  if (!aliasedUint(f, "num_experts", "num_local_experts", c.numExperts, true) ||
      !f.uint("num_experts_per_tok", c.numExpertsPerTok, true) ||
      !f.uint("moe_intermediate_size", c.moeIntermediateSize, true) ||
      !f.boolean("norm_topk_prob", c.normTopkProb) ||
      !f.uint("decoder_sparse_step", c.decoderSparseStep, false) ||
      !f.uintList("mlp_only_layers", c.mlpOnlyLayers, 0, c.numHiddenLayers - 1))
    return false;
  std::set<uint64_t> dense(c.mlpOnlyLayers.begin(), c.mlpOnlyLayers.end());
  c.moeLayers.resize(c.numHiddenLayers);
  for (uint64_t i = 0; i < c.numHiddenLayers; ++i)
    c.moeLayers[i] = !dense.count(i) && (i + 1) % c.decoderSparseStep == 0;
  return true;
}

bool parseGptOss(Fields &f, HFConfig &c) {
  uint64_t window = 128;
  if (!f.uint("sliding_window", window, false))
    return false;
  c.slidingWindow = window;
  // GptOssConfig: layer i slides iff (i + 1) % 2 == 1, i.e. even layers.
  std::vector<AttentionKind> rule(c.numHiddenLayers);
  for (uint64_t i = 0; i < c.numHiddenLayers; ++i)
    rule[i] = (i + 1) % 2 ? AttentionKind::Sliding : AttentionKind::Full;
  if (!parseLayerTypes(f, c, /*allowList=*/true, rule))
    return false;

  c.attentionSinks = true;
  c.swigluLimit = 7.0;
  c.swigluAlpha = 1.702;
  c.scoringFunc = "softmax";
  c.moeIntermediateSize = c.intermediateSize;
  c.initialContextLength = c.ropeScaling.originalMaxPositionEmbeddings;
  if (!aliasedUint(f, "num_local_experts", "num_experts", c.numExperts, true) ||
      !aliasedUint(f, "num_experts_per_tok", "experts_per_token",
                   c.numExpertsPerTok, true) ||
      !f.number("swiglu_limit", c.swigluLimit, false) ||
      !f.number("swiglu_alpha", c.swigluAlpha, false) ||
      !f.uint("initial_context_length", c.initialContextLength, false))
    return false;
  c.moeLayers.assign(c.numHiddenLayers, true);
  return true;
}

bool parseDeepseekV3(Fields &f, HFConfig &c) {
  c.layerTypes.assign(c.numHiddenLayers, AttentionKind::Full);
  // DeepseekV3Config defaults; scoring_func / topk_method / moe_layer_freq
  // are DeepSeek's configuration_deepseek.py defaults (transformers
  // hard-codes sigmoid scoring with the noaux_tc bias).
  c.numSharedExperts = 1;
  c.routedScalingFactor = 2.5;
  c.nGroup = 8;
  c.topkGroup = 4;
  c.firstKDenseReplace = 3;
  c.normTopkProb = true;
  c.scoringFunc = "sigmoid";
  c.topkMethod = "noaux_tc";
  c.ropeInterleave = true;
  if (!f.uint("n_routed_experts", c.numExperts, true) ||
      !f.uint("num_experts_per_tok", c.numExpertsPerTok, true) ||
      !f.uint("moe_intermediate_size", c.moeIntermediateSize, true) ||
      !f.uint("n_shared_experts", c.numSharedExperts, false, 0) ||
      !f.number("routed_scaling_factor", c.routedScalingFactor, false) ||
      !f.uint("n_group", c.nGroup, false) ||
      !f.uint("topk_group", c.topkGroup, false) ||
      !f.uint("first_k_dense_replace", c.firstKDenseReplace, false, 0) ||
      !f.uint("moe_layer_freq", c.moeLayerFreq, false) ||
      !f.boolean("norm_topk_prob", c.normTopkProb) ||
      !f.choice("scoring_func", c.scoringFunc, {"sigmoid", "softmax"}) ||
      !f.choice("topk_method", c.topkMethod,
                {"noaux_tc", "greedy", "group_limited_greedy"}) ||
      !f.optionalUint("q_lora_rank", c.qLoraRank, /*required=*/true) ||
      !f.uint("kv_lora_rank", c.kvLoraRank, true) ||
      !f.uint("qk_nope_head_dim", c.qkNopeHeadDim, true) ||
      !f.uint("qk_rope_head_dim", c.qkRopeHeadDim, true) ||
      !f.uint("v_head_dim", c.vHeadDim, true) ||
      !f.boolean("rope_interleave", c.ropeInterleave) ||
      !f.uint("num_nextn_predict_layers", c.numNextnPredictLayers, false, 0))
    return false;
  if (c.numExperts % c.nGroup != 0)
    return f.fail("n_group", "(" + num(c.nGroup) +
                                 ") does not divide n_routed_experts (" +
                                 num(c.numExperts) + ")");
  if (c.topkGroup > c.nGroup)
    return f.fail("topk_group", "(" + num(c.topkGroup) + ") exceeds n_group (" +
                                    num(c.nGroup) + ")");
  if (c.qkRopeHeadDim % 2)
    return f.fail("qk_rope_head_dim", "must be even (rope rotates pairs)");
  c.headDim = c.qkNopeHeadDim + c.qkRopeHeadDim;
  c.moeLayers.resize(c.numHiddenLayers);
  for (uint64_t i = 0; i < c.numHiddenLayers; ++i)
    c.moeLayers[i] = i >= c.firstKDenseReplace && i % c.moeLayerFreq == 0;
  return true;
}

} // namespace

bool lmc::hf::parseHFConfig(std::string_view text, const std::string &what,
                            HFConfig &out, std::string &error) {
  json root;
  if (!parseJsonText(text, what, /*rejectDuplicateKeys=*/false, root, error))
    return false;
  if (!root.is_object()) {
    error = what + ": config is " + jsonTypeName(root) + ", not an object";
    return false;
  }
  HFConfig c;
  Fields f(root, what, "", error);
  std::string type;
  if (!f.string("model_type", type, true))
    return false;
  if (type == "qwen3")
    c.modelType = ModelType::Qwen3;
  else if (type == "qwen3_moe")
    c.modelType = ModelType::Qwen3Moe;
  else if (type == "gpt_oss")
    c.modelType = ModelType::GptOss;
  else if (type == "deepseek_v3")
    c.modelType = ModelType::DeepseekV3;
  else
    return f.fail("model_type", "is " + quoteName(type) +
                                    ", which lmc does not compile (supported: "
                                    "qwen3, qwen3_moe, gpt_oss, deepseek_v3)");
  const bool deepseek = c.modelType == ModelType::DeepseekV3;
  ArchDefaults d = defaultsFor(c.modelType);
  c.maxPositionEmbeddings = d.maxPositionEmbeddings;
  c.rmsNormEps = d.rmsNormEps;
  c.ropeTheta = d.ropeTheta;
  c.attentionBias = d.attentionBias;
  c.hiddenAct = "silu";

  if (!f.stringList("architectures", c.architectures) ||
      !f.string(f.has("torch_dtype") ? "torch_dtype" : "dtype", c.torchDtype,
                false) ||
      !f.uint("vocab_size", c.vocabSize, true) ||
      !f.uint("hidden_size", c.hiddenSize, true) ||
      !f.uint("intermediate_size", c.intermediateSize, true) ||
      !f.uint("num_hidden_layers", c.numHiddenLayers, true) ||
      !f.uint("num_attention_heads", c.numAttentionHeads, true) ||
      !f.uint("max_position_embeddings", c.maxPositionEmbeddings, false) ||
      !f.number("rms_norm_eps", c.rmsNormEps, false) ||
      !f.boolean("tie_word_embeddings", c.tieWordEmbeddings) ||
      !f.boolean("attention_bias", c.attentionBias) ||
      !f.choice("hidden_act", c.hiddenAct, {"silu"}) ||
      !f.tokenId("bos_token_id", c.bosTokenId) ||
      !f.tokenId("pad_token_id", c.padTokenId) ||
      !f.tokenIds("eos_token_id", c.eosTokenIds))
    return false;

  // Key/value heads: DeepSeek's MLA does not use them (default: the head
  // count, as transformers does for null); the others must say.
  c.numKeyValueHeads = c.numAttentionHeads;
  if (!f.uint("num_key_value_heads", c.numKeyValueHeads,
              /*required=*/!deepseek && !f.present("num_key_value_heads")))
    return false;
  if (c.numAttentionHeads % c.numKeyValueHeads != 0)
    return f.fail("num_attention_heads",
                  "(" + num(c.numAttentionHeads) +
                      ") is not a multiple of num_key_value_heads (" +
                      num(c.numKeyValueHeads) + ")");

  // head_dim: Qwen3Config and GptOssConfig default to 128 and 64; null (and
  // Qwen3-MoE without the field) means hidden_size / num_attention_heads.
  if (!deepseek) {
    c.headDim = c.modelType == ModelType::Qwen3    ? 128
                : c.modelType == ModelType::GptOss ? 64
                                                   : 0;
    if (f.present("head_dim") && !f.has("head_dim"))
      c.headDim = 0;
    if (!f.uint("head_dim", c.headDim, false))
      return false;
    if (c.headDim == 0) {
      if (c.hiddenSize % c.numAttentionHeads)
        return f.fail("head_dim", "is missing, and hidden_size is not a "
                                  "multiple of num_attention_heads");
      c.headDim = c.hiddenSize / c.numAttentionHeads;
    }
    if (c.headDim % 2)
      return f.fail("head_dim", "must be even (rope rotates pairs)");
  }

  if (!parseRope(f, c, error))
    return false;

  bool ok = false;
  switch (c.modelType) {
  case ModelType::Qwen3:
    ok = parseQwen3(f, c);
    break;
  case ModelType::Qwen3Moe:
    ok = parseQwen3Moe(f, c);
    break;
  case ModelType::GptOss:
    ok = parseGptOss(f, c);
    break;
  case ModelType::DeepseekV3:
    ok = parseDeepseekV3(f, c);
    break;
  }
  if (!ok)
    return false;
  if (c.numExperts && c.numExpertsPerTok > c.numExperts)
    return f.fail("num_experts_per_tok",
                  "(" + num(c.numExpertsPerTok) +
                      ") exceeds the number of experts (" + num(c.numExperts) +
                      ")");
  if (!parseQuantization(f, c, error))
    return false;
  // MXFP4 blocks hold 32 elements of a row.
  if (c.quantization.method == QuantMethod::Mxfp4) {
    if (c.hiddenSize % 32)
      return f.fail("hidden_size", "(" + num(c.hiddenSize) +
                                       ") is not a multiple of 32, which "
                                       "MXFP4 blocks need");
    if (c.moeIntermediateSize % 32)
      return f.fail(c.modelType == ModelType::GptOss ? "intermediate_size"
                                                     : "moe_intermediate_size",
                    "(" + num(c.moeIntermediateSize) +
                        ") is not a multiple of 32, which MXFP4 blocks need");
  }
  out = std::move(c);
  return true;
}

bool lmc::hf::loadHFConfig(const std::string &path, HFConfig &out,
                           std::string &error) {
  struct stat st;
  std::string file = path;
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
    file = path + "/config.json";
  std::string text;
  if (!readTextFile(file, kMaxConfigFileBytes, text, error))
    return false;
  return parseHFConfig(text, file, out, error);
}
