//===- Architectures.h - per-architecture model planners --------*- C++ -*-===//
//
// Each architecture turns the options and a tokenizer into a ModelPlan: the
// metadata llama.cpp's loader for that architecture needs (with its exact
// value types) and the tensors with llama.cpp's names and ggml shapes. One
// file per architecture; they share SynthCommon.
//
//===----------------------------------------------------------------------===//

#ifndef LMC_TOOLS_LMC_SYNTH_ARCHITECTURES_H
#define LMC_TOOLS_LMC_SYNTH_ARCHITECTURES_H

#include "tools/lmc-synth/SynthCommon.h"
#include "tools/lmc-synth/SynthTokenizer.h"

#include <string>

namespace lmc::synth {

/// Signature of an architecture's planner.
using PlanFn = bool (*)(const SynthOptions &opts, const TypePolicy &types,
                        const TokenizerData &tok, ModelPlan &plan,
                        std::string &error);

/// Qwen3 dense (llama.cpp arch "qwen3").
bool planQwen3(const SynthOptions &opts, const TypePolicy &types,
               const TokenizerData &tok, ModelPlan &plan, std::string &error);

/// GPT-OSS (llama.cpp arch "gpt-oss"): MoE with biased router, sinks,
/// alternating sliding window, YaRN.
bool planGptOss(const SynthOptions &opts, const TypePolicy &types,
                const TokenizerData &tok, ModelPlan &plan, std::string &error);

/// DeepSeek-V3 (llama.cpp arch "deepseek2", MLA layout): latent attention,
/// sigmoid group-limited MoE with shared experts, leading dense layers.
bool planDeepSeek2(const SynthOptions &opts, const TypePolicy &types,
                   const TokenizerData &tok, ModelPlan &plan, std::string &error);

/// Plans the model `opts` describes with `tok`: the architecture's planner,
/// then the value grids (HFLayout.h) and the block-size check.
bool planModel(const SynthOptions &opts, const TokenizerData &tok,
               ModelPlan &plan, std::string &error);

/// The planner for an architecture name, or null.
PlanFn findArchitecture(const std::string &arch);
/// Comma-separated names of the supported architectures.
const char *architectureNames();

} // namespace lmc::synth

#endif // LMC_TOOLS_LMC_SYNTH_ARCHITECTURES_H
