//===- Unicode.cpp - UTF-8 and NFC helpers for the tokenizer ---------------===//

#include "runtime/tokenizer/Unicode.h"

#include <algorithm>
#include <array>
#include <vector>

namespace lmc::rt::unicode {
namespace {

struct CccRange {
  uint32_t first, last;
  uint8_t ccc;
};
struct DecompEntry {
  uint32_t cp;
  uint16_t offset;
  uint8_t length;
};
struct CompEntry {
  uint32_t first, second, composite;
};
struct CodeRange {
  uint32_t first, last;
};

#include "runtime/tokenizer/UnicodeTables.inc"

// Hangul syllables are composed and decomposed arithmetically (Unicode 3.12).
constexpr uint32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161,
                   kTBase = 0x11A7;
constexpr uint32_t kLCount = 19, kVCount = 21, kTCount = 28,
                   kNCount = kVCount * kTCount, kSCount = kLCount * kNCount;

uint8_t combiningClass(uint32_t cp) {
  if (cp < 0x300)
    return 0;
  auto it = std::upper_bound(
      std::begin(kCccRanges), std::end(kCccRanges), cp,
      [](uint32_t c, const CccRange &r) { return c < r.first; });
  if (it == std::begin(kCccRanges))
    return 0;
  --it;
  return cp <= it->last ? it->ccc : 0;
}

void decompose(uint32_t cp, std::vector<uint32_t> &out) {
  if (cp >= kSBase && cp < kSBase + kSCount) {
    uint32_t s = cp - kSBase;
    out.push_back(kLBase + s / kNCount);
    out.push_back(kVBase + (s % kNCount) / kTCount);
    if (s % kTCount)
      out.push_back(kTBase + s % kTCount);
    return;
  }
  if (cp >= 0xC0) {
    auto it = std::lower_bound(
        std::begin(kDecomp), std::end(kDecomp), cp,
        [](const DecompEntry &e, uint32_t c) { return e.cp < c; });
    if (it != std::end(kDecomp) && it->cp == cp) {
      out.insert(out.end(), kDecompPool + it->offset,
                 kDecompPool + it->offset + it->length);
      return;
    }
  }
  out.push_back(cp);
}

/// The primary composite of (a, b), or 0.
uint32_t compose(uint32_t a, uint32_t b) {
  if (a >= kLBase && a < kLBase + kLCount && b >= kVBase &&
      b < kVBase + kVCount)
    return kSBase + ((a - kLBase) * kVCount + (b - kVBase)) * kTCount;
  if (a >= kSBase && a < kSBase + kSCount && (a - kSBase) % kTCount == 0 &&
      b > kTBase && b < kTBase + kTCount)
    return a + (b - kTBase);
  auto it = std::lower_bound(std::begin(kComp), std::end(kComp),
                             std::make_pair(a, b),
                             [](const CompEntry &e, std::pair<uint32_t, uint32_t> k) {
                               return e.first < k.first ||
                                      (e.first == k.first && e.second < k.second);
                             });
  if (it != std::end(kComp) && it->first == a && it->second == b)
    return it->composite;
  return 0;
}

bool mayChangeUnderNFC(uint32_t cp) {
  if (cp < kNfcQuickCheckMin)
    return false;
  auto it = std::upper_bound(
      std::begin(kNfcQuickCheckRanges), std::end(kNfcQuickCheckRanges), cp,
      [](uint32_t c, const CodeRange &r) { return c < r.first; });
  if (it == std::begin(kNfcQuickCheckRanges))
    return false;
  --it;
  return cp <= it->last;
}

/// NFC by the book: decompose, reorder, recompose.
std::string nfcSpan(std::string_view text) {
  auto *p = reinterpret_cast<const unsigned char *>(text.data());
  size_t n = text.size();
  std::vector<uint32_t> cps;
  cps.reserve(n);
  for (size_t i = 0; i < n;) {
    uint32_t cp;
    size_t len = decodeUtf8(p + i, n - i, cp);
    if (len == 0) { // Not expected (callers pass valid text): keep as U+FFFD.
      cp = 0xFFFD;
      len = 1;
    }
    decompose(cp, cps);
    i += len;
  }

  // Canonical ordering: stable-sort every run of non-starters by class.
  std::vector<uint8_t> ccc(cps.size());
  for (size_t i = 0; i < cps.size(); ++i)
    ccc[i] = combiningClass(cps[i]);
  for (size_t i = 0; i < cps.size();) {
    if (ccc[i] == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < cps.size() && ccc[j] != 0)
      ++j;
    if (j - i > 1) {
      // Stable by the original index in the key (std::stable_sort would do,
      // but libstdc++'s trips a deprecation warning with clang).
      std::vector<std::pair<uint64_t, uint32_t>> run;
      for (size_t k = i; k < j; ++k)
        run.emplace_back((uint64_t(ccc[k]) << 32) | (k - i), cps[k]);
      std::sort(run.begin(), run.end());
      for (size_t k = i; k < j; ++k) {
        ccc[k] = uint8_t(run[k - i].first >> 32);
        cps[k] = run[k - i].second;
      }
    }
    i = j;
  }

  // Canonical composition: a character joins the last starter unless a
  // character in between blocks it (is a starter or has a class >= its own).
  std::vector<uint32_t> out;
  out.reserve(cps.size());
  long starter = -1;
  uint8_t lastCcc = 0;
  for (size_t i = 0; i < cps.size(); ++i) {
    uint32_t cp = cps[i];
    uint8_t cc = ccc[i];
    if (starter >= 0) {
      bool adjacent = out.size() == size_t(starter) + 1;
      if (adjacent || (lastCcc != 0 && lastCcc < cc)) {
        if (uint32_t c = compose(out[starter], cp)) {
          out[starter] = c;
          continue;
        }
      }
    }
    out.push_back(cp);
    if (cc == 0) {
      starter = long(out.size()) - 1;
      lastCcc = 0;
    } else {
      lastCcc = cc;
    }
  }

  std::string result;
  result.reserve(n);
  for (uint32_t cp : out)
    appendUtf8(result, cp);
  return result;
}

} // namespace

size_t utf8SequenceLength(unsigned char lead) {
  if (lead < 0x80)
    return 1;
  if (lead >= 0xC2 && lead <= 0xDF)
    return 2;
  if (lead >= 0xE0 && lead <= 0xEF)
    return 3;
  if (lead >= 0xF0 && lead <= 0xF4)
    return 4;
  return 0;
}

size_t decodeUtf8(const unsigned char *p, size_t n, uint32_t &cp) {
  if (n == 0)
    return 0;
  unsigned char b0 = p[0];
  if (b0 < 0x80) {
    cp = b0;
    return 1;
  }
  size_t len = utf8SequenceLength(b0);
  if (len == 0 || len > n)
    return 0;
  for (size_t i = 1; i < len; ++i)
    if ((p[i] & 0xC0) != 0x80)
      return 0;
  // The second byte's range rules out overlong forms, surrogates and values
  // above U+10FFFF (RFC 3629, table 3-7 of the Unicode standard).
  unsigned char b1 = p[1];
  switch (b0) {
  case 0xE0:
    if (b1 < 0xA0)
      return 0;
    break;
  case 0xED:
    if (b1 > 0x9F)
      return 0;
    break;
  case 0xF0:
    if (b1 < 0x90)
      return 0;
    break;
  case 0xF4:
    if (b1 > 0x8F)
      return 0;
    break;
  default:
    break;
  }
  if (len == 2)
    cp = (uint32_t(b0 & 0x1F) << 6) | (b1 & 0x3F);
  else if (len == 3)
    cp = (uint32_t(b0 & 0x0F) << 12) | (uint32_t(b1 & 0x3F) << 6) |
         (p[2] & 0x3F);
  else
    cp = (uint32_t(b0 & 0x07) << 18) | (uint32_t(b1 & 0x3F) << 12) |
         (uint32_t(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
  return len;
}

void appendUtf8(std::string &out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(char(cp));
  } else if (cp < 0x800) {
    out.push_back(char(0xC0 | (cp >> 6)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(char(0xE0 | (cp >> 12)));
    out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(char(0xF0 | (cp >> 18)));
    out.push_back(char(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  }
}

namespace {
// GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the
// other 68 bytes take the characters from U+0100 on, in byte order.
struct ByteLevelTables {
  std::array<uint32_t, 256> toChar{};
  std::array<int16_t, 324> toByte{};
  ByteLevelTables() {
    toByte.fill(-1);
    uint32_t next = 256;
    for (uint32_t b = 0; b < 256; ++b) {
      bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) ||
                       (b >= 0xAE && b <= 0xFF);
      toChar[b] = printable ? b : next++;
      toByte[toChar[b]] = int16_t(b);
    }
  }
};
const ByteLevelTables &byteLevel() {
  static const ByteLevelTables tables;
  return tables;
}
} // namespace

uint32_t byteToChar(uint8_t b) { return byteLevel().toChar[b]; }

int charToByte(uint32_t cp) {
  const auto &t = byteLevel().toByte;
  return cp < t.size() ? t[cp] : -1;
}

bool isNFCQuick(std::string_view text) {
  auto *p = reinterpret_cast<const unsigned char *>(text.data());
  size_t n = text.size(), i = 0;
  while (i < n) {
    if (p[i] < 0x80) {
      ++i;
      continue;
    }
    uint32_t cp;
    size_t len = decodeUtf8(p + i, n - i, cp);
    if (len == 0)
      return false;
    if (mayChangeUnderNFC(cp))
      return false;
    i += len;
  }
  return true;
}

bool normalizeNFC(std::string_view text, std::string &out) {
  // Only spans around characters that NFC might change are normalized: a
  // starter that NFC never changes and that never combines with what precedes
  // it ("stable") separates text whose normalizations do not interact.
  auto *p = reinterpret_cast<const unsigned char *>(text.data());
  size_t n = text.size(), copied = 0, lastStable = 0, i = 0;
  bool changed = false;
  while (i < n) {
    if (p[i] < 0x80) {
      lastStable = i++;
      continue;
    }
    uint32_t cp;
    size_t len = decodeUtf8(p + i, n - i, cp);
    if (len == 0) { // Not expected: callers pass valid text.
      lastStable = i++;
      continue;
    }
    if (!mayChangeUnderNFC(cp)) {
      lastStable = i;
      i += len;
      continue;
    }
    // The span runs from the last stable character (it may take marks) to
    // the next one.
    size_t begin = std::max(lastStable, copied), end = i + len;
    while (end < n) {
      size_t l = decodeUtf8(p + end, n - end, cp);
      if (l == 0 || !mayChangeUnderNFC(cp))
        break;
      end += l;
    }
    std::string normalized = nfcSpan(text.substr(begin, end - begin));
    if (!changed && normalized == text.substr(begin, end - begin)) {
      i = end; // Nothing changed yet: keep going without copying.
      continue;
    }
    if (!changed) {
      out.clear();
      out.reserve(n + 16);
      changed = true;
    }
    out.append(text.data() + copied, begin - copied);
    out += normalized;
    copied = end;
    i = end;
  }
  if (changed)
    out.append(text.data() + copied, n - copied);
  return changed;
}

std::string toNFC(std::string_view text) {
  std::string out;
  return normalizeNFC(text, out) ? out : std::string(text);
}

const char *unicodeVersion() { return LMC_UNICODE_VERSION; }

} // namespace lmc::rt::unicode
