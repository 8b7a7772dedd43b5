//===- ThreadPoolTest.cpp - Coverage, nesting, latency paths --------------===//
#include "runtime/ModelABI.h"
#include "runtime/core/ParallelFor.h"
#include "runtime/core/ThreadPool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

using namespace lmc::rt;

namespace {

/// Runs one parallelFor over [0, n) and checks every index ran exactly once
/// and the chunks were non-empty and disjoint.
void expectExactCover(ThreadPool &pool, int64_t n) {
  std::vector<std::atomic<int>> hits(size_t(std::max<int64_t>(n, 0)));
  std::atomic<int64_t> chunks{0};
  std::atomic<bool> emptyChunk{false};
  pool.parallelFor(n, [&](int64_t b, int64_t e) {
    if (b >= e)
      emptyChunk = true;
    chunks++;
    for (int64_t i = b; i < e; ++i)
      hits[size_t(i)]++;
  });
  EXPECT_FALSE(emptyChunk);
  for (int64_t i = 0; i < n; ++i)
    ASSERT_EQ(hits[size_t(i)].load(), 1) << "index " << i << " of " << n;
  EXPECT_LE(chunks.load(), std::max<int64_t>(n, 0));
  if (n == 0)
    EXPECT_EQ(chunks.load(), 0);
}

} // namespace

TEST(ThreadPool, CoversEveryIndexExactlyOnce) {
  for (int threads : {1, 2, 3, 4, 8}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.threads(), threads);
    for (int64_t n : {0, 1, 2, 3, 5, 7, 8, 31, 32, 33, 100, 1000, 12345})
      expectExactCover(pool, n);
  }
}

TEST(ThreadPool, UsesSeveralThreads) {
  ThreadPool pool(4);
  std::mutex m;
  std::set<std::thread::id> seen;
  // Enough slow chunks that the workers must join in.
  for (int round = 0; round < 20 && seen.size() < 2; ++round)
    pool.parallelFor(64, [&](int64_t, int64_t) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      std::lock_guard<std::mutex> lock(m);
      seen.insert(std::this_thread::get_id());
    });
  EXPECT_GE(seen.size(), 2u);
}

TEST(ThreadPool, EachThreadStartsWithItsOwnChunks) {
  // 4 threads, 16 chunks of one index: participant q owns 4q..4q+3 and
  // claims them first, so that a matrix's rows stream past its prefetches.
  // No chunk finishes before all four threads have claimed one (or 10 s
  // passed), so none can start on another's chunks first: the first indices
  // are 0, 4, 8, 12. A thread takes its own run front to back, then helps
  // with others' from their backs.
  ThreadPool pool(4);
  for (int round = 0; round < 5; ++round) {
    std::mutex m;
    std::map<std::thread::id, std::vector<int64_t>> order;
    std::atomic<int> started{0};
    pool.parallelFor(16, [&](int64_t b, int64_t e) {
      ASSERT_EQ(e, b + 1);
      {
        std::lock_guard<std::mutex> lock(m);
        std::vector<int64_t> &mine = order[std::this_thread::get_id()];
        if (mine.empty())
          started++;
        mine.push_back(b);
      }
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (started.load() < 4 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::yield();
    });
    ASSERT_EQ(order.size(), 4u) << "round " << round;
    std::set<int64_t> firsts;
    size_t total = 0;
    for (auto &[thread, indices] : order) {
      firsts.insert(indices.front());
      total += indices.size();
      int64_t own = indices.front() / 4;
      std::map<int64_t, int64_t> lastOfOwner;
      for (int64_t i : indices) {
        auto [at, fresh] = lastOfOwner.try_emplace(i / 4, i);
        if (fresh)
          continue;
        if (i / 4 == own)
          EXPECT_GT(i, at->second) << "round " << round;
        else
          EXPECT_LT(i, at->second) << "round " << round;
        at->second = i;
      }
    }
    EXPECT_EQ(firsts, (std::set<int64_t>{0, 4, 8, 12})) << "round " << round;
    EXPECT_EQ(total, 16u);
  }
}

TEST(ThreadPool, OneThreadRunsInlineAsOneChunk) {
  ThreadPool pool(1);
  auto caller = std::this_thread::get_id();
  int calls = 0;
  pool.parallelFor(1000, [&](int64_t b, int64_t e) {
    EXPECT_EQ(std::this_thread::get_id(), caller);
    EXPECT_EQ(b, 0);
    EXPECT_EQ(e, 1000);
    ++calls;
  });
  EXPECT_EQ(calls, 1);
}

TEST(ThreadPool, SingleItemRunsInline) {
  ThreadPool pool(4);
  auto caller = std::this_thread::get_id();
  pool.parallelFor(1, [&](int64_t b, int64_t e) {
    EXPECT_EQ(std::this_thread::get_id(), caller);
    EXPECT_EQ(b, 0);
    EXPECT_EQ(e, 1);
  });
}

TEST(ThreadPool, NestedCallsRunInlineAndCover) {
  ThreadPool pool(4);
  const int64_t outer = 16, inner = 50;
  std::vector<std::atomic<int>> hits(size_t(outer * inner));
  std::atomic<bool> leftThread{false};
  pool.parallelFor(outer, [&](int64_t b, int64_t e) {
    auto me = std::this_thread::get_id();
    for (int64_t i = b; i < e; ++i)
      pool.parallelFor(inner, [&](int64_t ib, int64_t ie) {
        if (std::this_thread::get_id() != me)
          leftThread = true;
        for (int64_t j = ib; j < ie; ++j)
          hits[size_t(i * inner + j)]++;
      });
  });
  EXPECT_FALSE(leftThread);
  for (auto &h : hits)
    ASSERT_EQ(h.load(), 1);
}

TEST(ThreadPool, ManySmallCalls) {
  ThreadPool pool(2);
  std::atomic<int64_t> sum{0};
  const int calls = 20000;
  for (int c = 0; c < calls; ++c)
    pool.parallelFor(4, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i)
        sum += i + 1;
    });
  EXPECT_EQ(sum.load(), int64_t(calls) * 10);
}

