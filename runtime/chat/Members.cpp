//===- Members.cpp - Attributes, indexing, slicing and methods ------------===//
#include "runtime/chat/Builtins.h"
#include "runtime/chat/Conversions.h"
#include "runtime/chat/JsText.h"

#include <algorithm>

using namespace lmc::rt::chat;

namespace {

[[noreturn]] void fail(SourceLoc loc, const std::string &message) {
  throw TemplateError(loc, message);
}

void noKeywords(const CallArgs &args, const char *method, SourceLoc loc) {
  if (!args.keywords.empty())
    fail(loc, std::string(method) + "() takes no keyword argument '" +
                  args.keywords[0].first + "'");
}

const Value &argOrUndefined(const CallArgs &args, size_t i) {
  static const Value undefined;
  return i < args.positional.size() ? args.positional[i] : undefined;
}

/// startswith/endswith: a string or a tuple/list of strings.
Value affixTest(const std::string &self, CallArgs &args, bool prefix,
                SourceLoc loc) {
  const char *name = prefix ? "startswith" : "endswith";
  noKeywords(args, name, loc);
  if (args.positional.empty())
    fail(loc, std::string(name) + "() needs an argument");
  auto matches = [&](const std::string &a) {
    if (a.size() > self.size())
      return false;
    return prefix ? self.compare(0, a.size(), a) == 0
                  : self.compare(self.size() - a.size(), a.size(), a) == 0;
  };
  const Value &pattern = args.positional[0];
  if (pattern.isString())
    return Value::boolean(matches(pattern.asString()));
  if (pattern.isArray()) {
    for (const Value &item : pattern.items()) {
      if (!item.isString())
        fail(loc, std::string(name) + "() needs strings");
      if (matches(item.asString()))
        return Value::boolean(true);
    }
    return Value::boolean(false);
  }
  fail(loc, std::string(name) + "() needs a string or a tuple of strings");
}

/// Python's str.split(sep=None, maxsplit=-1), as the reference has it.
Value split(const std::string &self, CallArgs &args, SourceLoc loc) {
  noKeywords(args, "split", loc);
  const Value &sep = argOrUndefined(args, 0);
  const Value &maxArg = argOrUndefined(args, 1);
  if (!(sep.isString() || sep.isNone() || sep.isUndefined()))
    fail(loc, "split(): the separator must be a string or none");
  if (!(maxArg.isInt() || maxArg.isUndefined()))
    fail(loc, "split(): maxsplit must be an integer");
  int64_t maxsplit = maxArg.isInt() ? maxArg.asInt() : -1;
  std::vector<Value> parts;
  if (!sep.isString()) {
    // Runs of white space separate; none at either end.
    std::string text = js::trimStart(self);
    size_t i = 0;
    while (i < text.size()) {
      size_t start = i;
      while (i < text.size()) {
        size_t next = i;
        if (js::isWhitespace(js::nextCodePoint(text, next)))
          break;
        i = next;
      }
      if (maxsplit != -1 && int64_t(parts.size()) >= maxsplit) {
        parts.push_back(Value::string(text.substr(start)));
        break;
      }
      parts.push_back(Value::string(text.substr(start, i - start)));
      while (i < text.size()) {
        size_t next = i;
        if (!js::isWhitespace(js::nextCodePoint(text, next)))
          break;
        i = next;
      }
    }
    return Value::array(std::move(parts));
  }
  const std::string &s = sep.asString();
  if (s.empty())
    fail(loc, "split(): empty separator");
  size_t start = 0;
  for (;;) {
    size_t at = self.find(s, start);
    if (at == std::string::npos ||
        (maxsplit != -1 && int64_t(parts.size()) >= maxsplit)) {
      parts.push_back(Value::string(self.substr(start)));
      break;
    }
    parts.push_back(Value::string(self.substr(start, at - start)));
    start = at + s.size();
  }
  return Value::array(std::move(parts));
}

} // namespace

