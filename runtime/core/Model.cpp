//===- Model.cpp - Loading a compiled model -------------------------------===//
#include "runtime/core/Model.h"
#include "runtime/core/ExecutablePath.h"
#include "runtime/core/Sequence.h"
#include "runtime/support/AmxPermission.h"
#include "runtime/tokenizer/Serialization.h"
#include "runtime/tokenizer/Tokenizer.h"

#include <algorithm>

using namespace lmc::rt;

Model::~Model() = default;

std::unique_ptr<Model> Model::create(const ModelImage &image,
                                     std::string &err) {
  if (!image.manifest || !image.forward) {
    err = "the program holds no compiled model";
    return nullptr;
  }
  std::unique_ptr<Model> model(new Model());
  model->image_ = image;
  // The compiler may or may not count a trailing NUL.
  std::string_view text(image.manifest, image.manifestSize);
  while (!text.empty() && text.back() == '\0')
    text.remove_suffix(1);
  model->manifestText_ = std::string(text);
  // Code compiled on an AMX host uses AMX tiles; elsewhere this is a no-op.
  requestAmxPermission();
  std::string why;
  if (!Manifest::parse(text, model->manifest_, why)) {
    err = "the model's manifest is invalid: " + why;
    return nullptr;
  }
  return model;
}

bool Model::loadWeights(const std::string &path, std::string &err,
                        bool *mismatch) {
  if (mismatch)
    *mismatch = false;
  std::string file = path.empty() ? defaultWeightsPath() : path;
  if (file.empty()) {
    err = "cannot find this executable's path to locate its weights file";
    return false;
  }
  weights_ = Weights::open(file, manifest_.weights.fileSize, manifest_.weights.fingerprint,
                           manifest_.weights.parts, err, mismatch);
  return weights_ != nullptr;
}

int64_t Model::defaultContext() const {
  return std::min<int64_t>(manifest_.contextLength, kDefaultContext);
}

const Tokenizer *Model::tokenizer(std::string &err) const {
  std::call_once(tokenizerOnce_, [this] {
    if (!image_.tokenizer || image_.tokenizerSize == 0) {
      tokenizerError_ = "the model has no tokenizer";
      return;
    }
    TokenizerSpec spec;
    std::string why;
    if (!deserializeTokenizer(image_.tokenizer, image_.tokenizerSize, spec,
                              why)) {
      tokenizerError_ = "the model's tokenizer is corrupt: " + why;
      return;
    }
    if (int64_t(spec.tokens.size()) > manifest_.vocabSize) {
      tokenizerError_ = "the tokenizer has " +
                        std::to_string(spec.tokens.size()) +
                        " tokens but the model's vocabulary only " +
                        std::to_string(manifest_.vocabSize);
      return;
    }
    tokenizer_ = Tokenizer::create(std::move(spec), why);
    if (!tokenizer_)
      tokenizerError_ = "the model's tokenizer is invalid: " + why;
  });
  if (!tokenizer_)
    err = tokenizerError_;
  return tokenizer_.get();
}

std::unique_ptr<Sequence> Model::newSequence(int64_t ctx,
                                             std::string &err) const {
  if (!weights_) {
    err = "the model's weights are not loaded";
    return nullptr;
  }
  if (ctx <= 0)
    ctx = defaultContext();
  const Manifest::Cache &c = manifest_.cache;
  std::unique_ptr<KVCache> cache =
      KVCache::create({c.layers, c.streams, c.heads, c.dim, c.elementBytes()}, ctx, err);
  if (!cache)
    return nullptr;
  return std::make_unique<Sequence>(*this, std::move(cache));
}
