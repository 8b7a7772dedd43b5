//===- PreTokenizer.h - Regex pre-tokenization with PCRE2 -------*- C++ -*-===//
//
// Cuts valid UTF-8 text into the pieces BPE works on, by a sequence of regexes
// (Hugging Face's Sequence of Split pre-tokenizers with behavior Isolated):
// each regex splits every piece of the previous step into its matches and the
// text between them, in order, dropping nothing.
//
//===----------------------------------------------------------------------===//
#ifndef LMC_RUNTIME_TOKENIZER_PRETOKENIZER_H
#define LMC_RUNTIME_TOKENIZER_PRETOKENIZER_H

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lmc::rt {

/// A piece of the text: bytes [begin, end).
struct Span {
  size_t begin, end;
};

class PreTokenizer {
public:
  /// Compiles the patterns (UTF and Unicode-property mode, JIT when the
  /// platform has it). Null with the PCRE2 message in err if one fails.
  static std::unique_ptr<PreTokenizer>
  create(const std::vector<std::string> &patterns, std::string &err);
  ~PreTokenizer();

  /// Replaces pieces with the pieces of text, which must be valid UTF-8. Safe
  /// to call from several threads at once.
  void split(std::string_view text, std::vector<Span> &pieces) const;

private:
  struct Regex;
  PreTokenizer();
  std::vector<std::unique_ptr<Regex>> regexes_;
};

/// The PCRE2 spelling of a tokenizer.json (Rust-syntax) pattern: the same
/// except that \s and \S are spelled out as Unicode White_Space, which is
/// what Rust's regex engines mean by them and PCRE2 does not quite (it counts
/// U+180E as a space). Null for a pattern with \S inside a character class.
std::optional<std::string> toPcre2Pattern(std::string_view pattern);

} // namespace lmc::rt

#endif // LMC_RUNTIME_TOKENIZER_PRETOKENIZER_H
