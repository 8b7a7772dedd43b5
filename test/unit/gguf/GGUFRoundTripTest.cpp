//===- GGUFRoundTripTest.cpp - writer -> reader round trips ---------------===//

#include "frontends/gguf/GGUF.h"
#include "frontends/gguf/GGUFWriter.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <unistd.h>

using namespace lmc::gguf;

namespace {

std::unique_ptr<GGUFFile> roundTrip(const GGUFWriter &w) {
  std::vector<uint8_t> bytes;
  std::string error;
  EXPECT_TRUE(w.writeToBuffer(bytes, error)) << error;
  auto f = GGUFFile::openBuffer(std::move(bytes), "rt.gguf", error);
  EXPECT_TRUE(f) << error;
  return f;
}

std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = uint8_t(seed + i * 31);
  return v;
}

TEST(GGUFTypes, BlockGeometry) {
  struct Row {
    GGMLType t;
    size_t elems, bytes;
    const char *name;
  } rows[] = {
      {GGMLType::F32, 1, 4, "F32"},       {GGMLType::F16, 1, 2, "F16"},
      {GGMLType::Q4_0, 32, 18, "Q4_0"},   {GGMLType::Q4_1, 32, 20, "Q4_1"},
      {GGMLType::Q5_0, 32, 22, "Q5_0"},   {GGMLType::Q5_1, 32, 24, "Q5_1"},
      {GGMLType::Q8_0, 32, 34, "Q8_0"},   {GGMLType::Q8_1, 32, 36, "Q8_1"},
      {GGMLType::Q2_K, 256, 84, "Q2_K"},  {GGMLType::Q3_K, 256, 110, "Q3_K"},
      {GGMLType::Q4_K, 256, 144, "Q4_K"}, {GGMLType::Q5_K, 256, 176, "Q5_K"},
      {GGMLType::Q6_K, 256, 210, "Q6_K"}, {GGMLType::Q8_K, 256, 292, "Q8_K"},
      {GGMLType::BF16, 1, 2, "BF16"},     {GGMLType::MXFP4, 32, 17, "MXFP4"},
  };
  for (const Row &r : rows) {
    EXPECT_EQ(ggmlTypeBlockElems(r.t), r.elems) << r.name;
    EXPECT_EQ(ggmlTypeBlockBytes(r.t), r.bytes) << r.name;
    EXPECT_EQ(ggmlTypeName(r.t), r.name);
    EXPECT_EQ(parseGGMLTypeName(r.name), r.t);
  }
  EXPECT_EQ(uint32_t(GGMLType::BF16), 30u);
  EXPECT_EQ(uint32_t(GGMLType::MXFP4), 39u);
  for (uint32_t retired : {4u, 5u, 31u, 32u, 33u, 36u, 37u, 38u, 43u, 1000u})
    EXPECT_FALSE(isKnownGGMLType(retired)) << retired;
  uint64_t bytes = 0;
  EXPECT_TRUE(ggmlRowBytes(GGMLType::Q4_K, 1024, bytes));
  EXPECT_EQ(bytes, 4u * 144);
  EXPECT_FALSE(ggmlRowBytes(GGMLType::Q4_K, 1000, bytes));
  EXPECT_FALSE(parseGGMLTypeName("Q4_K_M").has_value());
}

