//===- SafeTensors.h - Bounds-checked safetensors reader --------*- C++ -*-===//
//
// Reads one .safetensors file over a read-only memory mapping; tensor bytes
// are never copied. Layout (huggingface/safetensors): an 8-byte little-endian
// header length N, N bytes of UTF-8 JSON (possibly padded with spaces), then
// the data section. Each tensor's "data_offsets" [begin, end) are relative to
// the data section.
//
// open() validates everything before returning, as strictly as the reference
// implementation: N bounded (at most 100 MB, inside the file) before anything
// is parsed; every dtype known (and, by default, one lmc reads); element
// count and byte size without overflow; end - begin equal to the size that
// dtype x shape needs; and the tensors, sorted by offset, tiling the data
// section exactly (no overlap, no gap, nothing after the last one). A file
// that passes can be indexed without further checks.
//
// Failures are one line, "<path>: <problem>". Nothing throws or aborts.
// (As with any mapping, a file truncated by another process while mapped
// faults on access; that is outside what validation can prevent.)
//
//===----------------------------------------------------------------------===//

#ifndef LMC_FRONTENDS_HF_SAFETENSORS_H
#define LMC_FRONTENDS_HF_SAFETENSORS_H

#include "frontends/hf/SafeTensorsTypes.h"

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lmc::hf {

/// The reference implementation's limit on the JSON header.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

/// One tensor of a validated file.
struct TensorInfo {
  std::string name;
  DType dtype = DType::F32;
  /// Row-major (C order): the last dimension is contiguous. An empty shape
  /// is a scalar (one element).
  std::vector<uint64_t> shape;
  /// Absolute byte offset of the first byte in the file.
  uint64_t fileOffset = 0;
  /// Byte size (dtype bits x elements / 8).
  uint64_t nbytes = 0;

  uint64_t numElements() const;
  /// "[4096, 1024]".
  std::string shapeString() const;
};

struct ReadOptions {
  /// Accept known dtypes lmc does not compute with (F64, I64, BOOL, ...):
  /// for tools that list files. Unknown dtype strings are always rejected.
  bool allowUnsupportedDTypes = false;
};

/// A validated, memory-mapped safetensors file.
class SafeTensorsFile {
public:
  /// Maps and validates `path`. Returns null and sets `error` on failure.
  static std::unique_ptr<SafeTensorsFile> open(const std::string &path,
                                               std::string &error,
                                               const ReadOptions &options = {});
  /// Validates an in-memory image; `name` stands for the path in messages.
  static std::unique_ptr<SafeTensorsFile>
  openBuffer(std::vector<uint8_t> bytes, const std::string &name,
             std::string &error, const ReadOptions &options = {});
  ~SafeTensorsFile();
  SafeTensorsFile(const SafeTensorsFile &) = delete;
  SafeTensorsFile &operator=(const SafeTensorsFile &) = delete;

  const std::string &path() const { return filePath; }
  uint64_t fileSize() const { return size; }
  /// Offset of the data section (8 + header length).
  uint64_t dataOffset() const { return dataStart; }

  /// Tensors in data order (by offset).
  const std::vector<TensorInfo> &tensors() const { return tensorInfos; }
  /// The tensor called `name`, or null.
  const TensorInfo *find(std::string_view name) const;
  /// First byte of a tensor's data inside the mapping (t must be one of
  /// tensors()).
  const uint8_t *data(const TensorInfo &t) const { return base + t.fileOffset; }
  /// The "__metadata__" strings.
  const std::map<std::string, std::string> &metadata() const { return meta; }

private:
  SafeTensorsFile() = default;
  bool validate(const ReadOptions &options, std::string &problem);

  std::string filePath;
  const uint8_t *base = nullptr;
  uint64_t size = 0;
  void *mapping = nullptr;     // non-null when `base` is an mmap
  std::vector<uint8_t> buffer; // owns the image for openBuffer()
  uint64_t dataStart = 0;
  std::vector<TensorInfo> tensorInfos;
  std::map<std::string, size_t, std::less<>> tensorIndex;
  std::map<std::string, std::string> meta;
};

} // namespace lmc::hf

#endif // LMC_FRONTENDS_HF_SAFETENSORS_H
