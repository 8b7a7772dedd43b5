//===- Globals.cpp - The global names of chat templates -------------------===//
#include "runtime/chat/Builtins.h"
#include "runtime/chat/Conversions.h"
#include "runtime/chat/JsText.h"

#include <cmath>

using namespace lmc::rt::chat;

namespace {

/// range() may not build more than this many numbers.
constexpr int64_t kMaxRange = 1000000;

[[noreturn]] void fail(SourceLoc loc, const std::string &message) {
  throw TemplateError(loc, message);
}

void noKeywords(const CallArgs &args, const char *fn, SourceLoc loc) {
  if (!args.keywords.empty())
    fail(loc, std::string(fn) + "() takes no keyword argument '" +
                  args.keywords[0].first + "'");
}

Value makeNamespace(CallArgs &args, Environment &, SourceLoc loc) {
  if (args.positional.size() > 1)
    fail(loc, "namespace() takes at most one positional argument");
  Value ns = Value::makeNamespace();
  if (!args.positional.empty()) {
    const Value &source = args.positional[0];
    if (source.isObject()) {
      for (const auto &e : source.entries().entries)
        ns.entries().set(e.first, e.second);
    } else if (source.isArray()) {
      for (const Value &pair : source.items()) {
        if (!pair.isArray() || pair.items().size() != 2 ||
            !pair.items()[0].isString())
          fail(loc, "namespace() needs [key, value] pairs with string keys");
        ns.entries().set(pair.items()[0].asString(), pair.items()[1]);
      }
    } else {
      fail(loc, "namespace() cannot take " + source.describe());
    }
  }
  for (const auto &kw : args.keywords)
    ns.entries().set(kw.first, kw.second);
  return ns;
}

Value range(CallArgs &args, Environment &, SourceLoc loc) {
  noKeywords(args, "range", loc);
  std::vector<Value> &p = args.positional;
  if (p.empty() || p.size() > 3)
    fail(loc, "range() takes one to three arguments");
  for (const Value &v : p)
    if (!v.isInt())
      fail(loc, "range() needs integers");
  int64_t start = 0, stop, step = 1;
  if (p.size() == 1) {
    stop = p[0].asInt();
  } else {
    start = p[0].asInt();
    stop = p[1].asInt();
    if (p.size() == 3)
      step = p[2].asInt();
  }
  if (step == 0)
    fail(loc, "range() step must not be zero");
  double count = std::ceil((double(stop) - double(start)) / double(step));
  if (count > double(kMaxRange))
    fail(loc, "range() of more than " + std::to_string(kMaxRange) +
                  " numbers");
  std::vector<Value> out;
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step)
    out.push_back(Value::integer(i));
  return Value::array(std::move(out));
}

/// What JavaScript's String() makes of a raw value, for messages.
std::string messageText(const Value &v) {
  switch (v.kind()) {
  case ValueKind::Undefined: return "undefined";
  case ValueKind::None: return "null";
  case ValueKind::Function: return "function";
  default: return toText(v, SourceLoc());
  }
}

/// The reference's strftime: %Y %m %d %b %B %H %M %%; anything else is kept.
std::string strftime(const std::tm &t, const std::string &format) {
  static const char *const kMonths[] = {
      "January", "February", "March",     "April",   "May",      "June",
      "July",    "August",   "September", "October", "November", "December"};
  auto pad2 = [](int n) {
    return (n < 10 ? "0" : "") + std::to_string(n);
  };
  std::string out;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%' || i + 1 >= format.size()) {
      out += format[i];
      continue;
    }
    char c = format[i + 1];
    int month = t.tm_mon >= 0 && t.tm_mon < 12 ? t.tm_mon : 0;
    switch (c) {
    case 'Y': out += std::to_string(t.tm_year + 1900); break;
    case 'm': out += pad2(t.tm_mon + 1); break;
    case 'd': out += pad2(t.tm_mday); break;
    case 'b': out += std::string(kMonths[month]).substr(0, 3); break;
    case 'B': out += kMonths[month]; break;
    case 'H': out += pad2(t.tm_hour); break;
    case 'M': out += pad2(t.tm_min); break;
    case '%': out += '%'; break;
    default: out += format.substr(i, 2); break;
    }
    ++i;
  }
  return out;
}

} // namespace

std::vector<std::pair<std::string, Value>>
lmc::rt::chat::globalValues(const Clock &clock) {
  std::vector<std::pair<std::string, Value>> g;
  for (const char *name : {"true", "True"})
    g.emplace_back(name, Value::boolean(true));
  for (const char *name : {"false", "False"})
    g.emplace_back(name, Value::boolean(false));
  for (const char *name : {"none", "None"})
    g.emplace_back(name, Value::none());
  g.emplace_back("namespace", Value::function("namespace", makeNamespace));
  g.emplace_back("range", Value::function("range", range));
  g.emplace_back("raise_exception",
                 Value::function("raise_exception",
                                 [](CallArgs &args, Environment &,
                                    SourceLoc loc) -> Value {
                                   std::string msg =
                                       args.positional.empty()
                                           ? "undefined"
                                           : messageText(args.positional[0]);
                                   fail(loc, "the template raised an error: " +
                                                 msg);
                                 }));
  g.emplace_back("strftime_now",
                 Value::function("strftime_now", [clock](CallArgs &args,
                                                         Environment &,
                                                         SourceLoc loc) {
                   noKeywords(args, "strftime_now", loc);
                   if (args.positional.size() != 1 ||
                       !args.positional[0].isString())
                     fail(loc, "strftime_now() needs a format string");
                   return Value::string(
                       strftime(clock(), args.positional[0].asString()));
                 }));
  return g;
}
