//===- Cli.h - The compiled executable's main -------------------*- C++ -*-===//
#ifndef LMC_RUNTIME_CLI_CLI_H
#define LMC_RUNTIME_CLI_CLI_H

namespace lmc::rt::cli {

/// Runs the command line of a compiled model (the model linked into this
/// program) and returns the exit status: 0 success, 1 the model could not
/// run (weights missing or mismatched, out of memory, I/O), 2 bad command
/// line (flags, values, ids out of range, context too small).
int runCli(int argc, char **argv);

} // namespace lmc::rt::cli

#endif // LMC_RUNTIME_CLI_CLI_H
