//===- Diagnostics.cpp - One-line messages about untrusted text -----------===//

#include "frontends/hf/Diagnostics.h"

#include <algorithm>
#include <cstdio>

using namespace lmc::hf;

bool lmc::hf::isValidUtf8(std::string_view s) {
  size_t i = 0, n = s.size();
  while (i < n) {
    unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (n - i < len)
      return false;
    for (size_t k = 1; k < len; ++k) {
      unsigned char cc = s[i + k];
      if ((cc & 0xC0) != 0x80)
        return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static const uint32_t kMinForLength[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLength[len] || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += len;
  }
  return true;
}

std::string lmc::hf::sanitized(std::string_view s, size_t maxBytes) {
  std::string out;
  size_t n = std::min(s.size(), maxBytes);
  bool escapeHigh = !isValidUtf8(s.substr(0, n));
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = s[i];
    if (c < 0x20 || c == 0x7f || c == '\'' || c == '\\' ||
        (escapeHigh && c >= 0x80)) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    } else {
      out += char(c);
    }
  }
  if (s.size() > n)
    out += "...";
  return out;
}

std::string lmc::hf::quoteName(std::string_view s, size_t maxBytes) {
  return "'" + sanitized(s, maxBytes) + "'";
}

std::string lmc::hf::shapeString(const std::vector<uint64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + num(shape[i]);
  return s + "]";
}
