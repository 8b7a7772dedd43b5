//===- SafeTensorsWriter.h - safetensors writer -----------------*- C++ -*-===//
//
// Collects tensor descriptions, then writes a .safetensors file (or a sharded
// set with its model.safetensors.index.json) in one pass. Tensor bytes come
// from a callback asked for one bounded chunk at a time, so neither a
// multi-gigabyte file nor a multi-gigabyte tensor ever sits in memory.
//
// Layout as the reference writer makes it: the JSON header is padded with
// spaces to a multiple of 8 bytes, and tensors are laid out back to back in
// order of decreasing element size (insertion order among equals), so every
// tensor starts at a multiple of its element size in the file.
//
//===----------------------------------------------------------------------===//

#ifndef LMC_FRONTENDS_HF_SAFETENSORSWRITER_H
#define LMC_FRONTENDS_HF_SAFETENSORSWRITER_H

#include "frontends/hf/SafeTensorsTypes.h"

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace lmc::hf {

class SafeTensorsWriter {
public:
  /// Writes bytes [offset, offset + count) of the tensor into `dst`. Returns
  /// false with a message to abort the write.
  using FillFn = std::function<bool(uint64_t offset, uint8_t *dst,
                                    uint64_t count, std::string &error)>;

  /// Adds a "__metadata__" entry (a key set twice keeps the last value).
  void setMetadata(const std::string &key, std::string value);

  /// Adds a tensor whose bytes `fill` produces at write time. Checks the
  /// name (non-empty, valid UTF-8, unique, not "__metadata__"), the rank (at
  /// most kMaxTensorRank) and that the byte size is whole and representable.
  bool addTensor(const std::string &name, DType dtype,
                 const std::vector<uint64_t> &shape, FillFn fill,
                 std::string &error);
  /// Adds a tensor with its bytes (exactly the tensor's size).
  bool addTensor(const std::string &name, DType dtype,
                 const std::vector<uint64_t> &shape, std::vector<uint8_t> bytes,
                 std::string &error);

  /// Largest chunk requested from a FillFn (default 16 MiB).
  void setChunkBytes(uint64_t bytes) { chunkBytes = bytes ? bytes : 1; }

  size_t numTensors() const { return tensors.size(); }
  /// Sum of all tensors' byte sizes.
  uint64_t totalTensorBytes() const;

  /// Writes one file (overwriting `path`; removed again on failure).
  bool write(const std::string &path, std::string &error) const;
  /// Writes the file image into `out`.
  bool writeToBuffer(std::vector<uint8_t> &out, std::string &error) const;

  /// Writes DIR/BASE-00001-of-0000N.safetensors ... and
  /// DIR/BASE.safetensors.index.json ({"metadata": {"total_size": bytes},
  /// "weight_map": {tensor: file}}), Hugging Face's naming. Tensors fill
  /// shards in data order; a shard is closed before a tensor that would
  /// take it past `maxShardBytes` of tensor data (a larger tensor gets a
  /// shard of its own). Every shard carries the metadata.
  bool writeSharded(const std::string &dir, uint64_t maxShardBytes,
                    std::string &error,
                    const std::string &baseName = "model") const;

  /// Destination of a write (file or buffer); defined in the .cpp.
  class Sink;

private:
  struct PendingTensor {
    std::string name;
    DType dtype;
    std::vector<uint64_t> shape;
    uint64_t nbytes;
    FillFn fill;
  };
  /// Tensor indices in the order their data is laid out.
  std::vector<size_t> dataOrder() const;
  bool writeFile(const std::vector<size_t> &order, Sink &sink,
                 std::string &error) const;
  bool writeFileAt(const std::string &path, const std::vector<size_t> &order,
                   std::string &error) const;

  std::map<std::string, std::string> meta;
  std::vector<PendingTensor> tensors;
  std::set<std::string> names;
  uint64_t chunkBytes = 16ull << 20;
};

} // namespace lmc::hf

#endif // LMC_FRONTENDS_HF_SAFETENSORSWRITER_H
