//===- KVCacheTest.cpp - Sizing, layout, capacity checks ------------------===//
#include "runtime/core/KVCache.h"

#include <gtest/gtest.h>

using namespace lmc::rt;

TEST(KVCache, SizeIsLayersStreamsHeadsCtxDimFloats) {
  KVCacheShape shape{28, 2, 8, 128};
  EXPECT_EQ(KVCache::bytesFor(shape, 4096),
            uint64_t(28) * 2 * 8 * 4096 * 128 * sizeof(float));
  EXPECT_EQ(KVCache::bytesFor(shape, 0), 0u);
  KVCacheShape half{28, 2, 8, 128, /*elementBytes=*/2};
  EXPECT_EQ(KVCache::bytesFor(half, 4096), uint64_t(28) * 2 * 8 * 4096 * 128 * 2);
  EXPECT_EQ(KVCache::bytesFor({1 << 20, 16, 1 << 20, 1 << 20}, INT32_MAX), 0u)
      << "overflow must be detected";
}

TEST(KVCache, DescriptorIsRowMajor5D) {
  std::string err;
  auto cache = KVCache::create({3, 2, 4, 8}, 10, err);
  ASSERT_TRUE(cache) << err;
  EXPECT_EQ(cache->capacity(), 10);
  EXPECT_EQ(cache->bytes(), uint64_t(3 * 2 * 4 * 10 * 8 * 4));
  lmc_memref_cache_5d d = cache->descriptor();
  EXPECT_EQ(d.allocated, cache->data());
  EXPECT_EQ(d.aligned, cache->data());
  EXPECT_EQ(d.offset, 0);
  int64_t sizes[5] = {3, 2, 4, 10, 8};
  int64_t strides[5] = {2 * 4 * 10 * 8, 4 * 10 * 8, 10 * 8, 8, 1};
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(d.sizes[i], sizes[i]);
    EXPECT_EQ(d.strides[i], strides[i]);
  }
  // Zero-filled, page-aligned, writable end to end.
  EXPECT_EQ(reinterpret_cast<uintptr_t>(cache->data()) % 4096, 0u);
  size_t count = cache->bytes() / sizeof(float);
  float *data = static_cast<float *>(cache->data());
  for (size_t i = 0; i < count; ++i)
    ASSERT_EQ(data[i], 0.0f);
  data[count - 1] = 1.0f;
}

TEST(KVCache, HalfElementsTakeTwoBytes) {
  std::string err;
  auto cache = KVCache::create({3, 2, 4, 8, /*elementBytes=*/2}, 10, err);
  ASSERT_TRUE(cache) << err;
  EXPECT_EQ(cache->bytes(), uint64_t(3 * 2 * 4 * 10 * 8 * 2));
  // Strides count elements, not bytes: the same as for f32.
  lmc_memref_cache_5d d = cache->descriptor();
  EXPECT_EQ(d.strides[0], 2 * 4 * 10 * 8);
  EXPECT_EQ(d.strides[3], 8);
  static_cast<uint16_t *>(cache->data())[cache->bytes() / 2 - 1] = 0x3c00;
  EXPECT_FALSE(KVCache::create({1, 1, 1, 4, /*elementBytes=*/3}, 4, err));
  EXPECT_NE(err.find("3 bytes"), std::string::npos) << err;
}

TEST(KVCache, CapacityChecks) {
  std::string err;
  auto cache = KVCache::create({1, 1, 1, 4}, 16, err);
  ASSERT_TRUE(cache) << err;
  EXPECT_TRUE(cache->checkRoom(0, 16, err));
  EXPECT_TRUE(cache->checkRoom(15, 1, err));
  EXPECT_TRUE(cache->checkRoom(16, 0, err));
  EXPECT_FALSE(cache->checkRoom(15, 2, err));
  EXPECT_NE(err.find("context is full"), std::string::npos) << err;
  EXPECT_NE(err.find("16"), std::string::npos) << err;
  EXPECT_FALSE(cache->checkRoom(0, 17, err));
  EXPECT_FALSE(cache->checkRoom(17, 0, err));
  EXPECT_FALSE(cache->checkRoom(-1, 1, err));
  EXPECT_FALSE(cache->checkRoom(1, INT64_MAX, err));
}

TEST(KVCache, BadSizesAreErrors) {
  std::string err;
  EXPECT_FALSE(KVCache::create({1, 1, 1, 4}, 0, err));
  EXPECT_NE(err.find("at least 1"), std::string::npos) << err;
  EXPECT_FALSE(KVCache::create({1, 1, 1, 4}, -3, err));
  err.clear();
  EXPECT_FALSE(KVCache::create({1 << 20, 16, 1 << 20, 1 << 20}, INT32_MAX, err));
  EXPECT_NE(err.find("overflows"), std::string::npos) << err;
  err.clear();
  // Representable but far beyond any machine's memory: a clean error.
  EXPECT_FALSE(KVCache::create({1 << 20, 16, 1 << 10, 1 << 10}, 1 << 10, err));
  EXPECT_FALSE(err.empty());
}

TEST(KVCache, LargeContextCostsNothingUpFront) {
  // 2 GiB of address space; only touched pages take memory.
  std::string err;
  auto cache = KVCache::create({28, 2, 8, 128}, 4096, err);
  ASSERT_TRUE(cache) << err;
  static_cast<float *>(cache->data())[0] = 1.0f;
}
