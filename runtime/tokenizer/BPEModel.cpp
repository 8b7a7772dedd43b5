//===- BPEModel.cpp - Byte-level BPE merging -------------------------------===//

#include "runtime/tokenizer/BPEModel.h"

#include "runtime/tokenizer/Unicode.h"

#include <atomic>
#include <climits>
#include <cstring>
#include <queue>

namespace lmc::rt {
namespace {

bool isBpeToken(TokenType t) {
  return t == TokenType::Normal || t == TokenType::Byte;
}

std::string byteLevelText(uint8_t b) {
  std::string s;
  unicode::appendUtf8(s, unicode::byteToChar(b));
  return s;
}

/// A direct-mapped cache from short pieces to their ids, one per thread. It
/// belongs to one model at a time and is wiped when another one uses it.
struct PieceCache {
  static constexpr size_t kSlots = 4096; // 256 KiB: fits in L2.
  static constexpr size_t kMaxKey = 22, kMaxIds = 10;
  struct Slot {
    uint8_t keyLength; // 0: empty (pieces are never empty).
    uint8_t idCount;
    char key[kMaxKey];
    int32_t ids[kMaxIds];
  };
  static_assert(sizeof(Slot) == 64, "one cache line per slot");

  uint64_t owner = 0;
  std::unique_ptr<Slot[]> slots;

