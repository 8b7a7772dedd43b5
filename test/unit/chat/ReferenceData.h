//===- ReferenceData.h - The reference renders of the chat tests -*- C++ -*-===//
//
// chat_ref.json, written at build time by test/reference/render_ref.mjs:
// each conversation of test/data/chat_conversations.json with the context it
// was rendered with and @huggingface/jinja's text (or error).
//
//===----------------------------------------------------------------------===//
#ifndef LMC_TEST_UNIT_CHAT_REFERENCEDATA_H
#define LMC_TEST_UNIT_CHAT_REFERENCEDATA_H

#include "runtime/chat/Builtins.h"

#include <nlohmann/json.hpp>

#include <string>

namespace lmc::test {

struct ChatReference {
  nlohmann::ordered_json json;
  /// Empty when the file could be read.
  std::string problem;
  /// The fixed time the reference rendered strftime_now with, as UTC.
  rt::chat::Clock clock;

  /// The source of a named template, or null with the reason in why.
  const std::string *templateSource(const std::string &name,
                                    std::string &why) const;
};

/// Loaded once per process.
const ChatReference &chatReference();

} // namespace lmc::test

#endif // LMC_TEST_UNIT_CHAT_REFERENCEDATA_H
