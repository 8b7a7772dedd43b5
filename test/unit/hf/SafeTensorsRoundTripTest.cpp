//===- SafeTensorsRoundTripTest.cpp - writer -> reader round trips --------===//
//
// Files written by SafeTensorsWriter (single and sharded) read back through
// SafeTensorsFile and Checkpoint with identical names, dtypes, shapes,
// metadata and bytes, laid out as the format expects.
//
//===----------------------------------------------------------------------===//

#include "HFTestUtil.h"

#include "frontends/hf/Checkpoint.h"
#include "frontends/hf/JsonFile.h"
#include "frontends/hf/SafeTensors.h"
#include "frontends/hf/SafeTensorsWriter.h"

#include <nlohmann/json.hpp>

#include <random>

using namespace lmc::hf;
using namespace lmc::hf::test;

namespace {

/// Deterministic bytes for a tensor: a function of (seed, index).
std::vector<uint8_t> patternBytes(uint64_t n, uint32_t seed) {
  std::vector<uint8_t> b(n);
  std::mt19937 rng(seed);
  for (uint8_t &x : b)
    x = uint8_t(rng());
  return b;
}

struct Spec {
  std::string name;
  DType dtype;
  std::vector<uint64_t> shape;
};

uint64_t byteSize(const Spec &s) {
  uint64_t n = 1;
  for (uint64_t d : s.shape)
    n *= d;
  return n * dtypeBits(s.dtype) / 8;
}

// Element sizes deliberately interleaved so that the writer has to reorder.
const std::vector<Spec> kSpecs = {
    {"model.layers.0.mlp.experts.gate_up_proj_blocks",
     DType::U8,
     {2, 6, 1, 16}},
    {"model.embed_tokens.weight", DType::BF16, {7, 5}},
    {"lm_head.weight", DType::F32, {3, 5}},
    {"model.layers.0.self_attn.q_proj.weight", DType::F8_E4M3, {5, 3}},
    {"model.norm.weight", DType::F16, {5}},
    {"scalar", DType::F32, {}},
    {"empty", DType::F32, {0, 4}},
};

SafeTensorsWriter makeWriter() {
  SafeTensorsWriter w;
  w.setMetadata("format", "pt");
  w.setMetadata("note", "\"quoted\" \xc3\xa9");
  std::string err;
  uint32_t seed = 1;
  for (const Spec &s : kSpecs) {
    EXPECT_TRUE(w.addTensor(s.name, s.dtype, s.shape,
                            patternBytes(byteSize(s), seed++), err))
        << err;
  }
  return w;
}

void expectMatchesSpecs(const SafeTensorsFile &f) {
  ASSERT_EQ(f.tensors().size(), kSpecs.size());
  EXPECT_EQ(f.dataOffset() % 8, 0u) << "header must be padded to 8 bytes";
  uint32_t seed = 1;
  for (const Spec &s : kSpecs) {
    SCOPED_TRACE(s.name);
    const TensorInfo *t = f.find(s.name);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->dtype, s.dtype);
    EXPECT_EQ(t->shape, s.shape);
    EXPECT_EQ(t->nbytes, byteSize(s));
    EXPECT_EQ(t->fileOffset % (dtypeBits(s.dtype) / 8), 0u)
        << "tensor data must be aligned to its element size";
    std::vector<uint8_t> want = patternBytes(byteSize(s), seed++);
    std::vector<uint8_t> got(f.data(*t), f.data(*t) + t->nbytes);
    EXPECT_EQ(got, want);
  }
  // Data order: by offset, element sizes non-increasing.
  for (size_t i = 1; i < f.tensors().size(); ++i) {
    EXPECT_LE(f.tensors()[i - 1].fileOffset, f.tensors()[i].fileOffset);
    EXPECT_GE(dtypeBits(f.tensors()[i - 1].dtype),
              dtypeBits(f.tensors()[i].dtype));
  }
  EXPECT_EQ(f.metadata().at("format"), "pt");
  EXPECT_EQ(f.metadata().at("note"), "\"quoted\" \xc3\xa9");
}