TEST(GGUFTypes, Utf8Validation) {
  EXPECT_TRUE(isValidUtf8("plain"));
  EXPECT_TRUE(isValidUtf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
  EXPECT_FALSE(isValidUtf8("\xc3"));         // truncated
  EXPECT_FALSE(isValidUtf8("\xc0\xaf"));     // overlong
  EXPECT_FALSE(isValidUtf8("\xed\xa0\x80")); // surrogate
  EXPECT_FALSE(isValidUtf8("\xf4\x90\x80\x80")); // > U+10FFFF
  EXPECT_FALSE(isValidUtf8("\xff"));
}

TEST(GGUFRoundTrip, AllValueTypes) {
  GGUFWriter w;
  w.setU8("t.u8", 250);
  w.setI8("t.i8", -7);
  w.setU16("t.u16", 65000);
  w.setI16("t.i16", -32000);
  w.setU32("t.u32", 4000000000u);
  w.setI32("t.i32", -2000000000);
  w.setF32("t.f32", 1.5e-6f);
  w.setBool("t.bool_true", true);
  w.setBool("t.bool_false", false);
  w.setString("t.string", "héllo\nworld");
  w.setString("t.empty_string", "");
  w.setU64("t.u64", 0xFEDCBA9876543210ull);
  w.setI64("t.i64", std::numeric_limits<int64_t>::min());
  w.setF64("t.f64", -3.141592653589793);
  w.setArray("a.u8", std::vector<uint8_t>{0, 1, 255});
  w.setArray("a.i8", std::vector<int8_t>{-128, 0, 127});
  w.setArray("a.u16", std::vector<uint16_t>{1, 65535});
  w.setArray("a.i16", std::vector<int16_t>{-1, 2});
  w.setArray("a.u32", std::vector<uint32_t>{7, 8, 9});
  w.setArray("a.i32", std::vector<int32_t>{-1, 1, 3, 4, 5});
  w.setArray("a.f32", std::vector<float>{0.5f, -2.0f, INFINITY});
  w.setArray("a.u64", std::vector<uint64_t>{~0ull});
  w.setArray("a.i64", std::vector<int64_t>{-5});
  w.setArray("a.f64", std::vector<double>{1e300, -0.0});
  w.set("a.bool", Value::makeBoolArray({true, false, true}));
  w.setStringArray("a.string", {"a b", "", "Ġthe", "<|im_end|>"});
  w.set("a.empty", Value::emptyArray(ValueType::U32));
  w.set("a.nested",
        Value::makeArrayOfArrays(
            {Value::makeArray(std::vector<int32_t>{1, 2}),
             Value::makeStringArray({"x"}),
             Value::makeArrayOfArrays(
                 {Value::makeArray(std::vector<float>{3.0f})}),
             Value::emptyArray(ValueType::Bool)}));
  // Setting a key twice replaces the value and keeps the first position.
  w.setU32("t.replaced", 1);
  w.setU32("t.replaced", 2);

  auto f = roundTrip(w);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->version(), 3u);
  EXPECT_EQ(f->numKeys(), w.numKeys());
  EXPECT_EQ(f->key(0), "t.u8");
  std::string err;

  uint8_t u8;
  int8_t i8;
  uint16_t u16;
  int16_t i16;
  uint32_t u32;
  int32_t i32;
  uint64_t u64;
  int64_t i64;
  float f32;
  double f64;
  bool b;
  std::string s;
  ASSERT_TRUE(f->getU8("t.u8", u8, err)) << err;
  EXPECT_EQ(u8, 250);
  ASSERT_TRUE(f->getI8("t.i8", i8, err)) << err;
  EXPECT_EQ(i8, -7);
  ASSERT_TRUE(f->getU16("t.u16", u16, err)) << err;
  EXPECT_EQ(u16, 65000);
  ASSERT_TRUE(f->getI16("t.i16", i16, err)) << err;
  EXPECT_EQ(i16, -32000);
  ASSERT_TRUE(f->getU32("t.u32", u32, err)) << err;
  EXPECT_EQ(u32, 4000000000u);
  ASSERT_TRUE(f->getI32("t.i32", i32, err)) << err;
  EXPECT_EQ(i32, -2000000000);
  ASSERT_TRUE(f->getF32("t.f32", f32, err)) << err;
  EXPECT_EQ(f32, 1.5e-6f);
  ASSERT_TRUE(f->getBool("t.bool_true", b, err)) << err;
  EXPECT_TRUE(b);
  ASSERT_TRUE(f->getBool("t.bool_false", b, err)) << err;
  EXPECT_FALSE(b);
  ASSERT_TRUE(f->getString("t.string", s, err)) << err;
  EXPECT_EQ(s, "héllo\nworld");
  ASSERT_TRUE(f->getString("t.empty_string", s, err)) << err;
  EXPECT_EQ(s, "");
  ASSERT_TRUE(f->getU64("t.u64", u64, err)) << err;
  EXPECT_EQ(u64, 0xFEDCBA9876543210ull);
  ASSERT_TRUE(f->getI64("t.i64", i64, err)) << err;
  EXPECT_EQ(i64, std::numeric_limits<int64_t>::min());
  ASSERT_TRUE(f->getF64("t.f64", f64, err)) << err;
  EXPECT_EQ(f64, -3.141592653589793);
  ASSERT_TRUE(f->getU32("t.replaced", u32, err)) << err;
  EXPECT_EQ(u32, 2u);

  std::vector<uint8_t> au8;
  ASSERT_TRUE(f->getArray("a.u8", au8, err)) << err;
  EXPECT_EQ(au8, (std::vector<uint8_t>{0, 1, 255}));
  std::vector<int8_t> ai8;
  ASSERT_TRUE(f->getArray("a.i8", ai8, err)) << err;
  EXPECT_EQ(ai8, (std::vector<int8_t>{-128, 0, 127}));
  std::vector<uint16_t> au16;
  ASSERT_TRUE(f->getArray("a.u16", au16, err)) << err;
  EXPECT_EQ(au16, (std::vector<uint16_t>{1, 65535}));
  std::vector<int16_t> ai16;
  ASSERT_TRUE(f->getArray("a.i16", ai16, err)) << err;
  EXPECT_EQ(ai16, (std::vector<int16_t>{-1, 2}));
  std::vector<uint32_t> au32;
  ASSERT_TRUE(f->getU32Array("a.u32", au32, err)) << err;
  EXPECT_EQ(au32, (std::vector<uint32_t>{7, 8, 9}));
  std::vector<int32_t> ai32;
  ASSERT_TRUE(f->getI32Array("a.i32", ai32, err)) << err;
  EXPECT_EQ(ai32, (std::vector<int32_t>{-1, 1, 3, 4, 5}));
  std::vector<float> af32;
  ASSERT_TRUE(f->getF32Array("a.f32", af32, err)) << err;
  EXPECT_EQ(af32, (std::vector<float>{0.5f, -2.0f, INFINITY}));
  std::vector<uint64_t> au64;
  ASSERT_TRUE(f->getArray("a.u64", au64, err)) << err;
  EXPECT_EQ(au64, (std::vector<uint64_t>{~0ull}));
  std::vector<int64_t> ai64;
  ASSERT_TRUE(f->getArray("a.i64", ai64, err)) << err;
  EXPECT_EQ(ai64, (std::vector<int64_t>{-5}));
  std::vector<double> af64;
  ASSERT_TRUE(f->getArray("a.f64", af64, err)) << err;
  ASSERT_EQ(af64.size(), 2u);
  EXPECT_EQ(af64[0], 1e300);
  EXPECT_TRUE(std::signbit(af64[1]));
  std::vector<bool> ab;
  ASSERT_TRUE(f->getBoolArray("a.bool", ab, err)) << err;
  EXPECT_EQ(ab, (std::vector<bool>{true, false, true}));
  std::vector<std::string> as;
  ASSERT_TRUE(f->getStringArray("a.string", as, err)) << err;
  EXPECT_EQ(as, (std::vector<std::string>{"a b", "", "Ġthe", "<|im_end|>"}));
  ASSERT_TRUE(f->getU32Array("a.empty", au32, err)) << err;
  EXPECT_TRUE(au32.empty());

  const Value *nested = f->find("a.nested");
  ASSERT_TRUE(nested);
  ASSERT_EQ(nested->elemType(), ValueType::Array);
  ASSERT_EQ(nested->size(), 4u);
  EXPECT_EQ(nested->arrayElems()[0].elemAt<int32_t>(1), 2);
  EXPECT_EQ(nested->arrayElems()[1].stringElems()[0], "x");
  EXPECT_EQ(nested->arrayElems()[2].arrayElems()[0].elemAt<float>(0), 3.0f);
  EXPECT_EQ(nested->arrayElems()[3].elemType(), ValueType::Bool);
  EXPECT_EQ(nested->arrayElems()[3].size(), 0u);

  // Every value equals what was written.
  for (size_t i = 0; i < f->numKeys(); ++i) {
    SCOPED_TRACE(f->key(i));
    EXPECT_FALSE(f->value(i).toString().empty());
  }
  EXPECT_EQ(*f->find("a.nested"),
            Value::makeArrayOfArrays(
                {Value::makeArray(std::vector<int32_t>{1, 2}),
                 Value::makeStringArray({"x"}),
                 Value::makeArrayOfArrays(
                     {Value::makeArray(std::vector<float>{3.0f})}),
                 Value::emptyArray(ValueType::Bool)}));
}