Value lmc::rt::chat::replaceString(const std::string &self, CallArgs &args,
                                   SourceLoc loc) {
  if (args.positional.size() < 2)
    fail(loc, "replace() needs two arguments");
  const Value &from = args.positional[0], &to = args.positional[1];
  if (!from.isString() || !to.isString())
    fail(loc, "replace(): the arguments must be strings");
  Value count = Value::none();
  if (args.positional.size() > 2)
    count = args.positional[2];
  else if (const Value *kw = args.keyword("count"))
    count = *kw;
  for (const auto &kw : args.keywords)
    if (kw.first != "count")
      fail(loc, "replace() takes no keyword argument '" + kw.first + "'");
  if (!count.isInt() && !count.isNone())
    fail(loc, "replace(): count must be an integer or none");
  int64_t remaining = count.isInt() && count.asInt() >= 0 ? count.asInt() : -1;
  if (remaining == 0)
    return Value::string(self);
  const std::string &a = from.asString(), &b = to.asString();
  std::string out;
  if (a.empty()) {
    // Before each character and at the end, as /(?=)/gu matches.
    size_t i = 0;
    for (;;) {
      if (remaining != 0) {
        out += b;
        if (remaining > 0)
          --remaining;
      }
      if (i >= self.size())
        break;
      size_t start = i;
      js::nextCodePoint(self, i);
      out.append(self, start, i - start);
    }
    return Value::string(std::move(out));
  }
  size_t start = 0;
  for (;;) {
    size_t at = remaining == 0 ? std::string::npos : self.find(a, start);
    if (at == std::string::npos) {
      out.append(self, start, std::string::npos);
      break;
    }
    out.append(self, start, at - start);
    out += b;
    start = at + a.size();
    if (remaining > 0)
      --remaining;
  }
  return Value::string(std::move(out));
}

namespace {

Value caseMapped(const std::string &self, bool upper, const char *name,
                 SourceLoc loc) {
  std::optional<std::string> r =
      upper ? js::toUpperCase(self) : js::toLowerCase(self);
  if (!r)
    fail(loc, std::string(name) +
                  "(): only ASCII letters can change case in lmc's templates");
  return Value::string(std::move(*r));
}

Value capitalize(const std::string &self, SourceLoc loc) {
  if (self.empty())
    return Value::string("");
  size_t i = 0;
  js::nextCodePoint(self, i);
  Value first = caseMapped(self.substr(0, i), true, "capitalize", loc);
  return Value::string(first.asString() + self.substr(i));
}

using StringMethod = Value (*)(const std::string &, CallArgs &, SourceLoc);

StringMethod findStringMethod(const std::string &name) {
  if (name == "upper")
    return [](const std::string &s, CallArgs &, SourceLoc l) {
      return caseMapped(s, true, "upper", l);
    };
  if (name == "lower")
    return [](const std::string &s, CallArgs &, SourceLoc l) {
      return caseMapped(s, false, "lower", l);
    };
  // The reference ignores strip's argument: strip('\n') trims all white
  // space, as strip() does.
  if (name == "strip")
    return [](const std::string &s, CallArgs &, SourceLoc) {
      return Value::string(js::trim(s));
    };
  if (name == "lstrip")
    return [](const std::string &s, CallArgs &, SourceLoc) {
      return Value::string(js::trimStart(s));
    };
  if (name == "rstrip")
    return [](const std::string &s, CallArgs &, SourceLoc) {
      return Value::string(js::trimEnd(s));
    };
  if (name == "title")
    return [](const std::string &s, CallArgs &, SourceLoc) {
      return Value::string(js::titleCase(s));
    };
  if (name == "capitalize")
    return [](const std::string &s, CallArgs &, SourceLoc l) {
      return capitalize(s, l);
    };
  if (name == "startswith")
    return [](const std::string &s, CallArgs &a, SourceLoc l) {
      return affixTest(s, a, true, l);
    };
  if (name == "endswith")
    return [](const std::string &s, CallArgs &a, SourceLoc l) {
      return affixTest(s, a, false, l);
    };
  if (name == "split")
    return split;
  if (name == "replace")
    return lmc::rt::chat::replaceString;
  return nullptr;
}

Value objectGet(const Value &self, CallArgs &args, SourceLoc loc) {
  noKeywords(args, "get", loc);
  const Value &key = argOrUndefined(args, 0);
  if (!key.isString())
    fail(loc, "get(): the key must be a string");
  if (const Value *v = self.entries().find(key.asString()))
    return *v;
  return args.positional.size() > 1 ? args.positional[1] : Value::none();
}

Value objectListing(const Value &self, const std::string &name) {
  std::vector<Value> out;
  for (const auto &e : self.entries().entries) {
    if (name == "items")
      out.push_back(Value::array({Value::string(e.first), e.second}));
    else
      out.push_back(name == "keys" ? Value::string(e.first) : e.second);
  }
  return Value::array(std::move(out));
}

bool isObjectMethod(const std::string &name) {
  return name == "get" || name == "items" || name == "keys" ||
         name == "values" || name == "dictsort";
}

/// A method of self bound as a function value.
Value boundMethod(const Value &self, const std::string &name) {
  return Value::function(
      name, [self, name](CallArgs &args, Environment &, SourceLoc loc) {
        return callMethod(self, name, args, loc);
      });
}

/// s[i] by UTF-16 unit, as JavaScript's String.prototype.at.
Value characterAt(const std::string &s, int64_t index, SourceLoc loc) {
  int64_t units = js::utf16Length(s);
  if (index < 0)
    index += units;
  if (index < 0 || index >= units)
    return Value::undefined();
  int64_t unit = 0;
  for (size_t i = 0; i < s.size();) {
    size_t start = i;
    uint32_t c = js::nextCodePoint(s, i);
    int64_t width = c >= 0x10000 ? 2 : 1;
    if (index < unit + width) {
      if (width == 2)
        fail(loc, "indexing into half of a character outside the BMP");
      return Value::string(s.substr(start, i - start));
    }
    unit += width;
  }
  return Value::undefined();
}

} // namespace

