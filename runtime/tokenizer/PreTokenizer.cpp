//===- PreTokenizer.cpp - Regex pre-tokenization with PCRE2 ----------------===//

#include "runtime/tokenizer/PreTokenizer.h"

#include "runtime/tokenizer/Unicode.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace lmc::rt {

struct PreTokenizer::Regex {
  pcre2_code *code = nullptr;
  ~Regex() { pcre2_code_free(code); }
};

namespace {

struct MatchData {
  pcre2_match_data *data;
  explicit MatchData(const pcre2_code *code)
      : data(pcre2_match_data_create_from_pattern(code, nullptr)) {}
  ~MatchData() { pcre2_match_data_free(data); }
};

/// Appends to out the pieces of subject (at offset base of the whole text):
/// matches and the gaps between them. Empty matches split nothing (the search
/// moves on by one character, as JavaScript's matchAll and Rust's find_iter
/// do).
void splitOne(const pcre2_code *code, pcre2_match_data *md,
              std::string_view subject, size_t base, std::vector<Span> &out) {
  auto *s = reinterpret_cast<PCRE2_SPTR>(subject.data());
  size_t n = subject.size(), pos = 0, prev = 0;
  while (pos <= n) {
    // The text was validated as UTF-8 by the caller.
    int rc = pcre2_match(code, s, n, pos, PCRE2_NO_UTF_CHECK, md, nullptr);
    if (rc < 0 && rc != PCRE2_ERROR_NOMATCH)
      // A resource limit of the JIT (its stack): retry with the interpreter,
      // whose limits are far larger.
      rc = pcre2_match(code, s, n, pos, PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, md,
                       nullptr);
    if (rc < 0)
      break; // No match (or still an error): the rest is one gap piece.
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    size_t begin = ov[0], end = ov[1];
    if (begin > prev)
      out.push_back({base + prev, base + begin});
    if (end > begin) {
      out.push_back({base + begin, base + end});
      prev = pos = end;
      continue;
    }
    prev = begin;
    if (begin >= n)
      break;
    size_t len = unicode::utf8SequenceLength(s[begin]);
    pos = begin + (len ? len : 1);
  }
  if (prev < n)
    out.push_back({base + prev, base + n});
}

} // namespace

std::optional<std::string> toPcre2Pattern(std::string_view pattern) {
  // The families' patterns come from Rust (Oniguruma in HF tokenizers,
  // fancy-regex in tiktoken), where \s is Unicode White_Space. PCRE2's \s
  // adds U+180E (it keeps a pre-Unicode-6.3 list of horizontal spaces), so
  // spell White_Space out: TAB..CR, NEL and the separators (Zs, Zl, Zp).
  static const char kSpaceChars[] = "\\t-\\r\\x{85}\\p{Z}";
  std::string out;
  bool inClass = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      char e = pattern[++i];
      if (e == 's') {
        out += inClass ? std::string(kSpaceChars)
                       : "[" + std::string(kSpaceChars) + "]";
      } else if (e == 'S') {
        if (inClass)
          return std::nullopt; // [\S...] has no union spelling; unused.
        out += "[^" + std::string(kSpaceChars) + "]";
      } else {
        out += c;
        out += e;
      }
      continue;
    }
    if (c == '[' && !inClass) {
      inClass = true;
      out += c;
      // A ']' first in a class (after an optional '^') is a literal.
      if (i + 1 < pattern.size() && pattern[i + 1] == '^')
        out += pattern[++i];
      if (i + 1 < pattern.size() && pattern[i + 1] == ']')
        out += pattern[++i];
      continue;
    }
    if (c == ']' && inClass)
      inClass = false;
    out += c;
  }
  return out;
}

PreTokenizer::PreTokenizer() = default;
PreTokenizer::~PreTokenizer() = default;

std::unique_ptr<PreTokenizer>
PreTokenizer::create(const std::vector<std::string> &patterns,
                     std::string &err) {
  std::unique_ptr<PreTokenizer> pt(new PreTokenizer());
  for (const std::string &source : patterns) {
    std::optional<std::string> converted = toPcre2Pattern(source);
    if (!converted) {
      err = "pre-tokenizer regex uses \\S inside a character class";
      return nullptr;
    }
    const std::string &pattern = *converted;
    int errorCode;
    PCRE2_SIZE errorOffset;
    auto regex = std::make_unique<Regex>();
    regex->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()),
                                pattern.size(), PCRE2_UTF | PCRE2_UCP,
                                &errorCode, &errorOffset, nullptr);
    if (!regex->code) {
      PCRE2_UCHAR message[256];
      pcre2_get_error_message(errorCode, message, sizeof(message));
      err = "pre-tokenizer regex does not compile at offset " +
            std::to_string(errorOffset) + ": " +
            reinterpret_cast<const char *>(message);
      return nullptr;
    }
    // JIT is an optimisation only: without it the interpreter gives the same
    // matches.
    (void)pcre2_jit_compile(regex->code, PCRE2_JIT_COMPLETE);
    pt->regexes_.push_back(std::move(regex));
  }
  return pt;
}

void PreTokenizer::split(std::string_view text,
                         std::vector<Span> &pieces) const {
  pieces.clear();
  if (text.empty())
    return;
  if (regexes_.empty()) {
    pieces.push_back({0, text.size()});
    return;
  }
  std::vector<Span> next;
  for (size_t r = 0; r < regexes_.size(); ++r) {
    const pcre2_code *code = regexes_[r]->code;
    MatchData md(code);
    if (r == 0) {
      splitOne(code, md.data, text, 0, pieces);
      continue;
    }
    next.clear();
    for (const Span &piece : pieces)
      splitOne(code, md.data, text.substr(piece.begin, piece.end - piece.begin),
               piece.begin, next);
    pieces.swap(next);
  }
}

} // namespace lmc::rt
