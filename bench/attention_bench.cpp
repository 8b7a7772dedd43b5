//===- attention_bench.cpp - decode attention at long KV-cache positions --===//
//
//   lmc-attention-bench [--heads 16] [--kv-heads 8] [--dim 128] [--layers 4]
//                       [--positions 128,4096,32768] [--threads 2]
//                       [--repeats 10] [--cache f16|f32] [--window 0]
//                       [--caches flushed|warm]
//
// The generated attention kernel (tfm.attention through the real CPU
// pipeline, JIT-compiled for this host, on the runtime's thread pool) for one
// decoded token at each position: its keys and values are all of the cache
// before it. Reaching position 32768 in a compiled model needs a prefill of
// 32768 tokens (tens of minutes on two cores); here the cache is filled with
// random values instead. Before each timed call the CPU caches are flushed,
// as a decode step's weights flush them between two layers (with `--caches
// warm` they are not: the kernel's compute alone, for caches that fit the
// last-level cache, e.g. `--layers 1 --positions 2048`). Prints one row
// per position: the median time of a call (one layer), the cache bytes it
// reads and their rate, to compare with lmc-bandwidth.
//
//===----------------------------------------------------------------------===//
#include "frontends/quant/QuantFormats.h"
#include "runtime/core/ParallelFor.h"
#include "runtime/ModelABI.h"
#include "test/unit/kernels/KernelHarness.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

using namespace lmc::test;

namespace {

struct Options {
  int64_t heads = 16, kvHeads = 8, dim = 128, layers = 4, window = 0;
  std::vector<int64_t> positions{128, 4096, 32768};
  int threads = 2, repeats = 10;
  bool half = true, flush = true;
};

[[noreturn]] void usage(const std::string &problem) {
  std::fprintf(stderr,
               "lmc-attention-bench: %s\nusage: lmc-attention-bench [--heads N] [--kv-heads N] "
               "[--dim N] [--layers N] [--positions P,P,...] [--threads N] [--repeats N] "
               "[--cache f16|f32] [--window N] [--caches flushed|warm]\n",
               problem.c_str());
  std::exit(2);
}

int64_t positiveNumber(const std::string &flag, const char *text) {
  char *end = nullptr;
  long long v = std::strtoll(text, &end, 10);
  if (!*text || *end || v < 0)
    usage("'" + flag + "' needs a non-negative integer, got '" + text + "'");
  return v;
}

Options parse(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc)
      usage("'" + flag + "' needs a value");
    const char *value = argv[++i];
    if (flag == "--heads")
      o.heads = positiveNumber(flag, value);
    else if (flag == "--kv-heads")
      o.kvHeads = positiveNumber(flag, value);
    else if (flag == "--dim")
      o.dim = positiveNumber(flag, value);
    else if (flag == "--layers")
      o.layers = positiveNumber(flag, value);
    else if (flag == "--window")
      o.window = positiveNumber(flag, value);
    else if (flag == "--threads")
      o.threads = int(positiveNumber(flag, value));
    else if (flag == "--repeats")
      o.repeats = int(positiveNumber(flag, value));
    else if (flag == "--cache") {
      if (std::strcmp(value, "f16") && std::strcmp(value, "f32"))
        usage("'--cache' is f16 or f32");
      o.half = !std::strcmp(value, "f16");
    } else if (flag == "--caches") {
      if (std::strcmp(value, "flushed") && std::strcmp(value, "warm"))
        usage("'--caches' is flushed or warm");
      o.flush = !std::strcmp(value, "flushed");
    } else if (flag == "--positions") {
      o.positions.clear();
      std::string list = value;
      for (size_t at = 0; at <= list.size();) {
        size_t comma = std::min(list.find(',', at), list.size());
        o.positions.push_back(positiveNumber(flag, list.substr(at, comma - at).c_str()));
        at = comma + 1;
      }
    } else
      usage("unknown option '" + flag + "'");
  }
  if (o.kvHeads < 1 || o.heads % o.kvHeads || o.dim % 16 || o.dim < 16 || o.layers < 1 ||
      o.threads < 1 || o.repeats < 1)
    usage("need heads a multiple of kv-heads, dim a multiple of 16, layers, threads and "
          "repeats >= 1");
  return o;
}

std::string str(int64_t v) { return std::to_string(v); }

/// One function per layer: the token's attention over that layer's cache.
std::string attentionModule(const Options &o) {
  std::string q = "tensor<?x" + str(o.heads) + "x" + str(o.dim) + "xf32>";
  std::string cache = "!tfm.kv_cache<" + str(o.layers) + "x2x" + str(o.kvHeads) + "x" +
                      str(o.dim) + (o.half ? ", f16>" : ", f32>");
  char scale[32];
  std::snprintf(scale, sizeof scale, "%.9e", 1.0 / std::sqrt(double(o.dim)));
  std::string window = o.window ? " {window = " + str(o.window) + "}" : "";
  std::string source;
  for (int64_t l = 0; l < o.layers; ++l)
    source += "func.func @attend" + str(l) + "(%q: " + q + ", %cache: " + cache +
              ", %pos: index) -> " + q + " attributes {llvm.emit_c_interface} {\n"
              "  %a = tfm.attention %q, %cache[layer " + str(l) + "] at %pos scale " + scale +
              window + " : " + q + ", " + cache + " -> " + q + "\n  return %a : " + q + "\n}\n";
  return source;
}

