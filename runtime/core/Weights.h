//===- Weights.h - The mapped weights ---------------------------*- C++ -*-===//
//
// The compiled code reads weights at byte offsets fixed at compile time, from
// one read-only mapping (never copied): the weights file, and after it, at
// fixed bases, any further files the model reads in place (the shards of a
// Hugging Face checkpoint). Mapping checks every file's size and fingerprint
// against the manifest first: a stale or foreign file would otherwise give
// garbage or out-of-bounds reads.
//
//===----------------------------------------------------------------------===//
#ifndef LMC_RUNTIME_CORE_WEIGHTS_H
#define LMC_RUNTIME_CORE_WEIGHTS_H

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace lmc::rt {

/// Alignment of the bases of weight file parts in the mapping (a multiple of
/// every page size Linux uses on x86-64 and AArch64, huge pages aside).
constexpr uint64_t kWeightsPartAlignment = uint64_t(1) << 16;

/// A file mapped after the weights file: `<weights path><suffix>` at byte
/// `base` of the mapping.
struct WeightsPart {
  std::string suffix;
  uint64_t base = 0;
  uint64_t fileSize = 0;
  std::string fingerprint;
};

class Weights {
public:
  /// Maps path, checking that it has expectedSize bytes and the fingerprint
  /// expectedFingerprint, and then each part the same way at its base
  /// (bases increasing, multiples of kWeightsPartAlignment, past the end of
  /// the file before). Returns null with a one-line reason in err;
  /// *mismatch (if given) then tells a wrong file from an unreadable one.
  static std::unique_ptr<Weights> open(const std::string &path,
                                       uint64_t expectedSize,
                                       const std::string &expectedFingerprint,
                                       const std::vector<WeightsPart> &parts,
                                       std::string &err,
                                       bool *mismatch = nullptr);
  static std::unique_ptr<Weights> open(const std::string &path,
                                       uint64_t expectedSize,
                                       const std::string &expectedFingerprint,
                                       std::string &err,
                                       bool *mismatch = nullptr) {
    return open(path, expectedSize, expectedFingerprint, {}, err, mismatch);
  }
  ~Weights();
  Weights(const Weights &) = delete;
  Weights &operator=(const Weights &) = delete;

  const uint8_t *data() const { return data_; }
  /// Bytes from the start of the mapping to the end of the last file.
  uint64_t size() const { return size_; }
  const std::string &path() const { return path_; }

private:
  Weights() = default;
  const uint8_t *data_ = nullptr;
  uint64_t size_ = 0;
  /// The mapped range to unmap (none for an empty file).
  void *mapping_ = nullptr;
  uint64_t mappingSize_ = 0;
  std::string path_;
};

} // namespace lmc::rt

#endif // LMC_RUNTIME_CORE_WEIGHTS_H
