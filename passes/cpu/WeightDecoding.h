//===- WeightDecoding.h - vector decoders of weight storage formats -*- C++ -*-===//
//
// Generated kernels read weights in their storage format and decode them in
// registers, a block at a time. The layouts are documented in docs/formats.md;
// frontends/quant/ holds the scalar reference decoders these are tested
// against.
//
//===----------------------------------------------------------------------===//
#ifndef LMC_PASSES_CPU_WEIGHTDECODING_H
#define LMC_PASSES_CPU_WEIGHTDECODING_H

#include "dialects/tfm/TfmOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace lmc::cpu {

/// How a kernel walks one row of a weight: in blocks of `blockElems`
/// elements occupying `blockBytes` bytes, each decoded as consecutive chunks
/// of `chunkWidth` elements.
struct RowLayout {
  tfm::StorageType storage;
  int64_t blockElems;
  int64_t blockBytes;
  int64_t chunkWidth;
  int64_t chunksPerBlock() const { return blockElems / chunkWidth; }
};

/// The layout for rows of `rowElems` elements. Float formats use the widest
/// vector that divides the row; block formats decode 32 elements at a time.
RowLayout getRowLayout(tfm::StorageType storage, int64_t rowElems);

/// The little-endian f16 at byte `at` of `bytes` (a 1-D i8 memref), widened
/// to f32.
mlir::Value loadF16(mlir::ImplicitLocOpBuilder &b, mlir::Value bytes, mlir::Value at);

/// Decodes the block starting at byte `blockBase` of `bytes` (a 1-D i8
/// memref), calling `consume(chunk, values)` for each chunk in order with a
/// vector<chunkWidth x f32>. Formats whose scales are stored apart take the
/// block's `scale`: an f32 factor (e4m3) or the E8M0 byte as i32
/// (mxfp4_oai).
void decodeBlock(mlir::ImplicitLocOpBuilder &b, const RowLayout &layout,
                 mlir::Value bytes, mlir::Value blockBase,
                 llvm::function_ref<void(int64_t, mlir::Value)> consume,
                 mlir::Value scale = {});

/// Receives sub-block `index` of a block as integers (a vector<G x f32> of
/// values exact in bf16, G = integerGroupElems) and the f32 factors that
/// make them weights: w = scale * ints - min (`min` null where the format
/// has none).
using IntegerConsumer =
    llvm::function_ref<void(int64_t index, mlir::Value ints, mlir::Value scale, mlir::Value min)>;

/// Whether decodeBlockIntegers supports `storage`: block formats whose
/// elements are small integers times per-sub-block factors (Q8_0, Q4_0,
/// Q4_K, MXFP4 in both orders as doubled E2M1 times 2^(e-128), and Q6_K's
/// centered codes q - 32 per 16 elements).
bool hasIntegerDecoding(tfm::StorageType storage);

/// Elements per sub-block decodeBlockIntegers gives: 16 for Q6_K, else 32.
int64_t integerGroupElems(tfm::StorageType storage);

/// Decodes the block at `blockBase` into its sub-blocks of integers and
/// factors, in order (the AMX path multiplies the integers on
/// bf16 tiles and applies the factors in f32). `scale` as for decodeBlock.
void decodeBlockIntegers(mlir::ImplicitLocOpBuilder &b, const RowLayout &layout,
                         mlir::Value bytes, mlir::Value blockBase, IntegerConsumer consume,
                         mlir::Value scale = {});

/// How decodeBlockBytes gives a block of a block format (int8 row
/// products, --decode-activations int8): chunks of `chunkWidth` consecutive
/// elements as unsigned bytes u (a vector<chunkWidth x i8>), and for each
/// group of `groupElems` elements a factor and a correction, so that
/// w = factor * u - correction (Q8_0: the byte with its top bit flipped,
/// correction 128 * factor; Q4_0: the nibble, correction 8 * factor;
/// Q4_K: the nibble, correction the minimum; Q6_K: the 6-bit code,
/// correction 32 * factor). Unsigned, because AVX-512 VNNI multiplies
/// unsigned bytes by signed ones.
///
/// MXFP4 is not here: decoded to f32 (a table lookup) it decodes as fast
/// (gpt-oss-20b MXFP4 experts: 14.7-15.1 tok/s vs 14.1 with a byte table).
/// Q8_0 is, although its f32 decoding (a widening) is as cheap: its int8
/// activations are a quarter of the bytes, so long rows' activations stay in
/// L1 (DeepSeek-V3-shaped decode, rows of 7168-16384: 9.8-10.6 -> 12.4-18.8
/// tok/s; Qwen3-0.6B, rows of 1024-3072: no change).
struct ByteLayout {
  int64_t chunkWidth;
  int64_t groupElems;
};

/// Whether decodeBlockBytes supports `storage`: Q8_0, Q4_0, Q4_K, Q6_K.
bool hasByteDecoding(tfm::StorageType storage);

/// The byte layout of `storage` (hasByteDecoding formats only).
ByteLayout getByteLayout(tfm::StorageType storage);

/// A block's factors and corrections, one vector<groups x f32> each.
struct ByteFactors {
  mlir::Value factors, corrections;
};

/// The factors of the block at `blockBase`.
ByteFactors decodeBlockByteFactors(mlir::ImplicitLocOpBuilder &b, const RowLayout &layout,
                                   mlir::Value bytes, mlir::Value blockBase);

/// Calls `consume(chunk, u)` for each chunk of the block at `blockBase`, in
/// order.
void decodeBlockBytes(mlir::ImplicitLocOpBuilder &b, const RowLayout &layout, mlir::Value bytes,
                      mlir::Value blockBase,
                      llvm::function_ref<void(int64_t, mlir::Value)> consume);

} // namespace lmc::cpu

#endif // LMC_PASSES_CPU_WEIGHTDECODING_H
