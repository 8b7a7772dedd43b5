//===- ChatFormat.h - Rendering a conversation for the model ----*- C++ -*-===//
//
// A chat format turns messages into the text the model was trained on, and
// splits the model's reply into reasoning and answer. The chat loop renders
// the whole conversation each turn and feeds the model only what its KV
// cache does not hold yet, so a format only has to say how a conversation
// looks, not how to extend one.
//
// Formats (the manifest's chat.format):
//   "chatml"   Qwen's ChatML, built in; the reply is shown as it comes.
//   "jinja"    the model's own chat template (runtime/chat), rendered as
//              Hugging Face does; <think>...</think> reasoning is split off
//              when the template knows those tags.
//   "harmony"  GPT-OSS's harmony format, written natively; the reply's
//              channels are parsed (analysis = reasoning, final = answer).
//
//===----------------------------------------------------------------------===//
#ifndef LMC_RUNTIME_CLI_CHATFORMAT_H
#define LMC_RUNTIME_CLI_CHATFORMAT_H

#include "runtime/chat/ThinkTagParser.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lmc::rt::cli {

struct ChatMessage {
  /// "system", "user" or "assistant".
  std::string role;
  std::string content;
  /// The assistant's reasoning, where the format keeps it apart (harmony's
  /// analysis channel); empty otherwise.
  std::string reasoning;
};

/// The chat options of the command line.
struct ChatOptions {
  /// --think / --no-think: the template's enable_thinking (unset: the
  /// template's default).
  std::optional<bool> enableThinking;
  /// --reasoning-effort low|medium|high; empty: the format's default.
  std::string reasoningEffort;
};

/// What a format needs to know of the model.
struct ChatModelInfo {
  /// The Jinja source (TokenizerSpec::chatTemplate).
  std::string chatTemplate;
  /// Texts of the BOS and EOS tokens, for templates that write them.
  std::string bosToken, eosToken;
};

/// Splits one reply, streamed token by token, into reasoning and answer.
class ReplyStream {
public:
  virtual ~ReplyStream();
  /// The next piece of the reply: a token's text (complete UTF-8), special
  /// when it is the text of a special (control) token.
  virtual chat::ReplyDelta push(const std::string &piece, bool special) = 0;
  /// The reply ended (or was cut off).
  virtual chat::ReplyDelta finish() = 0;
  /// The reply as the assistant message the history keeps.
  virtual ChatMessage message() const = 0;
};

class ChatFormat {
public:
  /// The format the manifest names, with no template and default options
  /// (enough for "chatml").
  static std::unique_ptr<ChatFormat> create(const std::string &name,
                                            std::string &err);
  /// Null with a one-line reason for none, an unknown one, a template that
  /// cannot be used, or options the format cannot take.
  static std::unique_ptr<ChatFormat> create(const std::string &name,
                                            const ChatModelInfo &model,
                                            const ChatOptions &options,
                                            std::string &err);
  virtual ~ChatFormat();

  /// The conversation as text; with addGenerationPrompt it ends with the
  /// opening of the assistant's next reply. Special tokens appear as their
  /// text (tokenize with special parsing). False with a one-line err when
  /// the template refuses the conversation.
  virtual bool render(const std::vector<ChatMessage> &messages,
                      bool addGenerationPrompt, std::string &text,
                      std::string &err) const = 0;
  /// render() for formats that cannot fail (ChatML); "" on failure.
  std::string render(const std::vector<ChatMessage> &messages,
                     bool addGenerationPrompt) const;

  /// The text of the token that ends a turn ("<|im_end|>").
  virtual std::string endOfTurn() const = 0;
  /// Every token text that ends a reply (besides the model's EOS ids).
  virtual std::vector<std::string> stopTokens() const { return {endOfTurn()}; }
  /// EOS ids that must not end a reply (harmony's <|end|> ends a message,
  /// not the turn).
  virtual std::vector<std::string> continueTokens() const { return {}; }
  /// Whether the runtime adds BOS before the conversation (when the model
  /// wants one); templates that write bos_token themselves say no.
  virtual bool prependsBos() const { return true; }
  /// Warnings about options the model's format ignores (one line each).
  virtual std::vector<std::string> warnings() const { return {}; }

  /// A parser for the reply to prompt (the rendered text it continues).
  virtual std::unique_ptr<ReplyStream> startReply(const std::string &prompt) const;
};

/// ChatML as Qwen uses it:
///   <|im_start|>ROLE\nCONTENT<|im_end|>\n ... <|im_start|>assistant\n
class ChatMLFormat : public ChatFormat {
public:
  using ChatFormat::render;
  bool render(const std::vector<ChatMessage> &messages,
              bool addGenerationPrompt, std::string &text,
              std::string &err) const override;
  std::string endOfTurn() const override { return "<|im_end|>"; }
};

} // namespace lmc::rt::cli

#endif // LMC_RUNTIME_CLI_CHATFORMAT_H
