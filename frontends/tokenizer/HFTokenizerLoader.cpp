//===- HFTokenizerLoader.cpp - TokenizerSpec from Hugging Face files -------===//

#include "frontends/tokenizer/HFTokenizerLoader.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

namespace lmc::frontend {
namespace {

using json = nlohmann::json;
using rt::TokenizerSpec;
using rt::TokenType;

/// Ids above this are taken as corruption rather than allocated.
constexpr int64_t kMaxTokenId = 1 << 24;

/// Collects the message of the first syntax error; used only to explain why
/// the non-throwing parse failed.
struct SyntaxErrorRecorder : nlohmann::json_sax<json> {
  std::string message;
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t &) override { return true; }
  bool string(string_t &) override { return true; }
  bool binary(binary_t &) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t &) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t, const std::string &,
                   const nlohmann::detail::exception &ex) override {
    message = ex.what();
    return false;
  }
};

bool parseJson(std::string_view text, const std::string &file, json &out,
               std::string &err) {
  out = json::parse(text.begin(), text.end(), nullptr,
                    /*allow_exceptions=*/false);
  if (!out.is_discarded())
    return true;
  SyntaxErrorRecorder recorder;
  json::sax_parse(text.begin(), text.end(), &recorder);
  std::string msg = recorder.message;
  // Drop nlohmann's "[json.exception.parse_error.101] " prefix.
  if (size_t p = msg.find("] "); p != std::string::npos && msg[0] == '[')
    msg = msg.substr(p + 2);
  err = file + ": malformed JSON: " + (msg.empty() ? "parse error" : msg);
  return false;
}

bool readFile(const std::string &path, std::string &out, std::string &err) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    err = path + ": cannot open file";
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    err = path + ": read error";
    return false;
  }
  out = ss.str();
  return true;
}

std::string typeName(const json &v) { return v.type_name(); }

/// Reports field errors as "FILE: PATH: problem".
class Fields {
public:
  Fields(std::string file, std::string &err) : file_(std::move(file)), err_(err) {}

  bool fail(const std::string &path, const std::string &msg) {
    err_ = file_ + ": " + (path.empty() ? "" : path + ": ") + msg;
    return false;
  }
  bool expect(const json &v, json::value_t type, const std::string &path,
              const char *what) {
    bool ok = v.type() == type ||
              (type == json::value_t::number_integer &&
               v.type() == json::value_t::number_unsigned);
    return ok || fail(path, std::string("expected ") + what + ", found " +
                                typeName(v));
  }
  bool string(const json &v, const std::string &path, std::string &out) {
    if (!expect(v, json::value_t::string, path, "a string"))
      return false;
    out = v.get<std::string>();
    return true;
  }
  bool boolean(const json &obj, const char *key, const std::string &path,
               bool &out) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null())
      return true; // Absent: keep the default.
    if (!expect(*it, json::value_t::boolean,
                path.empty() ? std::string(key) : path + "." + key, "a boolean"))
      return false;
    out = it->get<bool>();
    return true;
  }
  bool id(const json &v, const std::string &path, int32_t &out) {
    if (!v.is_number_integer())
      return fail(path, "expected a token id, found " + typeName(v));
    int64_t i = v.get<int64_t>();
    if (i < 0 || i > kMaxTokenId)
      return fail(path, "token id " + std::to_string(i) + " is out of range");
    out = int32_t(i);
    return true;
  }

private:
  std::string file_;
  std::string &err_;
};

const json *member(const json &obj, const char *key) {
  if (!obj.is_object())
    return nullptr;
  auto it = obj.find(key);
  return it == obj.end() || it->is_null() ? nullptr : &*it;
}

// Lenient readers for fields whose wrong type just fails a later comparison
// (json::value() would throw on a type mismatch).
std::string stringField(const json &obj, const char *key) {
  const json *v = member(obj, key);
  return v && v->is_string() ? v->get<std::string>() : std::string();
}
bool boolField(const json &obj, const char *key, bool dflt) {
  const json *v = member(obj, key);
  return v && v->is_boolean() ? v->get<bool>() : dflt;
}
std::string dumpShort(const json &v) {
  std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
  return s.size() > 60 ? s.substr(0, 60) + "..." : s;
}

std::string quoted(std::string s) {
  if (s.size() > 60)
    s = s.substr(0, 60) + "...";
  return "'" + s + "'";
}

