//===- QuantFormats.h - Reference weight storage formats -------*- C++ -*-===//
//
// The reference definition of every weight storage format lmc reads: block
// sizes, scalar float conversions, and a plain per-row dequantizer/quantizer.
// This is the slow, obviously-correct path that generated kernels are tested
// against bit-exactly, and that the model synthesizer uses to write quantized
// files. Plain C++17; no MLIR/LLVM dependency. The byte layouts are described
// in docs/formats.md.
//
//===----------------------------------------------------------------------===//

#ifndef LMC_FRONTENDS_QUANT_QUANTFORMATS_H
#define LMC_FRONTENDS_QUANT_QUANTFORMATS_H

#include <cstdint>
#include <optional>
#include <string_view>

namespace lmc::quant {

/// Weight storage formats. Block formats use ggml's GGUF layouts; F8_E4M3 is
/// the FP8 E4M3FN element type of block-scaled safetensors checkpoints (the
/// 128x128 scales are stored as a separate tensor, so here it is a plain
/// one-byte element type).
enum class Format { F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K, MXFP4, F8_E4M3 };

/// Elements per block (1 for the plain element types).
int64_t blockElems(Format f);
/// Bytes per block.
int64_t blockBytes(Format f);
/// Bytes of a row of `n` elements; 0 if `n` is negative or not a multiple of
/// blockElems(f).
int64_t rowBytes(Format f, int64_t n);

/// Canonical upper-case name: "F32", "Q4_K", "MXFP4", "F8_E4M3", ...
const char *formatName(Format f);
/// Parses a name case-insensitively ("q4_k", "Q8_0", "f8_e4m3", ...).
std::optional<Format> parseFormat(std::string_view name);

/// ggml_type id used in GGUF files, or -1 for F8_E4M3 (not a GGUF type).
int ggmlTypeId(Format f);
/// The format for a ggml_type id, if lmc supports it.
std::optional<Format> formatFromGgmlTypeId(int id);

//===----------------------------------------------------------------------===//
// Scalar conversions
//===----------------------------------------------------------------------===//

/// IEEE binary16 -> float (exact; subnormals, inf and NaN payloads kept).
float f16ToF32(uint16_t h);
/// float -> IEEE binary16, round to nearest even; overflow gives inf, NaN
/// stays NaN (quiet, sign and top payload bits kept).
uint16_t f32ToF16(float x);
/// bfloat16 -> float (exact).
float bf16ToF32(uint16_t b);
/// float -> bfloat16, round to nearest even; NaN stays NaN (made quiet).
uint16_t f32ToBf16(float x);
/// OCP MX E8M0 scale: 2^(e-127); e = 255 is NaN.
float e8m0ToF32(uint8_t e);
/// OCP FP4 E2M1 code (low 4 bits of `code`): +-{0, 0.5, 1, 1.5, 2, 3, 4, 6};
/// code 8 is -0.0.
float e2m1ToF32(uint8_t code);
/// FP8 E4M3FN: bias 7, no infinities, 0x7F/0xFF NaN, max +-448.
float e4m3fnToF32(uint8_t code);
/// float -> E4M3FN, round to nearest even, saturating to +-448 (also for
/// +-inf); NaN gives 0x7F (sign kept).
uint8_t quantizeE4M3(float x);

//===----------------------------------------------------------------------===//
// Rows
//===----------------------------------------------------------------------===//

/// Decodes `n` elements stored in format `f` at `src` into `dst`. Every value
/// is the float nearest to the exact real value of the format's formula, so
/// the result does not depend on evaluation order. MXFP4 follows ggml (see
/// docs/formats.md): scale 2^(e-127) for every e including 255, and both zero
/// codes decode to +0.0. Returns false (writing nothing) if `n` is negative or
/// not a multiple of blockElems(f).
bool dequantizeRow(Format f, const uint8_t *src, float *dst, int64_t n);

/// Encodes `n` floats as rowBytes(f, n) bytes at `dst`, rounding to nearest.
/// Block formats pick scales from each block's range (a valid encoding whose
/// decoding is close to the input; not llama.cpp's optimizer). Returns false
/// if `n` is invalid, or if a block format is given a non-finite input.
bool quantizeRow(Format f, const float *src, uint8_t *dst, int64_t n);

} // namespace lmc::quant

#endif // LMC_FRONTENDS_QUANT_QUANTFORMATS_H