TEST(GGUFRoundTrip, TypedAccessorErrors) {
  GGUFWriter w;
  w.setF32("llama.eps", 1e-6f);
  w.setArray("tok.types", std::vector<int32_t>{1, 2});
  auto f = roundTrip(w);
  ASSERT_TRUE(f);
  std::string err;
  uint32_t u32;
  EXPECT_FALSE(f->getU32("llama.block_count", u32, err));
  EXPECT_EQ(err, "rt.gguf: key 'llama.block_count' is missing");
  EXPECT_FALSE(f->getU32("llama.eps", u32, err));
  EXPECT_EQ(err, "rt.gguf: key 'llama.eps' has type f32, expected u32");
  double f64;
  EXPECT_FALSE(f->getF64("llama.eps", f64, err));
  EXPECT_EQ(err, "rt.gguf: key 'llama.eps' has type f32, expected f64");
  std::vector<uint32_t> au32;
  EXPECT_FALSE(f->getU32Array("tok.types", au32, err));
  EXPECT_EQ(err, "rt.gguf: key 'tok.types' has type array of i32, expected "
                 "array of u32");
  EXPECT_FALSE(f->getU32("tok.types", u32, err));
  EXPECT_EQ(err, "rt.gguf: key 'tok.types' has type array of i32, expected u32");
  std::vector<std::string> strs;
  EXPECT_FALSE(f->getStringArray("llama.eps", strs, err));
  EXPECT_EQ(err,
            "rt.gguf: key 'llama.eps' has type f32, expected array of string");
  EXPECT_TRUE(f->has("llama.eps"));
  EXPECT_FALSE(f->has("nope"));
}

