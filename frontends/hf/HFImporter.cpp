//===- HFImporter.cpp - a Hugging Face checkpoint folder as a model -------===//
#include "frontends/hf/HFImporter.h"
#include "frontends/hf/Checkpoint.h"
#include "frontends/hf/HFConfig.h"
#include "frontends/hf/WeightMap.h"
#include "frontends/model/Architectures.h"
#include "frontends/tokenizer/HFTokenizerLoader.h"
#include "runtime/core/Weights.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>

using namespace lmc;
using namespace lmc::frontend;

namespace {

std::optional<tfm::StorageType> storageOf(quant::Format f) {
  switch (f) {
  case quant::Format::F32: return tfm::StorageType::f32;
  case quant::Format::F16: return tfm::StorageType::f16;
  case quant::Format::BF16: return tfm::StorageType::bf16;
  case quant::Format::Q8_0: return tfm::StorageType::q8_0;
  case quant::Format::Q4_0: return tfm::StorageType::q4_0;
  case quant::Format::Q4_K: return tfm::StorageType::q4_k;
  case quant::Format::Q6_K: return tfm::StorageType::q6_k;
  case quant::Format::MXFP4: return tfm::StorageType::mxfp4;
  case quant::Format::F8_E4M3: return tfm::StorageType::e4m3;
  }
  return std::nullopt;
}

std::vector<int64_t> shapeOf(const std::vector<uint64_t> &ne) {
  return std::vector<int64_t>(ne.rbegin(), ne.rend());
}

/// The layer of a "blk.<L>." weight, or -1.
int64_t layerOf(const std::string &name) {
  if (name.compare(0, 4, "blk.") != 0)
    return -1;
  return std::strtoll(name.c_str() + 4, nullptr, 10);
}

//===----------------------------------------------------------------------===//
// config.json -> ModelConfig
//===----------------------------------------------------------------------===//

class ConfigTranslator {
public:
  ConfigTranslator(const hf::HFConfig &hf, const std::string &file, std::string &error)
      : hf(hf), file(file), error(error) {}

  bool translate(ModelConfig &c) {
    c.arch = hf::ggufArchName(hf.modelType);
    c.layers = int64_t(hf.numHiddenLayers);
    c.hidden = int64_t(hf.hiddenSize);
    c.heads = int64_t(hf.numAttentionHeads);
    c.kvHeads = hf.numKeyValueHeads ? int64_t(hf.numKeyValueHeads) : c.heads;
    c.headDim = int64_t(hf.headDim);
    c.ffn = int64_t(hf.intermediateSize);
    c.vocab = int64_t(hf.vocabSize);
    c.contextLength = int64_t(hf.maxPositionEmbeddings);
    c.rmsEps = hf.rmsNormEps;
    if (hf.numExperts) {
      c.experts = int64_t(hf.numExperts);
      c.expertsUsed = int64_t(hf.numExpertsPerTok);
      c.expertFfn = int64_t(hf.moeIntermediateSize);
      c.sharedExperts = int64_t(hf.numSharedExperts);
      c.normalizeExpertWeights = hf.normTopkProb;
      c.expertWeightsScale = hf.routedScalingFactor;
      c.expertGroups = int64_t(hf.nGroup);
      c.expertGroupsUsed = int64_t(hf.topkGroup);
      c.sigmoidRouting = hf.scoringFunc == "sigmoid";
    }
    switch (hf.modelType) {
    case hf::ModelType::Qwen3:
    case hf::ModelType::Qwen3Moe:
      return qwen3(c) && rope(c, c.headDim, /*latent=*/false);
    case hf::ModelType::GptOss:
      return gptOss(c) && rope(c, c.headDim, /*latent=*/false);
    case hf::ModelType::DeepseekV3:
      return deepSeek(c) && rope(c, c.qkRopeDim, /*latent=*/true);
    }
    return fail("model_type", "is not supported");
  }

private:
  bool fail(const std::string &field, const std::string &problem) {
    error = file + ": " + field + " " + problem;
    return false;
  }
  bool unsupported(const std::string &field, const std::string &what) {
    return fail(field, what + ", which lmc does not support for " +
                           hf::modelTypeName(hf.modelType));
  }

