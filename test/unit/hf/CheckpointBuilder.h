//===- CheckpointBuilder.h - Small synthetic HF checkpoints -----*- C++ -*-===//
//
// Builds a safetensors checkpoint tensor by tensor (names written out by
// each test, independently of the mapping tables under test), with seeded
// contents: float tensors hold finite values, F8_E4M3 tensors valid
// non-NaN codes, U8 tensors arbitrary bytes unless given.
//
//===----------------------------------------------------------------------===//

#ifndef LMC_TEST_UNIT_HF_CHECKPOINTBUILDER_H
#define LMC_TEST_UNIT_HF_CHECKPOINTBUILDER_H

#include "HFTestUtil.h"

#include "frontends/hf/Checkpoint.h"
#include "frontends/hf/SafeTensorsWriter.h"
#include "frontends/quant/QuantFormats.h"

#include <map>
#include <memory>
#include <random>

namespace lmc::hf::test {

class CheckpointBuilder {
public:
  explicit CheckpointBuilder(uint32_t seed = 1) : rng(seed) {}

  /// Adds a tensor with seeded contents.
  void add(const std::string &name, DType dtype,
           const std::vector<uint64_t> &shape) {
    uint64_t n = 1;
    for (uint64_t d : shape)
      n *= d;
    std::vector<uint8_t> bytes(n * dtypeBits(dtype) / 8);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (uint64_t i = 0; i < n; ++i) {
      switch (dtype) {
      case DType::F32: {
        float v = normal(rng);
        std::memcpy(&bytes[i * 4], &v, 4);
        break;
      }
      case DType::F16: {
        uint16_t h = quant::f32ToF16(normal(rng));
        std::memcpy(&bytes[i * 2], &h, 2);
        break;
      }
      case DType::BF16: {
        uint16_t h = quant::f32ToBf16(normal(rng));
        std::memcpy(&bytes[i * 2], &h, 2);
        break;
      }
      case DType::F8_E4M3: {
        uint8_t q = uint8_t(rng());
        if ((q & 0x7f) == 0x7f)
          q ^= 1; // not NaN
        bytes[i] = q;
        break;
      }
      default:
        bytes[i] = uint8_t(rng());
      }
    }
    addBytes(name, dtype, shape, std::move(bytes));
  }

  /// Adds (or replaces) a tensor with the given bytes.
  void addBytes(const std::string &name, DType dtype,
                const std::vector<uint64_t> &shape,
                std::vector<uint8_t> bytes) {
    contents[name] = {dtype, shape, std::move(bytes)};
  }

  /// U8 E8M0 scales in a range that keeps decoded MXFP4 values finite.
  void addScales(const std::string &name, const std::vector<uint64_t> &shape) {
    uint64_t n = 1;
    for (uint64_t d : shape)
      n *= d;
    std::vector<uint8_t> bytes(n);
    for (uint8_t &b : bytes)
      b = uint8_t(118 + rng() % 18);
    addBytes(name, DType::U8, shape, std::move(bytes));
  }

  void remove(const std::string &name) { contents.erase(name); }

  /// Writes the checkpoint (sharded into `shardBytes` pieces when non-zero)
  /// and opens it.
  std::unique_ptr<Checkpoint> open(uint64_t shardBytes = 0) {
    SafeTensorsWriter out;
    std::string err;
    for (const auto &[name, t] : contents)
      EXPECT_TRUE(out.addTensor(name, t.dtype, t.shape, t.bytes, err)) << err;
    bool ok = shardBytes ? out.writeSharded(dir.path(), shardBytes, err)
                         : out.write(dir.file("model.safetensors"), err);
    EXPECT_TRUE(ok) << err;
    auto ckpt = Checkpoint::open(dir.path(), err);
    EXPECT_TRUE(ckpt) << err;
    return ckpt;
  }

  const std::vector<uint8_t> &bytes(const std::string &name) const {
    return contents.at(name).bytes;
  }
  /// Element i of a float tensor, decoded.
  float value(const std::string &name, uint64_t i) const {
    const Stored &t = contents.at(name);
    float v;
    quant::dequantizeRow(*quantFormatOf(t.dtype),
                         t.bytes.data() + i * (dtypeBits(t.dtype) / 8), &v, 1);
    return v;
  }

  TempDir dir;

private:
  struct Stored {
    DType dtype;
    std::vector<uint64_t> shape;
    std::vector<uint8_t> bytes;
  };
  std::mt19937 rng;
  std::map<std::string, Stored> contents;
};

} // namespace lmc::hf::test

#endif // LMC_TEST_UNIT_HF_CHECKPOINTBUILDER_H
