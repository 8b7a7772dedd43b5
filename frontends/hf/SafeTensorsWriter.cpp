//===- SafeTensorsWriter.cpp - safetensors writer -------------------------===//

#include "frontends/hf/SafeTensorsWriter.h"

#include "frontends/hf/Diagnostics.h"
#include "frontends/hf/SafeTensors.h"
#include "frontends/hf/SafeTensorsHeader.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

using namespace lmc::hf;

/// Destination of the byte stream.
class SafeTensorsWriter::Sink {
public:
  virtual ~Sink() = default;
  virtual bool put(const void *p, size_t n) = 0;
};

namespace {
using json = nlohmann::json;

class FileSink : public SafeTensorsWriter::Sink {
public:
  explicit FileSink(FILE *f) : f(f) {}
  bool put(const void *p, size_t n) override {
    return n == 0 || std::fwrite(p, 1, n, f) == n;
  }
  FILE *f;
};

class BufferSink : public SafeTensorsWriter::Sink {
public:
  explicit BufferSink(std::vector<uint8_t> &out) : out(out) {}
  bool put(const void *p, size_t n) override {
    const uint8_t *b = static_cast<const uint8_t *>(p);
    out.insert(out.end(), b, b + n);
    return true;
  }
  std::vector<uint8_t> &out;
};

/// A JSON string literal (names were checked to be valid UTF-8).
std::string jsonString(const std::string &s) { return json(s).dump(); }

std::string shardName(const std::string &base, size_t index, size_t count) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "-%05zu-of-%05zu.safetensors", index + 1,
                count);
  return base + buf;
}
} // namespace

void SafeTensorsWriter::setMetadata(const std::string &key, std::string value) {
  meta[key] = std::move(value);
}

bool SafeTensorsWriter::addTensor(const std::string &name, DType dtype,
                                  const std::vector<uint64_t> &shape,
                                  FillFn fill, std::string &error) {
  if (name.empty() || name == "__metadata__" || !isValidUtf8(name)) {
    error = "invalid tensor name " + quoteName(name) +
            " (must be non-empty valid UTF-8 other than '__metadata__')";
    return false;
  }
  if (names.count(name)) {
    error = "duplicate tensor name " + quoteName(name);
    return false;
  }
  if (shape.size() > kMaxTensorRank) {
    error = "tensor " + quoteName(name) + " has " + num(shape.size()) +
            " dimensions (at most " + num(kMaxTensorRank) + ")";
    return false;
  }
  uint64_t elems = 1;
  for (uint64_t d : shape) {
    if (d != 0 && elems > UINT64_MAX / d / 64) {
      error = "tensor " + quoteName(name) + ": shape " + shapeString(shape) +
              " is too large";
      return false;
    }
    elems *= d;
  }
  uint64_t bits = elems * dtypeBits(dtype);
  if (bits % 8) {
    error = "tensor " + quoteName(name) + ": " + num(elems) + " elements of " +
            dtypeName(dtype) + " are not a whole number of bytes";
    return false;
  }
  names.insert(name);
  tensors.push_back({name, dtype, shape, bits / 8, std::move(fill)});
  return true;
}

bool SafeTensorsWriter::addTensor(const std::string &name, DType dtype,
                                  const std::vector<uint64_t> &shape,
                                  std::vector<uint8_t> bytes,
                                  std::string &error) {
  auto shared = std::make_shared<std::vector<uint8_t>>(std::move(bytes));
  FillFn fill = [shared](uint64_t offset, uint8_t *dst, uint64_t count,
                         std::string &) {
    std::memcpy(dst, shared->data() + offset, count);
    return true;
  };
  uint64_t have = shared->size();
  if (!addTensor(name, dtype, shape, std::move(fill), error))
    return false;
  if (have != tensors.back().nbytes) {
    error = "tensor " + quoteName(name) + ": " + num(have) + " bytes given, " +
            dtypeName(dtype) + " x " + shapeString(shape) + " needs " +
            num(tensors.back().nbytes);
    names.erase(name);
    tensors.pop_back();
    return false;
  }
  return true;
}

uint64_t SafeTensorsWriter::totalTensorBytes() const {
  uint64_t total = 0;
  for (const PendingTensor &t : tensors)
    total += t.nbytes;
  return total;
}

std::vector<size_t> SafeTensorsWriter::dataOrder() const {
  std::vector<size_t> order(tensors.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    unsigned ba = dtypeBits(tensors[a].dtype), bb = dtypeBits(tensors[b].dtype);
    return ba != bb ? ba > bb : a < b;
  });
  return order;
}

