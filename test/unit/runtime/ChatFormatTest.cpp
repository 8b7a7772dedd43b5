//===- ChatFormatTest.cpp -------------------------------------------------===//
#include "runtime/cli/ChatFormat.h"

#include <gtest/gtest.h>

using namespace lmc::rt::cli;

TEST(ChatFormat, ChatMLAsQwenRendersIt) {
  std::string err;
  auto format = ChatFormat::create("chatml", err);
  ASSERT_TRUE(format) << err;
  EXPECT_EQ(format->endOfTurn(), "<|im_end|>");
  std::vector<ChatMessage> messages = {{"system", "Be brief."},
                                       {"user", "Hi!"}};
  EXPECT_EQ(format->render(messages, true),
            "<|im_start|>system\nBe brief.<|im_end|>\n"
            "<|im_start|>user\nHi!<|im_end|>\n"
            "<|im_start|>assistant\n");
  EXPECT_EQ(format->render(messages, false),
            "<|im_start|>system\nBe brief.<|im_end|>\n"
            "<|im_start|>user\nHi!<|im_end|>\n");
}

TEST(ChatFormat, EachTurnExtendsThePrevious) {
  // The chat loop relies on this to keep the conversation in the cache.
  std::string err;
  auto format = ChatFormat::create("chatml", err);
  std::vector<ChatMessage> messages = {{"user", "one"}};
  std::string before = format->render(messages, true);
  messages.push_back({"assistant", "reply"});
  messages.push_back({"user", "two"});
  std::string after = format->render(messages, true);
  ASSERT_EQ(after.compare(0, before.size() + 5, before + "reply"), 0);
  EXPECT_EQ(after.substr(before.size() + 5),
            "<|im_end|>\n<|im_start|>user\ntwo<|im_end|>\n"
            "<|im_start|>assistant\n");
}

TEST(ChatFormat, UnknownOrMissing) {
  std::string err;
  EXPECT_FALSE(ChatFormat::create("", err));
  EXPECT_EQ(err, "the model has no chat format");
  EXPECT_FALSE(ChatFormat::create("harmony-2", err));
  EXPECT_EQ(err, "chat format 'harmony-2' is not supported");
}

namespace {
const char *kThinkingTemplate =
    "{%- for m in messages %}{{- '<|im_start|>' + m.role + '\\n' + m.content + "
    "'<|im_end|>\\n' }}{%- endfor %}{%- if add_generation_prompt %}"
    "{{- '<|im_start|>assistant\\n' }}{%- if enable_thinking is defined and "
    "enable_thinking is false %}{{- '<think>\\n\\n</think>\\n\\n' }}{%- endif "
    "%}{%- endif %}";

std::unique_ptr<ChatFormat> make(const std::string &name,
                                 const std::string &tmpl, ChatOptions options,
                                 std::string &err) {
  ChatModelInfo info;
  info.chatTemplate = tmpl;
  return ChatFormat::create(name, info, options, err);
}

/// Feeds pieces (special when the flag is set) and collects the split.
lmc::rt::chat::ReplyDelta feed(ReplyStream &reply,
                               const std::vector<std::pair<std::string, bool>> &pieces) {
  lmc::rt::chat::ReplyDelta all;
  for (const auto &p : pieces) {
    lmc::rt::chat::ReplyDelta d = reply.push(p.first, p.second);
    all.reasoning += d.reasoning;
    all.answer += d.answer;
  }
  lmc::rt::chat::ReplyDelta d = reply.finish();
  all.reasoning += d.reasoning;
  all.answer += d.answer;
  return all;
}
} // namespace

TEST(ChatFormat, JinjaRendersTheModelsTemplateWithTheOptions) {
  std::string err, text;
  ChatOptions noThink;
  noThink.enableThinking = false;
  auto format = make("jinja", kThinkingTemplate, noThink, err);
  ASSERT_TRUE(format) << err;
  std::vector<ChatMessage> messages = {{"user", "Hi /no_think", ""}};
  ASSERT_TRUE(format->render(messages, true, text, err)) << err;
  EXPECT_EQ(text, "<|im_start|>user\nHi /no_think<|im_end|>\n"
                  "<|im_start|>assistant\n<think>\n\n</think>\n\n");
  auto defaults = make("jinja", kThinkingTemplate, ChatOptions(), err);
  EXPECT_EQ(defaults->render(messages, true),
            "<|im_start|>user\nHi /no_think<|im_end|>\n<|im_start|>assistant\n");
  EXPECT_EQ(format->stopTokens(), std::vector<std::string>{"<|im_end|>"});
  EXPECT_FALSE(format->prependsBos());
  EXPECT_TRUE(format->warnings().empty());
}

