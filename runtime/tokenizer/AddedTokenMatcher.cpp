//===- AddedTokenMatcher.cpp - Finds added tokens in text ------------------===//

#include "runtime/tokenizer/AddedTokenMatcher.h"

#include <algorithm>
#include <cstring>

namespace lmc::rt {

int32_t AddedTokenMatcher::child(int32_t node, uint8_t byte) const {
  const auto &children = nodes_[node].children;
  auto it = std::lower_bound(
      children.begin(), children.end(), byte,
      [](const std::pair<uint8_t, int32_t> &c, uint8_t b) { return c.first < b; });
  return it != children.end() && it->first == byte ? it->second : -1;
}

void AddedTokenMatcher::add(std::string_view text, int32_t id, bool special) {
  if (text.empty())
    return;
  int32_t node = 0;
  for (char c : text) {
    uint8_t b = uint8_t(c);
    int32_t next = child(node, b);
    if (next < 0) {
      next = int32_t(nodes_.size());
      auto &children = nodes_[node].children;
      children.insert(std::lower_bound(children.begin(), children.end(),
                                       std::make_pair(b, int32_t(0))),
                      {b, next});
      nodes_.emplace_back(); // May reallocate: no references held across.
    }
    node = next;
  }
  if (nodes_[node].id < 0) {
    nodes_[node].id = id;
    nodes_[node].special = special;
  }
  firstBytes_.set(uint8_t(text[0]));
  singleFirstByte_ = firstBytes_.count() == 1 ? uint8_t(text[0]) : -1;
}

bool AddedTokenMatcher::findNext(std::string_view text, size_t pos,
                                 bool includeSpecial, Match &match) const {
  if (empty())
    return false;
  const auto *p = reinterpret_cast<const unsigned char *>(text.data());
  size_t n = text.size();
  int single = singleFirstByte_;
  for (size_t i = pos; i < n; ++i) {
    if (single >= 0) {
      const void *hit = std::memchr(p + i, single, n - i);
      if (!hit)
        return false;
      i = static_cast<const unsigned char *>(hit) - p;
    } else if (!firstBytes_.test(p[i])) {
      continue;
    }
    int32_t node = 0, best = -1;
    size_t bestLen = 0;
    for (size_t j = i; j < n; ++j) {
      node = child(node, p[j]);
      if (node < 0)
        break;
      const Node &nd = nodes_[node];
      if (nd.id >= 0 && (includeSpecial || !nd.special)) {
        best = nd.id;
        bestLen = j + 1 - i;
      }
    }
    if (best >= 0) {
      match = {i, bestLen, best};
      return true;
    }
  }
  return false;
}

} // namespace lmc::rt
