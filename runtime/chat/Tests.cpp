//===- Tests.cpp - The `is` tests of chat templates -----------------------===//
#include "runtime/chat/Builtins.h"
#include "runtime/chat/JsText.h"

using namespace lmc::rt::chat;

bool lmc::rt::chat::applyTest(const std::string &name, const Value &v,
                              SourceLoc loc) {
  ValueKind k = v.kind();
  if (name == "defined")
    return k != ValueKind::Undefined;
  if (name == "undefined")
    return k == ValueKind::Undefined;
  if (name == "none")
    return k == ValueKind::None;
  if (name == "boolean")
    return k == ValueKind::Bool;
  if (name == "true")
    return k == ValueKind::Bool && v.asBool();
  if (name == "false")
    return k == ValueKind::Bool && !v.asBool();
  if (name == "string")
    return k == ValueKind::String;
  if (name == "number")
    return v.isNumber();
  if (name == "integer")
    return k == ValueKind::Int;
  // The reference counts lists and strings as iterable, not tuples or
  // mappings; sequences include mappings.
  if (name == "iterable")
    return (v.isArray() && !v.isTuple()) || v.isString();
  if (name == "sequence")
    return v.isArray() || v.isObject() || v.isString();
  if (name == "mapping")
    return v.isObject();
  if (name == "callable")
    return v.isFunction();
  if (name == "odd" || name == "even") {
    if (!v.isInt())
      throw TemplateError(loc, "the test '" + name + "' needs an integer, not " +
                                   v.describe());
    return (v.asInt() % 2 != 0) == (name == "odd");
  }
  if (name == "lower" || name == "upper") {
    if (!v.isString())
      return false;
    std::optional<std::string> mapped = name == "lower"
                                            ? js::toLowerCase(v.asString())
                                            : js::toUpperCase(v.asString());
    if (!mapped)
      throw TemplateError(loc, "the test '" + name +
                                   "' supports only ASCII letters");
    return *mapped == v.asString();
  }
  throw TemplateError(loc, "unknown test '" + name + "'");
}
