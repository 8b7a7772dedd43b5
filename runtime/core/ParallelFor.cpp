//===- ParallelFor.cpp - lmc_rt_parallel_for ------------------------------===//
#include "runtime/core/ParallelFor.h"
#include "runtime/ModelABI.h"

#include <cstdlib>

using namespace lmc::rt;

namespace {
/// The count asked for before the pool exists, so it starts at that size.
std::atomic<int> requestedThreads{0};
} // namespace

ThreadPool &lmc::rt::globalThreadPool() {
  // Never destroyed: workers may still be asleep in it while the process
  // exits, and no static destructor should have to join them.
  static ThreadPool *pool = [] {
    auto *p = new ThreadPool(requestedThreads.load());
    if (const char *spin = std::getenv("LMC_SPIN_US"); spin && *spin)
      p->setSpinMicros(std::atoi(spin));
    return p;
  }();
  return *pool;
}

void lmc::rt::setGlobalThreadCount(int threads) {
  requestedThreads.store(threads);
  ThreadPool &pool = globalThreadPool();
  int wanted = threads < 1 ? ThreadPool::defaultThreadCount() : threads;
  if (wanted != pool.threads())
    pool.resize(wanted);
}

extern "C" void lmc_rt_parallel_for(void (*fn)(void *, int64_t, int64_t),
                                    void *ctx, int64_t n) {
  globalThreadPool().parallelFor(fn, ctx, n);
}
