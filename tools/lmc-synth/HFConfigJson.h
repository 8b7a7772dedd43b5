//===- HFConfigJson.h - config.json of a synthesized model ------*- C++ -*-===//
//
// The config.json transformers reads for the model lmc-synth plans, with
// the field names of its configuration class (Qwen3Config, Qwen3MoeConfig,
// GptOssConfig, DeepseekV3Config; the same fields frontends/hf/HFConfig.cpp
// parses), the values the GGUF metadata of the same options carries, and
// the published models' constants where the GGUF implies them (DeepSeek's
// sigmoid noaux_tc routing, GPT-OSS's clamp). Everything that decides the
// computation is written out explicitly, defaults included.
//
//===----------------------------------------------------------------------===//

#ifndef LMC_TOOLS_LMC_SYNTH_HFCONFIGJSON_H
#define LMC_TOOLS_LMC_SYNTH_HFCONFIGJSON_H

#include "tools/lmc-synth/SynthCommon.h"
#include "tools/lmc-synth/SynthTokenizer.h"

#include <nlohmann/json.hpp>

#include <string>

namespace lmc::synth {

/// config.json for `plan` (planned from `opts` with `tok`). Fails for
/// options a config.json cannot express as the GGUF file does.
bool makeHFConfigJson(const SynthOptions &opts, const ModelPlan &plan,
                      const TokenizerData &tok, nlohmann::ordered_json &out,
                      std::string &error);

} // namespace lmc::synth

#endif // LMC_TOOLS_LMC_SYNTH_HFCONFIGJSON_H
