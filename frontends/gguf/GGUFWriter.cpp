//===- GGUFWriter.cpp - GGUF v3 writer ------------------------------------===//

#include "frontends/gguf/GGUFWriter.h"
#include "frontends/gguf/GGUF.h"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <memory>

using namespace lmc::gguf;

/// Destination of the byte stream; counts what was written.
class GGUFWriter::Sink {
public:
  virtual ~Sink() = default;
  virtual bool put(const void *p, size_t n) = 0;
  uint64_t written = 0;
};

namespace {
class FileSink : public GGUFWriter::Sink {
public:
  explicit FileSink(FILE *f) : f(f) {}
  bool put(const void *p, size_t n) override {
    if (n && std::fwrite(p, 1, n, f) != n)
      return false;
    written += n;
    return true;
  }
  FILE *f;
};

class BufferSink : public GGUFWriter::Sink {
public:
  explicit BufferSink(std::vector<uint8_t> &out) : out(out) {}
  bool put(const void *p, size_t n) override {
    const uint8_t *b = static_cast<const uint8_t *>(p);
    out.insert(out.end(), b, b + n);
    written += n;
    return true;
  }
  std::vector<uint8_t> &out;
};

template <typename T> bool putLE(GGUFWriter::Sink &s, T v) {
  return s.put(&v, sizeof(T));
}

bool putString(GGUFWriter::Sink &s, const std::string &str) {
  return putLE<uint64_t>(s, str.size()) && s.put(str.data(), str.size());
}

bool putZeros(GGUFWriter::Sink &s, uint64_t n) {
  static const uint8_t zeros[256] = {};
  while (n) {
    size_t k = n < sizeof(zeros) ? size_t(n) : sizeof(zeros);
    if (!s.put(zeros, k))
      return false;
    n -= k;
  }
  return true;
}

uint64_t padTo(uint64_t v, uint64_t align) {
  return (v + align - 1) / align * align;
}

/// Checks that a value can be written as it is: consistent array storage,
/// bools 0/1, arrays of arrays holding arrays.
bool checkValue(const Value &v, const std::string &key, unsigned depth,
                std::string &error) {
  if (!isValidValueType(uint32_t(v.type()))) {
    error = "key '" + key + "': invalid value type";
    return false;
  }
  if (!v.isArray())
    return true;
  if (depth >= kMaxArrayDepth) {
    error = "key '" + key + "': arrays nested too deep";
    return false;
  }
  ValueType e = v.elemType();
  if (!isValidValueType(uint32_t(e))) {
    error = "key '" + key + "': invalid array element type";
    return false;
  }
  if (e == ValueType::String)
    return v.stringElems().size() == v.size() ||
           (error = "key '" + key + "': inconsistent string array", false);
  if (e == ValueType::Array) {
    if (v.arrayElems().size() != v.size()) {
      error = "key '" + key + "': inconsistent array of arrays";
      return false;
    }
    for (const Value &inner : v.arrayElems()) {
      if (!inner.isArray()) {
        error = "key '" + key + "': element of an array of arrays is a " +
                inner.typeDescription();
        return false;
      }
      if (!checkValue(inner, key, depth + 1, error))
        return false;
    }
    return true;
  }
  if (v.rawElems().size() != v.size() * valueTypeSize(e)) {
    error = "key '" + key + "': array byte size does not match its length";
    return false;
  }
  if (e == ValueType::Bool)
    for (uint8_t b : v.rawElems())
      if (b > 1) {
        error = "key '" + key + "': bool array element is not 0 or 1";
        return false;
      }
  return true;
}

/// Writes an array's payload (element type, count, elements).
bool putArray(GGUFWriter::Sink &s, const Value &v) {
  if (!putLE<uint32_t>(s, uint32_t(v.elemType())) ||
      !putLE<uint64_t>(s, v.size()))
    return false;
  switch (v.elemType()) {
  case ValueType::String:
    for (const std::string &str : v.stringElems())
      if (!putString(s, str))
        return false;
    return true;
  case ValueType::Array:
    for (const Value &inner : v.arrayElems())
      if (!putArray(s, inner))
        return false;
    return true;
  default:
    return s.put(v.rawElems().data(), v.rawElems().size());
  }
}

bool putValue(GGUFWriter::Sink &s, const Value &v) {
  if (!putLE<uint32_t>(s, uint32_t(v.type())))
    return false;
  switch (v.type()) {
  case ValueType::String:
    return putString(s, v.asString());
  case ValueType::Array:
    return putArray(s, v);
  default: {
    uint64_t bits = v.asUInt();
    return s.put(&bits, valueTypeSize(v.type()));
  }
  }
}
} // namespace

bool GGUFWriter::setAlignment(uint32_t alignment) {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0)
    return false;
  align = alignment;
  setU32(kAlignmentKey, alignment);
  return true;
}

void GGUFWriter::set(const std::string &key, Value value) {
  auto it = kvIndex.find(key);
  if (it != kvIndex.end()) {
    kvs[it->second].second = std::move(value);
    return;
  }
  kvIndex.emplace(key, kvs.size());
  kvs.emplace_back(key, std::move(value));
}

