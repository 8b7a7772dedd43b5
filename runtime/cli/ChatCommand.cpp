//===- ChatCommand.cpp - `OUT chat`: an interactive conversation ----------===//
//
// One user message per stdin line; the answer streams to stdout, the
// reasoning (Qwen3's <think> block, harmony's analysis channel) to stderr,
// each reply followed by a newline. The conversation stays in the
// sequence's KV cache: each turn renders the whole conversation and
// evaluates only the text the cache does not hold yet. Where a rendering
// stops extending what was fed (templates rewrite history: Qwen3 drops old
// reasoning, harmony its analysis), the cache is rewound to the last token
// boundary before the first changed byte and evaluation resumes there. A
// reply ends at an end-of-sequence id or one of the format's stop tokens
// (neither is printed), or after -n tokens.
//
//===----------------------------------------------------------------------===//
#include "runtime/cli/ChatFormat.h"
#include "runtime/cli/Commands.h"
#include "runtime/core/Model.h"
#include "runtime/core/Sampler.h"
#include "runtime/core/Sequence.h"
#include "runtime/tokenizer/Tokenizer.h"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <set>
#include <unistd.h>

using namespace lmc::rt;
using namespace lmc::rt::cli;

namespace {

void writeTo(FILE *f, const std::string &s) {
  if (!s.empty())
    std::fwrite(s.data(), 1, s.size(), f);
  std::fflush(f);
}

/// Reasoning goes to stderr, dimmed on a terminal so it reads apart from
/// the answer.
class ReplyPrinter {
public:
  ReplyPrinter() : dim_(::isatty(STDERR_FILENO)) {}
  void print(const chat::ReplyDelta &d) {
    if (!d.reasoning.empty()) {
      writeTo(stderr, (dim_ ? "\x1b[2m" : "") + d.reasoning +
                          (dim_ ? "\x1b[0m" : ""));
      sawReasoning_ = true;
    }
    writeTo(stdout, d.answer);
  }
  void endReply() {
    if (sawReasoning_)
      writeTo(stderr, "\n");
    writeTo(stdout, "\n");
    sawReasoning_ = false;
  }

private:
  bool dim_;
  bool sawReasoning_ = false;
};

/// What the cache holds: the text fed so far, and the token boundaries in
/// it (text offset, sequence position) the cache can be rewound to.
struct FedText {
  std::string text;
  std::vector<std::pair<size_t, int64_t>> marks{{0, 0}};

  void add(const std::string &piece, int64_t pos) {
    text += piece;
    marks.emplace_back(text.size(), pos);
  }
  /// Drops everything from the first byte where rendered differs; returns
  /// the position to rewind to (or -1 when rendered extends the text).
  int64_t keepCommonPrefix(const std::string &rendered) {
    size_t common = 0;
    size_t n = std::min(text.size(), rendered.size());
    while (common < n && text[common] == rendered[common])
      ++common;
    if (common == text.size())
      return -1;
    while (marks.back().first > common)
      marks.pop_back();
    text.resize(marks.back().first);
    return marks.back().second;
  }
};

} // namespace