Value lmc::rt::chat::getMember(const Value &object, const Value &property,
                               SourceLoc loc) {
  if (object.hasEntries()) {
    if (!property.isString())
      fail(loc, "an attribute name must be a string, not " +
                    property.describe());
    if (const Value *v = object.entries().find(property.asString()))
      return *v;
    if (object.isObject() && isObjectMethod(property.asString()))
      return boundMethod(object, property.asString());
    return Value::undefined();
  }
  if (object.isArray() || object.isString()) {
    if (property.isInt()) {
      if (object.isString())
        return characterAt(object.asString(), property.asInt(), loc);
      int64_t n = int64_t(object.items().size()), i = property.asInt();
      if (i < 0)
        i += n;
      return i >= 0 && i < n ? object.items()[size_t(i)] : Value::undefined();
    }
    if (!property.isString())
      fail(loc, "an index must be an integer, not " +
                    property.describe());
    if (property.asString() == "length")
      return Value::integer(object.isString()
                                ? js::utf16Length(object.asString())
                                : int64_t(object.items().size()));
    if (object.isString() && findStringMethod(property.asString()))
      return boundMethod(object, property.asString());
    return Value::undefined();
  }
  if (!property.isString())
    fail(loc, "an attribute name must be a string, not " +
                  property.describe());
  // Numbers, booleans, none, undefined and functions have no attributes.
  return Value::undefined();
}

Value lmc::rt::chat::sliceOf(const Value &object, const Value &startV,
                             const Value &stopV, const Value &stepV,
                             SourceLoc loc) {
  if (!object.isArray() && !object.isString())
    fail(loc, "only arrays and strings can be sliced, not " +
                  object.describe());
  for (const Value *v : {&startV, &stopV, &stepV})
    if (!v->isInt() && !v->isUndefined())
      fail(loc, "slice bounds must be integers");
  std::vector<std::string> chars;
  if (object.isString())
    chars = js::codePoints(object.asString());
  int64_t n = object.isString() ? int64_t(chars.size())
                                : int64_t(object.items().size());
  int64_t step = stepV.isInt() ? stepV.asInt() : 1;
  int64_t start, stop;
  if (step >= 0) {
    start = startV.isInt() ? startV.asInt() : 0;
    stop = stopV.isInt() ? stopV.asInt() : n;
    start = start < 0 ? std::max<int64_t>(n + start, 0) : std::min(start, n);
    stop = stop < 0 ? std::max<int64_t>(n + stop, 0) : std::min(stop, n);
  } else {
    start = startV.isInt() ? startV.asInt() : n - 1;
    stop = stopV.isInt() ? stopV.asInt() : -1;
    start = start < 0 ? std::max<int64_t>(n + start, -1) : std::min(start, n - 1);
    stop = stop < -1 ? std::max<int64_t>(n + stop, -1) : std::min(stop, n - 1);
  }
  // Step 0 gives nothing, as in the reference (Python raises).
  int64_t direction = step > 0 ? 1 : step < 0 ? -1 : 0;
  std::vector<Value> items;
  std::string text;
  for (int64_t i = start; direction * i < direction * stop; i += step) {
    if (object.isString())
      text += chars[size_t(i)];
    else
      items.push_back(object.items()[size_t(i)]);
  }
  if (object.isString())
    return Value::string(std::move(text));
  return Value::array(std::move(items));
}

Value lmc::rt::chat::callMethod(const Value &self, const std::string &name,
                                CallArgs &args, SourceLoc loc) {
  if (self.isString()) {
    if (StringMethod m = findStringMethod(name))
      return m(self.asString(), args, loc);
  } else if (self.isObject() && isObjectMethod(name)) {
    if (name == "get")
      return objectGet(self, args, loc);
    if (name == "dictsort")
      fail(loc, "dictsort() is not supported");
    noKeywords(args, name.c_str(), loc);
    if (!args.positional.empty())
      fail(loc, name + "() takes no arguments");
    return objectListing(self, name);
  }
  fail(loc, self.describe() + " has no method '" + name +
                "'");
}