TEST(SafeTensorsRoundTrip, BufferRoundTrip) {
  SafeTensorsWriter w = makeWriter();
  std::vector<uint8_t> image;
  std::string err;
  ASSERT_TRUE(w.writeToBuffer(image, err)) << err;
  auto f = SafeTensorsFile::openBuffer(image, "mem.safetensors", err);
  ASSERT_TRUE(f) << err;
  expectMatchesSpecs(*f);
  EXPECT_EQ(f->fileSize(), image.size());
}

TEST(SafeTensorsRoundTrip, MappedFileRoundTrip) {
  TempDir dir;
  SafeTensorsWriter w = makeWriter();
  std::string err;
  std::string path = dir.file("model.safetensors");
  ASSERT_TRUE(w.write(path, err)) << err;
  auto f = SafeTensorsFile::open(path, err);
  ASSERT_TRUE(f) << err;
  expectMatchesSpecs(*f);
  // Absolute offsets agree with the header's relative data_offsets.
  std::string text;
  ASSERT_TRUE(readTextFile(path, 1 << 20, text, err));
  uint64_t n;
  std::memcpy(&n, text.data(), 8);
  auto header = nlohmann::json::parse(text.substr(8, n));
  for (const TensorInfo &t : f->tensors())
    EXPECT_EQ(header[t.name]["data_offsets"][0].get<uint64_t>() + 8 + n,
              t.fileOffset);

  // The whole checkpoint API on a one-file folder.
  auto ckpt = Checkpoint::open(dir.path(), err);
  ASSERT_TRUE(ckpt) << err;
  EXPECT_TRUE(ckpt->indexPath().empty());
  EXPECT_EQ(ckpt->numTensors(), kSpecs.size());
  const CheckpointTensor *ct = ckpt->find("lm_head.weight");
  ASSERT_TRUE(ct);
  EXPECT_EQ(ct->file->path(), path);
  EXPECT_EQ(ct->info->shape, (std::vector<uint64_t>{3, 5}));
  EXPECT_FALSE(ckpt->find("no.such.tensor"));
}

TEST(SafeTensorsRoundTrip, ChunkedCallbackCoversEveryByteOnce) {
  // A 1000-byte tensor requested in 64-byte chunks: offsets must be
  // contiguous and the file must hold exactly what the callback produced.
  SafeTensorsWriter w;
  w.setChunkBytes(64);
  std::vector<std::pair<uint64_t, uint64_t>> calls;
  std::string err;
  ASSERT_TRUE(w.addTensor(
      "big", DType::U8, {10, 100},
      [&](uint64_t offset, uint8_t *dst, uint64_t count, std::string &) {
        calls.emplace_back(offset, count);
        for (uint64_t i = 0; i < count; ++i)
          dst[i] = uint8_t((offset + i) % 253);
        return true;
      },
      err))
      << err;
  std::vector<uint8_t> image;
  ASSERT_TRUE(w.writeToBuffer(image, err)) << err;
  uint64_t next = 0;
  for (auto [offset, count] : calls) {
    EXPECT_EQ(offset, next);
    EXPECT_LE(count, 64u);
    next += count;
  }
  EXPECT_EQ(next, 1000u);
  auto f = SafeTensorsFile::openBuffer(image, "mem", err);
  ASSERT_TRUE(f) << err;
  const TensorInfo *t = f->find("big");
  ASSERT_TRUE(t);
  for (uint64_t i = 0; i < 1000; ++i)
    ASSERT_EQ(f->data(*t)[i], uint8_t(i % 253)) << i;
}

