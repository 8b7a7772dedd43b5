//===- Weights.cpp - Mapping and checking the weights file ----------------===//
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
  int fd;
  ~FdCloser() {
    if (fd >= 0)
      ::close(fd);
  }
};
} // namespace

std::unique_ptr<Weights> Weights::open(const std::string &path,
                                       uint64_t expectedSize,
                                       const std::string &expectedFingerprint,
                                       std::string &err,
                                       bool *mismatch) {
  if (mismatch)
    *mismatch = false;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    err = "cannot open weights file '" + path + "': " + std::strerror(errno);
    return nullptr;
  }
  FdCloser closer{fd};
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    err = "cannot stat weights file '" + path + "': " + std::strerror(errno);
    return nullptr;
  }
  if (!S_ISREG(st.st_mode)) {
    err = "weights file '" + path + "' is not a regular file";
    return nullptr;
  }
  uint64_t size = uint64_t(st.st_size);
  if (size != expectedSize) {
    if (mismatch)
      *mismatch = true;
    err = "weights file '" + path + "' has " + std::to_string(size) +
          " bytes but the model was compiled for " +
          std::to_string(expectedSize) +
          " (a stale or wrong file? recompile the model or use its weights)";
    return nullptr;
  }

  std::unique_ptr<Weights> w(new Weights());
  w->path_ = path;
  w->size_ = size;
  static const uint8_t kEmpty[1] = {0};
  w->data_ = kEmpty;
  if (size > 0) {
    void *p = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
      err = "cannot map weights file '" + path + "': " + std::strerror(errno);
      return nullptr;
    }
    w->data_ = static_cast<const uint8_t *>(p);
    w->mapped_ = true;
    // Hints only: large pages where the file system offers them, and early
    // read-ahead since every decode step reads all of it. Failures are fine.
#ifdef MADV_HUGEPAGE
    ::madvise(p, size, MADV_HUGEPAGE);
#endif
    ::madvise(p, size, MADV_WILLNEED);
  }

  std::string actual = fingerprint(w->data_, size);
  if (actual != expectedFingerprint) {
    if (mismatch)
      *mismatch = true;
    err = "weights file '" + path + "' does not belong to this model " +
          "(fingerprint " + actual + ", expected " + expectedFingerprint +
          "): recompile the model or use its weights";
    return nullptr;
  }
  return w;
}

Weights::~Weights() {
  if (mapped_)
    ::munmap(const_cast<uint8_t *>(data_), size_);
}
