//===- Parser.h - Tokens to the syntax tree of a chat template --*- C++ -*-===//
//
// The statements chat templates use: set (also of a namespace attribute, of
// a tuple, and the block form), if/elif/else, for (with tuple targets, a
// loop filter and an else block), macro (with default parameters), break,
// continue. Expressions follow @huggingface/jinja's grammar and precedence,
// loosest first: `a if c else b`; or; and; not; comparisons and
// in / not in; + - ~; * / // %; **; is [not] TEST; |filter; unary - +;
// calls, .attribute, [index], [start:stop:step]; literals (numbers,
// strings, [arrays], (tuples), {objects}) and names.
//
// Anything else (call and filter blocks, include, extends, raw, with,
// argument unpacking, macros that read kwargs/varargs, tests with
// arguments) is rejected with a TemplateError naming it.
//
//===----------------------------------------------------------------------===//
#ifndef LMC_RUNTIME_CHAT_PARSER_H
#define LMC_RUNTIME_CHAT_PARSER_H

#include "runtime/chat/AST.h"
#include "runtime/chat/Lexer.h"

namespace lmc::rt::chat {

/// The statements of the template; throws TemplateError.
NodeList parse(const std::vector<Token> &tokens);

} // namespace lmc::rt::chat

#endif // LMC_RUNTIME_CHAT_PARSER_H