TEST(ThreadPool, SleepingWorkersWakeUp) {
  ThreadPool pool(3);
  pool.setSpinMicros(0);
  for (int round = 0; round < 200; ++round) {
    if (round % 50 == 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    expectExactCover(pool, 97);
  }
}

TEST(ThreadPool, CallsFromSeveralOutsideThreads) {
  ThreadPool pool(2);
  std::vector<std::thread> callers;
  std::atomic<int> failures{0};
  for (int t = 0; t < 3; ++t)
    callers.emplace_back([&] {
      for (int round = 0; round < 300; ++round) {
        std::vector<std::atomic<int>> hits(257);
        pool.parallelFor(257, [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i)
            hits[size_t(i)]++;
        });
        for (auto &h : hits)
          failures += h.load() != 1;
      }
    });
  for (auto &t : callers)
    t.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(ThreadPool, Resize) {
  ThreadPool pool(2);
  expectExactCover(pool, 100);
  pool.resize(5);
  EXPECT_EQ(pool.threads(), 5);
  expectExactCover(pool, 100);
  pool.resize(1);
  EXPECT_EQ(pool.threads(), 1);
  expectExactCover(pool, 100);
  pool.resize(0);
  EXPECT_EQ(pool.threads(), ThreadPool::defaultThreadCount());
}

TEST(ThreadPool, DefaultIsAllCores) {
  EXPECT_GE(ThreadPool::defaultThreadCount(), 1);
  ThreadPool pool(0);
  EXPECT_EQ(pool.threads(), ThreadPool::defaultThreadCount());
}

namespace {
void addRange(void *ctx, int64_t b, int64_t e) {
  auto *hits = static_cast<std::vector<std::atomic<int>> *>(ctx);
  for (int64_t i = b; i < e; ++i)
    (*hits)[size_t(i)]++;
}
} // namespace

TEST(ThreadPool, RuntimeEntryPoint) {
  for (int threads : {1, 2, 3}) {
    setGlobalThreadCount(threads);
    EXPECT_EQ(globalThreadPool().threads(), threads);
    std::vector<std::atomic<int>> hits(1001);
    lmc_rt_parallel_for(addRange, &hits, 1001);
    for (auto &h : hits)
      ASSERT_EQ(h.load(), 1);
    lmc_rt_parallel_for(addRange, &hits, 0);
    lmc_rt_parallel_for(addRange, &hits, -5);
  }
  setGlobalThreadCount(0);
}
