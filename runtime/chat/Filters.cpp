//===- Filters.cpp - The |filters of chat templates -----------------------===//
#include "runtime/chat/Builtins.h"
#include "runtime/chat/Conversions.h"
#include "runtime/chat/JsText.h"

#include <cmath>
#include <unordered_set>

using namespace lmc::rt::chat;

namespace {

[[noreturn]] void fail(SourceLoc loc, const std::string &message) {
  throw TemplateError(loc, message);
}

[[noreturn]] void wrongKind(const std::string &filter, const Value &v,
                            SourceLoc loc) {
  fail(loc, "the filter '" + filter + "' does not apply to " + v.describe());
}

/// Argument i, or the keyword argument name, or null.
const Value *argument(const CallArgs &args, size_t i, const char *name) {
  if (i < args.positional.size())
    return &args.positional[i];
  return args.keyword(name);
}

void onlyKeywords(const CallArgs &args, const std::string &filter,
                  std::initializer_list<const char *> names, SourceLoc loc) {
  for (const auto &kw : args.keywords) {
    bool known = false;
    for (const char *n : names)
      known = known || kw.first == n;
    if (!known)
      fail(loc, "the filter '" + filter + "' takes no argument '" + kw.first +
                    "'");
  }
}

Value tojson(const Value &v, CallArgs &args, SourceLoc loc) {
  onlyKeywords(args, "tojson",
               {"indent", "ensure_ascii", "sort_keys", "separators"}, loc);
  JsonStyle style;
  if (const Value *indent = args.keyword("indent")) {
    if (indent->isInt()) {
      if (indent->asInt() < 0 || indent->asInt() > 64)
        fail(loc, "tojson: indent must be between 0 and 64");
      style.indent = int(indent->asInt());
    } else if (!indent->isNone()) {
      fail(loc, "tojson: indent must be an integer");
    }
  }
  if (const Value *ascii = args.keyword("ensure_ascii")) {
    if (ascii->kind() != ValueKind::Bool)
      fail(loc, "tojson: ensure_ascii must be a boolean");
    style.asciiOnly = ascii->asBool();
  }
  if (const Value *sort = args.keyword("sort_keys")) {
    if (sort->kind() != ValueKind::Bool)
      fail(loc, "tojson: sort_keys must be a boolean");
    // The reference sorts with localeCompare (ICU collation).
    if (sort->asBool())
      fail(loc, "tojson: sort_keys=true is not supported");
  }
  if (const Value *sep = args.keyword("separators")) {
    if (sep->isArray()) {
      if (sep->items().size() != 2 || !sep->items()[0].isString() ||
          !sep->items()[1].isString())
        fail(loc, "tojson: separators must be two strings");
      style.itemSeparator = sep->items()[0].asString();
      style.keySeparator = sep->items()[1].asString();
    } else if (!sep->isNone()) {
      fail(loc, "tojson: separators must be two strings");
    }
  }
  return Value::string(toJson(v, style, /*undefinedAsNull=*/true, loc));
}

/// JavaScript's Array.prototype.join of the raw values.
std::string joinedElement(const Value &e, SourceLoc loc) {
  if (e.isUndefined() || e.isNone())
    return "";
  return toConcatText(e, loc);
}

Value join(const Value &v, CallArgs &args, SourceLoc loc) {
  onlyKeywords(args, "join", {"separator"}, loc);
  std::string sep;
  if (const Value *s = argument(args, 0, "separator")) {
    if (!s->isString())
      fail(loc, "join: the separator must be a string");
    sep = s->asString();
  }
  std::vector<std::string> parts;
  if (v.isString())
    parts = js::codePoints(v.asString());
  else if (v.isArray())
    for (const Value &e : v.items())
      parts.push_back(joinedElement(e, loc));
  else
    wrongKind("join", v, loc);
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i)
    out += (i ? sep : "") + parts[i];
  return Value::string(std::move(out));
}

Value toNumberFilter(const std::string &name, const Value &v, CallArgs &args,
                     SourceLoc loc) {
  onlyKeywords(args, name, {"default"}, loc);
  bool toInt = name == "int";
  Value fallback = toInt ? Value::integer(0) : Value::number(0);
  if (const Value *d = argument(args, 0, "default"))
    fallback = *d;
  switch (v.kind()) {
  case ValueKind::String: {
    std::optional<double> parsed = toInt ? js::parseIntPrefix(v.asString())
                                         : js::parseFloatPrefix(v.asString());
    if (!parsed)
      return fallback;
    if (!toInt)
      return Value::number(*parsed);
    if (std::fabs(*parsed) >= 9.2e18)
      fail(loc, "int: the number does not fit in 64 bits");
    return Value::integer(int64_t(*parsed));
  }
  case ValueKind::Int:
    return toInt ? v : Value::number(v.asNumber());
  case ValueKind::Float:
    if (!toInt)
      return v;
    if (!std::isfinite(v.asNumber()) || std::fabs(v.asNumber()) >= 9.2e18)
      fail(loc, "int: the number does not fit in 64 bits");
    return Value::integer(int64_t(std::floor(v.asNumber())));
  case ValueKind::Bool:
    return toInt ? Value::integer(v.asBool()) : Value::number(v.asBool());
  default:
    wrongKind(name, v, loc);
  }
}

