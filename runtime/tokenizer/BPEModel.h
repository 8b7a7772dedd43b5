//===- BPEModel.h - Byte-level BPE merging ----------------------*- C++ -*-===//
//
// Turns one pre-tokenized piece (raw bytes) into token ids: every byte starts
// as its byte-level token, then the adjacent pair with the lowest merge rank
// is merged (the leftmost among equal ranks) until no pair has a merge. This
// is the order Hugging Face's BPE applies merges in.
//
//===----------------------------------------------------------------------===//
#ifndef LMC_RUNTIME_TOKENIZER_BPEMODEL_H
#define LMC_RUNTIME_TOKENIZER_BPEMODEL_H

#include "runtime/tokenizer/StringIdMap.h"
#include "runtime/tokenizer/TokenizerSpec.h"

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace lmc::rt {

class BPEModel {
public:
  /// Builds the merge table from the spec. bytes[id] is the byte string of
  /// token id; bytes must outlive the model. Fails (null, reason in err) when a byte has no token or a
  /// merge's parts or result are not vocabulary tokens.
  static std::unique_ptr<BPEModel> create(const TokenizerSpec &spec,
                                          const std::vector<std::string> &bytes,
                                          std::string &err);

  /// Appends the ids of one piece to out. Short pieces go through a small
  /// per-thread cache: text repeats its words, and a hit skips the merge-table
  /// lookups, which are cache misses in tables of megabytes.
  void encodePiece(std::string_view piece, std::vector<int32_t> &out) const;

  /// The byte's token.
  int32_t byteToken(uint8_t b) const { return byteTokens_[b]; }

  /// Pieces of at most this many bytes merge in a flat array (fast for the
  /// short pieces of ordinary text); longer ones use a heap, O(n log n).
  static constexpr size_t kSmallPiece = 32;
  /// For tests: merge with the chosen algorithm regardless of length.
  void encodePieceWith(std::string_view piece, bool useHeap,
                       std::vector<int32_t> &out) const;

private:
  struct Merge {
    uint64_t key; // left << 32 | right; kEmpty for a free slot.
    int32_t rank;
    int32_t result;
  };
  static constexpr uint64_t kEmpty = ~uint64_t(0);

  BPEModel();
  static uint64_t pairKey(int32_t left, int32_t right) {
    return (uint64_t(uint32_t(left)) << 32) | uint32_t(right);
  }
  size_t slotOf(uint64_t key) const {
    uint64_t h = key * 0x9E3779B97F4A7C15ull;
    return (h ^ (h >> 31)) & mask_;
  }
  const Merge *findMerge(int32_t left, int32_t right) const {
    uint64_t key = pairKey(left, right);
    for (size_t i = slotOf(key);; i = (i + 1) & mask_) {
      const Merge &m = merges_[i];
      if (m.key == key)
        return &m;
      if (m.key == kEmpty)
        return nullptr;
    }
  }
  /// Merge syms[0, n) in place; return the new length.
  size_t mergeSmall(int32_t *syms, size_t n) const;
  size_t mergeHeap(int32_t *syms, size_t n) const;

  std::array<int32_t, 256> byteTokens_{};
  std::vector<Merge> merges_;
  size_t mask_ = 0;
  bool ignoreMerges_ = false;
  StringIdMap byBytes_; // Over the tokens' bytes (for ignoreMerges).
  // Identifies this model to the per-thread piece cache (never reused).
  uint64_t cacheOwner_;
};

} // namespace lmc::rt

#endif // LMC_RUNTIME_TOKENIZER_BPEMODEL_H
