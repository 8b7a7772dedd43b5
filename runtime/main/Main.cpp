//===- Main.cpp - main of a compiled model executable ---------------------===//
//
// Alone in lmcrt_main so that a model linked as a library has no main.
//
//===----------------------------------------------------------------------===//
#include "runtime/cli/Cli.h"

#include <malloc.h>

int main(int argc, char **argv) {
  // The generated code allocates every intermediate tensor afresh and frees
  // it after its last use. glibc serves blocks over 128 KiB with mmap and
  // returns them on free, so every prefill op faulted in (and zeroed) fresh
  // pages; keeping them in the heap lets the next op reuse them. Only the
  // executable does this: a host process linking the model keeps its own
  // allocator settings.
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  return lmc::rt::cli::runCli(argc, argv);
}