Value indent(const std::string &s, CallArgs &args, SourceLoc loc) {
  onlyKeywords(args, "indent", {"width", "first", "blank"}, loc);
  int64_t width = 4;
  if (const Value *w = argument(args, 0, "width")) {
    if (!w->isInt() || w->asInt() < 0 || w->asInt() > 4096)
      fail(loc, "indent: width must be a small non-negative integer");
    width = w->asInt();
  }
  const Value *first = argument(args, 1, "first");
  const Value *blank = argument(args, 2, "blank");
  bool indentFirst = first && first->truthy();
  bool indentBlank = blank && blank->truthy();
  std::string pad(size_t(width), ' '), out;
  size_t start = 0;
  for (size_t line = 0;; ++line) {
    size_t end = s.find('\n', start);
    std::string text = s.substr(start, end == std::string::npos
                                           ? std::string::npos : end - start);
    if ((line > 0 || indentFirst) && (!text.empty() || indentBlank))
      out += pad;
    out += text;
    if (end == std::string::npos)
      break;
    out += "\n";
    start = end + 1;
  }
  return Value::string(std::move(out));
}

Value defaultFilter(const Value &v, CallArgs &args, SourceLoc loc) {
  onlyKeywords(args, "default", {"boolean"}, loc);
  Value fallback = args.positional.empty() ? Value::string("")
                                           : args.positional[0];
  const Value *boolean = args.positional.size() > 1 ? &args.positional[1]
                                                    : args.keyword("boolean");
  if (boolean && boolean->kind() != ValueKind::Bool)
    fail(loc, "default: the second argument must be a boolean");
  if (v.isUndefined() || (boolean && boolean->asBool() && !v.truthy()))
    return fallback;
  return v;
}

/// JavaScript's SameValueZero (what a Set compares): === except that NaN
/// equals NaN.
bool sameValueZero(const Value &a, const Value &b) {
  if (a.isNumber() && b.isNumber() && std::isnan(a.asNumber()) &&
      std::isnan(b.asNumber()))
    return true;
  return strictlyEqual(a, b);
}

Value arrayFilter(const std::string &name, const Value &v, SourceLoc loc) {
  const std::vector<Value> &items = v.items();
  if (name == "list")
    return v;
  if (name == "first")
    return items.empty() ? Value::undefined() : items.front();
  if (name == "last")
    return items.empty() ? Value::undefined() : items.back();
  if (name == "length")
    return Value::integer(int64_t(items.size()));
  if (name == "reverse")
    return Value::array(std::vector<Value>(items.rbegin(), items.rend()));
  if (name == "string")
    return Value::string(toJson(v, JsonStyle(), false, loc));
  if (name == "unique") {
    std::vector<Value> out;
    for (const Value &e : items) {
      bool seen = false;
      for (const Value &o : out)
        seen = seen || sameValueZero(o, e);
      if (!seen)
        out.push_back(e);
    }
    return Value::array(std::move(out));
  }
  wrongKind(name, v, loc);
}

Value stringFilter(const std::string &name, const Value &v, CallArgs &args,
                   SourceLoc loc) {
  const std::string &s = v.asString();
  if (name == "length")
    return Value::integer(js::utf16Length(s));
  if (name == "string")
    return v;
  if (name == "trim")
    return Value::string(js::trim(s));
  if (name == "indent")
    return indent(s, args, loc);
  if (name == "replace")
    return replaceString(s, args, loc);
  if (name == "upper" || name == "lower" || name == "title" ||
      name == "capitalize") {
    CallArgs none;
    return callMethod(v, name, none, loc);
  }
  wrongKind(name, v, loc);
}

Value numberFilter(const std::string &name, const Value &v, SourceLoc loc) {
  if (name == "abs") {
    if (v.isInt()) {
      if (v.asInt() == INT64_MIN)
        fail(loc, "integer overflow");
      return Value::integer(v.asInt() < 0 ? -v.asInt() : v.asInt());
    }
    return Value::number(std::fabs(v.asNumber()));
  }
  if (name == "string")
    return Value::string(toText(v, loc));
  wrongKind(name, v, loc);
}

Value entriesFilter(const std::string &name, const Value &v, SourceLoc loc) {
  if (v.isObject()) {
    if (name == "length")
      return Value::integer(int64_t(v.entries().entries.size()));
    if (name == "items" || name == "keys" || name == "values") {
      CallArgs none;
      return callMethod(v, name, none, loc);
    }
  }
  wrongKind(name, v, loc);
}

} // namespace

Value lmc::rt::chat::applyFilter(const std::string &name, const Value &v,
                                 CallArgs &args, SourceLoc loc) {
  if (name == "safe")
    return v;
  if (name == "tojson")
    return tojson(v, args, loc);
  if (name == "default" || name == "d")
    return defaultFilter(v, args, loc);
  if (name == "join")
    return join(v, args, loc);
  if (name == "int" || name == "float")
    return toNumberFilter(name, v, args, loc);
  static const std::unordered_set<std::string> kTakesArguments = {
      "indent", "replace"};
  if (!kTakesArguments.count(name) &&
      (!args.positional.empty() || !args.keywords.empty()))
    fail(loc, "the filter '" + name + "' takes no arguments");
  static const std::unordered_set<std::string> kKnown = {
      "list", "first", "last", "length", "count", "reverse", "string",
      "unique", "trim", "indent", "replace", "upper", "lower", "title",
      "capitalize", "abs", "bool", "items", "keys", "values"};
  if (!kKnown.count(name))
    fail(loc, "unknown filter '" + name + "'");
  std::string canonical = name == "count" ? "length" : name;
  switch (v.kind()) {
  case ValueKind::Array:
    return arrayFilter(canonical, v, loc);
  case ValueKind::String:
    return stringFilter(canonical, v, args, loc);
  case ValueKind::Int:
  case ValueKind::Float:
    return numberFilter(canonical, v, loc);
  case ValueKind::Bool:
    if (canonical == "bool")
      return v;
    if (canonical == "string")
      return Value::string(v.asBool() ? "true" : "false");
    wrongKind(name, v, loc);
  default:
    return entriesFilter(canonical, v, loc);
  }
}
