//===- WeightsTest.cpp - Mapping and checking the weights file ------------===//
#include "runtime/core/Weights.h"
#include "runtime/support/Fingerprint.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

using namespace lmc::rt;

namespace {
class WeightsTest : public ::testing::Test {
protected:
  void SetUp() override {
    path = "/tmp/lmc-weights-" + std::to_string(::getpid()) + ".weights";
    for (int i = 0; i < 10000; ++i)
      data.push_back(char(i * 7));
    std::ofstream(path, std::ios::binary) << data;
    fp = fingerprint(reinterpret_cast<const uint8_t *>(data.data()),
                     data.size());
  }
  void TearDown() override { ::unlink(path.c_str()); }

  std::string path, data, fp;
};
} // namespace

TEST_F(WeightsTest, MapsTheFile) {
  std::string err;
  auto w = Weights::open(path, data.size(), fp, err);
  ASSERT_TRUE(w) << err;
  EXPECT_EQ(w->size(), data.size());
  EXPECT_EQ(w->path(), path);
  EXPECT_EQ(std::string(reinterpret_cast<const char *>(w->data()), w->size()),
            data);
  // A shared mapping, not a copy: a write to the file shows through.
  int fd = ::open(path.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::pwrite(fd, "Z", 1, 5000), 1);
  ::close(fd);
  EXPECT_EQ(w->data()[5000], 'Z');
}

TEST_F(WeightsTest, MissingFile) {
  std::string err;
  bool mismatch = true;
  EXPECT_FALSE(Weights::open(path + ".nope", data.size(), fp, err, &mismatch));
  EXPECT_FALSE(mismatch);
  EXPECT_NE(err.find("cannot open weights file"), std::string::npos) << err;
  EXPECT_NE(err.find("No such file"), std::string::npos) << err;
}

TEST_F(WeightsTest, NotARegularFile) {
  std::string err;
  EXPECT_FALSE(Weights::open("/tmp", 0, fp, err));
  EXPECT_NE(err.find("not a regular file"), std::string::npos) << err;
}

TEST_F(WeightsTest, WrongSize) {
  std::string err;
  bool mismatch = false;
  EXPECT_FALSE(Weights::open(path, data.size() + 1, fp, err, &mismatch));
  EXPECT_TRUE(mismatch);
  EXPECT_NE(err.find("10000 bytes"), std::string::npos) << err;
  EXPECT_NE(err.find("10001"), std::string::npos) << err;
}

TEST_F(WeightsTest, WrongFingerprint) {
  std::string err;
  bool mismatch = false;
  EXPECT_FALSE(
      Weights::open(path, data.size(), "0000000000000000", err, &mismatch));
  EXPECT_TRUE(mismatch);
  EXPECT_NE(err.find("does not belong to this model"), std::string::npos)
      << err;
  EXPECT_NE(err.find(fp), std::string::npos) << err;
}

TEST_F(WeightsTest, UnreadableFile) {
  if (::geteuid() == 0)
    GTEST_SKIP() << "root reads everything";
  ::chmod(path.c_str(), 0);
  std::string err;
  EXPECT_FALSE(Weights::open(path, data.size(), fp, err));
  EXPECT_NE(err.find("Permission denied"), std::string::npos) << err;
}

TEST_F(WeightsTest, EmptyFile) {
  std::ofstream(path, std::ios::trunc);
  std::string err;
  auto w = Weights::open(path, 0, fingerprint(nullptr, 0), err);
  ASSERT_TRUE(w) << err;
  EXPECT_EQ(w->size(), 0u);
  EXPECT_NE(w->data(), nullptr);
}

namespace {
/// The weights file plus two parts mapped after it.
class WeightPartsTest : public WeightsTest {
protected:
  void SetUp() override {
    WeightsTest::SetUp();
    for (int p = 0; p < 2; ++p) {
      std::string bytes;
      for (int i = 0; i < 70000 + p * 3; ++i)
        bytes.push_back(char(i * 13 + p));
      std::string suffix = "." + std::to_string(p + 1);
      std::ofstream(path + suffix, std::ios::binary) << bytes;
      uint64_t base = p == 0 ? kWeightsPartAlignment : 3 * kWeightsPartAlignment;
      parts.push_back({suffix, base, bytes.size(),
                       fingerprint(reinterpret_cast<const uint8_t *>(bytes.data()),
                                   bytes.size())});
      partData.push_back(bytes);
    }
  }
  void TearDown() override {
    for (const WeightsPart &p : parts)
      ::unlink((path + p.suffix).c_str());
    WeightsTest::TearDown();
  }

  std::vector<WeightsPart> parts;
  std::vector<std::string> partData;
};
} // namespace

TEST_F(WeightPartsTest, MapsEveryPartAtItsBase) {
  std::string err;
  auto w = Weights::open(path, data.size(), fp, parts, err);
  ASSERT_TRUE(w) << err;
  EXPECT_EQ(w->size(), parts[1].base + parts[1].fileSize);
  auto at = [&](uint64_t base, uint64_t n) {
    return std::string(reinterpret_cast<const char *>(w->data()) + base, n);
  };
  EXPECT_EQ(at(0, data.size()), data);
  for (size_t p = 0; p < parts.size(); ++p)
    EXPECT_EQ(at(parts[p].base, parts[p].fileSize), partData[p]) << "part " << p;
}

TEST_F(WeightPartsTest, MissingPart) {
  ::unlink((path + ".2").c_str());
  std::string err;
  bool mismatch = true;
  EXPECT_FALSE(Weights::open(path, data.size(), fp, parts, err, &mismatch));
  EXPECT_FALSE(mismatch);
  EXPECT_NE(err.find(path + ".2"), std::string::npos) << err;
  EXPECT_NE(err.find("No such file"), std::string::npos) << err;
}

TEST_F(WeightPartsTest, WrongPart) {
  std::string err;
  bool mismatch = false;
  std::vector<WeightsPart> wrong = parts;
  wrong[0].fileSize += 1;
  EXPECT_FALSE(Weights::open(path, data.size(), fp, wrong, err, &mismatch));
  EXPECT_TRUE(mismatch);
  EXPECT_NE(err.find(path + ".1' has 70000 bytes"), std::string::npos) << err;
  wrong = parts;
  wrong[1].fingerprint = "0000000000000000";
  EXPECT_FALSE(Weights::open(path, data.size(), fp, wrong, err, &mismatch));
  EXPECT_NE(err.find(path + ".2' does not belong"), std::string::npos) << err;
}

TEST_F(WeightPartsTest, MisplacedBase) {
  std::string err;
  std::vector<WeightsPart> wrong = parts;
  wrong[1].base = wrong[0].base; // overlaps the first part
  EXPECT_FALSE(Weights::open(path, data.size(), fp, wrong, err));
  EXPECT_NE(err.find("misplaced base"), std::string::npos) << err;
  wrong = parts;
  wrong[0].base = 4096; // not aligned
  EXPECT_FALSE(Weights::open(path, data.size(), fp, wrong, err));
  EXPECT_NE(err.find("misplaced base"), std::string::npos) << err;
}
