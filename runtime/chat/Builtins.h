//===- Builtins.h - Filters, tests, attributes and operators ----*- C++ -*-===//
//
// The library of the template language, each with @huggingface/jinja's
// behaviour (chat.md lists where that differs from Python's Jinja, e.g.
// strip() ignoring its argument). Anything not listed fails with a
// TemplateError naming it.
//
//   filters   tojson(indent, separators, ensure_ascii), length, join(sep),
//             default(value, boolean), first, last, reverse, list, unique,
//             safe, string, trim, upper, lower, capitalize, title,
//             indent(width, first, blank), replace(old, new, count), int,
//             float, abs, bool, items, keys, values
//   tests     defined, undefined, none, boolean, true, false, string, number,
//             integer, iterable, mapping, sequence, callable, odd, even,
//             lower, upper
//   methods   str: startswith, endswith, split, strip, lstrip, rstrip,
//             upper, lower, title, capitalize, replace, length;
//             dict: get, items, keys, values; list: length
//   globals   namespace, range, raise_exception, strftime_now, true, false,
//             none (also True, False, None)
//
//===----------------------------------------------------------------------===//
#ifndef LMC_RUNTIME_CHAT_BUILTINS_H
#define LMC_RUNTIME_CHAT_BUILTINS_H

#include "runtime/chat/Value.h"

#include <ctime>
#include <functional>
#include <string>

namespace lmc::rt::chat {

Value applyFilter(const std::string &name, const Value &operand,
                  CallArgs &args, SourceLoc loc);

bool applyTest(const std::string &name, const Value &operand, SourceLoc loc);

/// object.property / object[property]: entries of objects and namespaces,
/// elements of arrays and characters of strings (negative indices count
/// from the end), and the builtin methods above. Undefined when there is
/// nothing there; an error for a property of the wrong kind.
Value getMember(const Value &object, const Value &property, SourceLoc loc);

/// Calls the builtin method name of a string or object.
Value callMethod(const Value &self, const std::string &name, CallArgs &args,
                 SourceLoc loc);

/// object[start:stop:step] for arrays and strings (by code point).
Value sliceOf(const Value &object, const Value &start, const Value &stop,
              const Value &step, SourceLoc loc);

/// Python's str.replace(old, new[, count]) as the reference has it (the
/// method and the filter): an empty old inserts new around every character.
Value replaceString(const std::string &self, CallArgs &args, SourceLoc loc);

/// Binary operators other than `and`/`or` (which short-circuit and are the
/// interpreter's).
Value applyBinary(const std::string &op, const Value &left, const Value &right,
                  SourceLoc loc);
/// `not`, unary - and +.
Value applyUnary(const std::string &op, const Value &operand, SourceLoc loc);

/// JavaScript's == on the values (what the reference's == does): "1" == 1,
/// none == undefined, containers by identity.
bool looselyEqual(const Value &a, const Value &b);

/// JavaScript's === on the values (what `in` on an array compares):
/// numbers by value, containers by identity.
bool strictlyEqual(const Value &a, const Value &b);

/// The time strftime_now formats.
using Clock = std::function<std::tm()>;

/// The global names, for a new render.
std::vector<std::pair<std::string, Value>> globalValues(const Clock &clock);

} // namespace lmc::rt::chat

#endif // LMC_RUNTIME_CHAT_BUILTINS_H
