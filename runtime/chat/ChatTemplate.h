//===- ChatTemplate.h - A model's Jinja chat template -----------*- C++ -*-===//
//
// Parses a chat template once and renders conversations with it, byte for
// byte as @huggingface/jinja (what Hugging Face's JavaScript libraries use)
// renders them with trim_blocks and lstrip_blocks. The context's top-level
// keys become the template's variables: messages, tools,
// add_generation_prompt, bos_token, eos_token, enable_thinking,
// reasoning_effort, ... (whatever the template reads).
//
// The language is the subset chat templates use (Builtins.h, Parser.h);
// anything else, and every runtime error (including the template's own
// raise_exception), is a one-line "LINE:COLUMN: message". Nothing throws.
//
//===----------------------------------------------------------------------===//
#ifndef LMC_RUNTIME_CHAT_CHATTEMPLATE_H
#define LMC_RUNTIME_CHAT_CHATTEMPLATE_H

#include "runtime/chat/AST.h"
#include "runtime/chat/Builtins.h"
#include "runtime/chat/Interpreter.h"

#include <nlohmann/json.hpp>

#include <memory>
#include <string>

namespace lmc::rt::chat {

class ChatTemplate {
public:
  /// Null with "LINE:COLUMN: message" in err when source is not a template
  /// this engine can render.
  static std::unique_ptr<ChatTemplate> parse(const std::string &source,
                                             std::string &err);

  /// Renders with context (a JSON object) as the variables; strftime_now
  /// reads clock (local time when empty). False with a one-line err.
  bool render(const nlohmann::ordered_json &context, std::string &out,
              std::string &err, const Clock &clock = Clock(),
              EvaluationLimits limits = EvaluationLimits()) const;

  const std::string &source() const { return source_; }

private:
  ChatTemplate() = default;
  std::string source_;
  NodeList program_;
};

/// The local time now (the default clock of render).
std::tm localTimeNow();

} // namespace lmc::rt::chat

#endif // LMC_RUNTIME_CHAT_CHATTEMPLATE_H
