//===- KVCache.cpp - Allocation of the KV cache ---------------------------===//
#include "runtime/core/KVCache.h"

#include <cerrno>
#include <cstring>
#include <sys/mman.h>

using namespace lmc::rt;

uint64_t KVCache::bytesFor(const KVCacheShape &shape, int64_t capacity) {
  int64_t dims[] = {shape.layers, shape.streams, shape.heads, capacity,
                    shape.dim, shape.elementBytes};
  uint64_t total = 1;
  for (int64_t d : dims) {
    if (d <= 0)
      return 0;
    if (total > UINT64_MAX / uint64_t(d))
      return 0;
    total *= uint64_t(d);
  }
  // Keep the element count addressable with int64 strides.
  return total > uint64_t(INT64_MAX) ? 0 : total;
}

std::unique_ptr<KVCache> KVCache::create(const KVCacheShape &shape,
                                         int64_t capacity, std::string &err) {
  if (shape.elementBytes != 4 && shape.elementBytes != 2) {
    err = "KV cache elements of " + std::to_string(shape.elementBytes) +
          " bytes are not supported (f32 or f16)";
    return nullptr;
  }
  if (capacity <= 0) {
    err = "the context size must be at least 1, not " +
          std::to_string(capacity);
    return nullptr;
  }
  uint64_t bytes = bytesFor(shape, capacity);
  if (bytes == 0) {
    err = "the KV cache size overflows for a context of " +
          std::to_string(capacity) + " tokens";
    return nullptr;
  }
  // An anonymous mapping is zero-filled and page-aligned, and only the pages
  // the forward touches take memory: a large context costs nothing up front.
  void *p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    err = "cannot allocate the KV cache (" +
          std::to_string(bytes >> 20) + " MiB for a context of " +
          std::to_string(capacity) + " tokens): " + std::strerror(errno);
    return nullptr;
  }
  // No MADV_HUGEPAGE: positions are the second-innermost axis, so the first
  // token touches every (layer, stream, head) run of `capacity * dim` floats;
  // huge pages would make each touch fault in (and compact for) 2 MiB.
  std::unique_ptr<KVCache> cache(new KVCache());
  cache->shape_ = shape;
  cache->capacity_ = capacity;
  cache->bytes_ = bytes;
  cache->data_ = p;
  return cache;
}

KVCache::~KVCache() {
  if (data_)
    ::munmap(data_, bytes_);
}

bool KVCache::checkRoom(int64_t pos, int64_t n, std::string &err) const {
  if (pos < 0 || n < 0 || pos > capacity_ || n > capacity_ - pos) {
    err = "the context is full: " + std::to_string(pos) + " + " +
          std::to_string(n) + " tokens do not fit in " +
          std::to_string(capacity_);
    return false;
  }
  return true;
}

lmc_memref_cache_5d KVCache::descriptor() {
  lmc_memref_cache_5d d;
  d.allocated = data_;
  d.aligned = data_;
  d.offset = 0;
  int64_t sizes[5] = {shape_.layers, shape_.streams, shape_.heads, capacity_,
                      shape_.dim};
  int64_t stride = 1;
  for (int i = 4; i >= 0; --i) {
    d.sizes[i] = sizes[i];
    d.strides[i] = stride;
    stride *= sizes[i];
  }
  return d;
}
