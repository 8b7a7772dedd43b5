//===- FakeModel.cpp - A test stand-in for a compiled model's forward -----===//
//
// Implements _mlir_ciface_lmc_forward by FakeModelRule.h, checking every
// descriptor it receives against the ABI (ModelABI.h): a wrong size, stride
// or cache content aborts, which fails the test loudly. The manifest and
// tokenizer symbols come from FakeModelData.cpp, generated at build time.
//
//===----------------------------------------------------------------------===//
#include "runtime/ModelABI.h"
#include "test/unit/runtime/FakeModelRule.h"

#include <cstdio>
#include <cstdlib>
#include <vector>

using namespace lmc::rt::fake;

namespace {

void check(bool ok, const char *what) {
  if (!ok) {
    std::fprintf(stderr, "fake model: bad call: %s\n", what);
    std::abort();
  }
}

struct Call {
  lmc_memref_u8_1d *weights;
  lmc_memref_i32_1d *tokens;
  int64_t pos;
  lmc_memref_cache_5d *cache;
  int64_t nOut;
  lmc_memref_f32_2d *logits;
  int64_t n;
  int64_t capacity;
  /// Row being computed (for the vocabulary loop).
  int64_t row;
  int32_t favoured;

  float &cacheAt(int64_t p, int64_t slotIndex) {
    int64_t l = slotIndex / (kStreams * kHeads * kDim);
    int64_t s = slotIndex / (kHeads * kDim) % kStreams;
    int64_t h = slotIndex / kDim % kHeads;
    int64_t d = slotIndex % kDim;
    const int64_t *st = cache->strides;
    // The fake model's manifest declares an f32 cache.
    return static_cast<float *>(cache->aligned)[cache->offset + l * st[0] + s * st[1] + h * st[2] +
                          p * st[3] + d * st[4]];
  }
};

void writeCache(void *ctx, int64_t begin, int64_t end) {
  Call &c = *static_cast<Call *>(ctx);
  for (int64_t i = begin; i < end; ++i) {
    int32_t token = c.tokens->aligned[c.tokens->offset + i * c.tokens->strides[0]];
    for (int64_t k = 0; k < kLayers * kStreams * kHeads * kDim; ++k)
      c.cacheAt(c.pos + i, k) = cacheValue(token, k);
  }
}

void writeRowChunk(void *ctx, int64_t begin, int64_t end) {
  Call &c = *static_cast<Call *>(ctx);
  int64_t p = c.pos + c.n - c.nOut + c.row;
  const uint8_t *w = c.weights->aligned + c.weights->offset;
  float *out = c.logits->aligned + c.logits->offset + c.row * c.logits->strides[0];
  for (int64_t v = begin; v < end; ++v) {
    // Must equal logit(): the weights must be the mapped file.
    float base = float((v * 37 + p * 11) % 101) / 64.0f;
    out[v * c.logits->strides[1]] =
        base + float(w[v]) / 4096.0f + (v == c.favoured ? 4.0f : 0.0f);
  }
}

void writeRows(void *ctx, int64_t begin, int64_t end) {
  Call rowCall = *static_cast<Call *>(ctx);
  for (int64_t r = begin; r < end; ++r) {
    int64_t p = rowCall.pos + rowCall.n - rowCall.nOut + r;
    // The history comes from the cache only, checked entry by entry.
    std::vector<int32_t> history(size_t(p + 1));
    for (int64_t q = 0; q <= p; ++q) {
      float v0 = rowCall.cacheAt(q, 0);
      check(v0 >= 0 && v0 < kVocab && float(int32_t(v0)) == v0,
            "cache entry is not a token");
      for (int64_t k = 0; k < kLayers * kStreams * kHeads * kDim; ++k)
        check(rowCall.cacheAt(q, k) == cacheValue(int32_t(v0), k),
              "cache content is inconsistent");
      history[size_t(q)] = int32_t(v0);
    }
    rowCall.row = r;
    rowCall.favoured = target(history.data(), p);
    // Nested inside writeRows' own parallel loop: runs inline.
    lmc_rt_parallel_for(writeRowChunk, &rowCall, kVocab);
  }
}

} // namespace

extern "C" void _mlir_ciface_lmc_forward(lmc_memref_u8_1d *weights,
                                         lmc_memref_i32_1d *tokens, int64_t pos,
                                         lmc_memref_cache_5d *cache, int64_t nOut,
                                         lmc_memref_f32_2d *logits) {
  check(weights && tokens && cache && logits, "null descriptor");
  check(weights->sizes[0] == int64_t(kWeightsSize) && weights->strides[0] == 1,
        "weights memref");
  int64_t n = tokens->sizes[0];
  check(n >= 1 && tokens->strides[0] == 1, "tokens memref");
  int64_t capacity = cache->sizes[3];
  check(cache->sizes[0] == kLayers && cache->sizes[1] == kStreams &&
            cache->sizes[2] == kHeads && cache->sizes[4] == kDim,
        "cache sizes");
  check(cache->strides[4] == 1 && cache->strides[3] == kDim &&
            cache->strides[2] == capacity * kDim &&
            cache->strides[1] == kHeads * capacity * kDim &&
            cache->strides[0] == kStreams * kHeads * capacity * kDim,
        "cache strides");
  check(pos >= 0 && pos + n <= capacity, "capacity");
  check(nOut >= 1 && nOut <= n && logits->sizes[0] == nOut &&
            logits->sizes[1] == kVocab && logits->strides[0] == kVocab &&
            logits->strides[1] == 1,
        "logits memref");
  for (int64_t i = 0; i < n; ++i)
    check(tokens->aligned[i] >= 0 && tokens->aligned[i] < kVocab, "token id");

  Call call{weights, tokens, pos, cache, nOut, logits, n, capacity, 0, 0};
  lmc_rt_parallel_for(writeCache, &call, n);
  lmc_rt_parallel_for(writeRows, &call, nOut);
}
