//===- GGUFTokenizerLoader.cpp - TokenizerSpec from GGUF metadata ---------===//
#include "frontends/tokenizer/GGUFTokenizerLoader.h"
#include "frontends/gguf/GGUF.h"

#include <algorithm>

using namespace lmc;
using namespace lmc::frontend;
using rt::TokenType;

namespace {

/// Reads an optional u32 token id; -1 when absent.
bool optionalId(const gguf::GGUFFile &file, const char *key, size_t numTokens,
                int32_t &id, std::string &err) {
  id = -1;
  if (!file.has(key))
    return true;
  uint32_t value;
  if (!file.getU32(key, value, err))
    return false;
  if (value >= numTokens) {
    err = file.errorPrefix() + "key '" + key + "' is " + std::to_string(value) +
          ", outside the " + std::to_string(numTokens) + " tokens";
    return false;
  }
  id = int32_t(value);
  return true;
}

void addUnique(std::vector<int32_t> &ids, int32_t id) {
  if (id >= 0 && std::find(ids.begin(), ids.end(), id) == ids.end())
    ids.push_back(id);
}
} // namespace

bool lmc::frontend::hasGGUFTokenizer(const gguf::GGUFFile &file) {
  return file.has("tokenizer.ggml.model");
}

bool lmc::frontend::loadGGUFTokenizer(const gguf::GGUFFile &file,
                                      rt::TokenizerSpec &spec, std::string &err) {
  const std::string where = file.errorPrefix();
  std::string model, pre;
  if (!file.getString("tokenizer.ggml.model", model, err))
    return false;
  if (model != "gpt2") {
    err = where + "tokenizer.ggml.model '" + model +
          "' is not supported (lmc reads byte-level BPE, 'gpt2')";
    return false;
  }
  if (!file.getString("tokenizer.ggml.pre", pre, err))
    return false;
  std::optional<rt::PreTokenizerKind> kind = rt::preTokenizerFromGGUFName(pre);
  if (!kind) {
    err = where + "tokenizer.ggml.pre '" + pre +
          "' is not a pre-tokenizer lmc knows (qwen2, gpt-4o, deepseek-v3)";
    return false;
  }
  spec = rt::TokenizerSpec();
  spec.preTokenizer = *kind;
  spec.normalizer = rt::defaultNormalizer(*kind);
  spec.ignoreMerges = rt::defaultIgnoreMerges(*kind);

  std::vector<int32_t> types;
  std::vector<std::string> mergeTexts;
  if (!file.getStringArray("tokenizer.ggml.tokens", spec.tokens, err) ||
      !file.getI32Array("tokenizer.ggml.token_type", types, err) ||
      !file.getStringArray("tokenizer.ggml.merges", mergeTexts, err))
    return false;
  if (spec.tokens.empty()) {
    err = where + "tokenizer.ggml.tokens is empty";
    return false;
  }
  if (types.size() != spec.tokens.size()) {
    err = where + "tokenizer.ggml.token_type has " + std::to_string(types.size()) +
          " entries for " + std::to_string(spec.tokens.size()) + " tokens";
    return false;
  }
  spec.types.reserve(types.size());
  for (size_t id = 0; id < types.size(); ++id) {
    if (types[id] < int32_t(TokenType::Normal) || types[id] > int32_t(TokenType::Byte)) {
      err = where + "tokenizer.ggml.token_type of token " + std::to_string(id) +
            " is " + std::to_string(types[id]) + ", not a token type (1-6)";
      return false;
    }
    spec.types.push_back(TokenType(types[id]));
  }

  std::vector<std::pair<std::string, std::string>> merges;
  merges.reserve(mergeTexts.size());
  for (size_t i = 0; i < mergeTexts.size(); ++i) {
    const std::string &m = mergeTexts[i];
    size_t space = m.find(' ');
    if (space == std::string::npos || space == 0 || space + 1 == m.size() ||
        m.find(' ', space + 1) != std::string::npos) {
      err = where + "tokenizer.ggml.merges entry " + std::to_string(i) +
            " is not two tokens separated by one space";
      return false;
    }
    merges.emplace_back(m.substr(0, space), m.substr(space + 1));
  }
  if (!rt::resolveMerges(spec, merges, err)) {
    err = where + "tokenizer.ggml.merges: " + err;
    return false;
  }

  const size_t n = spec.tokens.size();
  int32_t eos, eot, eom;
  if (!optionalId(file, "tokenizer.ggml.bos_token_id", n, spec.bosId, err) ||
      !optionalId(file, "tokenizer.ggml.eos_token_id", n, eos, err) ||
      !optionalId(file, "tokenizer.ggml.eot_token_id", n, eot, err) ||
      !optionalId(file, "tokenizer.ggml.eom_token_id", n, eom, err) ||
      !optionalId(file, "tokenizer.ggml.padding_token_id", n, spec.padId, err))
    return false;
  if (file.has("tokenizer.ggml.add_bos_token") &&
      !file.getBool("tokenizer.ggml.add_bos_token", spec.addBos, err))
    return false;
  if (spec.addBos && spec.bosId < 0) {
    err = where + "tokenizer.ggml.add_bos_token is true but there is no "
                  "tokenizer.ggml.bos_token_id";
    return false;
  }
  if (file.has("tokenizer.chat_template") &&
      !file.getString("tokenizer.chat_template", spec.chatTemplate, err))
    return false;

  spec.eotId = eot >= 0 ? eot : rt::findEndOfTurnToken(spec);
  for (int32_t id : {eos, eot, eom, spec.eotId})
    addUnique(spec.eosIds, id);
  for (size_t id = 0; id < n; ++id)
    if (spec.types[id] == TokenType::Control &&
        rt::isEndOfGenerationText(spec.tokens[id]))
      addUnique(spec.eosIds, int32_t(id));
  return true;
}
