//===- ChatFormat.cpp - The chat formats of `OUT chat` --------------------===//
#include "runtime/cli/ChatFormat.h"
#include "runtime/chat/ChatTemplate.h"
#include "runtime/chat/HarmonyParser.h"
#include "runtime/chat/HarmonyRenderer.h"

#include <ctime>

using namespace lmc::rt;
using namespace lmc::rt::cli;
using nlohmann::ordered_json;

ReplyStream::~ReplyStream() = default;
ChatFormat::~ChatFormat() = default;

namespace {

/// The reply as it comes: all answer.
class PlainReply : public ReplyStream {
public:
  chat::ReplyDelta push(const std::string &piece, bool) override {
    text_ += piece;
    return {"", piece};
  }
  chat::ReplyDelta finish() override { return {}; }
  ChatMessage message() const override { return {"assistant", text_, ""}; }

private:
  std::string text_;
};

/// <think>reasoning</think>answer. The history keeps the reply whole: the
/// template decides what of it an earlier turn shows (Qwen3 drops the
/// reasoning), as Hugging Face's templates do with a returned message.
class ThinkTagReply : public ReplyStream {
public:
  explicit ThinkTagReply(bool startsInReasoning) : parser_(startsInReasoning) {}
  chat::ReplyDelta push(const std::string &piece, bool) override {
    text_ += piece;
    return parser_.push(piece);
  }
  chat::ReplyDelta finish() override { return parser_.finish(); }
  ChatMessage message() const override { return {"assistant", text_, ""}; }

private:
  chat::ThinkTagParser parser_;
  std::string text_;
};

/// Harmony channels: analysis is reasoning, final (and commentary without
/// a recipient: preambles) the answer; a tool call is shown as reasoning.
class HarmonyReply : public ReplyStream {
public:
  HarmonyReply() : parser_(/*markersInText=*/false) {}
  chat::ReplyDelta push(const std::string &piece, bool special) override {
    std::vector<chat::HarmonyDelta> deltas;
    std::optional<chat::HarmonyMarker> marker =
        special ? chat::HarmonyParser::markerFor(piece) : std::nullopt;
    if (marker)
      deltas = parser_.pushMarker(*marker);
    else
      deltas = parser_.pushText(piece);
    return route(deltas);
  }
  chat::ReplyDelta finish() override { return route(parser_.finish()); }
  ChatMessage message() const override {
    return {"assistant", parser_.channelText("final") +
                             parser_.channelText("commentary"),
            parser_.channelText("analysis")};
  }

private:
  chat::ReplyDelta route(const std::vector<chat::HarmonyDelta> &deltas) {
    chat::ReplyDelta d;
    for (const chat::HarmonyDelta &h : deltas) {
      if (!h.recipient.empty()) {
        if (h.recipient != lastRecipient_)
          d.reasoning += "\n[call " + h.recipient + "] ";
        lastRecipient_ = h.recipient;
        d.reasoning += h.text;
      } else if (h.channel == "analysis") {
        d.reasoning += h.text;
      } else {
        d.answer += h.text;
      }
    }
    return d;
  }
  chat::HarmonyParser parser_;
  std::string lastRecipient_;
};

std::string validateEffort(const ChatOptions &options, std::string &err) {
  const std::string &e = options.reasoningEffort;
  if (!e.empty() && e != "low" && e != "medium" && e != "high")
    err = "--reasoning-effort: '" + e + "' is not low, medium or high";
  return e;
}

/// The model's own Jinja template.
class JinjaFormat : public ChatFormat {
public:
  JinjaFormat(std::unique_ptr<chat::ChatTemplate> tmpl, ChatModelInfo model,
              ChatOptions options)
      : tmpl_(std::move(tmpl)), model_(std::move(model)),
        options_(std::move(options)) {
    const std::string &src = tmpl_->source();
    // The end-of-turn tokens of the families lmc knows, where the template
    // writes them; the model's EOS ids stop a reply in any case.
    for (const char *t : {"<|im_end|>", "<|eot_id|>", "<|end_of_turn|>",
                          "<end_of_turn>", "<｜end▁of▁sentence｜>"})
      if (src.find(t) != std::string::npos)
        stops_.push_back(t);
    thinkTags_ = src.find("</think>") != std::string::npos;
  }

  using ChatFormat::render;
  bool render(const std::vector<ChatMessage> &messages,
              bool addGenerationPrompt, std::string &text,
              std::string &err) const override {
    ordered_json context = ordered_json::object();
    ordered_json list = ordered_json::array();
    for (const ChatMessage &m : messages) {
      ordered_json j = {{"role", m.role}, {"content", m.content}};
      if (!m.reasoning.empty())
        j["reasoning_content"] = m.reasoning;
      list.push_back(std::move(j));
    }
    context["messages"] = std::move(list);
    context["add_generation_prompt"] = addGenerationPrompt;
    if (!model_.bosToken.empty())
      context["bos_token"] = model_.bosToken;
    if (!model_.eosToken.empty())
      context["eos_token"] = model_.eosToken;
    if (options_.enableThinking)
      context["enable_thinking"] = *options_.enableThinking;
    if (!options_.reasoningEffort.empty())
      context["reasoning_effort"] = options_.reasoningEffort;
    return tmpl_->render(context, text, err);
  }