bool loadModel(const json &root, Fields &f, TokenizerSpec &spec,
               std::map<int32_t, std::string> &vocab,
               std::vector<std::pair<std::string, std::string>> &merges) {
  const json *model = member(root, "model");
  if (!model)
    return f.fail("model", "missing");
  if (!f.expect(*model, json::value_t::object, "model", "an object"))
    return false;
  if (const json *type = member(*model, "type")) {
    std::string t;
    if (!f.string(*type, "model.type", t))
      return false;
    if (t != "BPE")
      return f.fail("model.type", "unsupported model " + quoted(t) +
                                      " (lmc supports byte-level BPE)");
  }
  if (const json *d = member(*model, "dropout"))
    if (!(d->is_number() && d->get<double>() == 0.0))
      return f.fail("model.dropout", "BPE dropout is not supported");
  for (const char *key : {"continuing_subword_prefix", "end_of_word_suffix"})
    if (const json *v = member(*model, key))
      if (!(v->is_string() && v->get<std::string>().empty()))
        return f.fail(std::string("model.") + key, "is not supported");
  bool byteFallback = false;
  if (!f.boolean(*model, "byte_fallback", "model", byteFallback))
    return false;
  if (byteFallback)
    return f.fail("model.byte_fallback",
                  "byte fallback (SentencePiece-style BPE) is not supported");
  if (!f.boolean(*model, "ignore_merges", "model", spec.ignoreMerges))
    return false;

  const json *v = member(*model, "vocab");
  if (!v)
    return f.fail("model.vocab", "missing");
  if (!f.expect(*v, json::value_t::object, "model.vocab", "an object"))
    return false;
  for (auto it = v->begin(); it != v->end(); ++it) {
    int32_t id;
    if (!f.id(it.value(), "model.vocab[" + quoted(it.key()) + "]", id))
      return false;
    auto [pos, inserted] = vocab.emplace(id, it.key());
    if (!inserted)
      return f.fail("model.vocab", "id " + std::to_string(id) +
                                       " is given to both " +
                                       quoted(pos->second) + " and " +
                                       quoted(it.key()));
  }

  const json *m = member(*model, "merges");
  if (!m)
    return f.fail("model.merges", "missing");
  if (!f.expect(*m, json::value_t::array, "model.merges", "an array"))
    return false;
  merges.reserve(m->size());
  for (size_t i = 0; i < m->size(); ++i) {
    const json &e = (*m)[i];
    std::string path = "model.merges[" + std::to_string(i) + "]";
    if (e.is_string()) {
      // Older form: "a b", the two parts separated by the only space.
      const std::string &s = e.get_ref<const std::string &>();
      size_t sp = s.find(' ');
      if (sp == std::string::npos || s.find(' ', sp + 1) != std::string::npos)
        return f.fail(path, "expected two tokens separated by one space, found " +
                                quoted(s));
      merges.emplace_back(s.substr(0, sp), s.substr(sp + 1));
    } else if (e.is_array() && e.size() == 2 && e[0].is_string() &&
               e[1].is_string()) {
      merges.emplace_back(e[0].get<std::string>(), e[1].get<std::string>());
    } else {
      return f.fail(path, "expected \"a b\" or [a, b], found " + dumpShort(e));
    }
  }
  return true;
}

bool loadAddedTokens(const json &root, Fields &f,
                     std::map<int32_t, std::string> &vocab,
                     std::map<int32_t, TokenType> &addedTypes) {
  const json *added = member(root, "added_tokens");
  if (!added)
    return true;
  if (!f.expect(*added, json::value_t::array, "added_tokens", "an array"))
    return false;
  for (size_t i = 0; i < added->size(); ++i) {
    const json &t = (*added)[i];
    std::string path = "added_tokens[" + std::to_string(i) + "]";
    if (!f.expect(t, json::value_t::object, path, "an object"))
      return false;
    const json *idField = member(t, "id");
    const json *contentField = member(t, "content");
    if (!idField || !contentField)
      return f.fail(path, idField ? "missing content" : "missing id");
    int32_t id;
    std::string content;
    if (!f.id(*idField, path + ".id", id) ||
        !f.string(*contentField, path + ".content", content))
      return false;
    if (content.empty())
      return f.fail(path + ".content", "is empty");
    bool special = false, lstrip = false, rstrip = false, singleWord = false;
    if (!f.boolean(t, "special", path, special) ||
        !f.boolean(t, "lstrip", path, lstrip) ||
        !f.boolean(t, "rstrip", path, rstrip) ||
        !f.boolean(t, "single_word", path, singleWord))
      return false;
    // None of the supported families uses these; rather than approximate
    // them, refuse.
    if (lstrip || rstrip || singleWord)
      return f.fail(path, "added token " + quoted(content) + " uses " +
                              (lstrip ? "lstrip" : rstrip ? "rstrip" : "single_word") +
                              ", which lmc does not support");
    // `normalized` only matters for a normalizer that changes the token's
    // text; NFC leaves these ASCII/NFC texts alone, so it is ignored.
    vocab[id] = content;
    addedTypes[id] = special ? TokenType::Control : TokenType::UserDefined;
  }
  return true;
}

