//===- CommandLine.h - The compiled executable's arguments ------*- C++ -*-===//
//
// Parses the command line of a compiled model (design.md, "Contract: the
// compiled executable"). Pure: no model is needed, so every rule is unit
// tested; checks that need the model (ids against the vocabulary, the
// context against the prompt) happen when the command runs.
//
//===----------------------------------------------------------------------===//
#ifndef LMC_RUNTIME_CLI_COMMANDLINE_H
#define LMC_RUNTIME_CLI_COMMANDLINE_H

#include "runtime/core/Sampler.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lmc::rt::cli {

enum class Command { Generate, Tokenize, Chat, Info, Help };

/// Tokens generated when -n is not given (fewer if the context is smaller).
constexpr int64_t kDefaultPredict = 128;
/// Evaluation batch for prompts (default of --batch-size): bounds the
/// forward's working memory.
constexpr int64_t kPromptBatch = 512;

struct Options {
  Command command = Command::Generate;

  bool hasPrompt = false;
  std::string prompt;
  bool hasTokens = false;
  std::vector<int32_t> tokens;

  /// -n; nSet tells an explicit value from the default.
  bool nSet = false;
  int64_t nPredict = kDefaultPredict;

  /// temperature 0.8, top-k 40, top-p 0.95, min-p 0.05 unless given.
  SamplerParams sampling;
  /// Without --seed the seed is random.
  bool seedSet = false;

  /// -t; 0: all cores.
  int threads = 0;
  /// --ctx; 0: min(context length, 4096).
  int64_t ctx = 0;
  /// -b / --batch-size: prompt tokens evaluated together (1: every position
  /// as a decode step).
  int64_t batch = kPromptBatch;

  bool ids = false;
  /// --ignore-eos: generate all N tokens (end-of-sequence ids included).
  bool ignoreEos = false;
  /// --logits-out; empty when not given.
  std::string logitsOut;

  /// The TEXT of `tokenize TEXT`.
  std::string text;

  /// Chat only: --think / --no-think (enable_thinking; unset: the model's
  /// default), --reasoning-effort, --system (a first system message).
  std::optional<bool> enableThinking;
  std::string reasoningEffort;
  bool hasSystem = false;
  std::string system;
};

/// Parses args (argv without the program name). Returns false with a
/// one-line reason in err.
bool parseCommandLine(const std::vector<std::string> &args, Options &options,
                      std::string &err);

/// The -h text.
std::string usageText(const std::string &program);

} // namespace lmc::rt::cli

#endif // LMC_RUNTIME_CLI_COMMANDLINE_H
