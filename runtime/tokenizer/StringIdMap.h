//===- StringIdMap.h - Open-addressing map from strings to ids --*- C++ -*-===//
//
// The vocabulary lookups: maps a string to the id of the entry in a string
// table that equals it. The table stays owned by the caller; the map stores
// only ids, so it is compact and lookups take a string_view (no copies).
//
//===----------------------------------------------------------------------===//
#ifndef LMC_RUNTIME_TOKENIZER_STRINGIDMAP_H
#define LMC_RUNTIME_TOKENIZER_STRINGIDMAP_H

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace lmc::rt {

inline uint64_t hashBytes(std::string_view s) {
  // 8 bytes at a time with a multiply-xorshift mix: fast for short tokens.
  uint64_t h = 0x9E3779B97F4A7C15ull ^ (s.size() * 0xFF51AFD7ED558CCDull);
  const char *p = s.data();
  size_t n = s.size();
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    h = (h ^ v) * 0xC2B2AE3D27D4EB4Full;
    h ^= h >> 29;
    p += 8;
    n -= 8;
  }
  uint64_t v = 0;
  std::memcpy(&v, p, n);
  h = (h ^ v) * 0xC2B2AE3D27D4EB4Full;
  h ^= h >> 32;
  h *= 0x165667B19E3779F9ull;
  h ^= h >> 29;
  return h;
}

class StringIdMap {
public:
  /// Indexes keys[id] for every id that include(id) accepts; when two keys are
  /// equal the lower id wins. keys must outlive the map and stay unchanged.
  template <typename Include>
  void build(const std::vector<std::string> &keys, Include include) {
    keys_ = &keys;
    size_t cap = 16;
    while (cap < keys.size() * 2)
      cap <<= 1;
    slots_.assign(cap, -1);
    mask_ = cap - 1;
    for (size_t id = 0; id < keys.size(); ++id) {
      if (!include(int32_t(id)))
        continue;
      size_t i = hashBytes(keys[id]) & mask_;
      for (;; i = (i + 1) & mask_) {
        int32_t s = slots_[i];
        if (s < 0) {
          slots_[i] = int32_t(id);
          break;
        }
        if (keys[s] == keys[id])
          break;
      }
    }
  }

  /// The id of the key equal to s, or -1.
  int32_t find(std::string_view s) const {
    if (slots_.empty())
      return -1;
    for (size_t i = hashBytes(s) & mask_;; i = (i + 1) & mask_) {
      int32_t id = slots_[i];
      if (id < 0)
        return -1;
      if ((*keys_)[id] == s)
        return id;
    }
  }

private:
  const std::vector<std::string> *keys_ = nullptr;
  std::vector<int32_t> slots_;
  size_t mask_ = 0;
};

} // namespace lmc::rt

#endif // LMC_RUNTIME_TOKENIZER_STRINGIDMAP_H
