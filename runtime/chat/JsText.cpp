//===- JsText.cpp - JavaScript's string and number rules, on UTF-8 --------===//
#include "runtime/chat/JsText.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

using namespace lmc::rt::chat;

bool js::isWhitespace(uint32_t c) {
  switch (c) {
  case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x20:
  case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F:
  case 0x205F: case 0x3000: case 0xFEFF:
    return true;
  default:
    return c >= 0x2000 && c <= 0x200A;
  }
}

uint32_t js::nextCodePoint(std::string_view s, size_t &i) {
  unsigned char b = (unsigned char)s[i];
  size_t len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3
                            : (b >> 3) == 30 ? 4 : 0;
  if (len <= 1 || i + len > s.size()) {
    ++i;
    return b;
  }
  uint32_t c = b & (0xFF >> (len + 1));
  for (size_t k = 1; k < len; ++k) {
    unsigned char t = (unsigned char)s[i + k];
    if ((t & 0xC0) != 0x80) {
      ++i;
      return b;
    }
    c = (c << 6) | (t & 0x3F);
  }
  // Overlong forms, surrogates and values past U+10FFFF are not characters.
  static const uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (c < kMin[len] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
    ++i;
    return b;
  }
  i += len;
  return c;
}

std::vector<std::string> js::codePoints(std::string_view s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size();) {
    size_t start = i;
    nextCodePoint(s, i);
    out.emplace_back(s.substr(start, i - start));
  }
  return out;
}

namespace {
/// Offset just past the leading white space of s.
size_t whitespaceEnd(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    size_t next = i;
    if (!js::isWhitespace(js::nextCodePoint(s, next)))
      break;
    i = next;
  }
  return i;
}
/// Offset where the trailing white space of s starts.
size_t trailingWhitespaceStart(std::string_view s) {
  size_t end = 0;
  for (size_t i = 0; i < s.size();) {
    uint32_t c = js::nextCodePoint(s, i);
    if (!js::isWhitespace(c))
      end = i;
  }
  return end;
}
} // namespace

std::string js::trimStart(std::string_view s) {
  return std::string(s.substr(whitespaceEnd(s)));
}
std::string js::trimEnd(std::string_view s) {
  return std::string(s.substr(0, trailingWhitespaceStart(s)));
}
std::string js::trim(std::string_view s) {
  return trimEnd(s.substr(whitespaceEnd(s)));
}

namespace {
bool hasNoCase(uint32_t c) {
  return (c >= 0x3040 && c <= 0x30FF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xAC00 && c <= 0xD7A3) ||
         (c >= 0x3000 && c <= 0x303F) || (c >= 0xFF01 && c <= 0xFF20) ||
         (c >= 0x1F300 && c <= 0x1FAFF) || (c >= 0x2000 && c <= 0x206F);
}

std::optional<std::string> mapCase(std::string_view s, bool upper) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    size_t start = i;
    uint32_t c = js::nextCodePoint(s, i);
    if (c < 0x80) {
      char ch = char(c);
      if (upper && ch >= 'a' && ch <= 'z')
        ch = char(ch - 32);
      else if (!upper && ch >= 'A' && ch <= 'Z')
        ch = char(ch + 32);
      out += ch;
    } else if (hasNoCase(c) || i - start == 1) {
      out.append(s.substr(start, i - start));
    } else {
      return std::nullopt;
    }
  }
  return out;
}
} // namespace

std::optional<std::string> js::toUpperCase(std::string_view s) {
  return mapCase(s, true);
}
std::optional<std::string> js::toLowerCase(std::string_view s) {
  return mapCase(s, false);
}

std::string js::titleCase(std::string_view s) {
  auto word = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_';
  };
  std::string out(s);
  for (size_t i = 0; i < out.size(); ++i)
    if (word(out[i]) && (i == 0 || !word(out[i - 1])) && out[i] >= 'a' &&
        out[i] <= 'z')
      out[i] = char(out[i] - 32);
  return out;
}

int64_t js::utf16Length(std::string_view s) {
  int64_t n = 0;
  for (size_t i = 0; i < s.size();)
    n += nextCodePoint(s, i) >= 0x10000 ? 2 : 1;
  return n;
}

std::string js::numberToString(double v) {
  if (std::isnan(v))
    return "NaN";
  if (std::isinf(v))
    return v < 0 ? "-Infinity" : "Infinity";
  if (v == 0)
    return "0";
  // The shortest digits that round-trip, and the decimal exponent.
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, std::fabs(v),
                         std::chars_format::scientific);
  std::string sci(buf, r.ptr);
  size_t e = sci.find('e');
  std::string digits;
  for (size_t i = 0; i < e; ++i)
    if (sci[i] != '.')
      digits += sci[i];
  int exp10 = std::atoi(sci.c_str() + e + 1);
  int k = int(digits.size()), n = exp10 + 1;
  std::string out = v < 0 ? "-" : "";
  if (k <= n && n <= 21) {
    out += digits + std::string(size_t(n - k), '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, size_t(n)) + "." + digits.substr(size_t(n));
  } else if (-6 < n && n <= 0) {
    out += "0." + std::string(size_t(-n), '0') + digits;
  } else {
    out += digits.substr(0, 1);
    if (k > 1)
      out += "." + digits.substr(1);
    out += (n - 1 >= 0 ? "e+" : "e-") + std::to_string(std::abs(n - 1));
  }
  return out;
}

