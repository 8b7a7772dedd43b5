//===- ThreadPool.h - Fork/join workers for the compiled code ---*- C++ -*-===//
//
// The generated code splits its loops with lmc_rt_parallel_for, hundreds of
// times per token, so fork/join latency matters as much as throughput:
//
//  - Workers are persistent. The calling thread runs chunks too, so a pool of
//    T threads has T-1 workers.
//  - [0, n) is cut into up to kChunksPerThread * T balanced chunks, and
//    each participant owns a run of consecutive ones: it claims its own in
//    order, so it reads one stretch of memory from start to end (a weight
//    matrix's rows stream past its prefetches, which restart cold wherever a
//    thread jumps). A thread with none left claims others' from the back of
//    their runs, so one the OS preempts (another process is busy) delays
//    only the chunk it holds, not 1/T of the work.
//  - An idle thread spins briefly (so the next call of the same forward
//    finds it awake), then sleeps on a futex. Spinning longer would steal a
//    core from other processes and, with as many threads as cores, from our
//    own caller.
//  - n <= 1, a pool of one thread, and calls made from inside a chunk run
//    inline on the calling thread. Calls from different outside threads take
//    turns.
//
//===----------------------------------------------------------------------===//
#ifndef LMC_RUNTIME_CORE_THREADPOOL_H
#define LMC_RUNTIME_CORE_THREADPOOL_H

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace lmc::rt {

class ThreadPool {
public:
  using ChunkFn = void (*)(void *ctx, int64_t begin, int64_t end);

  static constexpr int kChunksPerThread = 4;
  static constexpr int kDefaultSpinMicros = 50;
  static constexpr int kMaxThreads = 1024;

  /// threads counts the caller; values < 1 mean defaultThreadCount().
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  /// The cores this process may run on (its CPU affinity mask).
  static int defaultThreadCount();

  int threads() const { return threads_.load(std::memory_order_relaxed); }
  /// Restarts the workers for a new thread count (waits for a running call).
  void resize(int threads);
  /// How long an idle thread spins before it sleeps.
  void setSpinMicros(int micros) { spinNanos_.store(int64_t(micros) * 1000); }

  /// Runs fn(ctx, begin, end) over disjoint chunks covering [0, n); returns
  /// when all are done.
  void parallelFor(ChunkFn fn, void *ctx, int64_t n);

  /// The same for a callable f(begin, end).
  template <typename F> void parallelFor(int64_t n, F &&f) {
    using Fn = std::remove_reference_t<F>;
    parallelFor(
        [](void *ctx, int64_t b, int64_t e) { (*static_cast<Fn *>(ctx))(b, e); },
        const_cast<void *>(static_cast<const void *>(&f)), n);
  }

private:
  /// A call's description. Two slots alternate by generation so a worker
  /// that wakes late, still holding the previous generation, never reads a
  /// slot that is being rewritten while its generation can still claim.
  struct Job {
    std::atomic<ChunkFn> fn{nullptr};
    std::atomic<void *> ctx{nullptr};
    std::atomic<int64_t> n{0};
    std::atomic<int64_t> chunks{0};
    std::atomic<int> owners{0};
  };

  /// A participant's run of chunks: (generation << 32) | (front << 16) |
  /// back, its unclaimed chunks [front, back). One cache line each, as every
  /// participant writes its own.
  struct alignas(64) OwnedChunks {
    std::atomic<uint64_t> word{0};
  };

  void startWorkers(int threads);
  void stopWorkers();
  void workerLoop(int participant, uint32_t seen);
  /// Claims and runs chunks of generation gen until none are left: first
  /// those `participant` owns, then the others' in turn.
  void runChunks(int participant, uint32_t gen);
  /// Claims and runs owner's chunks of generation gen until none are left:
  /// from the front of its run if `mine`, else from the back.
  void runOwnedChunks(int owner, bool mine, uint32_t gen, const Job &job);
  void waitUntilDone();

  /// Read without the lock by parallelFor's inline shortcut.
  std::atomic<int> threads_{1};
  std::vector<std::thread> workers_;
  std::mutex dispatch_;
  std::atomic<int64_t> spinNanos_{int64_t(kDefaultSpinMicros) * 1000};

  Job jobs_[2];
  /// One per participant (the caller is participant 0).
  std::unique_ptr<OwnedChunks[]> owned_;
  /// The futex word workers sleep on; bumped once per call.
  alignas(64) std::atomic<uint32_t> generation_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stop_{false};
  /// Chunks of the current call not yet finished.
  alignas(64) std::atomic<int64_t> remaining_{0};
  /// The futex word the caller sleeps on; bumped when a call finishes.
  std::atomic<uint32_t> doneWord_{0};
  std::atomic<int> callerSleeping_{0};
};

} // namespace lmc::rt

#endif // LMC_RUNTIME_CORE_THREADPOOL_H