  std::string endOfTurn() const override {
    return stops_.empty() ? "" : stops_.front();
  }
  std::vector<std::string> stopTokens() const override { return stops_; }
  // Hugging Face tokenizes a rendered template without adding BOS: the
  // template writes bos_token where the model wants it.
  bool prependsBos() const override { return false; }

  std::vector<std::string> warnings() const override {
    std::vector<std::string> w;
    const std::string &src = tmpl_->source();
    if (options_.enableThinking &&
        src.find("enable_thinking") == std::string::npos)
      w.push_back(std::string(*options_.enableThinking ? "--think" : "--no-think") +
                  ": this model's chat template has no thinking switch "
                  "(enable_thinking)");
    if (!options_.reasoningEffort.empty() &&
        src.find("reasoning_effort") == std::string::npos)
      w.push_back("--reasoning-effort: this model's chat template does not "
                  "read reasoning_effort");
    return w;
  }

  std::unique_ptr<ReplyStream> startReply(const std::string &prompt) const override {
    if (!thinkTags_)
      return std::make_unique<PlainReply>();
    // A template may open the block itself ("<|im_start|>assistant\n<think>\n").
    size_t end = prompt.find_last_not_of(" \n\t\r");
    std::string tail = end == std::string::npos ? "" : prompt.substr(0, end + 1);
    bool opened = tail.size() >= 7 && tail.compare(tail.size() - 7, 7, "<think>") == 0;
    return std::make_unique<ThinkTagReply>(opened);
  }

private:
  std::unique_ptr<chat::ChatTemplate> tmpl_;
  ChatModelInfo model_;
  ChatOptions options_;
  std::vector<std::string> stops_;
  bool thinkTags_ = false;
};

/// GPT-OSS's harmony, written natively.
class HarmonyFormat : public ChatFormat {
public:
  explicit HarmonyFormat(ChatOptions options) : options_(std::move(options)) {}

  using ChatFormat::render;
  bool render(const std::vector<ChatMessage> &messages,
              bool addGenerationPrompt, std::string &text,
              std::string &err) const override {
    ordered_json list = ordered_json::array();
    for (const ChatMessage &m : messages) {
      ordered_json j = {{"role", m.role}, {"content", m.content}};
      if (!m.reasoning.empty())
        j["thinking"] = m.reasoning;
      list.push_back(std::move(j));
    }
    ordered_json context = {{"messages", std::move(list)},
                            {"add_generation_prompt", addGenerationPrompt}};
    if (!options_.reasoningEffort.empty())
      context["reasoning_effort"] = options_.reasoningEffort;
    std::tm now = chat::localTimeNow();
    char date[16];
    std::strftime(date, sizeof date, "%Y-%m-%d", &now);
    return chat::renderHarmony(context, date, text, err);
  }

  std::string endOfTurn() const override { return "<|return|>"; }
  std::vector<std::string> stopTokens() const override {
    return {"<|return|>", "<|call|>"};
  }
  std::vector<std::string> continueTokens() const override { return {"<|end|>"}; }
  bool prependsBos() const override { return false; }
  std::unique_ptr<ReplyStream> startReply(const std::string &) const override {
    return std::make_unique<HarmonyReply>();
  }

private:
  ChatOptions options_;
};

} // namespace

std::string ChatFormat::render(const std::vector<ChatMessage> &messages,
                               bool addGenerationPrompt) const {
  std::string text, err;
  return render(messages, addGenerationPrompt, text, err) ? text : "";
}

std::unique_ptr<ReplyStream> ChatFormat::startReply(const std::string &) const {
  return std::make_unique<PlainReply>();
}

std::unique_ptr<ChatFormat> ChatFormat::create(const std::string &name,
                                               std::string &err) {
  return create(name, ChatModelInfo(), ChatOptions(), err);
}

std::unique_ptr<ChatFormat> ChatFormat::create(const std::string &name,
                                               const ChatModelInfo &model,
                                               const ChatOptions &options,
                                               std::string &err) {
  std::string effortErr;
  validateEffort(options, effortErr);
  if (!effortErr.empty()) {
    err = effortErr;
    return nullptr;
  }
  if (name == "chatml")
    return std::make_unique<ChatMLFormat>();
  if (name == "jinja") {
    if (model.chatTemplate.empty()) {
      err = "the model's chat format is 'jinja' but it has no chat template";
      return nullptr;
    }
    std::string parseErr;
    std::unique_ptr<chat::ChatTemplate> tmpl =
        chat::ChatTemplate::parse(model.chatTemplate, parseErr);
    if (!tmpl) {
      err = "the model's chat template: " + parseErr;
      return nullptr;
    }
    return std::make_unique<JinjaFormat>(std::move(tmpl), model, options);
  }
  if (name == "harmony") {
    if (options.enableThinking && !*options.enableThinking) {
      err = "--no-think: GPT-OSS (harmony) always reasons; use "
            "--reasoning-effort low";
      return nullptr;
    }
    return std::make_unique<HarmonyFormat>(options);
  }
  err = name.empty() ? "the model has no chat format"
                     : "chat format '" + name + "' is not supported";
  return nullptr;
}

bool ChatMLFormat::render(const std::vector<ChatMessage> &messages,
                          bool addGenerationPrompt, std::string &text,
                          std::string &) const {
  text.clear();
  for (const ChatMessage &m : messages)
    text += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
  if (addGenerationPrompt)
    text += "<|im_start|>assistant\n";
  return true;
}
