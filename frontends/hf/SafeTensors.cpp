//===- SafeTensors.cpp - Bounds-checked safetensors reader ----------------===//

#include "frontends/hf/SafeTensors.h"

#include "frontends/hf/Diagnostics.h"
#include "frontends/hf/SafeTensorsHeader.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace lmc::hf;

namespace {
std::string rangeString(uint64_t begin, uint64_t end) {
  return "[" + num(begin) + ", " + num(end) + ")";
}
} // namespace

uint64_t TensorInfo::numElements() const {
  uint64_t n = 1;
  for (uint64_t d : shape)
    n *= d;
  return n;
}

std::string TensorInfo::shapeString() const {
  return lmc::hf::shapeString(shape);
}

bool SafeTensorsFile::validate(const ReadOptions &options,
                               std::string &problem) {
  if (size < 8) {
    problem = "file is " + num(size) +
              " bytes, too small for the 8-byte header length";
    return false;
  }
  uint64_t headerLen;
  std::memcpy(&headerLen, base, 8); // little-endian hosts only (x86-64)
  if (headerLen > kMaxHeaderBytes) {
    problem = "header length " + num(headerLen) + " exceeds the " +
              num(kMaxHeaderBytes) + "-byte limit";
    return false;
  }
  if (headerLen > size - 8) {
    problem = "header length " + num(headerLen) +
              " extends past the end of the file (" + num(size - 8) +
              " bytes after the length)";
    return false;
  }
  dataStart = 8 + headerLen;
  const uint64_t dataSize = size - dataStart;

  ParsedHeader header;
  std::string_view text(reinterpret_cast<const char *>(base + 8), headerLen);
  if (!parseSafeTensorsHeader(text, header, problem))
    return false;
  for (auto &kv : header.metadata)
    meta.emplace(std::move(kv.first), std::move(kv.second));

  // Per tensor: a known (and readable) dtype, a size without overflow that
  // matches the offsets, inside the data section.
  struct Range {
    uint64_t begin, end;
    size_t index;
  };
  std::vector<Range> ranges;
  ranges.reserve(header.tensors.size());
  tensorInfos.reserve(header.tensors.size());
  for (HeaderEntry &e : header.tensors) {
    std::string what = "tensor " + quoteName(e.name);
    if (e.name.empty()) {
      problem = "a tensor has an empty name";
      return false;
    }
    std::optional<DType> dtype = parseDType(e.dtype);
    if (!dtype) {
      problem = what + " has unknown dtype " + quoteName(e.dtype);
      return false;
    }
    if (!options.allowUnsupportedDTypes && !isSupportedDType(*dtype)) {
      problem =
          what + " has dtype " + dtypeName(*dtype) +
          ", which lmc does not read (supported: " + supportedDTypeList() + ")";
      return false;
    }
    uint64_t elems = 1;
    for (uint64_t d : e.shape) {
      if (d != 0 && elems > UINT64_MAX / d) {
        problem = what + ": element count of shape " + shapeString(e.shape) +
                  " overflows";
        return false;
      }
      elems *= d;
    }
    unsigned bits = dtypeBits(*dtype);
    if (elems > UINT64_MAX / bits) {
      problem =
          what + ": byte size of shape " + shapeString(e.shape) + " overflows";
      return false;
    }
    if ((elems * bits) % 8 != 0) {
      problem = what + ": " + num(elems) + " elements of " + dtypeName(*dtype) +
                " are not a whole number of bytes";
      return false;
    }
    uint64_t nbytes = elems * bits / 8;
    if (e.begin > e.end) {
      problem = what + ": data_offsets " + rangeString(e.begin, e.end) +
                " end before they begin";
      return false;
    }
    if (e.end > dataSize) {
      problem = what + ": data_offsets " + rangeString(e.begin, e.end) +
                " extend past the end of the data section (" + num(dataSize) +
                " bytes)";
      return false;
    }
    if (e.end - e.begin != nbytes) {
      problem = what + ": data_offsets " + rangeString(e.begin, e.end) +
                " span " + num(e.end - e.begin) + " bytes, but " +
                dtypeName(*dtype) + " x " + shapeString(e.shape) + " needs " +
                num(nbytes);
      return false;
    }
    ranges.push_back({e.begin, e.end, tensorInfos.size()});
    TensorInfo info;
    info.name = std::move(e.name);
    info.dtype = *dtype;
    info.shape = std::move(e.shape);
    info.fileOffset = dataStart + e.begin;
    info.nbytes = nbytes;
    tensorInfos.push_back(std::move(info));
  }

  // Sorted by offset, the tensors must tile the data section exactly.
  std::sort(ranges.begin(), ranges.end(), [](const Range &a, const Range &b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t expected = 0;
  const TensorInfo *previous = nullptr;
  for (const Range &r : ranges) {
    const TensorInfo &t = tensorInfos[r.index];
    if (r.begin < expected) {
      problem = "tensors " + quoteName(previous->name) + " and " +
                quoteName(t.name) + " overlap (data_offsets " +
                rangeString(previous->fileOffset - dataStart, expected) +
                " and " + rangeString(r.begin, r.end) + ")";
      return false;
    }
    if (r.begin > expected) {
      problem = "gap of " + num(r.begin - expected) + " bytes before tensor " +
                quoteName(t.name) + " (data_offsets " +
                rangeString(r.begin, r.end) + "; the previous tensor ends at " +
                num(expected) + ")";
      return false;
    }
    expected = r.end;
    previous = &t;
  }
  if (expected != dataSize) {
    problem = num(dataSize - expected) +
              " bytes after the last tensor (the tensors cover " +
              num(expected) + " of the data section's " + num(dataSize) +
              " bytes)";
    return false;
  }

  // Data order is the natural one for consumers that stream the file.
  std::vector<TensorInfo> ordered;
  ordered.reserve(tensorInfos.size());
  for (const Range &r : ranges)
    ordered.push_back(std::move(tensorInfos[r.index]));
  tensorInfos = std::move(ordered);
  for (size_t i = 0; i < tensorInfos.size(); ++i)
    tensorIndex.emplace(tensorInfos[i].name, i);
  return true;
}

SafeTensorsFile::~SafeTensorsFile() {
  if (mapping)
    ::munmap(mapping, size);
}

std::unique_ptr<SafeTensorsFile>
SafeTensorsFile::open(const std::string &path, std::string &error,
                      const ReadOptions &options) {
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
  std::unique_ptr<SafeTensorsFile> file(new SafeTensorsFile());
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
  std::string problem;
  if (!file->validate(options, problem)) {
    error = path + ": " + problem;
    return nullptr;
  }
  return file;
}

std::unique_ptr<SafeTensorsFile>
SafeTensorsFile::openBuffer(std::vector<uint8_t> bytes, const std::string &name,
                            std::string &error, const ReadOptions &options) {
  std::unique_ptr<SafeTensorsFile> file(new SafeTensorsFile());
  file->filePath = name;
  file->buffer = std::move(bytes);
  file->size = file->buffer.size();
  file->base = file->buffer.data();
  std::string problem;
  if (!file->validate(options, problem)) {
    error = name + ": " + problem;
    return nullptr;
  }
  return file;
}

const TensorInfo *SafeTensorsFile::find(std::string_view name) const {
  auto it = tensorIndex.find(name);
  return it == tensorIndex.end() ? nullptr : &tensorInfos[it->second];
}
