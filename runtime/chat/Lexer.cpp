//===- Lexer.cpp - Chat template text to tokens ---------------------------===//
#include "runtime/chat/Lexer.h"
#include "runtime/chat/JsText.h"

#include <cstdint>

using namespace lmc::rt::chat;

namespace {

/// Text being preprocessed, each byte with its offset in the original.
struct MappedText {
  std::string text;
  std::vector<uint32_t> origin;
  /// The original offset of the end.
  uint32_t end = 0;

  void append(const MappedText &from, size_t begin, size_t n) {
    text.append(from.text, begin, n);
    origin.insert(origin.end(), from.origin.begin() + begin,
                  from.origin.begin() + begin + n);
  }
  uint32_t originAt(size_t i) const { return i < origin.size() ? origin[i] : end; }
};

/// Length of the white space (JavaScript's \s) at s[i].
size_t whitespaceRun(const std::string &s, size_t i) {
  size_t j = i;
  while (j < s.size()) {
    size_t next = j;
    if (!js::isWhitespace(js::nextCodePoint(s, next)))
      break;
    j = next;
  }
  return j - i;
}

bool isLineTerminatorBefore(const std::string &s, size_t i) {
  if (i == 0)
    return true;
  char c = s[i - 1];
  if (c == '\n' || c == '\r')
    return true;
  // U+2028, U+2029 end lines for JavaScript's multiline ^ too.
  return i >= 3 && (unsigned char)s[i - 3] == 0xE2 &&
         (unsigned char)s[i - 2] == 0x80 &&
         ((unsigned char)s[i - 1] == 0xA8 || (unsigned char)s[i - 1] == 0xA9);
}

/// lstrip_blocks: /^[ \t]*({[#%-])/gm -> "$1".
MappedText lstripBlocks(const MappedText &in) {
  MappedText out;
  out.end = in.end;
  const std::string &s = in.text;
  for (size_t i = 0; i < s.size();) {
    if (isLineTerminatorBefore(s, i)) {
      size_t j = i;
      while (j < s.size() && (s[j] == ' ' || s[j] == '\t'))
        ++j;
      if (j + 1 < s.size() && s[j] == '{' &&
          (s[j + 1] == '#' || s[j + 1] == '%' || s[j + 1] == '-')) {
        out.append(in, j, 2);
        i = j + 2;
        continue;
      }
    }
    out.append(in, i, 1);
    ++i;
  }
  return out;
}

/// trim_blocks: /([#%-]})\n/g -> "$1".
MappedText trimBlocks(const MappedText &in) {
  MappedText out;
  out.end = in.end;
  const std::string &s = in.text;
  for (size_t i = 0; i < s.size();) {
    if (i + 2 < s.size() && (s[i] == '#' || s[i] == '%' || s[i] == '-') &&
        s[i + 1] == '}' && s[i + 2] == '\n') {
      out.append(in, i, 2);
      i += 3;
      continue;
    }
    out.append(in, i, 1);
    ++i;
  }
  return out;
}

/// Hugging Face's training-only markers:
/// /(\s*){%(-?)\s*(?:end)?generation\s*(-?)%}(\s*)/gs ->
///   (lstrip ? "" : before) + (rstrip ? "" : after).
MappedText removeGenerationTags(const MappedText &in) {
  MappedText out;
  out.end = in.end;
  const std::string &s = in.text;
  auto matchAt = [&](size_t tag, bool &lstrip, bool &rstrip) -> size_t {
    if (s.compare(tag, 2, "{%") != 0)
      return 0;
    size_t j = tag + 2;
    lstrip = j < s.size() && s[j] == '-';
    j += lstrip;
    j += whitespaceRun(s, j);
    if (s.compare(j, 3, "end") == 0 && s.compare(j + 3, 10, "generation") == 0)
      j += 3;
    if (s.compare(j, 10, "generation") != 0)
      return 0;
    j += 10;
    j += whitespaceRun(s, j);
    rstrip = j < s.size() && s[j] == '-';
    j += rstrip;
    if (s.compare(j, 2, "%}") != 0)
      return 0;
    return j + 2;
  };
  for (size_t i = 0; i < s.size();) {
    size_t before = whitespaceRun(s, i);
    bool lstrip = false, rstrip = false;
    size_t tagEnd = matchAt(i + before, lstrip, rstrip);
    if (tagEnd == 0) {
      // No marker after this run: neither after any later start inside it.
      size_t n = before ? before : 1;
      out.append(in, i, n);
      i += n;
      continue;
    }
    size_t after = whitespaceRun(s, tagEnd);
    if (!lstrip)
      out.append(in, i, before);
    if (!rstrip)
      out.append(in, tagEnd, after);
    i = tagEnd + after;
  }
  return out;
}

MappedText preprocess(std::string_view source) {
  MappedText t;
  t.text.assign(source);
  t.end = uint32_t(source.size());
  t.origin.resize(source.size());
  for (size_t i = 0; i < source.size(); ++i)
    t.origin[i] = uint32_t(i);
  if (!t.text.empty() && t.text.back() == '\n') {
    t.text.pop_back();
    t.origin.pop_back();
  }
  return removeGenerationTags(trimBlocks(lstripBlocks(t)));
}

/// Original offsets to line:column (columns count code points).
class LineIndex {
public:
  explicit LineIndex(std::string_view source) : source_(source) {
    starts_.push_back(0);
    for (size_t i = 0; i < source.size(); ++i)
      if (source[i] == '\n')
        starts_.push_back(uint32_t(i + 1));
  }
  SourceLoc locate(uint32_t offset) const {
    size_t lo = 0, hi = starts_.size();
    while (hi - lo > 1) {
      size_t mid = (lo + hi) / 2;
      (starts_[mid] <= offset ? lo : hi) = mid;
    }
    uint32_t column = 1;
    for (size_t i = starts_[lo]; i < offset && i < source_.size();) {
      js::nextCodePoint(source_, i);
      ++column;
    }
    return {uint32_t(lo + 1), column};
  }

private:
  std::string_view source_;
  std::vector<uint32_t> starts_;
};

struct OperatorSpelling {
  const char *text;
  TokenType type;
};

// In @huggingface/jinja's order: longer spellings before their prefixes.
const OperatorSpelling kOperators[] = {
    {"{%", TokenType::OpenStatement},
    {"%}", TokenType::CloseStatement},
    {"{{", TokenType::OpenExpression},
    {"}}", TokenType::CloseExpression},
    {"(", TokenType::OpenParen},
    {")", TokenType::CloseParen},
    {"{", TokenType::OpenCurlyBracket},
    {"}", TokenType::CloseCurlyBracket},
    {"[", TokenType::OpenSquareBracket},
    {"]", TokenType::CloseSquareBracket},
    {",", TokenType::Comma},
    {".", TokenType::Dot},
    {":", TokenType::Colon},
    {"|", TokenType::Pipe},
    {"<=", TokenType::ComparisonOperator},
    {">=", TokenType::ComparisonOperator},
    {"==", TokenType::ComparisonOperator},
    {"!=", TokenType::ComparisonOperator},
    {"<", TokenType::ComparisonOperator},
    {">", TokenType::ComparisonOperator},
    {"+", TokenType::AdditiveOperator},
    {"-", TokenType::AdditiveOperator},
    {"~", TokenType::AdditiveOperator},
    {"**", TokenType::PowerOperator},
    {"*", TokenType::MultiplicativeOperator},
    {"//", TokenType::MultiplicativeOperator},
    {"/", TokenType::MultiplicativeOperator},
    {"%", TokenType::MultiplicativeOperator},
    {"=", TokenType::Equals},
};

bool isWordChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '_';
}
bool isDigit(char c) { return c >= '0' && c <= '9'; }