  bool qwen3(ModelConfig &c) {
    if (hf.attentionBias)
      return unsupported("attention_bias", "is true");
    if (hf.modelType == hf::ModelType::Qwen3Moe) {
      if (std::find(hf.moeLayers.begin(), hf.moeLayers.end(), false) != hf.moeLayers.end())
        return unsupported("mlp_only_layers", "or decoder_sparse_step make some layers dense");
      // llama.cpp's qwen3moe always renormalises the chosen experts' weights.
      if (!hf.normTopkProb)
        return unsupported("norm_topk_prob", "is false");
    }
    return true;
  }

  bool gptOss(ModelConfig &c) {
    if (!hf.slidingWindow || *hf.slidingWindow == 0)
      return fail("sliding_window", "is missing");
    for (uint64_t l = 0; l < hf.numHiddenLayers; ++l)
      if (hf.isSlidingLayer(l) != (l % 2 == 0))
        return unsupported("layer_types", "do not alternate sliding (even layers) and full "
                                          "attention");
    c.slidingWindow = int64_t(*hf.slidingWindow);
    c.swaPattern = 2;
    c.swigluAlpha = hf.swigluAlpha;
    c.swigluLimit = hf.swigluLimit;
    return true;
  }

  bool deepSeek(ModelConfig &c) {
    c.kvHeads = c.heads;
    c.qLoraRank = int64_t(hf.qLoraRank.value_or(0));
    c.kvLoraRank = int64_t(hf.kvLoraRank);
    c.qkNopeDim = int64_t(hf.qkNopeHeadDim);
    c.qkRopeDim = int64_t(hf.qkRopeHeadDim);
    c.vHeadDim = int64_t(hf.vHeadDim);
    c.headDim = c.qkRopeDim;
    c.leadingDenseLayers = int64_t(hf.firstKDenseReplace);
    c.sharedExperts = int64_t(hf.numSharedExperts);
    if (hf.moeLayerFreq != 1)
      return unsupported("moe_layer_freq", "is not 1");
    if (!hf.ropeInterleave)
      return unsupported("rope_interleave", "is false");
    if (hf.scoringFunc != "sigmoid" && hf.scoringFunc != "softmax")
      return unsupported("scoring_func", "'" + hf.scoringFunc + "'");
    if (c.expertGroups > 1 && !c.sigmoidRouting)
      return unsupported("n_group", "above 1 with softmax scoring");
    return true;
  }

  /// rope_theta and rope_scaling. YaRN's cos/sin factor is llama.cpp's
  /// 1 + 0.1 ln(factor) for Qwen3 and GPT-OSS; DeepSeek folds its mscale
  /// into the attention scale instead (ModelConfig::yarnLogMultiplier).
  bool rope(ModelConfig &c, int64_t dim, bool latent) {
    RopeParams &r = c.rope;
    r.base = hf.ropeTheta;
    r.dim = dim;
    const hf::RopeScaling &s = hf.ropeScaling;
    switch (s.type) {
    case hf::RopeType::None:
      return true;
    case hf::RopeType::Linear:
      r.scaling = tfm::RopeScaling::linear;
      r.factor = s.factor;
      return true;
    case hf::RopeType::Yarn:
      break;
    }
    r.scaling = tfm::RopeScaling::yarn;
    r.factor = s.factor;
    r.originalContext = int64_t(s.originalMaxPositionEmbeddings);
    r.betaFast = s.betaFast;
    r.betaSlow = s.betaSlow;
    if (r.originalContext <= 0)
      return fail("rope_scaling.original_max_position_embeddings", "must be positive");
    double attention = s.yarnAttentionFactor();
    if (latent) {
      if (std::fabs(attention - 1.0) > 1e-9)
        return unsupported("rope_scaling.mscale", "differs from mscale_all_dim");
      c.yarnLogMultiplier = 0.1 * s.mscaleAllDim.value_or(0.0);
      return true;
    }
    double expected = 1.0 + 0.1 * std::log(s.factor);
    if (std::fabs(attention - expected) > 1e-6 * expected)
      return unsupported("rope_scaling.attention_factor",
                         "gives " + std::to_string(attention) + " instead of 1 + 0.1 ln(factor)");
    return true;
  }

