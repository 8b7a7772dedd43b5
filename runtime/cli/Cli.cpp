//===- Cli.cpp - Dispatching the executable's commands --------------------===//
#include "runtime/cli/Cli.h"
#include "runtime/cli/Commands.h"
#include "runtime/core/Model.h"
#include "runtime/core/ParallelFor.h"
#include "runtime/core/Sequence.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>

using namespace lmc::rt;
using namespace lmc::rt::cli;

int lmc::rt::cli::reportError(int code, const std::string &message) {
  std::fflush(stdout);
  std::fprintf(stderr, "error: %s\n", message.c_str());
  return code;
}

bool lmc::rt::cli::prepareToRun(Model &model, const Options &options,
                                int &exitCode) {
  std::string err;
  if (!model.loadWeights("", err)) {
    exitCode = reportError(kExitFailure, err);
    return false;
  }
  setGlobalThreadCount(options.threads);
  return true;
}

std::unique_ptr<Sequence> lmc::rt::cli::openSequence(const Model &model,
                                                     int64_t ctx,
                                                     int &exitCode) {
  if (ctx > model.manifest().contextLength)
    std::fprintf(stderr,
                 "warning: --ctx %lld exceeds the context length the model "
                 "was trained for (%d)\n",
                 (long long)ctx, model.manifest().contextLength);
  std::string err;
  std::unique_ptr<Sequence> seq = model.newSequence(ctx, err);
  if (!seq)
    exitCode = reportError(kExitFailure, err);
  return seq;
}

bool lmc::rt::cli::evaluatePrompt(Sequence &seq,
                                  const std::vector<int32_t> &ids, int64_t batch,
                                  std::vector<float> &last,
                                  const LogitsSink &sink, int &exitCode) {
  int64_t vocab = seq.model().vocabSize();
  int64_t total = int64_t(ids.size());
  // Without a sink only the last batch's last row matters.
  std::vector<float> rows(size_t(vocab) *
                          size_t(sink ? std::min(total, batch) : 1));
  for (int64_t start = 0; start < total; start += batch) {
    int64_t n = std::min(batch, total - start);
    bool lastBatch = start + n == total;
    int64_t nLogits = sink ? n : lastBatch ? 1 : 0;
    std::string err;
    if (seq.eval(ids.data() + start, n, nLogits, rows.data(), err) !=
        EvalStatus::Ok) {
      exitCode = reportError(kExitFailure, err);
      return false;
    }
    if (sink && !sink(rows.data(), n)) {
      exitCode = kExitFailure;
      return false;
    }
    if (lastBatch)
      last.assign(rows.begin() + (nLogits - 1) * vocab,
                  rows.begin() + nLogits * vocab);
  }
  return true;
}

uint64_t lmc::rt::cli::chooseSeed(const Options &options) {
  if (options.seedSet)
    return options.sampling.seed;
  std::random_device device;
  uint64_t now = uint64_t(
      std::chrono::high_resolution_clock::now().time_since_epoch().count());
  return (uint64_t(device()) << 32) ^ uint64_t(device()) ^ now;
}

int lmc::rt::cli::runCli(int argc, char **argv) {
  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  std::string program = argc > 0 ? argv[0] : "model";
  Options options;
  std::string err;
  if (!parseCommandLine(args, options, err))
    return reportError(kExitUsage, err + " (see --help)");
  if (options.command == Command::Help) {
    std::fputs(usageText(program).c_str(), stdout);
    return kExitOk;
  }

  try {
    std::unique_ptr<Model> model = Model::create(linkedModelImage(), err);
    if (!model)
      return reportError(kExitFailure, err);
    switch (options.command) {
    case Command::Tokenize:
      return runTokenize(*model, options);
    case Command::Chat:
      return runChat(*model, options);
    case Command::Info:
      return runInfo(*model);
    case Command::Generate:
    case Command::Help:
      break;
    }
    return runGenerate(*model, options);
  } catch (const std::bad_alloc &) {
    return reportError(kExitFailure, "out of memory");
  } catch (const std::exception &e) {
    return reportError(kExitFailure, e.what());
  }
}
