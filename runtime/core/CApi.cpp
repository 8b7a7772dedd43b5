//===- CApi.cpp - lmc.h on top of the runtime's C++ classes ---------------===//
#include "runtime/lmc.h"
#include "runtime/core/Model.h"
#include "runtime/core/ParallelFor.h"
#include "runtime/core/Sampler.h"
#include "runtime/core/Sequence.h"
#include "runtime/tokenizer/Tokenizer.h"

#include <cstring>
#include <new>

using namespace lmc::rt;

struct lmc_model {
  std::unique_ptr<Model> model;
};
struct lmc_seq {
  std::unique_ptr<Sequence> seq;
};
struct lmc_sampler {
  Sampler sampler;
};

namespace {
thread_local std::string lastError;

lmc_status fail(lmc_status status, std::string message) {
  lastError = std::move(message);
  return status;
}

/// Runs body, turning an allocation failure into LMC_ERR_OUT_OF_MEMORY: no
/// exception may cross the C boundary.
template <typename F> lmc_status guarded(F &&body) {
  try {
    return body();
  } catch (const std::bad_alloc &) {
    return fail(LMC_ERR_OUT_OF_MEMORY, "out of memory");
  } catch (const std::exception &e) {
    return fail(LMC_ERR_MODEL, e.what());
  }
}

const Tokenizer *tokenizerOf(lmc_model *model) {
  if (!model) {
    lastError = "model is NULL";
    return nullptr;
  }
  std::string err;
  const Tokenizer *tok = model->model->tokenizer(err);
  if (!tok)
    lastError = err;
  return tok;
}
} // namespace

