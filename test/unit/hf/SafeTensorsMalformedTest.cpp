//===- SafeTensorsMalformedTest.cpp - broken files are rejected cleanly ---===//
//
// Each case builds a file with one thing wrong and checks that the reader
// fails with exactly one line naming the file and that problem. Then every
// prefix of a valid file, and many thousands of randomly mutated headers,
// must fail (or pass) without crashing and with one-line messages.
//
//===----------------------------------------------------------------------===//

#include "HFTestUtil.h"

#include "frontends/hf/Checkpoint.h"
#include "frontends/hf/SafeTensors.h"
#include "frontends/hf/SafeTensorsWriter.h"

#include <random>

using namespace lmc::hf;
using namespace lmc::hf::test;

namespace {

/// `header` followed by `dataBytes` bytes must be rejected with `needle`.
void expectRejected(const std::string &header, uint64_t dataBytes,
                    const std::string &needle) {
  std::string err;
  auto f = SafeTensorsFile::openBuffer(rawSafeTensors(header, dataBytes),
                                       "bad.safetensors", err);
  EXPECT_FALSE(f) << "accepted a file that should fail with: " << needle;
  expectOneLineError(err, "bad.safetensors", needle);
}

void expectRejectedImage(const std::vector<uint8_t> &image,
                         const std::string &needle) {
  std::string err;
  EXPECT_FALSE(SafeTensorsFile::openBuffer(image, "bad.safetensors", err));
  expectOneLineError(err, "bad.safetensors", needle);
}

std::string entry(const std::string &name, const std::string &dtype,
                  const std::string &shape, const std::string &offsets) {
  return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape +
         ",\"data_offsets\":" + offsets + "}";
}

TEST(SafeTensorsMalformed, ValidBaseOpens) {
  std::string err;
  auto f = SafeTensorsFile::openBuffer(
      rawSafeTensors("{" + entry("a", "F32", "[2,2]", "[0,16]") + "," +
                         entry("b", "BF16", "[4]", "[16,24]") + "}",
                     24),
      "ok", err);
  ASSERT_TRUE(f) << err;
  EXPECT_EQ(f->tensors().size(), 2u);
}

TEST(SafeTensorsMalformed, FileTooSmallForTheLength) {
  expectRejectedImage({}, "file is 0 bytes, too small for the 8-byte header "
                          "length");
  expectRejectedImage({1, 2, 3}, "file is 3 bytes");
}

TEST(SafeTensorsMalformed, AbsurdHeaderLengthRejectedBeforeParsing) {
  std::vector<uint8_t> image = rawSafeTensors("{}", 0);
  uint64_t huge = 1ull << 62;
  std::memcpy(image.data(), &huge, 8);
  expectRejectedImage(image, "header length 4611686018427387904 exceeds the "
                             "100000000-byte limit");
  uint64_t max = ~0ull;
  std::memcpy(image.data(), &max, 8);
  expectRejectedImage(image, "exceeds the 100000000-byte limit");
}

TEST(SafeTensorsMalformed, HeaderLengthPastEndOfFile) {
  std::vector<uint8_t> image = rawSafeTensors("{}", 0);
  uint64_t n = 50;
  std::memcpy(image.data(), &n, 8);
  expectRejectedImage(image, "header length 50 extends past the end of the "
                             "file (2 bytes after the length)");
}

TEST(SafeTensorsMalformed, HeaderNotJson) {
  expectRejected("hello", 0, "header is not valid JSON (byte 1)");
  expectRejected("{\"a\":", 0, "header is not valid JSON");
  expectRejected("{} {}", 0, "header is not valid JSON");
  expectRejected(std::string("{}\0\0\0", 5), 0, "header is not valid JSON");
  // Invalid UTF-8 inside a string: the message escapes it.
  expectRejected("{\"\xff\xfe\":1}", 0, "header is not valid JSON");
}

TEST(SafeTensorsMalformed, HeaderNotAnObject) {
  expectRejected("[1, 2]", 0, "header is not a JSON object");
  expectRejected("\"str\"", 0, "header is not a JSON object");
  expectRejected("42", 0, "header is not a JSON object");
}

TEST(SafeTensorsMalformed, TypeConfusedEntries) {
  expectRejected("{\"a\":[1,2]}", 0,
                 "tensor 'a': entry is an array, not an "
                 "object");
  expectRejected("{\"a\":7}", 0,
                 "tensor 'a': entry is an integer, not an "
                 "object");
  expectRejected("{\"a\":{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}}",
                 4, "tensor 'a': dtype is an integer, not a string");
  expectRejected(
      "{\"a\":{\"dtype\":\"F32\",\"shape\":\"[1]\",\"data_offsets\":[0,4]}}", 4,
      "tensor 'a': shape is a string, not an array");
  expectRejected(
      "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":{\"b\":0}}}", 4,
      "tensor 'a': data_offsets is an object, not an array");
  expectRejected(
      "{\"a\":{\"dtype\":[\"F32\"],\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
      "tensor 'a': dtype is an array, not a string");
}

TEST(SafeTensorsMalformed, MissingFields) {
  expectRejected("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
                 "tensor 'a' has no 'dtype'");
  expectRejected("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4,
                 "tensor 'a' has no 'shape'");
  expectRejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4,
                 "tensor 'a' has no 'data_offsets'");
}

TEST(SafeTensorsMalformed, DuplicateFieldsAndNames) {
  expectRejected("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F16\",\"shape\":[1],"
                 "\"data_offsets\":[0,4]}}",
                 4, "tensor 'a' has a duplicate field 'dtype'");
  expectRejected("{" + entry("a", "F32", "[1]", "[0,4]") + "," +
                     entry("a", "F32", "[1]", "[4,8]") + "}",
                 8, "duplicate tensor name 'a'");
  expectRejected("{\"__metadata__\":{},\"__metadata__\":{}}", 0,
                 "duplicate '__metadata__'");
  expectRejected("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0,
                 "duplicate '__metadata__' key 'k'");
}

TEST(SafeTensorsMalformed, UnknownAndUnsupportedDTypes) {
  expectRejected("{" + entry("a", "F17", "[1]", "[0,4]") + "}", 4,
                 "tensor 'a' has unknown dtype 'F17'");
  expectRejected("{" + entry("a", "f32", "[1]", "[0,4]") + "}", 4,
                 "tensor 'a' has unknown dtype 'f32'");
  for (const char *name : {"F64", "I64", "I32", "I16", "I8", "BOOL", "F8_E5M2",
                           "U16", "U32", "U64", "C64", "F8_E8M0"}) {
    SCOPED_TRACE(name);
    unsigned bytes = dtypeBits(*parseDType(name)) / 8;
    expectRejected(
        "{" + entry("a", name, "[2]", "[0," + std::to_string(2 * bytes) + "]") +
            "}",
        2 * bytes,
        std::string("tensor 'a' has dtype ") + name +
            ", which lmc does not read");
  }
}

TEST(SafeTensorsMalformed, BadShapes) {
  expectRejected("{" + entry("a", "F32", "[2,-1]", "[0,4]") + "}", 4,
                 "tensor 'a': shape element 1 is a negative integer, not a "
                 "non-negative integer");
  expectRejected("{" + entry("a", "F32", "[2.0]", "[0,8]") + "}", 8,
                 "tensor 'a': shape element 0 is a non-integer number");
  expectRejected(
      "{" + entry("a", "F32", "[18446744073709551616]", "[0,8]") + "}", 8,
      "shape element 0 is a non-integer number (or an integer "
      "too large for 64 bits)");
  expectRejected("{" + entry("a", "F32", "[[2]]", "[0,8]") + "}", 8,
                 "tensor 'a': shape element 0 is an array");
  expectRejected("{" + entry("a", "F32", "[1,1,1,1,1,1,1,1,1]", "[0,4]") + "}",
                 4, "tensor 'a' has more than 8 dimensions");
  expectRejected(
      "{" + entry("a", "F32", "[4294967296,4294967296]", "[0,4]") + "}", 4,
      "tensor 'a': element count of shape [4294967296, "
      "4294967296] overflows");
  expectRejected("{" + entry("a", "F32", "[4611686018427387904]", "[0,8]") +
                     "}",
                 8, "byte size of shape");
}

TEST(SafeTensorsMalformed, BadOffsets) {
  expectRejected("{" + entry("a", "F32", "[1]", "[0,4,8]") + "}", 8,
                 "tensor 'a': data_offsets must be [begin, end] (more than "
                 "two values)");
  expectRejected("{" + entry("a", "F32", "[1]", "[4]") + "}", 4,
                 "tensor 'a': data_offsets must be [begin, end] (got 1 "
                 "values)");
  expectRejected("{" + entry("a", "F32", "[1]", "[8,4]") + "}", 8,
                 "tensor 'a': data_offsets [8, 4) end before they begin");
  expectRejected("{" + entry("a", "F32", "[1]", "[0,-4]") + "}", 8,
                 "tensor 'a': data_offsets element 1 is a negative integer");
  expectRejected("{" + entry("a", "F32", "[4]", "[0,16]") + "}", 12,
                 "tensor 'a': data_offsets [0, 16) extend past the end of the "
                 "data section (12 bytes)");
  expectRejected("{" + entry("a", "F32", "[3]", "[0,16]") + "}", 16,
                 "tensor 'a': data_offsets [0, 16) span 16 bytes, but F32 x "
                 "[3] needs 12");
  expectRejected("{" +
                     entry("a", "F32", "[1]",
                           "[18446744073709551612,18446744073709551615]") +
                     "}",
                 4, "extend past the end of the data section");
}

TEST(SafeTensorsMalformed, OverlapsGapsAndTrailingBytes) {
  expectRejected("{" + entry("a", "F32", "[2]", "[0,8]") + "," +
                     entry("b", "F32", "[2]", "[4,12]") + "}",
                 12,
                 "tensors 'a' and 'b' overlap (data_offsets [0, 8) and "
                 "[4, 12))");
  // Type confusion: the same bytes claimed twice under different dtypes.
  expectRejected("{" + entry("a", "F32", "[2]", "[0,8]") + "," +
                     entry("b", "BF16", "[4]", "[0,8]") + "}",
                 8, "overlap");
  expectRejected("{" + entry("a", "F32", "[1]", "[0,4]") + "," +
                     entry("b", "F32", "[1]", "[8,12]") + "}",
                 12, "gap of 4 bytes before tensor 'b'");
  expectRejected("{" + entry("a", "F32", "[1]", "[4,8]") + "}", 8,
                 "gap of 4 bytes before tensor 'a'");
  expectRejected("{" + entry("a", "F32", "[1]", "[0,4]") + "}", 10,
                 "6 bytes after the last tensor");
}

TEST(SafeTensorsMalformed, MetadataMustBeStrings) {
  expectRejected("{\"__metadata__\":{\"format\":1}}", 0,
                 "'__metadata__' value of 'format' is an integer, not a "
                 "string");
  expectRejected("{\"__metadata__\":[\"pt\"]}", 0,
                 "'__metadata__' is an array, not an object");
  expectRejected("{\"__metadata__\":{\"a\":{\"b\":\"c\"}}}", 0,
                 "'__metadata__' value of 'a' is an object");
}

TEST(SafeTensorsMalformed, NamesAreEscapedInMessages) {
  expectRejected("{" + entry("", "F32", "[1]", "[0,4]") + "}", 4,
                 "a tensor has an empty name");
  // A JSON-escaped newline in a name must not break the message line.
  expectRejected("{" + entry("a\\nb", "F17", "[1]", "[0,4]") + "}", 4,
                 "tensor 'a\\x0ab' has unknown dtype 'F17'");
  std::string longName(500, 'n');
  expectRejected("{" + entry(longName, "F17", "[1]", "[0,4]") + "}", 4,
                 "...' has unknown dtype");
}

TEST(SafeTensorsMalformed, HostileNestingStopsEarly) {
  std::string deep = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"x\":" +
                     std::string(100000, '[') + std::string(100000, ']') +
                     ",\"data_offsets\":[0,4]}}";
  expectRejected(deep, 4, "header nests JSON values more than 64 levels deep");
  // Unknown fields of modest depth are skipped like the reference does.
  std::string err;
  EXPECT_TRUE(SafeTensorsFile::openBuffer(
      rawSafeTensors("{\"a\":{\"dtype\":\"F32\",\"extra\":{\"k\":[1,{\"z\":"
                     "null}]},\"shape\":[1],\"data_offsets\":[0,4]}}",
                     4),
      "ok", err))
      << err;
}

TEST(SafeTensorsMalformed, SubByteDTypesNeedWholeBytes) {
  ReadOptions lenient;
  lenient.allowUnsupportedDTypes = true;
  std::string err;
  EXPECT_FALSE(SafeTensorsFile::openBuffer(
      rawSafeTensors("{" + entry("a", "F4", "[3]", "[0,2]") + "}", 2), "bad",
      err, lenient));
  expectOneLineError(err, "bad",
                     "tensor 'a': 3 elements of F4 are not a whole number of "
                     "bytes");
  EXPECT_TRUE(SafeTensorsFile::openBuffer(
      rawSafeTensors("{" + entry("a", "F4", "[4]", "[0,2]") + "}", 2), "ok",
      err, lenient))
      << err;
}

TEST(SafeTensorsMalformed, EveryPrefixFailsCleanly) {
  SafeTensorsWriter w;
  std::string err;
  ASSERT_TRUE(
      w.addTensor("a", DType::F32, {2, 3}, std::vector<uint8_t>(24), err));
  ASSERT_TRUE(
      w.addTensor("b", DType::BF16, {5}, std::vector<uint8_t>(10), err));
  w.setMetadata("format", "pt");
  std::vector<uint8_t> full;
  ASSERT_TRUE(w.writeToBuffer(full, err));
  ASSERT_TRUE(SafeTensorsFile::openBuffer(full, "ok", err)) << err;
  for (size_t n = 0; n < full.size(); ++n) {
    SCOPED_TRACE(n);
    std::vector<uint8_t> prefix(full.begin(), full.begin() + n);
    ASSERT_FALSE(SafeTensorsFile::openBuffer(prefix, "bad", err));
    EXPECT_EQ(err.rfind("bad: ", 0), 0u) << err;
    EXPECT_EQ(err.find('\n'), std::string::npos) << err;
  }
}

/// Mutates a valid file's header many ways; the reader must never crash,
/// must report one line when it rejects, and what it accepts must be
/// internally consistent (every tensor inside the file, sizes matching).
TEST(SafeTensorsMalformed, RandomHeaderCorruption) {
  SafeTensorsWriter w;
  std::string err;
  ASSERT_TRUE(w.addTensor("model.embed_tokens.weight", DType::BF16, {4, 8},
                          std::vector<uint8_t>(64, 1), err));
  ASSERT_TRUE(w.addTensor("model.layers.0.mlp.experts.gate_up_proj_blocks",
                          DType::U8, {2, 4, 1, 16},
                          std::vector<uint8_t>(128, 2), err));
  ASSERT_TRUE(w.addTensor("lm_head.weight", DType::F32, {4, 8},
                          std::vector<uint8_t>(128, 3), err));
  w.setMetadata("format", "pt");
  std::vector<uint8_t> base;
  ASSERT_TRUE(w.writeToBuffer(base, err));
  uint64_t headerLen;
  std::memcpy(&headerLen, base.data(), 8);

  std::mt19937_64 rng(20261201);
  const char interesting[] = "{}[]\",:0123456789-.eE \\u\x00\xff";
  size_t accepted = 0, rejected = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::vector<uint8_t> img = base;
    int edits = 1 + int(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      // Inside the header (or what is left of it).
      uint64_t pos = 8 + rng() % std::min<uint64_t>(headerLen, img.size() - 8);
      switch (rng() % 6) {
      case 0: // flip bits
        img[pos] ^= uint8_t(1u << (rng() % 8));
        break;
      case 1: // a JSON-significant byte
        img[pos] = uint8_t(interesting[rng() % (sizeof(interesting) - 1)]);
        break;
      case 2: // delete a byte, keeping the length field honest or not
        img.erase(img.begin() + pos);
        if (rng() % 2) {
          uint64_t n;
          std::memcpy(&n, img.data(), 8);
          --n;
          std::memcpy(img.data(), &n, 8);
        }
        break;
      case 3: // insert a byte
        img.insert(img.begin() + pos,
                   uint8_t(interesting[rng() % (sizeof(interesting) - 1)]));
        break;
      case 4: { // corrupt the length field
        uint64_t n = rng() % 3 == 0 ? rng() : headerLen + (rng() % 17) - 8;
        std::memcpy(img.data(), &n, 8);
        break;
      }
      case 5: // truncate
        img.resize(pos);
        break;
      }
      if (img.size() < 9)
        break;
    }
    auto f = SafeTensorsFile::openBuffer(img, "fuzz", err);
    if (!f) {
      ++rejected;
      ASSERT_EQ(err.rfind("fuzz: ", 0), 0u) << err;
      ASSERT_EQ(err.find('\n'), std::string::npos) << err;
      ASSERT_LT(err.size(), 1200u) << err;
      continue;
    }
    ++accepted;
    uint64_t covered = 0;
    for (const TensorInfo &t : f->tensors()) {
      ASSERT_LE(t.fileOffset, f->fileSize());
      ASSERT_LE(t.nbytes, f->fileSize() - t.fileOffset);
      ASSERT_EQ(t.nbytes * 8, t.numElements() * dtypeBits(t.dtype));
      ASSERT_TRUE(isSupportedDType(t.dtype));
      covered += t.nbytes;
    }
    ASSERT_EQ(covered, f->fileSize() - f->dataOffset());
  }
  EXPECT_GT(rejected, 10000u);
  EXPECT_GT(accepted, 0u) << "some mutations (e.g. inside names) stay valid";
}