TEST(SafeTensorsRoundTrip, FailingCallbackAbortsAndRemovesTheFile) {
  TempDir dir;
  SafeTensorsWriter w;
  std::string err;
  ASSERT_TRUE(w.addTensor("ok", DType::F32, {2}, std::vector<uint8_t>(8), err));
  ASSERT_TRUE(w.addTensor(
      "bad", DType::F32, {4},
      [](uint64_t, uint8_t *, uint64_t, std::string &e) {
        e = "source went away";
        return false;
      },
      err));
  std::string path = dir.file("x.safetensors");
  EXPECT_FALSE(w.write(path, err));
  expectOneLineError(err, path, "tensor 'bad': source went away");
  FILE *f = std::fopen(path.c_str(), "rb");
  EXPECT_EQ(f, nullptr) << "a partial file was left behind";
  if (f)
    std::fclose(f);
}

TEST(SafeTensorsRoundTrip, WriterRejectsBadTensors) {
  SafeTensorsWriter w;
  std::string err;
  EXPECT_FALSE(w.addTensor("", DType::F32, {1}, std::vector<uint8_t>(4), err));
  EXPECT_NE(err.find("invalid tensor name"), std::string::npos) << err;
  EXPECT_FALSE(w.addTensor("__metadata__", DType::F32, {1},
                           std::vector<uint8_t>(4), err));
  EXPECT_FALSE(
      w.addTensor("\xff\xfe", DType::F32, {1}, std::vector<uint8_t>(4), err));
  ASSERT_TRUE(w.addTensor("a", DType::F32, {1}, std::vector<uint8_t>(4), err));
  EXPECT_FALSE(w.addTensor("a", DType::F32, {1}, std::vector<uint8_t>(4), err));
  EXPECT_NE(err.find("duplicate tensor name 'a'"), std::string::npos) << err;
  EXPECT_FALSE(w.addTensor("b", DType::F32, {3}, std::vector<uint8_t>(4), err));
  EXPECT_NE(err.find("4 bytes given, F32 x [3] needs 12"), std::string::npos)
      << err;
  EXPECT_FALSE(w.addTensor("c", DType::F32, std::vector<uint64_t>(9, 1),
                           std::vector<uint8_t>(4), err));
  EXPECT_NE(err.find("9 dimensions"), std::string::npos) << err;
  EXPECT_FALSE(w.addTensor("d", DType::F4, {3}, std::vector<uint8_t>(2), err));
  EXPECT_NE(err.find("not a whole number of bytes"), std::string::npos) << err;
  // The rejected tensors left no trace.
  EXPECT_EQ(w.numTensors(), 1u);
  EXPECT_TRUE(w.addTensor("b", DType::F32, {1}, std::vector<uint8_t>(4), err));
}

TEST(SafeTensorsRoundTrip, ShardedCheckpointRoundTrip) {
  TempDir dir;
  SafeTensorsWriter w = makeWriter();
  std::string err;
  // 40-byte shards force several files.
  ASSERT_TRUE(w.writeSharded(dir.path(), 40, err)) << err;
  auto ckpt = Checkpoint::open(dir.path(), err);
  ASSERT_TRUE(ckpt) << err;
  EXPECT_EQ(ckpt->indexPath(), dir.file(kIndexFileName));
  EXPECT_GT(ckpt->files().size(), 2u);
  EXPECT_EQ(ckpt->numTensors(), kSpecs.size());
  uint32_t seed = 1;
  for (const Spec &s : kSpecs) {
    SCOPED_TRACE(s.name);
    const CheckpointTensor *t = ckpt->find(s.name);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->info->shape, s.shape);
    std::vector<uint8_t> want = patternBytes(byteSize(s), seed++);
    std::vector<uint8_t> got(t->data(), t->data() + t->info->nbytes);
    EXPECT_EQ(got, want);
    EXPECT_EQ(t->file->metadata().at("format"), "pt");
  }
  // The index names the shards with Hugging Face's pattern and the total.
  std::string text;
  ASSERT_TRUE(readTextFile(dir.file(kIndexFileName), 1 << 20, text, err));
  auto index = nlohmann::json::parse(text);
  EXPECT_EQ(index["metadata"]["total_size"].get<uint64_t>(),
            w.totalTensorBytes());
  std::string shard = index["weight_map"]["lm_head.weight"];
  EXPECT_EQ(shard.rfind("model-0000", 0), 0u) << shard;
  EXPECT_NE(shard.find("-of-0000"), std::string::npos) << shard;
  // The index file itself can be given instead of the folder.
  EXPECT_TRUE(Checkpoint::open(dir.file(kIndexFileName), err)) << err;
}

