//===- HFWriter.cpp - the model as a Hugging Face checkpoint folder -------===//

#include "tools/lmc-synth/HFWriter.h"

#include "tools/lmc-synth/HFConfigJson.h"
#include "tools/lmc-synth/HFTokenizerFiles.h"
#include "tools/lmc-synth/HFVerify.h"
#include "tools/lmc-synth/HFWeights.h"

#include <filesystem>
#include <fstream>
#include <regex>

using namespace lmc;
using namespace lmc::synth;
namespace fs = std::filesystem;

bool lmc::synth::resolveHFOptions(SynthOptions &o, std::string &error) {
  if (o.hfDtype != "bf16" && o.hfDtype != "f32") {
    error = "unknown --hf-dtype '" + o.hfDtype + "' (expected bf16 or f32)";
    return false;
  }
  if (o.hfFp8.value_or(false) && o.arch != "deepseek2") {
    error = "--hf-fp8: only deepseek2 checkpoints store FP8 weights";
    return false;
  }
  if (o.hfOut.empty())
    return true;
  if (!o.typeGiven)
    o.type = o.hfDtype;
  if (!o.hfFp8)
    o.hfFp8 = o.arch == "deepseek2" && o.hfDtype == "bf16";
  return true;
}

namespace {

/// Removes the checkpoint files an earlier write may have left in `dir`:
/// Checkpoint::open prefers model.safetensors to an index, and an index
/// must not name shards of another model.
bool removeStaleCheckpoint(const std::string &dir, std::string &error) {
  static const std::regex shard("model-[0-9]{5}-of-[0-9]{5}\\.safetensors");
  std::error_code ec;
  for (const fs::directory_entry &e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (name == "model.safetensors" || name == "model.safetensors.index.json" ||
        std::regex_match(name, shard))
      if (!fs::remove(e.path(), ec) && ec)
        break;
  }
  if (ec) {
    error = dir + ": " + ec.message();
    return false;
  }
  return true;
}

bool writeConfig(const std::string &dir, const SynthOptions &opts,
                 const ModelPlan &plan, const TokenizerData &tok,
                 std::string &error) {
  nlohmann::ordered_json config;
  if (!makeHFConfigJson(opts, plan, tok, config, error))
    return false;
  std::ofstream out(dir + "/config.json", std::ios::binary | std::ios::trunc);
  out << config.dump(2) << "\n";
  if (!out.flush()) {
    error = dir + "/config.json: cannot write";
    return false;
  }
  return true;
}

} // namespace

bool lmc::synth::checkHFFolder(const ModelPlan &plan, const SynthOptions &opts,
                               const TokenizerData &tok, std::string &error) {
  nlohmann::ordered_json config;
  return makeHFConfigJson(opts, plan, tok, config, error) &&
         checkHFWeights(plan, opts, error);
}

bool lmc::synth::writeHFFolder(const ModelPlan &plan, const SynthOptions &opts,
                               const TokenizerData &tok, std::string &error) {
  const std::string &dir = opts.hfOut;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec || !fs::is_directory(dir)) {
    error = dir + ": cannot create the folder" +
            (ec ? " (" + ec.message() + ")" : std::string());
    return false;
  }
  return removeStaleCheckpoint(dir, error) &&
         writeConfig(dir, opts, plan, tok, error) &&
         writeHFTokenizerFiles(opts, tok, dir, error) &&
         writeHFWeights(plan, opts, dir, error) &&
         verifyHFFolder(dir, plan, opts, tok, error);
}
