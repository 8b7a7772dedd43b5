//===- Manifest.cpp - Parsing and validating the model manifest -----------===//
#include "runtime/core/Manifest.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <limits>

using namespace lmc::rt;
using json = nlohmann::json;

namespace {

/// Reads typed members of one JSON object, naming the member by its path
/// ("cache.layers") in errors. The first error sticks.
class ObjectReader {
public:
  ObjectReader(const json &object, std::string prefix, std::string &err)
      : object_(object), prefix_(std::move(prefix)), err_(err) {}

  bool ok() const { return err_.empty(); }

  /// The member or null when absent (an error if required).
  const json *member(const char *key, bool required) {
    if (!ok())
      return nullptr;
    auto it = object_.find(key);
    if (it == object_.end()) {
      if (required)
        fail(key, "is missing");
      return nullptr;
    }
    return &*it;
  }

  void integer(const char *key, int64_t min, int64_t max, int64_t &out,
               bool required = true) {
    const json *v = member(key, required);
    if (!v)
      return;
    if (!v->is_number_integer())
      return fail(key, "must be an integer");
    // Unsigned values beyond int64 are out of any range we accept.
    if (v->is_number_unsigned() &&
        v->get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max()))
      return fail(key, "is out of range");
    int64_t value = v->get<int64_t>();
    if (value < min || value > max)
      return fail(key, "must be in [" + std::to_string(min) + ", " +
                           std::to_string(max) + "], not " +
                           std::to_string(value));
    out = value;
  }

  template <typename T> void integerAs(const char *key, int64_t min, int64_t max,
                                       T &out, bool required = true) {
    int64_t value = int64_t(out);
    integer(key, min, max, value, required);
    out = T(value);
  }

  void unsignedInt(const char *key, uint64_t &out) {
    const json *v = member(key, true);
    if (!v)
      return;
    if (!v->is_number_unsigned())
      return fail(key, "must be a non-negative integer");
    out = v->get<uint64_t>();
  }

  void string(const char *key, std::string &out, bool required = true) {
    const json *v = member(key, required);
    if (!v)
      return;
    if (!v->is_string())
      return fail(key, "must be a string");
    out = v->get<std::string>();
  }

  void boolean(const char *key, bool &out, bool required = true) {
    const json *v = member(key, required);
    if (!v)
      return;
    if (!v->is_boolean())
      return fail(key, "must be true or false");
    out = v->get<bool>();
  }

  /// A member that must be an object; null (and an error if required) when
  /// it is not there.
  const json *object(const char *key, bool required = true) {
    const json *v = member(key, required);
    if (!v)
      return nullptr;
    if (!v->is_object()) {
      fail(key, "must be an object");
      return nullptr;
    }
    return v;
  }

  void fail(const char *key, const std::string &what) {
    if (ok())
      err_ = "'" + prefix_ + key + "' " + what;
  }

private:
  const json &object_;
  std::string prefix_;
  std::string &err_;
};

bool isHex16(const std::string &s) {
  return s.size() == 16 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

/// A suffix names a file beside the first: ".1", "-00002.safetensors".
bool isPlainSuffix(const std::string &s) {
  return !s.empty() && s.size() <= 255 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           c == '.' || c == '-' || c == '_';
  });
}

void readWeightParts(const json &parts, Manifest::WeightsFile &weights, std::string &err) {
  if (!parts.is_array()) {
    err = "'weights.parts' must be an array";
    return;
  }
  constexpr uint64_t kMaxBase = uint64_t(1) << 47;
  uint64_t end = weights.fileSize;
  for (size_t i = 0; i < parts.size() && err.empty(); ++i) {
    std::string prefix = "weights.parts[" + std::to_string(i) + "].";
    if (!parts[i].is_object()) {
      err = "'" + prefix.substr(0, prefix.size() - 1) + "' must be an object";
      return;
    }
    ObjectReader r(parts[i], prefix, err);
    WeightsPart part;
    r.string("suffix", part.suffix);
    r.unsignedInt("base", part.base);
    r.unsignedInt("file_size", part.fileSize);
    r.string("fingerprint", part.fingerprint);
    if (!r.ok())
      return;
    if (!isPlainSuffix(part.suffix))
      return r.fail("suffix", "'" + part.suffix + "' is not a plain file name suffix");
    if (!isHex16(part.fingerprint))
      return r.fail("fingerprint", "must be 16 lowercase hex digits, not '" +
                                       part.fingerprint + "'");
    if (part.base % kWeightsPartAlignment != 0 || part.base < end || part.base > kMaxBase ||
        part.fileSize > kMaxBase - part.base)
      return r.fail("base", std::to_string(part.base) + " is not a multiple of " +
                                std::to_string(kWeightsPartAlignment) +
                                " past the end of the previous file (" + std::to_string(end) +
                                ")");
    end = part.base + part.fileSize;
    weights.parts.push_back(std::move(part));
  }
}
} // namespace

