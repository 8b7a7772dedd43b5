//===- Serialization.h - Binary form of a TokenizerSpec ---------*- C++ -*-===//
//
// The compiler embeds the tokenizer in the executable as this blob; the
// runtime reads it back. Layout (little-endian; "varint" is unsigned LEB128 of
// at most 32 bits):
//
//   "LMCTOKNZ"                       magic, 8 bytes
//   u32 version                      kTokenizerFormatVersion
//   u8 preTokenizer, u8 normalizer, u8 flags (1: ignoreMerges, 2: addBos), u8 0
//   i32 bos, i32 eot, i32 pad
//   varint nEos, i32 × nEos
//   varint nTokens, then per token: u8 type, varint length, bytes
//   varint nMerges, then per merge: varint left id, varint right id
//   varint length, bytes             chat template
//   u64 checksum                     hashBytes() of everything before it
//
// Reading checks every length against the bytes left, every enum value, and
// the checksum, so a truncated or corrupted blob is an error, never a crash.
//
//===----------------------------------------------------------------------===//
#ifndef LMC_RUNTIME_TOKENIZER_SERIALIZATION_H
#define LMC_RUNTIME_TOKENIZER_SERIALIZATION_H

#include "runtime/tokenizer/TokenizerSpec.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace lmc::rt {

constexpr uint32_t kTokenizerFormatVersion = 1;

std::vector<uint8_t> serializeTokenizer(const TokenizerSpec &spec);

/// Fills spec from data; on failure returns false with a one-line reason in
/// err (spec is then unspecified).
bool deserializeTokenizer(const uint8_t *data, size_t size, TokenizerSpec &spec,
                          std::string &err);

} // namespace lmc::rt

#endif // LMC_RUNTIME_TOKENIZER_SERIALIZATION_H