/// Reads a buffer larger than the last-level cache, so the next call finds
/// its keys and values in memory, as a decode step does. On the pool's
/// threads, which then wait for the next call as they do between layers.
float flushCaches() {
  constexpr int64_t kChunks = 64, kChunkFloats = (64 << 20) / 4 / kChunks;
  static std::vector<float> buffer(kChunks * kChunkFloats, 1.0f);
  static float sums[kChunks];
  lmc_rt_parallel_for(
      [](void *, int64_t begin, int64_t end) {
        for (int64_t c = begin; c < end; ++c) {
          float sum = 0;
          for (int64_t i = c * kChunkFloats; i < (c + 1) * kChunkFloats; i += 16)
            sum += buffer[i];
          sums[c] = sum;
        }
      },
      nullptr, kChunks);
  return sums[0];
}

} // namespace

int main(int argc, char **argv) {
  Options o = parse(argc, argv);
  lmc::rt::setGlobalThreadCount(o.threads);
  KernelHarness harness;
  harness.parallelFor = &lmc_rt_parallel_for;
  if (!harness.compile(attentionModule(o), /*fuse=*/false)) {
    std::fprintf(stderr, "lmc-attention-bench: %s\n", harness.error().c_str());
    return 1;
  }
  using Attend = void (*)(MemRef<float, 3> *, void *, int64_t, MemRef<float, 3> *);
  std::vector<Attend> attend;
  for (int64_t l = 0; l < o.layers; ++l)
    attend.push_back((Attend)harness.lookup("attend" + str(l)));

  int64_t capacity = *std::max_element(o.positions.begin(), o.positions.end()) + 1;
  double cacheBytes = double(o.layers) * 2 * o.kvHeads * capacity * o.dim * (o.half ? 2 : 4);
  if (cacheBytes > 64e9)
    usage("a cache of " + std::to_string(int64_t(cacheBytes / 1e9)) +
          " GB for these positions, layers and heads is too large");
  size_t elements = size_t(o.layers) * 2 * o.kvHeads * capacity * o.dim;
  std::fprintf(stderr, "filling a %.0f MB cache\n", cacheBytes / 1e6);
  std::vector<uint16_t> halfCache;
  std::vector<float> floatCache;
  uint64_t state = 0x9E3779B97F4A7C15ull;
  auto next = [&] {  // xorshift64: fast enough for a few hundred million values
    state ^= state << 13, state ^= state >> 7, state ^= state << 17;
    return float(int64_t(state >> 40) - (1 << 23)) / float(1 << 23);
  };
  try {
    if (o.half)
      halfCache.resize(elements);
    else
      floatCache.resize(elements);
  } catch (const std::bad_alloc &) {
    std::fprintf(stderr, "lmc-attention-bench: cannot allocate a %.0f MB cache\n",
                 cacheBytes / 1e6);
    return 1;
  }
  for (uint16_t &h : halfCache)
    h = lmc::quant::f32ToF16(2 * next());
  for (float &f : floatCache)
    f = 2 * next();
  auto cacheF16 = memref<uint16_t, 5>(halfCache.data(), {o.layers, 2, o.kvHeads, capacity, o.dim});
  auto cacheF32 = memref<float, 5>(floatCache.data(), {o.layers, 2, o.kvHeads, capacity, o.dim});
  void *cache = o.half ? (void *)&cacheF16 : (void *)&cacheF32;
  std::vector<float> query(o.heads * o.dim), out(o.heads * o.dim);
  for (float &x : query)
    x = next();
  auto qm = memref<float, 3>(query.data(), {1, o.heads, o.dim});
  auto om = memref<float, 3>(out.data(), {1, o.heads, o.dim});

  std::printf("heads %lld / %lld, dim %lld, %s cache, %d threads, %d repeats x %lld layers, "
              "%s\n\n",
              (long long)o.heads, (long long)o.kvHeads, (long long)o.dim, o.half ? "f16" : "f32",
              o.threads, o.repeats, (long long)o.layers,
              o.flush ? "caches flushed before each call" : "caches left warm");
  std::printf("| position | us per layer | cache MB read | GB/s |\n|---|---|---|---|\n");
  volatile float sink = 0;
  for (int64_t pos : o.positions) {
    int64_t keys = o.window ? std::min(o.window, pos + 1) : pos + 1;
    double bytes = 2.0 * o.kvHeads * keys * o.dim * (o.half ? 2 : 4);
    std::vector<double> seconds;
    for (int r = 0; r < o.repeats; ++r)
      for (int64_t l = 0; l < o.layers; ++l) {
        if (o.flush)
          sink = sink + flushCaches();
        auto t0 = std::chrono::steady_clock::now();
        attend[l](&qm, cache, pos, &om);
        seconds.push_back(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        sink = sink + out[0];
      }
    std::sort(seconds.begin(), seconds.end());
    double s = seconds[seconds.size() / 2];
    std::printf("| %lld | %.1f | %.2f | %.1f |\n", (long long)pos, s * 1e6, bytes / 1e6,
                bytes / s / 1e9);
  }
  return 0;
}
