//===- GGUF.cpp - Bounds-checked GGUF reader ------------------------------===//
//
// Layout (all little-endian): "GGUF", u32 version, u64 n_tensors, u64 n_kv,
// n_kv × (string key, u32 type, value), n_tensors × (string name, u32 n_dims,
// u64 ne[n_dims], u32 ggml type, u64 offset), padding to the alignment, data.
// A string is a u64 length and that many bytes; an array is a u32 element
// type, a u64 count and the elements.
//
//===----------------------------------------------------------------------===//

#include "frontends/gguf/GGUF.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace lmc::gguf;

namespace {
/// Smallest possible encodings, used to bound counts before allocating.
constexpr uint64_t kMinKVBytes = 8 + 1 + 4 + 1;        // key len, key, type, value
constexpr uint64_t kMinTensorInfoBytes = 8 + 1 + 4 + 8 + 4 + 8;
constexpr uint64_t kMinArrayBytes = 4 + 8;            // elem type, count
constexpr uint64_t kMinStringBytes = 8;               // length
/// Stop pre-reserving beyond this many elements; vectors grow as bytes arrive.
constexpr uint64_t kMaxReserve = 1 << 16;

std::string num(uint64_t v) { return std::to_string(v); }

/// Quotes a name for a one-line message: control bytes (and, in invalid
/// UTF-8, all non-ASCII bytes) escaped, long names shortened.
std::string quote(const std::string &s) {
  std::string out = "'";
  size_t n = std::min<size_t>(s.size(), 120);
  bool escapeHigh = !isValidUtf8(s);
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = s[i];
    if (c < 0x20 || c == 0x7f || c == '\'' || c == '\\' ||
        (escapeHigh && c >= 0x80)) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    } else {
      out += char(c);
    }
  }
  if (s.size() > n)
    out += "...";
  return out + "'";
}

bool hasControlChars(const std::string &s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f)
      return true;
  return false;
}

bool isPowerOfTwo(uint64_t v) { return v && (v & (v - 1)) == 0; }

std::string rangeString(uint64_t begin, uint64_t end) {
  return "[" + num(begin) + ", " + num(end) + ")";
}
} // namespace

//===----------------------------------------------------------------------===//
// TensorInfo
//===----------------------------------------------------------------------===//

uint64_t TensorInfo::numElements() const {
  uint64_t n = 1;
  for (uint64_t d : ne)
    n *= d;
  return n;
}

uint64_t TensorInfo::numRows() const {
  uint64_t n = 1;
  for (size_t i = 1; i < ne.size(); ++i)
    n *= ne[i];
  return n;
}

std::string TensorInfo::shapeString() const {
  std::string s = "[";
  for (size_t i = 0; i < ne.size(); ++i)
    s += (i ? ", " : "") + num(ne[i]);
  return s + "]";
}

//===----------------------------------------------------------------------===//
// Parser
//===----------------------------------------------------------------------===//

namespace lmc::gguf {
/// Walks the file image once, filling a GGUFFile. Every read checks the bytes
/// left; every count is checked against them before anything is reserved.
class GGUFParser {
public:
  explicit GGUFParser(GGUFFile &file)
      : file(file), base(file.base), size(file.size) {}

  /// Parses and validates everything; on failure returns false with the
  /// problem (without the path prefix) in `problem`.
  bool run(std::string &problem) {
    bool ok = parseHeader() && parseKVs() && parseAlignment() &&
              parseTensorInfos() && validateTensorData();
    if (!ok)
      problem = err;
    return ok;
  }

private:
  bool fail(std::string msg) {
    err = std::move(msg);
    return false;
  }
  uint64_t left() const { return size - pos; }

  /// The message for running out of bytes while reading `what`.
  bool truncated(const std::string &what, uint64_t needed) {
    return fail("unexpected end of file at offset " + num(pos) +
                " while reading " + what + " (" + num(needed) +
                " bytes needed, " + num(left()) + " left)");
  }

