//===- ThinkTagParserTest.cpp - <think> reasoning split from the answer ---===//
#include "runtime/chat/ThinkTagParser.h"

#include <gtest/gtest.h>

using namespace lmc::rt::chat;

namespace {
struct Split {
  std::string reasoning, answer;
};

Split parse(const std::string &reply, size_t piece, bool startsInReasoning) {
  ThinkTagParser p(startsInReasoning);
  Split s;
  for (size_t i = 0; i < reply.size(); i += piece) {
    ReplyDelta d = p.push(reply.substr(i, piece));
    s.reasoning += d.reasoning;
    s.answer += d.answer;
  }
  ReplyDelta d = p.finish();
  s.reasoning += d.reasoning;
  s.answer += d.answer;
  EXPECT_EQ(s.reasoning, p.reasoning());
  EXPECT_EQ(s.answer, p.answer());
  return s;
}
} // namespace

TEST(ThinkTagParser, ReasoningThenAnswerInAnyPieces) {
  const std::string reply =
      "<think>\nThe user wants 2+2. </thin is not a tag.\n</think>\n\nIt is 4.";
  for (size_t piece = 1; piece <= reply.size(); ++piece) {
    SCOPED_TRACE(piece);
    Split s = parse(reply, piece, false);
    EXPECT_EQ(s.reasoning, "The user wants 2+2. </thin is not a tag.\n");
    EXPECT_EQ(s.answer, "It is 4.");
  }
}

TEST(ThinkTagParser, EmptyReasoningOfNoThink) {
  // Qwen3 with /no_think (or after an enable_thinking=false prompt).
  Split s = parse("<think>\n\n</think>\n\nHi!", 2, false);
  EXPECT_EQ(s.reasoning, "");
  EXPECT_EQ(s.answer, "Hi!");
}

TEST(ThinkTagParser, NoTagMeansAllAnswer) {
  for (size_t piece : {1, 3, 100}) {
    Split s = parse("  <b>bold</b> <think> later is text", piece, false);
    EXPECT_EQ(s.reasoning, "");
    EXPECT_EQ(s.answer, "  <b>bold</b> <think> later is text");
  }
  EXPECT_EQ(parse("<thi", 1, false).answer, "<thi"); // cut off: kept
}

TEST(ThinkTagParser, PromptOpenedTheBlock) {
  Split s = parse("\nreasoning here\n</think>\n\nanswer", 4, true);
  EXPECT_EQ(s.reasoning, "reasoning here\n");
  EXPECT_EQ(s.answer, "answer");
}

TEST(ThinkTagParser, CutOffInsideTheReasoning) {
  const std::string reply = "<think>\nsome thoughts</think>answer";
  // From past "<think>" on (a cut inside the tag itself is plain text).
  for (size_t cut = 7; cut <= reply.size(); ++cut) {
    Split s = parse(reply.substr(0, cut), 1, false);
    std::string full = "some thoughts";
    EXPECT_EQ(full.compare(0, s.reasoning.size(), s.reasoning), 0) << cut;
    EXPECT_EQ(std::string("answer").compare(0, s.answer.size(), s.answer), 0)
        << cut;
  }
}