void appendUtf8(std::string &out, uint32_t c) {
  if (c < 0x80) {
    out += char(c);
  } else if (c < 0x800) {
    out += char(0xC0 | (c >> 6));
    out += char(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += char(0xE0 | (c >> 12));
    out += char(0x80 | ((c >> 6) & 0x3F));
    out += char(0x80 | (c & 0x3F));
  } else {
    out += char(0xF0 | (c >> 18));
    out += char(0x80 | ((c >> 12) & 0x3F));
    out += char(0x80 | ((c >> 6) & 0x3F));
    out += char(0x80 | (c & 0x3F));
  }
}

class Lexer {
public:
  Lexer(std::string_view source)
      : lines_(source), src_(preprocess(source)), s_(src_.text) {}

  std::vector<Token> run();

private:
  SourceLoc locAt(size_t i) const { return lines_.locate(src_.originAt(i)); }
  [[noreturn]] void fail(size_t at, const std::string &message) const {
    throw TemplateError(locAt(at), message);
  }
  TokenType lastType() const {
    return tokens_.empty() ? TokenType::Text : tokens_.back().type;
  }
  bool startsWith(const char *p) const {
    return s_.compare(pos_, std::char_traits<char>::length(p), p) == 0;
  }
  void push(TokenType type, std::string value, size_t at) {
    tokens_.push_back({type, std::move(value), locAt(at)});
  }
  /// `{%-` and friends: the text before loses its trailing white space.
  void stripTrailingWhitespace() {
    if (!tokens_.empty() && tokens_.back().type == TokenType::Text) {
      tokens_.back().value = js::trimEnd(tokens_.back().value);
      if (tokens_.back().value.empty())
        tokens_.pop_back();
    }
  }
  void skipWhitespace() { pos_ += whitespaceRun(s_, pos_); }
  /// Consumes characters while pred holds, decoding string escapes; like
  /// the reference, running into the end of the template is an error.
  template <typename Pred> std::string consumeWhile(Pred pred);
  void lexComment();
  bool lexSign();

  LineIndex lines_;
  MappedText src_;
  const std::string &s_;
  size_t pos_ = 0;
  int curlyDepth_ = 0;
  std::vector<Token> tokens_;
};

template <typename Pred> std::string Lexer::consumeWhile(Pred pred) {
  std::string out;
  uint32_t pendingHigh = 0;
  size_t pendingAt = 0;
  while (pos_ < s_.size() && pred(s_[pos_])) {
    if (s_[pos_] == '\\') {
      size_t at = pos_++;
      if (pos_ >= s_.size())
        fail(at, "unexpected end of template after '\\'");
      char e = s_[pos_++];
      uint32_t unit = 0;
      if (e == 'x' || e == 'u') {
        size_t len = e == 'x' ? 2 : 4;
        std::string hex = s_.substr(pos_, len);
        bool ok = hex.size() == len;
        for (char h : hex)
          ok = ok && (isDigit(h) || ((h | 0x20) >= 'a' && (h | 0x20) <= 'f'));
        if (!ok)
          fail(at, std::string("invalid escape \\") + e + hex);
        unit = uint32_t(std::stoul(hex, nullptr, 16));
        pos_ += len;
      } else {
        switch (e) {
        case 'n': unit = '\n'; break;
        case 't': unit = '\t'; break;
        case 'r': unit = '\r'; break;
        case 'b': unit = '\b'; break;
        case 'f': unit = '\f'; break;
        case 'v': unit = '\v'; break;
        case '\'': unit = '\''; break;
        case '"': unit = '"'; break;
        case '\\': unit = '\\'; break;
        default:
          fail(at, std::string("unknown escape \\") + e);
        }
      }
      // \uD83D\uDE00: JavaScript strings are UTF-16; join the pair.
      if (pendingHigh) {
        if (unit < 0xDC00 || unit > 0xDFFF)
          fail(pendingAt, "a \\u escape is half of a surrogate pair");
        appendUtf8(out, 0x10000 + ((pendingHigh - 0xD800) << 10) + (unit - 0xDC00));
        pendingHigh = 0;
      } else if (unit >= 0xD800 && unit <= 0xDBFF) {
        pendingHigh = unit;
        pendingAt = at;
      } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
        fail(at, "a \\u escape is half of a surrogate pair");
      } else {
        appendUtf8(out, unit);
      }
      continue;
    }
    if (pendingHigh)
      fail(pendingAt, "a \\u escape is half of a surrogate pair");
    out += s_[pos_++];
    if (pos_ >= s_.size())
      fail(pos_, "unexpected end of template");
  }
  if (pendingHigh)
    fail(pendingAt, "a \\u escape is half of a surrogate pair");
  return out;
}

