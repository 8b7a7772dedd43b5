//===- Operators.cpp - Binary and unary operators, equality ---------------===//
//
// The rules of @huggingface/jinja, whose operators act on JavaScript values:
// == is JavaScript's loose equality, `in` on arrays its strict equality,
// + joins strings with anything printable, % keeps the sign of the
// dividend, and undefined or none operands are errors except for ==, !=
// and `x in undefined`.
//
//===----------------------------------------------------------------------===//
#include "runtime/chat/Builtins.h"
#include "runtime/chat/Conversions.h"
#include "runtime/chat/JsText.h"

#include <cmath>
#include <cstdint>
#include <limits>

using namespace lmc::rt::chat;

namespace {

[[noreturn]] void unsupported(const std::string &op, const Value &l,
                              const Value &r, SourceLoc loc) {
  throw TemplateError(loc, "'" + op + "' is not defined for " +
                               l.describe() + " and " + r.describe());
}

/// How JavaScript turns a container into a primitive for ==: an array joins
/// its elements' printed forms with ",", anything else is "[object Map]".
std::string containerPrimitive(const Value &v) {
  if (!v.isArray())
    return "[object Map]";
  std::string out;
  bool first = true;
  for (const Value &e : v.items()) {
    if (!first)
      out += ",";
    first = false;
    switch (e.kind()) {
    case ValueKind::Undefined: out += "undefined"; break;
    case ValueKind::None: out += "null"; break;
    case ValueKind::Function: out += "function"; break;
    default: out += toText(e, SourceLoc()); break;
    }
  }
  return out;
}

bool isContainer(const Value &v) {
  return v.isArray() || v.hasEntries();
}

bool numbersEqual(const Value &a, const Value &b) {
  if (a.isInt() && b.isInt())
    return a.asInt() == b.asInt();
  return a.asNumber() == b.asNumber();
}

int64_t checked(bool overflow, int64_t v, SourceLoc loc) {
  if (overflow)
    throw TemplateError(loc, "integer overflow");
  return v;
}

Value arithmetic(const std::string &op, const Value &l, const Value &r,
                 SourceLoc loc) {
  bool ints = l.isInt() && r.isInt();
  double a = l.asNumber(), b = r.asNumber();
  if (op == "+" || op == "-" || op == "*") {
    if (ints) {
      int64_t out = 0, x = l.asInt(), y = r.asInt();
      bool o = op == "+"   ? __builtin_add_overflow(x, y, &out)
               : op == "-" ? __builtin_sub_overflow(x, y, &out)
                           : __builtin_mul_overflow(x, y, &out);
      return Value::integer(checked(o, out, loc));
    }
    return Value::number(op == "+" ? a + b : op == "-" ? a - b : a * b);
  }
  if (op == "/" || op == "//" || op == "%") {
    if (b == 0)
      throw TemplateError(loc, "division by zero");
    if (op == "/")
      return Value::number(a / b);
    if (op == "%") {
      if (ints)
        return Value::integer(l.asInt() == INT64_MIN && r.asInt() == -1
                                  ? 0 : l.asInt() % r.asInt());
      return Value::number(std::fmod(a, b));
    }
    if (ints) {
      int64_t x = l.asInt(), y = r.asInt();
      if (x == INT64_MIN && y == -1)
        throw TemplateError(loc, "integer overflow");
      int64_t q = x / y;
      if ((x % y != 0) && ((x < 0) != (y < 0)))
        --q;
      return Value::integer(q);
    }
    return Value::number(std::floor(a / b));
  }
  bool result;
  if (ints) {
    int64_t x = l.asInt(), y = r.asInt();
    result = op == "<" ? x < y : op == ">" ? x > y : op == "<=" ? x <= y : x >= y;
  } else {
    result = op == "<" ? a < b : op == ">" ? a > b : op == "<=" ? a <= b : a >= b;
  }
  return Value::boolean(result);
}

double numericLike(const Value &v) {
  return v.kind() == ValueKind::Bool ? (v.asBool() ? 1 : 0) : v.asNumber();
}

bool isNumericLike(const Value &v) {
  return v.isNumber() || v.kind() == ValueKind::Bool;
}

Value power(const Value &l, const Value &r, SourceLoc loc) {
  double a = numericLike(l), b = numericLike(r);
  if (a == 0 && b < 0)
    throw TemplateError(loc, "0 cannot be raised to a negative power");
  double result = std::pow(a, b);
  if (!std::isfinite(result))
    throw TemplateError(loc, "the power is not a finite real number");
  bool isFloat = l.kind() == ValueKind::Float ||
                 r.kind() == ValueKind::Float || b < 0;
  if (isFloat)
    return Value::number(result);
  if (std::fabs(result) >= 9.2e18)
    throw TemplateError(loc, "integer overflow");
  // Exact for what fits: repeated multiplication rather than pow's double.
  int64_t base = int64_t(a), out = 1;
  for (int64_t i = 0; i < int64_t(b); ++i)
    out = checked(__builtin_mul_overflow(out, base, &out), out, loc);
  return Value::integer(out);
}

} // namespace

