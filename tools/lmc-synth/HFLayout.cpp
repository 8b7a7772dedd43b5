//===- HFLayout.cpp - where a GGUF tensor lives in a HF checkpoint --------===//
//
// Hugging Face names are transformers' module paths as in the published
// checkpoints (the same ones frontends/hf/WeightMap.cpp reads; see
// docs/design/hf.md for the sources). Which DeepSeek-V3 tensors are FP8 is
// its checkpoint's inventory: every linear layer of attention, dense FFN,
// routed and shared experts; not embeddings, lm_head, the router or norms.
//
//===----------------------------------------------------------------------===//

#include "tools/lmc-synth/HFLayout.h"

#include <vector>

using namespace lmc;
using namespace lmc::synth;

std::optional<hf::ModelType> lmc::synth::hfModelType(const std::string &arch) {
  for (hf::ModelType t : {hf::ModelType::Qwen3, hf::ModelType::Qwen3Moe,
                          hf::ModelType::GptOss, hf::ModelType::DeepseekV3})
    if (arch == hf::ggufArchName(t))
      return t;
  return std::nullopt;
}

namespace {

/// One GGUF tensor's counterpart; "{L}" stands for the layer.
struct Rule {
  const char *gguf;
  const char *hf;
  HFForm form;
  const char *partner = nullptr; // GGUF name of a pair's other tensor
  bool second = false;
  bool fp8 = false;
  bool nativeF32 = false;
};

// clang-format off
const std::vector<Rule> kCommon = {
    {"token_embd.weight", "model.embed_tokens.weight", HFForm::Same},
    {"output_norm.weight", "model.norm.weight", HFForm::Same},
    {"output.weight", "lm_head.weight", HFForm::Same},
    {"blk.{L}.attn_norm.weight", "model.layers.{L}.input_layernorm.weight", HFForm::Same},
};

const std::vector<Rule> kGqa = {
    {"blk.{L}.attn_q.weight", "model.layers.{L}.self_attn.q_proj.weight", HFForm::Same},
    {"blk.{L}.attn_k.weight", "model.layers.{L}.self_attn.k_proj.weight", HFForm::Same},
    {"blk.{L}.attn_v.weight", "model.layers.{L}.self_attn.v_proj.weight", HFForm::Same},
    {"blk.{L}.attn_output.weight", "model.layers.{L}.self_attn.o_proj.weight", HFForm::Same},
    {"blk.{L}.attn_q.bias", "model.layers.{L}.self_attn.q_proj.bias", HFForm::Same},
    {"blk.{L}.attn_k.bias", "model.layers.{L}.self_attn.k_proj.bias", HFForm::Same},
    {"blk.{L}.attn_v.bias", "model.layers.{L}.self_attn.v_proj.bias", HFForm::Same},
    {"blk.{L}.attn_output.bias", "model.layers.{L}.self_attn.o_proj.bias", HFForm::Same},
};

const std::vector<Rule> kQwen3 = {
    {"blk.{L}.attn_q_norm.weight", "model.layers.{L}.self_attn.q_norm.weight", HFForm::Same},
    {"blk.{L}.attn_k_norm.weight", "model.layers.{L}.self_attn.k_norm.weight", HFForm::Same},
    {"blk.{L}.ffn_norm.weight", "model.layers.{L}.post_attention_layernorm.weight", HFForm::Same},
    {"blk.{L}.ffn_gate.weight", "model.layers.{L}.mlp.gate_proj.weight", HFForm::Same},
    {"blk.{L}.ffn_up.weight", "model.layers.{L}.mlp.up_proj.weight", HFForm::Same},
    {"blk.{L}.ffn_down.weight", "model.layers.{L}.mlp.down_proj.weight", HFForm::Same},
    {"blk.{L}.ffn_gate_inp.weight", "model.layers.{L}.mlp.gate.weight", HFForm::Same},
    {"blk.{L}.ffn_gate_exps.weight", "model.layers.{L}.mlp.experts.{E}.gate_proj.weight", HFForm::Experts},
    {"blk.{L}.ffn_up_exps.weight", "model.layers.{L}.mlp.experts.{E}.up_proj.weight", HFForm::Experts},
    {"blk.{L}.ffn_down_exps.weight", "model.layers.{L}.mlp.experts.{E}.down_proj.weight", HFForm::Experts},
};

const std::vector<Rule> kGptOss = {
    {"blk.{L}.attn_sinks.weight", "model.layers.{L}.self_attn.sinks", HFForm::Same},
    {"blk.{L}.post_attention_norm.weight", "model.layers.{L}.post_attention_layernorm.weight", HFForm::Same},
    {"blk.{L}.ffn_gate_inp.weight", "model.layers.{L}.mlp.router.weight", HFForm::Same},
    {"blk.{L}.ffn_gate_inp.bias", "model.layers.{L}.mlp.router.bias", HFForm::Same},
    {"blk.{L}.ffn_gate_exps.bias", "model.layers.{L}.mlp.experts.gate_up_proj_bias", HFForm::GateUpBias,
     "blk.{L}.ffn_up_exps.bias"},
    {"blk.{L}.ffn_up_exps.bias", "model.layers.{L}.mlp.experts.gate_up_proj_bias", HFForm::GateUpBias,
     "blk.{L}.ffn_gate_exps.bias", true},
    {"blk.{L}.ffn_down_exps.bias", "model.layers.{L}.mlp.experts.down_proj_bias", HFForm::Same},
};

const std::vector<Rule> kGptOssMxfp4 = {
    {"blk.{L}.ffn_gate_exps.weight", "model.layers.{L}.mlp.experts.gate_up_proj", HFForm::GateUpBlocks,
     "blk.{L}.ffn_up_exps.weight"},
    {"blk.{L}.ffn_up_exps.weight", "model.layers.{L}.mlp.experts.gate_up_proj", HFForm::GateUpBlocks,
     "blk.{L}.ffn_gate_exps.weight", true},
    {"blk.{L}.ffn_down_exps.weight", "model.layers.{L}.mlp.experts.down_proj", HFForm::DownBlocks},
};

const std::vector<Rule> kGptOssDense = {
    {"blk.{L}.ffn_gate_exps.weight", "model.layers.{L}.mlp.experts.gate_up_proj", HFForm::GateUpDense,
     "blk.{L}.ffn_up_exps.weight"},
    {"blk.{L}.ffn_up_exps.weight", "model.layers.{L}.mlp.experts.gate_up_proj", HFForm::GateUpDense,
     "blk.{L}.ffn_gate_exps.weight", true},
    {"blk.{L}.ffn_down_exps.weight", "model.layers.{L}.mlp.experts.down_proj", HFForm::DownDense},
};

const std::vector<Rule> kDeepseekV3 = {
    {"blk.{L}.attn_q_a.weight", "model.layers.{L}.self_attn.q_a_proj.weight", HFForm::Same, nullptr, false, true},
    {"blk.{L}.attn_q_a_norm.weight", "model.layers.{L}.self_attn.q_a_layernorm.weight", HFForm::Same},
    {"blk.{L}.attn_q_b.weight", "model.layers.{L}.self_attn.q_b_proj.weight", HFForm::Same, nullptr, false, true},
    {"blk.{L}.attn_q.weight", "model.layers.{L}.self_attn.q_proj.weight", HFForm::Same, nullptr, false, true},
    {"blk.{L}.attn_kv_a_mqa.weight", "model.layers.{L}.self_attn.kv_a_proj_with_mqa.weight", HFForm::Same,
     nullptr, false, true},
    {"blk.{L}.attn_kv_a_norm.weight", "model.layers.{L}.self_attn.kv_a_layernorm.weight", HFForm::Same},
    {"blk.{L}.attn_k_b.weight", "model.layers.{L}.self_attn.kv_b_proj.weight", HFForm::KvB,
     "blk.{L}.attn_v_b.weight", false, true},
    {"blk.{L}.attn_v_b.weight", "model.layers.{L}.self_attn.kv_b_proj.weight", HFForm::KvB,
     "blk.{L}.attn_k_b.weight", true, true},
    {"blk.{L}.attn_output.weight", "model.layers.{L}.self_attn.o_proj.weight", HFForm::Same, nullptr, false, true},
    {"blk.{L}.ffn_norm.weight", "model.layers.{L}.post_attention_layernorm.weight", HFForm::Same},
    {"blk.{L}.ffn_gate.weight", "model.layers.{L}.mlp.gate_proj.weight", HFForm::Same, nullptr, false, true},
    {"blk.{L}.ffn_up.weight", "model.layers.{L}.mlp.up_proj.weight", HFForm::Same, nullptr, false, true},
    {"blk.{L}.ffn_down.weight", "model.layers.{L}.mlp.down_proj.weight", HFForm::Same, nullptr, false, true},
    {"blk.{L}.ffn_gate_inp.weight", "model.layers.{L}.mlp.gate.weight", HFForm::Same},
    {"blk.{L}.exp_probs_b.bias", "model.layers.{L}.mlp.gate.e_score_correction_bias", HFForm::Same,
     nullptr, false, false, true},
    {"blk.{L}.ffn_gate_exps.weight", "model.layers.{L}.mlp.experts.{E}.gate_proj.weight", HFForm::Experts,
     nullptr, false, true},
    {"blk.{L}.ffn_up_exps.weight", "model.layers.{L}.mlp.experts.{E}.up_proj.weight", HFForm::Experts,
     nullptr, false, true},
    {"blk.{L}.ffn_down_exps.weight", "model.layers.{L}.mlp.experts.{E}.down_proj.weight", HFForm::Experts,
     nullptr, false, true},
    {"blk.{L}.ffn_gate_shexp.weight", "model.layers.{L}.mlp.shared_experts.gate_proj.weight", HFForm::Same,
     nullptr, false, true},
    {"blk.{L}.ffn_up_shexp.weight", "model.layers.{L}.mlp.shared_experts.up_proj.weight", HFForm::Same,
     nullptr, false, true},
    {"blk.{L}.ffn_down_shexp.weight", "model.layers.{L}.mlp.shared_experts.down_proj.weight", HFForm::Same,
     nullptr, false, true},
};
// clang-format on

/// Matches "blk.{L}.x" against a name; {L} is a decimal number.
bool matchLayer(const char *tmpl, const std::string &name, std::string &layer) {
  size_t i = 0;
  layer.clear();
  for (const char *p = tmpl; *p;) {
    if (p[0] == '{' && p[1] == 'L' && p[2] == '}') {
      size_t start = i;
      while (i < name.size() && name[i] >= '0' && name[i] <= '9')
        ++i;
      if (i == start)
        return false;
      layer = name.substr(start, i - start);
      p += 3;
    } else if (i < name.size() && name[i] == *p) {
      ++i;
      ++p;
    } else {
      return false;
    }
  }
  return i == name.size();
}

std::string substituteLayer(const char *tmpl, const std::string &layer) {
  std::string s = tmpl, key = "{L}";
  for (size_t at; (at = s.find(key)) != std::string::npos;)
    s.replace(at, key.size(), layer);
  return s;
}

std::vector<const std::vector<Rule> *> rulesFor(hf::ModelType type,
                                                bool mxfp4Experts) {
  switch (type) {
  case hf::ModelType::Qwen3:
  case hf::ModelType::Qwen3Moe:
    return {&kCommon, &kGqa, &kQwen3};
  case hf::ModelType::GptOss:
    return {&kCommon, &kGqa, &kGptOss,
            mxfp4Experts ? &kGptOssMxfp4 : &kGptOssDense};
  case hf::ModelType::DeepseekV3:
    return {&kCommon, &kDeepseekV3};
  }
  return {};
}

} // namespace