  Slot &slotFor(uint64_t model, std::string_view piece) {
    if (owner != model || !slots) {
      if (!slots)
        slots.reset(new Slot[kSlots]);
      std::memset(static_cast<void *>(slots.get()), 0, sizeof(Slot) * kSlots);
      owner = model;
    }
    return slots[hashBytes(piece) & (kSlots - 1)];
  }
};

std::atomic<uint64_t> nextCacheOwner{1};

} // namespace

BPEModel::BPEModel() : cacheOwner_(nextCacheOwner.fetch_add(1)) {}

std::unique_ptr<BPEModel>
BPEModel::create(const TokenizerSpec &spec,
                 const std::vector<std::string> &bytes, std::string &err) {
  std::unique_ptr<BPEModel> model(new BPEModel());
  model->ignoreMerges_ = spec.ignoreMerges;
  auto bpe = [&](int32_t id) { return isBpeToken(spec.types[id]); };
  model->byBytes_.build(bytes, bpe);

  // A merge's result is found by its text.
  StringIdMap byText;
  byText.build(spec.tokens, bpe);

  for (unsigned b = 0; b < 256; ++b) {
    int32_t id = byText.find(byteLevelText(uint8_t(b)));
    if (id < 0) {
      err = "no vocabulary token for byte " + std::to_string(b) +
            " (byte-level BPE needs all 256)";
      return nullptr;
    }
    model->byteTokens_[b] = id;
  }

  size_t cap = 16;
  while (cap < spec.merges.size() * 2)
    cap <<= 1;
  model->merges_.assign(cap, Merge{kEmpty, 0, 0});
  model->mask_ = cap - 1;
  std::string joined;
  int32_t n = int32_t(spec.tokens.size());
  for (size_t rank = 0; rank < spec.merges.size(); ++rank) {
    auto [left, right] = spec.merges[rank];
    if (left < 0 || left >= n || right < 0 || right >= n || !bpe(left) ||
        !bpe(right)) {
      err = "merge " + std::to_string(rank) + " (" + std::to_string(left) +
            ", " + std::to_string(right) + ") is not a pair of BPE tokens";
      return nullptr;
    }
    joined.assign(spec.tokens[left]).append(spec.tokens[right]);
    int32_t result = byText.find(joined);
    if (result < 0) {
      if (joined.size() > 40)
        joined = joined.substr(0, 40) + "...";
      err = "merge " + std::to_string(rank) + ": its result '" + joined +
            "' is not a vocabulary token";
      return nullptr;
    }
    uint64_t key = pairKey(left, right);
    for (size_t i = model->slotOf(key);; i = (i + 1) & model->mask_) {
      Merge &m = model->merges_[i];
      if (m.key == key)
        break; // A repeated merge: the first (lowest rank) wins.
      if (m.key == kEmpty) {
        m = Merge{key, int32_t(rank), result};
        break;
      }
    }
  }
  return model;
}

void BPEModel::encodePiece(std::string_view piece,
                           std::vector<int32_t> &out) const {
  if (piece.size() <= 1 || piece.size() > PieceCache::kMaxKey) {
    encodePieceWith(piece, piece.size() > kSmallPiece, out);
    return;
  }
  thread_local PieceCache cache;
  PieceCache::Slot &slot = cache.slotFor(cacheOwner_, piece);
  if (slot.keyLength == piece.size() &&
      std::memcmp(slot.key, piece.data(), piece.size()) == 0) {
    out.insert(out.end(), slot.ids, slot.ids + slot.idCount);
    return;
  }
  size_t first = out.size();
  encodePieceWith(piece, false, out);
  size_t count = out.size() - first;
  if (count <= PieceCache::kMaxIds) {
    slot.keyLength = uint8_t(piece.size());
    slot.idCount = uint8_t(count);
    std::memcpy(slot.key, piece.data(), piece.size());
    std::memcpy(slot.ids, out.data() + first, count * sizeof(int32_t));
  }
}

void BPEModel::encodePieceWith(std::string_view piece, bool useHeap,
                               std::vector<int32_t> &out) const {
  if (piece.empty())
    return;
  if (piece.size() == 1) {
    out.push_back(byteTokens_[uint8_t(piece[0])]);
    return;
  }
  if (ignoreMerges_) {
    int32_t id = byBytes_.find(piece);
    if (id >= 0) {
      out.push_back(id);
      return;
    }
  }
  size_t first = out.size();
  for (char c : piece)
    out.push_back(byteTokens_[uint8_t(c)]);
  // Merge in place: the symbols are the tail of out.
  int32_t *syms = out.data() + first;
  size_t n = useHeap ? mergeHeap(syms, piece.size())
                     : mergeSmall(syms, piece.size());
  out.resize(first + n);
}

size_t BPEModel::mergeSmall(int32_t *syms, size_t n) const {
  // r[i] is the rank of the pair (syms[i], syms[i+1]), INT_MAX if none.
  int32_t ranks[kSmallPiece];
  std::vector<int32_t> bigRanks;
  int32_t *r = ranks;
  if (n > kSmallPiece) {
    bigRanks.resize(n);
    r = bigRanks.data();
  }
  auto rankOf = [&](size_t i) {
    const Merge *m = findMerge(syms[i], syms[i + 1]);
    return m ? m->rank : INT_MAX;
  };
  for (size_t i = 0; i + 1 < n; ++i)
    r[i] = rankOf(i);
  while (n > 1) {
    size_t best = 0;
    for (size_t i = 1; i + 1 < n; ++i)
      if (r[i] < r[best])
        best = i;
    if (r[best] == INT_MAX)
      break;
    syms[best] = findMerge(syms[best], syms[best + 1])->result;
    for (size_t i = best + 1; i + 1 < n; ++i) {
      syms[i] = syms[i + 1];
      r[i] = r[i + 1];
    }
    --n;
    if (best + 1 < n)
      r[best] = rankOf(best);
    if (best > 0)
      r[best - 1] = rankOf(best - 1);
  }
  return n;
}

size_t BPEModel::mergeHeap(int32_t *syms, size_t n) const {
  // A doubly linked list over the symbols and a min-heap of candidate merges
  // by (rank, position). An entry goes stale when either side has merged
  // since; symbols only grow, so comparing both ids detects that.
  std::vector<int32_t> prev(n), next(n);
  for (size_t i = 0; i < n; ++i) {
    prev[i] = int32_t(i) - 1;
    next[i] = i + 1 < n ? int32_t(i + 1) : -1;
  }
  struct Candidate {
    int32_t rank, pos, left, right;
    bool operator>(const Candidate &o) const {
      return rank != o.rank ? rank > o.rank : pos > o.pos;
    }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> heap;
  auto push = [&](int32_t i) {
    if (i < 0 || next[i] < 0)
      return;
    if (const Merge *m = findMerge(syms[i], syms[next[i]]))
      heap.push({m->rank, i, syms[i], syms[next[i]]});
  };
  for (size_t i = 0; i + 1 < n; ++i)
    push(int32_t(i));
  std::vector<bool> alive(n, true);
  while (!heap.empty()) {
    Candidate c = heap.top();
    heap.pop();
    int32_t i = c.pos, j = next[i];
    if (!alive[i] || j < 0 || syms[i] != c.left || syms[j] != c.right)
      continue;
    syms[i] = findMerge(c.left, c.right)->result;
    alive[j] = false;
    next[i] = next[j];
    if (next[j] >= 0)
      prev[next[j]] = i;
    push(prev[i]);
    push(i);
  }
  size_t k = 0;
  for (int32_t i = 0; i >= 0; i = next[i])
    syms[k++] = syms[i];
  return k;
}

} // namespace lmc::rt
