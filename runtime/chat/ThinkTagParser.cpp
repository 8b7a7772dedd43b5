//===- ThinkTagParser.cpp - Reasoning in <think> tags, streamed -----------===//
#include "runtime/chat/ThinkTagParser.h"
#include "runtime/chat/JsText.h"

using namespace lmc::rt::chat;

namespace {
bool isSpace(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

/// The longest suffix of s that is a proper prefix of tag.
size_t partialTagAtEnd(std::string_view s, std::string_view tag) {
  for (size_t n = std::min(s.size(), tag.size() - 1); n > 0; --n)
    if (s.substr(s.size() - n) == tag.substr(0, n))
      return n;
  return 0;
}
} // namespace

ThinkTagParser::ThinkTagParser(bool startsInReasoning, std::string open,
                               std::string close)
    : open_(std::move(open)), close_(std::move(close)),
      state_(startsInReasoning ? State::SkipSpace : State::Start),
      sawReasoning_(startsInReasoning) {}

void ThinkTagParser::emit(ReplyDelta &d, bool toReasoning, std::string_view s) {
  (toReasoning ? d.reasoning : d.answer) += s;
  (toReasoning ? reasoning_ : answer_) += s;
}

ReplyDelta ThinkTagParser::push(std::string_view piece) {
  ReplyDelta d;
  std::string buf = held_ + std::string(piece);
  held_.clear();
  std::string_view s = buf;
  while (!s.empty()) {
    switch (state_) {
    case State::Start: {
      size_t lead = 0;
      while (lead < s.size() && isSpace(s[lead]))
        ++lead;
      std::string_view rest = s.substr(lead);
      if (rest.size() >= open_.size() && rest.substr(0, open_.size()) == open_) {
        sawReasoning_ = true;
        state_ = State::SkipSpace;
        s = rest.substr(open_.size());
        continue;
      }
      if (std::string_view(open_).substr(0, rest.size()) == rest) {
        held_ = std::string(s); // white space and maybe the tag's start
        return d;
      }
      state_ = State::Answer;
      continue;
    }
    case State::SkipSpace:
    case State::AfterClose: {
      size_t lead = 0;
      while (lead < s.size() && isSpace(s[lead]))
        ++lead;
      s = s.substr(lead);
      if (!s.empty())
        state_ = state_ == State::SkipSpace ? State::Reasoning : State::Answer;
      continue;
    }
    case State::Reasoning: {
      size_t at = s.find(close_);
      if (at != std::string_view::npos) {
        emit(d, true, s.substr(0, at));
        s = s.substr(at + close_.size());
        state_ = State::AfterClose;
        continue;
      }
      size_t partial = partialTagAtEnd(s, close_);
      emit(d, true, s.substr(0, s.size() - partial));
      held_ = std::string(s.substr(s.size() - partial));
      return d;
    }
    case State::Answer:
      emit(d, false, s);
      return d;
    }
  }
  return d;
}

ReplyDelta ThinkTagParser::finish() {
  ReplyDelta d;
  std::string h = std::move(held_);
  held_.clear();
  if (h.empty())
    return d;
  // In the reasoning, held text is a "</think>" the stream never finished:
  // dropped. Before any tag it is the reply itself ("<thi").
  if (state_ == State::Start)
    emit(d, false, h);
  return d;
}
