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