bool loadNormalizer(const json &root, Fields &f, TokenizerSpec &spec) {
  spec.normalizer = rt::NormalizerKind::None;
  const json *n = member(root, "normalizer");
  if (!n)
    return true;
  std::vector<const json *> parts;
  std::string type = stringField(*n, "type");
  if (type == "Sequence") {
    const json *list = member(*n, "normalizers");
    if (!list || !list->is_array())
      return f.fail("normalizer.normalizers", "expected an array");
    for (const json &e : *list)
      parts.push_back(&e);
  } else {
    parts.push_back(n);
  }
  for (const json *p : parts) {
    std::string t = stringField(*p, "type");
    if (t == "NFC" && spec.normalizer == rt::NormalizerKind::None) {
      spec.normalizer = rt::NormalizerKind::NFC;
      continue;
    }
    return f.fail("normalizer", "unsupported normalizer " +
                                    (t.empty() ? dumpShort(*p) : quoted(t)) +
                                    " (lmc supports none or NFC)");
  }
  return true;
}

bool loadPreTokenizer(const json &root, Fields &f, TokenizerSpec &spec) {
  const json *pt = member(root, "pre_tokenizer");
  if (!pt)
    return f.fail("pre_tokenizer", "missing (lmc needs a byte-level BPE "
                                   "pre-tokenizer of a known family)");
  std::vector<const json *> steps;
  if (stringField(*pt, "type") == "Sequence") {
    const json *list = member(*pt, "pretokenizers");
    if (!list || !list->is_array())
      return f.fail("pre_tokenizer.pretokenizers", "expected an array");
    for (const json &e : *list)
      steps.push_back(&e);
  } else {
    steps.push_back(pt);
  }
  // Split(regex, Isolated)... followed by ByteLevel without its own regex.
  std::vector<std::string> regexes;
  bool byteLevel = false;
  for (size_t i = 0; i < steps.size(); ++i) {
    const json &s = *steps[i];
    std::string path = "pre_tokenizer step " + std::to_string(i);
    std::string type = stringField(s, "type");
    if (type == "Split" && !byteLevel) {
      const json *pattern = member(s, "pattern");
      const json *regex = pattern ? member(*pattern, "Regex") : nullptr;
      if (!regex || !regex->is_string())
        return f.fail(path, "unsupported Split pattern (expected a Regex)");
      if (stringField(s, "behavior") != "Isolated" || boolField(s, "invert", false))
        return f.fail(path, "unsupported Split behavior " +
                                quoted(stringField(s, "behavior")) +
                                " (lmc supports Isolated, not inverted)");
      regexes.push_back(regex->get<std::string>());
      continue;
    }
    if (type == "ByteLevel" && !byteLevel) {
      if (boolField(s, "add_prefix_space", false))
        return f.fail(path, "ByteLevel add_prefix_space is not supported");
      if (boolField(s, "use_regex", true))
        return f.fail(path, "ByteLevel with its own GPT-2 regex is not a "
                            "supported pre-tokenizer");
      byteLevel = true;
      continue;
    }
    return f.fail(path, "unsupported pre-tokenizer " +
                            (type.empty() ? dumpShort(s) : quoted(type)));
  }
  if (!byteLevel)
    return f.fail("pre_tokenizer", "no ByteLevel step (lmc supports "
                                   "byte-level BPE only)");
  for (auto kind : {rt::PreTokenizerKind::Qwen2, rt::PreTokenizerKind::O200k,
                    rt::PreTokenizerKind::DeepSeekV3}) {
    if (rt::preTokenizerPatterns(kind) == regexes) {
      spec.preTokenizer = kind;
      return true;
    }
  }
  return f.fail("pre_tokenizer",
                "unsupported pre-tokenizer: its " + std::to_string(regexes.size()) +
                    " regex(es) match none of qwen2, o200k, deepseek_v3" +
                    (regexes.empty() ? "" : " (first: " + quoted(regexes[0]) + ")"));
}

