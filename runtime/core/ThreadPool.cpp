//===- ThreadPool.cpp - Fork/join workers ---------------------------------===//
#include "runtime/core/ThreadPool.h"

#include <algorithm>
#include <chrono>
#include <climits>
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

using namespace lmc::rt;

namespace {

static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t) &&
                  std::atomic<uint32_t>::is_always_lock_free,
              "futex words must be plain 32-bit integers");

/// Sleeps while *word == expected (or until a spurious wake-up).
void futexWait(std::atomic<uint32_t> &word, uint32_t expected) {
  syscall(SYS_futex, reinterpret_cast<uint32_t *>(&word), FUTEX_WAIT_PRIVATE,
          expected, nullptr, nullptr, 0);
}

void futexWakeAll(std::atomic<uint32_t> &word) {
  syscall(SYS_futex, reinterpret_cast<uint32_t *>(&word), FUTEX_WAKE_PRIVATE,
          INT_MAX, nullptr, nullptr, 0);
}

inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

/// Spins until done() or spinNanos elapse; returns done().
template <typename Pred> bool spinUntil(Pred done, int64_t spinNanos) {
  if (done())
    return true;
  if (spinNanos <= 0)
    return false;
  auto deadline =
      std::chrono::steady_clock::now() + std::chrono::nanoseconds(spinNanos);
  for (;;) {
    // Reading the clock costs more than a pause: look at it now and then.
    for (int i = 0; i < 64; ++i) {
      cpuRelax();
      if (done())
        return true;
    }
    if (std::chrono::steady_clock::now() >= deadline)
      return done();
  }
}

/// Set on pool workers, and on a caller while it runs chunks: a parallelFor
/// from there runs inline.
thread_local bool tlsInsideChunk = false;

} // namespace

int ThreadPool::defaultThreadCount() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int count = CPU_COUNT(&set);
    if (count > 0)
      return std::min(count, kMaxThreads);
  }
  unsigned hw = std::thread::hardware_concurrency();
  return hw ? std::min(int(hw), kMaxThreads) : 1;
}

ThreadPool::ThreadPool(int threads) { startWorkers(threads); }

ThreadPool::~ThreadPool() {
  std::lock_guard<std::mutex> lock(dispatch_);
  stopWorkers();
}

void ThreadPool::resize(int threads) {
  std::lock_guard<std::mutex> lock(dispatch_);
  stopWorkers();
  startWorkers(threads);
}

void ThreadPool::startWorkers(int threads) {
  if (threads < 1)
    threads = defaultThreadCount();
  threads = std::min(threads, kMaxThreads);
  threads_.store(threads);
  stop_.store(false);
  owned_.reset(new OwnedChunks[threads]);
  uint32_t seen = generation_.load();
  for (int i = 1; i < threads; ++i)
    workers_.emplace_back([this, i, seen] { workerLoop(i, seen); });
}

void ThreadPool::stopWorkers() {
  stop_.store(true);
  generation_.fetch_add(1);
  futexWakeAll(generation_);
  for (std::thread &t : workers_)
    t.join();
  workers_.clear();
}

void ThreadPool::workerLoop(int participant, uint32_t seen) {
  tlsInsideChunk = true;
  for (;;) {
    auto changed = [&] { return generation_.load(std::memory_order_acquire) != seen; };
    if (!spinUntil(changed, spinNanos_.load(std::memory_order_relaxed))) {
      sleepers_.fetch_add(1);
      while (generation_.load() == seen)
        futexWait(generation_, seen);
      sleepers_.fetch_sub(1);
    }
    if (stop_.load())
      return;
    seen = generation_.load(std::memory_order_acquire);
    runChunks(participant, seen);
  }
}

namespace {
static_assert(int64_t(ThreadPool::kMaxThreads) * ThreadPool::kChunksPerThread <= 0xffff,
              "chunk indices must fit the 16-bit fields of an OwnedChunks word");

/// The first chunk owner q of `owners` owns, out of `chunks`.
uint64_t firstOwnedChunk(int64_t chunks, int owners, int q) {
  return uint64_t(chunks * q / owners);
}

/// An OwnedChunks word: generation, then the run's unclaimed chunks
/// [front, back).
uint64_t ownedWord(uint32_t gen, uint64_t front, uint64_t back) {
  return uint64_t(gen) << 32 | front << 16 | back;
}
} // namespace