TEST(GGUFRoundTrip, TensorsAndAlignment) {
  for (uint32_t alignment : {1u, 32u, 64u, 4096u}) {
    SCOPED_TRACE(alignment);
    GGUFWriter w;
    if (alignment != 32) {
      ASSERT_TRUE(w.setAlignment(alignment));
    }
    w.setString("general.architecture", "test");
    std::string err;
    auto a = pattern(3 * 5 * 4, 1);
    auto b = pattern(2 * 34, 2);          // Q8_0 64 elements
    auto c = pattern(144 * 2 * 3, 3);     // Q4_K [256, 2, 3]
    auto d = pattern(7 * 2 * 2, 4);       // F16 [7,1,1,2]: 28 bytes, padded
    ASSERT_TRUE(w.addTensor("a", {3, 5}, GGMLType::F32, a, err)) << err;
    ASSERT_TRUE(w.addTensor("blk.0.b", {64}, GGMLType::Q8_0, b, err)) << err;
    ASSERT_TRUE(w.addTensor("c", {256, 2, 3}, GGMLType::Q4_K, c, err)) << err;
    ASSERT_TRUE(w.addTensor("d", {7, 1, 1, 2}, GGMLType::F16, d, err)) << err;
    auto f = roundTrip(w);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->alignment(), alignment);
    EXPECT_EQ(f->dataOffset() % alignment, 0u);
    ASSERT_EQ(f->tensors().size(), 4u);
    const std::vector<uint8_t> *datas[] = {&a, &b, &c, &d};
    for (size_t i = 0; i < 4; ++i) {
      const TensorInfo &t = f->tensors()[i];
      EXPECT_EQ(t.offset % alignment, 0u);
      ASSERT_EQ(t.nbytes, datas[i]->size());
      EXPECT_EQ(0, std::memcmp(f->tensorData(t), datas[i]->data(), t.nbytes));
    }
    const TensorInfo *c2 = f->findTensor("c");
    ASSERT_TRUE(c2);
    EXPECT_EQ(c2->type, GGMLType::Q4_K);
    EXPECT_EQ(c2->ne, (std::vector<uint64_t>{256, 2, 3}));
    EXPECT_EQ(c2->numElements(), 256u * 6);
    EXPECT_EQ(c2->numRows(), 6u);
    EXPECT_EQ(c2->shapeString(), "[256, 2, 3]");
    EXPECT_EQ(f->findTensor("missing"), nullptr);
  }
}

