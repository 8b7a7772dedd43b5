//===- Manifest.cpp - what the compiler tells the runtime -----------------===//
#include "compiler/Manifest.h"
#include "dialects/tfm/TfmOps.h"
#include "runtime/support/Fingerprint.h"
#include "runtime/tokenizer/Serialization.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <nlohmann/json.hpp>

using namespace lmc;

namespace {
/// The manifest format the runtime reads (runtime/core/Manifest.h).
constexpr int kManifestFormat = 1;

std::optional<tfm::KVCacheType> cacheTypeOf(const frontend::ImportedModel &model) {
  mlir::ModuleOp module = model.module.get();
  auto forward = module.lookupSymbol<mlir::func::FuncOp>("forward");
  if (!forward)
    return std::nullopt;
  for (mlir::Type t : forward.getArgumentTypes())
    if (auto cache = llvm::dyn_cast<tfm::KVCacheType>(t))
      return cache;
  return std::nullopt;
}
} // namespace

std::string lmc::buildManifest(const frontend::ImportedModel &model,
                               std::string &error) {
  std::optional<tfm::KVCacheType> cache = cacheTypeOf(model);
  if (!cache) {
    error = "internal error: the model's forward function has no KV cache";
    return "";
  }
  std::string fingerprint;
  uint64_t fileSize = 0;
  if (!rt::fingerprintFile(model.weightsPath, fingerprint, fileSize, error))
    return "";
  const frontend::ModelConfig &c = model.description.config;
  const rt::TokenizerSpec &tok = model.tokenizer;
  nlohmann::ordered_json m;
  m["format"] = kManifestFormat;
  m["arch"] = c.arch;
  m["name"] = c.name;
  m["vocab_size"] = c.vocab;
  m["context_length"] = c.contextLength;
  m["cache"] = {{"layers", cache->getLayers()}, {"streams", cache->getStreams()},
                {"heads", cache->getHeads()},   {"dim", cache->getDim()},
                {"dtype", cache->getElementType().isF16() ? "f16" : "f32"}};
  m["weights"] = {{"file_size", fileSize}, {"fingerprint", fingerprint}};
  if (!model.weightParts.empty()) {
    nlohmann::ordered_json parts = nlohmann::ordered_json::array();
    for (const frontend::WeightFilePart &part : model.weightParts) {
      std::string partFingerprint;
      uint64_t partSize = 0;
      if (!rt::fingerprintFile(part.source, partFingerprint, partSize, error))
        return "";
      parts.push_back({{"suffix", part.suffix},
                       {"base", part.base},
                       {"file_size", partSize},
                       {"fingerprint", partFingerprint}});
    }
    m["weights"]["parts"] = std::move(parts);
  }
  m["tokens"] = {{"bos", tok.bosId}, {"eos", tok.eosIds}, {"add_bos", tok.addBos}};
  if (!model.chatFormat.empty())
    m["chat"] = {{"format", model.chatFormat}};
  return m.dump();
}

bool lmc::buildRuntimeData(const frontend::ImportedModel &model,
                           std::vector<EmbeddedData> &data, std::string &error) {
  std::string manifest = buildManifest(model, error);
  if (manifest.empty())
    return false;
  data.push_back({"lmc_model_manifest",
                  std::vector<uint8_t>(manifest.begin(), manifest.end())});
  std::vector<uint8_t> tokenizer;
  if (!model.tokenizer.tokens.empty())
    tokenizer = rt::serializeTokenizer(model.tokenizer);
  data.push_back({"lmc_model_tokenizer", std::move(tokenizer)});
  return true;
}
