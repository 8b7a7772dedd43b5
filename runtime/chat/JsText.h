//===- JsText.h - JavaScript's string and number rules, on UTF-8 -*- C++ -*-===//
//
// The reference for chat templates is @huggingface/jinja, which runs on
// JavaScript strings and numbers. Where its output depends on JavaScript's
// own rules (what counts as white space for trim and \s, how a number is
// printed, what JSON.stringify escapes, how "1" == 1 compares), these
// functions give the same answers for UTF-8 text. Invalid UTF-8 never
// crashes them: each stray byte is treated as a character of its own.
//
//===----------------------------------------------------------------------===//
#ifndef LMC_RUNTIME_CHAT_JSTEXT_H
#define LMC_RUNTIME_CHAT_JSTEXT_H

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lmc::rt::chat::js {

/// JavaScript's WhiteSpace or LineTerminator (String.prototype.trim, \s).
bool isWhitespace(uint32_t codePoint);

/// Decodes the code point at s[i], advancing i; a byte that does not start
/// a well-formed sequence is returned as itself (0x80..0xFF).
uint32_t nextCodePoint(std::string_view s, size_t &i);
/// The code points of s, each as its UTF-8 bytes (Array.from(string)).
std::vector<std::string> codePoints(std::string_view s);

std::string trim(std::string_view s);
std::string trimStart(std::string_view s);
std::string trimEnd(std::string_view s);

/// toUpperCase()/toLowerCase() for text whose characters are ASCII or have
/// no case (CJK, kana, hangul, emoji); nullopt for other text, whose full
/// Unicode case mapping lmc does not carry.
std::optional<std::string> toUpperCase(std::string_view s);
std::optional<std::string> toLowerCase(std::string_view s);
/// @huggingface/jinja's title(): /\b\w/g upper-cased (ASCII words only, as
/// JavaScript regexes without the u flag see them).
std::string titleCase(std::string_view s);

/// String length in UTF-16 code units, as JavaScript counts it.
int64_t utf16Length(std::string_view s);

/// Number.prototype.toString() (shortest round-trip digits; "1e+21").
std::string numberToString(double v);
/// How @huggingface/jinja prints a float: "2.0" for whole numbers, else as
/// JavaScript does.
std::string floatToString(double v);

/// JSON.stringify of a string; with asciiOnly, every UTF-16 unit from 0x7F
/// up is escaped as \uXXXX too (Python's ensure_ascii).
std::string jsonQuote(std::string_view s, bool asciiOnly = false);

/// JavaScript's ToNumber of a string (" 12 " -> 12, "" -> 0, "0x1f" -> 31,
/// "abc" -> NaN).
double stringToNumber(std::string_view s);
/// parseInt(s, 10) and parseFloat(s); nullopt where JavaScript gives NaN.
std::optional<double> parseIntPrefix(std::string_view s);
std::optional<double> parseFloatPrefix(std::string_view s);

} // namespace lmc::rt::chat::js

#endif // LMC_RUNTIME_CHAT_JSTEXT_H
