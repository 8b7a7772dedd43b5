//===- SafeTensorsHeader.h - Parse a safetensors JSON header ----*- C++ -*-===//
//
// Turns the JSON header of a safetensors file into plain entries, checking
// its shape on the way: a top-level object whose values are tensor entries
// {"dtype": string, "shape": [uint...], "data_offsets": [uint, uint]} plus an
// optional "__metadata__" object of strings. Unknown fields inside a tensor
// entry are skipped (the reference implementation ignores them too).
//
// The header is parsed with a SAX handler, so no JSON tree is built: memory
// is proportional to the number of tensors, and hostile nesting stops early.
// Offsets, sizes and dtypes are validated by SafeTensorsFile, not here.
//
//===----------------------------------------------------------------------===//

#ifndef LMC_FRONTENDS_HF_SAFETENSORSHEADER_H
#define LMC_FRONTENDS_HF_SAFETENSORSHEADER_H

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lmc::hf {

/// Most dimensions a tensor may have (GPT-OSS's MXFP4 blocks have 4).
constexpr size_t kMaxTensorRank = 8;
/// Deepest JSON nesting accepted anywhere in a header (skipped unknown
/// fields included); real headers nest 3 levels.
constexpr unsigned kMaxHeaderNesting = 64;

/// One tensor entry as written in the header.
struct HeaderEntry {
  std::string name;
  std::string dtype;
  std::vector<uint64_t> shape;
  uint64_t begin = 0;
  uint64_t end = 0;
};

struct ParsedHeader {
  /// In header order.
  std::vector<HeaderEntry> tensors;
  /// "__metadata__" entries in header order.
  std::vector<std::pair<std::string, std::string>> metadata;
};

/// Parses `text`. On failure returns false with a one-line `problem` (no
/// path prefix), e.g. "tensor 'w': shape element 1 is not a non-negative
/// integer".
bool parseSafeTensorsHeader(std::string_view text, ParsedHeader &out,
                            std::string &problem);

} // namespace lmc::hf

#endif // LMC_FRONTENDS_HF_SAFETENSORSHEADER_H
