//===- HFConfigJson.cpp - config.json of a synthesized model --------------===//
//
// Field order follows the published configs (test/data/hf). YaRN is written
// as llama.cpp computes it from the GGUF metadata: beta 32/1 with the
// correction range rounded outwards (truncate true, also for GPT-OSS, whose
// published config says false: a GGUF file cannot express that), cos/sin
// scaled by 1 + 0.1 ln(factor); DeepSeek's mscale = mscale_all_dim, so that
// transformers' cos/sin factor is 1 and its softmax factor
// (1 + 0.1 mscale_all_dim ln factor)^2, as llama.cpp's yarn_log_multiplier.
//
//===----------------------------------------------------------------------===//

#include "tools/lmc-synth/HFConfigJson.h"

#include "tools/lmc-synth/HFLayout.h"

using namespace lmc;
using namespace lmc::synth;
using json = nlohmann::ordered_json;

namespace {

json ropeScaling(const SynthOptions &o, hf::ModelType type) {
  if (o.ropeScaling != "yarn")
    // GPT-OSS's class defaults to YaRN: say "none" explicitly.
    return type == hf::ModelType::GptOss ? json{{"rope_type", "default"}}
                                         : json(nullptr);
  json r;
  r["beta_fast"] = 32.0;
  r["beta_slow"] = 1.0;
  r["factor"] = jsonFloat(o.ropeFactor);
  if (type == hf::ModelType::DeepseekV3) {
    r["mscale"] = jsonFloat(o.mscaleAllDim);
    r["mscale_all_dim"] = jsonFloat(o.mscaleAllDim);
  }
  r["original_max_position_embeddings"] = o.ropeOriginalContext;
  // DeepSeek-V3's config spells the type the legacy way.
  r[type == hf::ModelType::DeepseekV3 ? "type" : "rope_type"] = "yarn";
  r["truncate"] = true;
  return r;
}

void specialTokens(const TokenizerData &tok, json &c) {
  if (tok.bos >= 0)
    c["bos_token_id"] = tok.bos;
  if (tok.eos >= 0)
    c["eos_token_id"] = tok.eos;
  if (tok.pad >= 0)
    c["pad_token_id"] = tok.pad;
}

bool expertsAreMxfp4(const ModelPlan &plan) {
  for (const TensorPlan &t : plan.tensors)
    if (t.name.find("_exps.weight") != std::string::npos)
      return t.format == quant::Format::MXFP4;
  return false;
}

} // namespace

