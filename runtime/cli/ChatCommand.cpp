//===- ChatCommand.cpp - `OUT chat`: an interactive conversation ----------===//
//
// One user message per stdin line; the reply streams to stdout, followed by
// a newline. The conversation stays in the sequence's KV cache: each turn
// renders the whole conversation and evaluates only the text the cache does
// not hold yet (everything, from position 0, if the rendering ever stops
// extending what was fed). A reply ends at an end-of-sequence id or the
// format's end-of-turn token (neither is printed), or after -n tokens.
//
//===----------------------------------------------------------------------===//
#include "runtime/cli/ChatFormat.h"
#include "runtime/cli/Commands.h"
#include "runtime/core/Model.h"
#include "runtime/core/Sampler.h"
#include "runtime/core/Sequence.h"
#include "runtime/tokenizer/Tokenizer.h"

#include <cstdio>
#include <iostream>
#include <optional>
#include <unistd.h>

using namespace lmc::rt;
using namespace lmc::rt::cli;

namespace {
void writeOut(const std::string &s) {
  if (!s.empty())
    std::fwrite(s.data(), 1, s.size(), stdout);
  std::fflush(stdout);
}
} // namespace

int lmc::rt::cli::runChat(Model &model, const Options &options) {
  const Manifest &manifest = model.manifest();
  std::string err;
  const Tokenizer *tokenizer = model.tokenizer(err);
  if (!tokenizer)
    return reportError(kExitFailure, err);
  std::unique_ptr<ChatFormat> format =
      ChatFormat::create(manifest.chatFormat, err);
  if (!format)
    return reportError(kExitFailure, err);
  std::optional<int32_t> endOfTurn = tokenizer->findToken(format->endOfTurn());

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
  int32_t vocab = manifest.vocabSize;
  bool interactive = ::isatty(STDIN_FILENO);

  std::vector<ChatMessage> messages;
  // The text whose tokens the cache holds.
  std::string fed;
  std::vector<float> logits;
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

    messages.push_back({"user", line});
    std::string text = format->render(messages, true);
    std::vector<int32_t> ids;
    if (text.compare(0, fed.size(), fed) != 0) {
      seq->rewind(0, err);
      fed.clear();
    }
    if (seq->pos() == 0 && manifest.tokens.addBos)
      ids.push_back(manifest.tokens.bos);
    std::vector<int32_t> more = tokenizer->encode(text.substr(fed.size()), true);
    ids.insert(ids.end(), more.begin(), more.end());
    if (int64_t(ids.size()) + 1 > seq->room())
      return reportError(kExitFailure,
                         "the conversation no longer fits in the context of " +
                             std::to_string(seq->capacity()) +
                             " tokens (--ctx)");
    if (!evaluatePrompt(*seq, ids, logits, nullptr, exitCode))
      return exitCode;
    fed = text;

    StreamDecoder decoder(*tokenizer);
    std::string reply;
    for (int64_t n = 0; !options.nSet || n < options.nPredict; ++n) {
      int32_t token = sampler.sample(logits.data(), vocab);
      if (manifest.isEos(token) || (endOfTurn && token == *endOfTurn))
        break;
      // Every reply token goes into the cache before the next is drawn.
      if (seq->room() < 1) {
        writeOut(decoder.flush() + "\n");
        return reportError(kExitFailure, "the context of " +
                                             std::to_string(seq->capacity()) +
                                             " tokens is full (--ctx)");
      }
      writeOut(decoder.push(token));
      reply += tokenizer->tokenBytes(token);
      if (seq->eval(&token, 1, 1, logits.data(), err) != EvalStatus::Ok)
        return reportError(kExitFailure, err);
    }
    writeOut(decoder.flush() + "\n");
    fed += reply;
    messages.push_back({"assistant", reply});
  }
  return kExitOk;
}