TEST(GGUFRoundTrip, WriterRejectsBadInput) {
  GGUFWriter w;
  std::string err;
  EXPECT_FALSE(w.setAlignment(0));
  EXPECT_FALSE(w.setAlignment(48));
  EXPECT_FALSE(w.addTensor("x", {33}, GGMLType::Q4_0, std::vector<uint8_t>(18),
                           err));
  EXPECT_NE(err.find("not a whole number of Q4_0 blocks"), std::string::npos);
  EXPECT_FALSE(w.addTensor("x", {4}, GGMLType::F32, std::vector<uint8_t>(15),
                           err));
  EXPECT_NE(err.find("15 bytes given"), std::string::npos);
  EXPECT_FALSE(w.addTensor("x", {}, GGMLType::F32, std::vector<uint8_t>(), err));
  EXPECT_FALSE(w.addTensor("x", {1, 1, 1, 1, 1}, GGMLType::F32,
                           std::vector<uint8_t>(4), err));
  EXPECT_FALSE(w.addTensor("x", {4, 0}, GGMLType::F32, std::vector<uint8_t>(),
                           err));
  EXPECT_FALSE(w.addTensor(std::string(64, 'n'), {1}, GGMLType::F32,
                           std::vector<uint8_t>(4), err));
  EXPECT_TRUE(w.addTensor("x", {1}, GGMLType::F32, std::vector<uint8_t>(4), err));
  EXPECT_FALSE(w.addTensor("x", {1}, GGMLType::F32, std::vector<uint8_t>(4), err));
  EXPECT_NE(err.find("added twice"), std::string::npos);
  // A failing fill callback aborts the write with its message.
  ASSERT_TRUE(w.addTensor(
      "y", {2}, GGMLType::F32,
      [](uint8_t *, std::string &e) { return (e = "no data", false); }, err));
  std::vector<uint8_t> bytes;
  EXPECT_FALSE(w.writeToBuffer(bytes, err));
  EXPECT_EQ(err, "tensor 'y': no data");
  // An array of arrays must hold arrays.
  GGUFWriter w2;
  w2.set("bad", Value::makeArrayOfArrays({Value::makeU32(1)}));
  EXPECT_FALSE(w2.writeToBuffer(bytes, err));
}

TEST(GGUFRoundTrip, WritesAndMapsAFile) {
  char tmpl[] = "/tmp/lmc-gguf-test-XXXXXX";
  int fd = mkstemp(tmpl);
  ASSERT_GE(fd, 0);
  close(fd);
  std::string path = tmpl;
  GGUFWriter w;
  w.setString("general.architecture", "qwen3");
  std::string err;
  ASSERT_TRUE(w.addTensor(
      "w", {32, 4}, GGMLType::F32,
      [](uint8_t *dst, std::string &) {
        for (int i = 0; i < 128; ++i) {
          float v = float(i) * 0.5f;
          std::memcpy(dst + 4 * i, &v, 4);
        }
        return true;
      },
      err))
      << err;
  ASSERT_TRUE(w.write(path, err)) << err;
  auto f = GGUFFile::open(path, err);
  ASSERT_TRUE(f) << err;
  EXPECT_EQ(f->path(), path);
  const TensorInfo *t = f->findTensor("w");
  ASSERT_TRUE(t);
  float v;
  std::memcpy(&v, f->tensorData(*t) + 4 * 127, 4);
  EXPECT_EQ(v, 63.5f);
  EXPECT_EQ(f->fileSize(), f->dataOffset() + 512);
  std::remove(path.c_str());
  // The writer reports an unwritable path.
  EXPECT_FALSE(w.write("/nonexistent-dir/x.gguf", err));
  EXPECT_NE(err.find("/nonexistent-dir/x.gguf: cannot create"),
            std::string::npos);
}

} // namespace