bool checkDecoder(const json &root, Fields &f) {
  const json *d = member(root, "decoder");
  if (!d)
    return true;
  std::string type = stringField(*d, "type");
  if (type != "ByteLevel")
    return f.fail("decoder", "unsupported decoder " + quoted(type) +
                                 " (lmc supports ByteLevel)");
  return true;
}

/// A TemplateProcessing post-processor that puts a special token first means
/// "add BOS"; others add nothing to a single sequence.
bool loadPostProcessor(const json &root, Fields &f, TokenizerSpec &spec,
                       std::string &bosText) {
  const json *p = member(root, "post_processor");
  if (!p || stringField(*p, "type") != "TemplateProcessing")
    return true;
  const json *single = member(*p, "single");
  if (!single || !single->is_array() || single->empty())
    return true;
  const json *first = member((*single)[0], "SpecialToken");
  if (!first)
    return true;
  const json *id = member(*first, "id");
  if (!id || !id->is_string())
    return f.fail("post_processor.single[0]", "expected SpecialToken.id");
  bosText = id->get<std::string>();
  spec.addBos = true;
  return true;
}

/// A token given in tokenizer_config.json: "text", {"content": "text"} or null.
bool configToken(const json &config, const char *key, Fields &f,
                 const TokenizerSpec &spec, int32_t &id) {
  const json *v = member(config, key);
  if (!v)
    return true;
  std::string text;
  if (v->is_object()) {
    const json *content = member(*v, "content");
    if (!content)
      return f.fail(key, "missing content");
    if (!f.string(*content, std::string(key) + ".content", text))
      return false;
  } else if (!f.string(*v, key, text)) {
    return false;
  }
  auto it = std::find(spec.tokens.begin(), spec.tokens.end(), text);
  if (it == spec.tokens.end())
    return f.fail(key, quoted(text) + " is not a token of tokenizer.json");
  id = int32_t(it - spec.tokens.begin());
  return true;
}

bool loadChatTemplate(const json &config, Fields &f, std::string &out) {
  const json *t = member(config, "chat_template");
  if (!t)
    return true;
  if (t->is_string()) {
    out = t->get<std::string>();
    return true;
  }
  // A list of named templates: take "default", else the first.
  if (t->is_array()) {
    for (size_t i = 0; i < t->size(); ++i) {
      const json &e = (*t)[i];
      const json *name = member(e, "name");
      const json *tmpl = member(e, "template");
      if (!name || !tmpl || !name->is_string() || !tmpl->is_string())
        return f.fail("chat_template[" + std::to_string(i) + "]",
                      "expected {name, template} strings");
      if (out.empty() || name->get<std::string>() == "default")
        out = tmpl->get<std::string>();
    }
    return true;
  }
  return f.fail("chat_template", "expected a string or a list of templates, found " +
                                     typeName(*t));
}

bool parseConfig(const json &config, Fields &f, TokenizerSpec &spec) {
  if (!f.expect(config, json::value_t::object, "", "a JSON object"))
    return false;
  int32_t eos = -1;
  if (!configToken(config, "bos_token", f, spec, spec.bosId) ||
      !configToken(config, "eos_token", f, spec, eos) ||
      !configToken(config, "pad_token", f, spec, spec.padId))
    return false;
  if (eos >= 0 && std::find(spec.eosIds.begin(), spec.eosIds.end(), eos) ==
                      spec.eosIds.end())
    spec.eosIds.insert(spec.eosIds.begin(), eos);
  if (!f.boolean(config, "add_bos_token", "", spec.addBos))
    return false;
  if (spec.addBos && spec.bosId < 0)
    return f.fail("add_bos_token", "is true but there is no bos_token");
  return loadChatTemplate(config, f, spec.chatTemplate);
}