  template <typename T> bool read(T &out) {
    if (left() < sizeof(T))
      return false;
    std::memcpy(&out, base + pos, sizeof(T));
    pos += sizeof(T);
    return true;
  }

  template <typename T> bool read(T &out, const std::string &what) {
    return read(out) || truncated(what, sizeof(T));
  }

  /// Reads a length-prefixed string. `what` names it for messages.
  bool readString(std::string &out, const std::string &what) {
    uint64_t len;
    if (!read(len))
      return truncated("the length of " + what, 8);
    if (len > left())
      return fail(what + ": string length " + num(len) + " at offset " +
                  num(pos - 8) + " extends past end of file (" +
                  num(left()) + " bytes left)");
    out.assign(reinterpret_cast<const char *>(base + pos), size_t(len));
    pos += len;
    return true;
  }

  bool parseHeader();
  bool parseKVs();
  bool parseValue(ValueType type, const std::string &what, unsigned depth,
                  Value &out);
  bool parseArray(const std::string &what, unsigned depth, Value &out);
  bool parseAlignment();
  bool parseTensorInfos();
  bool parseTensorInfo(uint64_t index, TensorInfo &info);
  bool validateTensorData();

  GGUFFile &file;
  const uint8_t *base;
  uint64_t size;
  uint64_t pos = 0;
  uint64_t numTensors = 0;
  uint64_t numKVs = 0;
  std::string err;
};
} // namespace lmc::gguf

bool GGUFParser::parseHeader() {
  if (size < 4)
    return fail("file is " + num(size) +
                " bytes, too small to be a GGUF file");
  if (std::memcmp(base, "GGUF", 4) != 0) {
    std::string magic(reinterpret_cast<const char *>(base), 4);
    return fail("bad magic " + quote(magic) +
                " (expected 'GGUF'): not a GGUF file");
  }
  pos = 4;
  uint32_t version;
  if (!read(version, "the version"))
    return false;
  if (version != 2 && version != 3) {
    // A byte-swapped small version is a big-endian file.
    uint32_t swapped = __builtin_bswap32(version);
    if (swapped == 2 || swapped == 3)
      return fail("big-endian GGUF files are not supported");
    if (version == 1)
      return fail("GGUF version 1 is not supported (only versions 2 and 3)");
    return fail("unsupported GGUF version " + num(version) +
                " (only versions 2 and 3 are supported)");
  }
  file.fileVersion = version;
  if (!read(numTensors, "the tensor count") ||
      !read(numKVs, "the metadata key count"))
    return false;
  if (numKVs > left() / kMinKVBytes)
    return fail("metadata key count " + num(numKVs) +
                " cannot fit in the file (" + num(left()) +
                " bytes after the header, at least " + num(kMinKVBytes) +
                " per key)");
  if (numTensors > left() / kMinTensorInfoBytes)
    return fail("tensor count " + num(numTensors) +
                " cannot fit in the file (" + num(left()) +
                " bytes after the header, at least " +
                num(kMinTensorInfoBytes) + " per tensor info)");
  return true;
}

bool GGUFParser::parseKVs() {
  file.keys.reserve(numKVs);
  for (uint64_t i = 0; i < numKVs; ++i) {
    std::string key;
    std::string keyWhat = "the name of metadata key #" + num(i);
    uint64_t keyPos = pos;
    if (!readString(key, keyWhat))
      return false;
    if (key.empty())
      return fail("metadata key #" + num(i) + " at offset " + num(keyPos) +
                  " is empty");
    if (key.size() > kMaxKeyLength)
      return fail("metadata key #" + num(i) + " is " + num(key.size()) +
                  " bytes long (at most " + num(kMaxKeyLength) + ")");
    if (!isValidUtf8(key))
      return fail("metadata key #" + num(i) + " " + quote(key) +
                  " is not valid UTF-8");
    if (hasControlChars(key))
      return fail("metadata key #" + num(i) + " " + quote(key) +
                  " contains control characters");
    auto it = file.keyIndex.find(key);
    if (it != file.keyIndex.end())
      return fail("duplicate metadata key " + quote(key) + " (keys #" +
                  num(it->second) + " and #" + num(i) + ")");

    std::string what = "key " + quote(key);
    uint32_t typeId;
    if (!read(typeId, "the value type of " + what))
      return false;
    if (!isValidValueType(typeId))
      return fail(what + " has unknown value type " + num(typeId));
    Value v;
    if (!parseValue(ValueType(typeId), what, 0, v))
      return false;
    file.keyIndex.emplace(key, file.keys.size());
    file.keys.emplace_back(std::move(key), std::move(v));
  }
  return true;
}

