//===- Diagnostics.h - One-line messages about untrusted text ---*- C++ -*-===//
//
// Helpers shared by the Hugging Face readers to build one-line error
// messages: names taken from files are quoted with control and non-ASCII
// bytes escaped and long names shortened, so that a hostile name can neither
// break the line nor flood it.
//
//===----------------------------------------------------------------------===//

#ifndef LMC_FRONTENDS_HF_DIAGNOSTICS_H
#define LMC_FRONTENDS_HF_DIAGNOSTICS_H

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lmc::hf {

/// `s` in single quotes; bytes below 0x20, 0x7f, quotes, backslashes and
/// bytes of invalid UTF-8 as \xNN; at most `maxBytes` bytes, then "...".
std::string quoteName(std::string_view s, size_t maxBytes = 120);
/// `s` with every byte that could break a one-line message escaped (as in
/// quoteName(), without the quotes).
std::string sanitized(std::string_view s, size_t maxBytes = 240);
/// Decimal text of `v`.
inline std::string num(uint64_t v) { return std::to_string(v); }
/// "[2, 3, 4]".
std::string shapeString(const std::vector<uint64_t> &shape);
/// True if `s` is well-formed UTF-8 (no overlong forms, surrogates or code
/// points above U+10FFFF).
bool isValidUtf8(std::string_view s);

} // namespace lmc::hf

#endif // LMC_FRONTENDS_HF_DIAGNOSTICS_H
