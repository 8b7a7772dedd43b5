/*===- lmc.h - C API of the lmc runtime ---------------------------*- C -*-===//
 *
 * A compiled model (the object `lmc compile` produces, see ModelABI.h) linked
 * with the runtime is driven through this API: open the model, create one or
 * more sequences (each owns its KV cache), evaluate tokens, sample.
 *
 * Conventions:
 *  - Handles are opaque; every `*_new`/`*_open` has a matching `*_free`
 *    (free functions accept NULL).
 *  - Functions that can fail return an lmc_status (or a negative count); the
 *    reason, one line of text, is then in lmc_last_error() (per thread, valid
 *    until the next failing call on that thread).
 *  - A model may be shared by many threads; one sequence and one sampler must
 *    not be used by two threads at once. Evaluations of different sequences
 *    may run concurrently (they take turns on the shared worker threads).
 *  - This API only grows: names and signatures here do not change.
 *
 *===----------------------------------------------------------------------===*/
#ifndef LMC_RUNTIME_LMC_H
#define LMC_RUNTIME_LMC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LMC_API_VERSION 1

typedef enum lmc_status {
  LMC_OK = 0,
  /** A bad argument: out-of-range token id, n <= 0, NULL pointer, ... */
  LMC_ERR_INVALID_ARGUMENT = 1,
  /** A file could not be opened, read, mapped or written. */
  LMC_ERR_IO = 2,
  /** The model is unusable: bad manifest, weights file of the wrong size or
   *  fingerprint, tokenizer missing or corrupt. */
  LMC_ERR_MODEL = 3,
  /** The sequence's context is full: pos + n > capacity. */
  LMC_ERR_CONTEXT_FULL = 4,
  LMC_ERR_OUT_OF_MEMORY = 5,
} lmc_status;

typedef struct lmc_model lmc_model;
typedef struct lmc_seq lmc_seq;
typedef struct lmc_sampler lmc_sampler;

/** LMC_API_VERSION of the linked runtime. */
int32_t lmc_api_version(void);

/** The reason of this thread's last failure ("" if none). */
const char *lmc_last_error(void);

/*--- Threads ---------------------------------------------------------------*/

/** Sets how many threads (the caller included) evaluations use; 0 means all
 *  cores available to the process. */
lmc_status lmc_set_threads(int32_t n);
int32_t lmc_get_threads(void);

/*--- Model -----------------------------------------------------------------*/

/** Opens the model linked into this program: parses its manifest and maps
 *  its weights file (weights_path, or `<this executable>.weights` when NULL),
 *  checking the file's size and fingerprint. The tokenizer is loaded on
 *  first use. */
lmc_status lmc_model_open(const char *weights_path, lmc_model **out);
void lmc_model_free(lmc_model *model);

/** The manifest (JSON text, NUL-terminated) the model was compiled with. */
const char *lmc_model_manifest_json(const lmc_model *model);
const char *lmc_model_arch(const lmc_model *model);
/** Width of a logits row. */
int32_t lmc_model_vocab_size(const lmc_model *model);
/** The context length the model was trained for. */
int32_t lmc_model_context_length(const lmc_model *model);
/** BOS id or -1, and whether prompts should start with it. */
int32_t lmc_model_bos(const lmc_model *model);
int32_t lmc_model_add_bos(const lmc_model *model);
/** 1 if id ends generation (an end-of-sequence/turn id), else 0. */
int32_t lmc_model_is_eos(const lmc_model *model, int32_t id);

/*--- Sequences -------------------------------------------------------------*/

/** A new sequence at position 0 with room for ctx tokens (0: the default,
 *  min(context length, 4096)). Its KV cache is allocated here (lazily backed
 *  by memory as positions are used). */
lmc_status lmc_seq_new(lmc_model *model, int32_t ctx, lmc_seq **out);
void lmc_seq_free(lmc_seq *seq);
/** Tokens evaluated so far (the position of the next token). */
int32_t lmc_seq_pos(const lmc_seq *seq);
int32_t lmc_seq_capacity(const lmc_seq *seq);
/** Rewinds to position pos (0 <= pos <= current position): later
 *  evaluations overwrite the cache from there. */
lmc_status lmc_seq_rewind(lmc_seq *seq, int32_t pos);

/** Evaluates n tokens at positions pos .. pos+n-1 and advances pos by n.
 *  Writes the logits of the last n_logits positions (0 <= n_logits <= n) to
 *  logits_out, row-major [n_logits][vocab]. Fails without evaluating
 *  anything when an id is out of range or pos + n > capacity. */
lmc_status lmc_eval(lmc_seq *seq, const int32_t *tokens, int32_t n,
                    int32_t n_logits, float *logits_out);

/*--- Tokenizer -------------------------------------------------------------*/

/** Tokenizes len bytes of text (no BOS is added; with parse_special, the
 *  text of special tokens becomes their ids). Writes at most capacity ids to
 *  out and returns how many the text has (call again with a larger buffer if
 *  that exceeds capacity), or -1 on error. */
int32_t lmc_tokenize(lmc_model *model, const char *text, size_t len,
                     int32_t parse_special, int32_t *out, int32_t capacity);

/** The bytes of n tokens (not NUL-terminated, maybe not valid UTF-8 at the
 *  ends). Writes at most capacity bytes and returns the full length, or -1 on
 *  error. Ids out of range decode to nothing. */
int64_t lmc_detokenize(lmc_model *model, const int32_t *ids, int32_t n,
                       char *out, size_t capacity);

/*--- Sampling --------------------------------------------------------------*/

/** A sampler: temperature <= 0 is greedy (argmax, lowest id on ties);
 *  otherwise the filters apply in the order top-k (k <= 0: off), top-p
 *  (p >= 1: off), min-p (p <= 0: off), then temperature, then a draw from
 *  the sampler's own random stream seeded by seed (same seed, same logits:
 *  same tokens on every platform). Returns NULL on a bad value. */
lmc_sampler *lmc_sampler_new(float temperature, int32_t top_k, float top_p,
                             float min_p, uint64_t seed);
void lmc_sampler_free(lmc_sampler *sampler);
/** Picks a token from one row of n_vocab logits; -1 on error. */
int32_t lmc_sampler_sample(lmc_sampler *sampler, const float *logits,
                           int32_t n_vocab);

#ifdef __cplusplus
}
#endif

#endif /* LMC_RUNTIME_LMC_H */