bool GGUFParser::parseValue(ValueType type, const std::string &what,
                            unsigned depth, Value &out) {
  switch (type) {
  case ValueType::String: {
    std::string s;
    if (!readString(s, "the value of " + what))
      return false;
    out = Value::makeString(std::move(s));
    return true;
  }
  case ValueType::Array:
    return parseArray(what, depth + 1, out);
  default:
    break;
  }
  size_t n = valueTypeSize(type);
  if (left() < n)
    return truncated("the value of " + what, n);
  const uint8_t *p = base + pos;
  pos += n;
  auto get = [&](auto v) {
    std::memcpy(&v, p, sizeof(v));
    return v;
  };
  switch (type) {
  case ValueType::U8:
    out = Value::makeU8(*p);
    break;
  case ValueType::I8:
    out = Value::makeI8(int8_t(*p));
    break;
  case ValueType::Bool:
    if (*p > 1)
      return fail(what + " has bool value " + num(*p) +
                  " (must be 0 or 1)");
    out = Value::makeBool(*p != 0);
    break;
  case ValueType::U16:
    out = Value::makeU16(get(uint16_t()));
    break;
  case ValueType::I16:
    out = Value::makeI16(get(int16_t()));
    break;
  case ValueType::U32:
    out = Value::makeU32(get(uint32_t()));
    break;
  case ValueType::I32:
    out = Value::makeI32(get(int32_t()));
    break;
  case ValueType::F32:
    out = Value::makeF32(get(float()));
    break;
  case ValueType::U64:
    out = Value::makeU64(get(uint64_t()));
    break;
  case ValueType::I64:
    out = Value::makeI64(get(int64_t()));
    break;
  case ValueType::F64:
    out = Value::makeF64(get(double()));
    break;
  default:
    return fail(what + " has unknown value type " + num(uint32_t(type)));
  }
  return true;
}

bool GGUFParser::parseArray(const std::string &what, unsigned depth,
                            Value &out) {
  uint32_t elemId;
  uint64_t count;
  if (!read(elemId, "the array element type of " + what) ||
      !read(count, "the array length of " + what))
    return false;
  if (!isValidValueType(elemId))
    return fail(what + " is an array of unknown value type " + num(elemId));
  ValueType elem = ValueType(elemId);
  if (elem == ValueType::Array && depth + 1 > kMaxArrayDepth)
    return fail(what + " nests arrays more than " + num(kMaxArrayDepth) +
                " levels deep");

  uint64_t minBytes = elem == ValueType::String  ? kMinStringBytes
                      : elem == ValueType::Array ? kMinArrayBytes
                                                 : valueTypeSize(elem);
  if (count > left() / minBytes)
    return fail(what + ": array of " + num(count) + " " +
                valueTypeName(elem) + " elements cannot fit in the " +
                num(left()) + " bytes left in the file");

  if (elem == ValueType::String) {
    std::vector<std::string> strs;
    strs.reserve(std::min(count, kMaxReserve));
    for (uint64_t i = 0; i < count; ++i) {
      std::string s;
      if (!readString(s, "element " + num(i) + " of " + what))
        return false;
      strs.push_back(std::move(s));
    }
    out = Value::makeStringArray(std::move(strs));
    return true;
  }
  if (elem == ValueType::Array) {
    std::vector<Value> elems;
    elems.reserve(std::min(count, kMaxReserve));
    for (uint64_t i = 0; i < count; ++i) {
      Value v;
      if (!parseArray("element " + num(i) + " of " + what, depth + 1, v))
        return false;
      elems.push_back(std::move(v));
    }
    out = Value::makeArrayOfArrays(std::move(elems));
    return true;
  }
  // Fixed-size elements: the count check above bounds the copy by the file.
  uint64_t nbytes = count * minBytes;
  std::vector<uint8_t> raw(base + pos, base + pos + nbytes);
  if (elem == ValueType::Bool) {
    for (uint64_t i = 0; i < count; ++i)
      if (raw[i] > 1)
        return fail(what + ": element " + num(i) + " has bool value " +
                    num(raw[i]) + " (must be 0 or 1)");
  }
  pos += nbytes;
  out = Value::makeRawArray(elem, std::move(raw));
  return true;
}

