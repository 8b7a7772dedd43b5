//===- Weights.h - The mapped weights file ----------------------*- C++ -*-===//
//
// The compiled code reads weights at byte offsets fixed at compile time, from
// the whole file mapped read-only (never copied). Mapping checks the file's
// size and fingerprint against the manifest first: a stale or foreign file
// would otherwise give garbage or out-of-bounds reads.
//
//===----------------------------------------------------------------------===//
#ifndef LMC_RUNTIME_CORE_WEIGHTS_H
#define LMC_RUNTIME_CORE_WEIGHTS_H

#include <cstdint>
#include <memory>
#include <string>

namespace lmc::rt {

class Weights {
public:
  /// Maps path, checking that it has expectedSize bytes and the fingerprint
  /// expectedFingerprint. Returns null with a one-line reason in err;
  /// *mismatch (if given) then tells a wrong file from an unreadable one.
  static std::unique_ptr<Weights> open(const std::string &path,
                                       uint64_t expectedSize,
                                       const std::string &expectedFingerprint,
                                       std::string &err,
                                       bool *mismatch = nullptr);
  ~Weights();
  Weights(const Weights &) = delete;
  Weights &operator=(const Weights &) = delete;

  const uint8_t *data() const { return data_; }
  uint64_t size() const { return size_; }
  const std::string &path() const { return path_; }

private:
  Weights() = default;
  const uint8_t *data_ = nullptr;
  uint64_t size_ = 0;
  /// Whether data_ is a mapping to unmap (an empty file maps nothing).
  bool mapped_ = false;
  std::string path_;
};

} // namespace lmc::rt

#endif // LMC_RUNTIME_CORE_WEIGHTS_H
