//===- JsonFile.h - Bounded, exception-free JSON file reading ---*- C++ -*-===//
//
// config.json and model.safetensors.index.json are small files from an
// untrusted folder: they are read only up to a size limit, parsed without
// exceptions, and (for the index) checked for duplicate keys, which a JSON
// tree would otherwise silently collapse to the last value.
//
//===----------------------------------------------------------------------===//

#ifndef LMC_FRONTENDS_HF_JSONFILE_H
#define LMC_FRONTENDS_HF_JSONFILE_H

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace lmc::hf {

/// Deepest nesting accepted in config and index files.
constexpr int kMaxJsonDepth = 64;

/// Reads all of `path` into `out` if it is a regular file of at most
/// `maxBytes` bytes; else "<path>: ..." in `error`.
bool readTextFile(const std::string &path, uint64_t maxBytes, std::string &out,
                  std::string &error);

/// Parses `text`; failures are "<what>: <problem>" (malformed JSON with the
/// byte position, nesting deeper than kMaxJsonDepth, and with
/// `rejectDuplicateKeys` a key repeated within one object).
bool parseJsonText(std::string_view text, const std::string &what,
                   bool rejectDuplicateKeys, nlohmann::json &out,
                   std::string &error);

/// "an object", "an array", "a string", "an integer", "a number", "a
/// boolean" or "null", for messages.
const char *jsonTypeName(const nlohmann::json &v);

} // namespace lmc::hf

#endif // LMC_FRONTENDS_HF_JSONFILE_H
