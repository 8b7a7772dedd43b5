//===- Commands.h - The executable's commands -------------------*- C++ -*-===//
#ifndef LMC_RUNTIME_CLI_COMMANDS_H
#define LMC_RUNTIME_CLI_COMMANDS_H

#include "runtime/cli/CommandLine.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace lmc::rt {
class Model;
class Sequence;
} // namespace lmc::rt

namespace lmc::rt::cli {

enum ExitCode : int { kExitOk = 0, kExitFailure = 1, kExitUsage = 2 };

/// Prints "error: message" on stderr and returns code.
int reportError(int code, const std::string &message);

int runGenerate(Model &model, const Options &options);
int runChat(Model &model, const Options &options);
int runTokenize(const Model &model, const Options &options);
int runInfo(const Model &model);

/// Maps the weights and sets the thread count; on failure reports it and
/// returns false with the exit code in exitCode.
bool prepareToRun(Model &model, const Options &options, int &exitCode);

/// A sequence with room for ctx tokens; reports and returns null on failure.
std::unique_ptr<Sequence> openSequence(const Model &model, int64_t ctx,
                                       int &exitCode);

/// Called with each batch's logits rows when all prompt logits are wanted;
/// returns false (after reporting) to stop.
using LogitsSink = std::function<bool(const float *rows, int64_t count)>;

/// Evaluates ids in batches of `batch` tokens. Leaves the logits of the last
/// token in last (resized to the vocabulary); with a sink, also hands it the
/// logits of every position. Reports and returns false on failure.
bool evaluatePrompt(Sequence &seq, const std::vector<int32_t> &ids, int64_t batch,
                    std::vector<float> &last, const LogitsSink &sink,
                    int &exitCode);

/// --seed, or a fresh random seed.
uint64_t chooseSeed(const Options &options);

} // namespace lmc::rt::cli

#endif // LMC_RUNTIME_CLI_COMMANDS_H