std::string js::floatToString(double v) {
  if (v == 0 && std::signbit(v))
    return "-0.0";
  if (std::isfinite(v) && std::fmod(v, 1.0) == 0) {
    // toFixed(1), which switches to exponent form from 1e21 on.
    if (std::fabs(v) >= 1e21)
      return numberToString(v);
    char buf[400];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
  }
  return numberToString(v);
}

std::string js::jsonQuote(std::string_view s, bool asciiOnly) {
  static const char kHex[] = "0123456789abcdef";
  auto unit = [&](std::string &out, uint32_t u) {
    out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4)
      out += kHex[(u >> shift) & 0xF];
  };
  std::string out = "\"";
  for (size_t i = 0; i < s.size();) {
    size_t start = i;
    uint32_t c = nextCodePoint(s, i);
    switch (c) {
    case '"': out += "\\\""; continue;
    case '\\': out += "\\\\"; continue;
    case '\b': out += "\\b"; continue;
    case '\f': out += "\\f"; continue;
    case '\n': out += "\\n"; continue;
    case '\r': out += "\\r"; continue;
    case '\t': out += "\\t"; continue;
    default: break;
    }
    bool strayByte = i - start == 1 && c >= 0x80;
    if (c < 0x20) {
      unit(out, c);
    } else if (asciiOnly && c >= 0x7F && !strayByte) {
      if (c >= 0x10000) {
        unit(out, 0xD800 + ((c - 0x10000) >> 10));
        unit(out, 0xDC00 + ((c - 0x10000) & 0x3FF));
      } else {
        unit(out, c);
      }
    } else {
      out.append(s.substr(start, i - start));
    }
  }
  return out + "\"";
}

namespace {
bool isDigitIn(char c, int radix) {
  if (c >= '0' && c <= '9')
    return c - '0' < radix;
  char l = char(c | 0x20);
  return radix == 16 && l >= 'a' && l <= 'f';
}

/// The longest prefix of s that is a JavaScript StrDecimalLiteral (sign,
/// digits, fraction, exponent, or Infinity); 0 when there is none.
size_t decimalPrefix(std::string_view s, bool allowSign) {
  size_t i = 0;
  if (allowSign && i < s.size() && (s[i] == '+' || s[i] == '-'))
    ++i;
  if (s.substr(i, 8) == "Infinity")
    return i + 8;
  size_t mantissa = 0;
  while (i < s.size() && isDigitIn(s[i], 10))
    ++i, ++mantissa;
  if (i < s.size() && s[i] == '.') {
    size_t j = i + 1, frac = 0;
    while (j < s.size() && isDigitIn(s[j], 10))
      ++j, ++frac;
    if (mantissa + frac > 0)
      i = j, mantissa += frac;
  }
  if (mantissa == 0)
    return 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    size_t j = i + 1;
    if (j < s.size() && (s[j] == '+' || s[j] == '-'))
      ++j;
    size_t digits = 0;
    while (j < s.size() && isDigitIn(s[j], 10))
      ++j, ++digits;
    if (digits > 0)
      i = j;
  }
  return i;
}

double parseDecimal(std::string_view s) {
  bool negative = !s.empty() && s[0] == '-';
  std::string_view body = (!s.empty() && (s[0] == '-' || s[0] == '+'))
                              ? s.substr(1) : s;
  double v = body == "Infinity" ? HUGE_VAL
                                : std::strtod(std::string(body).c_str(), nullptr);
  return negative ? -v : v;
}
} // namespace

double js::stringToNumber(std::string_view text) {
  std::string t = trim(text);
  std::string_view s = t;
  if (s.empty())
    return 0;
  if (s.size() > 2 && s[0] == '0') {
    char p = char(s[1] | 0x20);
    int radix = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 0;
    if (radix) {
      double v = 0;
      for (size_t i = 2; i < s.size(); ++i) {
        if (!isDigitIn(s[i], radix))
          return NAN;
        char l = char(s[i] | 0x20);
        v = v * radix + (l >= 'a' ? l - 'a' + 10 : s[i] - '0');
      }
      return v;
    }
  }
  size_t n = decimalPrefix(s, true);
  if (n == 0 || n != s.size())
    return NAN;
  return parseDecimal(s);
}

std::optional<double> js::parseIntPrefix(std::string_view text) {
  std::string t = trimStart(text);
  std::string_view s = t;
  size_t i = 0;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-'))
    negative = s[i++] == '-';
  double v = 0;
  size_t start = i;
  while (i < s.size() && isDigitIn(s[i], 10))
    v = v * 10 + (s[i++] - '0');
  if (i == start)
    return std::nullopt;
  return negative ? -v : v;
}

std::optional<double> js::parseFloatPrefix(std::string_view text) {
  std::string t = trimStart(text);
  std::string_view s = t;
  size_t n = decimalPrefix(s, true);
  if (n == 0)
    return std::nullopt;
  return parseDecimal(s.substr(0, n));
}
