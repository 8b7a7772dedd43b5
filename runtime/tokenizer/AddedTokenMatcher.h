//===- AddedTokenMatcher.h - Finds added tokens in text ---------*- C++ -*-===//
//
// Finds the Control and UserDefined tokens in input text before anything else
// sees it, as Hugging Face tokenizers do: scanning left to right, at the first
// position where any token matches, the longest matching token is taken.
//
//===----------------------------------------------------------------------===//
#ifndef LMC_RUNTIME_TOKENIZER_ADDEDTOKENMATCHER_H
#define LMC_RUNTIME_TOKENIZER_ADDEDTOKENMATCHER_H

#include <bitset>
#include <cstdint>
#include <string_view>
#include <vector>

namespace lmc::rt {

class AddedTokenMatcher {
public:
  struct Match {
    size_t begin, length;
    int32_t id;
  };

  /// Adds a token; special tokens are matched only when asked to. Empty texts
  /// are ignored; for a repeated text the first token added wins.
  void add(std::string_view text, int32_t id, bool special);
  bool empty() const { return nodes_.size() <= 1; }

  /// The leftmost-longest match at or after pos, if any.
  bool findNext(std::string_view text, size_t pos, bool includeSpecial,
                Match &match) const;

private:
  struct Node {
    // Sorted by byte: (byte, child node index).
    std::vector<std::pair<uint8_t, int32_t>> children;
    int32_t id = -1;
    bool special = false;
  };
  int32_t child(int32_t node, uint8_t byte) const;

  std::vector<Node> nodes_{1};
  std::bitset<256> firstBytes_;
  // Usually every added token starts with '<': then memchr finds candidates.
  int singleFirstByte_ = -1;
};

} // namespace lmc::rt

#endif // LMC_RUNTIME_TOKENIZER_ADDEDTOKENMATCHER_H
