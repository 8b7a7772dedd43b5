//===- HFTestUtil.h - Helpers for the Hugging Face reader tests -*- C++ -*-===//

#ifndef LMC_TEST_UNIT_HF_HFTESTUTIL_H
#define LMC_TEST_UNIT_HF_HFTESTUTIL_H

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace lmc::hf::test {

/// A temporary folder, removed (with its files) at the end of the scope.
class TempDir {
public:
  TempDir() {
    char tmpl[] = "/tmp/lmc-hf-test-XXXXXX";
    const char *p = ::mkdtemp(tmpl);
    dir = p ? p : "/tmp";
  }
  ~TempDir() {
    std::string cmd = "rm -rf '" + dir + "'";
    if (dir.rfind("/tmp/lmc-hf-test-", 0) == 0)
      (void)std::system(cmd.c_str());
  }
  const std::string &path() const { return dir; }
  std::string file(const std::string &name) const { return dir + "/" + name; }

private:
  std::string dir;
};

inline void writeFile(const std::string &path, const std::string &text) {
  std::ofstream(path, std::ios::binary) << text;
}

inline void writeBytes(const std::string &path,
                       const std::vector<uint8_t> &bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char *>(bytes.data()),
            std::streamsize(bytes.size()));
}

/// A safetensors image from a header text and `dataBytes` bytes of data
/// (byte i = i * 7 mod 251, so ranges can be told apart).
inline std::vector<uint8_t> rawSafeTensors(const std::string &header,
                                           uint64_t dataBytes) {
  std::vector<uint8_t> out(8);
  uint64_t n = header.size();
  std::memcpy(out.data(), &n, 8);
  out.insert(out.end(), header.begin(), header.end());
  for (uint64_t i = 0; i < dataBytes; ++i)
    out.push_back(uint8_t(i * 7 % 251));
  return out;
}

/// Expects `error` to be exactly one line starting with "`prefix`: " and
/// containing `needle`.
inline void expectOneLineError(const std::string &error,
                               const std::string &prefix,
                               const std::string &needle) {
  EXPECT_EQ(error.rfind(prefix + ": ", 0), 0u) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  EXPECT_NE(error.find(needle), std::string::npos)
      << "message: " << error << "\nexpected to contain: " << needle;
}

} // namespace lmc::hf::test

#endif // LMC_TEST_UNIT_HF_HFTESTUTIL_H