bool Manifest::isEos(int32_t id) const {
  return std::find(tokens.eos.begin(), tokens.eos.end(), id) !=
         tokens.eos.end();
}

bool Manifest::parse(std::string_view text, Manifest &out, std::string &err) {
  err.clear();
  json root;
  try {
    root = json::parse(text.begin(), text.end());
  } catch (const json::exception &e) {
    // Drop nlohmann's "[json.exception.parse_error.101] " tag.
    std::string what = e.what();
    size_t close = what.find("] ");
    err = "not valid JSON: " +
          (close == std::string::npos ? what : what.substr(close + 2));
    return false;
  }
  if (!root.is_object()) {
    err = "the manifest must be a JSON object";
    return false;
  }

  Manifest m;
  constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();
  ObjectReader top(root, "", err);
  // The format comes first: a newer format may change everything else.
  top.integerAs("format", 0, kInt32Max, m.format);
  if (top.ok() && m.format != kManifestFormat) {
    err = "manifest format " + std::to_string(m.format) +
          " is not supported by this runtime (it reads format " +
          std::to_string(kManifestFormat) + ")";
    return false;
  }
  top.string("arch", m.arch);
  if (top.ok() && m.arch.empty())
    top.fail("arch", "must not be empty");
  top.string("name", m.name, /*required=*/false);
  top.integerAs("vocab_size", 1, kInt32Max, m.vocabSize);
  top.integerAs("context_length", 1, kInt32Max, m.contextLength);

  if (const json *cache = top.object("cache")) {
    ObjectReader r(*cache, "cache.", err);
    // Each dimension is bounded so products of them and a context length
    // stay far from int64 overflow.
    constexpr int64_t kDimMax = int64_t(1) << 20;
    r.integer("layers", 1, kDimMax, m.cache.layers);
    r.integer("streams", 1, 16, m.cache.streams);
    r.integer("heads", 1, kDimMax, m.cache.heads);
    r.integer("dim", 1, kDimMax, m.cache.dim);
    r.string("dtype", m.cache.dtype);
    if (r.ok() && m.cache.dtype != "f32" && m.cache.dtype != "f16")
      r.fail("dtype", "'" + m.cache.dtype +
                          "' is not supported by this runtime (f32 or f16)");
  }

  if (const json *weights = top.object("weights")) {
    ObjectReader r(*weights, "weights.", err);
    r.unsignedInt("file_size", m.weights.fileSize);
    r.string("fingerprint", m.weights.fingerprint);
    if (r.ok() && !isHex16(m.weights.fingerprint))
      r.fail("fingerprint", "must be 16 lowercase hex digits, not '" +
                                m.weights.fingerprint + "'");
    if (const json *parts = r.member("parts", false))
      readWeightParts(*parts, m.weights, err);
  }

  if (const json *tokens = top.object("tokens")) {
    ObjectReader r(*tokens, "tokens.", err);
    r.integerAs("bos", -1, m.vocabSize - 1, m.tokens.bos);
    r.boolean("add_bos", m.tokens.addBos);
    if (r.ok() && m.tokens.addBos && m.tokens.bos < 0)
      r.fail("add_bos", "is true but the model has no BOS token");
    if (const json *eos = r.member("eos", true)) {
      if (!eos->is_array()) {
        r.fail("eos", "must be an array of token ids");
      } else {
        for (const json &id : *eos) {
          if (!id.is_number_integer() || id.get<int64_t>() < 0 ||
              id.get<int64_t>() >= m.vocabSize) {
            r.fail("eos", "holds '" + id.dump() +
                              "', which is not a token id below vocab_size " +
                              std::to_string(m.vocabSize));
            break;
          }
          m.tokens.eos.push_back(int32_t(id.get<int64_t>()));
        }
      }
    }
  }

  // Optional: a model without a chat format still generates.
  if (const json *chat = top.object("chat", /*required=*/false)) {
    ObjectReader r(*chat, "chat.", err);
    r.string("format", m.chatFormat);
  }

  if (!err.empty())
    return false;
  out = std::move(m);
  return true;
}
