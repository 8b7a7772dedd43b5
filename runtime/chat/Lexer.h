//===- Lexer.h - Chat template text to tokens -------------------*- C++ -*-===//
//
// Splits a Jinja chat template into text and tag tokens the way
// @huggingface/jinja does for chat templates:
//
//   1. The source is preprocessed: one trailing newline is dropped,
//      lstrip_blocks removes spaces and tabs before `{%`/`{#` at a line's
//      start, trim_blocks removes the newline after `%}`/`#}`, and
//      Hugging Face's `{% generation %}` markers are removed.
//   2. `{%-`, `{{-`, `{#-` strip the white space before them, `-%}`, `-}}`,
//      `-#}` the white space after (JavaScript's definition of white space).
//   3. Inside tags: identifiers ([A-Za-z0-9_]), numbers, 'quoted' and
//      "quoted" strings with \n \t \r \b \f \v \' \" \\ \xHH \uHHHH escapes,
//      and operators. A '-' or '+' after an operator or an opening bracket is
//      a sign, and joins a following number ("-1").
//
// Every token knows the line:column of the original source it came from.
//
//===----------------------------------------------------------------------===//
#ifndef LMC_RUNTIME_CHAT_LEXER_H
#define LMC_RUNTIME_CHAT_LEXER_H

#include "runtime/chat/TemplateError.h"

#include <string>
#include <string_view>
#include <vector>

namespace lmc::rt::chat {

enum class TokenType {
  Text,
  Comment,
  NumericLiteral,
  StringLiteral,
  Identifier,
  Equals,             // =
  OpenParen,          // (
  CloseParen,         // )
  OpenStatement,      // {%
  CloseStatement,     // %}
  OpenExpression,     // {{
  CloseExpression,    // }}
  OpenSquareBracket,  // [
  CloseSquareBracket, // ]
  OpenCurlyBracket,   // {
  CloseCurlyBracket,  // }
  Comma,
  Dot,
  Colon,
  Pipe,
  AdditiveOperator,       // + - ~
  MultiplicativeOperator, // * / // %
  PowerOperator,          // **
  ComparisonOperator,     // < > <= >= == !=
  UnaryOperator,          // a sign: - +
};

struct Token {
  TokenType type;
  std::string value;
  SourceLoc loc;
};

/// The tokens of a template; throws TemplateError on text it cannot split
/// (an unterminated string or comment, an unknown character in a tag).
std::vector<Token> tokenize(std::string_view source);

/// How a token reads in an error message ("identifier 'endfor'", "'%}'").
std::string describeToken(const Token &token);

} // namespace lmc::rt::chat

#endif // LMC_RUNTIME_CHAT_LEXER_H