bool GGUFParser::parseAlignment() {
  auto it = file.keyIndex.find(kAlignmentKey);
  if (it == file.keyIndex.end())
    return true;
  const Value &v = file.keys[it->second].second;
  if (v.type() != ValueType::U32)
    return fail(std::string("key '") + kAlignmentKey + "' has type " +
                v.typeDescription() + ", expected u32");
  if (!isPowerOfTwo(v.asUInt()))
    return fail(std::string(kAlignmentKey) + " is " + num(v.asUInt()) +
                ", which is not a power of two");
  file.fileAlignment = v.asUInt();
  return true;
}

bool GGUFParser::parseTensorInfos() {
  file.tensorInfos.reserve(numTensors);
  for (uint64_t i = 0; i < numTensors; ++i) {
    TensorInfo info;
    if (!parseTensorInfo(i, info))
      return false;
    file.tensorIndex.emplace(info.name, file.tensorInfos.size());
    file.tensorInfos.push_back(std::move(info));
  }
  // The data section starts at the next multiple of the alignment.
  uint64_t a = file.fileAlignment;
  uint64_t start = pos;
  if (start % a) {
    uint64_t pad = a - start % a;
    start = pad > UINT64_MAX - start ? UINT64_MAX : start + pad;
  }
  if (start > size) {
    if (numTensors > 0)
      return fail("data section would start at offset " + num(start) +
                  ", past end of file (" + num(size) + " bytes)");
    start = size;
  }
  file.dataStart = start;
  return true;
}

bool GGUFParser::parseTensorInfo(uint64_t index, TensorInfo &info) {
  uint64_t namePos = pos;
  if (!readString(info.name, "the name of tensor #" + num(index)))
    return false;
  if (info.name.empty())
    return fail("tensor #" + num(index) + " at offset " + num(namePos) +
                " has an empty name");
  std::string what = "tensor " + quote(info.name);
  if (info.name.size() > kMaxTensorNameLength)
    return fail(what + ": name is " + num(info.name.size()) +
                " bytes long (at most " + num(kMaxTensorNameLength) + ")");
  if (!isValidUtf8(info.name))
    return fail(what + ": name is not valid UTF-8");
  if (hasControlChars(info.name))
    return fail(what + ": name contains control characters");
  auto dup = file.tensorIndex.find(info.name);
  if (dup != file.tensorIndex.end())
    return fail("duplicate tensor name " + quote(info.name) + " (tensors #" +
                num(dup->second) + " and #" + num(index) + ")");

  uint32_t nDims;
  if (!read(nDims, "the dimension count of " + what))
    return false;
  if (nDims == 0)
    return fail(what + " has no dimensions");
  if (nDims > kMaxDims)
    return fail(what + " has " + num(nDims) + " dimensions (at most " +
                num(kMaxDims) + ")");
  info.ne.resize(nDims);
  for (uint32_t d = 0; d < nDims; ++d)
    if (!read(info.ne[d], "dimension " + num(d) + " of " + what))
      return false;
  uint32_t typeId;
  if (!read(typeId, "the type of " + what) ||
      !read(info.offset, "the data offset of " + what))
    return false;

  // Shape: every dimension at least 1, element count representable as the
  // int64 ggml uses.
  uint64_t elems = 1;
  for (uint32_t d = 0; d < nDims; ++d) {
    uint64_t n = info.ne[d];
    if (n == 0)
      return fail(what + " has an empty dimension " + num(d) + " (shape " +
                  info.shapeString() + ")");
    if (n > uint64_t(INT64_MAX) || elems > uint64_t(INT64_MAX) / n)
      return fail(what + ": element count of shape " + info.shapeString() +
                  " overflows");
    elems *= n;
  }
  if (!isKnownGGMLType(typeId))
    return fail(what + " has unknown ggml type " + num(typeId));
  info.type = GGMLType(typeId);
  uint64_t rowBytes;
  if (!ggmlRowBytes(info.type, info.ne[0], rowBytes))
    return fail(what + ": row of " + num(info.ne[0]) +
                " elements is not a multiple of the " +
                ggmlTypeName(info.type) + " block size (" +
                num(ggmlTypeBlockElems(info.type)) + ")");
  uint64_t rows = info.numRows();
  if (rowBytes > UINT64_MAX / rows)
    return fail(what + ": byte size of shape " + info.shapeString() +
                " overflows");
  info.nbytes = rowBytes * rows;
  if (info.offset % file.fileAlignment)
    return fail(what + ": data offset " + num(info.offset) +
                " is not a multiple of the alignment (" +
                num(file.fileAlignment) + ")");
  return true;
}

