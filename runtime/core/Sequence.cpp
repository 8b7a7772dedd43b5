//===- Sequence.cpp - Running the forward on a sequence -------------------===//
#include "runtime/core/Sequence.h"
#include "runtime/core/Model.h"

using namespace lmc::rt;

Sequence::Sequence(const Model &model, std::unique_ptr<KVCache> cache)
    : model_(model), cache_(std::move(cache)) {}

EvalStatus Sequence::eval(const int32_t *tokens, int64_t n, int64_t nLogits,
                          float *logits, std::string &err) {
  if (n <= 0 || !tokens) {
    err = "nothing to evaluate (n = " + std::to_string(n) + ")";
    return EvalStatus::InvalidArgument;
  }
  if (nLogits < 0 || nLogits > n) {
    err = "n_logits must be in [0, " + std::to_string(n) + "], not " +
          std::to_string(nLogits);
    return EvalStatus::InvalidArgument;
  }
  if (nLogits > 0 && !logits) {
    err = "no buffer for the logits";
    return EvalStatus::InvalidArgument;
  }
  int32_t vocab = model_.vocabSize();
  // The forward gathers embedding rows by id: an id out of range would read
  // outside the weights.
  for (int64_t i = 0; i < n; ++i) {
    if (tokens[i] < 0 || tokens[i] >= vocab) {
      err = "token id " + std::to_string(tokens[i]) +
            " is out of range (the vocabulary has " + std::to_string(vocab) +
            " tokens)";
      return EvalStatus::InvalidArgument;
    }
  }
  if (!cache_->checkRoom(pos_, n, err))
    return EvalStatus::ContextFull;

  const Weights &w = *model_.weights();
  uint8_t *wData = const_cast<uint8_t *>(w.data());
  lmc_memref_u8_1d weights{wData, wData, 0, {int64_t(w.size())}, {1}};
  int32_t *tok = const_cast<int32_t *>(tokens);
  lmc_memref_i32_1d tokenRef{tok, tok, 0, {n}, {1}};
  lmc_memref_cache_5d cache = cache_->descriptor();
  // The forward always gets at least one row to write (docs/design/abi.md):
  // one unused row costs little next to n tokens, and the generated code
  // needs no empty-output case.
  float *out = logits;
  int64_t nOut = nLogits;
  if (nOut == 0) {
    scratch_.resize(size_t(vocab));
    out = scratch_.data();
    nOut = 1;
  }
  lmc_memref_f32_2d logitsRef{out, out, 0, {nOut, vocab}, {vocab, 1}};
  model_.forward()(&weights, &tokenRef, pos_, &cache, nOut, &logitsRef);
  pos_ += n;
  return EvalStatus::Ok;
}

bool Sequence::rewind(int64_t pos, std::string &err) {
  if (pos < 0 || pos > pos_) {
    err = "cannot rewind to position " + std::to_string(pos) +
          " (the sequence is at " + std::to_string(pos_) + ")";
    return false;
  }
  pos_ = pos;
  return true;
}
