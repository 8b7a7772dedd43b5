//===- Sequence.h - One token stream and its KV cache -----------*- C++ -*-===//
//
// A sequence is a position plus the KV cache holding every token before it.
// Evaluating tokens runs the compiled forward on that cache and advances the
// position. Sequences of one model are independent: later, several will be
// batched into one forward call, with their caches drawn from shared pages.
//
//===----------------------------------------------------------------------===//
#ifndef LMC_RUNTIME_CORE_SEQUENCE_H
#define LMC_RUNTIME_CORE_SEQUENCE_H

#include "runtime/core/KVCache.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace lmc::rt {

class Model;

enum class EvalStatus { Ok, InvalidArgument, ContextFull };

class Sequence {
public:
  Sequence(const Model &model, std::unique_ptr<KVCache> cache);

  const Model &model() const { return model_; }
  int64_t pos() const { return pos_; }
  int64_t capacity() const { return cache_->capacity(); }
  /// Room left for tokens.
  int64_t room() const { return capacity() - pos_; }

  /// Evaluates tokens[0, n) at positions pos .. pos+n-1, writes the logits
  /// of the last nLogits of them to logits ([nLogits][vocab]) and advances.
  /// Checks everything first: on failure nothing has run and err says why.
  EvalStatus eval(const int32_t *tokens, int64_t n, int64_t nLogits,
                  float *logits, std::string &err);

  /// Moves back to pos (<= the current position); later tokens overwrite
  /// the cache from there.
  bool rewind(int64_t pos, std::string &err);

private:
  const Model &model_;
  std::unique_ptr<KVCache> cache_;
  int64_t pos_ = 0;
  /// Where the logits go when the caller wants none.
  std::vector<float> scratch_;
};

} // namespace lmc::rt

#endif // LMC_RUNTIME_CORE_SEQUENCE_H
