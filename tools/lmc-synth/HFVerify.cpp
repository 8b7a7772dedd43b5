//===- HFVerify.cpp - a written HF folder, read back by frontends/hf ------===//

#include "tools/lmc-synth/HFVerify.h"

#include "frontends/hf/Checkpoint.h"
#include "frontends/hf/HFConfig.h"
#include "frontends/hf/WeightMap.h"
#include "frontends/tokenizer/HFTokenizerLoader.h"
#include "tools/lmc-synth/SynthValues.h"

#include <cstring>
#include <set>

using namespace lmc;
using namespace lmc::synth;

namespace {

bool verifyWeights(const std::string &dir, const ModelPlan &plan,
                   const SynthOptions &opts, std::string &error) {
  hf::HFConfig config;
  if (!hf::loadHFConfig(dir, config, error))
    return false;
  std::unique_ptr<hf::Checkpoint> ckpt = hf::Checkpoint::open(dir, error);
  if (!ckpt)
    return false;
  hf::WeightPlan mapped;
  hf::MappingOptions mo;
  mo.dequantizeFp8 = true; // the GGUF file holds FP8 weights' values in F32
  if (!hf::planWeights(config, *ckpt, mapped, error, mo))
    return false;
  ModelValues values(plan, opts.seed);
  std::set<std::string> seen;
  std::vector<uint8_t> got, want;
  for (const hf::MappedWeight &w : mapped.weights) {
    const TensorPlan *t = values.find(w.name);
    auto fail = [&](const std::string &problem) {
      error = dir + ": weight '" + w.name + "' " + problem;
      return false;
    };
    if (!t)
      return fail("is not a tensor of the GGUF model");
    if (w.ne != t->ne)
      return fail("has another shape than the GGUF tensor");
    seen.insert(w.name);
    got.resize(w.rowBytes());
    if (!hf::materializeRows(w, *ckpt, 0, 1, got.data(), error))
      return false;
    // Stored alike: the same bytes. Otherwise (a bf16 kv_b split into the
    // GGUF's F32 attn_k_b, f32 weights of a Q8_0 GGUF): the same values.
    const uint64_t n0 = w.ne[0];
    if (w.format == t->format) {
      want.resize(w.rowBytes());
      if (!values.encoded(*t, 0, 1, want.data(), error))
        return false;
    } else {
      std::vector<float> g(n0), v(n0);
      if (!quant::dequantizeRow(w.format, got.data(), g.data(), int64_t(n0)))
        return fail(std::string("cannot be decoded from ") +
                    quant::formatName(w.format));
      if (!values.decoded(*t, 0, 1, v.data(), error))
        return false;
      got.assign(reinterpret_cast<uint8_t *>(g.data()),
                 reinterpret_cast<uint8_t *>(g.data() + n0));
      want.assign(reinterpret_cast<uint8_t *>(v.data()),
                  reinterpret_cast<uint8_t *>(v.data() + n0));
    }
    if (got != want)
      return fail("does not read back as the values written");
  }
  for (const TensorPlan &t : plan.tensors)
    if (!seen.count(t.name)) {
      error = dir + ": GGUF tensor '" + t.name +
              "' is not among the checkpoint's weights";
      return false;
    }
  return true;
}

bool verifyTokenizer(const std::string &dir, const TokenizerData &tok,
                     std::string &error) {
  rt::TokenizerSpec spec;
  if (!frontend::loadHFTokenizer(dir + "/tokenizer.json",
                                 dir + "/tokenizer_config.json", spec, error))
    return false;
  auto fail = [&](const std::string &problem) {
    error = dir + "/tokenizer.json: " + problem;
    return false;
  };
  if (spec.tokens.size() > tok.tokens.size())
    return fail("has more tokens than the GGUF vocabulary");
  for (size_t id = 0; id < tok.tokens.size(); ++id) {
    const bool unused = tok.types[id] == TokenUnused;
    if (id >= spec.tokens.size()
            ? !unused
            : int32_t(spec.types[id]) != tok.types[id] ||
                  (!unused && spec.tokens[id] != tok.tokens[id]))
      return fail("token " + std::to_string(id) + " differs from the GGUF's");
  }
  if (spec.merges.size() != tok.merges.size())
    return fail("has " + std::to_string(spec.merges.size()) +
                " merges, the GGUF " + std::to_string(tok.merges.size()));
  for (size_t i = 0; i < spec.merges.size(); ++i)
    if (spec.tokens[spec.merges[i].first] + " " +
            spec.tokens[spec.merges[i].second] !=
        tok.merges[i])
      return fail("merge " + std::to_string(i) + " differs from the GGUF's");
  if (tok.eos >= 0 && (spec.eosIds.empty() || spec.eosIds[0] != tok.eos))
    return fail("its eos token is not the GGUF's");
  if (spec.addBos != tok.addBos || spec.chatTemplate != tok.chatTemplate)
    return fail("add_bos_token or the chat template differ from the GGUF's");
  return true;
}

} // namespace

bool lmc::synth::verifyHFFolder(const std::string &dir, const ModelPlan &plan,
                                const SynthOptions &opts,
                                const TokenizerData &tok, std::string &error) {
  return verifyWeights(dir, plan, opts, error) &&
         verifyTokenizer(dir, tok, error);
}