bool lmc::synth::makeHFConfigJson(const SynthOptions &o, const ModelPlan &plan,
                                  const TokenizerData &tok, json &c,
                                  std::string &error) {
  std::optional<hf::ModelType> type = hfModelType(o.arch);
  if (!type) {
    error = "unknown --arch '" + o.arch + "'";
    return false;
  }
  const bool deepseek = *type == hf::ModelType::DeepseekV3;
  const bool gptOss = *type == hf::ModelType::GptOss;
  const bool moe = *type == hf::ModelType::Qwen3Moe;
  if (deepseek && o.ropeScaling == "yarn" && !(o.mscaleAllDim > 0.0f)) {
    error =
        "--hf-out needs --mscale-all-dim > 0 with YaRN (transformers scales "
        "cos/sin by 1 + 0.1 ln factor when it is 0, llama.cpp does not)";
    return false;
  }
  const char *arch = *type == hf::ModelType::Qwen3 ? "Qwen3ForCausalLM"
                     : moe                         ? "Qwen3MoeForCausalLM"
                     : gptOss                      ? "GptOssForCausalLM"
                                                   : "DeepseekV3ForCausalLM";
  c = json::object();
  c["architectures"] = json::array({arch});
  c["attention_bias"] = gptOss;
  c["attention_dropout"] = 0.0;
  specialTokens(tok, c);
  if (gptOss)
    c["experts_per_token"] = o.expertsUsed;
  if (deepseek)
    c["first_k_dense_replace"] = o.leadingDense;
  if (!deepseek)
    c["head_dim"] = o.headDim;
  c["hidden_act"] = "silu";
  c["hidden_size"] = o.hidden;
  if (gptOss)
    c["initial_context_length"] =
        o.ropeScaling == "yarn" ? o.ropeOriginalContext : o.ctx;
  c["initializer_range"] = 0.02;
  // GPT-OSS's only FFN width is its experts'.
  c["intermediate_size"] = gptOss ? o.expertFfn : o.ffn;
  if (deepseek)
    c["kv_lora_rank"] = o.kvLoraRank;
  if (gptOss) {
    json types = json::array();
    for (uint32_t i = 0; i < o.layers; ++i)
      types.push_back(i % 2 == 0 ? "sliding_attention" : "full_attention");
    c["layer_types"] = types;
  }
  c["max_position_embeddings"] = o.ctx;
  if (*type == hf::ModelType::Qwen3 || moe)
    c["max_window_layers"] = o.layers;
  if (moe) {
    c["decoder_sparse_step"] = 1;
    c["mlp_only_layers"] = json::array();
  }
  c["model_type"] = hf::modelTypeName(*type);
  if (moe || deepseek)
    c["moe_intermediate_size"] = o.expertFfn;
  if (deepseek) {
    c["moe_layer_freq"] = 1;
    c["n_group"] = o.expertGroups;
    c["n_routed_experts"] = o.experts;
    c["n_shared_experts"] = o.sharedExperts;
  }
  // llama.cpp renormalises the chosen experts' weights in qwen3moe and
  // deepseek2 (expert_weights_norm); GPT-OSS softmaxes over the chosen.
  if (moe || deepseek)
    c["norm_topk_prob"] = true;
  c["num_attention_heads"] = o.heads;
  if (moe)
    c["num_experts"] = o.experts;
  if (moe || gptOss || deepseek)
    c["num_experts_per_tok"] = o.expertsUsed;
  c["num_hidden_layers"] = o.layers;
  // MLA has no key/value heads of its own; transformers wants the head count.
  c["num_key_value_heads"] = deepseek ? o.heads : o.kvHeads;
  if (gptOss)
    c["num_local_experts"] = o.experts;
  if (deepseek) {
    c["num_nextn_predict_layers"] = 0;
    c["q_lora_rank"] = o.qLoraRank ? json(o.qLoraRank) : json(nullptr);
    c["qk_nope_head_dim"] = o.qkNopeDim;
    c["qk_rope_head_dim"] = o.qkRopeDim;
  }
  if (deepseek && o.hfFp8.value_or(false))
    c["quantization_config"] = {{"activation_scheme", "dynamic"},
                                {"fmt", "e4m3"},
                                {"quant_method", "fp8"},
                                {"weight_block_size", {kFp8Block, kFp8Block}}};
  if (gptOss && expertsAreMxfp4(plan))
    c["quantization_config"] = {
        {"modules_to_not_convert",
         {"model.layers.*.self_attn", "model.layers.*.mlp.router",
          "model.embed_tokens", "lm_head"}},
        {"quant_method", "mxfp4"}};
  c["rms_norm_eps"] = jsonFloat(o.eps);
  if (deepseek)
    c["rope_interleave"] = true;
  c["rope_scaling"] = ropeScaling(o, *type);
  c["rope_theta"] = jsonFloat(o.ropeBase);
  if (deepseek) {
    c["routed_scaling_factor"] = jsonFloat(o.routedScale);
    c["scoring_func"] = "sigmoid";
  }
  if (gptOss) {
    c["sliding_window"] = o.slidingWindow;
    c["swiglu_limit"] = 7.0;
  } else if (!deepseek) {
    c["sliding_window"] = nullptr;
  }
  // GPT-OSS and DeepSeek always have an output projection of their own.
  c["tie_word_embeddings"] = !gptOss && !deepseek && o.tied;
  if (deepseek) {
    c["topk_group"] = o.expertGroupsUsed;
    c["topk_method"] = "noaux_tc";
  }
  c["torch_dtype"] = o.hfDtype == "f32" ? "float32" : "bfloat16";
  c["use_cache"] = true;
  if (*type == hf::ModelType::Qwen3 || moe)
    c["use_sliding_window"] = false;
  if (deepseek)
    c["v_head_dim"] = o.vHeadDim;
  c["vocab_size"] = tok.tokens.size();
  return true;
}
