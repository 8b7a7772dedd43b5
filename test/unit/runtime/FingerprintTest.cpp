//===- FingerprintTest.cpp ------------------------------------------------===//
#include "runtime/support/Fingerprint.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <unistd.h>

using namespace lmc::rt;

namespace {
/// FNV-1a-64 written out independently, over a byte string.
uint64_t fnv1a(const std::string &bytes) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string sizeBytes(uint64_t size) {
  std::string s;
  for (int i = 0; i < 8; ++i)
    s.push_back(char((size >> (8 * i)) & 0xff));
  return s;
}

std::string tempPath(const char *name) {
  return "/tmp/lmc-fp-" + std::to_string(::getpid()) + "-" + name;
}
} // namespace

TEST(Fingerprint, IsFnv1aOfHeadThenSize) {
  std::string data = "hello, weights";
  EXPECT_EQ(fingerprintValue(reinterpret_cast<const uint8_t *>(data.data()),
                             data.size()),
            fnv1a(data + sizeBytes(data.size())));
  EXPECT_EQ(fingerprintValue(nullptr, 0), fnv1a(sizeBytes(0)));
  EXPECT_EQ(fingerprintHex(0x0123456789abcdefull), "0123456789abcdef");
  EXPECT_EQ(fingerprintHex(0xf), "000000000000000f");
  std::string hex = fingerprint(reinterpret_cast<const uint8_t *>("x"), 1);
  EXPECT_EQ(hex.size(), 16u);
  EXPECT_EQ(hex.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(Fingerprint, ReadsOnlyTheFirstMiB) {
  std::vector<uint8_t> a(kFingerprintPrefixBytes + 100, 7), b = a;
  b.back() = 8; // beyond the prefix
  EXPECT_EQ(fingerprint(a.data(), a.size()), fingerprint(b.data(), b.size()));
  b[kFingerprintPrefixBytes - 1] = 9; // inside it
  EXPECT_NE(fingerprint(a.data(), a.size()), fingerprint(b.data(), b.size()));
  // Same head, different size.
  EXPECT_NE(fingerprint(a.data(), a.size()), fingerprint(a.data(), a.size() + 1));
}

TEST(Fingerprint, FileMatchesBytes) {
  std::string path = tempPath("file");
  std::string data(3000000, 'q');
  data[5] = 'z';
  std::ofstream(path, std::ios::binary) << data;
  std::string hex, err;
  uint64_t size = 0;
  ASSERT_TRUE(fingerprintFile(path, hex, size, err)) << err;
  EXPECT_EQ(size, data.size());
  EXPECT_EQ(hex, fingerprint(reinterpret_cast<const uint8_t *>(data.data()),
                             data.size()));
  std::remove(path.c_str());
  EXPECT_FALSE(fingerprintFile(path, hex, size, err));
  EXPECT_NE(err.find(path), std::string::npos) << err;
}
