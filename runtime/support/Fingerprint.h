//===- Fingerprint.h - Identity check of a weights file ---------*- C++ -*-===//
//
// The compiler records a fingerprint of the weights file in the manifest; the
// runtime recomputes it when it maps the file, so a stale or wrong file is a
// clear error instead of garbage output. The fingerprint must be cheap for
// multi-GB files, so it covers only the head of the file plus its size:
//
//   h = FNV-1a-64 over the first min(size, 1 MiB) bytes, continued over the 8
//       bytes of `size` (little-endian); written as 16 lowercase hex digits.
//
// Header-only and dependency-free so the compiler can call it too.
//
//===----------------------------------------------------------------------===//
#ifndef LMC_RUNTIME_SUPPORT_FINGERPRINT_H
#define LMC_RUNTIME_SUPPORT_FINGERPRINT_H

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace lmc::rt {

/// How much of the file the fingerprint reads.
constexpr uint64_t kFingerprintPrefixBytes = uint64_t(1) << 20;

/// The fingerprint of a file of fileSize bytes whose first
/// min(fileSize, kFingerprintPrefixBytes) bytes are at head.
inline uint64_t fingerprintValue(const uint8_t *head, uint64_t fileSize) {
  constexpr uint64_t kOffset = 0xcbf29ce484222325ull;
  constexpr uint64_t kPrime = 0x100000001b3ull;
  uint64_t h = kOffset;
  uint64_t n = fileSize < kFingerprintPrefixBytes ? fileSize
                                                  : kFingerprintPrefixBytes;
  for (uint64_t i = 0; i < n; ++i) {
    h ^= head[i];
    h *= kPrime;
  }
  for (int i = 0; i < 8; ++i) {
    h ^= (fileSize >> (8 * i)) & 0xff;
    h *= kPrime;
  }
  return h;
}

/// The 16-hex-digit form stored in the manifest.
inline std::string fingerprintHex(uint64_t value) {
  static const char digits[] = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, value >>= 4)
    s[i] = digits[value & 0xf];
  return s;
}

inline std::string fingerprint(const uint8_t *head, uint64_t fileSize) {
  return fingerprintHex(fingerprintValue(head, fileSize));
}

/// Fingerprints the file at path (reads only its head). Returns false with a
/// one-line reason in err when the file cannot be read.
inline bool fingerprintFile(const std::string &path, std::string &hex,
                            uint64_t &fileSize, std::string &err) {
  FILE *f = std::fopen(path.c_str(), "rb");
  if (!f) {
    err = "cannot open '" + path + "': " + std::strerror(errno);
    return false;
  }
  bool ok = std::fseek(f, 0, SEEK_END) == 0;
  long end = ok ? std::ftell(f) : -1;
  ok = ok && end >= 0 && std::fseek(f, 0, SEEK_SET) == 0;
  std::vector<uint8_t> head;
  if (ok) {
    fileSize = uint64_t(end);
    head.resize(fileSize < kFingerprintPrefixBytes ? fileSize
                                                   : kFingerprintPrefixBytes);
    ok = std::fread(head.data(), 1, head.size(), f) == head.size();
  }
  std::fclose(f);
  if (!ok) {
    err = "cannot read '" + path + "'";
    return false;
  }
  hex = fingerprint(head.data(), fileSize);
  return true;
}

} // namespace lmc::rt

#endif // LMC_RUNTIME_SUPPORT_FINGERPRINT_H