bool GGUFParser::validateTensorData() {
  const uint64_t start = file.dataStart;
  std::vector<const TensorInfo *> sorted;
  sorted.reserve(file.tensorInfos.size());
  for (const TensorInfo &t : file.tensorInfos) {
    std::string what = "tensor " + quote(t.name);
    uint64_t avail = size - start;
    // offset + nbytes must not overflow and must stay inside the file.
    if (t.offset > avail || t.nbytes > avail - t.offset) {
      uint64_t b = t.offset > UINT64_MAX - start ? UINT64_MAX : start + t.offset;
      uint64_t e = t.nbytes > UINT64_MAX - b ? UINT64_MAX : b + t.nbytes;
      return fail(what + ": data range " + rangeString(b, e) +
                  " extends past end of file (" + num(size) + " bytes)");
    }
    sorted.push_back(&t);
  }
  std::sort(sorted.begin(), sorted.end(),
            [](const TensorInfo *a, const TensorInfo *b) {
              return a->offset < b->offset;
            });
  for (size_t i = 1; i < sorted.size(); ++i) {
    const TensorInfo *a = sorted[i - 1], *b = sorted[i];
    if (a->offset + a->nbytes > b->offset)
      return fail("tensors " + quote(a->name) + " and " + quote(b->name) +
                  " overlap: data ranges " +
                  rangeString(start + a->offset, start + a->offset + a->nbytes) +
                  " and " +
                  rangeString(start + b->offset, start + b->offset + b->nbytes));
  }
  return true;
}

//===----------------------------------------------------------------------===//
// GGUFFile
//===----------------------------------------------------------------------===//

GGUFFile::~GGUFFile() {
  if (mapping)
    ::munmap(mapping, size);
}

std::unique_ptr<GGUFFile> GGUFFile::open(const std::string &path,
                                         std::string &error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = path + ": cannot open: " + std::strerror(errno);
    return nullptr;
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    error = path + ": cannot stat: " + std::strerror(errno);
    ::close(fd);
    return nullptr;
  }
  if (!S_ISREG(st.st_mode)) {
    error = path + ": not a regular file";
    ::close(fd);
    return nullptr;
  }
  std::unique_ptr<GGUFFile> file(new GGUFFile());
  file->filePath = path;
  file->size = uint64_t(st.st_size);
  if (file->size > 0) {
    void *m = ::mmap(nullptr, file->size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) {
      error = path + ": cannot map: " + std::strerror(errno);
      ::close(fd);
      return nullptr;
    }
    file->mapping = m;
    file->base = static_cast<const uint8_t *>(m);
  }
  ::close(fd);
  GGUFParser parser(*file);
  std::string problem;
  if (!parser.run(problem)) {
    error = path + ": " + problem;
    return nullptr;
  }
  return file;
}