  const hf::HFConfig &hf;
  const std::string &file;
  std::string &error;
};

//===----------------------------------------------------------------------===//
// Weights: in place or derived
//===----------------------------------------------------------------------===//

uint64_t alignPart(uint64_t n) {
  return (n + rt::kWeightsPartAlignment - 1) / rt::kWeightsPartAlignment *
         rt::kWeightsPartAlignment;
}

/// A weight of the derived file and its offset there.
using DerivedWeight = std::pair<hf::MappedWeight, uint64_t>;

/// Where each weight goes: read in place from a shard, or written into the
/// derived file. The shards are mapped after the derived file, one after
/// another at aligned bases, so in-place offsets are first counted from the
/// first shard and rebased once the derived file's size is known.
class WeightPlacer {
public:
  WeightPlacer(const hf::Checkpoint &ckpt, const std::string &dir, std::string &error)
      : ckpt(ckpt), dir(dir), error(error) {}

  bool place(const hf::MappedWeight &w, ModelDescription &d) {
    std::optional<tfm::StorageType> storage = storageOf(w.format);
    if (!storage)
      return fail(w.name, std::string("has format ") + quant::formatName(w.format) +
                              ", which lmc cannot declare");
    WeightInfo info;
    info.shape = shapeOf(w.ne);
    info.storage = *storage;
    info.scales = w.scaleName;
    if (w.isZeroCopy() || isStackedInPlace(w)) {
      if (!inPlace(w, info))
        return false;
    } else if (w.encoding == hf::Encoding::RepackMxfp4 && w.sources.size() == 1 &&
               !w.transpose && (!w.select || w.select->count == 1)) {
      if (!mxfp4InPlace(w, info, d))
        return false;
    } else {
      derivedOffset = (derivedOffset + kAlignment - 1) / kAlignment * kAlignment;
      info.offset = derivedOffset;
      derived.push_back({w, derivedOffset});
      derivedOffset += w.nbytes();
    }
    d.weights[w.name] = std::move(info);
    return true;
  }

  /// Rebases the in-place weights once the derived file's size is known.
  void finish(ModelDescription &d, ImportedModel &model) {
    uint64_t first = alignPart(derivedOffset), base = first;
    for (size_t i = 0; i < ckpt.files().size(); ++i) {
      const hf::SafeTensorsFile &file = *ckpt.files()[i];
      model.weightParts.push_back({file.path(), "." + std::to_string(i + 1), base});
      base += alignPart(file.fileSize());
    }
    for (const std::string &name : inShard)
      d.weights[name].offset += first;
  }

  std::vector<DerivedWeight> derived;
  uint64_t derivedOffset = 0;

private:
  static constexpr uint64_t kAlignment = 64;

  bool fail(const std::string &weight, const std::string &problem) {
    error = dir + ": weight '" + weight + "' " + problem;
    return false;
  }

  const hf::CheckpointTensor *tensor(const std::string &name) {
    const hf::CheckpointTensor *t = ckpt.find(name);
    if (!t)
      fail(name, "is not in the checkpoint");
    return t;
  }

  /// Experts stacked from whole tensors of the same dtype: a slice table.
  static bool isStackedInPlace(const hf::MappedWeight &w) {
    return w.sources.size() > 1 && !w.select && !w.transpose &&
           w.encoding == hf::Encoding::Copy;
  }

  /// One tensor, or experts stacked from whole tensors (a slice table).
  bool inPlace(const hf::MappedWeight &w, WeightInfo &info) {
    std::vector<uint64_t> offsets;
    uint64_t sliceBytes = w.nbytes() / w.sources.size();
    for (const hf::WeightSource &s : w.sources) {
      const hf::CheckpointTensor *t = tensor(s.tensor);
      if (!t)
        return false;
      if (t->info->nbytes != sliceBytes)
        return fail(w.name, "expects " + std::to_string(sliceBytes) + " bytes of '" + s.tensor +
                                "', which has " + std::to_string(t->info->nbytes));
      offsets.push_back(t->info->fileOffset + shardOffset(t->file));
    }
    uint64_t first = *std::min_element(offsets.begin(), offsets.end());
    info.offset = first;
    if (w.sources.size() > 1)
      for (uint64_t o : offsets)
        info.sliceOffsets.push_back(int64_t(o - first));
    inShard.push_back(w.name);
    return true;
  }

