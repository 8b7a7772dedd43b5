//===- bandwidth.cpp - the machine's sustained memory read bandwidth ------===//
//
//   lmc-bandwidth [--threads T] [--mib N] [--repeats R]
//
// Reads a buffer of N MiB (default 2048, far beyond the caches) R times with
// T threads, each summing its share with AVX2-width loads, and prints the
// median GB/s as JSON. This is the denominator of the decode roofline:
// batch-1 decode must read every active weight once per token.
//
//===----------------------------------------------------------------------===//
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/mman.h>
#include <thread>
#include <vector>

namespace {
/// Sums [begin, end) (a multiple of 64 floats) with eight independent
/// 8-float accumulators, so loads, not adds, bound the loop.
float sumRange(const float *begin, const float *end) {
  typedef float v8 __attribute__((vector_size(32)));
  v8 acc[8] = {};
  const v8 *p = reinterpret_cast<const v8 *>(begin);
  const v8 *e = reinterpret_cast<const v8 *>(end);
  for (; p + 8 <= e; p += 8)
    for (int i = 0; i < 8; ++i)
      acc[i] += p[i];
  v8 total = acc[0];
  for (int i = 1; i < 8; ++i)
    total += acc[i];
  float s = 0;
  for (int i = 0; i < 8; ++i)
    s += total[i];
  return s;
}
} // namespace

int main(int argc, char **argv) {
  int threads = int(std::thread::hardware_concurrency());
  size_t mib = 2048;
  int repeats = 5;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--threads")
      threads = std::atoi(argv[i + 1]);
    else if (a == "--mib")
      mib = std::strtoull(argv[i + 1], nullptr, 10);
    else if (a == "--repeats")
      repeats = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "lmc-bandwidth: unknown option '%s'\n", a.c_str());
      return 2;
    }
  }
  if (threads < 1 || mib < 64 || repeats < 1) {
    std::fprintf(stderr, "lmc-bandwidth: need --threads >= 1, --mib >= 64, --repeats >= 1\n");
    return 2;
  }
  size_t bytes = mib << 20, n = bytes / sizeof(float);
  void *mem = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    std::fprintf(stderr, "lmc-bandwidth: cannot allocate %zu MiB\n", mib);
    return 1;
  }
  float *data = static_cast<float *>(mem);
  for (size_t i = 0; i < n; i += 1024)
    data[i] = float(i & 7);

  std::vector<double> rates;
  volatile float sink = 0;
  for (int r = 0; r < repeats; ++r) {
    std::vector<float> partial(threads);
    auto t0 = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    size_t chunk = (n / threads) & ~size_t(63);
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        const float *b = data + t * chunk;
        const float *e = t + 1 == threads ? data + (n & ~size_t(63)) : b + chunk;
        partial[t] = sumRange(b, e);
      });
    for (auto &th : pool)
      th.join();
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (float p : partial)
      sink = sink + p;
    rates.push_back(double(bytes) / s / 1e9);
  }
  std::sort(rates.begin(), rates.end());
  std::printf("{\"threads\": %d, \"mib\": %zu, \"median_gbs\": %.2f, \"max_gbs\": %.2f}\n", threads,
              mib, rates[rates.size() / 2], rates.back());
  return 0;
}
