//===- ParallelFor.h - The process-wide pool the compiled code uses -*- C++ -*-===//
#ifndef LMC_RUNTIME_CORE_PARALLELFOR_H
#define LMC_RUNTIME_CORE_PARALLELFOR_H

#include "runtime/core/ThreadPool.h"

namespace lmc::rt {

/// The pool behind lmc_rt_parallel_for, started on first use with all cores
/// (or with the count last given to setGlobalThreadCount). The environment
/// variable LMC_SPIN_US overrides how long idle threads spin (tuning only).
ThreadPool &globalThreadPool();

/// Sets the pool's thread count (< 1: all cores).
void setGlobalThreadCount(int threads);

} // namespace lmc::rt

#endif // LMC_RUNTIME_CORE_PARALLELFOR_H
