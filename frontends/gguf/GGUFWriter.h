//===- GGUFWriter.h - GGUF v3 writer ----------------------------*- C++ -*-===//
//
// Collects metadata and tensor descriptions, then writes a GGUF v3 file in
// one pass: header, metadata, tensor infos, and tensor data, each tensor
// padded to the alignment (tensors are laid out contiguously in the order
// they were added, as ggml's writer does, so llama.cpp accepts the file).
// Tensor bytes can be supplied up front or produced by a callback at write
// time, so multi-gigabyte models never have to sit in memory at once.
//
//===----------------------------------------------------------------------===//

#ifndef LMC_FRONTENDS_GGUF_GGUFWRITER_H
#define LMC_FRONTENDS_GGUF_GGUFWRITER_H

#include "frontends/gguf/GGUFTypes.h"

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace lmc::gguf {

class GGUFWriter {
public:
  /// Fills `dst` (exactly the tensor's byte size) with the tensor's data.
  /// Returns false with a message to abort the write.
  using FillFn = std::function<bool(uint8_t *dst, std::string &error)>;

  GGUFWriter() = default;

  /// Sets the alignment and records it as general.alignment (u32). Returns
  /// false if `alignment` is not a power of two. Call before adding tensors
  /// or afterwards: offsets are computed at write time.
  bool setAlignment(uint32_t alignment);
  uint32_t alignment() const { return align; }

  /// Sets `key` to `value`; a key set twice keeps its first position.
  void set(const std::string &key, Value value);
  void setU8(const std::string &k, uint8_t v) { set(k, Value::makeU8(v)); }
  void setI8(const std::string &k, int8_t v) { set(k, Value::makeI8(v)); }
  void setU16(const std::string &k, uint16_t v) { set(k, Value::makeU16(v)); }
  void setI16(const std::string &k, int16_t v) { set(k, Value::makeI16(v)); }
  void setU32(const std::string &k, uint32_t v) { set(k, Value::makeU32(v)); }
  void setI32(const std::string &k, int32_t v) { set(k, Value::makeI32(v)); }
  void setU64(const std::string &k, uint64_t v) { set(k, Value::makeU64(v)); }
  void setI64(const std::string &k, int64_t v) { set(k, Value::makeI64(v)); }
  void setF32(const std::string &k, float v) { set(k, Value::makeF32(v)); }
  void setF64(const std::string &k, double v) { set(k, Value::makeF64(v)); }
  void setBool(const std::string &k, bool v) { set(k, Value::makeBool(v)); }
  void setString(const std::string &k, std::string v) {
    set(k, Value::makeString(std::move(v)));
  }
  void setStringArray(const std::string &k, std::vector<std::string> v) {
    set(k, Value::makeStringArray(std::move(v)));
  }
  template <typename T>
  void setArray(const std::string &k, const std::vector<T> &v) {
    set(k, Value::makeArray(v));
  }
  /// Removes `key` if present.
  void erase(const std::string &key);

  /// Adds a tensor whose bytes `fill` produces at write time. Checks the name
  /// (non-empty, unique, at most 63 bytes), the shape (1-4 dimensions, none
  /// zero, element count within int64) and that ne[0] is a whole number of
  /// blocks of `type`.
  bool addTensor(const std::string &name, const std::vector<uint64_t> &ne,
                 GGMLType type, FillFn fill, std::string &error);
  /// Adds a tensor with its bytes (must be exactly the tensor's size).
  bool addTensor(const std::string &name, const std::vector<uint64_t> &ne,
                 GGMLType type, std::vector<uint8_t> bytes,
                 std::string &error);

  size_t numTensors() const { return tensors.size(); }
  size_t numKeys() const { return kvs.size(); }

  /// Writes the file (overwriting `path`). The message names the path.
  bool write(const std::string &path, std::string &error) const;
  /// Writes the file image into `out`.
  bool writeToBuffer(std::vector<uint8_t> &out, std::string &error) const;

  /// Byte destination of a write (file or buffer); defined in the .cpp.
  class Sink;

private:
  struct PendingTensor {
    std::string name;
    std::vector<uint64_t> ne;
    GGMLType type;
    uint64_t nbytes;
    FillFn fill;
  };
  bool writeTo(Sink &sink, std::string &error) const;

  uint32_t align = 32;
  std::vector<std::pair<std::string, Value>> kvs;
  std::map<std::string, size_t> kvIndex;
  std::vector<PendingTensor> tensors;
  std::map<std::string, size_t> tensorIndex;
};

} // namespace lmc::gguf

#endif // LMC_FRONTENDS_GGUF_GGUFWRITER_H
