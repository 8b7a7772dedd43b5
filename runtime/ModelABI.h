//===- ModelABI.h - Contract between lmc-generated code and the runtime ---===//
//
// A compiled model is an object file produced by `lmc compile`. It exports the
// symbols declared here; the runtime links against them. Nothing in this header
// depends on MLIR: memref arguments follow MLIR's documented C calling
// convention for `llvm.emit_c_interface` functions (a pointer to a strided
// memref descriptor per memref argument, index arguments as int64_t).
//
//===----------------------------------------------------------------------===//
#ifndef LMC_RUNTIME_MODELABI_H
#define LMC_RUNTIME_MODELABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// MLIR's strided memref descriptor, specialised per rank.
#define LMC_MEMREF_DESCRIPTOR(NAME, T, RANK)                                   \
  typedef struct NAME {                                                        \
    T *allocated;                                                              \
    T *aligned;                                                                \
    int64_t offset;                                                            \
    int64_t sizes[RANK];                                                       \
    int64_t strides[RANK];                                                     \
  } NAME;

LMC_MEMREF_DESCRIPTOR(lmc_memref_u8_1d, uint8_t, 1)
LMC_MEMREF_DESCRIPTOR(lmc_memref_i32_1d, int32_t, 1)
LMC_MEMREF_DESCRIPTOR(lmc_memref_f32_2d, float, 2)
/// The KV cache: its elements are f32 or f16 as the manifest's cache.dtype
/// says, so the pointers are untyped.
LMC_MEMREF_DESCRIPTOR(lmc_memref_cache_5d, void, 5)

/// One forward step of one sequence.
///   weights: the whole mapped weights file (byte offsets are compiled in).
///   tokens:  the n new token ids, at positions pos .. pos+n-1.
///   cache:   the sequence's KV cache, [layers][streams][heads][capacity][dim],
///            capacity >= pos + n (the runtime checks this).
///   n_out:   logits are produced for the last n_out of the n positions.
///   logits:  [n_out][vocab], written by the call.
void _mlir_ciface_lmc_forward(lmc_memref_u8_1d *weights,
                              lmc_memref_i32_1d *tokens, int64_t pos,
                              lmc_memref_cache_5d *cache, int64_t n_out,
                              lmc_memref_f32_2d *logits);

/// The model manifest: a JSON object describing the compiled model (see
/// docs/design/abi.md), and the tokenizer in the runtime's binary format.
extern const char lmc_model_manifest[];
extern const uint64_t lmc_model_manifest_size;
extern const uint8_t lmc_model_tokenizer[];
extern const uint64_t lmc_model_tokenizer_size;

/// Provided by the runtime, called by generated code: runs fn(ctx, b, e) over
/// disjoint chunks [b, e) covering [0, n), on the runtime's worker threads.
/// Returns after every chunk is done.
void lmc_rt_parallel_for(void (*fn)(void *ctx, int64_t begin, int64_t end),
                         void *ctx, int64_t n);

#ifdef __cplusplus
}
#endif

#endif // LMC_RUNTIME_MODELABI_H
