//===- HFWeights.h - the safetensors of a synthesized model -----*- C++ -*-===//
//
// Writes a planned model's tensors as a Hugging Face checkpoint: every GGUF
// tensor in its HFLayout form, in the checkpoint's native dtypes: floats in
// --hf-dtype (bf16 or f32; DeepSeek's routing bias always f32), FP8 grids as
// F8_E4M3 + F32 weight_scale_inv per 128 x 128 block, GPT-OSS MXFP4 experts
// as U8 *_blocks (OpenAI's nibble order) + E8M0 *_scales. Every value is
// the one the GGUF file of the same plan decodes to; a tensor whose values
// --hf-dtype cannot hold exactly (a Q8_0 tensor in bf16) is an error.
//
// Bytes are produced while SafeTensorsWriter writes, in its bounded chunks:
// the model never sits in memory (at most one expert's block, one FP8 band
// or one kv_b_proj at a time).
//
//===----------------------------------------------------------------------===//

#ifndef LMC_TOOLS_LMC_SYNTH_HFWEIGHTS_H
#define LMC_TOOLS_LMC_SYNTH_HFWEIGHTS_H

#include "tools/lmc-synth/SynthCommon.h"

#include <string>

namespace lmc::synth {

/// Plans the checkpoint's tensors without writing: fails for a value
/// --hf-dtype cannot hold exactly, or a name frontends/hf maps elsewhere.
bool checkHFWeights(const ModelPlan &plan, const SynthOptions &opts,
                    std::string &error);

/// Writes DIR/model.safetensors, or, when the tensors exceed --hf-shard-mb
/// MiB, DIR/model-0000i-of-0000N.safetensors + model.safetensors.index.json.
/// Before writing, checks every tensor name against frontends/hf's mapping
/// (the GGUF names it stands for must be the ones it is made of). Bytes are
/// produced in pieces of at most `chunkBytes` (the file does not depend on
/// it).
bool writeHFWeights(const ModelPlan &plan, const SynthOptions &opts,
                    const std::string &dir, std::string &error,
                    uint64_t chunkBytes = 16ull << 20);

/// The ggml MXFP4 block (scale byte, then byte j = element j | element
/// j + 16 << 4) as Hugging Face / OpenAI store it: 16 bytes, byte m =
/// element 2m | element 2m + 1 << 4, and the E8M0 scale byte separately.
/// The inverse of hf::repackMxfp4Block.
void ggmlToHFMxfp4Block(const uint8_t ggml[17], uint8_t blocks[16],
                        uint8_t &scale);

} // namespace lmc::synth

#endif // LMC_TOOLS_LMC_SYNTH_HFWEIGHTS_H
