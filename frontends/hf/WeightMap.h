//===- WeightMap.h - Hugging Face tensors -> lmc's weights ------*- C++ -*-===//
//
// Maps the tensors of a Hugging Face checkpoint onto the GGUF-named weights
// lmc's architecture builders use (llama.cpp's names: "blk.3.attn_q.weight",
// "token_embd.weight", ...), for qwen3, qwen3_moe, gpt_oss and deepseek_v3.
// Every weight comes out as a MappedWeight (WeightLayout.h): its sources and,
// where the Hugging Face layout differs from lmc's, the transformation as
// data (per-expert tensors stacked; DeepSeek's kv_b_proj split per head into
// attn_k_b / attn_v_b; GPT-OSS's interleaved gate_up split into gate and up,
// its MXFP4 blocks repacked into ggml's nibble order; 1-D tensors widened to
// F32 as GGUF stores them). docs/design/hf.md lists every rule and its source.
//
// planWeights() checks the checkpoint against config.json: every tensor
// known, none missing, shapes and dtypes as the config implies. FP8 weights
// keep their F8_E4M3 bytes and get a companion F32 weight
// "<name>_scale_inv" with the 128x128 block scales (or are dequantized to
// F32 when asked, or when a split cuts through scale blocks).
//
//===----------------------------------------------------------------------===//

#ifndef LMC_FRONTENDS_HF_WEIGHTMAP_H
#define LMC_FRONTENDS_HF_WEIGHTMAP_H

#include "frontends/hf/HFConfig.h"
#include "frontends/hf/WeightLayout.h"

#include <string>
#include <string_view>
#include <vector>

namespace lmc::hf {

class Checkpoint;

struct MappingOptions {
  /// Dequantize FP8 block-scaled weights to F32 instead of keeping the
  /// F8_E4M3 bytes plus a scale weight.
  bool dequantizeFp8 = false;
};

struct WeightPlan {
  /// In a fixed order: token_embd, then each layer, then output_norm and
  /// output (multi-token-prediction layers last).
  std::vector<MappedWeight> weights;

  const MappedWeight *find(std::string_view name) const;
};

/// Maps every tensor of `ckpt` for `config`'s architecture. Fails with one
/// line naming the tensor: unknown, missing, wrong shape or dtype.
bool planWeights(const HFConfig &config, const Checkpoint &ckpt,
                 WeightPlan &plan, std::string &error,
                 const MappingOptions &options = {});

/// The GGUF names a Hugging Face tensor contributes to, without a config:
/// "model.layers.3.self_attn.q_proj.weight" -> {"blk.3.attn_q.weight"};
/// an expert's tensor -> the stacked weight; kv_b_proj -> attn_k_b and
/// attn_v_b; a weight_scale_inv -> its companion(s). Empty if the name is
/// not a tensor of that architecture.
std::vector<std::string> ggufNamesFor(ModelType type, std::string_view hfName);

} // namespace lmc::hf

#endif // LMC_FRONTENDS_HF_WEIGHTMAP_H