int lmc::rt::cli::runChat(Model &model, const Options &options) {
  const Manifest &manifest = model.manifest();
  std::string err;
  const Tokenizer *tokenizer = model.tokenizer(err);
  if (!tokenizer)
    return reportError(kExitFailure, err);
  ChatModelInfo info;
  info.chatTemplate = tokenizer->chatTemplate();
  int32_t vocab = manifest.vocabSize;
  if (manifest.tokens.bos >= 0 && manifest.tokens.bos < tokenizer->vocabSize())
    info.bosToken = tokenizer->tokenText(manifest.tokens.bos);
  if (tokenizer->eotId() >= 0)
    info.eosToken = tokenizer->tokenText(tokenizer->eotId());
  ChatOptions chatOptions;
  chatOptions.enableThinking = options.enableThinking;
  chatOptions.reasoningEffort = options.reasoningEffort;
  std::unique_ptr<ChatFormat> format =
      ChatFormat::create(manifest.chatFormat, info, chatOptions, err);
  if (!format)
    return reportError(kExitFailure, err);
  for (const std::string &w : format->warnings())
    std::fprintf(stderr, "warning: %s\n", w.c_str());

  // A reply stops at the model's EOS ids and the format's stop tokens, but
  // not at tokens the format continues after.
  std::set<int32_t> stops(manifest.tokens.eos.begin(), manifest.tokens.eos.end());
  for (const std::string &t : format->stopTokens())
    if (std::optional<int32_t> id = tokenizer->findToken(t))
      stops.insert(*id);
  for (const std::string &t : format->continueTokens())
    if (std::optional<int32_t> id = tokenizer->findToken(t))
      stops.erase(*id);

  int exitCode = kExitOk;
  if (!prepareToRun(model, options, exitCode))
    return exitCode;
  int64_t ctx = options.ctx > 0 ? options.ctx : model.defaultContext();
  std::unique_ptr<Sequence> seq = openSequence(model, ctx, exitCode);
  if (!seq)
    return exitCode;

  SamplerParams params = options.sampling;
  params.seed = chooseSeed(options);
  Sampler sampler(params);
  bool interactive = ::isatty(STDIN_FILENO);
  bool addBos = format->prependsBos() && manifest.tokens.addBos;

  std::vector<ChatMessage> messages;
  if (options.hasSystem)
    messages.push_back({"system", options.system, ""});
  FedText fed;
  std::vector<float> logits;
  ReplyPrinter printer;
  std::string line;
  for (;;) {
    if (interactive)
      std::fputs("> ", stderr);
    if (!std::getline(std::cin, line))
      break;
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    if (line.empty())
      continue;

    messages.push_back({"user", line, ""});
    std::string text;
    if (!format->render(messages, true, text, err))
      return reportError(kExitFailure, "the chat template: " + err);
    int64_t rewindTo = fed.keepCommonPrefix(text);
    if (rewindTo >= 0 && !seq->rewind(rewindTo, err))
      return reportError(kExitFailure, err);

    std::vector<int32_t> ids;
    if (seq->pos() == 0 && addBos)
      ids.push_back(manifest.tokens.bos);
    std::string suffix = text.substr(fed.text.size());
    std::vector<int32_t> more = tokenizer->encode(suffix, true);
    ids.insert(ids.end(), more.begin(), more.end());
    if (ids.empty())
      return reportError(kExitFailure, "the rendered conversation did not "
                                       "grow: the chat template ignores the "
                                       "new message");
    if (int64_t(ids.size()) + 1 > seq->room())
      return reportError(kExitFailure,
                         "the conversation no longer fits in the context of " +
                             std::to_string(seq->capacity()) +
                             " tokens (--ctx)");
    int64_t start = seq->pos();
    if (!evaluatePrompt(*seq, ids, options.batch, logits, nullptr, exitCode))
      return exitCode;
    // Token boundaries inside the new text, where its tokens spell it out
    // exactly (normalization may change the bytes; then only the end).
    std::string spelled;
    for (int32_t id : more)
      spelled += tokenizer->tokenBytes(id);
    if (spelled == suffix) {
      int64_t pos = start + int64_t(ids.size() - more.size());
      if (pos > start)
        fed.marks.emplace_back(fed.text.size(), pos);
      for (int32_t id : more)
        fed.add(tokenizer->tokenBytes(id), ++pos);
    } else {
      fed.add(suffix, seq->pos());
    }

    StreamDecoder decoder(*tokenizer);
    std::unique_ptr<ReplyStream> reply = format->startReply(text);
    for (int64_t n = 0; !options.nSet || n < options.nPredict; ++n) {
      int32_t token = sampler.sample(logits.data(), vocab);
      if (stops.count(token))
        break;
      // Every reply token goes into the cache before the next is drawn.
      if (seq->room() < 1) {
        printer.print(reply->push(decoder.flush(), false));
        printer.print(reply->finish());
        printer.endReply();
        return reportError(kExitFailure, "the context of " +
                                             std::to_string(seq->capacity()) +
                                             " tokens is full (--ctx)");
      }
      bool special = tokenizer->isControl(token);
      if (special) {
        printer.print(reply->push(decoder.flush(), false));
        printer.print(reply->push(tokenizer->tokenBytes(token), true));
      } else {
        printer.print(reply->push(decoder.push(token), false));
      }
      if (seq->eval(&token, 1, 1, logits.data(), err) != EvalStatus::Ok)
        return reportError(kExitFailure, err);
      fed.add(tokenizer->tokenBytes(token), seq->pos());
    }
    printer.print(reply->push(decoder.flush(), false));
    printer.print(reply->finish());
    printer.endReply();
    messages.push_back(reply->message());
  }
  return kExitOk;
}
