//===- GenerateCommand.cpp - `OUT -p TEXT ...`: continue a prompt ---------===//
//
// Output decisions (docs/design/runtime.md):
//  - Text mode prints the prompt (-p: as given; --tokens: decoded), then the
//    generated text streamed token by token without splitting UTF-8
//    characters, then a newline.
//  - --ids prints only the generated ids, space-separated, then a newline.
//  - Generation stops after -n tokens or at an end-of-sequence id of the
//    manifest; that id is neither printed nor counted (llama.cpp does the
//    same with end-of-generation tokens).
//  - Timing goes to stderr.
//
//===----------------------------------------------------------------------===//
#include "runtime/cli/Commands.h"
#include "runtime/core/Model.h"
#include "runtime/core/Sampler.h"
#include "runtime/core/Sequence.h"
#include "runtime/tokenizer/Tokenizer.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>

using namespace lmc::rt;
using namespace lmc::rt::cli;

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "--logits-out writes host floats as little-endian");

namespace {

using Clock = std::chrono::steady_clock;

double millisSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start)
      .count();
}

void writeOut(const std::string &s) {
  if (!s.empty())
    std::fwrite(s.data(), 1, s.size(), stdout);
  std::fflush(stdout);
}

struct FileCloser {
  void operator()(FILE *f) const { std::fclose(f); }
};

} // namespace

int lmc::rt::cli::runGenerate(Model &model, const Options &options) {
  const Manifest &manifest = model.manifest();
  int32_t vocab = manifest.vocabSize;

  // A bad --logits-out path is a command-line error: find it before any work.
  std::unique_ptr<FILE, FileCloser> logitsFile;
  if (!options.logitsOut.empty()) {
    logitsFile.reset(std::fopen(options.logitsOut.c_str(), "wb"));
    if (!logitsFile)
      return reportError(kExitUsage, "--logits-out: cannot write '" +
                                         options.logitsOut +
                                         "': " + std::strerror(errno));
  }

  // The prompt.
  std::vector<int32_t> prompt;
  std::string err;
  const Tokenizer *tokenizer = nullptr;
  if (options.hasPrompt || !options.ids) {
    tokenizer = model.tokenizer(err);
    if (!tokenizer)
      return reportError(kExitFailure, err +
                                           (options.hasPrompt
                                                ? ""
                                                : " (use --tokens with --ids)"));
  }
  if (options.hasTokens) {
    for (int32_t id : options.tokens)
      if (id >= vocab)
        return reportError(kExitUsage, "--tokens: id " + std::to_string(id) +
                                           " is out of range (the vocabulary "
                                           "has " +
                                           std::to_string(vocab) + " tokens)");
    prompt = options.tokens;
  } else {
    if (manifest.tokens.addBos)
      prompt.push_back(manifest.tokens.bos);
    if (options.hasPrompt) {
      std::vector<int32_t> ids = tokenizer->encode(options.prompt, true);
      prompt.insert(prompt.end(), ids.begin(), ids.end());
    }
  }
  if (prompt.empty())
    return reportError(kExitUsage,
                       options.hasPrompt
                           ? "the prompt is empty (it has no tokens)"
                           : "no prompt: give -p TEXT or --tokens ID,...");

  // The context: --ctx, or the default grown (up to the model's context
  // length) to what the prompt and -n need.
  int64_t promptSize = int64_t(prompt.size());
  int64_t want = options.nSet ? options.nPredict : kDefaultPredict;
  int64_t ctx = options.ctx;
  if (ctx <= 0)
    ctx = std::max(model.defaultContext(),
                   std::min<int64_t>(manifest.contextLength, promptSize + want));
  if (promptSize > ctx)
    return reportError(kExitUsage,
                       "the prompt has " + std::to_string(promptSize) +
                           " tokens but the context holds only " +
                           std::to_string(ctx) + " (--ctx)");
  int64_t toGenerate = options.nPredict;
  if (!options.nSet)
    toGenerate = std::min(kDefaultPredict, ctx - promptSize);
  else if (toGenerate > ctx - promptSize)
    return reportError(kExitUsage,
                       "the context of " + std::to_string(ctx) +
                           " tokens (--ctx) is too small for " +
                           std::to_string(promptSize) + " prompt tokens + " +
                           std::to_string(toGenerate) + " generated ones");

  int exitCode = kExitOk;
  if (!prepareToRun(model, options, exitCode))
    return exitCode;
  std::unique_ptr<Sequence> seq = openSequence(model, ctx, exitCode);
  if (!seq)
    return exitCode;

  // Echo the prompt before evaluating it, as text only.
  std::optional<StreamDecoder> decoder;
  if (!options.ids) {
    decoder.emplace(*tokenizer);
    if (options.hasPrompt) {
      writeOut(options.prompt);
    } else if (options.hasTokens) {
      std::string text;
      for (int32_t id : prompt)
        text += decoder->push(id);
      writeOut(text);
    }
  }

  // The prompt, and its logits if asked for.
  LogitsSink sink;
  if (logitsFile)
    sink = [&](const float *rows, int64_t count) {
      size_t n = size_t(count) * size_t(vocab);
      if (std::fwrite(rows, sizeof(float), n, logitsFile.get()) != n) {
        reportError(kExitFailure, "--logits-out: cannot write '" +
                                      options.logitsOut +
                                      "': " + std::strerror(errno));
        return false;
      }
      return true;
    };
  std::vector<float> logits;
  Clock::time_point promptStart = Clock::now();
  if (!evaluatePrompt(*seq, prompt, options.batch, logits, sink, exitCode))
    return exitCode;
  double promptMs = millisSince(promptStart);
  if (logitsFile) {
    FILE *f = logitsFile.release();
    if (std::fclose(f) != 0)
      return reportError(kExitFailure, "--logits-out: cannot write '" +
                                           options.logitsOut +
                                           "': " + std::strerror(errno));
  }

  // Generation.
  SamplerParams params = options.sampling;
  params.seed = chooseSeed(options);
  Sampler sampler(params);
  Clock::time_point genStart = Clock::now();
  int64_t generated = 0;
  std::string idsLine;
  for (int64_t i = 0; i < toGenerate; ++i) {
    int32_t token = sampler.sample(logits.data(), vocab);
    if (manifest.isEos(token) && !options.ignoreEos)
      break;
    ++generated;
    if (options.ids) {
      std::string item = (generated > 1 ? " " : "") + std::to_string(token);
      writeOut(item);
    } else {
      writeOut(decoder->push(token));
    }
    // The last token's logits would go unused.
    if (i + 1 < toGenerate &&
        seq->eval(&token, 1, 1, logits.data(), err) != EvalStatus::Ok)
      return reportError(kExitFailure, err);
  }
  double genMs = millisSince(genStart);
  writeOut((options.ids ? "" : decoder->flush()) + "\n");
  if (std::ferror(stdout))
    return reportError(kExitFailure, "cannot write to stdout");

  auto rate = [](int64_t n, double ms) { return ms > 0 ? n * 1000.0 / ms : 0; };
  std::string seed = params.temperature > 0
                         ? "; seed " + std::to_string(params.seed)
                         : std::string();
  std::fprintf(stderr,
               "prompt: %lld tokens in %.1f ms (%.1f tokens/s); generated: "
               "%lld tokens in %.1f ms (%.1f tokens/s)%s\n",
               (long long)promptSize, promptMs, rate(promptSize, promptMs),
               (long long)generated, genMs, rate(generated, genMs),
               seed.c_str());
  return kExitOk;
}
