//===- HarmonyRenderTest.cpp - Native harmony equals the GPT-OSS template -===//
//
// renderHarmony must write exactly what GPT-OSS's own chat template renders
// through @huggingface/jinja for every GPT-OSS conversation of
// test/data/chat_conversations.json, and refuse what the template refuses.
//
//===----------------------------------------------------------------------===//
#include "runtime/chat/HarmonyRenderer.h"
#include "test/unit/chat/ReferenceData.h"

#include <gtest/gtest.h>

#include <ctime>

using namespace lmc::rt::chat;
using namespace lmc::test;

namespace {
std::string referenceDate() {
  std::tm t = chatReference().clock();
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &t);
  return buf;
}
} // namespace

TEST(HarmonyRender, EqualsTheGptOssTemplate) {
  const ChatReference &ref = chatReference();
  ASSERT_TRUE(ref.problem.empty()) << ref.problem;
  std::string why;
  if (!ref.templateSource("gpt_oss", why))
    GTEST_SKIP() << why;
  size_t equal = 0, refused = 0, builtin = 0;
  for (const auto &r : ref.json["results"]) {
    if (r.value("template", "") != "gpt_oss")
      continue;
    SCOPED_TRACE(r["name"].get<std::string>());
    std::string out, err;
    bool ok = renderHarmony(r["context"], referenceDate(), out, err);
    if (r["context"].contains("builtin_tools")) {
      EXPECT_FALSE(ok);
      EXPECT_NE(err.find("builtin_tools"), std::string::npos) << err;
      ++builtin;
      continue;
    }
    if (r.contains("error")) {
      ASSERT_FALSE(ok) << out;
      EXPECT_NE(err.find(r["error"].get<std::string>()), std::string::npos)
          << err;
      ++refused;
      continue;
    }
    ASSERT_TRUE(ok) << err;
    EXPECT_EQ(out, r["text"].get<std::string>());
    ++equal;
  }
  EXPECT_GE(equal, 18u);
  EXPECT_EQ(refused, 3u);
  EXPECT_EQ(builtin, 2u);
}

TEST(HarmonyRender, RefusesMalformedInput) {
  std::string out, err;
  EXPECT_FALSE(renderHarmony({{"messages", "hi"}}, "2026-01-01", out, err));
  EXPECT_NE(err.find("messages must be a list"), std::string::npos);
  nlohmann::ordered_json badCall = {
      {"messages",
       {{{"role", "assistant"}, {"tool_calls", nlohmann::ordered_json::array()}}}}};
  EXPECT_FALSE(renderHarmony(badCall, "2026-01-01", out, err));
  EXPECT_NE(err.find("non-empty list"), std::string::npos);
  nlohmann::ordered_json noContent = {{"messages", {{{"role", "user"}}}}};
  EXPECT_FALSE(renderHarmony(noContent, "2026-01-01", out, err));
  EXPECT_EQ(err.rfind("harmony: ", 0), 0u);
}