void Lexer::lexComment() {
  size_t at = pos_;
  pos_ += 2;
  bool stripBefore = pos_ < s_.size() && s_[pos_] == '-';
  pos_ += stripBefore;
  size_t close = s_.find("#}", pos_);
  if (close == std::string::npos)
    fail(at, "the comment is never closed with '#}'");
  std::string comment = s_.substr(pos_, close - pos_);
  bool stripAfter = !comment.empty() && comment.back() == '-';
  if (stripAfter)
    comment.pop_back();
  if (stripBefore)
    stripTrailingWhitespace();
  push(TokenType::Comment, std::move(comment), at);
  pos_ = close + 2;
  if (stripAfter)
    skipWhitespace();
}

/// A '-' or '+' where an operand is expected is a sign: "-1" becomes one
/// number, "-x" a unary operator. Returns false for a binary operator.
bool Lexer::lexSign() {
  char c = s_[pos_];
  switch (lastType()) {
  case TokenType::Identifier:
  case TokenType::NumericLiteral:
  case TokenType::StringLiteral:
  case TokenType::CloseParen:
  case TokenType::CloseSquareBracket:
    return false;
  default:
    break;
  }
  size_t at = pos_++;
  std::string num = consumeWhile(isDigit);
  if (!num.empty() && pos_ + 1 < s_.size() && s_[pos_] == '.' &&
      isDigit(s_[pos_ + 1])) {
    ++pos_;
    num += "." + consumeWhile(isDigit);
  }
  if (num.empty())
    push(TokenType::UnaryOperator, std::string(1, c), at);
  else
    push(TokenType::NumericLiteral, std::string(1, c) + num, at);
  return true;
}

