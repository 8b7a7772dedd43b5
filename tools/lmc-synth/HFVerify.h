//===- HFVerify.h - a written HF folder, read back by frontends/hf -*- C++
//-*-===//
//
// After writing, lmc-synth reads its folder with the readers the compiler
// uses: config.json (hf::loadHFConfig), the safetensors (hf::Checkpoint),
// the mapping (hf::planWeights, FP8 dequantized) and tokenizer.json
// (frontend::loadHFTokenizer). Every mapped weight must be a planned GGUF
// tensor of the same name and shape, stored alike or as its decoded F32
// values, and no planned tensor may be left over; each weight's first row
// must hold the planned values. (The unit tests compare every element.)
//
//===----------------------------------------------------------------------===//

#ifndef LMC_TOOLS_LMC_SYNTH_HFVERIFY_H
#define LMC_TOOLS_LMC_SYNTH_HFVERIFY_H

#include "tools/lmc-synth/SynthCommon.h"
#include "tools/lmc-synth/SynthTokenizer.h"

#include <string>

namespace lmc::synth {

bool verifyHFFolder(const std::string &dir, const ModelPlan &plan,
                    const SynthOptions &opts, const TokenizerData &tok,
                    std::string &error);

} // namespace lmc::synth

#endif // LMC_TOOLS_LMC_SYNTH_HFVERIFY_H
