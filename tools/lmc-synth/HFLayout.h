//===- HFLayout.h - where a GGUF tensor lives in a HF checkpoint -*- C++
//-*-===//
//
// The inverse of frontends/hf's WeightMap, for the tensors lmc-synth plans:
// for each GGUF-named tensor, the Hugging Face tensor(s) holding it and the
// layout change between them (per-expert tensors, DeepSeek's kv_b_proj,
// GPT-OSS's interleaved gate_up, MXFP4 blocks), plus what the published
// checkpoints store natively (FP8 projections, F32 routing bias). The
// writer checks every name it derives here against WeightMap's tables
// (hf::ggufNamesFor) and the written folder against hf::planWeights, so a
// disagreement is an error, never a silently different model.
//
//===----------------------------------------------------------------------===//

#ifndef LMC_TOOLS_LMC_SYNTH_HFLAYOUT_H
#define LMC_TOOLS_LMC_SYNTH_HFLAYOUT_H

#include "frontends/hf/HFConfig.h"
#include "tools/lmc-synth/SynthCommon.h"

#include <optional>
#include <string>

namespace lmc::synth {

/// Rows and columns of one FP8 scale block (DeepSeek-V3's
/// weight_block_size).
constexpr uint64_t kFp8Block = 128;

/// How a GGUF tensor (or a pair of them) appears in the checkpoint.
enum class HFForm {
  /// The same elements in the same order: a matrix ne {in, out} is
  /// [out, in], a vector is itself.
  Same,
  /// ne {in, out, E}: one [out, in] tensor per expert ("{E}" in the name).
  Experts,
  /// attn_k_b + attn_v_b: DeepSeek's kv_b_proj [heads * (nope + v), kvl].
  KvB,
  /// GPT-OSS MXFP4 gate + up exps: <name>_blocks [E, 2I, H/32, 16] and
  /// <name>_scales [E, 2I, H/32]; row 2i is gate unit i, 2i+1 up unit i.
  GateUpBlocks,
  /// GPT-OSS gate + up exps unquantized: [E, H, 2I], columns alternating.
  GateUpDense,
  /// GPT-OSS gate + up exps biases: [E, 2I], elements alternating.
  GateUpBias,
  /// GPT-OSS MXFP4 down exps: <name>_blocks [E, H, I/32, 16], _scales.
  DownBlocks,
  /// GPT-OSS down exps unquantized: [E, I, H], each expert transposed.
  DownDense,
};

struct HFCounterpart {
  HFForm form = HFForm::Same;
  /// The tensor's name; for MXFP4 the stem before "_blocks"/"_scales".
  std::string hfName;
  /// Of a pair (KvB, GateUp*): the second GGUF tensor (attn_v_b, up).
  std::string partner;
  /// This tensor is a pair's second: written with the first.
  bool second = false;
  /// DeepSeek-V3's checkpoint stores it as F8_E4M3 with block scales.
  bool fp8 = false;
  /// The published checkpoint keeps it in F32 (DeepSeek's routing bias).
  bool nativeF32 = false;
};

/// The config.json model_type of an lmc-synth --arch.
std::optional<hf::ModelType> hfModelType(const std::string &arch);

/// The counterpart of GGUF tensor `ggufName`, or none if the architecture
/// has no such tensor. `mxfp4Experts`: GPT-OSS's experts are MXFP4.
std::optional<HFCounterpart> hfCounterpart(hf::ModelType type,
                                           const std::string &ggufName,
                                           bool mxfp4Experts);

/// Sets each tensor's ValueGrid: with --hf-fp8, DeepSeek's FP8 tensors
/// become F32 on the FP8 grid; with --type bf16, the other F32 tensors
/// (norms, biases, latent projections) take bf16 values, unless the
/// checkpoint keeps them in F32. The model (and so the GGUF file) is the
/// same with or without --hf-out.
bool assignValueGrids(ModelPlan &plan, const SynthOptions &opts,
                      std::string &error);

/// DeepSeek's kv_b_proj [heads * (nope + v), kvl] and lmc's per-head parts
/// attn_k_b {nope, kvl, heads} (transposed) and attn_v_b {kvl, v, heads}:
/// head h owns rows h * (nope + v) onwards, the first nope the key part.
struct KvBLayout {
  uint64_t heads = 0, nope = 0, v = 0, kvl = 0;

  /// From attn_k_b's and attn_v_b's shapes; false if they do not pair.
  static bool fromShapes(const TensorPlan &k, const TensorPlan &v,
                         KvBLayout &out);
  uint64_t rows() const { return heads * (nope + v); }
  uint64_t elements() const { return rows() * kvl; }
  /// kv_b_proj element holding attn_k_b element `k` (h, c, i).
  uint64_t ofKey(uint64_t k) const {
    uint64_t h = k / (kvl * nope), c = k / nope % kvl, i = k % nope;
    return (h * (nope + v) + i) * kvl + c;
  }
  /// kv_b_proj element holding attn_v_b element `e` (h, j, c).
  uint64_t ofValue(uint64_t e) const {
    uint64_t h = e / (v * kvl), j = e / kvl % v, c = e % kvl;
    return (h * (nope + v) + nope + j) * kvl + c;
  }
};

/// "blk.3.attn_v_b.weight" for "blk.3.attn_k_b.weight" and back; empty for
/// other names.
std::string kvbPartner(const std::string &ggufName);

} // namespace lmc::synth

#endif // LMC_TOOLS_LMC_SYNTH_HFLAYOUT_H
