//===- TokenizeCommand.cpp - `OUT tokenize TEXT` and `OUT info` -----------===//
#include "runtime/cli/Commands.h"
#include "runtime/core/Model.h"
#include "runtime/tokenizer/Tokenizer.h"

#include <cstdio>

using namespace lmc::rt;
using namespace lmc::rt::cli;

int lmc::rt::cli::runTokenize(const Model &model, const Options &options) {
  // Needs only the manifest and the tokenizer: no weights are mapped.
  std::string err;
  const Tokenizer *tokenizer = model.tokenizer(err);
  if (!tokenizer)
    return reportError(kExitFailure, err);
  std::vector<int32_t> ids = tokenizer->encode(options.text, true);
  std::string line;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i)
      line += ' ';
    line += std::to_string(ids[i]);
  }
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stdout);
  if (std::fflush(stdout) != 0)
    return reportError(kExitFailure, "cannot write to stdout");
  return kExitOk;
}

int lmc::rt::cli::runInfo(const Model &model) {
  // The manifest as compiled in; needs no weights.
  std::string text = model.manifestText() + "\n";
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (std::fflush(stdout) != 0)
    return reportError(kExitFailure, "cannot write to stdout");
  return kExitOk;
}