bool lmc::rt::chat::strictlyEqual(const Value &a, const Value &b) {
  if (a.isNumber() && b.isNumber())
    return numbersEqual(a, b);
  if (a.kind() != b.kind())
    return false;
  switch (a.kind()) {
  case ValueKind::Undefined:
  case ValueKind::None:
    return true;
  case ValueKind::Bool:
    return a.asBool() == b.asBool();
  case ValueKind::String:
    return a.asString() == b.asString();
  default:
    return a.identity() == b.identity();
  }
}

bool lmc::rt::chat::looselyEqual(const Value &a, const Value &b) {
  bool aNullish = a.isUndefined() || a.isNone();
  bool bNullish = b.isUndefined() || b.isNone();
  if (aNullish || bNullish)
    return aNullish && bNullish;
  if (a.isNumber() && b.isNumber())
    return numbersEqual(a, b);
  if (a.kind() == b.kind())
    return strictlyEqual(a, b);
  if (a.kind() == ValueKind::Bool)
    return looselyEqual(Value::integer(a.asBool()), b);
  if (b.kind() == ValueKind::Bool)
    return looselyEqual(a, Value::integer(b.asBool()));
  if (a.isNumber() && b.isString())
    return a.asNumber() == js::stringToNumber(b.asString());
  if (a.isString() && b.isNumber())
    return js::stringToNumber(a.asString()) == b.asNumber();
  if (isContainer(a) && (b.isString() || b.isNumber()))
    return looselyEqual(Value::string(containerPrimitive(a)), b);
  if (isContainer(b) && (a.isString() || a.isNumber()))
    return looselyEqual(a, Value::string(containerPrimitive(b)));
  // Containers of different kinds, functions against anything else.
  return false;
}

Value lmc::rt::chat::applyBinary(const std::string &op, const Value &l,
                                 const Value &r, SourceLoc loc) {
  if (op == "==")
    return Value::boolean(looselyEqual(l, r));
  if (op == "!=")
    return Value::boolean(!looselyEqual(l, r));
  bool membership = op == "in" || op == "not in";
  if (l.isUndefined() || r.isUndefined()) {
    if (r.isUndefined() && membership)
      return Value::boolean(op == "not in");
    throw TemplateError(loc, "'" + op + "' on an undefined value");
  }
  if (l.isNone() || r.isNone())
    throw TemplateError(loc, "'" + op + "' on none");
  if (op == "~")
    return Value::string(toConcatText(l, loc) + toConcatText(r, loc));
  if (op == "**" && isNumericLike(l) && isNumericLike(r))
    return power(l, r, loc);
  if (l.isNumber() && r.isNumber() && !membership && op != "**")
    return arithmetic(op, l, r, loc);
  if (l.isArray() && r.isArray() && op == "+") {
    std::vector<Value> items = l.items();
    items.insert(items.end(), r.items().begin(), r.items().end());
    return Value::array(std::move(items));
  }
  // Two arrays only add; `[1] in [[1]]` is an error, as in the reference.
  if (r.isArray() && !l.isArray() && membership) {
    bool found = false;
    for (const Value &e : r.items())
      found = found || strictlyEqual(e, l);
    return Value::boolean(found == (op == "in"));
  }
  if ((l.isString() || r.isString()) && op == "+") {
    std::string s = toConcatText(l, loc) + toConcatText(r, loc);
    return Value::string(std::move(s));
  }
  if (l.isString() && r.isString() && membership)
    return Value::boolean((r.asString().find(l.asString()) !=
                           std::string::npos) == (op == "in"));
  if (l.isString() && r.isObject() && membership)
    return Value::boolean((r.entries().find(l.asString()) != nullptr) ==
                          (op == "in"));
  unsupported(op, l, r, loc);
}

Value lmc::rt::chat::applyUnary(const std::string &op, const Value &v,
                                SourceLoc loc) {
  if (op == "not")
    return Value::boolean(!v.truthy());
  int sign = op == "-" ? -1 : 1;
  switch (v.kind()) {
  case ValueKind::Float:
    return Value::number(sign * v.asNumber());
  case ValueKind::Int:
    if (sign < 0 && v.asInt() == INT64_MIN)
      throw TemplateError(loc, "integer overflow");
    return Value::integer(sign * v.asInt());
  case ValueKind::Bool:
    return Value::integer(sign * int64_t(v.asBool()));
  default:
    throw TemplateError(loc, "unary '" + op + "' is not defined for " +
                                 v.describe());
  }
}
