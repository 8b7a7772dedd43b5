//===- Conversions.h - Values to and from JSON and text ---------*- C++ -*-===//
//
// The template's inputs arrive as JSON and become values as JavaScript's
// JSON.parse would hand them to @huggingface/jinja: a whole-valued number is
// an integer, object keys keep their order except that array-index keys
// ("0", "7") come first in ascending order. Values go out as text ({{ x }})
// and as JSON (|tojson), both byte for byte as the reference writes them.
//
//===----------------------------------------------------------------------===//
#ifndef LMC_RUNTIME_CHAT_CONVERSIONS_H
#define LMC_RUNTIME_CHAT_CONVERSIONS_H

#include "runtime/chat/Value.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace lmc::rt::chat {

Value fromJson(const nlohmann::ordered_json &json);

struct JsonStyle {
  /// Spaces per level; 0: all on one line.
  int indent = 0;
  /// Escape everything from U+007F up (Python's ensure_ascii).
  bool asciiOnly = false;
  /// Item and key separators; default ", " and ": " (with an indent, ","
  /// and ": ").
  std::optional<std::string> itemSeparator, keySeparator;
};

/// JSON text of v. Undefined becomes null (|tojson) or the word undefined
/// (how containers print). Throws TemplateError at loc for functions.
std::string toJson(const Value &v, const JsonStyle &style,
                   bool undefinedAsNull, SourceLoc loc);

/// What {{ v }} writes: nothing for none and undefined, "true"/"false",
/// numbers as @huggingface/jinja prints them, containers as JSON.
std::string toText(const Value &v, SourceLoc loc);

/// An integer as the reference prints it (rounded like a double past 2^53).
std::string integerText(int64_t i);

/// JavaScript's String(v) of the raw value, used by + and ~ ("2" for the
/// float 2.0, "true"); containers and functions are not supported.
std::string toConcatText(const Value &v, SourceLoc loc);

} // namespace lmc::rt::chat

#endif // LMC_RUNTIME_CHAT_CONVERSIONS_H
