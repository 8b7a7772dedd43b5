//===- KVCache.h - One sequence's key/value cache ---------------*- C++ -*-===//
//
// The compiled forward reads and writes the cache as a memref
// [layers][streams][heads][capacity][dim], row-major, of f32 or f16
// elements. This class owns that
// memory. Allocation stays behind create() so the storage can become paged
// (blocks shared between sequences) without touching the callers.
//
//===----------------------------------------------------------------------===//
#ifndef LMC_RUNTIME_CORE_KVCACHE_H
#define LMC_RUNTIME_CORE_KVCACHE_H

#include "runtime/ModelABI.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace lmc::rt {

struct KVCacheShape {
  int64_t layers = 0;
  int64_t streams = 0;
  int64_t heads = 0;
  int64_t dim = 0;
  /// 4 (f32) or 2 (f16).
  int64_t elementBytes = 4;
};

class KVCache {
public:
  /// A cache with room for capacity positions, zero-filled. The memory is
  /// reserved, not touched: the OS backs it as positions are written.
  /// Returns null with a one-line reason in err (bad sizes, out of memory).
  static std::unique_ptr<KVCache> create(const KVCacheShape &shape,
                                         int64_t capacity, std::string &err);
  ~KVCache();
  KVCache(const KVCache &) = delete;
  KVCache &operator=(const KVCache &) = delete;

  /// Bytes a cache of this shape and capacity needs; 0 if that overflows.
  static uint64_t bytesFor(const KVCacheShape &shape, int64_t capacity);

  const KVCacheShape &shape() const { return shape_; }
  int64_t capacity() const { return capacity_; }
  uint64_t bytes() const { return bytes_; }
  void *data() { return data_; }

  /// True if positions [pos, pos + n) fit; otherwise false with a reason.
  bool checkRoom(int64_t pos, int64_t n, std::string &err) const;

  /// The memref descriptor the forward takes (ModelABI.h).
  lmc_memref_cache_5d descriptor();

private:
  KVCache() = default;
  KVCacheShape shape_;
  int64_t capacity_ = 0;
  uint64_t bytes_ = 0;
  void *data_ = nullptr;
};

} // namespace lmc::rt

#endif // LMC_RUNTIME_CORE_KVCACHE_H