bool parseTokenizerJson(const json &root, Fields &f, TokenizerSpec &spec) {
  if (!f.expect(root, json::value_t::object, "", "a JSON object"))
    return false;
  std::map<int32_t, std::string> vocab;
  std::map<int32_t, TokenType> addedTypes;
  std::string bosText;
  std::vector<std::pair<std::string, std::string>> merges;
  if (!loadModel(root, f, spec, vocab, merges) ||
      !loadAddedTokens(root, f, vocab, addedTypes) ||
      !loadNormalizer(root, f, spec) || !loadPreTokenizer(root, f, spec) ||
      !checkDecoder(root, f) || !loadPostProcessor(root, f, spec, bosText))
    return false;
  if (vocab.empty())
    return f.fail("model.vocab", "is empty");

  size_t n = size_t(vocab.rbegin()->first) + 1;
  spec.tokens.assign(n, std::string());
  spec.types.assign(n, TokenType::Unused);
  for (auto &[id, text] : vocab) {
    spec.tokens[id] = std::move(text);
    auto it = addedTypes.find(id);
    spec.types[id] = it != addedTypes.end() ? it->second : TokenType::Normal;
  }
  std::string why;
  if (!rt::resolveMerges(spec, merges, why))
    return f.fail("model.merges", why);
  if (!bosText.empty()) {
    auto it = std::find(spec.tokens.begin(), spec.tokens.end(), bosText);
    if (it == spec.tokens.end())
      return f.fail("post_processor", "BOS " + quoted(bosText) + " is not a token");
    spec.bosId = int32_t(it - spec.tokens.begin());
  }
  spec.eotId = findEndOfTurnToken(spec);
  return true;
}

std::string siblingPath(const std::string &path, const char *name) {
  size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? std::string(name)
                                    : path.substr(0, slash + 1) + name;
}

bool fileExists(const std::string &path) {
  std::ifstream in(path);
  return bool(in);
}

} // namespace

bool parseHFTokenizer(std::string_view tokenizerJson,
                      std::string_view tokenizerConfig,
                      rt::TokenizerSpec &spec, std::string &err) {
  spec = TokenizerSpec();
  json root;
  if (!parseJson(tokenizerJson, "tokenizer.json", root, err))
    return false;
  Fields f("tokenizer.json", err);
  if (!parseTokenizerJson(root, f, spec))
    return false;
  root = json();
  if (tokenizerConfig.empty())
    return true;
  json config;
  if (!parseJson(tokenizerConfig, "tokenizer_config.json", config, err))
    return false;
  Fields fc("tokenizer_config.json", err);
  return parseConfig(config, fc, spec);
}

bool loadHFTokenizer(const std::string &tokenizerJsonPath,
                     const std::string &tokenizerConfigPath,
                     rt::TokenizerSpec &spec, std::string &err) {
  std::string text, configText;
  if (!readFile(tokenizerJsonPath, text, err))
    return false;
  if (!tokenizerConfigPath.empty() &&
      !readFile(tokenizerConfigPath, configText, err))
    return false;
  if (!parseHFTokenizer(text, configText, spec, err)) {
    // Name the real files in the message.
    auto rename = [&](const char *generic, const std::string &path) {
      if (err.compare(0, std::strlen(generic), generic) == 0)
        err = path + err.substr(std::strlen(generic));
    };
    rename("tokenizer.json", tokenizerJsonPath);
    rename("tokenizer_config.json", tokenizerConfigPath);
    return false;
  }
  if (tokenizerConfigPath.empty())
    return true;

  if (spec.chatTemplate.empty()) {
    std::string jinja = siblingPath(tokenizerConfigPath, "chat_template.jinja");
    if (fileExists(jinja) && !readFile(jinja, spec.chatTemplate, err))
      return false;
  }
  std::string genPath = siblingPath(tokenizerConfigPath, "generation_config.json");
  if (fileExists(genPath)) {
    std::string genText;
    json gen;
    if (!readFile(genPath, genText, err) || !parseJson(genText, genPath, gen, err))
      return false;
    Fields fg(genPath, err);
    const json *ids = member(gen, "eos_token_id");
    std::vector<json> list;
    if (ids && ids->is_array())
      list.assign(ids->begin(), ids->end());
    else if (ids)
      list.push_back(*ids);
    for (size_t i = 0; i < list.size(); ++i) {
      int32_t id;
      if (!fg.id(list[i], "eos_token_id", id))
        return false;
      if (id >= int32_t(spec.tokens.size()))
        return fg.fail("eos_token_id", std::to_string(id) + " is not a token id");
      if (std::find(spec.eosIds.begin(), spec.eosIds.end(), id) == spec.eosIds.end())
        spec.eosIds.push_back(id);
    }
  }
  return true;
}

} // namespace lmc::frontend
