//===- ThinkTagParser.h - Reasoning in <think> tags, streamed ---*- C++ -*-===//
//
// Qwen3 (and DeepSeek-R1-style models) write their reasoning first, inside
// <think>...</think>, then the answer. The parser splits a reply streamed
// piece by piece into the two, holding back only text that may still turn
// out to be a tag. A reply that does not open with <think> (after white
// space) is all answer; one whose prompt already opened the block (the
// template ended it with "<think>\n") starts in the reasoning. The white
// space right after <think> and right after </think> is dropped: it
// separates, it is not content. A stream cut off inside the reasoning
// leaves an empty answer.
//
//===----------------------------------------------------------------------===//
#ifndef LMC_RUNTIME_CHAT_THINKTAGPARSER_H
#define LMC_RUNTIME_CHAT_THINKTAGPARSER_H

#include <string>
#include <string_view>

namespace lmc::rt::chat {

struct ReplyDelta {
  std::string reasoning;
  std::string answer;
};

class ThinkTagParser {
public:
  explicit ThinkTagParser(bool startsInReasoning = false,
                          std::string open = "<think>",
                          std::string close = "</think>");

  ReplyDelta push(std::string_view text);
  /// The end of the reply: a partial "</think>" is dropped, a partial
  /// "<think>" at the start is answer text.
  ReplyDelta finish();

  const std::string &reasoning() const { return reasoning_; }
  const std::string &answer() const { return answer_; }
  bool sawReasoning() const { return sawReasoning_; }

private:
  enum class State { Start, SkipSpace, Reasoning, AfterClose, Answer };
  void emit(ReplyDelta &d, bool toReasoning, std::string_view s);

  std::string open_, close_;
  State state_;
  bool sawReasoning_ = false;
  std::string held_;
  std::string reasoning_, answer_;
};

} // namespace lmc::rt::chat

#endif // LMC_RUNTIME_CHAT_THINKTAGPARSER_H