bool SafeTensorsWriter::writeFile(const std::vector<size_t> &order, Sink &sink,
                                  std::string &error) const {
  // Header: "__metadata__" first, then the tensors in data order.
  std::string header = "{";
  bool first = true;
  if (!meta.empty()) {
    header += "\"__metadata__\":{";
    bool firstMeta = true;
    for (const auto &kv : meta) {
      if (!isValidUtf8(kv.first) || !isValidUtf8(kv.second)) {
        error = "metadata entry " + quoteName(kv.first) + " is not valid UTF-8";
        return false;
      }
      header += (firstMeta ? "" : ",") + jsonString(kv.first) + ":" +
                jsonString(kv.second);
      firstMeta = false;
    }
    header += "}";
    first = false;
  }
  uint64_t offset = 0;
  for (size_t i : order) {
    const PendingTensor &t = tensors[i];
    header += (first ? "" : ",") + jsonString(t.name) + ":{\"dtype\":\"" +
              dtypeName(t.dtype) + "\",\"shape\":[";
    for (size_t d = 0; d < t.shape.size(); ++d)
      header += (d ? "," : "") + num(t.shape[d]);
    header += "],\"data_offsets\":[" + num(offset) + "," +
              num(offset + t.nbytes) + "]}";
    offset += t.nbytes;
    first = false;
  }
  header += "}";
  header.resize((header.size() + 7) / 8 * 8, ' ');
  if (header.size() > kMaxHeaderBytes) {
    error = "header of " + num(header.size()) + " bytes exceeds the " +
            num(kMaxHeaderBytes) + "-byte limit";
    return false;
  }
  uint64_t len = header.size();
  if (!sink.put(&len, 8) || !sink.put(header.data(), header.size())) {
    error = std::string("write failed: ") + std::strerror(errno);
    return false;
  }

  std::vector<uint8_t> chunk;
  for (size_t i : order) {
    const PendingTensor &t = tensors[i];
    for (uint64_t done = 0; done < t.nbytes;) {
      uint64_t n = std::min(chunkBytes, t.nbytes - done);
      chunk.resize(n);
      std::string fillError;
      if (!t.fill(done, chunk.data(), n, fillError)) {
        error = "tensor " + quoteName(t.name) + ": " +
                (fillError.empty() ? "data callback failed" : fillError);
        return false;
      }
      if (!sink.put(chunk.data(), n)) {
        error = std::string("write failed: ") + std::strerror(errno);
        return false;
      }
      done += n;
    }
  }
  return true;
}

bool SafeTensorsWriter::writeFileAt(const std::string &path,
                                    const std::vector<size_t> &order,
                                    std::string &error) const {
  FILE *f = std::fopen(path.c_str(), "wb");
  if (!f) {
    error = path + ": cannot create: " + std::strerror(errno);
    return false;
  }
  FileSink sink(f);
  std::string problem;
  bool ok = writeFile(order, sink, problem);
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

bool SafeTensorsWriter::write(const std::string &path,
                              std::string &error) const {
  return writeFileAt(path, dataOrder(), error);
}

bool SafeTensorsWriter::writeToBuffer(std::vector<uint8_t> &out,
                                      std::string &error) const {
  out.clear();
  BufferSink sink(out);
  return writeFile(dataOrder(), sink, error);
}

bool SafeTensorsWriter::writeSharded(const std::string &dir,
                                     uint64_t maxShardBytes, std::string &error,
                                     const std::string &baseName) const {
  std::vector<std::vector<size_t>> shards(1);
  uint64_t inShard = 0;
  for (size_t i : dataOrder()) {
    uint64_t n = tensors[i].nbytes;
    if (!shards.back().empty() && inShard + n > maxShardBytes) {
      shards.emplace_back();
      inShard = 0;
    }
    shards.back().push_back(i);
    inShard += n;
  }
  json weightMap = json::object();
  for (size_t s = 0; s < shards.size(); ++s) {
    std::string file = shardName(baseName, s, shards.size());
    if (!writeFileAt(dir + "/" + file, shards[s], error))
      return false;
    for (size_t i : shards[s])
      weightMap[tensors[i].name] = file;
  }
  json index = {{"metadata", {{"total_size", totalTensorBytes()}}},
                {"weight_map", weightMap}};
  std::string indexPath = dir + "/" + baseName + ".safetensors.index.json";
  FILE *f = std::fopen(indexPath.c_str(), "wb");
  if (!f) {
    error = indexPath + ": cannot create: " + std::strerror(errno);
    return false;
  }
  std::string text = index.dump(2) + "\n";
  bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  ok = std::fclose(f) == 0 && ok;
  if (!ok) {
    std::remove(indexPath.c_str());
    error = indexPath + ": write failed: " + std::strerror(errno);
  }
  return ok;
}
