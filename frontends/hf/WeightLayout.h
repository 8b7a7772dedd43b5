//===- WeightLayout.h - One lmc weight as a view of HF tensors --*- C++ -*-===//
//
// Describes, as plain data, how the bytes of one GGUF-named weight (the
// names and ggml shapes lmc's architecture builders use) are obtained from
// the tensors of a Hugging Face checkpoint, and materializes them.
//
// The model is a short pipeline over *logical elements* (decoded values, so
// an MXFP4 block of 16 bytes is 32 elements):
//
//   S  = the sources' elements, concatenated in order (each source is a
//        row-major tensor; several sources stack experts);
//   S' = `select` applied to S: S viewed as rows of `rowElems` elements;
//        from every consecutive group of `period` rows keep rows
//        [first, first + count) ("rows 0..127 of every 256", "every other
//        row"). Absent: S' = S;
//   O  = `transpose` applied to S': S' viewed as consecutive rows x cols
//        row-major blocks, each transposed to cols x rows. Absent: O = S';
//   the weight = O, row-major with shape reverse(ne), stored in `format`
//        as `encoding` says (copied, widened to F32, dequantized, or
//        repacked from Hugging Face's MXFP4 layout into ggml's).
//
// A weight with one source, no select, no transpose and Copy is the source
// tensor's bytes unchanged: it can be used in place from the mapped file.
//
//===----------------------------------------------------------------------===//

#ifndef LMC_FRONTENDS_HF_WEIGHTLAYOUT_H
#define LMC_FRONTENDS_HF_WEIGHTLAYOUT_H

#include "frontends/quant/QuantFormats.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lmc::hf {

class Checkpoint;

/// From every consecutive group of `period` rows (of `rowElems` logical
/// elements) keep rows [first, first + count).
struct RowSelection {
  uint64_t rowElems = 0;
  uint64_t period = 0;
  uint64_t first = 0;
  uint64_t count = 0;
};

/// Each consecutive `rows` x `cols` row-major block becomes `cols` x `rows`.
struct BlockTranspose {
  uint64_t rows = 0;
  uint64_t cols = 0;
};

enum class Encoding {
  /// Elements copied as stored (format = the sources' element type).
  Copy,
  /// F32/F16/BF16 elements widened exactly to F32.
  WidenToF32,
  /// F8_E4M3 elements times their block's weight_scale_inv, rounded to F32.
  DequantizeFp8,
  /// Hugging Face MXFP4 (U8 *_blocks [..., G, 16] + U8 E8M0 *_scales
  /// [..., G]) to ggml MXFP4 blocks; select may pick rows, no transpose.
  RepackMxfp4,
};

const char *encodingName(Encoding e);

/// One source tensor of a weight.
struct WeightSource {
  /// Hugging Face name of the data (the weight, or an MXFP4 *_blocks).
  std::string tensor;
  /// The MXFP4 *_scales, or the FP8 weight_scale_inv for DequantizeFp8;
  /// empty otherwise.
  std::string scales;
};

struct MappedWeight {
  /// GGUF-style name, e.g. "blk.3.attn_k_b.weight".
  std::string name;
  /// ggml shape: ne[0] is the contiguous dimension.
  std::vector<uint64_t> ne;
  /// Storage of the result.
  quant::Format format = quant::Format::F32;
  Encoding encoding = Encoding::Copy;
  /// Concatenated in order (experts stack along the outermost dimension).
  std::vector<WeightSource> sources;
  std::optional<RowSelection> select;
  std::optional<BlockTranspose> transpose;
  /// FP8 block size (rows, columns) of the sources' scales, for
  /// DequantizeFp8 and for the companion named by `scaleName`.
  uint64_t fp8BlockRows = 0;
  uint64_t fp8BlockCols = 0;
  /// F8_E4M3 weights kept as FP8: the GGUF name of the F32 weight holding
  /// their block scales ("<name>_scale_inv"); empty otherwise.
  std::string scaleName;

  uint64_t numElements() const;
  /// Rows of ne[0] elements.
  uint64_t numRows() const;
  /// Bytes of one row in `format`.
  uint64_t rowBytes() const;
  uint64_t nbytes() const { return numRows() * rowBytes(); }
  /// True if the weight is exactly one source tensor's bytes.
  bool isZeroCopy() const;
  /// One line: "blk.3.attn_k_b.weight [16, 64, 4] F32 <- rows 0..15 of
  /// every 24 (of 64 elements) of model.layers.3.self_attn.kv_b_proj.weight,
  /// each 16 x 64 block transposed".
  std::string describe() const;
};

/// Writes output rows [rowBegin, rowBegin + rowCount) of `w` (each
/// w.rowBytes() bytes) to `dst`, reading the sources from `ckpt`. Checks the
/// sources (present, dtype fitting the encoding, sizes consistent with the
/// description) and fails with a one-line message naming the weight.
bool materializeRows(const MappedWeight &w, const Checkpoint &ckpt,
                     uint64_t rowBegin, uint64_t rowCount, uint8_t *dst,
                     std::string &error);
/// All of `w` (w.nbytes() bytes).
bool materialize(const MappedWeight &w, const Checkpoint &ckpt,
                 std::vector<uint8_t> &out, std::string &error);

/// The ggml MXFP4 block (1 scale byte, then byte j = element j in the low
/// nibble and element j + 16 in the high nibble) of 32 elements stored the
/// Hugging Face / OpenAI way: 16 bytes, byte m = element 2m in the low
/// nibble and element 2m + 1 in the high nibble, with E8M0 scale `scale`.
void repackMxfp4Block(const uint8_t hfBlock[16], uint8_t scale,
                      uint8_t ggmlBlock[17]);

} // namespace lmc::hf

#endif // LMC_FRONTENDS_HF_WEIGHTLAYOUT_H
