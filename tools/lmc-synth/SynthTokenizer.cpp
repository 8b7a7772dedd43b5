//===- SynthTokenizer.cpp - tokenizers written by the synthesizer ---------===//

#include "tools/lmc-synth/SynthTokenizer.h"

#include <fstream>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

using namespace lmc;
using namespace lmc::synth;
using nlohmann::json;

namespace {
std::string encodeUtf8(uint32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s += char(cp);
  } else if (cp < 0x800) {
    s += char(0xC0 | (cp >> 6));
    s += char(0x80 | (cp & 0x3F));
  } else {
    s += char(0xE0 | (cp >> 12));
    s += char(0x80 | ((cp >> 6) & 0x3F));
    s += char(0x80 | (cp & 0x3F));
  }
  return s;
}

bool isPrintableByte(unsigned b) {
  return (b >= 33 && b <= 126) || (b >= 161 && b <= 172) ||
         (b >= 174 && b <= 255);
}

/// A ChatML template (the format Qwen models use), for the byte tokenizer.
const char *kChatMLTemplate =
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + "
    "'<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/// A token's text from a tokenizer_config.json entry (string or
/// {"content": ...}); empty if absent or null.
std::string tokenText(const json &cfg, const char *key) {
  auto it = cfg.find(key);
  if (it == cfg.end() || it->is_null())
    return "";
  if (it->is_string())
    return it->get<std::string>();
  if (it->is_object() && it->contains("content") &&
      (*it)["content"].is_string())
    return (*it)["content"].get<std::string>();
  return "";
}

bool readJson(const std::string &path, json &out, std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot open";
    return false;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  out = json::parse(ss.str(), nullptr, /*allow_exceptions=*/false);
  if (out.is_discarded()) {
    error = path + ": not valid JSON";
    return false;
  }
  return true;
}
} // namespace

std::string lmc::synth::byteToUnicode(uint8_t b) {
  if (isPrintableByte(b))
    return encodeUtf8(b);
  // Non-printable bytes map to U+0100 onwards, in byte order.
  uint32_t n = 0;
  for (unsigned c = 0; c < b; ++c)
    if (!isPrintableByte(c))
      ++n;
  return encodeUtf8(256 + n);
}

TokenizerData lmc::synth::makeByteTokenizer() {
  TokenizerData tok;
  tok.pre = "qwen2";
  for (unsigned b = 0; b < 256; ++b) {
    tok.tokens.push_back(byteToUnicode(uint8_t(b)));
    tok.types.push_back(TokenNormal);
  }
  // A few English merges so that BPE actually merges something; each part
  // exists by the time its merge is listed.
  const std::string sp = byteToUnicode(' ');
  const std::vector<std::pair<std::string, std::string>> merges = {
      {sp, "t"},  {"h", "e"},  {sp + "t", "he"}, {"i", "n"}, {sp, "a"},
      {"e", "r"}, {"o", "n"},  {"r", "e"},       {"a", "t"}, {sp, "s"},
      {"e", "n"}, {sp, "o"},   {"i", "s"},       {sp, "w"},  {"n", "d"},
      {sp + "a", "nd"}, {"in", "g"}, {sp, "i"}, {"o", "u"}, {sp + "i", "s"},
  };
  std::unordered_set<std::string> have(tok.tokens.begin(), tok.tokens.end());
  for (const auto &m : merges) {
    tok.merges.push_back(m.first + " " + m.second);
    std::string merged = m.first + m.second;
    if (have.insert(merged).second) {
      tok.tokens.push_back(merged);
      tok.types.push_back(TokenNormal);
    }
  }
  auto addSpecial = [&](const std::string &s, int32_t type) {
    tok.tokens.push_back(s);
    tok.types.push_back(type);
    return int64_t(tok.tokens.size() - 1);
  };
  int64_t eot = addSpecial("<|endoftext|>", TokenControl);
  addSpecial("<|im_start|>", TokenControl);
  int64_t imEnd = addSpecial("<|im_end|>", TokenControl);
  addSpecial("<think>", TokenUserDefined);
  addSpecial("</think>", TokenUserDefined);
  tok.bos = eot;
  tok.pad = eot;
  tok.eos = imEnd;
  tok.chatTemplate = kChatMLTemplate;
  return tok;
}

