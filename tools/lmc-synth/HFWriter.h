//===- HFWriter.h - the model as a Hugging Face checkpoint folder -*- C++
//-*-===//
//
// lmc-synth --hf-out DIR writes the planned model as a folder transformers
// loads for its model_type (qwen3, qwen3_moe, gpt_oss, deepseek_v3):
// config.json (HFConfigJson), model.safetensors or shards + index
// (HFWeights), tokenizer.json + tokenizer_config.json (HFTokenizerFiles);
// then reads it back with frontends/hf (HFVerify). The weights are the
// GGUF file's of the same options, value for value (docs/design/gguf.md).
//
//===----------------------------------------------------------------------===//

#ifndef LMC_TOOLS_LMC_SYNTH_HFWRITER_H
#define LMC_TOOLS_LMC_SYNTH_HFWRITER_H

#include "tools/lmc-synth/SynthCommon.h"
#include "tools/lmc-synth/SynthTokenizer.h"

#include <string>

namespace lmc::synth {

/// Settles the options the HF folder changes, before planning: --hf-dtype
/// is bf16 or f32; with --hf-out, --type defaults to --hf-dtype; --hf-fp8
/// defaults to on for deepseek2 with --hf-out and --hf-dtype bf16 (as
/// DeepSeek-V3 is published), and is refused for other architectures.
bool resolveHFOptions(SynthOptions &opts, std::string &error);

/// Everything writeHFFolder would refuse, checked before anything (the GGUF
/// file included) is written.
bool checkHFFolder(const ModelPlan &plan, const SynthOptions &opts,
                   const TokenizerData &tok, std::string &error);

/// Writes (and verifies) opts.hfOut for `plan`, planned from `opts` with
/// `tok`. Creates the folder; replaces the checkpoint files of an earlier
/// write there, so that no stale shard or index is left beside the new one.
bool writeHFFolder(const ModelPlan &plan, const SynthOptions &opts,
                   const TokenizerData &tok, std::string &error);

} // namespace lmc::synth

#endif // LMC_TOOLS_LMC_SYNTH_HFWRITER_H
