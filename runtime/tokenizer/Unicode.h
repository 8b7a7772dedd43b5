//===- Unicode.h - UTF-8 and NFC helpers for the tokenizer ------*- C++ -*-===//
//
// Just what the tokenizer needs: strict UTF-8 decoding (the pre-tokenizer
// regexes run in PCRE2's UTF mode, which requires valid input), the GPT-2
// byte <-> character mapping of byte-level BPE, and NFC normalization from
// generated tables (UnicodeTables.inc).
//
//===----------------------------------------------------------------------===//
#ifndef LMC_RUNTIME_TOKENIZER_UNICODE_H
#define LMC_RUNTIME_TOKENIZER_UNICODE_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace lmc::rt::unicode {

/// Decodes one code point at the start of [p, p + n). Returns its length in
/// bytes, or 0 if the bytes there are not a well-formed UTF-8 sequence
/// (overlong forms, surrogates and values above U+10FFFF are ill-formed).
size_t decodeUtf8(const unsigned char *p, size_t n, uint32_t &cp);

/// The number of bytes a sequence starting with this lead byte claims (1..4),
/// or 0 for a byte that cannot start a sequence.
size_t utf8SequenceLength(unsigned char lead);

void appendUtf8(std::string &out, uint32_t cp);

/// The character byte-level BPE uses for byte b (GPT-2's bytes_to_unicode).
uint32_t byteToChar(uint8_t b);
/// The inverse: the byte for a byte-level character, or -1 if cp is not one.
int charToByte(uint32_t cp);

/// A fast test on valid UTF-8: true means the text is certainly in NFC; false
/// means it holds a character that NFC might change (call toNFC).
bool isNFCQuick(std::string_view text);
/// NFC of valid UTF-8 text: returns false (out untouched) when the text is
/// already in NFC, else true with the normalized text in out. Only the spans
/// around characters that NFC may change are worked on.
bool normalizeNFC(std::string_view text, std::string &out);
/// NFC of valid UTF-8 text.
std::string toNFC(std::string_view text);

/// The Unicode version of the NFC tables.
const char *unicodeVersion();

} // namespace lmc::rt::unicode

#endif // LMC_RUNTIME_TOKENIZER_UNICODE_H
