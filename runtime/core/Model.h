//===- Model.h - A compiled model, ready to run -----------------*- C++ -*-===//
//
// A Model ties a compiled model's code and manifest to its mapped weights and
// its tokenizer. It is immutable once loaded and shared by its sequences.
//
//===----------------------------------------------------------------------===//
#ifndef LMC_RUNTIME_CORE_MODEL_H
#define LMC_RUNTIME_CORE_MODEL_H

#include "runtime/core/Manifest.h"
#include "runtime/core/ModelImage.h"
#include "runtime/core/Weights.h"

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace lmc::rt {

class Sequence;
class Tokenizer;

class Model {
public:
  /// The context a sequence gets unless told otherwise.
  static constexpr int64_t kDefaultContext = 4096;

  /// Reads the manifest of image. Returns null with a one-line reason.
  static std::unique_ptr<Model> create(const ModelImage &image,
                                       std::string &err);
  ~Model();

  /// Maps the weights file (empty path: `<executable>.weights`), checking it
  /// against the manifest. Needed before sequences can evaluate.
  /// *mismatch (if given) tells a wrong file from a missing/unreadable one.
  bool loadWeights(const std::string &path, std::string &err,
                   bool *mismatch = nullptr);
  const Weights *weights() const { return weights_.get(); }

  const Manifest &manifest() const { return manifest_; }
  /// The manifest's JSON text.
  const std::string &manifestText() const { return manifestText_; }
  ForwardFn forward() const { return image_.forward; }
  int32_t vocabSize() const { return manifest_.vocabSize; }
  /// min(context length, kDefaultContext).
  int64_t defaultContext() const;

  /// The tokenizer, built on first use (that takes a moment for a large
  /// vocabulary, and --tokens runs never need it). Null with a reason if the
  /// model has none or it is corrupt. Thread-safe.
  const Tokenizer *tokenizer(std::string &err) const;

  /// A sequence with room for ctx tokens (<= 0: defaultContext()). Needs the
  /// weights. Null with a reason (no weights, cache too large).
  std::unique_ptr<Sequence> newSequence(int64_t ctx, std::string &err) const;

private:
  Model() = default;

  ModelImage image_;
  std::string manifestText_;
  Manifest manifest_;
  std::unique_ptr<Weights> weights_;

  mutable std::once_flag tokenizerOnce_;
  mutable std::unique_ptr<Tokenizer> tokenizer_;
  mutable std::string tokenizerError_;
};

} // namespace lmc::rt

#endif // LMC_RUNTIME_CORE_MODEL_H