std::unique_ptr<GGUFFile> GGUFFile::openBuffer(std::vector<uint8_t> bytes,
                                               const std::string &name,
                                               std::string &error) {
  std::unique_ptr<GGUFFile> file(new GGUFFile());
  file->filePath = name;
  file->buffer = std::move(bytes);
  file->size = file->buffer.size();
  file->base = file->buffer.data();
  GGUFParser parser(*file);
  std::string problem;
  if (!parser.run(problem)) {
    error = name + ": " + problem;
    return nullptr;
  }
  return file;
}

const Value *GGUFFile::find(std::string_view key) const {
  auto it = keyIndex.find(key);
  return it == keyIndex.end() ? nullptr : &keys[it->second].second;
}

const TensorInfo *GGUFFile::findTensor(std::string_view name) const {
  auto it = tensorIndex.find(name);
  return it == tensorIndex.end() ? nullptr : &tensorInfos[it->second];
}

const Value *GGUFFile::findTyped(std::string_view key, ValueType type,
                                 ValueType elem, std::string &error) const {
  const Value *v = find(key);
  std::string expected = type == ValueType::Array
                             ? "array of " + valueTypeName(elem)
                             : valueTypeName(type);
  if (!v) {
    error = filePath + ": key '" + std::string(key) + "' is missing";
    return nullptr;
  }
  if (v->type() != type || (type == ValueType::Array && v->elemType() != elem)) {
    error = filePath + ": key '" + std::string(key) + "' has type " +
            v->typeDescription() + ", expected " + expected;
    return nullptr;
  }
  return v;
}

#define LMC_GGUF_SCALAR_GETTER(NAME, CT, VT, ACCESS)                           \
  bool GGUFFile::NAME(std::string_view key, CT &out, std::string &error)      \
      const {                                                                  \
    const Value *v = findTyped(key, ValueType::VT, ValueType::VT, error);      \
    if (!v)                                                                    \
      return false;                                                            \
    out = CT(v->ACCESS());                                                     \
    return true;                                                               \
  }
LMC_GGUF_SCALAR_GETTER(getU8, uint8_t, U8, asUInt)
LMC_GGUF_SCALAR_GETTER(getI8, int8_t, I8, asInt)
LMC_GGUF_SCALAR_GETTER(getU16, uint16_t, U16, asUInt)
LMC_GGUF_SCALAR_GETTER(getI16, int16_t, I16, asInt)
LMC_GGUF_SCALAR_GETTER(getU32, uint32_t, U32, asUInt)
LMC_GGUF_SCALAR_GETTER(getI32, int32_t, I32, asInt)
LMC_GGUF_SCALAR_GETTER(getU64, uint64_t, U64, asUInt)
LMC_GGUF_SCALAR_GETTER(getI64, int64_t, I64, asInt)
LMC_GGUF_SCALAR_GETTER(getF32, float, F32, asF32)
LMC_GGUF_SCALAR_GETTER(getF64, double, F64, asF64)
LMC_GGUF_SCALAR_GETTER(getBool, bool, Bool, asBool)
#undef LMC_GGUF_SCALAR_GETTER

bool GGUFFile::getString(std::string_view key, std::string &out,
                         std::string &error) const {
  const Value *v = findTyped(key, ValueType::String, ValueType::String, error);
  if (!v)
    return false;
  out = v->asString();
  return true;
}

bool GGUFFile::getStringArray(std::string_view key,
                              std::vector<std::string> &out,
                              std::string &error) const {
  const Value *v = findTyped(key, ValueType::Array, ValueType::String, error);
  if (!v)
    return false;
  out = v->stringElems();
  return true;
}

bool GGUFFile::getBoolArray(std::string_view key, std::vector<bool> &out,
                            std::string &error) const {
  const Value *v = findTyped(key, ValueType::Array, ValueType::Bool, error);
  if (!v)
    return false;
  out.assign(v->size(), false);
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = v->rawElems()[i] != 0;
  return true;
}
