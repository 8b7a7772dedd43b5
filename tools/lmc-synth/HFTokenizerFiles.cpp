//===- HFTokenizerFiles.cpp - tokenizer.json of a synthesized model -------===//

#include "tools/lmc-synth/HFTokenizerFiles.h"

#include "runtime/tokenizer/TokenizerSpec.h"

#include <filesystem>
#include <fstream>

using namespace lmc;
using namespace lmc::synth;
using json = nlohmann::ordered_json;

namespace {

json byteLevel() {
  return {{"type", "ByteLevel"},
          {"add_prefix_space", false},
          {"trim_offsets", false},
          {"use_regex", false}};
}

json addedToken(int64_t id, const std::string &text, bool special) {
  return {{"id", id},          {"content", text}, {"single_word", false},
          {"lstrip", false},   {"rstrip", false}, {"normalized", false},
          {"special", special}};
}

bool writeJsonFile(const std::string &path, const json &j, std::string &error) {
  std::string text;
  try {
    text = j.dump(2);
  } catch (const std::exception &e) {
    error = path + ": " + e.what();
    return false;
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text << "\n";
  if (!out.flush()) {
    error = path + ": cannot write";
    return false;
  }
  return true;
}

bool copyFile(const std::string &from, const std::string &to,
              std::string &error) {
  std::error_code ec;
  std::filesystem::copy_file(
      from, to, std::filesystem::copy_options::overwrite_existing, ec);
  if (ec) {
    error = "cannot copy " + from + " to " + to + ": " + ec.message();
    return false;
  }
  return true;
}

} // namespace

bool lmc::synth::makeTokenizerJson(const TokenizerData &tok, json &out,
                                   std::string &error) {
  std::optional<rt::PreTokenizerKind> kind =
      rt::preTokenizerFromGGUFName(tok.pre);
  if (tok.model != "gpt2" || !kind) {
    error = "no tokenizer.json for tokenizer model '" + tok.model +
            "' with pre-tokenizer '" + tok.pre + "'";
    return false;
  }
  json vocab = json::object(), added = json::array(), merges = json::array();
  for (size_t id = 0; id < tok.tokens.size(); ++id) {
    switch (tok.types[id]) {
    case TokenNormal:
    case TokenByte:
      vocab[tok.tokens[id]] = id;
      break;
    case TokenControl:
    case TokenUserDefined:
      added.push_back(addedToken(int64_t(id), tok.tokens[id],
                                 tok.types[id] == TokenControl));
      break;
    default:
      break; // unused padding ids are not tokens
    }
  }
  // Byte-level token texts have no spaces: the one space splits a merge.
  for (const std::string &m : tok.merges) {
    size_t sp = m.find(' ');
    if (sp == std::string::npos || m.find(' ', sp + 1) != std::string::npos) {
      error = "merge '" + m + "' is not two tokens separated by one space";
      return false;
    }
    merges.push_back({m.substr(0, sp), m.substr(sp + 1)});
  }
  json steps = json::array();
  for (const std::string &regex : rt::preTokenizerPatterns(*kind))
    steps.push_back({{"type", "Split"},
                     {"pattern", {{"Regex", regex}}},
                     {"behavior", "Isolated"},
                     {"invert", false}});
  steps.push_back(byteLevel());

  out = json::object();
  out["version"] = "1.0";
  out["truncation"] = nullptr;
  out["padding"] = nullptr;
  out["added_tokens"] = added;
  out["normalizer"] = rt::defaultNormalizer(*kind) == rt::NormalizerKind::NFC
                          ? json{{"type", "NFC"}}
                          : json(nullptr);
  out["pre_tokenizer"] = {{"type", "Sequence"}, {"pretokenizers", steps}};
  out["post_processor"] = byteLevel();
  out["decoder"] = byteLevel();
  out["model"] = {{"type", "BPE"},
                  {"dropout", nullptr},
                  {"unk_token", nullptr},
                  {"continuing_subword_prefix", ""},
                  {"end_of_word_suffix", ""},
                  {"fuse_unk", false},
                  {"byte_fallback", false},
                  {"ignore_merges", rt::defaultIgnoreMerges(*kind)},
                  {"vocab", vocab},
                  {"merges", merges}};
  return true;
}

json lmc::synth::makeTokenizerConfig(const TokenizerData &tok,
                                     uint64_t maxLength) {
  auto text = [&](int64_t id) {
    return id >= 0 && size_t(id) < tok.tokens.size() ? json(tok.tokens[id])
                                                     : json(nullptr);
  };
  json decoder = json::object();
  for (size_t id = 0; id < tok.tokens.size(); ++id)
    if (tok.types[id] == TokenControl || tok.types[id] == TokenUserDefined)
      decoder[std::to_string(id)] = {
          {"content", tok.tokens[id]},
          {"lstrip", false},
          {"normalized", false},
          {"rstrip", false},
          {"single_word", false},
          {"special", tok.types[id] == TokenControl}};
  json c = json::object();
  c["add_bos_token"] = tok.addBos;
  c["add_prefix_space"] = false;
  c["added_tokens_decoder"] = decoder;
  c["bos_token"] = text(tok.bos);
  c["chat_template"] = tok.chatTemplate;
  c["clean_up_tokenization_spaces"] = false;
  c["eos_token"] = text(tok.eos);
  c["errors"] = "replace";
  c["model_max_length"] = maxLength;
  c["pad_token"] = text(tok.pad);
  c["split_special_tokens"] = false;
  c["tokenizer_class"] = "PreTrainedTokenizerFast";
  c["unk_token"] = nullptr;
  return c;
}

bool lmc::synth::writeHFTokenizerFiles(const SynthOptions &opts,
                                       const TokenizerData &tok,
                                       const std::string &dir,
                                       std::string &error) {
  const std::string tokenizerPath = dir + "/tokenizer.json",
                    configPath = dir + "/tokenizer_config.json";
  if (opts.tokenizer != "bytes") {
    const std::string from = opts.tokenizerDir;
    if (!copyFile(from + "/tokenizer.json", tokenizerPath, error))
      return false;
    if (std::filesystem::exists(from + "/tokenizer_config.json"))
      return copyFile(from + "/tokenizer_config.json", configPath, error);
    return writeJsonFile(configPath, makeTokenizerConfig(tok, opts.ctx), error);
  }
  json tj;
  return makeTokenizerJson(tok, tj, error) &&
         writeJsonFile(tokenizerPath, tj, error) &&
         writeJsonFile(configPath, makeTokenizerConfig(tok, opts.ctx), error);
}
