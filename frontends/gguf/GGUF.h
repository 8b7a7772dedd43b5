//===- GGUF.h - Bounds-checked GGUF reader ----------------------*- C++ -*-===//
//
// Reads a GGUF file (versions 2 and 3, little-endian) over a read-only memory
// mapping. open() validates the whole structure up front: header, every
// metadata value, general.alignment, every tensor info and that every
// tensor's data range lies inside the file, is aligned and overlaps no other.
// A file that passes can be indexed without further checks.
//
// Nothing here throws or aborts: failures are one-line messages of the form
// "<path>: <problem>". Untrusted counts and lengths are checked against the
// bytes left in the file before anything is allocated for them.
//
// Plain C++17; no MLIR/LLVM dependency.
//
//===----------------------------------------------------------------------===//

#ifndef LMC_FRONTENDS_GGUF_GGUF_H
#define LMC_FRONTENDS_GGUF_GGUF_H

#include "frontends/gguf/GGUFTypes.h"

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace lmc::gguf {

/// Alignment of the data section and of tensor offsets when the file has no
/// general.alignment key.
constexpr uint32_t kDefaultAlignment = 32;
/// The key that overrides the alignment (must be a u32 power of two).
constexpr const char *kAlignmentKey = "general.alignment";
/// ggml keeps tensor names in a 64-byte buffer including the terminator.
constexpr size_t kMaxTensorNameLength = 63;
/// Limit on key length (GGUF stores it as u64, but keys are short names).
constexpr size_t kMaxKeyLength = 65535;
/// Maximum number of tensor dimensions (GGML_MAX_DIMS).
constexpr uint32_t kMaxDims = 4;
/// Deepest accepted array-of-array nesting (an array of scalars is depth 1).
constexpr unsigned kMaxArrayDepth = 8;

/// One tensor's description.
struct TensorInfo {
  std::string name;
  /// Dimensions in ggml order: ne[0] is the contiguous (row) dimension.
  std::vector<uint64_t> ne;
  GGMLType type = GGMLType::F32;
  /// Byte offset from the start of the data section (GGUFFile::dataOffset()).
  uint64_t offset = 0;
  /// Size of the tensor's data in bytes.
  uint64_t nbytes = 0;

  uint64_t numElements() const;
  /// Number of rows: the product of ne[1..].
  uint64_t numRows() const;
  /// Shape as "[4096, 1024]".
  std::string shapeString() const;
};

/// A validated, memory-mapped GGUF file.
class GGUFFile {
public:
  /// Maps and validates `path`. Returns null and sets `error` on failure.
  static std::unique_ptr<GGUFFile> open(const std::string &path,
                                        std::string &error);
  /// Validates an in-memory image; `name` stands for the path in messages.
  static std::unique_ptr<GGUFFile> openBuffer(std::vector<uint8_t> bytes,
                                              const std::string &name,
                                              std::string &error);
  ~GGUFFile();
  GGUFFile(const GGUFFile &) = delete;
  GGUFFile &operator=(const GGUFFile &) = delete;

  const std::string &path() const { return filePath; }
  uint32_t version() const { return fileVersion; }
  uint64_t alignment() const { return fileAlignment; }
  uint64_t fileSize() const { return size; }
  /// Whole file image.
  const uint8_t *fileData() const { return base; }
  /// Offset of the data section from the start of the file (aligned). With no
  /// tensors it may equal fileSize().
  uint64_t dataOffset() const { return dataStart; }
  /// Start of the data section.
  const uint8_t *data() const { return base + dataStart; }

  //===--------------------------------------------------------------------===//
  // Metadata
  //===--------------------------------------------------------------------===//

  /// Keys in file order.
  size_t numKeys() const { return keys.size(); }
  const std::string &key(size_t i) const { return keys[i].first; }
  const Value &value(size_t i) const { return keys[i].second; }
  /// The value of `key`, or null.
  const Value *find(std::string_view key) const;
  bool has(std::string_view key) const { return find(key) != nullptr; }

  /// Typed accessors: return false and set `error` ("<path>: key 'k' is
  /// missing" / "... has type f32, expected u32") unless the key exists with
  /// exactly the requested type. No conversions: llama.cpp is strict too.
  bool getU8(std::string_view key, uint8_t &out, std::string &error) const;
  bool getI8(std::string_view key, int8_t &out, std::string &error) const;
  bool getU16(std::string_view key, uint16_t &out, std::string &error) const;
  bool getI16(std::string_view key, int16_t &out, std::string &error) const;
  bool getU32(std::string_view key, uint32_t &out, std::string &error) const;
  bool getI32(std::string_view key, int32_t &out, std::string &error) const;
  bool getU64(std::string_view key, uint64_t &out, std::string &error) const;
  bool getI64(std::string_view key, int64_t &out, std::string &error) const;
  bool getF32(std::string_view key, float &out, std::string &error) const;
  bool getF64(std::string_view key, double &out, std::string &error) const;
  bool getBool(std::string_view key, bool &out, std::string &error) const;
  bool getString(std::string_view key, std::string &out,
                 std::string &error) const;

  /// Array accessors; the element type must match exactly.
  bool getStringArray(std::string_view key, std::vector<std::string> &out,
                      std::string &error) const;
  bool getBoolArray(std::string_view key, std::vector<bool> &out,
                    std::string &error) const;
  /// T: uint8_t, int8_t, uint16_t, int16_t, uint32_t, int32_t, uint64_t,
  /// int64_t, float or double.
  template <typename T>
  bool getArray(std::string_view key, std::vector<T> &out,
                std::string &error) const {
    const Value *v = findTyped(key, ValueType::Array, ValueTypeOf<T>::value,
                               error);
    if (!v)
      return false;
    out.resize(v->size());
    if (!out.empty())
      std::memcpy(out.data(), v->rawElems().data(), out.size() * sizeof(T));
    return true;
  }
  bool getI32Array(std::string_view key, std::vector<int32_t> &out,
                   std::string &error) const {
    return getArray(key, out, error);
  }
  bool getU32Array(std::string_view key, std::vector<uint32_t> &out,
                   std::string &error) const {
    return getArray(key, out, error);
  }
  bool getF32Array(std::string_view key, std::vector<float> &out,
                   std::string &error) const {
    return getArray(key, out, error);
  }

  //===--------------------------------------------------------------------===//
  // Tensors
  //===--------------------------------------------------------------------===//

  /// Tensor infos in file order.
  const std::vector<TensorInfo> &tensors() const { return tensorInfos; }
  /// The tensor called `name`, or null.
  const TensorInfo *findTensor(std::string_view name) const;
  /// First byte of a tensor's data (t must be one of tensors()).
  const uint8_t *tensorData(const TensorInfo &t) const {
    return data() + t.offset;
  }

  /// "<path>: <message>", for callers that report their own problems.
  std::string errorPrefix() const { return filePath + ": "; }

private:
  GGUFFile() = default;
  friend class GGUFParser;

  /// The value of `key` if it has type `type` (and, for arrays, element type
  /// `elem`); else null with `error` set.
  const Value *findTyped(std::string_view key, ValueType type, ValueType elem,
                         std::string &error) const;

  std::string filePath;
  const uint8_t *base = nullptr;
  uint64_t size = 0;
  void *mapping = nullptr; // non-null when `base` is an mmap
  std::vector<uint8_t> buffer; // owns the image for openBuffer()
  uint32_t fileVersion = 0;
  uint64_t fileAlignment = kDefaultAlignment;
  uint64_t dataStart = 0;
  std::vector<std::pair<std::string, Value>> keys;
  std::map<std::string, size_t, std::less<>> keyIndex;
  std::vector<TensorInfo> tensorInfos;
  std::map<std::string, size_t, std::less<>> tensorIndex;
};

} // namespace lmc::gguf

#endif // LMC_FRONTENDS_GGUF_GGUF_H