void ThreadPool::runOwnedChunks(int owner, bool mine, uint32_t gen, const Job &job) {
  ChunkFn fn = job.fn.load(std::memory_order_acquire);
  void *ctx = job.ctx.load(std::memory_order_acquire);
  int64_t n = job.n.load(std::memory_order_acquire);
  int64_t chunks = job.chunks.load(std::memory_order_acquire);
  std::atomic<uint64_t> &word = owned_[owner].word;
  // If the slot was rewritten under us, its word has moved past gen (it is
  // rewritten before a job slot is reused), so the claim below fails.
  uint64_t t = word.load(std::memory_order_acquire);
  for (;;) {
    uint64_t front = (t >> 16) & 0xffff, back = t & 0xffff;
    if (uint32_t(t >> 32) != gen || front >= back)
      return;
    // The owner takes its run from the front, helpers from the back, so
    // the owner's stream is cut short rather than broken.
    uint64_t claimed = mine ? ownedWord(gen, front + 1, back) : ownedWord(gen, front, back - 1);
    if (!word.compare_exchange_weak(t, claimed, std::memory_order_acq_rel,
                                    std::memory_order_acquire))
      continue;
    int64_t i = int64_t(mine ? front : back - 1);
    int64_t base = n / chunks, extra = n % chunks;
    int64_t begin = i * base + std::min(i, extra);
    int64_t end = begin + base + (i < extra ? 1 : 0);
    fn(ctx, begin, end);
    if (remaining_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      doneWord_.fetch_add(1);
      if (callerSleeping_.load())
        futexWakeAll(doneWord_);
    }
    t = word.load(std::memory_order_acquire);
  }
}

void ThreadPool::runChunks(int participant, uint32_t gen) {
  const Job &job = jobs_[gen & 1];
  int owners = job.owners.load(std::memory_order_acquire);
  // Its own run first, then the rest of each other participant's in turn.
  for (int k = 0; k < owners; ++k)
    runOwnedChunks((participant + k) % owners, k == 0, gen, job);
}

void ThreadPool::waitUntilDone() {
  auto done = [&] { return remaining_.load(std::memory_order_acquire) == 0; };
  if (spinUntil(done, spinNanos_.load(std::memory_order_relaxed)))
    return;
  callerSleeping_.store(1);
  for (;;) {
    uint32_t word = doneWord_.load();
    if (remaining_.load() == 0)
      break;
    futexWait(doneWord_, word);
  }
  callerSleeping_.store(0);
  // Pairs with the releasing decrements of the workers.
  (void)remaining_.load(std::memory_order_acquire);
}

void ThreadPool::parallelFor(ChunkFn fn, void *ctx, int64_t n) {
  if (n <= 0)
    return;
  if (n == 1 || threads() <= 1 || tlsInsideChunk) {
    fn(ctx, 0, n);
    return;
  }
  std::lock_guard<std::mutex> lock(dispatch_);
  // resize() may have run meanwhile.
  int threads = threads_.load();
  if (threads <= 1) {
    fn(ctx, 0, n);
    return;
  }
  int64_t chunks = std::min<int64_t>(n, int64_t(threads) * kChunksPerThread);
  uint32_t gen = generation_.load() + 1;
  Job &job = jobs_[gen & 1];
  job.fn.store(fn, std::memory_order_release);
  job.ctx.store(ctx, std::memory_order_release);
  job.n.store(n, std::memory_order_release);
  job.chunks.store(chunks, std::memory_order_release);
  job.owners.store(threads, std::memory_order_release);
  remaining_.store(chunks, std::memory_order_relaxed);
  for (int q = 0; q < threads; ++q)
    owned_[q].word.store(ownedWord(gen, firstOwnedChunk(chunks, threads, q),
                                   firstOwnedChunk(chunks, threads, q + 1)),
                         std::memory_order_release);
  generation_.store(gen);
  if (sleepers_.load() > 0)
    futexWakeAll(generation_);

  tlsInsideChunk = true;
  runChunks(0, gen);
  tlsInsideChunk = false;
  waitUntilDone();
}