  /// GPT-OSS's MXFP4 experts as stored: OpenAI's nibble order, E8M0 scales
  /// in their own tensor, gate and up rows interleaved (row_stride 2).
  bool mxfp4InPlace(const hf::MappedWeight &w, WeightInfo &info, ModelDescription &d) {
    const hf::CheckpointTensor *blocks = tensor(w.sources[0].tensor);
    const hf::CheckpointTensor *scales = tensor(w.sources[0].scales);
    if (!blocks || !scales)
      return false;
    const uint64_t cols = w.ne[0], groups = cols / 32;
    const uint64_t stride = w.select ? w.select->period : 1, first = w.select ? w.select->first : 0;
    info.storage = tfm::StorageType::mxfp4_oai;
    info.rowStride = int64_t(stride);
    info.offset = shardOffset(blocks->file) + blocks->info->fileOffset + first * groups * 16;
    info.scales = w.name + "_scales";
    WeightInfo scaleInfo;
    scaleInfo.shape = shapeOf(w.ne);
    scaleInfo.shape.back() = int64_t(groups);
    scaleInfo.storage = tfm::StorageType::e8m0;
    scaleInfo.rowStride = int64_t(stride);
    scaleInfo.offset = shardOffset(scales->file) + scales->info->fileOffset + first * groups;
    if (d.weights.count(info.scales))
      return fail(w.name, "collides with a weight named '" + info.scales + "'");
    d.weights[info.scales] = std::move(scaleInfo);
    inShard.push_back(w.name);
    inShard.push_back(info.scales);
    return true;
  }

  /// Where `file` starts, counted from the first shard's base.
  uint64_t shardOffset(const hf::SafeTensorsFile *file) {
    uint64_t at = 0;
    for (const auto &f : ckpt.files()) {
      if (f.get() == file)
        break;
      at += alignPart(f->fileSize());
    }
    return at;
  }

  const hf::Checkpoint &ckpt;
  const std::string &dir;
  std::string &error;
  /// In-place weights, whose offsets are from the first shard's base.
  std::vector<std::string> inShard;
};

/// Writes the derived weights file: every weight at its offset, rows
/// materialized a bounded chunk at a time.
bool writeDerived(const hf::Checkpoint &ckpt, const std::vector<DerivedWeight> &weights,
                  uint64_t size, const std::string &path, std::string &error) {
  std::FILE *out = std::fopen(path.c_str(), "wb");
  if (!out) {
    error = "cannot write '" + path + "': " + std::strerror(errno);
    return false;
  }
  auto failWrite = [&] {
    error = "cannot write '" + path + "': " + std::strerror(errno);
    std::fclose(out);
    llvm::sys::fs::remove(path);
    return false;
  };
  constexpr uint64_t kChunkBytes = 32ull << 20;
  std::vector<uint8_t> buffer;
  uint64_t written = 0;
  for (const auto &[w, offset] : weights) {
    std::vector<uint8_t> pad(offset - written, 0);
    if (!pad.empty() && std::fwrite(pad.data(), 1, pad.size(), out) != pad.size())
      return failWrite();
    uint64_t rowBytes = w.rowBytes(), rows = w.numRows();
    uint64_t chunkRows = std::max<uint64_t>(1, kChunkBytes / std::max<uint64_t>(rowBytes, 1));
    for (uint64_t r = 0; r < rows; r += chunkRows) {
      uint64_t n = std::min(chunkRows, rows - r);
      buffer.resize(n * rowBytes);
      if (!hf::materializeRows(w, ckpt, r, n, buffer.data(), error)) {
        std::fclose(out);
        llvm::sys::fs::remove(path);
        return false;
      }
      if (std::fwrite(buffer.data(), 1, buffer.size(), out) != buffer.size())
        return failWrite();
    }
    written = offset + w.nbytes();
  }
  std::vector<uint8_t> tail(size - written, 0);
  if (!tail.empty() && std::fwrite(tail.data(), 1, tail.size(), out) != tail.size())
    return failWrite();
  if (std::fclose(out) != 0) {
    error = "cannot write '" + path + "': " + std::strerror(errno);
    llvm::sys::fs::remove(path);
    return false;
  }
  return true;
}

std::string inFolder(const std::string &dir, const char *name) {
  llvm::SmallString<256> p(dir);
  llvm::sys::path::append(p, name);
  return p.str().str();
}
} // namespace

