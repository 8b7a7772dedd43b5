//===- AmxMatmul.h - prefill products on AMX tiles --------------*- C++ -*-===//
//
// Intel AMX multiplies 16x32 bf16 tiles into 16x16 f32 tiles at many times
// the rate of f32 FMAs, but bf16 keeps only 8 bits of an f32. Two facts make
// it exact enough to replace the f32 tiled path:
//  - a Q8_0, Q4_0, Q4_K or MXFP4 weight is a small integer times a factor
//    per 32 elements, minus a minimum per 32 for Q4_K (decodeBlockIntegers);
//    the integer is exactly a bf16, the factor is applied in f32 per block,
//    and the minimum times the activations' block sums is subtracted;
//  - an f32 activation is exactly the sum of three bf16 (x = hi + mid + lo,
//    each the rounding of what the previous ones left).
// So C = sum over the three parts of W_int x X_part, scaled per block and
// accumulated in f32, is the f32 product up to summation order. The weight
// tile is the A operand (its rows are weight rows, as stored); activations
// are packed once per call into the B operand's pair-interleaved layout.
//
// AmxMode::int8 trades that accuracy for speed, as llama.cpp does: each
// 32-element block of an activation row is rounded to int8 times an
// f16-rounded f32 factor (Q8_0's rounding), and the products run on int8
// tiles, one per block instead of three (about 2 % rms logit error on a
// Q8_0 model, see reference-facts). There the activations are the A operand
// (rows as computed) and the weights are unpacked into the B operand's
// four-byte-interleaved layout, so each 16x16 product tile is a block of
// output rows and is scaled in registers. Q6_K (a factor per 16 elements)
// takes this mode only, with one tile product per 16-element sub-block.
//
// AmxMode::vnni8 is int8 for machines without AMX (AVX-512 VNNI: AMD Zen 4
// and 5, Intel since Cascade Lake): the same packing, weights unpacked into
// the same layout with each byte biased by 128 (vpdpbusd multiplies
// unsigned by signed bytes), and per sub-block one vpdpbusd per four
// columns for 16 weight rows, summed from -128 times the activations'
// integer sums, then scaled by the two factors in f32.
//
//===----------------------------------------------------------------------===//
#ifndef LMC_PASSES_CPU_AMXMATMUL_H
#define LMC_PASSES_CPU_AMXMATMUL_H

#include "passes/cpu/Kernels.h"
#include "passes/cpu/TiledMatmul.h"
#include "passes/cpu/WeightAccess.h"

namespace lmc::cpu {

/// Whether y = x w^T for this weight (n rows of k elements) has an AMX path
/// in `mode`.
bool hasAmxMatmul(const WeightAccess &weight, int64_t n, int64_t k, AmxMode mode);

/// y[:m] = x[:m] w^T on AMX tiles (mode exact or int8); w as hasAmxMatmul
/// accepted.
void emitAmxMatmul(mlir::ImplicitLocOpBuilder &b, AmxMode mode, const WeightReader &w,
                   int64_t n, int64_t k, mlir::Value x, mlir::Value y, mlir::Value m);

/// The expert of the pair whose output row is `yRow`.
using ExpertOfPair =
    llvm::function_ref<mlir::Value(mlir::ImplicitLocOpBuilder &, mlir::Value yRow)>;
/// The bias of (expert, output column), or null for none.
using ExpertBias =
    llvm::function_ref<mlir::Value(mlir::ImplicitLocOpBuilder &, mlir::Value, mlir::Value)>;
/// Emits the products of expert `e`'s weight rows [first, first + count)
/// for its pairs some other way (when it has too few for tiles to pay).
using ExpertRows = llvm::function_ref<void(mlir::ImplicitLocOpBuilder &, mlir::Value e,
                                           mlir::Value first, int64_t count)>;

/// An expert with fewer pairs than this has its products done by
/// `fewPairs`: unpacking all its weights for a tile of mostly padding
/// costs more than reading each row once per four pairs (an 8-token
/// DeepSeek-shaped prompt, interleaved runs: 8.4 tok/s with tiles for every
/// chosen expert, 9.6 with this bound, as fast as without AMX).
constexpr int64_t kAmxExpertMinPairs = 8;

/// The expert products of `pairs` (token, slot) pairs sorted by expert:
/// expert e's pairs are positions [offsets[e], offsets[e + 1]), position at
/// has rows (xRow, yRow) = rows(at), and y[yRow] = x[xRow] times expert
/// e's weight (n x k, a slice of `w`) transposed, plus `bias`. Each chosen expert's weights are unpacked
/// once per group of rows for all its pairs, if it has kAmxExpertMinPairs.
void emitAmxExpertMatmul(mlir::ImplicitLocOpBuilder &b, AmxMode mode, const WeightReader &w,
                         int64_t experts,
                         int64_t n, int64_t k, mlir::Value x, mlir::Value y, mlir::Value pairs,
                         mlir::Value offsets, ProductRows rows, ExpertOfPair expertOf,
                         ExpertRows fewPairs, ExpertBias bias = {});

} // namespace lmc::cpu

#endif // LMC_PASSES_CPU_AMXMATMUL_H