std::optional<HFCounterpart>
lmc::synth::hfCounterpart(hf::ModelType type, const std::string &ggufName,
                          bool mxfp4Experts) {
  std::string layer;
  for (const std::vector<Rule> *rules : rulesFor(type, mxfp4Experts))
    for (const Rule &r : *rules) {
      if (!matchLayer(r.gguf, ggufName, layer))
        continue;
      HFCounterpart c;
      c.form = r.form;
      c.hfName = substituteLayer(r.hf, layer);
      if (r.partner)
        c.partner = substituteLayer(r.partner, layer);
      c.second = r.second;
      c.fp8 = r.fp8;
      c.nativeF32 = r.nativeF32;
      return c;
    }
  return std::nullopt;
}

bool lmc::synth::assignValueGrids(ModelPlan &plan, const SynthOptions &opts,
                                  std::string &error) {
  std::optional<hf::ModelType> type = hfModelType(opts.arch);
  if (!type) {
    error = "unknown --arch '" + opts.arch + "'";
    return false;
  }
  const bool fp8 = opts.hfFp8.value_or(false);
  if (fp8 && *type != hf::ModelType::DeepseekV3) {
    error = "--hf-fp8: only deepseek2 checkpoints store FP8 weights";
    return false;
  }
  bool mxfp4Experts = false;
  for (const TensorPlan &t : plan.tensors)
    if (t.name.find("ffn_gate_exps.weight") != std::string::npos)
      mxfp4Experts = t.format == quant::Format::MXFP4;
  for (TensorPlan &t : plan.tensors) {
    std::optional<HFCounterpart> c = hfCounterpart(*type, t.name, mxfp4Experts);
    if (fp8 && c && c->fp8) {
      t.format = quant::Format::F32;
      t.grid =
          c->form == HFForm::KvB ? ValueGrid::Fp8KvB : ValueGrid::Fp8Blocks;
    } else if (opts.type == "bf16" && t.format == quant::Format::F32 &&
               !(c && c->nativeF32)) {
      t.grid = ValueGrid::BF16;
    }
  }
  return true;
}

bool KvBLayout::fromShapes(const TensorPlan &k, const TensorPlan &v,
                           KvBLayout &out) {
  if (k.ne.size() != 3 || v.ne.size() != 3 || k.ne[1] != v.ne[0] ||
      k.ne[2] != v.ne[2])
    return false;
  out = {k.ne[2], k.ne[0], v.ne[1], k.ne[1]};
  return true;
}

std::string lmc::synth::kvbPartner(const std::string &ggufName) {
  static const std::string k = "attn_k_b.weight", v = "attn_v_b.weight";
  auto swap = [&](const std::string &from, const std::string &to) {
    if (ggufName.size() < from.size() ||
        ggufName.compare(ggufName.size() - from.size(), from.size(), from))
      return std::string();
    return ggufName.substr(0, ggufName.size() - from.size()) + to;
  };
  std::string p = swap(k, v);
  return p.empty() ? swap(v, k) : p;
}