//===----------------------------------------------------------------------===//
// Sharded checkpoints whose index disagrees with the shards
//===----------------------------------------------------------------------===//

class BadIndex : public ::testing::Test {
protected:
  void SetUp() override {
    SafeTensorsWriter a, b;
    std::string err;
    ASSERT_TRUE(
        a.addTensor("x", DType::F32, {1}, std::vector<uint8_t>(4), err));
    ASSERT_TRUE(
        b.addTensor("y", DType::F32, {1}, std::vector<uint8_t>(4), err));
    ASSERT_TRUE(a.write(dir.file("s1.safetensors"), err)) << err;
    ASSERT_TRUE(b.write(dir.file("s2.safetensors"), err)) << err;
  }
  void expectIndexError(const std::string &index, const std::string &needle) {
    writeFile(dir.file(kIndexFileName), index);
    std::string err;
    EXPECT_FALSE(Checkpoint::open(dir.path(), err)) << needle;
    expectOneLineError(err, dir.file(kIndexFileName), needle);
  }
  TempDir dir;
};

TEST_F(BadIndex, ConsistentIndexOpens) {
  writeFile(
      dir.file(kIndexFileName),
      R"({"metadata":{"total_size":8},"weight_map":{"x":"s1.safetensors","y":"s2.safetensors"}})");
  std::string err;
  auto ckpt = Checkpoint::open(dir.path(), err);
  ASSERT_TRUE(ckpt) << err;
  EXPECT_EQ(ckpt->files().size(), 2u);
  EXPECT_EQ(ckpt->find("y")->file->path(), dir.file("s2.safetensors"));
}