void GGUFWriter::erase(const std::string &key) {
  auto it = kvIndex.find(key);
  if (it == kvIndex.end())
    return;
  kvs.erase(kvs.begin() + it->second);
  kvIndex.clear();
  for (size_t i = 0; i < kvs.size(); ++i)
    kvIndex.emplace(kvs[i].first, i);
}

bool GGUFWriter::addTensor(const std::string &name,
                           const std::vector<uint64_t> &ne, GGMLType type,
                           FillFn fill, std::string &error) {
  std::string what = "tensor '" + name + "'";
  if (name.empty() || name.size() > kMaxTensorNameLength) {
    error = what + ": name must be 1 to " +
            std::to_string(kMaxTensorNameLength) + " bytes";
    return false;
  }
  if (tensorIndex.count(name)) {
    error = what + " added twice";
    return false;
  }
  if (ne.empty() || ne.size() > kMaxDims) {
    error = what + ": must have 1 to 4 dimensions";
    return false;
  }
  uint64_t elems = 1;
  for (uint64_t n : ne) {
    if (n == 0 || n > uint64_t(INT64_MAX) || elems > uint64_t(INT64_MAX) / n) {
      error = what + ": invalid shape";
      return false;
    }
    elems *= n;
  }
  uint64_t rowBytes;
  if (!ggmlRowBytes(type, ne[0], rowBytes)) {
    error = what + ": row of " + std::to_string(ne[0]) +
            " elements is not a whole number of " + ggmlTypeName(type) +
            " blocks";
    return false;
  }
  uint64_t rows = elems / ne[0];
  if (rowBytes > UINT64_MAX / rows) {
    error = what + ": byte size overflows";
    return false;
  }
  tensorIndex.emplace(name, tensors.size());
  tensors.push_back({name, ne, type, rowBytes * rows, std::move(fill)});
  return true;
}

bool GGUFWriter::addTensor(const std::string &name,
                           const std::vector<uint64_t> &ne, GGMLType type,
                           std::vector<uint8_t> bytes, std::string &error) {
  auto shared = std::make_shared<std::vector<uint8_t>>(std::move(bytes));
  size_t given = shared->size();
  FillFn fill = [shared](uint8_t *dst, std::string &) {
    std::memcpy(dst, shared->data(), shared->size());
    return true;
  };
  if (!addTensor(name, ne, type, std::move(fill), error))
    return false;
  if (tensors.back().nbytes != given) {
    error = "tensor '" + name + "': " + std::to_string(given) +
            " bytes given, shape and type need " +
            std::to_string(tensors.back().nbytes);
    tensorIndex.erase(name);
    tensors.pop_back();
    return false;
  }
  return true;
}

bool GGUFWriter::writeTo(Sink &s, std::string &error) const {
  for (const auto &kv : kvs) {
    if (kv.first.empty()) {
      error = "empty metadata key";
      return false;
    }
    if (!checkValue(kv.second, kv.first, 0, error))
      return false;
  }
  auto ioError = [&]() {
    error = std::string("write failed: ") + std::strerror(errno);
    return false;
  };
  if (!s.put("GGUF", 4) || !putLE<uint32_t>(s, 3) ||
      !putLE<uint64_t>(s, tensors.size()) || !putLE<uint64_t>(s, kvs.size()))
    return ioError();
  for (const auto &kv : kvs)
    if (!putString(s, kv.first) || !putValue(s, kv.second))
      return ioError();
  uint64_t offset = 0;
  for (const PendingTensor &t : tensors) {
    if (!putString(s, t.name) || !putLE<uint32_t>(s, uint32_t(t.ne.size())))
      return ioError();
    for (uint64_t n : t.ne)
      if (!putLE<uint64_t>(s, n))
        return ioError();
    if (!putLE<uint32_t>(s, uint32_t(t.type)) || !putLE<uint64_t>(s, offset))
      return ioError();
    offset += padTo(t.nbytes, align);
  }
  if (!putZeros(s, padTo(s.written, align) - s.written))
    return ioError();
  std::vector<uint8_t> buf;
  for (const PendingTensor &t : tensors) {
    buf.assign(size_t(t.nbytes), 0);
    std::string fillError;
    if (t.fill && !t.fill(buf.data(), fillError)) {
      error = "tensor '" + t.name + "': " + fillError;
      return false;
    }
    if (!s.put(buf.data(), buf.size()) ||
        !putZeros(s, padTo(t.nbytes, align) - t.nbytes))
      return ioError();
  }
  return true;
}

bool GGUFWriter::writeToBuffer(std::vector<uint8_t> &out,
                               std::string &error) const {
  out.clear();
  BufferSink sink(out);
  return writeTo(sink, error);
}

bool GGUFWriter::write(const std::string &path, std::string &error) const {
  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f) {
    error = path + ": cannot create: " + std::strerror(errno);
    return false;
  }
  std::vector<char> iobuf(1 << 20);
  std::setvbuf(f, iobuf.data(), _IOFBF, iobuf.size());
  FileSink sink(f);
  std::string problem;
  bool ok = writeTo(sink, problem);
  if (std::fclose(f) != 0 && ok) {
    ok = false;
    problem = std::string("write failed: ") + std::strerror(errno);
  }
  if (!ok) {
    std::remove(path.c_str());
    error = path + ": " + problem;
  }
  return ok;
}