TEST(SafeTensorsRoundTrip, SingleFileWinsOverAnIndexLikeTransformers) {
  TempDir dir;
  SafeTensorsWriter sharded = makeWriter(), single;
  std::string err;
  ASSERT_TRUE(sharded.writeSharded(dir.path(), 40, err)) << err;
  ASSERT_TRUE(
      single.addTensor("only", DType::F32, {1}, std::vector<uint8_t>(4), err));
  ASSERT_TRUE(single.write(dir.file(kSingleFileName), err)) << err;
  auto ckpt = Checkpoint::open(dir.path(), err);
  ASSERT_TRUE(ckpt) << err;
  EXPECT_TRUE(ckpt->indexPath().empty());
  EXPECT_EQ(ckpt->numTensors(), 1u);
  EXPECT_TRUE(ckpt->find("only"));
}

TEST(SafeTensorsRoundTrip, UnsupportedDTypesOnlyWithTheOption) {
  SafeTensorsWriter w;
  std::string err;
  ASSERT_TRUE(
      w.addTensor("pos", DType::I64, {3}, std::vector<uint8_t>(24), err));
  ASSERT_TRUE(w.addTensor("w", DType::F32, {2}, std::vector<uint8_t>(8), err));
  std::vector<uint8_t> image;
  ASSERT_TRUE(w.writeToBuffer(image, err));
  EXPECT_FALSE(SafeTensorsFile::openBuffer(image, "m", err));
  expectOneLineError(err, "m",
                     "tensor 'pos' has dtype I64, which lmc does not read "
                     "(supported: F32, F16, BF16, F8_E4M3, U8)");
  ReadOptions lenient;
  lenient.allowUnsupportedDTypes = true;
  auto f = SafeTensorsFile::openBuffer(image, "m", err, lenient);
  ASSERT_TRUE(f) << err;
  EXPECT_EQ(f->find("pos")->dtype, DType::I64);
  EXPECT_EQ(f->tensors().front().name, "pos") << "8-byte elements go first";
}

TEST(SafeTensorsRoundTrip, WhitespacePaddedHeadersAreAccepted) {
  // Writers may pad on either side (the reference implementation accepts
  // both), and an empty file with no tensors is valid.
  std::string header =
      "  {\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}   ";
  std::string err;
  auto f = SafeTensorsFile::openBuffer(rawSafeTensors(header, 4), "p", err);
  ASSERT_TRUE(f) << err;
  EXPECT_EQ(f->find("a")->fileOffset, 8 + header.size());
  EXPECT_TRUE(SafeTensorsFile::openBuffer(rawSafeTensors("{}", 0), "e", err))
      << err;
}

TEST(SafeTensorsRoundTrip, DTypeTable) {
  // Every name parses back to itself; sizes follow the reference.
  for (int i = 0; i <= int(DType::F6_E3M2); ++i) {
    DType t = DType(i);
    EXPECT_EQ(parseDType(dtypeName(t)), t) << dtypeName(t);
  }
  EXPECT_EQ(dtypeBits(DType::F4), 4u);
  EXPECT_EQ(dtypeBits(DType::F6_E2M3), 6u);
  EXPECT_EQ(dtypeBits(DType::BF16), 16u);
  EXPECT_EQ(dtypeBits(DType::C64), 64u);
  EXPECT_FALSE(parseDType("f32")) << "dtype names are case-sensitive";
  EXPECT_EQ(quantFormatOf(DType::F8_E4M3), lmc::quant::Format::F8_E4M3);
  EXPECT_FALSE(quantFormatOf(DType::U8));
}

} // namespace