extern "C" {

int32_t lmc_api_version(void) { return LMC_API_VERSION; }

const char *lmc_last_error(void) { return lastError.c_str(); }

lmc_status lmc_set_threads(int32_t n) {
  if (n < 0 || n > ThreadPool::kMaxThreads)
    return fail(LMC_ERR_INVALID_ARGUMENT,
                "thread count must be in [0, " +
                    std::to_string(ThreadPool::kMaxThreads) + "]");
  return guarded([&] {
    setGlobalThreadCount(n);
    return LMC_OK;
  });
}

int32_t lmc_get_threads(void) { return globalThreadPool().threads(); }

lmc_status lmc_model_open(const char *weights_path, lmc_model **out) {
  if (!out)
    return fail(LMC_ERR_INVALID_ARGUMENT, "out is NULL");
  *out = nullptr;
  return guarded([&] {
    std::string err;
    std::unique_ptr<Model> model = Model::create(linkedModelImage(), err);
    if (!model)
      return fail(LMC_ERR_MODEL, err);
    bool mismatch = false;
    if (!model->loadWeights(weights_path ? weights_path : "", err, &mismatch))
      return fail(mismatch ? LMC_ERR_MODEL : LMC_ERR_IO, err);
    *out = new lmc_model{std::move(model)};
    return LMC_OK;
  });
}

void lmc_model_free(lmc_model *model) { delete model; }

const char *lmc_model_manifest_json(const lmc_model *model) {
  return model ? model->model->manifestText().c_str() : "";
}
const char *lmc_model_arch(const lmc_model *model) {
  return model ? model->model->manifest().arch.c_str() : "";
}
int32_t lmc_model_vocab_size(const lmc_model *model) {
  return model ? model->model->vocabSize() : 0;
}
int32_t lmc_model_context_length(const lmc_model *model) {
  return model ? model->model->manifest().contextLength : 0;
}
int32_t lmc_model_bos(const lmc_model *model) {
  return model ? model->model->manifest().tokens.bos : -1;
}
int32_t lmc_model_add_bos(const lmc_model *model) {
  return model && model->model->manifest().tokens.addBos ? 1 : 0;
}
int32_t lmc_model_is_eos(const lmc_model *model, int32_t id) {
  return model && model->model->manifest().isEos(id) ? 1 : 0;
}

lmc_status lmc_seq_new(lmc_model *model, int32_t ctx, lmc_seq **out) {
  if (!model || !out)
    return fail(LMC_ERR_INVALID_ARGUMENT, "model or out is NULL");
  *out = nullptr;
  if (ctx < 0)
    return fail(LMC_ERR_INVALID_ARGUMENT,
                "ctx must be >= 0, not " + std::to_string(ctx));
  return guarded([&] {
    std::string err;
    std::unique_ptr<Sequence> seq = model->model->newSequence(ctx, err);
    if (!seq)
      return fail(LMC_ERR_OUT_OF_MEMORY, err);
    *out = new lmc_seq{std::move(seq)};
    return LMC_OK;
  });
}

void lmc_seq_free(lmc_seq *seq) { delete seq; }

int32_t lmc_seq_pos(const lmc_seq *seq) {
  return seq ? int32_t(seq->seq->pos()) : 0;
}
int32_t lmc_seq_capacity(const lmc_seq *seq) {
  return seq ? int32_t(seq->seq->capacity()) : 0;
}

lmc_status lmc_seq_rewind(lmc_seq *seq, int32_t pos) {
  if (!seq)
    return fail(LMC_ERR_INVALID_ARGUMENT, "seq is NULL");
  std::string err;
  if (!seq->seq->rewind(pos, err))
    return fail(LMC_ERR_INVALID_ARGUMENT, err);
  return LMC_OK;
}

lmc_status lmc_eval(lmc_seq *seq, const int32_t *tokens, int32_t n,
                    int32_t n_logits, float *logits_out) {
  if (!seq)
    return fail(LMC_ERR_INVALID_ARGUMENT, "seq is NULL");
  return guarded([&] {
    std::string err;
    switch (seq->seq->eval(tokens, n, n_logits, logits_out, err)) {
    case EvalStatus::Ok:
      return LMC_OK;
    case EvalStatus::ContextFull:
      return fail(LMC_ERR_CONTEXT_FULL, err);
    case EvalStatus::InvalidArgument:
      break;
    }
    return fail(LMC_ERR_INVALID_ARGUMENT, err);
  });
}

int32_t lmc_tokenize(lmc_model *model, const char *text, size_t len,
                     int32_t parse_special, int32_t *out, int32_t capacity) {
  const Tokenizer *tok = tokenizerOf(model);
  if (!tok)
    return -1;
  if ((!text && len > 0) || capacity < 0 || (!out && capacity > 0)) {
    lastError = "bad text or output buffer";
    return -1;
  }
  try {
    std::vector<int32_t> ids =
        tok->encode(std::string_view(text ? text : "", len), parse_special != 0);
    if (ids.size() > size_t(INT32_MAX)) {
      lastError = "the text has too many tokens";
      return -1;
    }
    size_t count = std::min(ids.size(), size_t(capacity));
    if (count > 0)
      std::memcpy(out, ids.data(), count * sizeof(int32_t));
    return int32_t(ids.size());
  } catch (const std::bad_alloc &) {
    lastError = "out of memory";
    return -1;
  }
}

int64_t lmc_detokenize(lmc_model *model, const int32_t *ids, int32_t n,
                       char *out, size_t capacity) {
  const Tokenizer *tok = tokenizerOf(model);
  if (!tok)
    return -1;
  if (n < 0 || (!ids && n > 0) || (!out && capacity > 0)) {
    lastError = "bad ids or output buffer";
    return -1;
  }
  try {
    std::string text = tok->decode(std::vector<int32_t>(ids, ids + n));
    if (capacity > 0)
      std::memcpy(out, text.data(), std::min(text.size(), capacity));
    return int64_t(text.size());
  } catch (const std::bad_alloc &) {
    lastError = "out of memory";
    return -1;
  }
}

lmc_sampler *lmc_sampler_new(float temperature, int32_t top_k, float top_p,
                             float min_p, uint64_t seed) {
  SamplerParams params;
  params.temperature = temperature;
  params.topK = top_k;
  params.topP = top_p;
  params.minP = min_p;
  params.seed = seed;
  std::string err;
  if (!params.validate(err)) {
    lastError = err;
    return nullptr;
  }
  return new (std::nothrow) lmc_sampler{Sampler(params)};
}

void lmc_sampler_free(lmc_sampler *sampler) { delete sampler; }

int32_t lmc_sampler_sample(lmc_sampler *sampler, const float *logits,
                           int32_t n_vocab) {
  if (!sampler || !logits || n_vocab <= 0) {
    lastError = "bad sampler or logits";
    return -1;
  }
  try {
    return sampler->sampler.sample(logits, n_vocab);
  } catch (const std::bad_alloc &) {
    lastError = "out of memory";
    return -1;
  }
}

} // extern "C"
