//===- HarmonyParserTest.cpp - Streaming harmony into channels ------------===//
//
// The generated side of conversations written by renderHarmony (the
// training form, where the last assistant turn is rendered as the model
// would produce it) is parsed back, in pieces of every size and cut off at
// every byte.
//
//===----------------------------------------------------------------------===//
#include "runtime/chat/HarmonyParser.h"
#include "runtime/chat/HarmonyRenderer.h"

#include <gtest/gtest.h>

using namespace lmc::rt::chat;
using nlohmann::ordered_json;

namespace {

/// What the model generates after "<|start|>assistant" for the last turn of
/// context (rendered without a generation prompt).
std::string generatedPart(const ordered_json &context) {
  ordered_json prompt = context;
  prompt["messages"].erase(prompt["messages"].size() - 1);
  prompt["add_generation_prompt"] = true;
  std::string before, whole, err;
  EXPECT_TRUE(renderHarmony(prompt, "2026-12-01", before, err)) << err;
  EXPECT_TRUE(renderHarmony(context, "2026-12-01", whole, err)) << err;
  EXPECT_EQ(whole.compare(0, before.size(), before), 0);
  return whole.substr(before.size());
}

std::vector<HarmonyMessage> parseInPieces(const std::string &s, size_t piece) {
  HarmonyParser p;
  for (size_t i = 0; i < s.size(); i += piece)
    p.pushText(s.substr(i, piece));
  p.finish();
  return p.messages();
}

const ordered_json kAnswerWithReasoning = {
    {"messages",
     {{{"role", "user"}, {"content", "2+2?"}},
      {{"role", "assistant"},
       {"thinking", "Two plus two; <|x|> is not a marker."},
       {"content", "It is 4 < 5."}}}},
    {"add_generation_prompt", false}};

} // namespace

TEST(HarmonyParser, SplitsReasoningFromTheAnswer) {
  std::string gen = generatedPart(kAnswerWithReasoning);
  for (size_t piece : {size_t(1), size_t(2), size_t(3), size_t(7), gen.size()}) {
    SCOPED_TRACE(piece);
    std::vector<HarmonyMessage> m = parseInPieces(gen, piece);
    ASSERT_EQ(m.size(), 2u);
    EXPECT_EQ(m[0].channel, "analysis");
    EXPECT_EQ(m[0].content, "Two plus two; <|x|> is not a marker.");
    EXPECT_EQ(m[0].ending, HarmonyMessage::Ending::End);
    EXPECT_EQ(m[1].role, "assistant");
    EXPECT_EQ(m[1].channel, "final");
    EXPECT_EQ(m[1].content, "It is 4 < 5.");
    EXPECT_EQ(m[1].ending, HarmonyMessage::Ending::Return);
  }
}

TEST(HarmonyParser, ToolCallsOnTheCommentaryChannel) {
  ordered_json context = {
      {"messages",
       {{{"role", "user"}, {"content", "Weather?"}},
        {{"role", "assistant"},
         {"thinking", "Call the tool."},
         {"tool_calls",
          {{{"type", "function"},
            {"function",
             {{"name", "get_weather"},
              {"arguments", {{"city", "Paris"}}}}}}}}}}},
      {"add_generation_prompt", false}};
  std::string gen = generatedPart(context);
  HarmonyParser p;
  std::string streamedFinal, streamedAnalysis, streamedCall;
  for (char c : gen)
    for (const HarmonyDelta &d : p.pushText(std::string(1, c)))
      (d.recipient.empty() ? (d.channel == "analysis" ? streamedAnalysis
                                                      : streamedFinal)
                           : streamedCall) += d.text;
  ASSERT_EQ(p.messages().size(), 2u);
  const HarmonyMessage &call = p.messages()[1];
  EXPECT_EQ(call.channel, "commentary");
  EXPECT_EQ(call.recipient, "functions.get_weather");
  EXPECT_EQ(call.contentType, "json");
  EXPECT_EQ(call.content, "{\"city\": \"Paris\"}");
  EXPECT_EQ(call.ending, HarmonyMessage::Ending::Call);
  EXPECT_EQ(streamedAnalysis, "Call the tool.");
  EXPECT_EQ(streamedCall, call.content);
  EXPECT_EQ(streamedFinal, "");
}

TEST(HarmonyParser, HeaderVariantsAndConstrain) {
  HarmonyParser p;
  p.pushText("<|channel|>commentary to=functions.lookup <|constrain|>json"
             "<|message|>{}<|call|>");
  p.pushText("<|start|>assistant to=functions.other<|channel|>commentary"
             "<|message|>x<|call|>");
  p.finish();
  ASSERT_EQ(p.messages().size(), 2u);
  EXPECT_EQ(p.messages()[0].recipient, "functions.lookup");
  EXPECT_EQ(p.messages()[0].contentType, "json");
  EXPECT_EQ(p.messages()[1].recipient, "functions.other");
  EXPECT_EQ(p.messages()[1].channel, "commentary");
}

TEST(HarmonyParser, CutOffAnywhereKeepsWhatCame) {
  std::string gen = generatedPart(kAnswerWithReasoning);
  std::vector<HarmonyMessage> full = parseInPieces(gen, gen.size());
  for (size_t cut = 0; cut <= gen.size(); ++cut) {
    SCOPED_TRACE(cut);
    std::vector<HarmonyMessage> m = parseInPieces(gen.substr(0, cut), 3);
    ASSERT_LE(m.size(), full.size());
    for (size_t i = 0; i < m.size(); ++i) {
      EXPECT_EQ(m[i].channel, full[i].channel);
      EXPECT_EQ(full[i].content.compare(0, m[i].content.size(), m[i].content), 0);
      if (i + 1 < m.size())
        EXPECT_EQ(m[i].ending, full[i].ending);
    }
    if (cut < gen.size() && !m.empty() &&
        m.back().ending != HarmonyMessage::Ending::Open)
      EXPECT_NE(m.size(), full.size()); // only a finished message is closed
  }
}

TEST(HarmonyParser, MarkersAsTokenIds) {
  // With markers from special-token ids, marker text in the content is
  // just text.
  HarmonyParser p(/*markersInText=*/false);
  p.pushMarker(HarmonyMarker::Channel);
  p.pushText("final");
  p.pushMarker(HarmonyMarker::Message);
  p.pushText("say <|end|> literally");
  p.pushMarker(HarmonyMarker::Return);
  ASSERT_EQ(p.messages().size(), 1u);
  EXPECT_EQ(p.messages()[0].content, "say <|end|> literally");
  EXPECT_EQ(p.channelText("final"), "say <|end|> literally");
  EXPECT_EQ(HarmonyParser::markerFor("<|call|>"), HarmonyMarker::Call);
  EXPECT_FALSE(HarmonyParser::markerFor("<|im_end|>").has_value());
}

TEST(HarmonyParser, BrokenStreamsDoNotCrash) {
  const char *streams[] = {"<|message|><|message|>x", "<|end|><|end|>tail",
                           "text before any header<|message|>body",
                           "<|channel|>final<|channel|>analysis<|message|>a",
                           "<|start|><|start|><|return|>", "<|", "<|chan"};
  for (const char *s : streams) {
    HarmonyParser p;
    p.pushText(s);
    p.finish();
    for (const HarmonyMessage &m : p.messages())
      EXPECT_LE(m.content.size(), std::string(s).size());
  }
  HarmonyParser held;
  held.pushText("<|chan");
  held.finish();
  EXPECT_TRUE(held.messages().empty()); // a header fragment, no message
}
