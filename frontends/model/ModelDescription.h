//===- ModelDescription.h - what a frontend learns from a model file -*- C++ -*-===//
//
// Frontends (GGUF, Hugging Face folders, ...) read a file into this plain
// description; the architecture builders turn it into tfm IR. Weight names
// are llama.cpp's GGUF names in every frontend.
//
//===----------------------------------------------------------------------===//
#ifndef LMC_FRONTENDS_MODEL_MODELDESCRIPTION_H
#define LMC_FRONTENDS_MODEL_MODELDESCRIPTION_H

#include "dialects/tfm/TfmOps.h"
#include "llvm/ADT/StringMap.h"

#include <string>
#include <vector>

namespace lmc::frontend {

/// A tensor in the weights file, shape row-major with the input (contiguous)
/// dimension last.
struct WeightInfo {
  std::vector<int64_t> shape;
  tfm::StorageType storage;
  uint64_t offset; ///< byte offset in the weights
  /// Read in place from a layout other than one row-major block (tensors of
  /// Hugging Face checkpoints; tfm.weight_decl documents each field):
  /// per-slice offsets of the leading dimension, relative to `offset`...
  std::vector<int64_t> sliceOffsets;
  /// ...stored rows per row...
  int64_t rowStride = 1;
  /// ...and the weight holding the block scales of e4m3 and mxfp4_oai data.
  std::string scales;
};

struct RopeParams {
  double base = 10000.0;
  int64_t dim = 0; ///< rotary dimensions per head (0: the whole head)
  tfm::RopeScaling scaling = tfm::RopeScaling::none;
  double factor = 1.0;
  int64_t originalContext = 0;
  double betaFast = 32.0, betaSlow = 1.0;
};

/// Hyperparameters of a decoder-only transformer; architecture builders read
/// the fields they need.
struct ModelConfig {
  std::string arch; ///< "qwen3", ...
  std::string name;
  int64_t layers = 0;
  int64_t hidden = 0;
  int64_t heads = 0;
  int64_t kvHeads = 0;
  int64_t headDim = 0;
  int64_t ffn = 0;
  int64_t vocab = 0;
  int64_t contextLength = 0;
  double rmsEps = 1e-6;
  RopeParams rope;

  // Mixture of experts (0 experts: a dense model).
  int64_t experts = 0;
  int64_t expertsUsed = 0;
  int64_t expertFfn = 0;
  int64_t sharedExperts = 0;
  /// The first layers are dense (DeepSeek's first_k_dense_replace).
  int64_t leadingDenseLayers = 0;
  /// Sigmoid (DeepSeek-V3) or softmax routing over the router logits.
  bool sigmoidRouting = false;
  bool normalizeExpertWeights = false;
  double expertWeightsScale = 1.0;
  int64_t expertGroups = 1, expertGroupsUsed = 1;
  /// GPT-OSS's clamped SwiGLU (llama.cpp hard-codes these).
  double swigluAlpha = 1.702, swigluLimit = 7.0;

  // Multi-head latent attention (DeepSeek): query LoRA rank (0: none), the
  // latent width, per-head nope/rope/value widths.
  int64_t qLoraRank = 0, kvLoraRank = 0, qkNopeDim = 0, qkRopeDim = 0, vHeadDim = 0;
  /// YaRN's attention factor 1 + yarnLogMultiplier ln(factor) (llama.cpp's
  /// rope.scaling.yarn_log_multiplier = 0.1 mscale_all_dim).
  double yarnLogMultiplier = 0.0;

  // Sliding-window attention: layer l attends to the last `slidingWindow`
  // positions iff l % swaPattern < swaPattern - 1 (llama.cpp's rule; GPT-OSS:
  // pattern 2, every even layer). 0: no window.
  int64_t slidingWindow = 0;
  int64_t swaPattern = 0;
  bool isSlidingWindowLayer(int64_t layer) const {
    return slidingWindow > 0 &&
           (swaPattern == 0 || layer % swaPattern < swaPattern - 1);
  }
};

struct ModelDescription {
  ModelConfig config;
  llvm::StringMap<WeightInfo> weights;
};

} // namespace lmc::frontend

#endif // LMC_FRONTENDS_MODEL_MODELDESCRIPTION_H
