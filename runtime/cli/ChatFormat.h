//===- ChatFormat.h - Rendering a conversation for the model ----*- C++ -*-===//
//
// A chat format turns messages into the text the model was trained on. The
// chat loop renders the whole conversation each turn and feeds the model only
// what its KV cache does not hold yet, so a format only has to say how a
// conversation looks, not how to extend one. (A later Jinja implementation
// of this interface renders the model's own template.)
//
//===----------------------------------------------------------------------===//
#ifndef LMC_RUNTIME_CLI_CHATFORMAT_H
#define LMC_RUNTIME_CLI_CHATFORMAT_H

#include <memory>
#include <string>
#include <vector>

namespace lmc::rt::cli {

struct ChatMessage {
  /// "system", "user" or "assistant".
  std::string role;
  std::string content;
};

class ChatFormat {
public:
  /// The format the manifest names ("chatml"). Null with a one-line reason
  /// for none or an unknown one.
  static std::unique_ptr<ChatFormat> create(const std::string &name,
                                            std::string &err);
  virtual ~ChatFormat();

  /// The conversation as text; with addGenerationPrompt it ends with the
  /// opening of the assistant's next reply. Special tokens appear as their
  /// text (tokenize with special parsing).
  virtual std::string render(const std::vector<ChatMessage> &messages,
                             bool addGenerationPrompt) const = 0;

  /// The text of the token that ends a turn ("<|im_end|>"): a reply stops
  /// there too.
  virtual std::string endOfTurn() const = 0;
};

/// ChatML as Qwen uses it:
///   <|im_start|>ROLE\nCONTENT<|im_end|>\n ... <|im_start|>assistant\n
class ChatMLFormat : public ChatFormat {
public:
  std::string render(const std::vector<ChatMessage> &messages,
                     bool addGenerationPrompt) const override;
  std::string endOfTurn() const override { return "<|im_end|>"; }
};

} // namespace lmc::rt::cli

#endif // LMC_RUNTIME_CLI_CHATFORMAT_H
