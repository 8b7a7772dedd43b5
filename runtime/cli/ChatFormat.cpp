//===- ChatFormat.cpp - Built-in chat formats -----------------------------===//
#include "runtime/cli/ChatFormat.h"

using namespace lmc::rt::cli;

ChatFormat::~ChatFormat() = default;

std::unique_ptr<ChatFormat> ChatFormat::create(const std::string &name,
                                               std::string &err) {
  if (name == "chatml")
    return std::make_unique<ChatMLFormat>();
  err = name.empty() ? "the model has no chat format"
                     : "chat format '" + name + "' is not supported";
  return nullptr;
}

std::string ChatMLFormat::render(const std::vector<ChatMessage> &messages,
                                 bool addGenerationPrompt) const {
  std::string text;
  for (const ChatMessage &m : messages)
    text += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
  if (addGenerationPrompt)
    text += "<|im_start|>assistant\n";
  return text;
}
