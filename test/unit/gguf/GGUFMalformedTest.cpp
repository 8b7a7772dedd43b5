//===- GGUFMalformedTest.cpp - the reader rejects broken files cleanly ----===//
//
// Files are assembled byte by byte so that every field can be broken on
// purpose. Each case checks that open fails with one line that names the
// file and the problem.
//
//===----------------------------------------------------------------------===//

#include "frontends/gguf/GGUF.h"
#include "frontends/gguf/GGUFWriter.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <optional>
#include <random>
#include <unistd.h>

using namespace lmc::gguf;

namespace {

/// Little-endian byte assembler.
struct Bytes {
  std::vector<uint8_t> b;
  Bytes &raw(const void *p, size_t n) {
    const uint8_t *q = static_cast<const uint8_t *>(p);
    b.insert(b.end(), q, q + n);
    return *this;
  }
  Bytes &u8(uint8_t v) { return raw(&v, 1); }
  Bytes &u32(uint32_t v) { return raw(&v, 4); }
  Bytes &u64(uint64_t v) { return raw(&v, 8); }
  Bytes &f32(float v) { return raw(&v, 4); }
  Bytes &str(const std::string &s) {
    u64(s.size());
    return raw(s.data(), s.size());
  }
  Bytes &append(const Bytes &o) { return raw(o.b.data(), o.b.size()); }
  size_t size() const { return b.size(); }
};

struct RawTensor {
  std::string name;
  std::vector<uint64_t> ne;
  uint32_t type = 0;
  uint64_t offset = 0;
};

/// A GGUF image with overridable header fields. Metadata entries are given
/// pre-encoded (key, type, value) so they can be broken at will.
struct RawFile {
  std::string magic = "GGUF";
  uint32_t version = 3;
  std::vector<Bytes> kvs;
  std::vector<RawTensor> tensors;
  std::optional<uint64_t> nTensorsOverride, nKVOverride;
  uint64_t alignment = 32;
  uint64_t dataBytes = 0; // zero bytes after the aligned data start

