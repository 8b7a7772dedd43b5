//===- TemplateError.h - Errors of the chat template engine -----*- C++ -*-===//
//
// Every failure of lexing, parsing or rendering a chat template is one
// TemplateError: a one-line message and the line:column of the template text
// it concerns. The engine throws it internally; the public API
// (ChatTemplate.h) turns it into "LINE:COLUMN: message" and never lets an
// exception out.
//
//===----------------------------------------------------------------------===//
#ifndef LMC_RUNTIME_CHAT_TEMPLATEERROR_H
#define LMC_RUNTIME_CHAT_TEMPLATEERROR_H

#include <cstdint>
#include <exception>
#include <string>

namespace lmc::rt::chat {

/// A position in the template source, 1-based; line 0 means "unknown".
struct SourceLoc {
  uint32_t line = 0;
  uint32_t column = 0;
};

class TemplateError : public std::exception {
public:
  TemplateError(SourceLoc loc, std::string message)
      : loc_(loc), message_(std::move(message)) {}
  const char *what() const noexcept override { return message_.c_str(); }
  SourceLoc loc() const { return loc_; }
  const std::string &message() const { return message_; }
  /// "LINE:COLUMN: message" (just the message when the place is unknown).
  std::string describe() const {
    if (loc_.line == 0)
      return message_;
    return std::to_string(loc_.line) + ":" + std::to_string(loc_.column) +
           ": " + message_;
  }

private:
  SourceLoc loc_;
  std::string message_;
};

} // namespace lmc::rt::chat

#endif // LMC_RUNTIME_CHAT_TEMPLATEERROR_H
