//===- Weights.cpp - Mapping and checking the weights ---------------------===//
#include "runtime/core/Weights.h"
#include "runtime/support/Fingerprint.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace lmc::rt;

namespace {
/// Closes a file descriptor on every path out.
struct FdCloser {
  int fd = -1;
  ~FdCloser() {
    if (fd >= 0)
      ::close(fd);
  }
};

/// One file of the mapping.
struct FileSpec {
  std::string path;
  uint64_t base;
  uint64_t size;
  const std::string &fingerprint;
};

/// Opens `spec.path` as a regular file of exactly `spec.size` bytes.
bool openFile(const FileSpec &spec, FdCloser &fd, std::string &err, bool *mismatch) {
  fd.fd = ::open(spec.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd.fd < 0) {
    err = "cannot open weights file '" + spec.path + "': " + std::strerror(errno);
    return false;
  }
  struct stat st;
  if (::fstat(fd.fd, &st) != 0) {
    err = "cannot stat weights file '" + spec.path + "': " + std::strerror(errno);
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    err = "weights file '" + spec.path + "' is not a regular file";
    return false;
  }
  if (uint64_t(st.st_size) != spec.size) {
    if (mismatch)
      *mismatch = true;
    err = "weights file '" + spec.path + "' has " + std::to_string(st.st_size) +
          " bytes but the model was compiled for " + std::to_string(spec.size) +
          " (a stale or wrong file? recompile the model or use its weights)";
    return false;
  }
  return true;
}

bool checkFingerprint(const FileSpec &spec, const uint8_t *data, std::string &err,
                      bool *mismatch) {
  std::string actual = fingerprint(data, spec.size);
  if (actual == spec.fingerprint)
    return true;
  if (mismatch)
    *mismatch = true;
  err = "weights file '" + spec.path + "' does not belong to this model " +
        "(fingerprint " + actual + ", expected " + spec.fingerprint +
        "): recompile the model or use its weights";
  return false;
}

/// Whether weights of `size` bytes leave room for the rest of the machine's
/// memory: half of it at most (larger ones would evict each other).
bool fitsInMemory(uint64_t size) {
  long pages = ::sysconf(_SC_PHYS_PAGES), pageSize = ::sysconf(_SC_PAGESIZE);
  return pages > 0 && pageSize > 0 &&
         size <= static_cast<uint64_t>(pages) / 2 * static_cast<uint64_t>(pageSize);
}

/// Hints only: large pages where the file system offers them, and early
/// read-ahead since every decode step reads all of it. Weights that fit in
/// memory also get their page tables filled now: left to faults, the first
/// forward pass takes one per 64 KiB (~20 ms of the first prompt of a 640 MB
/// model, docs/perf.md). Failures are fine.
void adviseWeights(void *p, uint64_t size, bool populate) {
#ifdef MADV_HUGEPAGE
  ::madvise(p, size, MADV_HUGEPAGE);
#endif
  ::madvise(p, size, MADV_WILLNEED);
#ifdef MADV_POPULATE_READ
  if (populate)
    ::madvise(p, size, MADV_POPULATE_READ);
#endif
}
} // namespace

std::unique_ptr<Weights> Weights::open(const std::string &path, uint64_t expectedSize,
                                       const std::string &expectedFingerprint,
                                       const std::vector<WeightsPart> &parts,
                                       std::string &err, bool *mismatch) {
  if (mismatch)
    *mismatch = false;
  std::vector<FileSpec> files{{path, 0, expectedSize, expectedFingerprint}};
  uint64_t end = expectedSize;
  for (const WeightsPart &part : parts) {
    if (part.base % kWeightsPartAlignment != 0 || part.base < end ||
        part.fileSize > UINT64_MAX - part.base) {
      err = "weights part '" + path + part.suffix + "' has a misplaced base " +
            std::to_string(part.base);
      return nullptr;
    }
    files.push_back({path + part.suffix, part.base, part.fileSize, part.fingerprint});
    end = part.base + part.fileSize;
  }

  std::unique_ptr<Weights> w(new Weights());
  w->path_ = path;
  w->size_ = end;
  static const uint8_t kEmpty[1] = {0};
  w->data_ = kEmpty;
  if (parts.empty()) {
    FdCloser fd;
    if (!openFile(files[0], fd, err, mismatch))
      return nullptr;
    if (expectedSize > 0) {
      void *p = ::mmap(nullptr, expectedSize, PROT_READ, MAP_SHARED, fd.fd, 0);
      if (p == MAP_FAILED) {
        err = "cannot map weights file '" + path + "': " + std::strerror(errno);
        return nullptr;
      }
      w->mapping_ = p;
      w->mappingSize_ = expectedSize;
      w->data_ = static_cast<const uint8_t *>(p);
      adviseWeights(p, expectedSize, fitsInMemory(expectedSize));
    }
    if (!checkFingerprint(files[0], w->data_, err, mismatch))
      return nullptr;
    return w;
  }

  // Several files: reserve the whole range, then map each at its base.
  void *region = ::mmap(nullptr, end, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                        -1, 0);
  if (region == MAP_FAILED) {
    err = "cannot reserve " + std::to_string(end) + " bytes for the weights: " +
          std::strerror(errno);
    return nullptr;
  }
  w->mapping_ = region;
  w->mappingSize_ = end;
  w->data_ = static_cast<const uint8_t *>(region);
  for (const FileSpec &file : files) {
    FdCloser fd;
    if (!openFile(file, fd, err, mismatch))
      return nullptr;
    uint8_t *at = static_cast<uint8_t *>(region) + file.base;
    if (file.size > 0) {
      void *p = ::mmap(at, file.size, PROT_READ, MAP_SHARED | MAP_FIXED, fd.fd, 0);
      if (p == MAP_FAILED) {
        err = "cannot map weights file '" + file.path + "': " + std::strerror(errno);
        return nullptr;
      }
      adviseWeights(p, file.size, fitsInMemory(end));
    }
    if (!checkFingerprint(file, file.size ? at : kEmpty, err, mismatch))
      return nullptr;
  }
  return w;
}

Weights::~Weights() {
  if (mapping_)
    ::munmap(mapping_, mappingSize_);
}
