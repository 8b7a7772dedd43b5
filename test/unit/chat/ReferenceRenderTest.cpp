//===- ReferenceRenderTest.cpp - Renders equal @huggingface/jinja's -------===//
//
// Every conversation of test/data/chat_conversations.json, rendered by lmc's
// engine with the model's real template (Qwen3, DeepSeek-V3, GPT-OSS) or an
// inline template (the language tests), must give exactly the bytes
// @huggingface/jinja 0.5.11 gave, or fail where it failed.
//
//===----------------------------------------------------------------------===//
#include "runtime/chat/ChatTemplate.h"
#include "test/unit/chat/ReferenceData.h"

#include <gtest/gtest.h>

using namespace lmc::rt::chat;
using namespace lmc::test;

namespace {

/// Where two renders first differ, with some context, for the failure log.
std::string firstDifference(const std::string &got, const std::string &want) {
  size_t i = 0;
  while (i < got.size() && i < want.size() && got[i] == want[i])
    ++i;
  size_t from = i > 40 ? i - 40 : 0;
  return "first difference at byte " + std::to_string(i) + ":\n  lmc:       " +
         nlohmann::json(got.substr(from, 100)).dump() + "\n  reference: " +
         nlohmann::json(want.substr(from, 100)).dump();
}

struct Tally {
  size_t rendered = 0, failed = 0;
};

/// Checks one reference result; source is the template it used.
void checkResult(const ChatTemplate &tmpl, const nlohmann::ordered_json &r,
                 Tally &tally) {
  SCOPED_TRACE(r["name"].get<std::string>());
  std::string out, err;
  bool ok = tmpl.render(r["context"], out, err, chatReference().clock);
  if (r.contains("error")) {
    std::string refError = r["error"].get<std::string>();
    EXPECT_FALSE(ok) << "the reference fails (" << refError
                     << ") but lmc rendered:\n" << out;
    // A template's own raise_exception message must come through.
    if (!ok && tmpl.source().find(refError.substr(0, 40)) != std::string::npos)
      EXPECT_NE(err.find(refError), std::string::npos) << err;
    if (!ok)
      EXPECT_EQ(err.find('\n'), std::string::npos) << "not one line: " << err;
    ++tally.failed;
    return;
  }
  ASSERT_TRUE(ok) << err;
  std::string want = r["text"].get<std::string>();
  EXPECT_TRUE(out == want) << firstDifference(out, want);
  ++tally.rendered;
}

Tally checkFamily(const std::string &family) {
  Tally tally;
  const ChatReference &ref = chatReference();
  if (!ref.problem.empty()) {
    ADD_FAILURE() << ref.problem;
    return tally;
  }
  std::string why;
  const std::string *source = ref.templateSource(family, why);
  if (!source)
    return tally;
  std::string err;
  std::unique_ptr<ChatTemplate> tmpl = ChatTemplate::parse(*source, err);
  if (!tmpl) {
    ADD_FAILURE() << family << ": " << err;
    return tally;
  }
  for (const auto &r : ref.json["results"])
    if (r.value("template", "") == family)
      checkResult(*tmpl, r, tally);
  return tally;
}

bool skipWithoutTemplate(const std::string &family) {
  std::string why;
  return chatReference().problem.empty() &&
         !chatReference().templateSource(family, why);
}

} // namespace

TEST(ReferenceRender, Qwen3) {
  Tally t = checkFamily("qwen3");
  EXPECT_GE(t.rendered, 20u);
}

TEST(ReferenceRender, DeepSeekV3) {
  Tally t = checkFamily("deepseek_v3");
  EXPECT_GE(t.rendered, 20u);
}

TEST(ReferenceRender, GptOss) {
  if (skipWithoutTemplate("gpt_oss")) {
    std::string why;
    chatReference().templateSource("gpt_oss", why);
    GTEST_SKIP() << why;
  }
  Tally t = checkFamily("gpt_oss");
  EXPECT_GE(t.rendered, 20u);
  EXPECT_GE(t.failed, 3u);
}

TEST(ReferenceRender, LanguageFeatures) {
  const ChatReference &ref = chatReference();
  ASSERT_TRUE(ref.problem.empty()) << ref.problem;
  Tally tally;
  for (const auto &r : ref.json["results"]) {
    if (!r.contains("source"))
      continue;
    std::string err;
    std::unique_ptr<ChatTemplate> tmpl =
        ChatTemplate::parse(r["source"].get<std::string>(), err);
    if (!tmpl) {
      // A parse failure is right only where the reference failed too.
      EXPECT_TRUE(r.contains("error"))
          << r["name"].get<std::string>() << ": " << err;
      ++tally.failed;
      continue;
    }
    checkResult(*tmpl, r, tally);
  }
  EXPECT_GE(tally.rendered, 30u);
  EXPECT_GE(tally.failed, 10u);
}
