//===- Conversions.cpp - Values to and from JSON and text -----------------===//
#include "runtime/chat/Conversions.h"
#include "runtime/chat/JsText.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace lmc::rt::chat;
using nlohmann::ordered_json;

namespace {

/// A canonical array index ("0", "42", not "01"), which JavaScript objects
/// list before their other keys.
std::optional<uint32_t> arrayIndex(const std::string &key) {
  if (key.empty() || key.size() > 10 || (key.size() > 1 && key[0] == '0'))
    return std::nullopt;
  uint64_t v = 0;
  for (char c : key) {
    if (c < '0' || c > '9')
      return std::nullopt;
    v = v * 10 + uint64_t(c - '0');
  }
  if (v >= 0xFFFFFFFFull)
    return std::nullopt;
  return uint32_t(v);
}

Value numberValue(double d) {
  // JSON.parse gives one number type; @huggingface/jinja calls the whole
  // ones integers.
  if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.2e18)
    return Value::integer(int64_t(d));
  return Value::number(d);
}

} // namespace

std::string lmc::rt::chat::integerText(int64_t i) {
  // JavaScript holds integers as doubles: past 2^53 they print rounded.
  constexpr int64_t kExact = int64_t(1) << 53;
  if (i > kExact || i < -kExact)
    return js::numberToString(double(i));
  return std::to_string(i);
}

Value lmc::rt::chat::fromJson(const ordered_json &j) {
  switch (j.type()) {
  case ordered_json::value_t::null:
    return Value::none();
  case ordered_json::value_t::boolean:
    return Value::boolean(j.get<bool>());
  case ordered_json::value_t::number_integer:
    return Value::integer(j.get<int64_t>());
  case ordered_json::value_t::number_unsigned: {
    uint64_t u = j.get<uint64_t>();
    if (u <= uint64_t(std::numeric_limits<int64_t>::max()))
      return Value::integer(int64_t(u));
    return Value::number(double(u));
  }
  case ordered_json::value_t::number_float:
    return numberValue(j.get<double>());
  case ordered_json::value_t::string:
    return Value::string(j.get<std::string>());
  case ordered_json::value_t::array: {
    std::vector<Value> items;
    items.reserve(j.size());
    for (const auto &e : j)
      items.push_back(fromJson(e));
    return Value::array(std::move(items));
  }
  case ordered_json::value_t::object: {
    std::vector<std::pair<uint32_t, std::string>> indexKeys;
    std::vector<std::pair<std::string, Value>> entries;
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (auto index = arrayIndex(it.key()))
        indexKeys.emplace_back(*index, it.key());
      else
        entries.emplace_back(it.key(), fromJson(it.value()));
    }
    std::sort(indexKeys.begin(), indexKeys.end());
    std::vector<std::pair<std::string, Value>> ordered;
    for (const auto &k : indexKeys)
      ordered.emplace_back(k.second, fromJson(j.at(k.second)));
    for (auto &e : entries)
      ordered.push_back(std::move(e));
    return Value::object(std::move(ordered));
  }
  default:
    return Value::undefined();
  }
}

namespace {

void writeJson(std::string &out, const Value &v, const JsonStyle &style,
               const std::string &itemSep, const std::string &keySep,
               int depth, bool undefinedAsNull, SourceLoc loc) {
  switch (v.kind()) {
  case ValueKind::None:
    out += "null";
    return;
  case ValueKind::Undefined:
    out += undefinedAsNull ? "null" : "undefined";
    return;
  case ValueKind::Bool:
    out += v.asBool() ? "true" : "false";
    return;
  case ValueKind::Int:
    out += integerText(v.asInt());
    return;
  case ValueKind::Float:
    out += std::isfinite(v.asNumber()) ? js::numberToString(v.asNumber())
                                       : "null";
    return;
  case ValueKind::String:
    out += js::jsonQuote(v.asString(), style.asciiOnly);
    return;
  case ValueKind::Function:
    throw TemplateError(loc, "a function cannot be converted to JSON");
  case ValueKind::Array:
  case ValueKind::Object:
  case ValueKind::Namespace:
    break;
  }
  // The reference's JSON writer has no case for tuples.
  if (v.isTuple())
    throw TemplateError(loc, "a tuple cannot be converted to JSON or printed");
  std::string indentUnit(size_t(std::max(style.indent, 0)), ' ');
  std::string base = "\n", children;
  for (int i = 0; i < depth; ++i)
    base += indentUnit;
  children = base + indentUnit;
  bool indent = style.indent > 0;
  if (v.isArray()) {
    const auto &items = v.items();
    out += "[";
    if (indent && !items.empty())
      out += children;
    for (size_t i = 0; i < items.size(); ++i) {
      if (i) {
        out += itemSep;
        if (indent)
          out += children;
      }
      writeJson(out, items[i], style, itemSep, keySep, depth + 1,
                undefinedAsNull, loc);
    }
    if (indent && !items.empty())
      out += base;
    out += "]";
    return;
  }
  const auto &entries = v.entries().entries;
  out += "{";
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i)
      out += itemSep;
    if (indent)
      out += children;
    out += js::jsonQuote(entries[i].first, style.asciiOnly);
    out += keySep;
    writeJson(out, entries[i].second, style, itemSep, keySep, depth + 1,
              undefinedAsNull, loc);
  }
  if (indent && !entries.empty())
    out += base;
  out += "}";
}

} // namespace

std::string lmc::rt::chat::toJson(const Value &v, const JsonStyle &style,
                                  bool undefinedAsNull, SourceLoc loc) {
  std::string itemSep = style.itemSeparator
                            ? *style.itemSeparator
                            : (style.indent > 0 ? "," : ", ");
  std::string keySep = style.keySeparator ? *style.keySeparator : ": ";
  std::string out;
  writeJson(out, v, style, itemSep, keySep, 0, undefinedAsNull, loc);
  return out;
}

std::string lmc::rt::chat::toText(const Value &v, SourceLoc loc) {
  switch (v.kind()) {
  case ValueKind::Undefined:
  case ValueKind::None:
    return "";
  case ValueKind::Bool:
    return v.asBool() ? "true" : "false";
  case ValueKind::Int:
    return integerText(v.asInt());
  case ValueKind::Float:
    return js::floatToString(v.asNumber());
  case ValueKind::String:
    return v.asString();
  case ValueKind::Function:
    throw TemplateError(loc, "a function cannot be written out");
  default:
    return toJson(v, JsonStyle(), /*undefinedAsNull=*/false, loc);
  }
}

std::string lmc::rt::chat::toConcatText(const Value &v, SourceLoc loc) {
  switch (v.kind()) {
  case ValueKind::Bool:
    return v.asBool() ? "true" : "false";
  case ValueKind::Int:
    return integerText(v.asInt());
  case ValueKind::Float:
    return js::numberToString(v.asNumber());
  case ValueKind::String:
    return v.asString();
  default:
    throw TemplateError(loc, "cannot join " + v.describe() +
                                 " to a string");
  }
}