TEST_F(BadIndex, Structure) {
  expectIndexError("[1]", "the index is an array, not an object");
  expectIndexError(R"({"metadata":{}})", "no 'weight_map'");
  expectIndexError(R"({"weight_map":[]})", "'weight_map' is an array");
  expectIndexError(R"({"weight_map":{}})", "'weight_map' is empty");
  expectIndexError(R"({"weight_map":{"x":1}})",
                   "weight_map entry 'x' is an integer, not a file name");
  expectIndexError(R"({"weight_map":{"x":"s1.safetensors")", "malformed JSON");
  expectIndexError(
      R"({"weight_map":{"x":"s1.safetensors","x":"s2.safetensors"}})",
      "duplicate key 'x'");
}

TEST_F(BadIndex, ShardNamesStayInTheFolder) {
  expectIndexError(R"({"weight_map":{"x":"../s1.safetensors"}})",
                   "names '../s1.safetensors', which is not a plain file name");
  expectIndexError(R"({"weight_map":{"x":"/etc/passwd"}})",
                   "not a plain file name");
  expectIndexError(R"({"weight_map":{"x":".."}})", "not a plain file name");
  expectIndexError(R"({"weight_map":{"x":"a\nb"}})", "not a plain file name");
}

TEST_F(BadIndex, IndexAndShardsDisagree) {
  // A shard the index never names is never opened: that is fine.
  writeFile(dir.file(kIndexFileName),
            R"({"weight_map":{"x":"s1.safetensors"}})");
  std::string err;
  auto ckpt = Checkpoint::open(dir.path(), err);
  ASSERT_TRUE(ckpt) << err;
  EXPECT_EQ(ckpt->numTensors(), 1u);
  // A listed tensor missing from the shard it names is not.
  expectIndexError(
      R"({"weight_map":{"x":"s1.safetensors","y":"s1.safetensors"}})",
      "weight_map puts tensor 'y' in 's1.safetensors', which has no such "
      "tensor");
  expectIndexError(
      R"({"weight_map":{"x":"s2.safetensors","y":"s2.safetensors"}})",
      "weight_map puts tensor 'x' in 's2.safetensors', which has no such "
      "tensor");
}