std::vector<Token> Lexer::run() {
  while (pos_ < s_.size()) {
    TokenType last = lastType();
    if (tokens_.empty() || last == TokenType::CloseStatement ||
        last == TokenType::CloseExpression || last == TokenType::Comment) {
      size_t start = pos_;
      while (pos_ < s_.size() &&
             !(s_[pos_] == '{' && pos_ + 1 < s_.size() &&
               (s_[pos_ + 1] == '%' || s_[pos_ + 1] == '{' ||
                s_[pos_ + 1] == '#')))
        ++pos_;
      if (pos_ > start) {
        push(TokenType::Text, s_.substr(start, pos_ - start), start);
        continue;
      }
    }
    if (startsWith("{#")) {
      lexComment();
      continue;
    }
    if (startsWith("{%-")) {
      stripTrailingWhitespace();
      push(TokenType::OpenStatement, "{%", pos_);
      pos_ += 3;
      continue;
    }
    if (startsWith("{{-")) {
      stripTrailingWhitespace();
      push(TokenType::OpenExpression, "{{", pos_);
      curlyDepth_ = 0;
      pos_ += 3;
      continue;
    }
    // White space inside a tag separates tokens; it may not run to the end.
    size_t ws = whitespaceRun(s_, pos_);
    if (ws && pos_ + ws >= s_.size())
      fail(s_.size(), "unexpected end of template inside a tag");
    pos_ += ws;
    if (startsWith("-%}")) {
      push(TokenType::CloseStatement, "%}", pos_);
      pos_ += 3;
      skipWhitespace();
      continue;
    }
    if (startsWith("-}}")) {
      push(TokenType::CloseExpression, "}}", pos_);
      pos_ += 3;
      skipWhitespace();
      continue;
    }
    char c = s_[pos_];
    if (c == '-' || c == '+') {
      if (tokens_.empty() || lastType() == TokenType::Text)
        fail(pos_, std::string("unexpected '") + c + "'");
      if (lexSign())
        continue;
    }
    bool matched = false;
    for (const OperatorSpelling &op : kOperators) {
      if (op.type == TokenType::CloseExpression && curlyDepth_ > 0)
        continue;
      if (!startsWith(op.text))
        continue;
      push(op.type, op.text, pos_);
      if (op.type == TokenType::OpenExpression)
        curlyDepth_ = 0;
      else if (op.type == TokenType::OpenCurlyBracket)
        ++curlyDepth_;
      else if (op.type == TokenType::CloseCurlyBracket)
        --curlyDepth_;
      pos_ += std::char_traits<char>::length(op.text);
      matched = true;
      break;
    }
    if (matched)
      continue;
    if (c == '\'' || c == '"') {
      size_t at = pos_++;
      size_t close = pos_;
      while (close < s_.size() && s_[close] != c)
        close += s_[close] == '\\' ? 2 : 1;
      if (close >= s_.size())
        fail(at, "the string is never closed");
      std::string str = consumeWhile([c](char x) { return x != c; });
      if (pos_ >= s_.size())
        fail(at, "the string is never closed");
      ++pos_;
      push(TokenType::StringLiteral, std::move(str), at);
      continue;
    }
    if (isDigit(c)) {
      size_t at = pos_;
      std::string num = consumeWhile(isDigit);
      if (lastType() != TokenType::Dot && pos_ + 1 < s_.size() &&
          s_[pos_] == '.' && isDigit(s_[pos_ + 1])) {
        ++pos_;
        num += "." + consumeWhile(isDigit);
      }
      push(TokenType::NumericLiteral, std::move(num), at);
      continue;
    }
    if (isWordChar(c)) {
      size_t at = pos_;
      push(TokenType::Identifier, consumeWhile(isWordChar), at);
      continue;
    }
    size_t next = pos_;
    js::nextCodePoint(s_, next);
    fail(pos_, "unexpected character '" + s_.substr(pos_, next - pos_) +
                   "' in a tag");
  }
  return std::move(tokens_);
}

} // namespace

std::vector<Token> lmc::rt::chat::tokenize(std::string_view source) {
  return Lexer(source).run();
}

std::string lmc::rt::chat::describeToken(const Token &token) {
  switch (token.type) {
  case TokenType::Text:
    return "text";
  case TokenType::Comment:
    return "a comment";
  case TokenType::Identifier:
    return "'" + token.value + "'";
  case TokenType::StringLiteral:
    return "a string";
  case TokenType::NumericLiteral:
    return "the number " + token.value;
  default:
    return "'" + token.value + "'";
  }
}