TEST(ChatFormat, JinjaSplitsThinkingFromTheAnswer) {
  std::string err;
  auto format = make("jinja", kThinkingTemplate, ChatOptions(), err);
  ASSERT_TRUE(format) << err;
  auto reply = format->startReply("<|im_start|>assistant\n");
  auto split = feed(*reply, {{"<think>\nLet", false}, {" me see.</th", false},
                             {"ink>\n\nIt is 4.", false}});
  EXPECT_EQ(split.reasoning, "Let me see.");
  EXPECT_EQ(split.answer, "It is 4.");
  // The history keeps the reply whole: the template decides what shows.
  EXPECT_EQ(reply->message().content,
            "<think>\nLet me see.</think>\n\nIt is 4.");
}

TEST(ChatFormat, JinjaRefusesWhatItCannotRender) {
  std::string err;
  EXPECT_FALSE(make("jinja", "", ChatOptions(), err));
  EXPECT_NE(err.find("has no chat template"), std::string::npos);
  EXPECT_FALSE(make("jinja", "{% for %}", ChatOptions(), err));
  EXPECT_EQ(err.rfind("the model's chat template: 1:", 0), 0u) << err;
  auto raising = make("jinja", "{{ raise_exception('no system role') }}",
                      ChatOptions(), err);
  ASSERT_TRUE(raising) << err;
  std::string text;
  EXPECT_FALSE(raising->render({{"user", "x", ""}}, true, text, err));
  EXPECT_NE(err.find("no system role"), std::string::npos);
  ChatOptions effort;
  effort.reasoningEffort = "low";
  auto ignoring = make("jinja", kThinkingTemplate, effort, err);
  ASSERT_EQ(ignoring->warnings().size(), 1u);
  effort.reasoningEffort = "extreme";
  EXPECT_FALSE(make("jinja", kThinkingTemplate, effort, err));
}

TEST(ChatFormat, HarmonyRendersAndParsesChannels) {
  std::string err, text;
  ChatOptions low;
  low.reasoningEffort = "low";
  auto format = make("harmony", "", low, err);
  ASSERT_TRUE(format) << err;
  std::vector<ChatMessage> messages = {{"system", "Be brief.", ""},
                                       {"user", "2+2?", ""}};
  ASSERT_TRUE(format->render(messages, true, text, err)) << err;
  EXPECT_NE(text.find("\nReasoning: low\n"), std::string::npos) << text;
  EXPECT_NE(text.find("<|start|>developer<|message|># Instructions\n\nBe brief."),
            std::string::npos);
  const std::string tail = "<|start|>user<|message|>2+2?<|end|><|start|>assistant";
  ASSERT_GE(text.size(), tail.size());
  EXPECT_EQ(text.substr(text.size() - tail.size()), tail);
  EXPECT_EQ(format->stopTokens(),
            (std::vector<std::string>{"<|return|>", "<|call|>"}));
  EXPECT_EQ(format->continueTokens(), std::vector<std::string>{"<|end|>"});

  auto reply = format->startReply(text);
  auto split = feed(*reply, {{"<|channel|>", true}, {"analysis", false},
                             {"<|message|>", true}, {"Add them.", false},
                             {"<|end|>", true}, {"<|start|>", true},
                             {"assistant", false}, {"<|channel|>", true},
                             {"final", false}, {"<|message|>", true},
                             {"4", false}, {" (<|end|> as text)", false}});
  EXPECT_EQ(split.reasoning, "Add them.");
  EXPECT_EQ(split.answer, "4 (<|end|> as text)");
  ChatMessage m = reply->message();
  EXPECT_EQ(m.reasoning, "Add them.");
  EXPECT_EQ(m.content, "4 (<|end|> as text)");
  // The next turn drops the analysis, as GPT-OSS's template does.
  messages.push_back(m);
  messages.push_back({"user", "3+3?", ""});
  ASSERT_TRUE(format->render(messages, true, text, err)) << err;
  EXPECT_EQ(text.find("Add them."), std::string::npos);
  EXPECT_NE(text.find("<|channel|>final<|message|>4 (<|end|> as text)<|end|>"),
            std::string::npos);

  ChatOptions noThink;
  noThink.enableThinking = false;
  EXPECT_FALSE(make("harmony", "", noThink, err));
  EXPECT_NE(err.find("always reasons"), std::string::npos);
}