TEST_F(BadIndex, ShardErrorsNameTheShard) {
  writeFile(dir.file("s3.safetensors"), "garbage!garbage!");
  writeFile(dir.file(kIndexFileName),
            R"({"weight_map":{"x":"s1.safetensors","z":"s3.safetensors"}})");
  std::string err;
  EXPECT_FALSE(Checkpoint::open(dir.path(), err));
  expectOneLineError(err, dir.file("s3.safetensors"), "header length");
  writeFile(dir.file(kIndexFileName),
            R"({"weight_map":{"x":"s1.safetensors","y":"gone.safetensors"}})");
  EXPECT_FALSE(Checkpoint::open(dir.path(), err));
  expectOneLineError(err, dir.file("gone.safetensors"), "cannot open");
}

TEST_F(BadIndex, UnlistedOrMisplacedTensorsInAShard) {
  // s1 holds x; an index that lists s1 only for another tensor misses x.
  SafeTensorsWriter both;
  std::string err;
  ASSERT_TRUE(
      both.addTensor("x", DType::F32, {1}, std::vector<uint8_t>(4), err));
  ASSERT_TRUE(
      both.addTensor("w", DType::F32, {1}, std::vector<uint8_t>(4), err));
  ASSERT_TRUE(both.write(dir.file("s4.safetensors"), err));
  expectIndexError(R"({"weight_map":{"w":"s4.safetensors"}})",
                   "tensor 'x' of shard 's4.safetensors' is not in weight_map");
  expectIndexError(
      R"({"weight_map":{"w":"s4.safetensors","x":"s1.safetensors"}})",
      "weight_map puts tensor 'x' in 's1.safetensors', but it is in "
      "'s4.safetensors'");
}

TEST(Checkpoint, FolderWithoutWeights) {
  TempDir dir;
  std::string err;
  EXPECT_FALSE(Checkpoint::open(dir.path(), err));
  expectOneLineError(err, dir.path(),
                     "no model.safetensors.index.json or model.safetensors");
}

} // namespace
