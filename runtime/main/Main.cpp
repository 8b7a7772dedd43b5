//===- Main.cpp - main of a compiled model executable ---------------------===//
//
// Alone in lmcrt_main so that a model linked as a library has no main.
//
//===----------------------------------------------------------------------===//
#include "runtime/cli/Cli.h"

int main(int argc, char **argv) { return lmc::rt::cli::runCli(argc, argv); }