bool lmc::frontend::importHF(const std::string &dir, ImportedModel &model,
                             std::string &error) {
  std::string configPath = inFolder(dir, "config.json");
  hf::HFConfig config;
  if (!hf::loadHFConfig(configPath, config, error))
    return false;
  ModelDescription &d = model.description;
  if (!ConfigTranslator(config, configPath, error).translate(d.config))
    return false;
  d.config.name = llvm::sys::path::filename(llvm::StringRef(dir).rtrim('/')).str();

  std::shared_ptr<hf::Checkpoint> ckpt(hf::Checkpoint::open(dir, error).release());
  if (!ckpt)
    return false;
  hf::MappingOptions mapping;
  // The kernels read FP8 in 128 x 128 scale blocks; other block sizes are
  // decoded to F32 once.
  const std::vector<uint64_t> &block = config.quantization.weightBlockSize;
  if (config.quantization.method == hf::QuantMethod::Fp8 &&
      !(block.empty() || (block.size() == 2 && block[0] == uint64_t(tfm::kFp8ScaleBlock) &&
                          block[1] == uint64_t(tfm::kFp8ScaleBlock))))
    mapping.dequantizeFp8 = true;
  hf::WeightPlan plan;
  if (!hf::planWeights(config, *ckpt, plan, error, mapping))
    return false;

  WeightPlacer placer(*ckpt, dir, error);
  for (const hf::MappedWeight &w : plan.weights) {
    // Multi-token-prediction layers follow the decoder's; lmc does not run
    // them.
    if (layerOf(w.name) >= d.config.layers)
      continue;
    if (!placer.place(w, d))
      return false;
  }
  placer.finish(d, model);
  auto embedding = d.weights.find("token_embd.weight");
  if (embedding == d.weights.end() || embedding->second.shape.size() != 2) {
    error = dir + ": the checkpoint has no 2-D token embedding";
    return false;
  }
  d.config.vocab = embedding->second.shape[0];

  // The tokenizer (optional, as in a GGUF file).
  std::string tokenizerJson = inFolder(dir, "tokenizer.json");
  if (llvm::sys::fs::exists(tokenizerJson)) {
    std::string tokenizerConfig = inFolder(dir, "tokenizer_config.json");
    if (!llvm::sys::fs::exists(tokenizerConfig))
      tokenizerConfig.clear();
    if (!loadHFTokenizer(tokenizerJson, tokenizerConfig, model.tokenizer, error))
      return false;
    for (int64_t id : config.eosTokenIds)
      if (std::find(model.tokenizer.eosIds.begin(), model.tokenizer.eosIds.end(), id) ==
              model.tokenizer.eosIds.end() &&
          id >= 0 && id < d.config.vocab)
        model.tokenizer.eosIds.push_back(int32_t(id));
    if ((int64_t)model.tokenizer.tokens.size() > d.config.vocab) {
      error = tokenizerJson + ": the tokenizer has " +
              std::to_string(model.tokenizer.tokens.size()) + " tokens but the embedding only " +
              std::to_string(d.config.vocab) + " rows";
      return false;
    }
    model.chatFormat = chatFormatOf(model.tokenizer.chatTemplate);
  }

  uint64_t size = placer.derivedOffset;
  model.writeDerivedWeights = [ckpt, derived = std::move(placer.derived), size](
                                  const std::string &path, std::string &error) {
    return writeDerived(*ckpt, derived, size, path, error);
  };
  return true;
}