bool lmc::synth::loadHFTokenizer(const std::string &dir, const std::string &pre,
                                 TokenizerData &tok, std::string &error) {
  json tj;
  std::string tjPath = dir + "/tokenizer.json";
  if (!readJson(tjPath, tj, error))
    return false;
  const json &model = tj.value("model", json());
  if (!model.is_object() || model.value("type", "") != "BPE" ||
      !model.contains("vocab") || !model["vocab"].is_object()) {
    error = tjPath + ": expected a BPE model with a vocab";
    return false;
  }
  tok = TokenizerData();
  tok.pre = pre;

  // Ids -> strings, from the vocab and the added tokens.
  struct Entry {
    std::string text;
    int32_t type = 0; // 0: not yet assigned
  };
  std::vector<Entry> entries;
  auto place = [&](int64_t id, const std::string &text, int32_t type) {
    if (id < 0 || id > 10000000) {
      error = tjPath + ": token id " + std::to_string(id) + " out of range";
      return false;
    }
    if (size_t(id) >= entries.size())
      entries.resize(size_t(id) + 1);
    entries[id] = {text, type};
    return true;
  };
  for (auto it = model["vocab"].begin(); it != model["vocab"].end(); ++it) {
    if (!it.value().is_number_integer()) {
      error = tjPath + ": vocab entry '" + it.key() + "' has no integer id";
      return false;
    }
    if (!place(it.value().get<int64_t>(), it.key(), TokenNormal))
      return false;
  }
  std::unordered_map<std::string, int64_t> added;
  for (const json &a : tj.value("added_tokens", json::array())) {
    if (!a.contains("id") || !a.contains("content")) {
      error = tjPath + ": added token without id or content";
      return false;
    }
    int64_t id = a["id"].get<int64_t>();
    std::string text = a["content"].get<std::string>();
    bool special = a.value("special", false);
    if (!place(id, text, special ? TokenControl : TokenUserDefined))
      return false;
    added[text] = id;
  }
  for (size_t id = 0; id < entries.size(); ++id) {
    if (entries[id].type == 0)
      entries[id] = {"[PAD" + std::to_string(id) + "]", TokenUnused};
    tok.tokens.push_back(entries[id].text);
    tok.types.push_back(entries[id].type);
  }
  std::unordered_map<std::string, size_t> seen;
  for (size_t id = 0; id < tok.tokens.size(); ++id) {
    auto ins = seen.emplace(tok.tokens[id], id);
    if (!ins.second) {
      error = tjPath + ": tokens " + std::to_string(ins.first->second) +
              " and " + std::to_string(id) + " have the same text";
      return false;
    }
  }

  // Merges: ["a", "b"] pairs (new format) or "a b" strings (old format).
  for (const json &m : model.value("merges", json::array())) {
    if (m.is_string()) {
      tok.merges.push_back(m.get<std::string>());
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() &&
               m[1].is_string()) {
      tok.merges.push_back(m[0].get<std::string>() + " " +
                           m[1].get<std::string>());
    } else {
      error = tjPath + ": malformed merge entry";
      return false;
    }
  }

  // Special ids and the chat template from tokenizer_config.json.
  json cfg = json::object();
  std::string cfgPath = dir + "/tokenizer_config.json";
  if (std::ifstream(cfgPath).good() && !readJson(cfgPath, cfg, error))
    return false;
  auto idOf = [&](const std::string &text) -> int64_t {
    if (text.empty())
      return -1;
    auto it = added.find(text);
    if (it != added.end())
      return it->second;
    auto v = seen.find(text);
    return v == seen.end() ? -1 : int64_t(v->second);
  };
  tok.eos = idOf(tokenText(cfg, "eos_token"));
  tok.pad = idOf(tokenText(cfg, "pad_token"));
  tok.bos = idOf(tokenText(cfg, "bos_token"));
  if (tok.bos < 0)
    tok.bos = tok.pad >= 0 ? tok.pad : tok.eos; // never added: add_bos=false
  tok.addBos = cfg.value("add_bos_token", false);
  auto ct = cfg.find("chat_template");
  if (ct != cfg.end() && ct->is_string()) {
    tok.chatTemplate = ct->get<std::string>();
  } else if (ct != cfg.end() && ct->is_array()) {
    for (const json &t : *ct)
      if (t.value("name", "") == "default" && t.contains("template"))
        tok.chatTemplate = t["template"].get<std::string>();
  }
  return true;
}

bool lmc::synth::padVocabulary(TokenizerData &tok, uint32_t size,
                               std::string &error) {
  if (size < tok.tokens.size()) {
    error = "--vocab " + std::to_string(size) + " is smaller than the "
            "tokenizer's " + std::to_string(tok.tokens.size()) + " tokens";
    return false;
  }
  std::unordered_set<std::string> have(tok.tokens.begin(), tok.tokens.end());
  for (size_t id = tok.tokens.size(); id < size; ++id) {
    std::string s = "[PAD" + std::to_string(id) + "]";
    while (!have.insert(s).second)
      s += "_";
    tok.tokens.push_back(s);
    tok.types.push_back(TokenUnused);
  }
  return true;
}

void lmc::synth::addTokenizerMetadata(const TokenizerData &tok,
                                      ModelPlan &plan) {
  using gguf::Value;
  plan.set("tokenizer.ggml.model", Value::makeString(tok.model));
  plan.set("tokenizer.ggml.pre", Value::makeString(tok.pre));
  plan.set("tokenizer.ggml.tokens", Value::makeStringArray(tok.tokens));
  plan.set("tokenizer.ggml.token_type", Value::makeArray(tok.types));
  plan.set("tokenizer.ggml.merges", Value::makeStringArray(tok.merges));
  if (tok.bos >= 0)
    plan.set("tokenizer.ggml.bos_token_id", Value::makeU32(uint32_t(tok.bos)));
  if (tok.eos >= 0)
    plan.set("tokenizer.ggml.eos_token_id", Value::makeU32(uint32_t(tok.eos)));
  if (tok.pad >= 0)
    plan.set("tokenizer.ggml.padding_token_id",
             Value::makeU32(uint32_t(tok.pad)));
  plan.set("tokenizer.ggml.add_bos_token", Value::makeBool(tok.addBos));
  if (!tok.chatTemplate.empty())
    plan.set("tokenizer.chat_template", Value::makeString(tok.chatTemplate));
}
