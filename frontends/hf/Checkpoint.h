//===- Checkpoint.h - The safetensors files of a checkpoint -----*- C++ -*-===//
//
// A Hugging Face checkpoint's weights: either one model.safetensors or the
// shards named by model.safetensors.index.json ({"weight_map": {tensor:
// shard file}}). Every shard is memory-mapped and validated; the index must
// agree with the shards exactly: each listed tensor is in the shard it names,
// each tensor of a shard is listed (for that shard), no tensor is in two
// shards, and shard names are plain file names in the same folder.
//
//===----------------------------------------------------------------------===//

#ifndef LMC_FRONTENDS_HF_CHECKPOINT_H
#define LMC_FRONTENDS_HF_CHECKPOINT_H

#include "frontends/hf/SafeTensors.h"

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace lmc::hf {

/// The index file Hugging Face writes next to sharded weights.
constexpr const char *kIndexFileName = "model.safetensors.index.json";
/// The single-file name Hugging Face writes when not sharding.
constexpr const char *kSingleFileName = "model.safetensors";
/// Largest index file read (DeepSeek-V3's is about 8 MB).
constexpr uint64_t kMaxIndexFileBytes = 64ull << 20;

/// Where one tensor lives.
struct CheckpointTensor {
  const SafeTensorsFile *file = nullptr;
  const TensorInfo *info = nullptr;

  /// The tensor's first byte inside its file's mapping.
  const uint8_t *data() const { return file->data(*info); }
};

class Checkpoint {
public:
  /// `path` is a folder (its model.safetensors if present, else its index,
  /// the order transformers uses),
  /// a .safetensors file, or an index .json file. Null with `error`
  /// ("<file>: <problem>", one line) on failure.
  static std::unique_ptr<Checkpoint> open(const std::string &path,
                                          std::string &error,
                                          const ReadOptions &options = {});

  /// The mapped files, in shard-name order.
  const std::vector<std::unique_ptr<SafeTensorsFile>> &files() const {
    return shardFiles;
  }
  /// The index file, or empty for a single-file checkpoint.
  const std::string &indexPath() const { return index; }

  size_t numTensors() const { return byName.size(); }
  /// Every tensor by name, in name order.
  const std::map<std::string, CheckpointTensor, std::less<>> &tensors() const {
    return byName;
  }
  /// The tensor called `name`, or null.
  const CheckpointTensor *find(std::string_view name) const;

private:
  Checkpoint() = default;
  bool addFile(std::unique_ptr<SafeTensorsFile> file, std::string &error);
  bool openIndex(const std::string &indexFile, const ReadOptions &options,
                 std::string &error);

  std::string index;
  std::vector<std::unique_ptr<SafeTensorsFile>> shardFiles;
  std::map<std::string, CheckpointTensor, std::less<>> byName;
};

} // namespace lmc::hf

#endif // LMC_FRONTENDS_HF_CHECKPOINT_H