  std::vector<uint8_t> build() const {
    Bytes out;
    out.raw(magic.data(), 4).u32(version);
    out.u64(nTensorsOverride.value_or(tensors.size()));
    out.u64(nKVOverride.value_or(kvs.size()));
    for (const Bytes &kv : kvs)
      out.append(kv);
    for (const RawTensor &t : tensors) {
      out.str(t.name).u32(uint32_t(t.ne.size()));
      for (uint64_t n : t.ne)
        out.u64(n);
      out.u32(t.type).u64(t.offset);
    }
    while (out.size() % alignment)
      out.u8(0);
    for (uint64_t i = 0; i < dataBytes; ++i)
      out.u8(0);
    return out.b;
  }
};

Bytes kvU32(const std::string &key, uint32_t v) {
  Bytes b;
  b.str(key).u32(uint32_t(ValueType::U32)).u32(v);
  return b;
}
Bytes kvString(const std::string &key, const std::string &v) {
  Bytes b;
  b.str(key).u32(uint32_t(ValueType::String)).str(v);
  return b;
}

/// A small valid file: two keys, two F32 tensors.
RawFile validFile() {
  RawFile f;
  f.kvs.push_back(kvString("general.architecture", "qwen3"));
  f.kvs.push_back(kvU32("qwen3.block_count", 1));
  f.tensors.push_back({"a", {4, 2}, 0, 0});   // 32 bytes
  f.tensors.push_back({"b", {8}, 0, 32});     // 32 bytes
  f.dataBytes = 64;
  return f;
}

/// Opening `bytes` must fail with exactly one line "bad.gguf: ..." that
/// contains `needle`.
void expectError(const std::vector<uint8_t> &bytes, const std::string &needle) {
  std::string err;
  auto f = GGUFFile::openBuffer(bytes, "bad.gguf", err);
  EXPECT_FALSE(f) << "accepted a file that should fail with: " << needle;
  EXPECT_EQ(err.rfind("bad.gguf: ", 0), 0u) << err;
  EXPECT_EQ(err.find('\n'), std::string::npos) << err;
  EXPECT_NE(err.find(needle), std::string::npos)
      << "message: " << err << "\nexpected to contain: " << needle;
}

TEST(GGUFMalformed, ValidBaseFileOpens) {
  std::string err;
  auto f = GGUFFile::openBuffer(validFile().build(), "ok.gguf", err);
  ASSERT_TRUE(f) << err;
  EXPECT_EQ(f->tensors().size(), 2u);
  EXPECT_EQ(f->numKeys(), 2u);
  // Version 2 has the same layout and is accepted.
  RawFile v2 = validFile();
  v2.version = 2;
  EXPECT_TRUE(GGUFFile::openBuffer(v2.build(), "v2.gguf", err)) << err;
}

TEST(GGUFMalformed, BadMagic) {
  RawFile f = validFile();
  f.magic = "GGML";
  expectError(f.build(), "bad magic 'GGML' (expected 'GGUF')");
  f.magic = std::string("\x00\x01\n\x7f", 4);
  expectError(f.build(), "bad magic '\\x00\\x01\\x0a\\x7f'");
}

TEST(GGUFMalformed, UnsupportedVersion) {
  RawFile f = validFile();
  f.version = 99;
  expectError(f.build(), "unsupported GGUF version 99");
  f.version = 1;
  expectError(f.build(), "GGUF version 1 is not supported");
  f.version = 0x03000000;
  expectError(f.build(), "big-endian GGUF files are not supported");
}

TEST(GGUFMalformed, TruncatedAtEveryByte) {
  std::vector<uint8_t> full = validFile().build();
  std::string okErr;
  ASSERT_TRUE(GGUFFile::openBuffer(full, "x", okErr)) << okErr;
  // Every proper prefix must fail cleanly (the last 64 bytes are tensor data,
  // so prefixes there fail the data range check).
  for (size_t n = 0; n < full.size(); ++n) {
    SCOPED_TRACE(n);
    std::vector<uint8_t> prefix(full.begin(), full.begin() + n);
    std::string err;
    auto f = GGUFFile::openBuffer(prefix, "bad.gguf", err);
    ASSERT_FALSE(f);
    EXPECT_EQ(err.rfind("bad.gguf: ", 0), 0u) << err;
    EXPECT_EQ(err.find('\n'), std::string::npos) << err;
    bool known = err.find("unexpected end of file") != std::string::npos ||
                 err.find("too small to be a GGUF file") != std::string::npos ||
                 err.find("extends past end of file") != std::string::npos ||
                 err.find("cannot fit in") != std::string::npos ||
                 err.find("past end of file") != std::string::npos;
    EXPECT_TRUE(known) << err;
  }
  expectError({}, "file is 0 bytes, too small to be a GGUF file");
  expectError({'G', 'G', 'U', 'F', 3, 0},
              "unexpected end of file at offset 4 while reading the version");
}

TEST(GGUFMalformed, HugeStringLength) {
  RawFile f = validFile();
  Bytes kv;
  kv.str("general.name").u32(uint32_t(ValueType::String)).u64(1ull << 62);
  f.kvs.push_back(kv);
  expectError(f.build(), "the value of key 'general.name': string length "
                         "4611686018427387904");
  expectError(f.build(), "extends past end of file");
}

TEST(GGUFMalformed, HugeKeyLength) {
  RawFile f = validFile();
  Bytes kv;
  kv.u64(~0ull).raw("abc", 3);
  f.kvs.insert(f.kvs.begin(), kv);
  expectError(f.build(), "the name of metadata key #0: string length "
                         "18446744073709551615");
  // A key that fits but is absurdly long.
  RawFile g = validFile();
  g.kvs.push_back(kvU32(std::string(70000, 'k'), 1));
  expectError(g.build(), "is 70000 bytes long (at most 65535)");
}

TEST(GGUFMalformed, HugeArrayCount) {
  for (ValueType elem : {ValueType::U8, ValueType::F64, ValueType::String,
                         ValueType::Array}) {
    SCOPED_TRACE(valueTypeName(elem));
    RawFile f = validFile();
    Bytes kv;
    kv.str("tokenizer.ggml.tokens")
        .u32(uint32_t(ValueType::Array))
        .u32(uint32_t(elem))
        .u64(1ull << 40);
    f.kvs.push_back(kv);
    expectError(f.build(), "key 'tokenizer.ggml.tokens': array of 1099511627776 " +
                               valueTypeName(elem) + " elements cannot fit");
  }
}

TEST(GGUFMalformed, HugeCounts) {
  RawFile f = validFile();
  f.nTensorsOverride = uint64_t(1) << 60;
  expectError(f.build(), "tensor count 1152921504606846976 cannot fit in the file");
  RawFile g = validFile();
  g.nKVOverride = ~uint64_t(1);
  expectError(g.build(),
              "metadata key count 18446744073709551614 cannot fit in the file");
  // A count that passes the size bound but is still more than the file holds.
  RawFile h = validFile();
  h.nKVOverride = 3;
  expectError(h.build(), "");
}

TEST(GGUFMalformed, TooManyDimensions) {
  RawFile f = validFile();
  f.tensors[1].ne = {2, 1, 1, 2, 2};
  expectError(f.build(), "tensor 'b' has 5 dimensions (at most 4)");
  f.tensors[1].ne = {};
  expectError(f.build(), "tensor 'b' has no dimensions");
}

TEST(GGUFMalformed, ZeroAndOverflowingShape) {
  RawFile f = validFile();
  f.tensors[0].ne = {4, 0};
  expectError(f.build(), "tensor 'a' has an empty dimension 1 (shape [4, 0])");
  f.tensors[0].ne = {1ull << 32, 1ull << 32};
  expectError(f.build(), "tensor 'a': element count of shape [4294967296, "
                         "4294967296] overflows");
  f.tensors[0].ne = {~0ull};
  expectError(f.build(), "overflows");
  // Elements fit in int64 but bytes overflow u64: 2^62 F64 elements.
  f.tensors[0].ne = {1ull << 31, 1ull << 31};
  f.tensors[0].type = uint32_t(GGMLType::F64);
  expectError(f.build(), "tensor 'a': byte size of shape");
}

TEST(GGUFMalformed, UnknownGGMLType) {
  RawFile f = validFile();
  f.tensors[0].type = 4; // retired Q4_2
  expectError(f.build(), "tensor 'a' has unknown ggml type 4");
  f.tensors[0].type = 0xFFFFFFFF;
  expectError(f.build(), "tensor 'a' has unknown ggml type 4294967295");
}

TEST(GGUFMalformed, RowNotMultipleOfBlock) {
  RawFile f = validFile();
  f.tensors[0].type = uint32_t(GGMLType::Q4_0);
  f.tensors[0].ne = {33, 1};
  expectError(f.build(), "tensor 'a': row of 33 elements is not a multiple of "
                         "the Q4_0 block size (32)");
  f.tensors[0].type = uint32_t(GGMLType::Q6_K);
  f.tensors[0].ne = {128, 4};
  expectError(f.build(), "the Q6_K block size (256)");
}

TEST(GGUFMalformed, MisalignedTensorOffset) {
  RawFile f = validFile();
  f.tensors[1].offset = 36;
  f.dataBytes = 128;
  expectError(f.build(),
              "tensor 'b': data offset 36 is not a multiple of the alignment (32)");
}

TEST(GGUFMalformed, DataPastEndOfFile) {
  RawFile f = validFile();
  f.dataBytes = 40; // 'b' needs [32, 64) of the data section
  std::vector<uint8_t> bytes = f.build();
  size_t dataStart = bytes.size() - 40;
  expectError(bytes, "tensor 'b': data range [" + std::to_string(dataStart + 32) +
                         ", " + std::to_string(dataStart + 64) +
                         ") extends past end of file (" +
                         std::to_string(bytes.size()) + " bytes)");
  // Offsets near 2^64 must not wrap around.
  RawFile g = validFile();
  g.tensors[1].offset = ~0ull - 31;
  expectError(g.build(), "tensor 'b': data range");
  // A tensor whose data would start beyond the end.
  RawFile h = validFile();
  h.dataBytes = 0;
  expectError(h.build(), "extends past end of file");
}

TEST(GGUFMalformed, OverlappingAndDuplicateTensors) {
  RawFile f = validFile();
  f.tensors[1].offset = 0;
  expectError(f.build(), "tensors 'a' and 'b' overlap");
  RawFile g = validFile();
  g.tensors[1].ne = {4, 2};
  g.tensors[1].name = "a";
  expectError(g.build(), "duplicate tensor name 'a' (tensors #0 and #1)");
}

TEST(GGUFMalformed, DuplicateKeys) {
  RawFile f = validFile();
  f.kvs.push_back(kvU32("qwen3.block_count", 2));
  expectError(f.build(),
              "duplicate metadata key 'qwen3.block_count' (keys #1 and #2)");
}

TEST(GGUFMalformed, BadAlignment) {
  for (uint32_t a : {0u, 48u, 3u}) {
    RawFile f = validFile();
    f.kvs.push_back(kvU32("general.alignment", a));
    expectError(f.build(), "general.alignment is " + std::to_string(a) +
                               ", which is not a power of two");
  }
  RawFile g = validFile();
  Bytes kv;
  kv.str("general.alignment").u32(uint32_t(ValueType::U64)).u64(64);
  g.kvs.push_back(kv);
  expectError(g.build(), "key 'general.alignment' has type u64, expected u32");
  // A larger alignment moves the data start: the same tensor offsets must be
  // multiples of it.
  RawFile h = validFile();
  h.kvs.push_back(kvU32("general.alignment", 64));
  h.alignment = 64;
  h.dataBytes = 128;
  expectError(h.build(),
              "tensor 'b': data offset 32 is not a multiple of the alignment (64)");
  h.tensors[1].offset = 64;
  std::string err;
  auto ok = GGUFFile::openBuffer(h.build(), "ok.gguf", err);
  ASSERT_TRUE(ok) << err;
  EXPECT_EQ(ok->alignment(), 64u);
  EXPECT_EQ(ok->dataOffset() % 64, 0u);
}

TEST(GGUFMalformed, BoolNotZeroOrOne) {
  RawFile f = validFile();
  Bytes kv;
  kv.str("general.flag").u32(uint32_t(ValueType::Bool)).u8(2);
  f.kvs.push_back(kv);
  expectError(f.build(), "key 'general.flag' has bool value 2 (must be 0 or 1)");
  RawFile g = validFile();
  Bytes arr;
  arr.str("general.flags")
      .u32(uint32_t(ValueType::Array))
      .u32(uint32_t(ValueType::Bool))
      .u64(3)
      .u8(1)
      .u8(0)
      .u8(255);
  g.kvs.push_back(arr);
  expectError(g.build(),
              "key 'general.flags': element 2 has bool value 255 (must be 0 or 1)");
}

TEST(GGUFMalformed, NestedArrayDepthAbuse) {
  RawFile f = validFile();
  Bytes kv;
  kv.str("deep").u32(uint32_t(ValueType::Array));
  for (int i = 0; i < 10000; ++i)
    kv.u32(uint32_t(ValueType::Array)).u64(1);
  kv.u32(uint32_t(ValueType::U8)).u64(0);
  f.kvs.push_back(kv);
  expectError(f.build(), "key 'deep' nests arrays more than 8 levels deep");
  // Eight levels are fine.
  RawFile g = validFile();
  Bytes ok;
  ok.str("deep").u32(uint32_t(ValueType::Array));
  for (int i = 0; i < 7; ++i)
    ok.u32(uint32_t(ValueType::Array)).u64(1);
  ok.u32(uint32_t(ValueType::U8)).u64(1).u8(42);
  g.kvs.push_back(ok);
  std::string err;
  auto file = GGUFFile::openBuffer(g.build(), "ok.gguf", err);
  ASSERT_TRUE(file) << err;
  const Value *v = file->find("deep");
  for (int i = 0; i < 7; ++i)
    v = &v->arrayElems()[0];
  EXPECT_EQ(v->elemAt<uint8_t>(0), 42);
}

TEST(GGUFMalformed, UnknownValueTypes) {
  RawFile f = validFile();
  Bytes kv;
  kv.str("general.x").u32(13).u32(0);
  f.kvs.push_back(kv);
  expectError(f.build(), "key 'general.x' has unknown value type 13");
  RawFile g = validFile();
  Bytes arr;
  arr.str("general.y").u32(uint32_t(ValueType::Array)).u32(77).u64(0);
  g.kvs.push_back(arr);
  expectError(g.build(), "key 'general.y' is an array of unknown value type 77");
}

TEST(GGUFMalformed, BadKeys) {
  RawFile f = validFile();
  f.kvs.push_back(kvU32("", 1));
  expectError(f.build(), "metadata key #2 at offset");
  expectError(f.build(), "is empty");
  RawFile g = validFile();
  g.kvs.push_back(kvU32("bad\xff\xfekey", 1));
  expectError(g.build(), "metadata key #2 'bad\\xff\\xfekey' is not valid UTF-8");
  RawFile h = validFile();
  h.kvs.push_back(kvU32("line\nbreak", 1));
  expectError(h.build(), "'line\\x0abreak' contains control characters");
}

TEST(GGUFMalformed, BadTensorNames) {
  RawFile f = validFile();
  f.tensors[0].name = "";
  expectError(f.build(), "tensor #0 at offset");
  f.tensors[0].name = std::string(64, 'x');
  expectError(f.build(), "name is 64 bytes long (at most 63)");
  f.tensors[0].name = "\xc0\x80";
  expectError(f.build(), "name is not valid UTF-8");
}

TEST(GGUFMalformed, FileSystemErrors) {
  std::string err;
  EXPECT_FALSE(GGUFFile::open("/nonexistent/model.gguf", err));
  EXPECT_EQ(err, "/nonexistent/model.gguf: cannot open: No such file or directory");
  EXPECT_FALSE(GGUFFile::open("/tmp", err));
  EXPECT_EQ(err, "/tmp: not a regular file");
  char tmpl[] = "/tmp/lmc-gguf-empty-XXXXXX";
  int fd = mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  close(fd);
  EXPECT_FALSE(GGUFFile::open(tmpl, err));
  EXPECT_EQ(err, std::string(tmpl) +
                     ": file is 0 bytes, too small to be a GGUF file");
  std::remove(tmpl);
}

TEST(GGUFMalformed, MessagesNameTheMappedFile) {
  // The documented message shape, through a real file.
  char tmpl[] = "/tmp/lmc-gguf-model-XXXXXX";
  int fd = mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  RawFile f;
  f.tensors.push_back({"blk.0.attn_q.weight", {64, 64}, 0, 0});
  f.dataBytes = 1000; // needs 16384
  std::vector<uint8_t> bytes = f.build();
  ASSERT_EQ(write(fd, bytes.data(), bytes.size()), ssize_t(bytes.size()));
  close(fd);
  std::string err;
  EXPECT_FALSE(GGUFFile::open(tmpl, err));
  size_t start = bytes.size() - 1000;
  EXPECT_EQ(err, std::string(tmpl) + ": tensor 'blk.0.attn_q.weight': data range [" +
                     std::to_string(start) + ", " +
                     std::to_string(start + 16384) +
                     ") extends past end of file (" +
                     std::to_string(bytes.size()) + " bytes)");
  std::remove(tmpl);
}

/// Random corruption of a richer valid file never crashes, and every failure
/// is one clean line.
TEST(GGUFMalformed, RandomCorruptionNeverCrashes) {
  GGUFWriter w;
  w.setString("general.architecture", "qwen3");
  w.setU32("qwen3.block_count", 2);
  w.setF32("qwen3.attention.layer_norm_rms_eps", 1e-6f);
  w.setStringArray("tokenizer.ggml.tokens", {"a", "b", "Ġc", "<|x|>"});
  w.setArray("tokenizer.ggml.token_type", std::vector<int32_t>{1, 1, 1, 3});
  w.set("nested", Value::makeArrayOfArrays(
                      {Value::makeArray(std::vector<uint16_t>{1, 2, 3})}));
  std::string err;
  ASSERT_TRUE(w.addTensor("t0", {32, 2}, GGMLType::Q8_0,
                          std::vector<uint8_t>(68, 1), err));
  ASSERT_TRUE(w.addTensor("t1", {5}, GGMLType::F32, std::vector<uint8_t>(20, 2),
                          err));
  std::vector<uint8_t> base;
  ASSERT_TRUE(w.writeToBuffer(base, err)) << err;
  std::mt19937_64 rng(12345);
  int accepted = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::vector<uint8_t> bytes = base;
    int edits = 1 + int(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      size_t at = rng() % bytes.size();
      switch (rng() % 4) {
      case 0:
        bytes[at] = uint8_t(rng());
        break;
      case 1:
        bytes[at] ^= uint8_t(1u << (rng() % 8));
        break;
      case 2: // large little-endian values are the interesting ones
        bytes[at] = 0xFF;
        break;
      default:
        bytes.resize(at + 1);
        break;
      }
    }
    auto f = GGUFFile::openBuffer(bytes, "fuzz.gguf", err);
    if (f) {
      ++accepted;
      // Whatever was accepted is internally consistent.
      for (const TensorInfo &t : f->tensors())
        ASSERT_LE(f->dataOffset() + t.offset + t.nbytes, f->fileSize());
    } else {
      ASSERT_EQ(err.rfind("fuzz.gguf: ", 0), 0u) << err;
      ASSERT_EQ(err.find('\n'), std::string::npos) << err;
    }
  }
  EXPECT_LT(accepted, 20000);
}

} // namespace
